"""Roster import (党员花名册导入): read the file, judge every row, preview, then write all rows or none.

The same rules as the member form (``rules.member_violations``) judge each row, plus what only a
file can get wrong: duplicate ID numbers in the file, ID numbers registered in another
organisation, unknown or ambiguous branch names, cells Excel has mangled. Nothing is written unless
every row passes; then all rows are written in one transaction with one history row per member and
one IMPORT audit event for the file.

Decisions (documented for secretaries in the template's 填写说明 sheet):
- Dates: real Excel dates, serial numbers, 20010701, 2001.07.01, 2001-7-1, 2001/7/1, 2001年7月1日.
  A date without its day (2001.7) is refused for 入党日期/转正日期 (the political birthday needs the
  day); for 出生日期 it is accepted when it agrees with the ID number, whose full date is used.
- ID numbers Excel stored as numbers (1.10105E+17) have lost their last digits: refused, with how
  to fix it. A leading apostrophe and spaces are ignored.
- A masked ID (110105********002X, as in a masked export) is matched by name + visible digits to a
  member of the organisation's subtree; masked phone/address cells keep the stored value.
- Columns missing from the file keep the stored values of existing members; a blank cell in a
  present column means “empty” (the roster is the record), except 民族 (blank keeps / 汉族 for new).
- 所在党支部 is resolved within ``org``'s subtree by 所在党支部代码 when present, else by exact name,
  else by a unique name ending; without the column, ``org`` itself must be a branch.
- A member found by ID in another branch is not moved: that is a 组织关系转接, refused here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from dangjian.audit.models import AuditAction
from dangjian.audit.services import record_event
from dangjian.core.bulk import insert_many
from dangjian.core.counting import bump_tables
from dangjian.core.excel import (
    CellError,
    Table,
    TableError,
    YearMonth,
    choice_lookup,
    clean_text,
    compact,
    parse_date,
    parse_yes_no,
    read_table,
)
from dangjian.core.idnumber import normalise_id_number, parse_id_number
from dangjian.core.importing import CREATE, UPDATE, ImportProblem, ImportReport
from dangjian.core.masking import MASK_CHAR, mask_id_number
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import Scope, path_range
from dangjian.organisations.choices import OrgKind
from dangjian.organisations.models import Organisation
from dangjian.organisations.rules import check_holds_members

from . import rules
from .choices import ETHNICITIES, Category, Education, ExemptionReason, Gender, MemberStatus, PartyRepLevel
from .models import Member, MemberEvent
from .permissions import can_manage_members
from .selectors import blind_lookup
from .services import MEMBER_FIELDS, normalise_values, snapshot

BATCH_SIZE = 500

# Column name -> every spelling rosters use. The first name is the one exports and the template write.
COLUMNS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "序"),
    "name": ("姓名", "党员姓名"),
    "gender": ("性别",),
    "ethnicity": ("民族",),
    "id_number": ("公民身份号码", "身份证号", "身份证号码", "身份证", "公民身份证号码", "公民身份证号", "身份证件号码", "证件号码"),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "出生时间"),
    "education": ("学历", "文化程度", "最高学历", "全日制学历"),
    "category": ("人员类别", "职业", "人员分类"),
    "join_date": ("入党日期", "入党时间", "入党年月", "加入党组织日期"),
    "full_date": ("转正日期", "转正时间", "转为正式党员日期"),
    "branch": ("所在党支部", "所在支部", "党支部", "所在党组织", "所属党支部", "所属支部", "支部名称"),
    "branch_code": ("所在党支部代码", "党支部代码", "支部代码", "所在党组织代码"),
    "status": ("党员状态", "党员类别", "人员状态", "党员身份"),
    "phone": ("联系电话", "手机", "手机号码", "手机号", "电话", "联系方式", "电话号码"),
    "employer_post": ("工作单位及职务", "单位及职务"),
    "employer": ("工作单位", "单位", "工作单位名称"),
    "post": ("职务",),
    "address": ("家庭住址", "现住址", "居住地址", "家庭地址", "住址", "现居住地", "现居住地址", "家庭现住址"),
    "is_flowing": ("是否流动党员", "流动党员"),
    "whereabouts": ("流动去向", "外出流向", "流动地点"),
    "is_in_service": ("是否在职党员", "在职党员"),
    "is_party_rep": ("是否党代表", "党代表"),
    "party_rep_level": ("党代表级别",),
    "is_part_time_committee": ("是否兼职委员", "兼职委员"),
    "lost_contact_since": ("失联日期", "失去联系日期"),
    "is_exempt": ("是否不作硬性要求", "不作硬性要求"),
    "exemption_reason": ("不作硬性要求原因",),
    "note": ("备注",),
}
REQUIRED = ("name", "id_number", "join_date", "status")
# a model field's problems are shown against this column (or, when absent, the next one listed)
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "organisation": ("branch_code", "branch"),
    "employer": ("employer", "employer_post"),
    "post": ("post", "employer_post"),
    "whereabouts": ("whereabouts", "is_flowing"),
    "exemption_reason": ("exemption_reason", "is_exempt"),
    "party_rep_level": ("party_rep_level", "is_party_rep"),
}
ALIASES = {alias: name for name, spellings in COLUMNS.items() for alias in spellings}
MAX_LENGTHS = {"name": 50, "employer": 120, "post": 60, "whereabouts": 200, "note": 500, "address": 300}
EXAMPLE_MARK = "示例"


GENDERS = choice_lookup(Gender, {"男性": Gender.MALE, "女性": Gender.FEMALE})
STATUSES = choice_lookup(MemberStatus, {"正式": MemberStatus.FULL, "预备": MemberStatus.PROBATIONARY})
EDUCATIONS = choice_lookup(
    Education,
    {
        **dict.fromkeys(("研究生", "硕士", "博士", "硕士研究生", "博士研究生", "研究生及以上", "硕士及以上"), Education.POSTGRADUATE),
        **dict.fromkeys(("本科", "大学", "大学本科", "本科学历", "学士"), Education.BACHELOR),
        **dict.fromkeys(("大专", "专科", "大学专科", "高职", "大专学历"), Education.JUNIOR_COLLEGE),
        **dict.fromkeys(("中专", "中技", "中等专科", "技校", "职高", "中职", "中专中技"), Education.SECONDARY_VOCATIONAL),
        **dict.fromkeys(("高中", "普高"), Education.HIGH_SCHOOL),
        **dict.fromkeys(("初中",), Education.JUNIOR_HIGH),
        **dict.fromkeys(("小学", "小学及以下", "文盲", "半文盲"), Education.PRIMARY),
    },
)
CATEGORIES = choice_lookup(
    Category,
    {
        "职工": Category.EMPLOYEE,
        "在职": Category.EMPLOYEE,
        "在职职工": Category.EMPLOYEE,
        "在岗": Category.EMPLOYEE,
        "企业职工": Category.EMPLOYEE,
        "农民": Category.FARMER,
        "专业技术": Category.PROFESSIONAL,
        "专技人员": Category.PROFESSIONAL,
        "企业管理人员": Category.MANAGER,
        "机关工作人员": Category.CIVIL_SERVANT,
        "公务员": Category.CIVIL_SERVANT,
        "党政机关人员": Category.CIVIL_SERVANT,
        "在校学生": Category.STUDENT,
        "离退休": Category.RETIRED,
        "退休": Category.RETIRED,
        "离休": Category.RETIRED,
        "退休人员": Category.RETIRED,
        "离退休干部": Category.RETIRED,
        "无业": Category.UNEMPLOYED,
        "失业": Category.UNEMPLOYED,
        "无固定职业人员": Category.UNEMPLOYED,
    },
)
ETHNICITY_NAMES = {**{e.removesuffix("族"): e for e in ETHNICITIES}, **{e: e for e in ETHNICITIES}}
REP_LEVELS = choice_lookup(
    PartyRepLevel,
    {
        **{k: PartyRepLevel.DISTRICT for k in ("区", "区级", "区党代会代表")},
        **{k: PartyRepLevel.CITY for k in ("市", "市级", "市党代会代表")},
        **{k: PartyRepLevel.PROVINCE for k in ("省", "省级", "省党代会代表")},
        **{k: PartyRepLevel.NATIONAL for k in ("全国", "全国级", "党的全国代表大会代表")},
    },
)
EXEMPTIONS = choice_lookup(
    ExemptionReason,
    {"高龄": ExemptionReason.AGE, "年龄大": ExemptionReason.AGE, "生病": ExemptionReason.ILLNESS, "疾病": ExemptionReason.ILLNESS},
)
CODED = {
    "gender": (GENDERS, "“男”或“女”"),
    "status": (STATUSES, "“正式党员”或“预备党员”（也可写“正式”“预备”）"),
    "education": (EDUCATIONS, "、".join(str(c.label) for c in Education)),
    "category": (CATEGORIES, "、".join(str(c.label) for c in Category)),
    "party_rep_level": (REP_LEVELS, "、".join(str(c.label) for c in PartyRepLevel)),
    "exemption_reason": (EXEMPTIONS, "、".join(str(c.label) for c in ExemptionReason)),
}
TEXT_FIELDS = ("whereabouts", "note")
FLAG_FIELDS = ("is_flowing", "is_in_service", "is_party_rep", "is_part_time_committee", "is_exempt")
DATE_FIELDS = ("join_date", "full_date", "lost_contact_since")
_MASKED_ID = re.compile(r"^(\d{6})\*+([\dX]{4})$")
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")


@dataclass(eq=False)
class _Row:
    """One roster row on its way through reading, matching and judging."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)  # model field -> value read from the file
    columns: dict[str, str] = field(default_factory=dict)  # model field -> header that supplied it
    bad: set[str] = field(default_factory=set)  # model fields whose cell could not be read
    keep: set[str] = field(default_factory=set)  # masked cells: keep what is stored
    problems: list[ImportProblem] = field(default_factory=list)
    masked_id: str = ""
    id_key: str = ""  # the plain normalised ID once known (file duplicates)
    branch: Organisation | None = None
    member: Member | None = None
    merged: dict[str, Any] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)

    def fail(self, column: str, message: str) -> None:
        self.problems.append(ImportProblem(self.number, column, message))


