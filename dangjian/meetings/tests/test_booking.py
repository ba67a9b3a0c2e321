"""A record's place may be one of the branch's approved open-base bookings of the same day (LIFE-015)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core.rules import RuleViolation
from dangjian.meetings import services
from dangjian.meetings.models import Meeting
from dangjian.venues.models import Booking
from dangjian.venues.tests.factories import make_activity, make_base

from .factories import meeting_input

pytestmark = pytest.mark.django_db


def _booking(world, org, *, starts, status="approved", code="B0001"):
    base = make_base(world.community_a1, name="和平里红色教育基地")
    activity = make_activity(base)
    return Booking.objects.create(
        organisation=org,
        base=base,
        activity=activity,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        headcount=8,
        status=status,
        contact_name="查理",
        booked_by=world.charlie,
        check_code=code,
    )


def test_LIFE_015_a_record_takes_the_branchs_approved_booking_of_the_same_day_as_its_place(world, login):
    """LIFE-015: place from an approved base booking; another branch's or another day's is refused."""
    values = meeting_input(place="")
    booking = _booking(world, world.branch_a1_1, starts=values.starts_at)
    meeting = services.create_meeting(actor=world.charlie, branch=world.branch_a1_1, values=meeting_input(place="", booking_id=booking.pk))
    assert meeting.booking == booking and meeting.place == "和平里红色教育基地"
    # the same booking cannot serve a second record
    with pytest.raises(RuleViolation):
        services.create_meeting(actor=world.charlie, branch=world.branch_a1_1, values=meeting_input(booking_id=booking.pk))
    # another day's booking is refused with the date named
    other_day = _booking(world, world.branch_a1_1, starts=values.starts_at - timedelta(days=3), code="B0002")
    with pytest.raises(RuleViolation) as refused:
        services.create_meeting(actor=world.charlie, branch=world.branch_a1_1, values=meeting_input(booking_id=other_day.pk))
    assert "与会议日期不一致" in refused.value.message
    # a pending booking or another branch's booking is not offered
    pending = _booking(world, world.branch_a1_1, starts=values.starts_at, status="pending", code="B0003")
    theirs = _booking(world, world.branch_a1_2, starts=values.starts_at, code="B0004")
    offered = set(services.booking_choices(world.branch_a1_1).values_list("pk", flat=True))
    assert offered == {other_day.pk} and pending.pk not in offered and theirs.pk not in offered
    # the form lists the free approved bookings
    page = login(world.charlie).get(reverse("meetings:create")).content.decode()
    assert "和平里红色教育基地" in page
    assert Meeting.objects.count() == 1
    assert timezone.localtime(meeting.starts_at).date() == timezone.localtime(booking.starts_at).date()
