"""Health of an organisation against the ORG rules: one test per rule ID, each with its boundary."""

from datetime import date, timedelta

import pytest

from dangjian.core.dates import add_months
from dangjian.organisations.choices import CommitteePost, OrgKind, Sector
from dangjian.organisations.health import health_findings, health_for_many, term_findings
from dangjian.organisations.models import CommitteeSeat, Organisation, Unit
from dangjian.organisations.tests.factories import make_org
from dangjian.organisations.tests.helpers import add_member

ON = date(2026, 11, 28)


@pytest.fixture
def community(db):
    district = make_org(None, "区委", OrgKind.DISTRICT_COMMITTEE)
    street = make_org(district, "街道党工委", OrgKind.STREET_WORKING_COMMITTEE)
    return make_org(street, "社区党委", OrgKind.COMMUNITY_COMMITTEE)


@pytest.fixture
def branch(community):
    return make_org(community, "第一网格党支部", OrgKind.GRID_BRANCH)


def _members(org, full=0, probationary=0, **extra):
    made = [add_member(org, status="full", **extra) for _ in range(full)]
    made += [add_member(org, status="probationary", join_date=date(2026, 3, 1), **extra) for _ in range(probationary)]
    return made


def _seat(org, post=CommitteePost.SECRETARY, name="某某"):
    return CommitteeSeat.objects.create(organisation=org, post=post, person_name=name, is_part_time=True, started_on=date(2024, 1, 1))


def _ids(findings):
    return [f.rule_id for f in findings]


def _only(findings, rule_id):
    found = [f for f in findings if f.rule_id == rule_id]
    assert len(found) == 1, _ids(findings)
    return found[0]


# --- ORG-001 --------------------------------------------------------------------------------------


def test_ORG_001_branch_with_2_full_members_is_flagged_probationary_members_not_counted(branch):
    # given a branch with 2 full and 5 probationary members, and a secretary
    _members(branch, full=2, probationary=5)
    _seat(branch)
    # when its health is checked
    finding = _only(health_findings(branch, on=ON), "ORG-001")
    # then ORG-001 flags it, counting only the 2 full members, and names the rule
    assert finding.severity == "flag"
    assert "正式党员2人，少于3人" in finding.message
    assert finding.message.endswith("ORG-001）")


def test_ORG_001_branch_with_exactly_3_full_members_is_not_flagged(branch):
    _members(branch, full=3)
    _seat(branch)
    assert "ORG-001" not in _ids(health_findings(branch, on=ON))


def test_ORG_001_applies_to_member_holding_kinds_only(community):
    _seat(community)
    assert "ORG-001" not in _ids(health_findings(community, on=ON))


# --- ORG-002 --------------------------------------------------------------------------------------


def _unit(community, sector=Sector.NON_PUBLIC_ENTERPRISE, party_org=None, name="某科技有限公司"):
    return Unit.objects.create(name=name, sector=sector, area_organisation=community, party_organisation=party_org)


def test_ORG_002_two_new_unit_with_3_full_members_and_no_party_org_is_flagged(community, branch):
    # given a 非公企业 in the community's area whose staff includes 3 full and 1 probationary member
    unit = _unit(community)
    _members(branch, full=3, probationary=1, work_unit=unit)
    # when the community's health is checked
    finding = _only(health_findings(community, on=ON), "ORG-002")
    # then 应建必建 is flagged, naming the unit and both counts
    assert "“某科技有限公司”有正式党员3人（党员共4人），尚未建立党组织" in finding.message
    assert "ORG-002" in finding.message
    # and the same finding shows from the district above (units in the area subtree)
    district = Organisation.objects.get(depth=1)
    assert "ORG-002" in _ids(health_findings(district, on=ON))


def test_ORG_002_two_new_unit_with_2_full_members_is_not_flagged(community, branch):
    unit = _unit(community)
    _members(branch, full=2, probationary=3, work_unit=unit)
    assert "ORG-002" not in _ids(health_findings(community, on=ON))


def test_ORG_002_unit_with_its_own_party_org_is_not_flagged(community, branch):
    own = make_org(community, "某科技有限公司党支部", OrgKind.BRANCH, sector=Sector.NON_PUBLIC_ENTERPRISE)
    unit = _unit(community, party_org=own)
    _members(branch, full=3, work_unit=unit)
    assert "ORG-002" not in _ids(health_findings(community, on=ON))