def import_roster(
    *,
    actor: Any,
    scope: Scope,
    org: Organisation,
    data: bytes,
    filename: str,
    dry_run: bool,
    today: date | None = None,
    ip: str | None = None,
) -> ImportReport:
    """Import a roster into ``org``'s subtree: every problem reported, all rows written or none."""
    today = today or date.today()
    report = ImportReport(dry_run=dry_run)
    if not can_manage_members(scope, org.path):
        raise RuleViolation(None, f"您没有管理“{org.name}”党员名册的权限，不能导入")
    if org.is_dissolved:
        report.errors.append(ImportProblem(0, "", f"“{org.name}”已撤销，不能导入党员"))
        return report
    try:
        table = read_table(
            data,
            filename,
            aliases=ALIASES,
            blank_ignores=("seq",),
            max_bytes=settings.IMPORT_MAX_BYTES,
            max_rows=settings.IMPORT_MAX_ROWS,
            what="党员名册",
        )
    except TableError as exc:
        report.errors.append(ImportProblem(0, "", exc.message))
        return report
    report.notes.extend(_table_notes(table))
    branches = _Branches(org)
    report.errors.extend(_file_problems(table, org))
    if report.errors:
        return report

    rows = [_read_row(table, number, values) for number, values in table.rows]
    skipped_examples = [r.number for r in rows if r.values.get("_example")]
    if skipped_examples:
        report.notes.append(f"第 {'、'.join(map(str, skipped_examples))} 行为模板示例行，已跳过")
    rows = [r for r in rows if not r.values.get("_example")]
    if not rows:
        report.errors.append(ImportProblem(table.header_row, "", "表头下面没有党员数据行，请在表头行下逐行填写党员信息后再导入"))
        return report
    for row in rows:
        _resolve_branch(row, branches)
    _match_members(rows, scope=scope, org=org)
    _mark_duplicates(rows)
    for row in rows:
        _judge(row, today=today)

    report.add_problems([p for row in rows for p in row.problems], column_order=table.column_order())
    if report.errors:
        return report

    for row in rows:
        action = report.action_for(is_new=row.member is None, changed=row.changed)
        report.add_plan(row.number, action, _summary(row, action))
    if dry_run:
        return report
    try:
        _write(rows, actor=actor, org=org, filename=filename, report=report, ip=ip)
    except IntegrityError:
        # another session registered one of these ID numbers between our check and our insert
        report.created = report.updated = report.unchanged = 0
        report.preview.clear()
        report.errors.append(
            ImportProblem(0, "", "写入时发现文件中的公民身份号码刚被其他操作登记，本次导入未写入任何数据，请重新导入以查看具体是哪一行")
        )
    return report


