"""Compliance per branch and period (LIFE-001..008), exemptions (LIFE-010), flowing members (LIFE-011),
period boundaries and a branch founded mid-period."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.meetings.choices import AttendanceSource, MeetingKind, MeetingStatus, Presence
from dangjian.meetings.compliance import Period, compute_sheet
from dangjian.meetings.models import Attendance, LifeSettings
from dangjian.meetings.services import lecture_months
from dangjian.members.tests.factories import make_member
from dangjian.organisations.choices import CommitteePost, OrgKind
from dangjian.organisations.models import CommitteeSeat
from dangjian.organisations.tests.factories import make_org

from .factories import make_meeting

pytestmark = pytest.mark.django_db
K = MeetingKind


def cell(world, period, kind, *, today, branch=None, months=3):
    branch = branch or world.branch_a1_1
    sheet = compute_sheet(branch, period, today=today, lecture_months=months)
    row = next(r for r in sheet.rows if r.id == branch.pk)
    return next(c for c in row.cells if c.kind == kind)


def statuses(c):
    return [b.status for b in c.blocks]


def test_LIFE_001_general_meeting_each_quarter_overdue_only_after_the_quarter_ends(world):
    """LIFE-001: 支部党员大会 once per quarter; flagged after the quarter's last day, not before."""
    # given a general meeting in Q1 2025 only
    make_meeting(world.branch_a1_1, kinds=(K.BRANCH_GENERAL_MEETING,), day=date(2025, 2, 10))
    # when the year is checked on the last day of Q2
    c = cell(world, Period("year", 2025), K.BRANCH_GENERAL_MEETING, today=date(2025, 6, 30))
    # then Q1 is done, Q2 still due on its last day, Q3/Q4 not yet due
    assert statuses(c) == ["done", "due", "future", "future"]
    assert c.rule.id == "LIFE-001"
    # and one day later Q2 is overdue, with a finding naming the rule and the quarter
    c = cell(world, Period("year", 2025), K.BRANCH_GENERAL_MEETING, today=date(2025, 7, 1))
    assert statuses(c)[:2] == ["done", "overdue"]
    assert "2025年第二季度" in c.blocks[1].message and "LIFE-001" in c.blocks[1].message


def test_LIFE_001_a_general_meeting_on_the_last_day_of_the_quarter_counts_for_that_quarter(world):
    """LIFE-001 boundary: 31 March belongs to Q1, 1 April to Q2."""
    make_meeting(world.branch_a1_1, kinds=(K.BRANCH_GENERAL_MEETING,), day=date(2025, 3, 31))
    make_meeting(world.branch_a1_1, kinds=(K.BRANCH_GENERAL_MEETING,), day=date(2025, 4, 1))
    c = cell(world, Period("year", 2025), K.BRANCH_GENERAL_MEETING, today=date(2025, 12, 31))
    assert statuses(c) == ["done", "done", "overdue", "due"]


def test_LIFE_002_committee_meeting_monthly_only_for_a_branch_with_a_committee(world):
    """LIFE-002: 支委会 monthly, only where the branch has a committee (≥3 current seats)."""
    # given no committee seats: not applicable
    c = cell(world, Period("month", 2025, 3), K.COMMITTEE_MEETING, today=date(2025, 4, 15))
    assert statuses(c) == ["na"] and c.note == "未设支部委员会"
    # given a committee of three
    for post in (CommitteePost.SECRETARY, CommitteePost.ORGANISATION_MEMBER, CommitteePost.PUBLICITY_MEMBER):
        CommitteeSeat.objects.create(organisation=world.branch_a1_1, post=post, person_name=f"委员{post}")
    make_meeting(world.branch_a1_1, kinds=(K.COMMITTEE_MEETING,), day=date(2025, 2, 28))
    # then February is done and March is overdue once April starts
    c = cell(world, Period("quarter", 2025, 1), K.COMMITTEE_MEETING, today=date(2025, 4, 1))
    assert statuses(c) == ["overdue", "done", "overdue"]
    assert c.rule.id == "LIFE-002"


