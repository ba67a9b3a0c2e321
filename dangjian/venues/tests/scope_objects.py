"""Bases and bookings for the isolation walker (tests/test_scope_isolation.py).

Outside = under street B (base at 乙一社区党委, booked by 乙一社区第一网格党支部); inside = a base at
甲一社区党委 booked by 甲一社区第一网格党支部 (charlie's branch, in bob's street).
"""

from __future__ import annotations

from datetime import time
from typing import Any

from dangjian.venues.models import BasePhoto, ClosedDate

from .factories import book, make_activity, make_base

KWARG_KINDS = {
    ("venues", "pk"): "base",
    ("venues", "activity_pk"): "base_activity",
    ("venues", "hours_pk"): "base_hours",
    ("venues", "closed_pk"): "base_closed",
    ("venues", "photo_pk"): "base_photo",
    ("venues", "booking_pk"): "booking",
    ("api", "base_id"): "base",
    ("api", "booking_id"): "booking",
}


def _side(world: Any, location: Any, branch: Any, actor: Any, name: str) -> dict[str, int]:
    base = make_base(location, name=name, keepers=(world.grace,) if location == world.community_a1 else ())
    activity = make_activity(base)
    booking = book(actor, base, activity, branch)
    closed = ClosedDate.objects.create(base=base, day=booking.starts_at.date().replace(year=2027), reason="检修")
    photo = BasePhoto.objects.create(base=base, image=f"bases/test/{name}.png", caption="外景")  # no file written
    return {
        "base": base.pk,
        "base_activity": activity.pk,
        "base_hours": base.hours.filter(opens_at=time(8)).first().pk,
        "base_closed": closed.pk,
        "base_photo": photo.pk,
        "booking": booking.pk,
    }


def build(world: Any) -> dict[str, tuple[list[int], int]]:
    outside = _side(world, world.community_b1, world.branch_b1_1, world.frank, "乙侧基地")
    inside = _side(world, world.community_a1, world.branch_a1_1, world.charlie, "甲侧基地")
    return {kind: ([outside[kind]], inside[kind]) for kind in outside}
