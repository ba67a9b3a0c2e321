"""Benchmark paths of transfers (issue 6):

- X1 letter_render: the A4 introduction letter PDF (stub, letter, receipt) for one transfer, median ms.
- X2 online_transfers_city: STAT-007 "在线接转组织关系X人次" for the whole city and the last 365 days,
  beside hand-written SQL giving the same number (target ≤ 2×).
- X3 transfer_counts_street: in/out by kind and state for one street, beside SQL (target ≤ 2×).
- X4 accept_transfer: one acceptance (lock, move the member with history, log, audit), median ms;
  each timed acceptance is revoked afterwards so the city keeps its members where they were.

Activity: when the city has none, ~1 transfer per 50 members over the last year is generated with
bulk_create (states spread over the table, logs included; members are not moved by these synthetic
rows), marked by their reason so a rerun reuses them. Nothing here asserts a time.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

from django.db import connection
from django.utils import timezone

from dangjian.accounts.choices import Role
from dangjian.core.benchkit import PathResult, same, sql, timed_pair
from dangjian.core.scope import Scope, path_range
from dangjian.members.models import Member
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS, OrgKind
from dangjian.organisations.models import Organisation

from . import services, workflow
from .choices import OPEN_STATES, OUT_CODES, Action, TransferScope, TransferState
from .letters import render_letter
from .models import Transfer, TransferLetter, TransferStep
from .selectors import online_transfer_count, out_counts

TARGET = "≤ 2×"
MARKER = "基准测试生成"
STATES = (
    TransferState.COMPLETED,
    TransferState.COMPLETED,
    TransferState.RECEIPT_RETURNED,
    TransferState.LETTER_ISSUED,
    TransferState.APPLIED,
    TransferState.BRANCH_CONFIRMED,
    TransferState.REFUSED,
    TransferState.REVOKED,
)
PATHS = {
    TransferState.COMPLETED: (
        TransferState.APPLIED,
        TransferState.BRANCH_CONFIRMED,
        TransferState.COMMITTEE_APPROVED,
        TransferState.COMPLETED,
    ),
    TransferState.RECEIPT_RETURNED: (
        TransferState.APPLIED,
        TransferState.BRANCH_CONFIRMED,
        TransferState.COMMITTEE_APPROVED,
        TransferState.LETTER_ISSUED,
        TransferState.RECEIPT_RETURNED,
    ),
    TransferState.LETTER_ISSUED: (
        TransferState.APPLIED,
        TransferState.BRANCH_CONFIRMED,
        TransferState.COMMITTEE_APPROVED,
        TransferState.LETTER_ISSUED,
    ),
    TransferState.APPLIED: (TransferState.APPLIED,),
    TransferState.BRANCH_CONFIRMED: (TransferState.APPLIED, TransferState.BRANCH_CONFIRMED),
    TransferState.REFUSED: (TransferState.APPLIED, TransferState.BRANCH_CONFIRMED, TransferState.REFUSED),
    TransferState.REVOKED: (
        TransferState.APPLIED,
        TransferState.BRANCH_CONFIRMED,
        TransferState.COMMITTEE_APPROVED,
        TransferState.COMPLETED,
        TransferState.REVOKED,
    ),
}


def measure(*, repeat: int, today: date, log: Callable[[str], None]) -> list[PathResult | str]:
    root = Organisation.objects.filter(depth=1).order_by("path").first()
    if root is None:
        return ["X1–X4 transfers: skipped (no organisations)"]
    generated = ensure_transfers(root, today, seed=today.year)
    if generated["transfers"]:
        log(f"transfers: generated {generated['transfers']} synthetic transfers in {generated['seconds']:.1f} s")
    note = "generated" if generated["transfers"] else "reused"
    results: list[PathResult | str] = [_letter_render(repeat, note)]
    results.append(_online_city(root, today, repeat, note))
    street = Organisation.objects.filter(path__range=path_range(root.path), kind=OrgKind.STREET_WORKING_COMMITTEE).order_by("path").first()
    results.append(_counts_street(street, today, repeat, note) if street else "X3 transfer_counts_street: skipped (no street)")
    results.append(_accept(root, repeat, today))
    return results


# --- synthetic activity --------------------------------------------------------------------------


def ensure_transfers(root: Organisation, today: date, *, seed: int) -> dict[str, Any]:
    low, high = path_range(root.path)
    if Transfer.objects.filter(reason=MARKER).exists():
        return {"transfers": 0, "seconds": 0.0}
    started = time.perf_counter()
    rng = random.Random(seed)
    branches = list(
        Organisation.objects.filter(path__range=(low, high), kind__in=[str(k) for k in MEMBER_HOLDING_KINDS], dissolved_on__isnull=True)
    )
    by_id = {b.pk: b for b in branches}
    busy = set(Transfer.objects.filter(state__in=OPEN_STATES).values_list("member_id", flat=True))
    members = [
        (pk, org)
        for pk, org in Member.objects.filter(organisation_id__in=list(by_id), left_on__isnull=True).values_list("pk", "organisation_id")
        if pk not in busy
    ]
    target = max(1, len(members) // 50)
    chosen = rng.sample(members, min(target, len(members)))
    approvers: dict[tuple[int, bool], Organisation] = {}
    tz = timezone.get_current_timezone()
    rows: list[Transfer] = []
    for member_id, org_id in chosen:
        branch = by_id[org_id]
        state = rng.choice(STATES)
        internal = state not in (TransferState.RECEIPT_RETURNED, TransferState.LETTER_ISSUED) and rng.random() < 0.8
        dest = rng.choice(branches) if internal else None
        if dest is not None and dest.pk == branch.pk:
            dest = None
        key = (branch.pk, dest is not None and dest.path.startswith(branch.path[: -Organisation.steplen]))
        if key not in approvers:
            approvers[key] = workflow.approver_for(branch, dest)
        scope = (
            workflow.scope_for(branch, dest)
            if dest is not None
            else rng.choice((TransferScope.CITY_OTHER_DISTRICT, TransferScope.OTHER_PROVINCE))
        )
        start = datetime.combine(today - timedelta(days=rng.randint(5, 360)), clock(9), tzinfo=tz)
        path = PATHS[state]
        moments = [start + timedelta(days=i * rng.randint(1, 6), hours=i) for i in range(len(path))]
        done = next((m for s, m in zip(path, moments, strict=True) if s in (TransferState.COMPLETED, TransferState.LETTER_ISSUED)), None)
        transfer = Transfer(
            member_id=member_id,
            from_org=branch,
            approver_org=approvers[key],
            scope=scope,
            change_type_code=OUT_CODES[scope],
            destination_org=dest,
            external_org_name="" if dest else "外省某市某区某街道党工委",
            reason=MARKER,
            dues_paid_up_to=(start.date().replace(day=1) - timedelta(days=1)).replace(day=1),
            state=state,
            state_since=moments[-1],
            done_at=done,
        )
        transfer._path = list(zip(path, moments, strict=True))  # type: ignore[attr-defined]
        rows.append(transfer)
    created = Transfer.objects.bulk_create(rows, batch_size=1000)
    # applied_at is auto_now_add: set it to the first step's time
    steps: list[TransferStep] = []
    for transfer in created:
        previous = ""
        for state, moment in transfer._path:  # type: ignore[attr-defined]
            steps.append(
                TransferStep(
                    transfer=transfer,
                    at=moment,
                    actor_name="基准测试",
                    party="applicant",
                    action="submit",
                    from_state=previous,
                    to_state=state,
                )
            )
            previous = state
    TransferStep.objects.bulk_create(steps, batch_size=2000)
    _fix_times(created)
    return {"transfers": len(created), "seconds": time.perf_counter() - started}


def _fix_times(transfers: list[Transfer]) -> None:
    """auto_now fields were set at insert: write back the synthetic times (one UPDATE per transfer)."""
    for transfer in transfers:
        first = transfer._path[0][1]  # type: ignore[attr-defined]
        Transfer.objects.filter(pk=transfer.pk).update(applied_at=first)
    ids = [t.pk for t in transfers]
    by_key = {(t.pk, s): m for t in transfers for s, m in t._path}  # type: ignore[attr-defined]
    for pk, transfer_id, to_state in TransferStep.objects.filter(transfer_id__in=ids).values_list("pk", "transfer_id", "to_state"):
        TransferStep.objects.filter(pk=pk).update(at=by_key[(transfer_id, to_state)])


# --- paths ----------------------------------------------------------------------------------------


def _letter_render(repeat: int, note: str) -> PathResult:
    transfer = (
        Transfer.objects.select_related("member", "from_org", "approver_org", "destination_org")
        .order_by("destination_org_id", "pk")
        .first()
    )
    if transfer is None:
        return PathResult("X1", "letter_render", 0.0, extra={"skipped": "no letter"})
    letter = TransferLetter(
        transfer=transfer,
        number="BENCH-0001",
        issued_on=timezone.localdate(),
        valid_days=30,
        valid_until=timezone.localdate() + timedelta(days=30),
        print_count=1,
    )
    timings = []
    size = 0
    for _ in range(max(1, repeat) + 1):
        started = time.perf_counter()
        size = len(render_letter(transfer, letter))
        timings.append((time.perf_counter() - started) * 1000)
    first, rest = timings[0], sorted(timings[1:])
    return PathResult("X1", "letter_render", rest[len(rest) // 2], extra={"first_ms": round(first, 1), "bytes": size, "pages": 1})


def _online_city(root: Organisation, today: date, repeat: int, note: str) -> PathResult:
    start = today - timedelta(days=365)
    low, high = path_range(root.path)
    tz = timezone.get_current_timezone()
    lo = datetime.combine(start, clock.min, tzinfo=tz)
    hi = datetime.combine(today + timedelta(days=1), clock.min, tzinfo=tz)

    def ours() -> list[int]:
        return [online_transfer_count(root, start, today)]

    def baseline() -> list[int]:
        table = Transfer._meta.db_table
        org = Organisation._meta.db_table
        rows = sql(
            f"SELECT COUNT(*) FROM {table} t JOIN {org} f ON f.id = t.from_org_id LEFT JOIN {org} d ON d.id = t.destination_org_id "
            "WHERE t.done_at >= %s AND t.done_at < %s AND t.state <> %s "
            "AND ((f.path >= %s AND f.path <= %s) OR (d.path >= %s AND d.path <= %s))",
            [lo, hi, TransferState.REVOKED, low, high, low, high],
        )
        arrivals = sql(
            "SELECT COUNT(*) FROM transfers_arrival a JOIN organisations_organisation o ON o.id = a.organisation_id "
            "WHERE a.arrived_on >= %s AND a.arrived_on <= %s AND o.path >= %s AND o.path <= %s",
            [start, today, low, high],
        )
        return [rows[0][0] + arrivals[0][0]]

    ms, base_ms, got, expected = timed_pair(ours, baseline, repeat)
    same("X2", got, expected)
    return PathResult("X2", "online_transfers_city", ms, base_ms, TARGET, {"count": got[0], "transfers": note, "days": 365})


def _counts_street(street: Organisation, today: date, repeat: int, note: str) -> PathResult:
    start = today - timedelta(days=365)
    low, high = path_range(street.path)
    tz = timezone.get_current_timezone()
    lo = datetime.combine(start, clock.min, tzinfo=tz)
    hi = datetime.combine(today + timedelta(days=1), clock.min, tzinfo=tz)

    def ours() -> list[tuple[str, str, int]]:
        result = out_counts(street, start, today)
        return sorted((scope, state, n) for scope, counter in result.items() for state, n in counter.items())

    def baseline() -> list[tuple[str, str, int]]:
        rows = sql(
            f"SELECT t.scope, t.state, COUNT(*) FROM {Transfer._meta.db_table} t JOIN organisations_organisation f ON f.id = t.from_org_id "
            "WHERE t.applied_at >= %s AND t.applied_at < %s AND f.path >= %s AND f.path <= %s GROUP BY t.scope, t.state",
            [lo, hi, low, high],
        )
        return sorted((a, b, c) for a, b, c in rows)

    ms, base_ms, got, expected = timed_pair(ours, baseline, repeat)
    same("X3", got, expected)
    return PathResult("X3", "transfer_counts_street", ms, base_ms, TARGET, {"org": street.code, "rows": len(got), "transfers": note})


class _Actor:
    pk = None
    display_name = "基准测试"
    username = "bench"


def _accept(root: Organisation, repeat: int, today: date) -> PathResult | str:
    """Time real acceptances (then revoke each, so members return): X4."""
    branches = list(
        Organisation.objects.filter(
            path__range=path_range(root.path), kind__in=[str(k) for k in MEMBER_HOLDING_KINDS], dissolved_on__isnull=True
        ).order_by("path")[:40]
    )
    if len(branches) < 2:
        return "X4 accept_transfer: skipped (fewer than two branches)"
    busy = set(Transfer.objects.filter(state__in=OPEN_STATES).values_list("member_id", flat=True))
    members = [m for m in Member.objects.filter(organisation__in=branches, left_on__isnull=True).order_by("pk")[:500] if m.pk not in busy][
        : max(1, repeat)
    ]
    district = Scope(user_id=None, roles={Role.DISTRICT_ADMIN: (root.path,)}, role_org_ids={Role.DISTRICT_ADMIN: (root.pk,)})
    timings: list[float] = []
    queries = 0
    for member in members:
        dest = next(b for b in branches if b.pk != member.organisation_id)
        approver = workflow.approver_for(member.organisation, dest)
        transfer = Transfer.objects.create(
            member=member,
            from_org=member.organisation,
            approver_org=approver,
            scope=workflow.scope_for(member.organisation, dest),
            change_type_code="251",
            destination_org=dest,
            reason=MARKER,
            dues_paid_up_to=today.replace(day=1),
            state=TransferState.COMMITTEE_APPROVED,
            state_since=timezone.now(),
        )
        count_before = len(connection.queries) if connection.queries_logged else 0
        started = time.perf_counter()
        try:
            services.act(actor=_Actor(), scope=district, transfer_id=transfer.pk, action=Action.ACCEPT, today=today)
        except Exception as exc:
            Transfer.objects.filter(pk=transfer.pk).update(state=TransferState.REFUSED)
            return f"X4 accept_transfer: skipped ({exc})"
        timings.append((time.perf_counter() - started) * 1000)
        queries = (len(connection.queries) - count_before) if connection.queries_logged else 0
        services.act(actor=_Actor(), scope=district, transfer_id=transfer.pk, action=Action.REVOKE, reason="基准测试后恢复", today=today)
    timings.sort()
    extra: dict[str, Any] = {"accepts": len(timings), "then": "revoked (members restored)"}
    if queries:
        extra["queries"] = queries
    return PathResult("X4", "accept_transfer", timings[len(timings) // 2], extra=extra)