def test_LIFE_003_group_meeting_is_checked_per_group(world):
    """LIFE-003: 党小组会 monthly for each group of the branch."""
    g1 = make_org(world.branch_a1_1, "第一党小组", OrgKind.PARTY_GROUP)
    g2 = make_org(world.branch_a1_1, "第二党小组", OrgKind.PARTY_GROUP)
    make_meeting(world.branch_a1_1, kinds=(K.GROUP_MEETING,), day=date(2025, 5, 6), group=g1)
    c = cell(world, Period("month", 2025, 5), K.GROUP_MEETING, today=date(2025, 6, 1))
    assert [(b.subject, b.status) for b in c.blocks] == [(g1.name, "done"), (g2.name, "overdue")]
    assert "第二党小组" in c.blocks[1].message and "LIFE-003" in c.blocks[1].message


def test_LIFE_003_no_group_means_not_applicable(world):
    """LIFE-003: a branch without groups has no 党小组会 requirement."""
    c = cell(world, Period("month", 2025, 5), K.GROUP_MEETING, today=date(2025, 6, 1))
    assert c.status == "na" and c.note == "未设党小组"


def test_LIFE_004_lecture_frequency_follows_the_district_setting(world):
    """LIFE-004: 党课 quarterly by default; a district setting of monthly makes each month due."""
    assert lecture_months() == 3
    make_meeting(world.branch_a1_1, kinds=(K.PARTY_LECTURE,), day=date(2025, 1, 20))
    c = cell(world, Period("quarter", 2025, 1), K.PARTY_LECTURE, today=date(2025, 4, 1), months=3)
    assert statuses(c) == ["done"]
    LifeSettings.objects.create(pk=1, lecture_months=1)
    assert lecture_months() == 1
    c = cell(world, Period("quarter", 2025, 1), K.PARTY_LECTURE, today=date(2025, 4, 1), months=lecture_months())
    assert statuses(c) == ["done", "overdue", "overdue"]
    assert "每月一次" in c.blocks[1].message


def test_LIFE_005_themed_day_monthly_and_month_end_boundary(world):
    """LIFE-005: 主题党日 monthly; the last day of the month is still in time."""
    make_meeting(world.branch_a1_1, kinds=(K.THEMED_DAY,), day=date(2025, 1, 31))
    assert statuses(cell(world, Period("month", 2025, 1), K.THEMED_DAY, today=date(2025, 1, 31))) == ["done"]
    # February without one: due on 28 Feb, overdue on 1 March
    assert statuses(cell(world, Period("month", 2025, 2), K.THEMED_DAY, today=date(2025, 2, 28))) == ["due"]
    assert statuses(cell(world, Period("month", 2025, 2), K.THEMED_DAY, today=date(2025, 3, 1))) == ["overdue"]


def test_LIFE_006_life_meeting_yearly_overdue_only_after_31_december(world):
    """LIFE-006: 组织生活会 at least yearly; due through 31 Dec, overdue from 1 Jan."""
    assert statuses(cell(world, Period("year", 2025), K.LIFE_MEETING, today=date(2025, 12, 31))) == ["due"]
    assert statuses(cell(world, Period("year", 2025), K.LIFE_MEETING, today=date(2026, 1, 1))) == ["overdue"]
    make_meeting(world.branch_a1_1, kinds=(K.LIFE_MEETING, K.MEMBER_APPRAISAL), day=date(2025, 12, 20))
    assert statuses(cell(world, Period("month", 2025, 3), K.LIFE_MEETING, today=date(2026, 1, 1))) == ["done"]


def test_LIFE_007_member_appraisal_yearly_and_one_record_may_count_for_two_kinds(world):
    """LIFE-007: 民主评议 yearly; a record listing 组织生活会 + 民主评议 counts for both."""
    make_meeting(world.branch_a1_1, kinds=(K.LIFE_MEETING, K.MEMBER_APPRAISAL), day=date(2025, 11, 20))
    assert cell(world, Period("year", 2025), K.MEMBER_APPRAISAL, today=date(2026, 1, 2)).status == "done"
    assert cell(world, Period("year", 2025), K.LIFE_MEETING, today=date(2026, 1, 2)).status == "done"
    assert cell(world, Period("year", 2024), K.MEMBER_APPRAISAL, today=date(2026, 1, 2)).rule.id == "LIFE-007"