# ------------------------------------------------------------------------------------- the file


def _table_notes(table: Table) -> list[str]:
    notes = [message for _row, message in table.skipped]
    if table.unknown:
        notes.append("以下列未识别，已忽略：" + "、".join(table.unknown))
    duplicates = [cols for cols in table.columns.values() if len(cols) > 1]
    for cols in duplicates:
        notes.append("“" + "”“".join(c.label for c in cols) + f"”含义相同，每行取第一个非空的值（先取“{cols[0].label}”）")
    return notes


def _file_problems(table: Table, org: Organisation) -> list[ImportProblem]:
    problems = []
    for name in REQUIRED:
        if not table.has(name):
            spellings = COLUMNS[name]
            also = f"（也可写作{'、'.join(spellings[1:4])}）" if len(spellings) > 1 else ""
            problems.append(ImportProblem(table.header_row, spellings[0], f"缺少必需的“{spellings[0]}”列{also}，请在表头行添加该列"))
    if not table.has("branch") and not table.has("branch_code") and not org.holds_members:
        problems.append(
            ImportProblem(
                table.header_row,
                COLUMNS["branch"][0],
                f"文件中没有“所在党支部”列，而“{org.name}”是{OrgKind(org.kind).label}，不能直接管理党员；"
                "请添加“所在党支部”列，写明每位党员所在的党支部",
            )
        )
    return problems


