"""Organisation import (组织体系导入): set up or update the tree from one sheet, all rows or none.

Columns: 组织名称, 组织代码, 上级组织代码, 组织类别 (glossary names and common variants such as
党工委, 网格支部, 社区党总支), 成立日期, optional 领域. Rows may list children before parents: new
organisations are created parents first. A parent code names a row of the file or an organisation
already in the importer's subtree. Re-importing the same file updates names, kinds, dates and
fields (领域) and never duplicates; an organisation is never moved by an import (that is
“移动”, with its own checks). Every problem is reported; nothing is written unless there are none.
Writes go through ``services.create_organisation`` / ``update_organisation`` (locks, ORG-019,
history), all inside one transaction, plus one IMPORT audit event.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from dangjian.audit.models import AuditAction
from dangjian.audit.services import record_event
from dangjian.core.excel import (
    HEADER_FONT,
    CellError,
    ColumnSpec,
    Table,
    TableError,
    YearMonth,
    choice_lookup,
    clean_text,
    compact,
    parse_date,
    read_table,
    style_header,
    text_cell,
    workbook_bytes,
)
from dangjian.core.importing import CREATE, UPDATE, ImportProblem, ImportReport
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import Scope, common_ancestor_path

from . import rules
from .choices import MEMBER_HOLDING_KINDS, OrgKind, Sector
from .models import Organisation
from .permissions import can_change_organisation, can_import_organisations
from .services import create_organisation, update_organisation

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("组织名称", "党组织名称", "名称", "组织全称"),
    "code": ("组织代码", "党组织代码", "代码", "组织编码", "编码"),
    "parent_code": ("上级组织代码", "上级党组织代码", "上级代码", "上级组织编码"),
    "kind": ("组织类别", "党组织类别", "类别", "组织类型", "党组织类型"),
    "founded_on": ("成立日期", "成立时间", "建立日期", "组建日期"),
    "sector": ("领域", "所属领域", "行业领域"),
    # read for the header search only: the parent is identified by its code
    "parent_name": ("上级组织名称", "上级党组织名称", "上级组织"),
    "seq": ("序号",),
}
REQUIRED = ("name", "code", "parent_code", "kind")
ALIASES = {alias: name for name, spellings in COLUMNS.items() for alias in spellings}
MAX_NAME, MAX_CODE = 120, 40
EXAMPLE_MARK = "示例"


KINDS = choice_lookup(
    OrgKind,
    {
        **dict.fromkeys(("中共区委", "区委员会"), OrgKind.DISTRICT_COMMITTEE),
        **dict.fromkeys(("党工委", "街道党委", "街道工委", "街道党工委员会"), OrgKind.STREET_WORKING_COMMITTEE),
        **dict.fromkeys(("社区党委员会",), OrgKind.COMMUNITY_COMMITTEE),
        **dict.fromkeys(("党委", "机关党委", "企业党委", "学校党委", "基层党委员会"), OrgKind.BASIC_COMMITTEE),
        **dict.fromkeys(("两新综合党委", "两新党委", "行业综合党委"), OrgKind.COMPREHENSIVE_COMMITTEE),
        **dict.fromkeys(("总支", "党总支部", "社区党总支", "党总支部委员会", "总支部"), OrgKind.GENERAL_BRANCH),
        **dict.fromkeys(("支部", "社区党支部", "机关党支部", "企业党支部", "党支部委员会", "独立党支部"), OrgKind.BRANCH),
        **dict.fromkeys(("网格支部", "网格党支部委员会"), OrgKind.GRID_BRANCH),
        **dict.fromkeys(("联合支部",), OrgKind.JOINT_BRANCH),
        **dict.fromkeys(("功能党支部", "功能型支部"), OrgKind.FUNCTIONAL_BRANCH),
        **dict.fromkeys(("小组",), OrgKind.PARTY_GROUP),
        **dict.fromkeys(("楼栋党小组", "楼院小组", "楼门党小组", "楼宇党小组"), OrgKind.BUILDING_GROUP),
    },
    accept_values=True,
)
SECTORS = choice_lookup(
    Sector,
    {
        "社区": Sector.COMMUNITY,
        "党政机关": Sector.ORGAN,
        "高校": Sector.SCHOOL,
        "中小学": Sector.SCHOOL,
        "国企": Sector.SOE,
        "非公有制企业": Sector.NON_PUBLIC_ENTERPRISE,
        "民营企业": Sector.NON_PUBLIC_ENTERPRISE,
        "个体工商户": Sector.MICRO_BUSINESS,
        "楼宇": Sector.OFFICE_BUILDING,
        "产业园区": Sector.PARK,
        "商圈": Sector.MARKET_AREA,
        "市场": Sector.MARKET_AREA,
    },
    accept_values=True,
)
_KIND_NAMES = "、".join(str(c.label) for c in OrgKind)
_SECTOR_NAMES = "、".join(str(c.label) for c in Sector)


@dataclass(eq=False)
class _Row:
    number: int
    labels: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)  # name, code, kind, founded_on, sector
    parent_code: str = ""
    bad: set[str] = field(default_factory=set)
    problems: list[ImportProblem] = field(default_factory=list)
    existing: Organisation | None = None
    parent_row: _Row | None = None
    parent_org: Organisation | None = None
    changed: dict[str, Any] = field(default_factory=dict)

    def fail(self, name: str, message: str) -> None:
        self.problems.append(ImportProblem(self.number, self.labels.get(name) or COLUMNS[name][0], message))

    @property
    def code(self) -> str:
        return self.values.get("code") or ""


def import_organisations(
    *, actor: Any, scope: Scope, data: bytes, filename: str, dry_run: bool, today: date | None = None, ip: str | None = None
) -> ImportReport:
    """Create and update organisations from a sheet: every problem reported, all rows written or none."""
    today = today or date.today()
    report = ImportReport(dry_run=dry_run)
    if not can_import_organisations(scope):
        raise RuleViolation(None, "您没有维护组织体系的权限，不能导入组织")
    try:
        table = read_table(
            data,
            filename,
            aliases=ALIASES,
            blank_ignores=("seq",),
            max_bytes=settings.IMPORT_MAX_BYTES,
            max_rows=settings.IMPORT_MAX_ROWS,
            what="组织表",
        )
    except TableError as exc:
        report.errors.append(ImportProblem(0, "", exc.message))
        return report
    if table.unknown:
        report.notes.append("以下列未识别，已忽略：" + "、".join(table.unknown))
    report.notes.extend(message for _row, message in table.skipped)
    for name in REQUIRED:
        if not table.has(name):
            spellings = COLUMNS[name]
            report.errors.append(
                ImportProblem(
                    table.header_row,
                    spellings[0],
                    f"缺少必需的“{spellings[0]}”列（也可写作{'、'.join(spellings[1:3])}），请在表头行添加该列",
                )
            )
    if report.errors:
        return report

    examples = [number for number, values in table.rows if _is_example(table, values)]
    if examples:
        report.notes.append(f"第 {'、'.join(map(str, examples))} 行为模板示例行，已跳过")
    rows = [_read_row(table, number, values, today=today) for number, values in table.rows if number not in examples]
    if not rows:
        report.errors.append(ImportProblem(table.header_row, "", "表头下面没有组织数据行，请在表头行下逐行填写组织后再导入"))
        return report
    _link(rows, scope=scope)
    _find_cycles(rows)
    for row in rows:
        _check_kind(row)
        _diff(row, has_sector=table.has("sector"))
    report.add_problems([p for r in rows for p in r.problems], column_order=table.column_order())
    if report.errors:
        return report

    for row in rows:
        action = report.action_for(is_new=row.existing is None, changed=row.changed)
        report.add_plan(row.number, action, _summary(row, action))
    if dry_run:
        return report
    try:
        _write(rows, actor=actor, filename=filename, report=report, today=today, ip=ip)
    except _WriteRefused as exc:
        report.created = report.updated = report.unchanged = 0
        report.preview.clear()
        report.errors.append(exc.problem)
    return report


# ------------------------------------------------------------------------------------- reading


def _is_example(table: Table, values: tuple[Any, ...]) -> bool:
    """The template's example row: 序号 (or the name) starts with 示例."""
    return any(compact(table.cell(values, name)[1]).startswith(EXAMPLE_MARK) for name in ("seq", "name"))


