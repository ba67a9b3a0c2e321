"""ORG rules as pure functions: term lengths (ORG-011), election shift (ORG-013), levels (ORG-019), ORG-017."""

from datetime import date

import pytest

from dangjian.core.rules import REGISTRY, RuleViolation
from dangjian.organisations import rules
from dangjian.organisations.choices import ALLOWED_PARENTS, MEMBER_HOLDING_KINDS, OrgKind, Sector

START = date(2024, 3, 15)


@pytest.mark.parametrize(
    ("kind", "sector", "years"),
    [
        (OrgKind.COMMUNITY_COMMITTEE, Sector.COMMUNITY, 5),
        (OrgKind.BASIC_COMMITTEE, Sector.SCHOOL, 5),  # basic committees: 5 whatever the field
        (OrgKind.GENERAL_BRANCH, Sector.COMMUNITY, 5),  # community 总支
        (OrgKind.GRID_BRANCH, Sector.COMMUNITY, 5),  # grid branches follow the community
        (OrgKind.BRANCH, Sector.COMMUNITY, 5),
        (OrgKind.BRANCH, Sector.SCHOOL, 3),  # other 总支 and branches: 3
        (OrgKind.GENERAL_BRANCH, Sector.SOE, 3),
        (OrgKind.JOINT_BRANCH, Sector.NON_PUBLIC_ENTERPRISE, 3),
        (OrgKind.PARTY_GROUP, Sector.COMMUNITY, None),  # groups have no term
        (OrgKind.STREET_WORKING_COMMITTEE, Sector.COMMUNITY, None),  # appointed, DOMAIN.md §11.3
    ],
)
def test_ORG_011_term_length_by_kind_and_field(kind, sector, years):
    # given a kind and field
    # then the term is 5 years for basic committees and community organisations, 3 for other branches
    assert rules.term_years(kind, sector) == years
    expected = date(START.year + years, START.month, START.day) if years else None
    assert rules.legal_term_end(kind=kind, sector=sector, started_on=START) == expected


def test_ORG_011_term_end_is_add_months_clamped_to_month_end():
    # given a term starting on 29 February
    # then 36 and 60 months later fall on 28 February (2027 and 2029 are common years)
    assert rules.legal_term_end(kind=OrgKind.BRANCH, sector=Sector.SCHOOL, started_on=date(2024, 2, 29)) == date(2027, 2, 28)
    assert rules.legal_term_end(kind=OrgKind.BRANCH, sector=Sector.COMMUNITY, started_on=date(2024, 2, 29)) == date(2029, 2, 28)


@pytest.mark.parametrize(
    ("ends_on", "allowed"),
    [
        (date(2029, 3, 15), True),  # the legal end (5 years)
        (date(2030, 3, 15), True),  # exactly one year late
        (date(2030, 3, 16), False),  # one day more
        (date(2028, 3, 15), True),  # exactly one year early
        (date(2028, 3, 14), False),  # one day more
    ],
)
def test_ORG_013_term_end_may_shift_by_at_most_one_year(ends_on, allowed):
    # given a community branch whose term started 2024-03-15 (legal end 2029-03-15)
    check = lambda: rules.check_term_end(kind=OrgKind.BRANCH, sector=Sector.COMMUNITY, started_on=START, ends_on=ends_on)  # noqa: E731
    # when a term end is checked
    # then within one year of the legal end it passes, beyond it is refused naming ORG-013
    if allowed:
        check()
    else:
        with pytest.raises(RuleViolation) as exc:
            check()
        assert exc.value.rule_id == "ORG-013"
        assert exc.value.field == "term_ends_on"
        assert str(ends_on) in exc.value.message and "2029-03-15" in exc.value.message


def test_ORG_013_is_not_applied_without_dates_or_to_kinds_without_a_term():
    rules.check_term_end(kind=OrgKind.BRANCH, sector=Sector.COMMUNITY, started_on=None, ends_on=date(2040, 1, 1))
    rules.check_term_end(kind=OrgKind.PARTY_GROUP, sector=Sector.COMMUNITY, started_on=START, ends_on=date(2040, 1, 1))


