"""Benchmark path V1 booking_contention (issue 7): concurrent bookings through the real HTTP stack.

200 POST /api/v1/bases/{id}/bookings (token auth, 1 place each) for ONE slot of capacity 50, sent
by 20 keep-alive clients at once to gunicorn with 2 workers; then, in the same run and the same way,
200 requests for 200 distinct empty slots (no contention). Reported: overbookings (must be 0 —
otherwise ``BenchmarkInvariantBroken``), requests/s of both, and the contended share of the
uncontended throughput (target ≥ 50 %). The base, its activity and the benchmark account are
created under the city root the first time and reused; each run deletes the base's old bookings
first, so the figures do not depend on earlier runs.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

from django.db import transaction
from django.utils import timezone

from dangjian.accounts.choices import Role
from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.services import issue_api_token, revoke_api_token
from dangjian.core.benchkit import BenchmarkInvariantBroken, PathResult, ServerDidNotStart, gunicorn
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS
from dangjian.organisations.models import Organisation

from .models import BaseActivity, Booking, BookingEvent, OpenBase, OpeningHours, SlotLoad

REQUESTS = 200
CLIENTS = 20
CAPACITY = 50
BENCH_BASE = "基准测试基地（V1）"
BENCH_USERNAME = "bench-venues"

Poster = Callable[[str, dict[str, Any]], int]


def _scene() -> dict[str, Any]:
    """The benchmark base (under the first street), its activity, a branch to book for, the account."""
    street = Organisation.objects.filter(depth=2).order_by("path").first() or Organisation.objects.filter(depth=1).first()
    if street is None:
        raise BenchmarkInvariantBroken("V1: no organisation tree to place the benchmark base in")
    branch = (
        Organisation.objects.filter(path__startswith=street.path, kind__in=[k.value for k in MEMBER_HOLDING_KINDS]).order_by("path").first()
    )
    if branch is None:
        raise BenchmarkInvariantBroken("V1: no branch under the first street")
    base = OpenBase.objects.filter(name=BENCH_BASE).first()
    if base is None:
        base = OpenBase.objects.create(
            name=BENCH_BASE,
            host_unit="基准测试",
            site="基准测试",
            location=street,
            contact_name="基准测试",
            capacity=CAPACITY,
            min_notice_hours=0,
            max_notice_days=3650,
            monthly_quota=0,
            needs_approval=True,
        )
        for weekday in range(7):
            OpeningHours.objects.create(base=base, weekday=weekday, opens_at=clock(8), closes_at=clock(18))
        BaseActivity.objects.create(base=base, name="主题党日活动", duration_minutes=30, capacity=CAPACITY)
    user, _ = User.objects.get_or_create(username=BENCH_USERNAME, defaults={"display_name": "基准测试预约账号"})
    RoleGrant.objects.get_or_create(user=user, role=Role.ORG_ADMIN, organisation=street)
    return {"base": base, "activity": base.activities.get(), "branch": branch, "user": user}


def _reset(base: OpenBase) -> None:
    with transaction.atomic():
        BookingEvent.objects.filter(booking__base=base).delete()
        Booking.participants.through.objects.filter(booking__base=base).delete()
        Booking.objects.filter(base=base).delete()
        SlotLoad.objects.filter(base=base).delete()


def _starts(first_day: date, n: int) -> list[datetime]:
    """``n`` distinct 30-minute slots, 20 a day from 08:00, on consecutive days."""
    return [
        timezone.make_aware(datetime.combine(first_day + timedelta(days=i // 20), clock(8 + (i % 20) // 2, 30 * (i % 2)))) for i in range(n)
    ]


def fire(post: Poster, path: str, bodies: list[dict[str, Any]], clients: int) -> dict[str, Any]:
    """Send the bodies from ``clients`` threads released together; statuses and requests/s."""
    gate = threading.Barrier(clients)
    statuses: Counter[int] = Counter()
    guard = threading.Lock()
    failures: list[str] = []

    def client(share: list[dict[str, Any]]) -> None:
        try:
            gate.wait(timeout=60)
            for body in share:
                status = post(path, body)
                with guard:
                    statuses[status] += 1
        except Exception as exc:  # a broken connection is a broken run, reported as such
            failures.append(repr(exc))

    started = time.perf_counter()
    if clients == 1:  # inline: the tests' in-memory database is not shared with other threads
        client(bodies)
    else:
        threads = [threading.Thread(target=client, args=(bodies[n::clients],), daemon=True) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
    elapsed = time.perf_counter() - started
    if failures:
        raise BenchmarkInvariantBroken(f"V1: a client failed: {failures[0]}")
    return {"statuses": dict(statuses), "seconds": elapsed, "per_s": sum(statuses.values()) / elapsed}


def _http_poster(port: int, key: str) -> Poster:
    local = threading.local()

    def post(path: str, body: dict[str, Any]) -> int:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", path, json.dumps(body), {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
            local.conn = None
        return response.status

    return post


def booking_contention(post: Poster, scene: dict[str, Any], *, today: date, clients: int = CLIENTS, requests: int = REQUESTS) -> PathResult:
    """V1 with a given way of POSTing (gunicorn in ``measure``; the test client in the tests)."""
    base, activity, branch = scene["base"], scene["activity"], scene["branch"]
    _reset(base)
    path = f"/api/v1/bases/{base.pk}/bookings"
    run = uuid.uuid4().hex[:8]
    first_day = today + timedelta(days=2)
    contended_start = _starts(first_day, 1)[0]

    def body(start: datetime, n: int, tag: str) -> dict[str, Any]:
        return {
            "activity_id": activity.pk,
            "organisation_id": branch.pk,
            "starts_at": start.isoformat(),
            "headcount": 1,
            "request_key": f"v1-{run}-{tag}-{n}",
        }

    contended = fire(post, path, [body(contended_start, n, "c") for n in range(requests)], clients)
    distinct = fire(post, path, [body(s, n, "d") for n, s in enumerate(_starts(first_day + timedelta(days=1), requests))], clients)
    booked = sum(Booking.objects.filter(base=base, starts_at=contended_start).values_list("headcount", flat=True))
    over = max(0, booked - CAPACITY) + SlotLoad.objects.filter(base=base, booked__gt=CAPACITY).count()
    expected = {201: min(CAPACITY, requests), 422: max(0, requests - CAPACITY)}
    if over or contended["statuses"] != {k: v for k, v in expected.items() if v}:
        raise BenchmarkInvariantBroken(f"V1: {booked} booked of capacity {CAPACITY}, answers {contended['statuses']} (expected {expected})")
    if distinct["statuses"] != {201: requests}:
        raise BenchmarkInvariantBroken(f"V1: uncontended slots answered {distinct['statuses']}")
    _reset(base)
    return PathResult(
        "V1",
        "booking_contention",
        1000 / contended["per_s"],
        1000 / distinct["per_s"],
        "≥ 50 % of the uncontended requests/s; overbookings 0",
        {
            "requests": requests,
            "capacity": CAPACITY,
            "booked": booked,
            "overbookings": over,
            "refused_slot_full": contended["statuses"].get(422, 0),
            "contended_rps": round(contended["per_s"], 1),
            "uncontended_rps": round(distinct["per_s"], 1),
            "share_of_uncontended": f"{contended['per_s'] / distinct['per_s']:.0%}",
            "clients": clients,
            "workers": 2,
        },
        baseline="distinct slots",
    )


def measure(*, repeat: int, today: date, log: Callable[[str], None]) -> list[PathResult | str]:
    """V1 through gunicorn (2 workers); a note instead when gunicorn cannot start."""
    scene = _scene()
    token, key = issue_api_token(user=scene["user"], name="基准测试 V1")
    try:
        with gunicorn(workers=2) as port:
            log(f"V1: {REQUESTS} booking requests for one slot, then for {REQUESTS} distinct slots (gunicorn on port {port})")
            return [booking_contention(_http_poster(port, key), scene, today=today)]
    except ServerDidNotStart as exc:
        return [f"V1 booking_contention: skipped — {exc}"]
    finally:
        revoke_api_token(actor=scene["user"], token_id=token.pk)
