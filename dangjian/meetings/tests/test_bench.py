"""The meetings benchmark paths run on a tiny world and agree with their SQL baselines (no time asserted)."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.core.benchkit import PathResult
from dangjian.meetings import bench
from dangjian.meetings.choices import AttendanceSource, MeetingKind, Presence
from dangjian.meetings.models import Attendance, Meeting
from dangjian.organisations.choices import OrgKind
from dangjian.organisations.tests.factories import make_org

from .factories import make_meeting


@pytest.mark.django_db
def test_measure_generates_a_year_once_and_matches_the_sql_baseline(world):
    # given a branch with a group
    make_org(world.branch_a1_1, "第一党小组", OrgKind.PARTY_GROUP)
    logs: list[str] = []
    # when measured
    results = bench.measure(repeat=1, today=date(2026, 3, 1), log=logs.append)
    # then both paths ran against the same rows as their baselines (same() raises otherwise)
    assert [r.id for r in results if isinstance(r, PathResult)] == ["M1", "M2"]
    m2 = results[1]
    assert isinstance(m2, PathResult) and m2.extra["rows"] > 0 and m2.baseline_ms is not None
    assert any("generated" in line for line in logs)
    # when a complete round of talks is added and it is measured again
    talk = make_meeting(world.branch_a1_1, kinds=(MeetingKind.TALK,), day=date(2025, 6, 1))
    for member in world.a1_1_members:
        Attendance.objects.create(meeting=talk, member=member, presence=Presence.PRESENT, source=AttendanceSource.MANUAL)
    count = Meeting.objects.count()
    again = bench.measure(repeat=1, today=date(2026, 3, 1), log=logs.append)
    # then the records are reused, and both sides count the talks (LIFE-008)
    assert Meeting.objects.count() == count and again[1].extra["records"] == "reused"
    sheet = bench.compute_sheet(world.district, bench.Period("year", 2025), today=date(2026, 3, 1), lecture_months=3)
    assert (world.branch_a1_1.pk, "talk", 1) in bench.done_rows(sheet)
    assert (world.branch_a1_1.pk, "talk", 1) in bench.baseline_rows(world.district, 2025, 3)
