"""Visibility, free places per slot, linkable bookings and statistics (STAT-009)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dangjian.accounts.scopes import build_scope
from dangjian.venues import selectors, services
from dangjian.venues.choices import BookingStatus
from dangjian.venues.models import Booking

from .factories import NOW, START, at, book, make_activity, make_base

pytestmark = pytest.mark.django_db


@pytest.fixture
def bases(world):
    a = make_base(world.community_a1, name="甲侧基地", keepers=(world.grace,))
    b = make_base(world.community_b1, name="乙侧基地")
    district = make_base(world.district, name="区级基地")
    return {"a": a, "b": b, "district": district}


def test_bases_are_seen_where_they_are_open(world, bases):
    names = lambda user: set(selectors.bases_visible_to(build_scope(user)).values_list("name", flat=True))  # noqa: E731
    # charlie's branch lies under 甲一社区 and the district: both bases are open to him, 乙 is not
    assert names(world.charlie) == {"甲侧基地", "区级基地"}
    assert names(world.frank) == {"乙侧基地", "区级基地"}
    assert names(world.alice) == {"甲侧基地", "乙侧基地", "区级基地"}
    # the keeper sees the base she keeps
    assert "甲侧基地" in names(world.grace)
    assert set(selectors.bases_managed_by(build_scope(world.grace)).values_list("name", flat=True)) == {"甲侧基地"}


def test_day_slots_show_the_free_places_in_real_time(world, bases):
    base = bases["a"]
    activity = make_activity(base, minutes=60, capacity=20)
    book(world.charlie, base, activity, world.branch_a1_1, headcount=12, start=at(0, 10))
    slots = {s.label: s for s in selectors.day_slots(base, activity, START.date(), now=NOW)}
    assert slots["09:30–10:30"].free == 8 and slots["10:00–11:00"].free == 8
    assert slots["09:00–10:00"].free == 20 and slots["09:00–10:00"].bookable
    assert slots["17:00–18:00"].bookable and "17:30–18:30" not in slots
    # the same day seen from before the notice limit is not bookable
    early = selectors.day_slots(base, activity, NOW.date(), now=NOW)
    assert early and not any(s.bookable for s in early)


def test_linkable_bookings_are_the_branch_approved_ones_of_the_day(world, bases):
    base = bases["a"]
    activity = make_activity(base)
    approved = book(world.charlie, base, activity, world.branch_a1_1)
    services.approve_booking(actor=world.grace, booking_id=approved.pk)
    book(world.charlie, base, activity, world.branch_a1_1, start=at(0, 14))  # pending
    book(world.erin, base, activity, world.branch_a1_2)
    linkable = selectors.linkable_bookings(world.branch_a1_1, START.date())
    assert [b.pk for b in linkable] == [approved.pk]


def test_STAT_009_counts_bookings_not_withdrawn_before_the_decision(world, bases):
    """STAT-009: 受理…网上预约X批 = decided bookings, split approved/declined/no-show; withdrawals excluded."""
    base = bases["a"]
    base.monthly_quota = 0
    base.save()
    activity = make_activity(base, capacity=5)
    checked = book(world.charlie, base, activity, world.branch_a1_1, start=at(0, 8))
    no_show = book(world.charlie, base, activity, world.branch_a1_1, start=at(0, 10))
    declined = book(world.erin, base, activity, world.branch_a1_2, start=at(0, 12))
    withdrawn = book(world.erin, base, activity, world.branch_a1_2, start=at(0, 14))
    cancelled_after = book(world.charlie, base, activity, world.branch_a1_1, start=at(1, 8))
    book(world.charlie, base, activity, world.branch_a1_1, start=at(1, 10))  # still pending
    for booking in (checked, no_show, cancelled_after):
        services.approve_booking(actor=world.grace, booking_id=booking.pk)
    services.decline_booking(actor=world.grace, booking_id=declined.pk, reason="已满")
    services.cancel_booking(actor=world.erin, booking_id=withdrawn.pk, now=NOW)
    services.cancel_booking(actor=world.charlie, booking_id=cancelled_after.pk, now=NOW)
    services.set_participants(actor=world.charlie, booking_id=checked.pk, member_ids=[world.dave_member.pk])
    services.check_in(actor=world.grace, booking_id=checked.pk, now=at(0, 8))
    services.mark_no_shows(day=START.date(), now=at(0, 23))
    # outside the subtree: a booking in street B is never counted for street A
    other = make_activity(bases["b"])
    book(world.frank, bases["b"], other, world.branch_b1_1)
    # when
    stats = selectors.booking_statistics(world.street_a, START.date(), START.date() + timedelta(days=1))
    totals = stats["totals"]
    # then 4 accepted: 3 approved (1 checked in, 1 no-show, 1 cancelled later), 1 declined; withdrawn and pending aside
    assert (totals["count"], totals["approved"], totals["declined"], totals["no_show"], totals["checked_in"]) == (4, 3, 1, 1, 1)
    assert (totals["withdrawn"], totals["pending"]) == (1, 1)
    assert "受理开放式组织生活基地网上预约4批" in totals["line"] and "STAT-009" in totals["line"]
    rows = {r["organisation__name"]: r for r in stats["by_org"]}
    assert rows[world.branch_a1_1.name]["no_show_rate"] == "50%"
    assert world.branch_b1_1.name not in rows
    assert Booking.objects.get(pk=no_show.pk).status == BookingStatus.NO_SHOW
    # utilisation: base 甲侧 open 2 days × 10 h × 20 places; approved outcomes: 2 held bookings × 5 people × 2 h (the cancelled one gave its places back)
    util = {u["base"].name: u for u in stats["utilisation"]}
    assert util["甲侧基地"]["open_hours"] == 20.0 and util["甲侧基地"]["person_hours"] == 20.0
    assert util["甲侧基地"]["rate"] == "5.0%"
    assert "乙侧基地" not in util


def test_statistics_period_excludes_other_days(world, bases):
    base = bases["a"]
    activity = make_activity(base)
    booking = book(world.charlie, base, activity, world.branch_a1_1)
    services.approve_booking(actor=world.grace, booking_id=booking.pk)
    stats = selectors.booking_statistics(world.district, date(2027, 1, 1), date(2027, 1, 31))
    assert stats["totals"]["count"] == 0