def test_ORG_002_unit_whose_party_org_was_dissolved_is_flagged_again(community, branch):
    own = make_org(community, "某科技有限公司党支部", OrgKind.BRANCH, sector=Sector.NON_PUBLIC_ENTERPRISE)
    Organisation.objects.filter(pk=own.pk).update(dissolved_on=date(2026, 1, 1))
    unit = _unit(community, party_org=own)
    _members(branch, full=3, work_unit=unit)
    assert "ORG-002" in _ids(health_findings(community, on=ON))


def test_ORG_002_units_outside_the_two_new_fields_are_not_counted(community, branch):
    unit = _unit(community, sector=Sector.SOE, name="某国企")
    _members(branch, full=5, work_unit=unit)
    assert "ORG-002" not in _ids(health_findings(community, on=ON))


# --- ORG-004 --------------------------------------------------------------------------------------


def _joint_branch_with_units(community, n):
    joint = make_org(community, "楼宇联合党支部", OrgKind.JOINT_BRANCH, sector=Sector.OFFICE_BUILDING)
    for i in range(n):
        _unit(community, party_org=joint, name=f"租户{i}")
    _members(joint, full=3)
    _seat(joint)
    return joint


def test_ORG_004_joint_branch_covering_6_units_is_warned(community):
    joint = _joint_branch_with_units(community, 6)
    finding = _only(health_findings(joint, on=ON), "ORG-004")
    assert finding.severity == "warn"
    assert "联合党支部覆盖6个单位，一般不超过5个" in finding.message and "ORG-004" in finding.message


def test_ORG_004_joint_branch_covering_5_units_is_not_warned(community):
    joint = _joint_branch_with_units(community, 5)
    assert health_findings(joint, on=ON) == []


# --- ORG-005 --------------------------------------------------------------------------------------


def test_ORG_005_branch_of_51_members_is_flagged_probationary_counted(branch):
    # given 45 full and 6 probationary members (51 in all)
    _members(branch, full=45, probationary=6)
    _seat(branch)
    for post in (CommitteePost.ORGANISATION_MEMBER, CommitteePost.PUBLICITY_MEMBER):
        _seat(branch, post=post)
    # then ORG-005 flags 超大支部 with the total
    finding = _only(health_findings(branch, on=ON), "ORG-005")
    assert "党员51人（含预备党员），超过50人" in finding.message and "ORG-005" in finding.message


def test_ORG_005_branch_of_50_members_is_not_flagged(branch):
    _members(branch, full=44, probationary=6)
    _seat(branch)
    assert "ORG-005" not in _ids(health_findings(branch, on=ON))


# --- ORG-009 --------------------------------------------------------------------------------------


def test_ORG_009_branch_of_7_full_members_with_fewer_than_3_seats_is_flagged(branch):
    # given 7 full members and a secretary plus one committee member
    _members(branch, full=7)
    _seat(branch)
    _seat(branch, post=CommitteePost.ORGANISATION_MEMBER)
    # then ORG-009 asks for a committee
    finding = _only(health_findings(branch, on=ON), "ORG-009")
    assert "正式党员7人（7人以上），应设立支部委员会（3至5人），现有委员2人" in finding.message
    assert "ORG-009" in finding.message


def test_ORG_009_branch_of_6_full_members_needs_no_committee(branch):
    _members(branch, full=6, probationary=3)
    _seat(branch)
    assert "ORG-009" not in _ids(health_findings(branch, on=ON))


def test_ORG_009_branch_of_7_full_members_with_3_seats_is_not_flagged(branch):
    _members(branch, full=7)
    for post in (CommitteePost.SECRETARY, CommitteePost.ORGANISATION_MEMBER, CommitteePost.PUBLICITY_MEMBER):
        _seat(branch, post=post)
    assert "ORG-009" not in _ids(health_findings(branch, on=ON))


def test_ORG_009_ended_seats_do_not_count(branch):
    _members(branch, full=7)
    _seat(branch)
    for post in (CommitteePost.ORGANISATION_MEMBER, CommitteePost.PUBLICITY_MEMBER):
        seat = _seat(branch, post=post)
        CommitteeSeat.objects.filter(pk=seat.pk).update(ended_on=date(2025, 1, 1))
    assert "ORG-009" in _ids(health_findings(branch, on=ON))


# --- ORG-010 --------------------------------------------------------------------------------------


def test_ORG_010_organisation_without_a_secretary_is_flagged(branch):
    _members(branch, full=3)
    finding = _only(health_findings(branch, on=ON), "ORG-010")
    assert finding.message.startswith("未配备书记") and "ORG-010" in finding.message


def test_ORG_010_organisation_with_a_secretary_is_not_flagged(branch):
    _members(branch, full=3)
    _seat(branch)
    assert health_findings(branch, on=ON) == []


