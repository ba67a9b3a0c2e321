"""API request and response shapes for the member registry.

Responses carry the three L3 fields (公民身份号码, 联系电话, 家庭住址) masked only (PII-004); the plain
values exist in one response alone, ``POST /members/{id}/unmask``, which is audited (PII-001).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from ninja import Field, Schema
from pydantic import field_validator

from .choices import ETHNICITIES, Category, Education, ExemptionReason, Gender, MemberStatus, PartyRepLevel
from .selectors import FLAG_FILTERS, SORTS

MemberSort = Literal[tuple(SORTS)]  # type: ignore[valid-type]
MemberFlag = Literal[tuple(FLAG_FILTERS)]  # type: ignore[valid-type]
PiiField = Literal["id_number", "phone", "address"]


class MemberQuery(Schema):
    q: str = Field("", title="搜索", max_length=100, description="姓名包含该文字，或公民身份号码、联系电话完全相同")
    org_id: int | None = Field(None, title="所在组织", description="该组织及其全部下级组织的党员（组织 id）")
    status: MemberStatus | None = Field(None, title="党员状态")
    category: Category | None = Field(None, title="人员类别")
    gender: Gender | None = Field(None, title="性别")
    flags: list[MemberFlag] = Field(  # type: ignore[valid-type]
        [],
        title="标记",
        description="可重复：in_service 在职党员、flowing 流动党员、lost_contact 失联、party_rep 党代表、part_time_committee 兼职委员、exempt 不作硬性要求",
    )
    sort: MemberSort = Field("name", title="排序", description="name、join_date、birth_date、organisation，前加“-”为倒序")  # type: ignore[valid-type]


class OrganisationRef(Schema):
    id: int
    name: str
    code: str


class MemberRow(Schema):
    id: int
    name: str = Field(title="姓名")
    gender: str
    gender_label: str = Field(title="性别")
    birth_date: date = Field(title="出生日期")
    status: str
    status_label: str = Field(title="党员状态")
    category: str
    category_label: str = Field(title="人员类别")
    join_date: date = Field(title="入党日期")
    organisation: OrganisationRef = Field(title="所在党组织")
    id_number: str = Field(title="公民身份号码（脱敏）", description="如 110105********002X")
    phone: str = Field(title="联系电话（脱敏）", description="如 138****1234")
    address: str = Field(title="家庭住址（脱敏）", description="只保留到街道/社区")
    flags: list[str] = Field(title="标记")


class MemberPage(Schema):
    """One page of the member list (limit/offset) and the list's total."""

    items: list[MemberRow]
    count: int = Field(title="总数")


class MemberDetail(MemberRow):
    ethnicity: str = Field(title="民族")
    education: str
    education_label: str = Field(title="学历")
    full_date: date | None = Field(title="转正日期")
    group: OrganisationRef | None = Field(title="所在党小组")
    employer: str = Field(title="工作单位")
    post: str = Field(title="职务")
    is_in_service: bool = Field(title="在职党员")
    is_flowing: bool = Field(title="流动党员")
    whereabouts: str = Field(title="流动去向")
    lost_contact_since: date | None = Field(title="失联日期")
    is_party_rep: bool = Field(title="党代表")
    party_rep_level: str = Field(title="党代表级别")
    is_part_time_committee: bool = Field(title="兼职委员")
    is_exempt: bool = Field(title="不作硬性要求")
    exemption_reason: str = Field(title="不作硬性要求原因")
    exemption_approved_by: str = Field(title="批准人")
    exemption_since: date | None = Field(title="批准日期")
    note: str = Field(title="备注")
    can_unmask: bool = Field(title="可查看完整个人信息", description="调用者能否对该党员调用 unmask")


class _MemberFields(Schema):
    """Fields shared by create and patch; validators give Chinese reasons."""

    @field_validator("ethnicity", check_fields=False)
    @classmethod
    def known_ethnicity(cls, value: str | None) -> str | None:
        if value is None:
            return value
        value = value.strip()
        if value in ETHNICITIES:
            return value
        if f"{value}族" in ETHNICITIES:
            return f"{value}族"
        raise ValueError(f"“{value}”不是56个民族的名称之一，请按身份证上的写法填写（如“汉族”）")