def _read_row(table: Table, number: int, raw: tuple[Any, ...], *, today: date) -> _Row:
    labels = {name: table.label(name) for name in COLUMNS if table.has(name)}
    row = _Row(number, labels)

    def take(name: str) -> Any:
        return table.cell(raw, name)[1]

    name = clean_text(take("name"))
    if not name:
        row.fail("name", "组织名称不能为空")
    elif len(name) > MAX_NAME:
        row.fail("name", f"组织名称有{len(name)}个字，超过{MAX_NAME}个字的上限")
    row.values["name"] = name
    code = compact(take("code"))
    if not code:
        row.fail("code", "组织代码不能为空，每个组织须有唯一的组织代码")
    elif len(code) > MAX_CODE:
        row.fail("code", f"组织代码“{code}”超过{MAX_CODE}个字符")
    row.values["code"] = code
    row.parent_code = compact(take("parent_code"))
    kind_text = compact(take("kind"))
    if kind_text in KINDS:
        row.values["kind"] = KINDS[kind_text]
    else:
        row.bad.add("kind")
        shown = clean_text(take("kind"))
        row.fail("kind", f"组织类别“{shown}”无法识别，应为：{_KIND_NAMES}" if shown else f"组织类别不能为空，应为：{_KIND_NAMES}")
    if table.has("sector"):
        sector_text = compact(take("sector"))
        if sector_text in SECTORS:
            row.values["sector"] = SECTORS[sector_text]
        elif sector_text:
            row.fail("sector", f"领域“{clean_text(take('sector'))}”无法识别，应为：{_SECTOR_NAMES}")
    if table.has("founded_on"):
        try:
            founded = parse_date(take("founded_on"), epoch=table.epoch)
        except CellError as exc:
            row.fail("founded_on", f"{row.labels['founded_on']}{exc.message}")
            founded = None
        if isinstance(founded, YearMonth):
            row.fail(
                "founded_on",
                f"{row.labels['founded_on']}“{founded.text}”只有年月，请补全到日（如{founded.year}.{founded.months[-1]:02d}.01）",
            )
            founded = None
        if founded and founded > today:
            row.fail("founded_on", f"{row.labels['founded_on']}{founded:%Y-%m-%d}晚于今天，不能填写将来的日期")
        row.values["founded_on"] = founded
    return row


