"""The benchmark paths (issue 9, STACK.md §12): each key path beside a baseline from the same run.

Every path is timed as the median of ``repeat`` runs after one warm-up run, and compared with a
hand-written SQL query that returns the same rows; a path whose rows differ from its baseline's is a
broken invariant (``BenchmarkInvariantBroken``), not a figure. Benchmarks are not tests: nothing
here asserts a time.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.masking import mask_address, mask_id_number, mask_phone
from dangjian.core.scope import Scope, path_range
from dangjian.members.birthdays import birthday_members, send_political_birthdays, send_time
from dangjian.members.models import Member
from dangjian.members.selectors import MemberFilters, filter_members, masked, members_visible_to
from dangjian.notifications.choices import MessageKind
from dangjian.notifications.models import Message
from dangjian.notifications.rules import political_birthday_month_days
from dangjian.notifications.services import dispatch_due
from dangjian.organisations.choices import OrgKind
from dangjian.organisations.models import Organisation

from .city import ROOT_CODE, counts_match, make_city

SCALES: dict[str, tuple[int, int]] = {"small": (20_000, 1_000), "city": (1_000_000, 50_000)}
PAGE_SIZE = 50
JOB_TARGET_SECONDS = 60.0


class BenchmarkInvariantBroken(Exception):
    """A path returned other rows than its baseline: the figures would mean nothing."""


@dataclass
class PathResult:
    id: str
    name: str
    ms: float
    baseline_ms: float | None = None
    target: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return self.ms / self.baseline_ms if self.baseline_ms else None

    def line(self) -> str:
        if self.baseline_ms is not None:
            text = f"{self.id} {self.name}: {self.ms:.1f} ms (ratio {self.ratio:.2f} vs sql {self.baseline_ms:.1f} ms)"
        else:
            text = f"{self.id} {self.name}: {self.ms / 1000:.2f} s"
        details = ", ".join(f"{k} {v}" for k, v in self.extra.items())
        if details:
            text += f" [{details}]"
        if self.target:
            text += f" target {self.target}"
        return text

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = round(self.ratio, 3) if self.ratio else None
        data["ms"] = round(self.ms, 3)
        data["baseline_ms"] = round(self.baseline_ms, 3) if self.baseline_ms is not None else None
        data["line"] = self.line()
        return data


def timed(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median milliseconds of ``repeat`` runs after one warm-up run, and the warm-up's result."""
    result = func()
    runs = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        func()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), result


def query_count(func: Callable[[], Any]) -> int:
    """Queries ``func`` runs (an execute wrapper: the debug query log is bounded and fills up in PB2)."""
    count = 0

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        func()
    return count


