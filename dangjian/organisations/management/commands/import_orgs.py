"""python manage.py import_orgs FILE [--dry-run] [--json]: the organisation import, as a system operator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.core.importing import ImportProblem, ImportReport
from dangjian.core.scope import Scope
from dangjian.organisations.importing import import_organisations

# The command line acts for the platform itself: every organisation, no user (the audit log shows 系统).
SYSTEM_SCOPE = Scope(user_id=None, is_superuser=True)


def read_file(path: str) -> tuple[bytes | None, str]:
    """The file's bytes, or None and a Chinese reason."""
    file = Path(path)
    if not file.is_file():
        return None, f"找不到文件“{path}”"
    try:
        return file.read_bytes(), ""
    except OSError as exc:
        return None, f"无法读取文件“{path}”：{exc.strerror}"


def finish(command: BaseCommand, report: ImportReport, *, as_json: bool) -> None:
    """Print the report (one JSON object, or readable lines); exit status 1 when anything was rejected."""
    if as_json:
        command.stdout.write(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        for line in report.summary_lines():
            command.stdout.write(line)
    if report.errors:
        raise CommandError(f"导入未完成：{len(report.errors)} 处问题，未写入任何数据", returncode=1)


def failed(problem: str, *, dry_run: bool) -> ImportReport:
    return ImportReport(errors=[ImportProblem(0, "", problem)], dry_run=dry_run)


class Command(BaseCommand):
    help = "从Excel(.xlsx)或CSV导入组织体系（组织名称、组织代码、上级组织代码、组织类别、成立日期）；全部通过才写入。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="组织表文件（.xlsx 或 .csv）")
        parser.add_argument("--dry-run", action="store_true", help="只检查和预览，不写入")
        parser.add_argument("--json", action="store_true", help='输出一个JSON对象：{"created", "updated", "errors"}')

    def handle(self, *args: Any, **options: Any) -> None:
        data, problem = read_file(options["file"])
        if data is None:
            finish(self, failed(problem, dry_run=options["dry_run"]), as_json=options["json"])
            return
        report = import_organisations(
            actor=None, scope=SYSTEM_SCOPE, data=data, filename=Path(options["file"]).name, dry_run=options["dry_run"]
        )
        finish(self, report, as_json=options["json"])
