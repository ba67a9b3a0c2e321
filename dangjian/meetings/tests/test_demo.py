"""seed_demo creates meeting records in every state for the demo district, once."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command

from dangjian.meetings.choices import MeetingStatus
from dangjian.meetings.compliance import Period, compute_sheet
from dangjian.meetings.models import Attendance, Meeting, SuperiorRead
from dangjian.organisations.models import Organisation

TODAY = date(2026, 11, 28)


@pytest.mark.django_db
def test_seed_demo_creates_records_in_every_state_and_a_second_run_adds_nothing():
    # when the demo district is seeded
    out = io.StringIO()
    call_command("seed_demo", members=300, today=TODAY, force=True, stdout=out)
    # then there are records in each state, attendance and 调阅 reads (LIFE-016)
    statuses = set(Meeting.objects.values_list("status", flat=True))
    assert {MeetingStatus.APPROVED, MeetingStatus.SUBMITTED, MeetingStatus.RETURNED, MeetingStatus.DRAFT} <= statuses
    assert Attendance.objects.exists() and SuperiorRead.objects.exists()
    assert Meeting.objects.filter(organisation__role_grants__user__username="shuji", starts_at__date__gt=TODAY).exists()
    # and the compliance sheet of the district shows done and overdue items
    root = Organisation.objects.get(code="D01")
    sheet = compute_sheet(root, Period("year", 2026), today=TODAY, lecture_months=3)
    blocks = [b.status for r in sheet.rows for c in r.cells for b in c.blocks]
    assert blocks.count("done") > blocks.count("overdue") > 0
    count = Meeting.objects.count()
    # when seeded again, nothing is added
    call_command("seed_demo", members=300, today=TODAY, force=True, stdout=io.StringIO())
    assert Meeting.objects.count() == count
