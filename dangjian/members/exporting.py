"""Roster export (花名册导出) and the blank roster template: the columns the importer reads.

An export is masked by default (PII-004) and written to the audit log (PII-007). It re-imports
unchanged: masked ID numbers are matched back by name and visible digits, masked phones and
addresses keep what is stored, and an unmasked export (entitled roles, with a reason) carries the
plain values.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from dangjian.audit.models import AuditAction
from dangjian.audit.services import record_event
from dangjian.core.excel import HEADER_FONT, ColumnSpec, style_header, text_cell, workbook_bytes, write_xlsx
from dangjian.core.idnumber import make_id_number
from dangjian.core.masking import mask_address, mask_id_number, mask_phone
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import Scope, common_ancestor_path
from dangjian.organisations.models import Organisation

from .choices import ETHNICITIES, Category, Education, ExemptionReason, Gender, MemberStatus, PartyRepLevel
from .importing import COLUMNS
from .models import Member
from .permissions import can_unmask, can_view_registry
from .selectors import members_visible_to

# (column field, width, cell kind): the order of an export and of the template
_LAYOUT: tuple[tuple[str, float, str], ...] = (
    ("seq", 6, "general"),
    ("name", 10, "general"),
    ("gender", 6, "general"),
    ("ethnicity", 8, "general"),
    ("id_number", 21, "text"),
    ("birth_date", 12, "date"),
    ("education", 10, "general"),
    ("category", 14, "general"),
    ("join_date", 12, "date"),
    ("full_date", 12, "date"),
    ("branch", 26, "general"),
    ("branch_code", 14, "text"),
    ("status", 10, "general"),
    ("phone", 14, "text"),
    ("employer", 24, "general"),
    ("post", 12, "general"),
    ("address", 32, "general"),
    ("is_flowing", 8, "general"),
    ("whereabouts", 20, "general"),
    ("is_in_service", 8, "general"),
    ("is_party_rep", 8, "general"),
    ("party_rep_level", 12, "general"),
    ("is_part_time_committee", 8, "general"),
    ("lost_contact_since", 12, "date"),
    ("is_exempt", 10, "general"),
    ("exemption_reason", 10, "general"),
    ("note", 24, "general"),
)
EXPORT_FIELDS = [name for name, _width, _kind in _LAYOUT]
EXPORT_COLUMNS: list[str] = [COLUMNS[name][0] for name in EXPORT_FIELDS]
SPECS = [ColumnSpec(COLUMNS[name][0], kind, width) for name, width, kind in _LAYOUT]
SHEET_TITLE = "党员名册"
MIN_REASON = 2


def _yes(value: bool) -> str:
    return "是" if value else "否"


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else (value or "")


def member_row(member: Member, seq: int, *, unmasked: bool) -> list[Any]:
    """One member as an export row (masked unless ``unmasked``), in ``EXPORT_COLUMNS`` order."""
    org = member.organisation
    return [
        seq,
        member.name,
        _label(Gender, member.gender),
        member.ethnicity,
        member.id_number if unmasked else mask_id_number(member.id_number),
        member.birth_date,
        _label(Education, member.education),
        _label(Category, member.category),
        member.join_date,
        member.full_date,
        org.name,
        org.code,
        _label(MemberStatus, member.status),
        member.phone if unmasked else mask_phone(member.phone),
        member.employer,
        member.post,
        member.address if unmasked else mask_address(member.address),
        _yes(member.is_flowing),
        member.whereabouts,
        _yes(member.is_in_service),
        _yes(member.is_party_rep),
        _label(PartyRepLevel, member.party_rep_level),
        _yes(member.is_part_time_committee),
        member.lost_contact_since,
        _yes(member.is_exempt),
        _label(ExemptionReason, member.exemption_reason),
        member.note,
    ]


def export_members_xlsx(
    *, actor: Any, scope: Scope, members: QuerySet[Member], unmasked: bool = False, reason: str = "", ip: str | None = None
) -> bytes:
    """The members (limited to the caller's scope) as a roster workbook; one EXPORT audit event (PII-007).

    ``unmasked`` needs a stated reason and ``can_unmask`` for every row, else ``RuleViolation``.
    """
    if not can_view_registry(scope):
        raise RuleViolation(None, "您没有查看党员名册的权限，不能导出")
    reason = " ".join((reason or "").split())
    if unmasked and len(reason) < MIN_REASON:
        raise RuleViolation(None, "导出完整个人信息（不脱敏）须说明事由，如：报送上级组织部门核对党员信息", field="reason")
    qs = members.filter(pk__in=members_visible_to(scope).values("pk")).select_related("organisation")
    if not qs.query.order_by:
        qs = qs.order_by("organisation__path", "name", "pk")
    rows = list(qs)
    if unmasked:
        refused = [m for m in rows if not can_unmask(scope, m)]
        if refused:
            names = "、".join(m.name for m in refused[:5]) + ("等" if len(refused) > 5 else "")
            raise RuleViolation(
                None,
                f"您无权查看其中{len(refused)}名党员（{names}）的完整个人信息，不能导出不脱敏名册；请缩小范围或导出脱敏名册",
                field="unmasked",
            )
    content = write_xlsx(title=SHEET_TITLE, columns=SPECS, rows=_rows(rows, unmasked=unmasked))
    record_event(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="members.Member",
        object_repr=f"党员名册{len(rows)}人（{'未脱敏' if unmasked else '脱敏'}）",
        org_path=common_ancestor_path([m.organisation.path for m in rows], steplen=Organisation.steplen),
        reason=reason,
        detail={"count": len(rows), "unmasked": unmasked, "format": "xlsx", "member_ids": [m.pk for m in rows][:5000]},
        ip=ip,
    )
    return content


def _rows(members: list[Member], *, unmasked: bool) -> Iterator[list[Any]]:
    for seq, member in enumerate(members, start=1):
        yield member_row(member, seq, unmasked=unmasked)


# ------------------------------------------------------------------------------------- template


INSTRUCTIONS: tuple[tuple[str, str], ...] = (
    ("说明", "第一个工作表“党员名册”即导入文件：每行一名党员，表头行不要改动；列的顺序可以调整，不需要的选填列可以删除。"),
    ("说明", "第2行为示例（序号写“示例”），导入时会自动跳过，也可以直接删除。表头上方可以保留标题行。"),
    ("说明", "导入前先预览：系统逐行检查，有任何一处问题都不会写入，并列出每个问题所在的行号、列名和原因。"),
    ("说明", "同一名册可以重复导入：按公民身份号码识别已有党员，只更新有变化的内容，不会重复登记。"),
    ("说明", "文件中没有的列，已登记党员的对应信息保持不变；有该列但单元格留空，表示该项为空。"),
    ("姓名", "必填。"),
    ("性别", "男 或 女；可不填，按公民身份号码第17位自动判断。"),
    ("民族", "按身份证填写，如“汉族”（写“汉”也可以）；不填时新登记党员默认为汉族。"),
    ("公民身份号码", "必填，18位。请保持该列为“文本”格式，否则Excel会把号码变成1.10105E+17，后几位丢失且无法恢复。"),
    ("出生日期", "可不填，按公民身份号码自动计算；填写时须与号码一致。"),
    (
        "日期格式",
        "入党日期、转正日期等可写 2001-07-01、2001.07.01、2001/7/1、2001年7月1日 或 20010701，也可以是Excel日期。入党日期、转正日期须写到日。",
    ),
    ("入党日期", "必填，不能早于年满18周岁之日（DEV-001），不能晚于今天。"),
    ("转正日期", "正式党员填写，应在入党日期满1年之后（DEV-021）；预备党员不填。"),
    ("所在党支部", "填写党支部全称，须是导入组织及其下级中已有的党支部；有“所在党支部代码”时以代码为准。"),
    ("党员状态", "必填：正式党员 或 预备党员（也可写“正式”“预备”）。"),
    ("联系电话", "11位手机号，或带区号的固定电话。"),
    ("是否……", "是否流动党员、是否在职党员等：填“是”或“否”（√表示是，空白表示否）。流动党员须填写流动去向。"),
    ("脱敏内容", "本平台导出的脱敏名册可直接修改后导入：带*号的身份证号按姓名和可见数字匹配已有党员，带*号的电话、住址保持原值不变。"),
    ("学历（可选值）", "、".join(str(c.label) for c in Education) + "（也可写本科、大专、中专、硕士、博士等）"),
    ("人员类别（可选值）", "、".join(str(c.label) for c in Category)),
    ("党代表级别（可选值）", "、".join(str(c.label) for c in PartyRepLevel)),
    ("不作硬性要求原因（可选值）", "、".join(str(c.label) for c in ExemptionReason)),
    ("民族（可选值）", "、".join(ETHNICITIES)),
)
_EXAMPLE_BIRTH = date(1985, 3, 9)


def _example_row() -> list[Any]:
    values: dict[str, Any] = {
        "seq": "示例",
        "name": "张三",
        "gender": "男",
        "ethnicity": "汉族",
        "id_number": make_id_number("110105", _EXAMPLE_BIRTH, 13),
        "birth_date": _EXAMPLE_BIRTH,
        "education": "大学本科",
        "category": "在岗职工",
        "join_date": date(2010, 7, 1),
        "full_date": date(2011, 7, 1),
        "branch": "第一网格党支部",
        "branch_code": "",
        "status": "正式党员",
        "phone": "13812345678",
        "employer": "某某科技有限公司",
        "post": "职员",
        "address": "某某街道某某社区1号楼1单元101室",
        "is_flowing": "否",
        "is_in_service": "是",
        "is_party_rep": "否",
        "is_part_time_committee": "否",
        "is_exempt": "否",
        "note": "示例行，导入时自动跳过",
    }
    return [values.get(name, "") for name in EXPORT_FIELDS]


def roster_template_xlsx() -> bytes:
    """The downloadable template: header, one example row, dropdowns, and a 填写说明 sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append(EXPORT_COLUMNS)
    style_header(sheet, SPECS)
    example = _example_row()
    sheet.append([text_cell(sheet, v) if spec.kind == "text" and v else v for v, spec in zip(example, SPECS, strict=True)])
    for index, spec in enumerate(SPECS, start=1):
        cell = sheet.cell(row=2, column=index)
        if spec.kind == "date" and cell.value:
            cell.number_format = "yyyy-mm-dd"
        if spec.kind == "text":
            # typed ID numbers and phones stay text in every row a secretary fills in
            sheet.column_dimensions[cell.column_letter].number_format = "@"
    _dropdowns(sheet)
    notes = workbook.create_sheet("填写说明")
    notes.append(["项目", "填写要求"])
    for item, text in INSTRUCTIONS:
        notes.append([item, text])
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 100
    notes["A1"].font = notes["B1"].font = HEADER_FONT
    return workbook_bytes(workbook)


def _dropdowns(sheet: Any) -> None:
    lists: dict[str, Any] = {
        "gender": [str(c.label) for c in Gender],
        "status": [str(c.label) for c in MemberStatus],
        "education": [str(c.label) for c in Education],
        "category": [str(c.label) for c in Category],
        "party_rep_level": [str(c.label) for c in PartyRepLevel],
        "exemption_reason": [str(c.label) for c in ExemptionReason],
        **dict.fromkeys(("is_flowing", "is_in_service", "is_party_rep", "is_part_time_committee", "is_exempt"), ("是", "否")),
    }
    for name, allowed in lists.items():
        letter = sheet.cell(row=1, column=EXPORT_FIELDS.index(name) + 1).column_letter
        validation = DataValidation(type="list", formula1='"' + ",".join(allowed) + '"', allow_blank=True)
        validation.error = f"请从下拉列表中选择：{'、'.join(allowed)}"
        validation.errorTitle = COLUMNS[name][0]
        validation.showErrorMessage = False  # a warning, not a block: the importer reads variants too
        sheet.add_data_validation(validation)
        validation.add(f"{letter}2:{letter}2000")
