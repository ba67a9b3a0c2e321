"""Benchmark paths of organisational life (issue 5): the compliance sheet for a street and for the
whole city, each beside hand-written SQL returning the same rows (``timed_pair``), target ≤ 2×.

A year of records (the last full calendar year) is generated for the city's branches when missing:
per branch and month a 主题党日 (with 支部党员大会 + 党课 at each quarter end), a 党小组会 per group,
组织生活会 + 民主评议 in December, each left out at random so that the sheet has gaps; written with
bulk_create, approved, idempotent (a rerun reuses them). Nothing here asserts a time.
"""

from __future__ import annotations

import random
import time as clock
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from dangjian.core.benchkit import PathResult, same, sql, timed_pair
from dangjian.core.scope import path_range
from dangjian.organisations.choices import GROUP_KINDS, MEMBER_HOLDING_KINDS, OrgKind
from dangjian.organisations.models import Organisation

from .choices import MeetingKind, MeetingStatus
from .compliance import Period, Sheet, compute_sheet
from .models import Meeting, MeetingKindEntry
from .services import lecture_months

TARGET = "≤ 2×"
CHUNK = 2000


def measure(*, repeat: int, today: date, log: Callable[[str], None]) -> list[PathResult | str]:
    root = Organisation.objects.filter(depth=1).order_by("path").first()
    if root is None:
        return ["M1/M2 compliance sheets: skipped (no organisations)"]
    year = today.year - 1
    generated = ensure_records(root, year, seed=year)
    if generated["records"]:
        log(f"meetings: generated {generated['records']} records of {year} in {generated['seconds']:.1f} s")
    street = Organisation.objects.filter(path__range=path_range(root.path), kind=OrgKind.STREET_WORKING_COMMITTEE).order_by("path").first()
    results: list[PathResult | str] = []
    if street is None:
        results.append("M1 compliance_sheet_street: skipped (the city has no street)")
    else:
        results.append(_sheet_path("M1", "compliance_sheet_street", street, year, today, repeat, generated))
    results.append(_sheet_path("M2", "compliance_sheet_city", root, year, today, repeat, generated))
    return results


def _sheet_path(path_id: str, name: str, org: Organisation, year: int, today: date, repeat: int, generated: dict[str, Any]) -> PathResult:
    months = lecture_months()

    def ours() -> list[tuple[int, str, int]]:
        return done_rows(compute_sheet(org, Period("year", year), today=today, lecture_months=months))

    def baseline() -> list[tuple[int, str, int]]:
        return baseline_rows(org, year, months)

    ms, base_ms, rows, expected = timed_pair(ours, baseline, repeat)
    same(path_id, rows, expected)
    branches = len({r[0] for r in rows})
    return PathResult(
        path_id,
        name,
        ms,
        base_ms,
        TARGET,
        {
            "org": org.code,
            "year": year,
            "branches_with_records": branches,
            "rows": len(rows),
            "records": "generated" if generated["records"] else "reused",
        },
    )


def done_rows(sheet: Sheet) -> list[tuple[int, str, int]]:
    """(branch, kind, blocks done) for every cell with at least one done block, sorted."""
    rows = [(row.id, str(cell.kind), cell.done) for row in sheet.rows for cell in row.cells if cell.done]
    return sorted(rows)


