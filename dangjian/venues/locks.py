"""Row locks of this app, always in the same order: the base before its bookings (STYLE.md §1).

Lock the base row first: ``select_for_update`` on the overlap query locks nothing while no booking
of the slot exists yet, so two transactions would both see free places (STACK.md §5: 4 of 8 booked
on PostgreSQL). On SQLite every transaction is IMMEDIATE, which serialises writers already, and
``select_for_update`` is a no-op.
"""

from __future__ import annotations

from .models import Booking, OpenBase


def lock_base(base_id: int) -> OpenBase:
    """The base row, locked until the end of the transaction (raises OpenBase.DoesNotExist)."""
    return OpenBase.objects.select_for_update().get(pk=base_id)


def lock_booking(booking_id: int) -> Booking:
    """Lock a booking's base, then the booking itself (the one order every service uses)."""
    base_id = Booking.objects.values_list("base_id", flat=True).get(pk=booking_id)
    lock_base(base_id)
    return Booking.objects.select_for_update().select_related("base", "activity", "organisation").get(pk=booking_id)