# ------------------------------------------------------------------------------------- reading a row


def _read_row(table: Table, number: int, raw: tuple[Any, ...]) -> _Row:
    row = _Row(number)
    _seq_col, seq = table.cell(raw, "seq")
    if compact(seq).startswith(EXAMPLE_MARK):
        row.values["_example"] = True
        return row

    def take(name: str) -> tuple[str, Any]:
        col, value = table.cell(raw, name)
        return (col.label if col else COLUMNS[name][0]), value

    label, value = take("name")
    row.columns["name"] = label
    row.values["name"] = compact(value)
    _read_id(row, *take("id_number"))
    for name in ("gender", "status", "education", "category", "party_rep_level", "exemption_reason"):
        if table.has(name):
            _read_coded(row, name, *take(name))
    if table.has("ethnicity"):
        label, value = take("ethnicity")
        text = compact(value)
        if text:
            row.columns["ethnicity"] = label
            if text in ETHNICITY_NAMES:
                row.values["ethnicity"] = ETHNICITY_NAMES[text]
            else:
                row.bad.add("ethnicity")
                row.fail(label, f"{label}“{text}”不在56个民族名称中，请按身份证填写（如“汉族”或“汉”）")
    if table.has("birth_date"):
        _read_birth(row, table, *take("birth_date"))
    for name in DATE_FIELDS:
        if table.has(name):
            _read_date(row, table, name, *take(name))
    for name in FLAG_FIELDS:
        if table.has(name):
            label, value = take(name)
            row.columns[name] = label
            try:
                row.values[name] = parse_yes_no(value)
            except CellError as exc:
                row.bad.add(name)
                row.fail(label, f"{label}{exc.message}")
    for name in TEXT_FIELDS:
        if table.has(name):
            label, value = take(name)
            row.columns[name] = label
            row.values[name] = clean_text(value)
    if table.has("phone"):
        label, value = take("phone")
        row.columns["phone"] = label
        text = clean_text(value)
        if MASK_CHAR in text:
            row.keep.add("phone")
        else:
            row.values["phone"] = text
    if table.has("address"):
        label, value = take("address")
        row.columns["address"] = label
        text = clean_text(value)
        if MASK_CHAR in text:
            row.keep.add("address")
        else:
            row.values["address"] = text
    _read_employer(row, table, take)
    for name in ("branch", "branch_code"):
        if table.has(name):
            label, value = take(name)
            row.columns[name] = label
            row.values[f"_{name}"] = compact(value)
    for name, limit in MAX_LENGTHS.items():
        value = row.values.get(name)
        if isinstance(value, str) and len(value) > limit:
            row.bad.add(name)
            label = row.columns.get(name, name)
            row.fail(label, f"{label}有{len(value)}个字，超过{limit}个字的上限，请精简")
    return row


