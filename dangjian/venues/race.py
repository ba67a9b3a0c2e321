"""The booking race: many threads compete for the last places of one slot, round after round.

Used by the concurrency tests (PostgreSQL in-process; SQLite through ``manage.py booking_race`` on a
file database, because the in-memory test database's shared cache has no busy wait) and by the ADR
figures. It builds its own throwaway subtree (a root "RACE-…" with one branch), base and users, so
it never touches real records; run it on a scratch database.
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from dangjian.core.rules import RuleViolation
from dangjian.organisations.choices import OrgKind
from dangjian.organisations.models import Organisation

from . import services
from .models import BaseActivity, Booking, OpenBase, OpeningHours, SlotLoad


def _scene(capacity: int) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8].upper()
    root = Organisation.objects.add_root(
        create_kwargs={"name": f"抢约测试{tag}", "code": f"RACE-{tag}", "kind": OrgKind.DISTRICT_COMMITTEE}
    )
    branches = [
        Organisation.objects.add_child(
            Organisation.objects.get(pk=root.pk), create_kwargs={"name": f"抢约支部{n}", "code": f"RACE-{tag}-{n}", "kind": OrgKind.BRANCH}
        )
        for n in (1, 2)
    ]
    user_model = get_user_model()
    users = [user_model.objects.create(username=f"race-{tag}-{n}", display_name=f"抢约{n}") for n in (1, 2)]
    base = OpenBase.objects.create(
        name=f"抢约测试基地{tag}",
        host_unit="测试",
        site="测试",
        location=root,
        contact_name="测试",
        capacity=capacity,
        min_notice_hours=0,
        max_notice_days=800,
        monthly_quota=0,
        needs_approval=True,
    )
    for weekday in range(7):
        OpeningHours.objects.create(
            base=base, weekday=weekday, opens_at=datetime.min.time().replace(hour=8), closes_at=datetime.min.time().replace(hour=18)
        )
    activity = BaseActivity.objects.create(base=base, name="主题党日活动", duration_minutes=60, capacity=capacity)
    return {"root": root, "branches": branches, "users": users, "base": base, "activity": activity}


def round_starts(rounds: int, first_day: Any) -> list[datetime]:
    """One one-hour slot per round: 08:00 … 17:00 on consecutive days."""
    return [services.make_aware(first_day + timedelta(days=r // 10), datetime.min.time().replace(hour=8 + r % 10)) for r in range(rounds)]


def race(
    *, threads: int = 50, rounds: int = 100, capacity: int = 10, taken: int = 7, log: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """``threads`` bookings of 1 place at the same instant for a slot with ``capacity - taken`` places
    left, ``rounds`` times; each thread keeps its connection for every round. Returns the outcome
    counts per round, the slot units above capacity (must be 0) and the time taken."""
    scene = _scene(capacity)
    base, activity = scene["base"], scene["activity"]
    now = timezone.now()
    starts = round_starts(rounds, timezone.localdate() + timedelta(days=1))
    for start in starts:
        services.book_slot(
            actor=scene["users"][1],
            base_id=base.pk,
            activity_id=activity.pk,
            organisation_id=scene["branches"][1].pk,
            starts_at=start,
            headcount=taken,
            now=now,
            send_notices=False,
        )
    gate = threading.Barrier(threads)
    outcomes: list[Counter[str]] = [Counter() for _ in range(rounds)]
    crashes: list[str] = []
    guard = threading.Lock()

    def worker() -> None:
        try:
            for r, start in enumerate(starts):
                gate.wait(timeout=120)
                try:
                    services.book_slot(
                        actor=scene["users"][0],
                        base_id=base.pk,
                        activity_id=activity.pk,
                        organisation_id=scene["branches"][0].pk,
                        starts_at=start,
                        headcount=1,
                        now=now,
                        send_notices=False,
                    )
                    result = "booked"
                except RuleViolation as exc:
                    result = exc.rule.key if exc.rule else exc.message
                with guard:
                    outcomes[r][result] += 1
        except Exception:
            crashes.append(traceback.format_exc())
            gate.abort()
        finally:
            connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=1200)
    seconds = time.perf_counter() - started
    hung = sum(t.is_alive() for t in workers)
    people = [sum(Booking.objects.filter(base=base, starts_at=s).values_list("headcount", flat=True)) for s in starts]
    result = {
        "threads": threads,
        "rounds": rounds,
        "capacity": capacity,
        "left_per_round": capacity - taken,
        "outcomes": [dict(c) for c in outcomes],
        "people_per_slot": people,
        "overbooked_units": SlotLoad.objects.filter(base=base, booked__gt=capacity).count(),
        "crashes": crashes[:3],
        "hung": hung,
        "seconds": round(seconds, 2),
        "bookings_per_s": round(threads * rounds / seconds, 1) if seconds else None,
        "database": connection.vendor,
    }
    if log:
        log(
            f"booking race on {connection.vendor}: {threads} threads × {rounds} rounds in {seconds:.1f} s; "
            f"overbooked units {result['overbooked_units']}, crashes {len(crashes)}"
        )
    return result


def is_sound(result: dict[str, Any]) -> bool:
    """Each round booked exactly the places left and refused the rest as slot full; no slot above capacity."""
    left, threads = result["left_per_round"], result["threads"]
    expected = {"booked": left, "BASE-002:slot_full": threads - left}
    return (
        not result["crashes"]
        and not result["hung"]
        and result["overbooked_units"] == 0
        and all(o == expected for o in result["outcomes"])
        and all(p == result["capacity"] for p in result["people_per_slot"])
    )