def test_LIFE_008_talks_each_member_at_least_yearly(world):
    """LIFE-008: 谈心谈话 with every member each year; done only when all have been talked with."""
    talk = make_meeting(world.branch_a1_1, kinds=(K.TALK,), day=date(2025, 3, 3))
    for member in world.a1_1_members[:2]:
        Attendance.objects.create(meeting=talk, member=member, presence=Presence.PRESENT, source=AttendanceSource.MANUAL)
    c = cell(world, Period("year", 2025), K.TALK, today=date(2026, 1, 1))
    assert c.status == "overdue"
    assert "已与2名党员谈心谈话，应谈4名，尚有2名未谈" in c.blocks[0].message
    talk2 = make_meeting(world.branch_a1_1, kinds=(K.TALK,), day=date(2025, 9, 3))
    for member in world.a1_1_members[2:]:
        Attendance.objects.create(meeting=talk2, member=member, presence=Presence.PRESENT, source=AttendanceSource.MANUAL)
    assert cell(world, Period("year", 2025), K.TALK, today=date(2026, 1, 1)).status == "done"


def test_LIFE_010_exempt_members_are_out_of_the_talk_denominator_and_never_absent(world):
    """LIFE-010: an exempt member (年老) is not among those to talk with and never counted absent."""
    from dangjian.meetings.selectors import attendance_summary

    old = make_member(world.branch_a1_1, "老党员", is_exempt=True, exemption_reason="age")
    talk = make_meeting(world.branch_a1_1, kinds=(K.TALK,), day=date(2025, 3, 3))
    for member in world.a1_1_members:
        Attendance.objects.create(meeting=talk, member=member, presence=Presence.PRESENT)
    # then the talks are complete without the exempt member
    assert cell(world, Period("year", 2025), K.TALK, today=date(2026, 1, 1)).status == "done"
    # and absent from a meeting, the exempt member is not counted absent nor expected
    meeting = make_meeting(world.branch_a1_1, day=date(2025, 4, 4))
    Attendance.objects.create(meeting=meeting, member=old, presence=Presence.ABSENT, absence_reason="exempt")
    summary = attendance_summary(meeting)
    assert summary.absent == 0 and summary.not_counted == 1 and summary.expected == 4


def test_LIFE_011_flowing_members_are_never_counted_absent(world):
    """LIFE-011: a flowing member attending elsewhere is out of the denominator and not absent."""
    from dangjian.meetings.selectors import attendance_summary

    away = make_member(world.branch_a1_1, "外出党员", is_flowing=True, whereabouts="深圳")
    meeting = make_meeting(world.branch_a1_1, day=date(2025, 4, 4))
    Attendance.objects.create(meeting=meeting, member=away, presence=Presence.ABSENT, absence_reason="flowing")
    Attendance.objects.create(meeting=meeting, member=world.dave_member, presence=Presence.ABSENT, absence_reason="sick")
    summary = attendance_summary(meeting)
    assert summary.absent == 1 and summary.not_counted == 1
    # and talks (LIFE-008) do not wait for the flowing member
    talk = make_meeting(world.branch_a1_1, kinds=(K.TALK,), day=date(2025, 3, 3))
    for member in world.a1_1_members:
        Attendance.objects.create(meeting=talk, member=member, presence=Presence.PRESENT)
    assert cell(world, Period("year", 2025), K.TALK, today=date(2026, 1, 1)).status == "done"