def _read_id(row: _Row, label: str, value: Any) -> None:
    row.columns["id_number"] = label
    if isinstance(value, int | float) and not isinstance(value, bool):
        row.bad.add("id_number")
        row.fail(
            label,
            f"{label}被Excel存成了数字（{value:.5E}），后几位已经丢失，无法还原；请把该列设置为“文本”格式，重新填写完整的18位号码后再导入",
        )
        return
    text = normalise_id_number(clean_text(value))
    if _SCIENTIFIC.match(text):
        row.bad.add("id_number")
        row.fail(label, f"{label}“{text}”是科学计数法形式，后几位已经丢失，无法还原；请在原表中把该列设为“文本”格式并重新填写完整号码")
        return
    if MASK_CHAR in text:
        if not _MASKED_ID.match(text):
            row.bad.add("id_number")
            row.fail(label, f"{label}“{text}”不是完整号码，也不是本平台导出的脱敏号码（如110105********002X），请填写完整的18位号码")
            return
        row.masked_id = text
        return
    row.values["id_number"] = text


def _read_coded(row: _Row, name: str, label: str, value: Any) -> None:
    mapping, allowed = CODED[name]
    text = compact(value)
    row.columns[name] = label
    if not text:
        if name not in ("gender",):
            row.values[name] = ""
        return
    if text in mapping:
        row.values[name] = mapping[text]
        return
    row.bad.add(name)
    row.fail(label, f"{label}“{clean_text(value)}”无法识别，应为{allowed}")


def _read_date(row: _Row, table: Table, name: str, label: str, value: Any) -> None:
    row.columns[name] = label
    try:
        parsed = parse_date(value, epoch=table.epoch)
    except CellError as exc:
        row.bad.add(name)
        row.fail(label, f"{label}{exc.message}")
        return
    if isinstance(parsed, YearMonth):
        row.bad.add(name)
        day = f"{parsed.year}.{parsed.months[-1]:02d}.01"
        row.fail(label, f"{label}“{parsed.text}”只有年月，请补全到日（如{day}），以便准确计算党龄和政治生日")
        return
    row.values[name] = parsed


def _read_birth(row: _Row, table: Table, label: str, value: Any) -> None:
    row.columns["birth_date"] = label
    try:
        parsed = parse_date(value, epoch=table.epoch)
    except CellError as exc:
        row.bad.add("birth_date")
        row.fail(label, f"{label}{exc.message}")
        return
    if isinstance(parsed, YearMonth):
        # 出生年月 is common; the ID number carries the day, so accept it when the two agree
        try:
            born = parse_id_number(row.values.get("id_number") or "").birth_date
        except ValueError:
            row.bad.add("birth_date")  # the ID problem (or the masked match) speaks for itself
            return
        if born.year == parsed.year and born.month in parsed.months:
            row.values["birth_date"] = born
            return
        row.bad.add("birth_date")
        row.fail(label, f"{label}“{parsed.text}”与公民身份号码中的出生日期{born:%Y-%m-%d}不一致（PII-006）")
        return
    row.values["birth_date"] = parsed


def _read_employer(row: _Row, table: Table, take: Any) -> None:
    if table.has("employer") or table.has("post"):
        for name in ("employer", "post"):
            if table.has(name):
                label, value = take(name)
                row.columns[name] = label
                row.values[name] = clean_text(value)
        return
    if table.has("employer_post"):
        label, value = take("employer_post")
        row.columns["employer"] = row.columns["post"] = label
        row.values["_employer_post"] = clean_text(value)