# ------------------------------------------------------------------------------------- linking


def _link(rows: list[_Row], *, scope: Scope) -> None:
    """Attach existing organisations and parents; codes unique in the file and in the database."""
    by_code: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        if row.code:
            by_code[row.code].append(row)
    for code, same in by_code.items():
        if len(same) > 1:
            for row in same:
                others = "、".join(str(o.number) for o in same if o is not row)
                row.fail("code", f"组织代码“{code}”与第 {others} 行重复，组织代码必须唯一")
    wanted = set(by_code) | {r.parent_code for r in rows if r.parent_code}
    stored = {o.code: o for o in Organisation.objects.filter(code__in=wanted)}
    roots = list(Organisation.objects.filter(depth=1))
    parent_codes = _parent_codes([o for o in stored.values() if o.depth > 1])
    new_roots = [r for r in rows if not r.parent_code and r.code not in stored]
    for row in rows:
        existing = stored.get(row.code)
        if existing is not None:
            if not can_change_organisation(scope, existing):
                row.fail("code", f"组织代码“{row.code}”已被其他组织使用，组织代码必须唯一，请换一个代码")
                continue
            if existing.is_dissolved:
                row.fail("code", f"组织代码“{row.code}”对应的“{existing.name}”已撤销，不能再导入修改")
                continue
            row.existing = existing
        if row.parent_code and row.parent_code == row.code:
            row.fail("parent_code", "上级组织代码不能是本组织自己的代码")
            continue
        if not row.parent_code:
            _link_root(row, roots=roots, new_roots=new_roots, scope=scope)
            continue
        same = by_code.get(row.parent_code)
        if same:
            row.parent_row = same[0]
            row.parent_org = stored.get(row.parent_code)
        else:
            parent = stored.get(row.parent_code)
            if parent is None or not can_change_organisation(scope, parent):
                row.fail("parent_code", f"上级组织代码“{row.parent_code}”在文件和您管理的组织中都找不到，请核对")
                continue
            if parent.is_dissolved:
                row.fail("parent_code", f"上级组织“{parent.name}”已撤销，不能在其下导入组织")
                continue
            row.parent_org = parent
        if row.existing is not None and row.existing.depth > 1 and parent_codes.get(row.existing.pk) != row.parent_code:
            current = parent_codes.get(row.existing.pk, "")
            row.fail(
                "parent_code",
                f"“{row.existing.name}”现在的上级组织代码是“{current}”，导入不能移动组织；如需调整隶属关系，请在组织页面使用“移动”",
            )
        elif row.existing is not None and row.existing.depth == 1:
            row.fail("parent_code", f"“{row.existing.name}”是顶层组织，上级组织代码应留空")