def sql(query: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def same(path_id: str, ours: list[Any], theirs: list[Any]) -> None:
    if ours != theirs:
        raise BenchmarkInvariantBroken(
            f"{path_id}: the selector returned {len(ours)} rows, the SQL baseline {len(theirs)}; first difference near "
            f"{next((a, b) for a, b in zip(ours + [None] * len(theirs), theirs + [None] * len(ours), strict=False) if a != b)}"
        )


# --- the city -----------------------------------------------------------------------------------


def ensure_city(*, members: int, orgs: int, seed: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Reuse the city when the registry is exactly one of this size; build it in an empty registry."""
    if counts_match(members, orgs):
        log(f"reusing the synthetic city: {Organisation.objects.count()} organisations, {members} members")
        return {"city": "reused"}
    result = make_city(members=members, orgs=orgs, seed=seed, log=log)
    log(f"built the synthetic city in {result.seconds:.1f} s")
    return {"city": "built", "build_seconds": round(result.seconds, 1)}


def street_scope() -> tuple[Organisation, Scope]:
    """The first street of the city and a street administrator's scope over it."""
    street = Organisation.objects.filter(kind=OrgKind.STREET_WORKING_COMMITTEE, code__startswith=f"{ROOT_CODE}-").order_by("path").first()
    assert street is not None
    return street, Scope(user_id=None, roles={"org_admin": (street.path,)}, role_org_ids={"org_admin": (street.pk,)})


def birthday_day(start: date) -> date:
    """The first day from ``start`` on with members to greet (the job on a day without any measures nothing)."""
    for offset in range(366):
        day = start + timedelta(days=offset)
        if birthday_members(day).exists():
            return day
    raise BenchmarkInvariantBroken("no member has a political birthday in the coming year")


# --- PB1, PB2 (issue 4) ----------------------------------------------------------------------------


def pb1_political_birthdays_today(repeat: int, today: date) -> PathResult:
    """The job's selection (members.birthdays.birthday_members, as the job reads it: the ids) vs indexed SQL."""
    month_days = list(political_birthday_month_days(today))

    def ours() -> list[int]:
        return list(birthday_members(today).values_list("pk", flat=True))

    placeholders = ", ".join(["%s"] * len(month_days))
    query = f"SELECT id FROM members_member WHERE join_month_day IN ({placeholders}) AND join_date < %s ORDER BY id"

    def baseline() -> list[int]:
        return [row[0] for row in sql(query, [*month_days, date(today.year, 1, 1)])]

    ms, selected = timed(ours, repeat)
    base_ms, expected = timed(baseline, repeat)
    same("PB1", selected, expected)
    return PathResult("PB1", "political_birthdays_today", ms, base_ms, "≤ 2×", {"day": today.isoformat(), "members": len(selected)})


def _birthday_messages(day: date) -> Any:
    return Message.objects.filter(
        kind=MessageKind.POLITICAL_BIRTHDAY, dedup_key__startswith=f"{MessageKind.POLITICAL_BIRTHDAY}:{day.isoformat()}:"
    )


def pb2_political_birthday_daily_job(day: date) -> PathResult:
    """The whole daily job for ``day`` (a day still to come, so every send happens in the dispatch
    measured here, whatever the broker setting): send_political_birthdays, then dispatch_due with the
    console provider until nothing is due. Its messages are deleted before and after."""
    _birthday_messages(day).delete()
    console = logging.getLogger("dangjian.notifications.providers.console")
    level, console.level = console.level, logging.WARNING  # the provider still runs; its ~N/365 log lines stay out of the report
    try:
        return _run_job(day)
    finally:
        console.setLevel(level)
        _birthday_messages(day).delete()


def _run_job(day: date) -> PathResult:
    started = time.perf_counter()
    summary = send_political_birthdays(day=day)
    created = time.perf_counter()
    due_at = max(_birthday_messages(day).aggregate(last=Max("send_after"))["last"] or send_time(day), send_time(day))
    dispatched: dict[str, int] = {}
    while True:
        counts = dispatch_due(now=due_at + timedelta(seconds=1))
        for key, value in counts.items():
            dispatched[key] = dispatched.get(key, 0) + value
        if not counts.get("due"):
            break
    seconds = time.perf_counter() - started
    messages = _birthday_messages(day).count()
    sent = _birthday_messages(day).filter(status__in=("sent", "delivered")).count()
    if messages != summary["messages"]:
        raise BenchmarkInvariantBroken(f"PB2: the job reported {summary['messages']} messages, {messages} were written")
    return PathResult(
        "PB2",
        "political_birthday_daily_job",
        seconds * 1000,
        target=f"< {JOB_TARGET_SECONDS:.0f} s",
        extra={
            "day": day.isoformat(),
            "members": summary["members"],
            "messages": messages,
            "sent": sent,
            "skipped": messages - sent,
            "notify_s": round(created - started, 2),
            "dispatch_s": round(seconds - (created - started), 2),
            "messages_per_s": round(messages / seconds, 1) if seconds else 0,
        },
    )


# --- P1, P2 (issue 9) -----------------------------------------------------------------------------------


def p1_member_list_street(repeat: int) -> PathResult:
    """One page of a street administrator's member list: filter_members, 50 rows, masked."""
    street, scope = street_scope()
    low, high = path_range(street.path)

    def page(size: int) -> list[tuple[int, dict[str, str]]]:
        return [(m.pk, masked(m)) for m in filter_members(scope, MemberFilters())[:size]]

    # the fields' own associated data ("members.Member.phone"), as the ORM decrypts them
    context = {f: Member._meta.get_field(f).crypto_context for f in ("id_number", "phone", "address")}  # type: ignore[union-attr]
    query = (
        "SELECT m.id, m.id_number, m.phone, m.address, m.*, o.*, g.* FROM members_member m JOIN organisations_organisation o ON o.id = m.organisation_id "
        "LEFT JOIN organisations_organisation g ON g.id = m.group_id "
        "WHERE o.path >= %s AND o.path <= %s AND m.left_on IS NULL ORDER BY m.name, m.id LIMIT %s"
    )
    at = {"id": 0, "id_number": 1, "phone": 2, "address": 3}

    def plain(stored: str, name: str) -> str:
        return crypto.decrypt(stored, context=context[name]) if stored else stored

    def baseline() -> list[tuple[int, dict[str, str]]]:
        return [
            (
                row[at["id"]],
                {
                    "id_number": mask_id_number(plain(row[at["id_number"]], "id_number")),
                    "phone": mask_phone(plain(row[at["phone"]], "phone")),
                    "address": mask_address(plain(row[at["address"]], "address")),
                },
            )
            for row in sql(query, [low, high, PAGE_SIZE])
        ]

    ms, rows = timed(lambda: page(PAGE_SIZE), repeat)
    base_ms, expected = timed(baseline, repeat)
    same("P1", rows, expected)
    queries = {size: query_count(lambda size=size: page(size)) for size in (10, PAGE_SIZE)}
    return PathResult(
        "P1",
        "member_list_street",
        ms,
        base_ms,
        "≤ 1.5×",
        {"street": street.code, "rows": len(rows), "queries": queries[PAGE_SIZE], "queries_for_10_rows": queries[10]},
    )


def p2_subtree_counts(repeat: int) -> PathResult:
    """Current members of a street subtree: the selector's count vs hand-written path-range SQL."""
    street, scope = street_scope()
    low, high = path_range(street.path)

    def ours() -> int:
        return members_visible_to(scope).filter(left_on__isnull=True).count()

    query = (
        "SELECT count(*) FROM members_member m JOIN organisations_organisation o ON o.id = m.organisation_id "
        "WHERE o.path >= %s AND o.path <= %s AND m.left_on IS NULL"
    )

    def baseline() -> int:
        return sql(query, [low, high])[0][0]

    ms, count = timed(ours, repeat)
    base_ms, expected = timed(baseline, repeat)
    same("P2", [count], [expected])
    return PathResult("P2", "subtree_counts", ms, base_ms, "≤ 2×", {"street": street.code, "members": count})


# --- the run ----------------------------------------------------------------------------------------------


def environment() -> dict[str, Any]:
    info: dict[str, Any] = {"database": connection.vendor, "cpus": os.cpu_count()}
    if connection.vendor == "postgresql":
        info["server_version"] = sql("SHOW server_version", [])[0][0]
    return info


def run(
    *, scale: str, members: int, orgs: int, seed: int, repeat: int, log: Callable[[str], None], emit: Callable[[PathResult], None]
) -> dict[str, Any]:
    """Build or reuse the city, then measure every path; emit each result as soon as it is known."""
    report: dict[str, Any] = {"scale": scale, "members": members, "orgs": orgs, "seed": seed, "repeat": repeat, **environment()}
    report.update(ensure_city(members=members, orgs=orgs, seed=seed, log=log))
    today = timezone.localdate()
    paths: list[PathResult] = []
    for measure in (
        lambda: pb1_political_birthdays_today(repeat, today),
        lambda: pb2_political_birthday_daily_job(birthday_day(today + timedelta(days=1))),
        lambda: p1_member_list_street(repeat),
        lambda: p2_subtree_counts(repeat),
    ):
        result = measure()
        paths.append(result)
        emit(result)
    report["paths"] = [p.as_json() for p in paths]
    return report