@pytest.mark.parametrize(
    ("kind", "parent_kind"),
    [
        (OrgKind.STREET_WORKING_COMMITTEE, OrgKind.DISTRICT_COMMITTEE),
        (OrgKind.COMMUNITY_COMMITTEE, OrgKind.STREET_WORKING_COMMITTEE),
        (OrgKind.GENERAL_BRANCH, OrgKind.COMMUNITY_COMMITTEE),
        (OrgKind.GRID_BRANCH, OrgKind.COMMUNITY_COMMITTEE),
        (OrgKind.GRID_BRANCH, OrgKind.GENERAL_BRANCH),
        (OrgKind.BUILDING_GROUP, OrgKind.GRID_BRANCH),
        (OrgKind.GRID_BRANCH, OrgKind.AREA_COMMITTEE),  # 004: 区域党委 → 网格支部 → 楼院小组
    ],
)
def test_ORG_019_levels_allowed(kind, parent_kind):
    rules.check_parent_kind(kind=kind, parent_kind=parent_kind)


@pytest.mark.parametrize(
    ("kind", "parent_kind"),
    [
        (OrgKind.COMMUNITY_COMMITTEE, OrgKind.GRID_BRANCH),  # upside down
        (OrgKind.BUILDING_GROUP, OrgKind.COMMUNITY_COMMITTEE),  # a group belongs to a branch
        (OrgKind.PARTY_GROUP, OrgKind.GENERAL_BRANCH),
        (OrgKind.BRANCH, OrgKind.BRANCH),
        (OrgKind.STREET_WORKING_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE),
        (OrgKind.DISTRICT_COMMITTEE, OrgKind.DISTRICT_COMMITTEE),
        (OrgKind.PARTY_GROUP, OrgKind.PARTY_GROUP),
    ],
)
def test_ORG_019_levels_refused_with_both_kinds_named(kind, parent_kind):
    with pytest.raises(RuleViolation) as exc:
        rules.check_parent_kind(kind=kind, parent_kind=parent_kind)
    assert exc.value.rule_id == "ORG-019"
    assert exc.value.field == "parent"
    assert OrgKind(kind).label in exc.value.message and OrgKind(parent_kind).label in exc.value.message


def test_ORG_019_only_the_district_committee_is_a_root():
    rules.check_parent_kind(kind=OrgKind.DISTRICT_COMMITTEE, parent_kind=None)
    with pytest.raises(RuleViolation, match="ORG-019"):
        rules.check_parent_kind(kind=OrgKind.BRANCH, parent_kind=None)


def test_ORG_019_every_kind_has_a_level():
    assert set(ALLOWED_PARENTS) == set(OrgKind.values)


@pytest.mark.parametrize("kind", [k for k in OrgKind if k not in MEMBER_HOLDING_KINDS])
def test_ORG_017_only_branch_kinds_hold_members(kind):
    with pytest.raises(RuleViolation) as exc:
        rules.check_holds_members(kind=kind, name="某组织")
    assert exc.value.rule_id == "ORG-017"
    assert f"“某组织”为{OrgKind(kind).label}" in exc.value.message


@pytest.mark.parametrize("kind", sorted(MEMBER_HOLDING_KINDS))
def test_ORG_017_branch_kinds_hold_members(kind):
    rules.check_holds_members(kind=kind, name="某支部")


def test_every_org_rule_is_in_the_catalogue_with_its_domain_id():
    for rule in (rules.ORG_001, rules.ORG_002, rules.ORG_004, rules.ORG_005, rules.ORG_009, rules.ORG_010, rules.ORG_011):
        assert REGISTRY[rule.id] is rule
    assert REGISTRY["ORG-014:overdue"] is rules.ORG_014_OVERDUE
    assert REGISTRY["ORG-021"] is rules.ORG_021
