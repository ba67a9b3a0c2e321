"""Result types shared by every import (rosters, organisations) and its CLI/JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CREATE, UPDATE, UNCHANGED = "新增", "更新", "无变化"


@dataclass(frozen=True)
class ImportProblem:
    """One rejected cell or row: Excel row number (1-based, as Excel shows it), column name, reason."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = f"第 {self.row} 行" + (f"“{self.column}”列" if self.column else "")
        return f"{where}：{self.message}"


@dataclass
class ImportReport:
    """What an import did or would do. Nothing is written unless ``errors`` is empty."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[ImportProblem] = field(default_factory=list)
    # preview lines for the confirmation page: (row, action "新增"/"更新"/"无变化", summary)
    preview: list[tuple[int, str, str]] = field(default_factory=list)
    dry_run: bool = False
    # remarks that are not errors: ignored columns, skipped footer/example rows
    notes: list[str] = field(default_factory=list)

    def add_problems(self, problems: list[ImportProblem], *, column_order: dict[str, int]) -> None:
        """Add problems sorted by row, then by column as they stand in the sheet."""
        self.errors.extend(sorted(problems, key=lambda p: (p.row, column_order.get(p.column, 999))))

    @staticmethod
    def action_for(*, is_new: bool, changed: bool) -> str:
        return CREATE if is_new else (UPDATE if changed else UNCHANGED)

    def add_plan(self, row: int, action: str, summary: str) -> None:
        """One previewed row, counted as created, updated or unchanged by its action."""
        self.preview.append((row, action, summary))
        if action == CREATE:
            self.created += 1
        elif action == UPDATE:
            self.updated += 1
        else:
            self.unchanged += 1

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "errors": [e.as_dict() for e in self.errors]}

    def summary_lines(self) -> list[str]:
        """A readable Chinese account: the outcome, then one line per problem, then the notes."""
        counts = f"新增 {self.created} 条，更新 {self.updated} 条，无变化 {self.unchanged} 条"
        if self.errors:
            lines = [f"导入未完成：发现 {len(self.errors)} 处问题，未写入任何数据。请修改文件后重新导入："]
            lines.extend(f"  {problem}" for problem in self.errors)
        elif self.dry_run:
            lines = [f"预演通过（未写入任何数据）：将{counts}。"]
        else:
            lines = [f"导入完成：{counts}。"]
        lines.extend(f"说明：{note}" for note in self.notes)
        return lines
