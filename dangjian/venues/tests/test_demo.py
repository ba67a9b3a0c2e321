"""seed_demo creates bases and bookings in every state, once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from dangjian.venues.choices import BookingStatus
from dangjian.venues.models import Booking, OpenBase

pytestmark = pytest.mark.django_db


def test_seed_demo_shows_bases_and_bookings_and_a_second_run_adds_nothing():
    call_command("seed_demo", "--members", "300", "--force", stdout=io.StringIO(), stderr=io.StringIO())
    assert OpenBase.objects.count() == 3
    statuses = set(Booking.objects.values_list("status", flat=True))
    assert {
        BookingStatus.CHECKED_IN,
        BookingStatus.NO_SHOW,
        BookingStatus.DECLINED,
        BookingStatus.PENDING,
        BookingStatus.APPROVED,
    } <= statuses
    assert OpenBase.objects.filter(keepers__username="jidi").exists()
    bookings = Booking.objects.count()
    call_command("seed_demo", "--members", "300", "--force", stdout=io.StringIO(), stderr=io.StringIO())
    assert OpenBase.objects.count() == 3 and Booking.objects.count() == bookings