def _link_root(row: _Row, *, roots: list[Organisation], new_roots: list[_Row], scope: Scope) -> None:
    if row.existing is not None:
        if row.existing.depth != 1:
            row.fail("parent_code", f"上级组织代码不能为空：“{row.existing.name}”不是顶层组织，请填写它的上级组织代码")
        return
    if roots:
        row.fail("parent_code", f"上级组织代码不能为空：平台已有顶层组织“{roots[0].name}”，只能有一个顶层组织，请填写上级组织代码")
    elif len(new_roots) > 1:
        others = "、".join(str(r.number) for r in new_roots if r is not row)
        row.fail("parent_code", f"与第 {others} 行都没有上级组织代码，平台只能有一个顶层组织（区委）")
    elif not scope.is_superuser:
        row.fail("parent_code", "只有系统管理员可以建立顶层组织（区委），请填写上级组织代码")


def _parent_codes(orgs: list[Organisation]) -> dict[int, str]:
    paths = {o.pk: o.path[: -Organisation.steplen] for o in orgs}
    codes = dict(Organisation.objects.filter(path__in=set(paths.values())).values_list("path", "code"))
    return {pk: codes.get(path, "") for pk, path in paths.items()}


def _find_cycles(rows: list[_Row]) -> None:
    """Rows whose parents, followed through the file, come back to themselves."""
    reported: set[int] = set()
    for start in rows:
        chain: list[_Row] = []
        seen: set[int] = set()
        node: _Row | None = start
        while node is not None and node.parent_org is None and id(node) not in seen:
            chain.append(node)
            seen.add(id(node))
            node = node.parent_row
        if node is None or node.parent_org is not None or id(node) in reported:
            continue
        loop = chain[chain.index(node) :]
        path = " → ".join(r.code for r in [*loop, loop[0]])
        for row in loop:
            if id(row) not in reported:
                reported.add(id(row))
                row.fail("parent_code", f"上级组织代码形成循环（{path}），请核对各行的上级组织代码")
                row.parent_row = None


def _kind_of(row: _Row | None, org: Organisation | None) -> str | None:
    if row is not None:
        return row.values.get("kind")
    return org.kind if org is not None else None