def baseline_rows(org: Organisation, year: int, lecture: int) -> list[tuple[int, str, int]]:
    """The same done counts by hand-written SQL: one GROUP BY over the kind entries of the year (with
    the frequency of each kind as an integer bucket), one query for 谈心谈话 per member."""
    low, high = path_range(org.path)
    entries = sql(
        """
        SELECT e.organisation_id, e.kind, COUNT(DISTINCT CASE
            WHEN e.kind IN ('themed_day', 'committee_meeting') THEN e.held_month
            WHEN e.kind = 'group_meeting' THEN e.group_id * 1000000 + e.held_month
            WHEN e.kind = 'branch_general_meeting' THEN ((e.held_month %% 100) - 1) / 3
            WHEN e.kind = 'party_lecture' THEN ((e.held_month %% 100) - 1) / %s
            ELSE 0 END)
        FROM meetings_meetingkindentry e
        JOIN organisations_organisation o ON o.id = e.organisation_id
        WHERE e.counted AND e.held_month BETWEEN %s AND %s AND o.path BETWEEN %s AND %s
          AND o.kind IN ({kinds}) AND e.kind <> 'talk' AND (o.dissolved_on IS NULL OR o.dissolved_on >= %s)
        GROUP BY e.organisation_id, e.kind
        """.replace("{kinds}", ", ".join(f"'{k}'" for k in sorted(MEMBER_HOLDING_KINDS))),
        [lecture, year * 100 + 1, year * 100 + 12, low, high, date(year, 1, 1)],
    )
    talks = sql(
        """
        SELECT m.organisation_id FROM members_member m
        JOIN organisations_organisation o ON o.id = m.organisation_id
        LEFT JOIN (
            SELECT mt.organisation_id AS org_id, COUNT(DISTINCT a.member_id) AS talked
            FROM meetings_attendance a
            JOIN meetings_meeting mt ON mt.id = a.meeting_id
            JOIN members_member am ON am.id = a.member_id
            WHERE a.presence = 'present' AND mt.held_on BETWEEN %s AND %s AND am.organisation_id = mt.organisation_id
              AND am.left_on IS NULL AND NOT am.is_exempt AND NOT am.is_flowing
              AND EXISTS (SELECT 1 FROM meetings_meetingkindentry k WHERE k.meeting_id = mt.id AND k.kind = 'talk' AND k.counted)
            GROUP BY mt.organisation_id
        ) t ON t.org_id = m.organisation_id
        WHERE o.path BETWEEN %s AND %s AND m.left_on IS NULL AND NOT m.is_exempt AND NOT m.is_flowing
        GROUP BY m.organisation_id, t.talked
        HAVING COALESCE(t.talked, 0) >= COUNT(*)
        """,
        [date(year, 1, 1), date(year, 12, 31), low, high],
    )
    rows = [(org_id, kind, n) for org_id, kind, n in entries if n] + [(org_id, MeetingKind.TALK.value, 1) for (org_id,) in talks]
    return sorted(rows)


def ensure_records(root: Organisation, year: int, *, seed: int) -> dict[str, Any]:
    """A year of approved records for every branch under ``root`` (bulk), unless that year has some."""
    low, high = path_range(root.path)
    if MeetingKindEntry.objects.filter(
        held_month__gte=year * 100 + 1, held_month__lte=year * 100 + 12, organisation__path__range=(low, high)
    ).exists():
        return {"records": 0, "seconds": 0.0}
    started = clock.perf_counter()
    rng = random.Random(seed)
    tz = timezone.get_current_timezone()
    orgs = list(
        Organisation.objects.filter(path__range=(low, high), kind__in=[*MEMBER_HOLDING_KINDS, *GROUP_KINDS]).values_list(
            "id", "path", "kind"
        )
    )
    groups: dict[str, list[int]] = {}
    for pk, path, kind in orgs:
        if kind in GROUP_KINDS:
            groups.setdefault(path[: -Organisation.steplen], []).append(pk)
    plans: list[tuple[int, int | None, tuple[str, ...], date]] = []
    for pk, path, kind in orgs:
        if kind not in MEMBER_HOLDING_KINDS:
            continue
        for month in range(1, 13):
            if rng.random() < 0.9:
                kinds: tuple[str, ...] = (MeetingKind.THEMED_DAY,)
                if month % 3 == 0:
                    kinds += (MeetingKind.BRANCH_GENERAL_MEETING, MeetingKind.PARTY_LECTURE)
                plans.append((pk, None, kinds, date(year, month, rng.randint(1, 28))))
            for group in groups.get(path, []):
                if rng.random() < 0.7:
                    plans.append((pk, group, (MeetingKind.GROUP_MEETING,), date(year, month, rng.randint(1, 28))))
        if rng.random() < 0.8:
            plans.append((pk, None, (MeetingKind.LIFE_MEETING, MeetingKind.MEMBER_APPRAISAL), date(year, 12, rng.randint(1, 28))))
    with transaction.atomic():
        for start in range(0, len(plans), CHUNK):
            chunk = plans[start : start + CHUNK]
            meetings = Meeting.objects.bulk_create(
                [
                    Meeting(
                        organisation_id=org_id,
                        group_id=group_id,
                        topic="基准测试记录",
                        starts_at=datetime.combine(day, time(14, 30), tzinfo=tz),
                        ends_at=datetime.combine(day, time(16, 0), tzinfo=tz),
                        held_on=day,
                        place="党群服务中心",
                        host="书记",
                        recorder="组织委员",
                        status=MeetingStatus.APPROVED,
                    )
                    for org_id, group_id, _kinds, day in chunk
                ]
            )
            MeetingKindEntry.objects.bulk_create(
                [
                    MeetingKindEntry(
                        meeting=meeting,
                        kind=kind,
                        organisation_id=org_id,
                        group_id=group_id,
                        held_month=day.year * 100 + day.month,
                        counted=True,
                    )
                    for meeting, (org_id, group_id, kinds, day) in zip(meetings, chunk, strict=True)
                    for kind in kinds
                ]
            )
    _analyze()
    return {"records": len(plans), "seconds": clock.perf_counter() - started}


def _analyze() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE meetings_meeting, meetings_meetingkindentry")
