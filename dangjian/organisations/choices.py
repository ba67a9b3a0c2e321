"""Organisation kinds, sectors (领域), committee posts, as named in the DOMAIN.md glossary."""

from django.db import models


class OrgKind(models.TextChoices):
    DISTRICT_COMMITTEE = "district_committee", "区委"
    STREET_WORKING_COMMITTEE = "street_working_committee", "街道党工委"
    COMMUNITY_COMMITTEE = "community_committee", "社区党委"
    BASIC_COMMITTEE = "basic_committee", "基层党委"
    AREA_COMMITTEE = "area_committee", "区域党委"
    COMPREHENSIVE_COMMITTEE = "comprehensive_committee", "综合党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    GRID_BRANCH = "grid_branch", "网格党支部"
    JOINT_BRANCH = "joint_branch", "联合党支部"
    FUNCTIONAL_BRANCH = "functional_branch", "功能型党支部"
    PARTY_GROUP = "party_group", "党小组"
    BUILDING_GROUP = "building_group", "楼院党小组"


# ORG-017: only branch kinds hold 组织关系 (members).
MEMBER_HOLDING_KINDS = frozenset({OrgKind.BRANCH, OrgKind.GRID_BRANCH, OrgKind.JOINT_BRANCH, OrgKind.FUNCTIONAL_BRANCH})
GROUP_KINDS = frozenset({OrgKind.PARTY_GROUP, OrgKind.BUILDING_GROUP})
COMMITTEE_KINDS = frozenset(
    {
        OrgKind.DISTRICT_COMMITTEE,
        OrgKind.STREET_WORKING_COMMITTEE,
        OrgKind.COMMUNITY_COMMITTEE,
        OrgKind.BASIC_COMMITTEE,
        OrgKind.AREA_COMMITTEE,
        OrgKind.COMPREHENSIVE_COMMITTEE,
    }
)

# Which kinds may sit directly under which (ORG-019 levels, with the sector variants).
ALLOWED_PARENTS: dict[str, frozenset[str]] = {
    OrgKind.DISTRICT_COMMITTEE: frozenset(),
    OrgKind.STREET_WORKING_COMMITTEE: frozenset({OrgKind.DISTRICT_COMMITTEE}),
    OrgKind.COMMUNITY_COMMITTEE: frozenset({OrgKind.STREET_WORKING_COMMITTEE, OrgKind.DISTRICT_COMMITTEE}),
    OrgKind.BASIC_COMMITTEE: frozenset(COMMITTEE_KINDS),
    OrgKind.AREA_COMMITTEE: frozenset({OrgKind.DISTRICT_COMMITTEE, OrgKind.STREET_WORKING_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE}),
    OrgKind.COMPREHENSIVE_COMMITTEE: frozenset(COMMITTEE_KINDS),
    OrgKind.GENERAL_BRANCH: frozenset(COMMITTEE_KINDS),
    OrgKind.BRANCH: frozenset(COMMITTEE_KINDS | {OrgKind.GENERAL_BRANCH}),
    OrgKind.GRID_BRANCH: frozenset(COMMITTEE_KINDS | {OrgKind.GENERAL_BRANCH}),
    OrgKind.JOINT_BRANCH: frozenset(COMMITTEE_KINDS | {OrgKind.GENERAL_BRANCH}),
    OrgKind.FUNCTIONAL_BRANCH: frozenset(COMMITTEE_KINDS | {OrgKind.GENERAL_BRANCH}),
    OrgKind.PARTY_GROUP: frozenset(MEMBER_HOLDING_KINDS),
    OrgKind.BUILDING_GROUP: frozenset(MEMBER_HOLDING_KINDS),
}


class Sector(models.TextChoices):
    COMMUNITY = "community", "城市社区"
    ORGAN = "organ", "机关"
    PUBLIC_INSTITUTION = "public_institution", "事业单位"
    SCHOOL = "school", "学校"
    SOE = "soe", "国有企业"
    NON_PUBLIC_ENTERPRISE = "non_public_enterprise", "非公企业"
    SOCIAL_ORGANISATION = "social_organisation", "社会组织"
    MICRO_BUSINESS = "micro_business", "小个专"
    OFFICE_BUILDING = "office_building", "商务楼宇"
    PARK = "park", "园区"
    MARKET_AREA = "market_area", "商圈市场"
    OTHER = "other", "其他"


# 两新 sectors for 应建必建 (ORG-002)
TWO_NEW_SECTORS = frozenset({Sector.NON_PUBLIC_ENTERPRISE, Sector.SOCIAL_ORGANISATION, Sector.MICRO_BUSINESS})


class Affinity(models.TextChoices):
    IDEAL = "ideal", "志缘"
    INTEREST = "interest", "趣缘"
    PROFESSION = "profession", "业缘"
    NEIGHBOURHOOD = "neighbourhood", "地缘"


class CommitteePost(models.TextChoices):
    SECRETARY = "secretary", "书记"
    DEPUTY_SECRETARY = "deputy_secretary", "副书记"
    ORGANISATION_MEMBER = "organisation_member", "组织委员"
    PUBLICITY_MEMBER = "publicity_member", "宣传委员"
    DISCIPLINE_MEMBER = "discipline_member", "纪检委员"
    COMMITTEE_MEMBER = "committee_member", "委员"
    GROUP_LEADER = "group_leader", "党小组组长"
