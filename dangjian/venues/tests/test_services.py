"""Booking rules (BASE-002 variants), base rules (BASE-001), transitions and recurring bookings."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from dangjian.core.rules import RuleViolation
from dangjian.notifications.models import Message
from dangjian.venues import services
from dangjian.venues.choices import BookingStatus, Repeat
from dangjian.venues.models import Booking, ClosedDate, SlotLoad

from .factories import NOW, START, at, book, make_activity, make_base

pytestmark = pytest.mark.django_db


@pytest.fixture
def base(world):
    return make_base(world.community_a1, capacity=20, keepers=(world.grace,))


@pytest.fixture
def activity(base):
    return make_activity(base, capacity=15)


def _refused(variant: str, func, *args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        func(*args, **kwargs)
    assert caught.value.rule is not None and caught.value.rule.key == f"BASE-002:{variant}", caught.value.message
    assert "BASE-002" in caught.value.message
    return caught.value


# --- one test per booking rule ------------------------------------------------------------------------


def test_BASE_002_headcount_must_be_at_least_one(world, base, activity):
    """BASE-002 headcount ≤ 0 is refused; nothing is written."""
    exc = _refused("headcount_positive", book, world.charlie, base, activity, world.branch_a1_1, headcount=0)
    assert "至少1人" in exc.message
    assert not Booking.objects.exists() and not SlotLoad.objects.exists()


def test_BASE_002_headcount_over_the_activity_capacity_is_refused(world, base, activity):
    """BASE-002: 16 people for an activity of at most 15 per group; exactly 15 passes."""
    _refused("activity_capacity", book, world.charlie, base, activity, world.branch_a1_1, headcount=16)
    assert book(world.charlie, base, activity, world.branch_a1_1, headcount=15).headcount == 15


def test_BASE_002_headcount_over_the_base_capacity_is_refused(world):
    """BASE-002: a base for 10 refuses 11 even when the activity row says more."""
    small = make_base(world.community_a1, capacity=10)
    activity = make_activity(small, capacity=10)
    activity.capacity = 30  # an old menu row the base shrank under
    activity.save()
    _refused("base_capacity", book, world.charlie, small, activity, world.branch_a1_1, headcount=11)


def test_BASE_002_a_past_time_is_refused(world, base, activity):
    """BASE-002: a start before now."""
    _refused("past_time", book, world.charlie, base, activity, world.branch_a1_1, start=NOW - timedelta(hours=1))


def test_BASE_002_notice_too_short_is_refused_and_exactly_enough_passes(world, base, activity):
    """BASE-002: 24 h notice — 23.5 h before fails, 24 h before passes."""
    _refused("notice_too_short", book, world.charlie, base, activity, world.branch_a1_1, start=NOW + timedelta(hours=23, minutes=30))
    assert book(world.charlie, base, activity, world.branch_a1_1, start=NOW + timedelta(hours=24)).pk


def test_BASE_002_notice_too_long_is_refused(world, base, activity):
    """BASE-002: at most 60 days ahead."""
    exc = _refused("notice_too_long", book, world.charlie, base, activity, world.branch_a1_1, start=at(70, 9))
    assert "最多可提前60天" in exc.message


def test_BASE_002_a_closed_date_is_refused(world, base, activity):
    """BASE-002: the base is closed that day."""
    ClosedDate.objects.create(base=base, day=START.date(), reason="设备检修")
    exc = _refused("closed_date", book, world.charlie, base, activity, world.branch_a1_1)
    assert "设备检修" in exc.message


def test_BASE_002_outside_opening_hours_is_refused(world, base, activity):
    """BASE-002: a 2-hour activity from 17:00 ends after closing at 18:00; 16:00 passes."""
    exc = _refused("outside_hours", book, world.charlie, base, activity, world.branch_a1_1, start=at(0, 17))
    assert "08:00–18:00" in exc.message
    assert book(world.charlie, base, activity, world.branch_a1_1, start=at(0, 16)).pk


def test_BASE_002_a_start_off_the_slot_grid_is_refused(world, base, activity):
    """BASE-002: 09:10 is not a 30-minute slot start."""
    _refused("slot_grid", book, world.charlie, base, activity, world.branch_a1_1, start=at(0, 9, 10))


def test_BASE_002_monthly_quota_per_organisation(world, base, activity):
    """BASE-002: quota 2 per month — the third booking in December is refused, January is fine."""
    base.monthly_quota = 2
    base.save()
    book(world.charlie, base, activity, world.branch_a1_1, start=at(0, 9))
    book(world.charlie, base, activity, world.branch_a1_1, start=at(1, 9))
    exc = _refused("monthly_quota", book, world.charlie, base, activity, world.branch_a1_1, start=at(2, 9))
    assert "2026年12月" in exc.message
    assert book(world.charlie, base, activity, world.branch_a1_1, start=at(30, 9)).pk
    # another branch has its own quota
    assert book(world.erin, base, activity, world.branch_a1_2, start=at(2, 9)).pk


def test_BASE_002_slot_full_when_places_run_out(world, base, activity):
    """BASE-002: 20 places; 15 booked, 6 more do not fit, 5 do; nothing half-reserved."""
    book(world.charlie, base, activity, world.branch_a1_1, headcount=15)
    exc = _refused("slot_full", book, world.erin, base, activity, world.branch_a1_2, headcount=6)
    assert "只剩5个名额" in exc.message
    assert set(SlotLoad.objects.values_list("booked", flat=True)) == {15}
    book(world.erin, base, activity, world.branch_a1_2, headcount=5)
    assert set(SlotLoad.objects.values_list("booked", flat=True)) == {20}


def test_BASE_002_overlapping_slots_share_the_capacity(world, base, activity):
    """BASE-002: a booking 10:00–12:00 overlaps 09:00–11:00 in the 10:00 and 10:30 units."""
    book(world.charlie, base, activity, world.branch_a1_1, headcount=15, start=at(0, 9))
    _refused("slot_full", book, world.erin, base, activity, world.branch_a1_2, headcount=6, start=at(0, 10))
    assert book(world.erin, base, activity, world.branch_a1_2, headcount=6, start=at(0, 11)).pk


def test_BASE_002_only_a_branch_books(world, base, activity):
    """BASE-002: one branch, one slot — a community committee cannot book."""
    _refused("branch", book, world.bob, base, activity, world.community_a1)


def test_BASE_002_an_inactive_base_or_activity_takes_no_bookings(world, base, activity):
    """BASE-002: closed for bookings."""
    activity.is_active = False
    activity.save()
    _refused("inactive", book, world.charlie, base, activity, world.branch_a1_1)


def test_slot_load_check_constraint_is_the_backstop(world, base, activity):
    """The CHECK constraint booked <= capacity stops any path that skips the lock and the conditional update."""
    # given a full slot
    book(world.charlie, base, activity, world.branch_a1_1, headcount=15)
    book(world.erin, base, activity, world.branch_a1_2, headcount=5)
    # when code adds places without the conditional update, then the database refuses
    with pytest.raises(IntegrityError), transaction.atomic():
        SlotLoad.objects.filter(base=base).update(booked=F("booked") + 1)


def test_a_double_click_makes_one_booking(world, base, activity):
    # given the same form submission twice
    first = book(world.charlie, base, activity, world.branch_a1_1, request_key="form-1")
    second = book(world.charlie, base, activity, world.branch_a1_1, request_key="form-1")
    # then one booking, one reservation
    assert first.pk == second.pk and second.replayed
    assert Booking.objects.count() == 1
    assert set(SlotLoad.objects.values_list("booked", flat=True)) == {5}


def test_a_base_without_approval_approves_at_once(world, activity, base):
    base.needs_approval = False
    base.save()
    booking = book(world.charlie, base, activity, world.branch_a1_1)
    assert booking.status == BookingStatus.APPROVED and booking.decided_at == NOW


# --- transitions ----------------------------------------------------------------------------------------


def test_keeper_approves_once_and_a_second_click_is_told_it_was_handled(world, base, activity):
    """BASE-002 state: the conditional update lets one decision through."""
    booking = book(world.charlie, base, activity, world.branch_a1_1)
    services.approve_booking(actor=world.grace, booking_id=booking.pk)
    exc = _refused("state", services.approve_booking, actor=world.grace, booking_id=booking.pk)
    assert "已通过" in exc.message
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED and booking.decided_by == world.grace


def test_BASE_002_decline_needs_a_reason_and_frees_the_places(world, base, activity):
    """BASE-002 decline_reason: a decline without a reason is refused; with one the places return."""
    booking = book(world.charlie, base, activity, world.branch_a1_1, headcount=15)
    _refused("decline_reason", services.decline_booking, actor=world.grace, booking_id=booking.pk, reason="  ")
    services.decline_booking(actor=world.grace, booking_id=booking.pk, reason="当天已安排上级检查")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.DECLINED and booking.decline_reason == "当天已安排上级检查"
    assert set(SlotLoad.objects.values_list("booked", flat=True)) == {0}


def test_BASE_002_cancel_until_the_cutoff_then_refused(world, base, activity):
    """BASE-002 cancel_cutoff: 12 h before the start is the last moment."""
    booking = book(world.charlie, base, activity, world.branch_a1_1)
    _refused("cancel_cutoff", services.cancel_booking, actor=world.charlie, booking_id=booking.pk, now=START - timedelta(hours=11))
    services.cancel_booking(actor=world.charlie, booking_id=booking.pk, now=START - timedelta(hours=12))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert set(SlotLoad.objects.values_list("booked", flat=True)) == {0}
    # a cancelled booking cannot be cancelled again
    _refused("state", services.cancel_booking, actor=world.charlie, booking_id=booking.pk, now=START - timedelta(days=1))


def test_BASE_002_check_in_needs_participants_and_the_window(world, base, activity):
    """BASE-002 participants_required / checkin_window: listed people, from 1 h before to 60 min after."""
    booking = book(world.charlie, base, activity, world.branch_a1_1, headcount=3)
    services.approve_booking(actor=world.grace, booking_id=booking.pk)
    _refused("participants_required", services.check_in, actor=world.grace, booking_id=booking.pk, now=START)
    services.set_participants(actor=world.charlie, booking_id=booking.pk, member_ids=[m.pk for m in world.a1_1_members[:2]], guest_count=1)
    _refused("checkin_window", services.check_in, actor=world.grace, booking_id=booking.pk, now=START + timedelta(minutes=61))
    _refused("checkin_window", services.check_in, actor=world.grace, booking_id=booking.pk, now=START - timedelta(minutes=61))
    services.check_in(actor=world.grace, booking_id=booking.pk, now=START + timedelta(minutes=60))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CHECKED_IN and booking.attended == 3


def test_BASE_002_participants_over_headcount_are_refused(world, base, activity):
    """BASE-002 participants_over_headcount, and members of another branch are refused."""
    booking = book(world.charlie, base, activity, world.branch_a1_1, headcount=2)
    _refused(
        "participants_over_headcount",
        services.set_participants,
        actor=world.charlie,
        booking_id=booking.pk,
        member_ids=[m.pk for m in world.a1_1_members[:3]],
    )
    with pytest.raises(RuleViolation, match="只能从"):
        services.set_participants(actor=world.charlie, booking_id=booking.pk, member_ids=[world.b1_1_members[0].pk])


def test_BASE_002_check_code_finds_only_the_base_bookings_of_the_day(world, base, activity):
    """BASE-002 check_code: a wrong code or another day is refused."""
    booking = book(world.charlie, base, activity, world.branch_a1_1)
    assert services.find_by_code(base=base, code=f" {booking.check_code.lower()} ", on=START.date()).pk == booking.pk
    _refused("check_code", services.find_by_code, base=base, code=booking.check_code, on=START.date() + timedelta(days=1))
    _refused("check_code", services.find_by_code, base=base, code="ZZZZZZ", on=START.date())


def test_BASE_002_no_show_after_the_check_in_window(world, base, activity):
    """BASE-002 no_show: approved and not checked in when the window closes → 未到场; pending untouched."""
    shown = book(world.charlie, base, activity, world.branch_a1_1)
    services.approve_booking(actor=world.grace, booking_id=shown.pk)
    waiting = book(world.erin, base, activity, world.branch_a1_2, start=at(0, 14))
    # the day before: nothing
    assert services.mark_no_shows(day=START.date() - timedelta(days=1), now=START)["no_shows"] == 0
    # at 09:59 on the day the window is still open
    assert services.mark_no_shows(day=START.date(), now=START + timedelta(minutes=59))["no_shows"] == 0
    result = services.mark_no_shows(day=START.date(), now=START + timedelta(hours=12))
    assert result["no_shows"] == 1
    shown.refresh_from_db()
    waiting.refresh_from_db()
    assert shown.status == BookingStatus.NO_SHOW and waiting.status == BookingStatus.PENDING
    # a rerun changes nothing
    assert services.mark_no_shows(day=START.date(), now=START + timedelta(hours=13))["no_shows"] == 0


def test_reminders_the_day_before_are_sent_once(world, base, activity):
    booking = book(world.charlie, base, activity, world.branch_a1_1)
    services.approve_booking(actor=world.grace, booking_id=booking.pk)
    first = services.send_reminders(day=START.date() - timedelta(days=1))
    again = services.send_reminders(day=START.date() - timedelta(days=1))
    assert first["bookings"] == 1 and first["messages"] >= 1
    reminders = Message.objects.filter(dedup_key__contains=f"venues:{booking.pk}:reminder")
    assert reminders.count() == first["messages"] == again["messages"]
    assert booking.check_code in reminders.first().body


def test_booker_and_keeper_get_notices(world, base, activity):
    booking = book(world.charlie, base, activity, world.branch_a1_1, send_notices=True)
    assert Message.objects.filter(recipient_user=world.grace, dedup_key__contains=f"venues:{booking.pk}:booked").exists()
    services.decline_booking(actor=world.grace, booking_id=booking.pk, reason="场地维修")
    declined = Message.objects.get(recipient_user=world.charlie, dedup_key__contains=f"venues:{booking.pk}:declined")
    assert "场地维修" in declined.body


# --- recurring ------------------------------------------------------------------------------------------


def test_recurring_booking_books_what_is_free_and_lists_the_rest_with_reasons(world, base, activity):
    # given a full slot on the second date and a closed third date
    book(world.erin, base, activity, world.branch_a1_2, start=at(14, 9), headcount=15)
    book(world.bob, base, activity, world.branch_a1_2, start=at(14, 9), headcount=5)
    ClosedDate.objects.create(base=base, day=at(28, 9).date(), reason="元旦假期")
    # when charlie books every second week for three months
    results = services.book_series(
        actor=world.charlie,
        base_id=base.pk,
        activity_id=activity.pk,
        organisation_id=world.branch_a1_1.pk,
        first_start=START,
        repeat=Repeat.FORTNIGHTLY,
        until=START.date() + timedelta(days=59),
        headcount=5,
        now=NOW,
        request_key="series-1",
    )
    # then five dates: booked, full, closed, booked, booked
    assert [r.starts_at.date() for r in results] == [START.date() + timedelta(days=14 * n) for n in range(5)]
    assert [r.booking is not None for r in results] == [True, False, False, True, True]
    assert results[1].rule == "BASE-002:slot_full" and "时段已满" in results[1].problem
    assert results[2].rule == "BASE-002:closed_date" and "元旦假期" in results[2].problem
    assert Booking.objects.filter(series_key="series-1").count() == 3
    # a resubmission books nothing twice
    again = services.book_series(
        actor=world.charlie,
        base_id=base.pk,
        activity_id=activity.pk,
        organisation_id=world.branch_a1_1.pk,
        first_start=START,
        repeat=Repeat.FORTNIGHTLY,
        until=START.date() + timedelta(days=59),
        headcount=5,
        now=NOW,
        request_key="series-1",
    )
    assert Booking.objects.filter(series_key="series-1").count() == 3
    assert [r.booking.pk for r in again if r.booking] == [r.booking.pk for r in results if r.booking]


def test_monthly_repeat_skips_months_without_the_date():
    first = at(0, 9).replace(day=31, month=1, year=2027)
    starts = services.occurrence_starts(first, Repeat.MONTHLY, date(2027, 5, 31))
    assert [s.date() for s in starts] == [date(2027, 1, 31), date(2027, 3, 31), date(2027, 5, 31)]


# --- BASE-001 -------------------------------------------------------------------------------------------


def test_BASE_001_base_capacity_must_be_positive(world):
    """BASE-001 capacity."""
    with pytest.raises(RuleViolation) as caught:
        services.register_base(actor=world.bob, location=world.community_a1, values={"name": "x", "capacity": 0})
    assert caught.value.rule.key == "BASE-001:capacity"


def test_BASE_001_activity_within_base_capacity_and_on_the_grid(world, base):
    """BASE-001 activity_capacity / activity_duration."""
    with pytest.raises(RuleViolation) as caught:
        services.save_activity(actor=world.grace, base_id=base.pk, values={"name": "参观", "duration_minutes": 60, "capacity": 21})
    assert caught.value.rule.key == "BASE-001:activity_capacity"
    with pytest.raises(RuleViolation) as caught:
        services.save_activity(actor=world.grace, base_id=base.pk, values={"name": "参观", "duration_minutes": 45, "capacity": 10})
    assert caught.value.rule.key == "BASE-001:activity_duration"
    assert services.save_activity(actor=world.grace, base_id=base.pk, values={"name": "参观", "duration_minutes": 90, "capacity": 20}).pk


def test_BASE_001_opening_hours_in_order_and_not_overlapping(world):
    """BASE-001 hours / hours_overlap."""
    base = make_base(world.community_a1)
    base.hours.all().delete()
    with pytest.raises(RuleViolation) as caught:
        services.add_opening_hours(actor=world.bob, base_id=base.pk, weekday=0, opens_at=time(12), closes_at=time(9))
    assert caught.value.rule.key == "BASE-001:hours"
    services.add_opening_hours(actor=world.bob, base_id=base.pk, weekday=0, opens_at=time(9), closes_at=time(12))
    with pytest.raises(RuleViolation) as caught:
        services.add_opening_hours(actor=world.bob, base_id=base.pk, weekday=0, opens_at=time(11), closes_at=time(14))
    assert caught.value.rule.key == "BASE-001:hours_overlap"
    assert services.add_opening_hours(actor=world.bob, base_id=base.pk, weekday=0, opens_at=time(14), closes_at=time(17)).pk


def test_BASE_001_capacity_cannot_drop_below_what_is_booked(world, base, activity):
    """BASE-001 capacity_below_booked: 12 booked in a future slot; 11 is refused, 15 applies to the loads."""
    activity.capacity = 10
    activity.save()
    book(world.charlie, base, activity, world.branch_a1_1, headcount=10)
    book(world.erin, base, activity, world.branch_a1_2, headcount=2)
    with pytest.raises(RuleViolation) as caught:
        services.update_base(actor=world.bob, base_id=base.pk, values={"capacity": 11})
    assert caught.value.rule.key == "BASE-001:capacity_below_booked"
    services.update_base(actor=world.bob, base_id=base.pk, values={"capacity": 15})
    assert set(SlotLoad.objects.values_list("capacity", flat=True)) == {15}