def split_employer_post(text: str) -> tuple[str, str]:
    """“区教育局 科员” → (区教育局, 科员): the post is what follows the last space or slash."""
    for separator in (" ", "/", "／", "|"):
        if separator in text:
            employer, _sep, post = text.rpartition(separator)
            if employer.strip() and post.strip():
                return employer.strip(), post.strip()
    return text, ""


# ------------------------------------------------------------------------------------- branches


class _Branches:
    """The organisations of ``org``'s subtree, by name and by code, for 所在党支部."""

    def __init__(self, org: Organisation) -> None:
        self.org = org
        self.orgs = list(Organisation.objects.filter(path__range=path_range(org.path)).order_by("path"))
        self.by_code = {o.code: o for o in self.orgs}
        self.by_name: dict[str, list[Organisation]] = defaultdict(list)
        for o in self.orgs:
            self.by_name[compact(o.name)].append(o)
        self.cache: dict[tuple[str, str], tuple[Organisation | None, str]] = {}

    def resolve(self, name: str, code: str) -> tuple[Organisation | None, str]:
        """(organisation, "") or (None, a Chinese reason)."""
        key = (name, code)
        if key not in self.cache:
            self.cache[key] = self._resolve(name, code)
        return self.cache[key]

    def _resolve(self, name: str, code: str) -> tuple[Organisation | None, str]:
        where = f"“{self.org.name}”及其下级组织"
        if code:
            found = self.by_code.get(code)
            if found is None:
                return None, f"组织代码“{code}”在{where}中不存在，请核对"
            return found, ""
        if not name:
            if self.org.holds_members:
                return self.org, ""
            return None, f"未填写所在党支部；“{self.org.name}”是{OrgKind(self.org.kind).label}，不能直接管理党员，请写明党支部名称"
        candidates = self.by_name.get(name) or [o for o in self.orgs if len(name) >= 2 and compact(o.name).endswith(name)]
        live = [o for o in candidates if not o.is_dissolved] or candidates
        if not live:
            return None, f"“{name}”在{where}中找不到，请核对党支部名称（须与系统中的组织名称一致）或改填所在党支部代码"
        if len(live) > 1:
            listed = "、".join(f"{o.name}（代码{o.code}）" for o in live[:5])
            return None, f"“{name}”对应{len(live)}个组织：{listed}，无法确定是哪一个；请写全称，或增加“所在党支部代码”列填写组织代码"
        return live[0], ""


def _resolve_branch(row: _Row, branches: _Branches) -> None:
    name, code = row.values.pop("_branch", ""), row.values.pop("_branch_code", "")
    column = row.columns.get("branch_code" if code else "branch") or COLUMNS["branch"][0]
    row.columns["organisation"] = column
    found, reason = branches.resolve(name, code)
    if found is None:
        row.bad.add("organisation")
        row.fail(column, reason)
        return
    if found.is_dissolved:
        row.bad.add("organisation")
        row.fail(column, f"“{found.name}”已于{found.dissolved_on:%Y-%m-%d}撤销，不能接收党员")
        return
    try:
        check_holds_members(kind=found.kind, name=found.name)
    except RuleViolation as exc:
        row.bad.add("organisation")
        row.fail(column, exc.message)
        return
    row.branch = found


# ------------------------------------------------------------------------------------- members


def _match_members(rows: list[_Row], *, scope: Scope, org: Organisation) -> None:
    """Find each row's existing member: by the ID's blind index, or by name + visible digits when masked."""
    digests: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        plain = row.values.get("id_number") or ""
        if len(plain) == 18:
            digest = blind_lookup("id_number", plain)
            if digest:
                digests[digest].append(row)
    keys = list(digests)
    for start in range(0, len(keys), BATCH_SIZE):
        chunk = keys[start : start + BATCH_SIZE]
        for holder in Member.objects.filter(id_number_hash__in=chunk).select_related("organisation"):
            for row in digests[holder.id_number_hash]:
                _attach_holder(row, holder, scope=scope, org=org)
    masked = [r for r in rows if r.masked_id]
    if masked:
        names = {r.values.get("name") for r in masked}
        candidates: dict[str, list[Member]] = defaultdict(list)
        qs = Member.objects.filter(organisation__path__range=path_range(org.path), name__in=names).select_related("organisation")
        for member in qs:
            candidates[member.name].append(member)
        for row in masked:
            _match_masked(row, candidates.get(row.values.get("name") or "", []), org=org)
    for row in rows:
        if row.values.get("id_number"):
            row.id_key = row.values["id_number"]