def test_ORG_010_a_secretary_who_left_does_not_count(branch):
    _members(branch, full=3)
    seat = _seat(branch)
    CommitteeSeat.objects.filter(pk=seat.pk).update(ended_on=date(2026, 6, 30))
    assert "ORG-010" in _ids(health_findings(branch, on=ON))


def test_ORG_010_a_party_group_is_never_flagged(branch):
    group = make_org(branch, "1号楼党小组", OrgKind.BUILDING_GROUP)
    assert health_findings(group, on=ON) == []


def test_ORG_010_committees_need_a_secretary_too(community):
    assert _ids(health_findings(community, on=ON)) == ["ORG-010"]


# --- ORG-014 --------------------------------------------------------------------------------------


def _branch_with_term_end(branch, end):
    Organisation.objects.filter(pk=branch.pk).update(term_started_on=add_months(end, -60), term_ends_on=end)
    _members(branch, full=3)
    _seat(branch)
    return Organisation.objects.get(pk=branch.pk)


def test_ORG_014_term_ending_exactly_6_months_ahead_is_reminded(branch):
    # given a term ending on add_months(on, 6)
    org = _branch_with_term_end(branch, add_months(ON, 6))
    # then a reminder names the end date and the rule
    finding = _only(health_findings(org, on=ON), "ORG-014")
    assert finding.severity == "remind"
    assert "本届任期将于2027-05-28届满（不足6个月）" in finding.message and "ORG-014" in finding.message


def test_ORG_014_term_ending_one_day_after_6_months_is_not_reminded(branch):
    org = _branch_with_term_end(branch, add_months(ON, 6) + timedelta(days=1))
    assert health_findings(org, on=ON) == []


def test_ORG_014_term_ending_today_is_reminded_not_overdue(branch):
    org = _branch_with_term_end(branch, ON)
    finding = _only(health_findings(org, on=ON), "ORG-014")
    assert finding.severity == "remind"


def test_ORG_014_overdue_term_is_flagged_with_the_days(branch):
    # given a term that ended 10 days ago
    org = _branch_with_term_end(branch, ON - timedelta(days=10))
    # then it is flagged overdue with the number of days
    finding = _only(health_findings(org, on=ON), "ORG-014")
    assert finding.severity == "flag"
    assert "本届任期已于2026-11-18届满，已逾期10天未换届" in finding.message and "ORG-014" in finding.message


def test_ORG_014_groups_and_street_committees_have_no_term_findings(branch):
    group = make_org(branch, "党小组", OrgKind.PARTY_GROUP, term_ends_on=ON - timedelta(days=1))
    street = Organisation.objects.get(kind=OrgKind.STREET_WORKING_COMMITTEE)
    street.term_ends_on = ON - timedelta(days=1)
    assert term_findings(group, on=ON) == []
    assert term_findings(street, on=ON) == []


# --- all together ---------------------------------------------------------------------------------


def test_a_dissolved_organisation_has_no_findings(branch):
    Organisation.objects.filter(pk=branch.pk).update(dissolved_on=date(2026, 1, 1))
    assert health_findings(Organisation.objects.get(pk=branch.pk), on=ON) == []


def test_every_finding_names_its_rule_id_in_the_message(branch, community):
    # given a branch breaking several rules at once (1 full member, no secretary, overdue term)
    org = branch
    Organisation.objects.filter(pk=org.pk).update(term_ends_on=ON - timedelta(days=1))
    _members(org, full=1)
    findings = health_findings(Organisation.objects.get(pk=org.pk), on=ON)
    # then each finding's message ends with its basis and rule ID
    assert sorted(_ids(findings)) == ["ORG-001", "ORG-010", "ORG-014"]
    for finding in findings:
        assert finding.message.endswith(f"，{finding.rule_id}）")


def test_health_for_many_uses_a_constant_number_of_queries(community, django_assert_num_queries):
    # given 2 branches, then 8 branches, with members and seats
    branches = [make_org(community, f"支部{i}", OrgKind.GRID_BRANCH) for i in range(8)]
    for org in branches:
        _members(org, full=2)
        _seat(org)
    orgs = list(Organisation.objects.filter(pk__in=[b.pk for b in branches]))
    # when checked together
    with django_assert_num_queries(2):
        small = health_for_many(orgs[:2], on=ON)
    with django_assert_num_queries(2):
        large = health_for_many(orgs, on=ON)
    # then the number of queries does not grow with the rows, and every branch has its findings
    assert len(small) == 2 and len(large) == 8
    assert all(_ids(f) == ["ORG-001"] for f in large.values())
