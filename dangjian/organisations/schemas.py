"""API request and response shapes for the organisation tree (Chinese titles feed the error messages)."""

from __future__ import annotations

from datetime import date

from ninja import Field, Schema

from .choices import Affinity, OrgKind, Sector


class OrganisationFilters(Schema):
    parent: int | None = Field(None, title="上级组织", description="只列出该组织的直属下级（组织 id）")
    kind: OrgKind | None = Field(None, title="组织类别")
    q: str = Field("", title="搜索", max_length=100, description="组织名称包含该文字，或组织代码完全相同")
    include_dissolved: bool = Field(False, title="含已撤销", description="是否包含已撤销的组织")


class OrganisationRef(Schema):
    id: int
    name: str
    code: str


class OrganisationRow(Schema):
    id: int
    name: str = Field(title="组织名称")
    code: str = Field(title="组织代码")
    kind: str = Field(title="组织类别代码")
    kind_label: str = Field(title="组织类别")
    sector: str = Field(title="领域代码")
    sector_label: str = Field(title="领域")
    depth: int = Field(title="层级", description="1 为区委")
    parent_id: int | None = Field(title="上级组织 id")
    parent_code: str = Field(title="上级组织代码")
    term_ends_on: date | None = Field(title="本届任期届满")
    dissolved_on: date | None = Field(title="撤销日期")
    member_total: int = Field(title="直属党员数")
    member_full: int = Field(title="直属正式党员数")


class FindingOut(Schema):
    rule: str = Field(title="规则编号", description="DOMAIN.md 中的规则编号，如 ORG-001")
    severity: str = Field(title="级别")
    message: str = Field(title="说明")


class SeatOut(Schema):
    id: int
    post: str = Field(title="职务代码")
    post_label: str = Field(title="职务")
    holder_name: str = Field(title="姓名")
    member_id: int | None = Field(title="党员 id", description="组织关系不在本平台的兼职委员为空")
    is_part_time: bool = Field(title="兼职委员")
    started_on: date | None = Field(title="任职日期")


class OrganisationDetail(Schema):
    id: int
    name: str = Field(title="组织名称")
    code: str = Field(title="组织代码")
    kind: str
    kind_label: str = Field(title="组织类别")
    sector: str
    sector_label: str = Field(title="领域")
    affinity: str
    affinity_label: str = Field(title="四缘类型")
    depth: int
    parent: OrganisationRef | None = Field(title="上级组织")
    founded_on: date | None = Field(title="成立日期")
    term_started_on: date | None = Field(title="本届任期开始")
    term_ends_on: date | None = Field(title="本届任期届满")
    grid_area: str = Field(title="网格范围")
    address: str = Field(title="办公地址")
    has_approval_authority: bool = Field(title="具有审批预备党员权限")
    dissolved_on: date | None = Field(title="撤销日期")
    holds_members: bool = Field(title="可管理党员组织关系", description="只有党支部类组织可以（ORG-017）")
    member_total: int = Field(title="直属党员数")
    member_full: int = Field(title="直属正式党员数")
    children: int = Field(title="直属下级组织数")
    committee: list[SeatOut] = Field(title="现任委员")
    health: list[FindingOut] = Field(title="健康检查", description="按 ORG 规则检查的发现，每条注明规则编号和原因")


class OrganisationCreate(Schema):
    parent_id: int = Field(title="上级组织", description="上级组织 id，须在您的管理范围内")
    name: str = Field(title="组织名称", min_length=1, max_length=120)
    code: str = Field(title="组织代码", min_length=1, max_length=40)
    kind: OrgKind = Field(title="组织类别")
    sector: Sector = Field(Sector.COMMUNITY, title="领域")
    affinity: Affinity | None = Field(None, title="四缘类型")
    founded_on: date | None = Field(None, title="成立日期")
    term_started_on: date | None = Field(None, title="本届任期开始")
    term_ends_on: date | None = Field(None, title="本届任期届满", description="不填时按 ORG-011 法定任期推算")
    grid_area: str = Field("", title="网格范围", max_length=200)
    address: str = Field("", title="办公地址", max_length=200)
    has_approval_authority: bool = Field(False, title="具有审批预备党员权限")


class OrganisationPatch(Schema):
    name: str | None = Field(None, title="组织名称", min_length=1, max_length=120)
    code: str | None = Field(None, title="组织代码", min_length=1, max_length=40)
    kind: OrgKind | None = Field(None, title="组织类别")
    sector: Sector | None = Field(None, title="领域")
    affinity: Affinity | None = Field(None, title="四缘类型")
    founded_on: date | None = Field(None, title="成立日期")
    term_started_on: date | None = Field(None, title="本届任期开始")
    term_ends_on: date | None = Field(None, title="本届任期届满")
    grid_area: str | None = Field(None, title="网格范围", max_length=200)
    address: str | None = Field(None, title="办公地址", max_length=200)
    has_approval_authority: bool | None = Field(None, title="具有审批预备党员权限")
    comment: str = Field("", title="修改说明", max_length=500)


class MoveIn(Schema):
    # optional in the schema so that scope (404) is checked before the value (422)
    parent_id: int | None = Field(None, title="新的上级组织", description="新的上级组织 id，须在您的管理范围内")
    comment: str = Field("", title="说明", max_length=500)


class DissolveIn(Schema):
    reason: str = Field("", title="撤销原因", max_length=500, description="如上级批复文号；必填")
    on: date | None = Field(None, title="撤销日期", description="默认今天")