class MemberCreate(_MemberFields):
    name: str = Field(title="姓名", min_length=1, max_length=50)
    id_number: str = Field(title="公民身份号码", min_length=1, max_length=30)
    organisation_id: int = Field(title="所在党支部", description="党支部 id，须在您的管理范围内")
    join_date: date = Field(title="入党日期")
    status: MemberStatus = Field(title="党员状态")
    gender: Gender | None = Field(None, title="性别", description="不填时按公民身份号码第17位确定")
    birth_date: date | None = Field(None, title="出生日期", description="不填时按公民身份号码确定")
    ethnicity: str = Field("汉族", title="民族", max_length=20)
    education: Education | None = Field(None, title="学历")
    category: Category | None = Field(None, title="人员类别")
    full_date: date | None = Field(None, title="转正日期")
    group_id: int | None = Field(None, title="所在党小组")
    phone: str = Field("", title="联系电话", max_length=30)
    address: str = Field("", title="家庭住址", max_length=200)
    employer: str = Field("", title="工作单位", max_length=120)
    post: str = Field("", title="职务", max_length=60)
    is_in_service: bool = Field(False, title="在职党员")
    is_flowing: bool = Field(False, title="流动党员")
    whereabouts: str = Field("", title="流动去向", max_length=200)
    lost_contact_since: date | None = Field(None, title="失联日期")
    is_party_rep: bool = Field(False, title="党代表")
    party_rep_level: PartyRepLevel | None = Field(None, title="党代表级别")
    is_part_time_committee: bool = Field(False, title="兼职委员")
    is_exempt: bool = Field(False, title="不作硬性要求")
    exemption_reason: ExemptionReason | None = Field(None, title="不作硬性要求原因")
    exemption_approved_by: str = Field("", title="批准人", max_length=50)
    exemption_since: date | None = Field(None, title="批准日期")
    note: str = Field("", title="备注", max_length=500)


class MemberPatch(_MemberFields):
    name: str | None = Field(None, title="姓名", min_length=1, max_length=50)
    id_number: str | None = Field(None, title="公民身份号码", min_length=1, max_length=30)
    organisation_id: int | None = Field(None, title="所在党支部")
    join_date: date | None = Field(None, title="入党日期")
    status: MemberStatus | None = Field(None, title="党员状态")
    gender: Gender | None = Field(None, title="性别")
    birth_date: date | None = Field(None, title="出生日期")
    ethnicity: str | None = Field(None, title="民族", max_length=20)
    education: Education | None = Field(None, title="学历")
    category: Category | None = Field(None, title="人员类别")
    full_date: date | None = Field(None, title="转正日期")
    group_id: int | None = Field(None, title="所在党小组")
    phone: str | None = Field(None, title="联系电话", max_length=30)
    address: str | None = Field(None, title="家庭住址", max_length=200)
    employer: str | None = Field(None, title="工作单位", max_length=120)
    post: str | None = Field(None, title="职务", max_length=60)
    is_in_service: bool | None = Field(None, title="在职党员")
    is_flowing: bool | None = Field(None, title="流动党员")
    whereabouts: str | None = Field(None, title="流动去向", max_length=200)
    lost_contact_since: date | None = Field(None, title="失联日期")
    is_party_rep: bool | None = Field(None, title="党代表")
    party_rep_level: PartyRepLevel | None = Field(None, title="党代表级别")
    is_part_time_committee: bool | None = Field(None, title="兼职委员")
    is_exempt: bool | None = Field(None, title="不作硬性要求")
    exemption_reason: ExemptionReason | None = Field(None, title="不作硬性要求原因")
    exemption_approved_by: str | None = Field(None, title="批准人", max_length=50)
    exemption_since: date | None = Field(None, title="批准日期")
    note: str | None = Field(None, title="备注", max_length=500)
    comment: str = Field("", title="修改说明", max_length=500)


class UnmaskIn(Schema):
    # optional in the schema so that scope (404) and role (403) are checked before the reason (422)
    reason: str = Field("", title="查看事由", max_length=500, description="必填，如“办理组织关系转接需核对身份”；写入审计日志")
    fields: list[PiiField] = Field(["id_number", "phone", "address"], title="要查看的字段")


class UnmaskOut(Schema):
    id: int
    id_number: str | None = Field(None, title="公民身份号码")
    phone: str | None = Field(None, title="联系电话")
    address: str | None = Field(None, title="家庭住址")