def _attach_holder(row: _Row, holder: Member, *, scope: Scope, org: Organisation) -> None:
    label = row.columns["id_number"]
    masked = mask_id_number(holder.id_number)
    inside = holder.organisation.path.startswith(org.path) and scope.covers_path(holder.organisation.path)
    if inside and (row.branch is None or row.branch.pk == holder.organisation_id):
        row.member = holder
        return
    if inside or can_manage_members(scope, holder.organisation.path):
        message = rules.unique_violation(id_number=holder.id_number, holder_name=holder.name, holder_org=holder.organisation.name).message
        row.fail(label, message + "；导入不能变更组织关系，如需转入请办理组织关系转接")
    else:
        row.fail(
            label,
            f"公民身份号码{masked}已在其他党组织登记，一人只能有一条党员记录（依据{rules.PII_006_UNIQUE.source}，PII-006）；"
            "如需转入，请联系原党组织办理组织关系转接",
        )
    row.bad.add("id_number")


def _match_masked(row: _Row, candidates: list[Member], *, org: Organisation) -> None:
    label = row.columns["id_number"]
    match = _MASKED_ID.match(row.masked_id)
    assert match is not None
    head, tail = match.group(1), match.group(2)
    found = [m for m in candidates if (m.id_number or "").startswith(head) and (m.id_number or "").endswith(tail)]
    born = row.values.get("birth_date")
    if len(found) > 1 and born:
        found = [m for m in found if m.birth_date == born] or found
    row.bad.add("id_number")
    name = row.values.get("name") or "（未填姓名）"
    if not found:
        row.fail(
            label,
            f"{label}“{row.masked_id}”是脱敏号码，在“{org.name}”及其下级组织中找不到姓名为{name}、号码前6位和后4位相符的党员；"
            "新登记的党员请填写完整的18位号码",
        )
        return
    if len(found) > 1:
        row.fail(
            label,
            f"{label}“{row.masked_id}”是脱敏号码，有{len(found)}名姓名为{name}且号码前6位和后4位相同的党员，无法确定是哪一位；请填写完整号码",
        )
        return
    member = found[0]
    if row.branch is not None and row.branch.pk != member.organisation_id:
        row.fail(
            label,
            f"{name}（{row.masked_id}）现属“{member.organisation.name}”，导入不能变更组织关系；如需调整请办理组织关系转接",
        )
        return
    row.bad.discard("id_number")
    row.member = member
    row.values["id_number"] = member.id_number


def _mark_duplicates(rows: list[_Row]) -> None:
    seen: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        key = row.id_key or (row.values.get("id_number") or "")
        if len(key) == 18:
            seen[key].append(row)
    for same in seen.values():
        if len(same) < 2:
            continue
        for row in same:
            others = "、".join(str(o.number) for o in same if o is not row)
            row.fail(
                row.columns["id_number"],
                f"与第 {others} 行的公民身份号码相同（{mask_id_number(row.id_key)}），同一人在名册中只能出现一次，请删除重复的行",
            )


# ------------------------------------------------------------------------------------- judging


@cache
def _defaults() -> dict[str, Any]:
    """A new member's values before the file speaks (the model's defaults: 汉族, blanks, 否)."""
    values = {}
    for name in MEMBER_FIELDS:
        model_field = Member._meta.get_field(name)
        values[name] = None if model_field.is_relation else model_field.get_default()
    return values