def _check_kind(row: _Row) -> None:
    """ORG-019 against the parent (as the file leaves it); a kind change must suit children and members."""
    kind = row.values.get("kind")
    if not kind or any(p.column == row.labels.get("parent_code") for p in row.problems):
        return  # no kind, or no usable parent: reported already
    parent_kind = _kind_of(row.parent_row, row.parent_org)
    if row.parent_code and not parent_kind:
        return  # the parent row's own kind is wrong, reported there
    try:
        rules.check_parent_kind(kind=kind, parent_kind=parent_kind if row.parent_code else None)
    except RuleViolation as exc:
        row.fail("kind", exc.message)
        return
    existing = row.existing
    if existing is None or existing.kind == kind:
        return
    from django.apps import apps

    if existing.kind in MEMBER_HOLDING_KINDS and kind not in MEMBER_HOLDING_KINDS:
        if apps.get_model("members", "Member").objects.filter(organisation=existing).exists():
            row.fail(
                "kind",
                f"“{existing.name}”现有党员，而{OrgKind(kind).label}不能直接管理党员组织关系，不能改为此类别；"
                f"请先办理党员组织关系转接或保留原类别（依据{rules.ORG_017.source}，ORG-017）",
            )
            return
    for child in Organisation.objects.get_children(existing):
        try:
            rules.check_parent_kind(kind=child.kind, parent_kind=kind)
        except RuleViolation as exc:
            row.fail("kind", f"下级组织“{child.name}”：{exc.message}")
            return


def _diff(row: _Row, *, has_sector: bool) -> None:
    existing = row.existing
    if existing is None:
        return
    for name in ("name", "kind", "founded_on", "sector"):
        if name not in row.values or (name == "sector" and not has_sector):
            continue
        if row.values[name] != getattr(existing, name):
            row.changed[name] = row.values[name]


def _summary(row: _Row, action: str) -> str:
    name, code = row.values.get("name"), row.code
    if action == CREATE:
        kind = OrgKind(row.values["kind"]).label
        parent = f"，上级{row.parent_code}" if row.parent_code else "，顶层组织"
        return f"{name}（{code}，{kind}{parent}）"
    if action == UPDATE:
        labels = "、".join(str(Organisation._meta.get_field(f).verbose_name) for f in row.changed)
        return f"{name}（{code}）：修改{labels}"
    return f"{name}（{code}）"


# ------------------------------------------------------------------------------------- writing