def test_a_branch_founded_mid_period_is_not_overdue_for_periods_before_founding(world):
    """LIFE-005 / LIFE-001: founded 1 March requires March; founded 2 March does not (from April)."""
    on_first = make_org(world.community_a1, "三月一日成立支部", OrgKind.BRANCH, founded_on=date(2025, 3, 1))
    on_second = make_org(world.community_a1, "三月二日成立支部", OrgKind.BRANCH, founded_on=date(2025, 3, 2))
    today = date(2025, 7, 1)
    first = cell(world, Period("quarter", 2025, 1), K.THEMED_DAY, today=today, branch=on_first)
    second = cell(world, Period("quarter", 2025, 1), K.THEMED_DAY, today=today, branch=on_second)
    assert statuses(first) == ["na", "na", "overdue"]
    assert statuses(second) == ["na", "na", "na"]
    # the quarter containing the founding is not required; the next one is
    general = cell(world, Period("year", 2025), K.BRANCH_GENERAL_MEETING, today=today, branch=on_second)
    assert statuses(general)[:2] == ["na", "overdue"]


def test_drafts_and_returned_records_do_not_count(world):
    """LIFE-005: only records submitted for review (or reviewed) count as held."""
    make_meeting(world.branch_a1_1, day=date(2025, 5, 5), status=MeetingStatus.DRAFT)
    make_meeting(world.branch_a1_1, day=date(2025, 5, 6), status=MeetingStatus.RETURNED)
    assert cell(world, Period("month", 2025, 5), K.THEMED_DAY, today=date(2025, 6, 1)).status == "overdue"


def test_the_sheet_covers_every_branch_of_a_subtree_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    """LIFE-001..008: the street's sheet lists all its branches; queries do not grow with branches."""
    with django_assert_max_num_queries(8):
        sheet = compute_sheet(world.street_a, Period("year", 2025), today=date(2025, 12, 1), lecture_months=3)
    assert {r.name for r in sheet.rows} == {world.branch_a1_1.name, world.branch_a1_2.name}
    for n in range(5):
        make_org(world.community_a1, f"新支部{n}", OrgKind.BRANCH)
    with django_assert_max_num_queries(8):
        sheet = compute_sheet(world.street_a, Period("year", 2025), today=date(2025, 12, 1), lecture_months=3)
    assert len(sheet.rows) == 7


def test_LIFE_003_the_fast_counts_agree_with_the_blocks_for_every_kind_of_branch(world):
    """LIFE-001..008: the set-operation counts of a cell equal the counts of its blocks."""
    from collections import Counter

    g = make_org(world.branch_a1_1, "第一党小组", OrgKind.PARTY_GROUP)
    make_org(world.branch_a1_2, "新党小组", OrgKind.PARTY_GROUP, founded_on=date(2025, 6, 15))
    make_org(world.community_a1, "年中成立支部", OrgKind.BRANCH, founded_on=date(2025, 5, 20))
    for post in (CommitteePost.SECRETARY, CommitteePost.ORGANISATION_MEMBER, CommitteePost.PUBLICITY_MEMBER):
        CommitteeSeat.objects.create(organisation=world.branch_a1_1, post=post, person_name=f"委员{post}")
    make_meeting(world.branch_a1_1, kinds=(K.THEMED_DAY, K.BRANCH_GENERAL_MEETING, K.PARTY_LECTURE), day=date(2025, 2, 2))
    make_meeting(world.branch_a1_1, kinds=(K.GROUP_MEETING,), day=date(2025, 3, 3), group=g)
    make_meeting(world.branch_a1_1, kinds=(K.COMMITTEE_MEETING,), day=date(2025, 4, 4))
    make_meeting(world.branch_a1_2, kinds=(K.COMMITTEE_MEETING, K.LIFE_MEETING), day=date(2025, 7, 4))
    for period in (Period("year", 2025), Period("quarter", 2025, 2), Period("month", 2025, 7)):
        for lecture in (1, 3, 6):
            sheet = compute_sheet(world.district, period, today=date(2025, 8, 10), lecture_months=lecture)
            for row in sheet.rows:
                for c in row.cells:
                    if c._counts is None:
                        continue
                    fast = {k: c.count(k) for k in ("done", "overdue", "due", "future", "na") if c.count(k)}
                    assert fast == dict(Counter(b.status for b in c.blocks)), (row.name, c.kind, period, lecture)