def _judge(row: _Row, *, today: date) -> None:
    """The row's final values (stored values where the file is silent) through the form's rules."""
    member = row.member
    current = {f: getattr(member, f) for f in MEMBER_FIELDS} if member else dict(_defaults())
    given = {k: v for k, v in row.values.items() if not k.startswith("_") and k in MEMBER_FIELDS and k not in row.keep}
    combined = row.values.get("_employer_post")
    if combined is not None:
        stored = compact((current.get("employer") or "") + (current.get("post") or ""))
        if not (member and compact(combined) == stored):
            given["employer"], given["post"] = split_employer_post(combined)
    for name in ("phone", "address"):
        if name in row.keep and member is None:
            row.bad.add(name)
            row.fail(row.columns[name], f"{row.columns[name]}是脱敏后的内容，新登记的党员请填写完整内容")
    merged = normalise_values({**current, **given})
    merged["organisation"] = row.branch or (member.organisation if member else None)
    if row.masked_id and member is None:
        merged["id_number"] = ""  # reported already: the masked number matched no one
    for violation in rules.member_violations(merged, today=today):
        target = violation.field or ""
        if target in row.bad or (target == "id_number" and row.masked_id and member is None):
            continue  # the cell's own problem is reported already
        row.fail(_column_for(row, target), violation.message)
    row.merged = merged
    if member is not None:
        row.changed = [f for f in MEMBER_FIELDS if _differs(f, merged, member)]


def _column_for(row: _Row, name: str) -> str:
    if name in row.columns:
        return row.columns[name]
    for alternative in FIELD_COLUMNS.get(name, ()):
        if alternative in row.columns:
            return row.columns[alternative]
    spellings = COLUMNS.get(FIELD_COLUMNS.get(name, (name,))[0])
    return spellings[0] if spellings else ""


def _differs(name: str, merged: dict[str, Any], member: Member) -> bool:
    if name in ("organisation", "group"):
        new = merged.get(name)
        return (new.pk if new is not None else None) != getattr(member, f"{name}_id")
    return merged.get(name) != getattr(member, name)


_GENDER_LABELS = {value: str(label) for value, label in Gender.choices}
_STATUS_LABELS = {value: str(label) for value, label in MemberStatus.choices}


def _summary(row: _Row, action: str) -> str:
    merged = row.merged
    who = f"{merged.get('name')}（{mask_id_number(merged.get('id_number'))}）"
    branch = merged["organisation"].name if merged.get("organisation") else ""
    if action == CREATE:
        gender = _GENDER_LABELS.get(merged.get("gender") or "", "")
        status = _STATUS_LABELS.get(merged.get("status") or "", "")
        return f"{who}，{gender}，{status}，入党日期{merged.get('join_date')}，{branch}"
    if action == UPDATE:
        labels = [str(Member._meta.get_field(f).verbose_name) for f in row.changed]
        return f"{who}：修改{'、'.join(labels)}"
    return who


# ------------------------------------------------------------------------------------- writing


def _write(rows: list[_Row], *, actor: Any, org: Organisation, filename: str, report: ImportReport, ip: str | None) -> None:
    """All rows in one transaction: updates saved one by one, new members in batches."""
    user = actor if getattr(actor, "pk", None) else None
    comment = f"名册导入：{filename}"[:500]
    with transaction.atomic():
        events: list[MemberEvent] = []
        for row in rows:
            member = row.member
            if member is None or not row.changed:
                continue
            before = snapshot(member)
            for name in MEMBER_FIELDS:
                setattr(member, name, row.merged[name])
            member.save()  # encrypts and re-computes the blind indexes, like update_member
            after = snapshot(member)
            keys = [k for k in after if before[k] != after[k]]
            events.append(
                MemberEvent(
                    member=member,
                    actor=user,
                    action=AuditAction.UPDATE,
                    before={k: before[k] for k in keys},
                    after={k: after[k] for k in keys},
                    comment=comment,
                )
            )
        fresh = [Member(**row.merged) for row in rows if row.member is None]
        # COPY on PostgreSQL, bulk_create elsewhere; pre_save of the blind-index and month-day fields runs either way
        insert_many(Member, fresh)
        bump_tables(Member._meta.db_table)  # bulk_create sends no post_save (core.counting)
        events.extend(
            MemberEvent(member=m, actor=user, action=AuditAction.CREATE, before=None, after=snapshot(m), comment=comment) for m in fresh
        )
        insert_many(MemberEvent, events)
        record_event(
            actor=actor,
            action=AuditAction.IMPORT,
            obj=org,
            org_path=org.path,
            reason=comment,
            detail={
                "kind": "members",
                "filename": filename[:200],
                "rows": len(rows),
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
            ip=ip,
        )