class _WriteRefused(Exception):
    def __init__(self, problem: ImportProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _creation_order(rows: list[_Row]) -> list[_Row]:
    """New rows, each after the row it hangs under (the file may list children first)."""
    ordered: list[_Row] = []
    placed: set[int] = set()

    def place(row: _Row) -> None:
        if id(row) in placed:
            return
        if row.parent_row is not None and row.parent_row.existing is None:
            place(row.parent_row)
        placed.add(id(row))
        ordered.append(row)

    for row in rows:
        if row.existing is None:
            place(row)
    return ordered


def _write(rows: list[_Row], *, actor: Any, filename: str, report: ImportReport, today: date, ip: str | None) -> None:
    comment = f"组织导入：{filename}"[:500]
    current: _Row | None = None
    try:
        with transaction.atomic():
            for current in rows:
                if current.existing is not None and current.changed:
                    update_organisation(
                        actor=actor, organisation_id=current.existing.pk, values=current.changed, comment=comment, today=today, ip=ip
                    )
            created: dict[int, Organisation] = {}
            for current in _creation_order(rows):
                parent = created.get(id(current.parent_row)) if current.parent_row is not None else None
                parent = parent or current.parent_org or (current.parent_row.existing if current.parent_row else None)
                values = {k: v for k, v in current.values.items() if v is not None}
                values.setdefault("sector", parent.sector if parent is not None else Sector.COMMUNITY)
                created[id(current)] = create_organisation(
                    actor=actor, parent_id=parent.pk if parent is not None else None, values=values, today=today, ip=ip
                )
            touched = [r.existing.path for r in rows if r.existing is not None and r.changed] + [o.path for o in created.values()]
            record_event(
                actor=actor,
                action=AuditAction.IMPORT,
                object_type="organisations.Organisation",
                object_repr=comment[:200],
                org_path=common_ancestor_path(touched, steplen=Organisation.steplen),
                reason=comment,
                detail={
                    "kind": "organisations",
                    "filename": filename[:200],
                    "rows": len(rows),
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                },
                ip=ip,
            )
    except RuleViolation as exc:  # a concurrent change since the check: nothing of this file stays
        number = current.number if current is not None else 0
        raise _WriteRefused(ImportProblem(number, "", f"{exc.message}（写入时发现，本次导入未写入任何数据）")) from exc
    except IntegrityError as exc:
        number = current.number if current is not None else 0
        raise _WriteRefused(ImportProblem(number, "", "写入时组织代码与其他操作冲突，本次导入未写入任何数据，请重新导入")) from exc


# ------------------------------------------------------------------------------------- template

TEMPLATE_SPECS = [
    ColumnSpec("序号", "general", 6),
    ColumnSpec("组织名称", "general", 30),
    ColumnSpec("组织代码", "text", 16),
    ColumnSpec("上级组织代码", "text", 16),
    ColumnSpec("组织类别", "general", 14),
    ColumnSpec("成立日期", "date", 12),
    ColumnSpec("领域", "general", 12),
]
TEMPLATE_NOTES: tuple[tuple[str, str], ...] = (
    ("说明", "第一个工作表即导入文件：每行一个组织；表头行不要改动，列的顺序可以调整；表头上方可以保留标题行。"),
    ("说明", "第2行为示例（序号写“示例”），导入时自动跳过，也可以删除。"),
    (
        "说明",
        "导入前先预览：有任何一处问题都不会写入，并列出每个问题的行号、列名和原因。同一文件可重复导入：按组织代码识别，只更新名称、类别、成立日期和领域，不会重复建立。",
    ),
    ("组织名称", "必填，写全称。"),
    ("组织代码", "必填，全区唯一，建议按上级代码逐级编排（如 D01-S01-C01）。"),
    (
        "上级组织代码",
        "必填（顶层区委留空）：可以是本文件中另一行的组织代码，也可以是系统中已有的、您管理范围内的组织代码；下级可以写在上级前面。导入不会移动已有组织。",
    ),
    (
        "组织类别",
        "必填，为下列之一："
        + "、".join(str(c.label) for c in OrgKind)
        + "（也可写党工委、网格支部、社区党总支、楼栋党小组等常见叫法）。须符合组织层级（ORG-019），如党小组只能设在党支部之下。",
    ),
    ("成立日期", "可不填；可写 2015-07-01、2015.07.01、2015年7月1日 或 Excel日期，须写到日，不能晚于今天。"),
    ("领域", "可不填（默认与上级相同）：" + "、".join(str(c.label) for c in Sector) + "。"),
)


def organisations_template_xlsx() -> bytes:
    """The downloadable organisation template: header, one example row, dropdowns, 填写说明."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "组织体系"
    sheet.append([spec.label for spec in TEMPLATE_SPECS])
    style_header(sheet, TEMPLATE_SPECS)
    example = [
        "示例",
        "某某社区党委",
        "D01-S01-C01",
        "D01-S01",
        str(OrgKind.COMMUNITY_COMMITTEE.label),
        date(2015, 7, 1),
        str(Sector.COMMUNITY.label),
    ]
    sheet.append([text_cell(sheet, v) if spec.kind == "text" else v for v, spec in zip(example, TEMPLATE_SPECS, strict=True)])
    sheet["F2"].number_format = "yyyy-mm-dd"
    for letter in ("C", "D"):
        sheet.column_dimensions[letter].number_format = "@"
    for letter, choices in (("E", OrgKind), ("G", Sector)):
        validation = DataValidation(type="list", formula1='"' + ",".join(str(c.label) for c in choices) + '"', allow_blank=True)
        validation.showErrorMessage = False  # the importer also reads the common variants
        sheet.add_data_validation(validation)
        validation.add(f"{letter}2:{letter}2000")
    notes = workbook.create_sheet("填写说明")
    notes.append(["项目", "填写要求"])
    for item, text in TEMPLATE_NOTES:
        notes.append([item, text])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 100
    notes["A1"].font = notes["B1"].font = HEADER_FONT
    return workbook_bytes(workbook)
