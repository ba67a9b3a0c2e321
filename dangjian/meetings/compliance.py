"""Compliance of organisational life (LIFE-001..008, with LIFE-010/011 exclusions), computed from records.

For a subtree and a period (month, quarter or year) every branch gets one cell per rule. A rule with
a frequency of n months divides the calendar year into blocks of n months (quarters for n = 3); the
blocks overlapping the period are checked: **done** when a counted record (submitted or reviewed) of
that kind was held in the block, **overdue** when the block has ended without one, **due** while it
runs, **future** before it starts, and **n/a** when the rule does not apply (a branch founded after
the block began or dissolved before it ended, no committee for 支委会, no groups for 党小组会).

The whole sheet takes a fixed number of queries whatever the number of branches: one GROUP BY over
the kind entries of the year, and one each for branches, groups, committee seats, members to talk
with and members talked with.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, Q

from dangjian.core.rules import Rule
from dangjian.core.scope import path_range
from dangjian.members.models import Member
from dangjian.organisations.choices import COMMITTEE_KINDS, GROUP_KINDS, MEMBER_HOLDING_KINDS, CommitteePost, OrgKind
from dangjian.organisations.models import CommitteeSeat, Organisation

from . import rules
from .choices import LectureFrequency, MeetingKind, Presence
from .models import Attendance, MeetingKindEntry

PERIOD_KINDS = {"month": "月", "quarter": "季度", "year": "年"}
QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
STATUS_LABELS = {"overdue": "逾期", "due": "待完成", "done": "已完成", "future": "未到期", "na": "不适用"}
STATUS_ORDER = ("overdue", "due", "done", "future", "na")
# kinds whose names are shown beside each branch (its parent)
PARENT_KINDS = [*COMMITTEE_KINDS, OrgKind.GENERAL_BRANCH]
KIND_ORDER = (
    MeetingKind.BRANCH_GENERAL_MEETING,
    MeetingKind.COMMITTEE_MEETING,
    MeetingKind.GROUP_MEETING,
    MeetingKind.PARTY_LECTURE,
    MeetingKind.THEMED_DAY,
    MeetingKind.LIFE_MEETING,
    MeetingKind.MEMBER_APPRAISAL,
    MeetingKind.TALK,
)


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def index_date(index: int, *, end: bool = False) -> date:
    year, month = divmod(index, 12)
    return date(year, month + 1, calendar.monthrange(year, month + 1)[1] if end else 1)


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year."""

    kind: str
    year: int
    number: int = 0  # month 1–12, quarter 1–4; 0 for a year

    @classmethod
    def containing(cls, kind: str, day: date) -> Period:
        if kind == "month":
            return cls("month", day.year, day.month)
        if kind == "quarter":
            return cls("quarter", day.year, (day.month - 1) // 3 + 1)
        return cls("year", day.year)

    @property
    def first_month(self) -> int:
        if self.kind == "month":
            return self.year * 12 + self.number - 1
        if self.kind == "quarter":
            return self.year * 12 + (self.number - 1) * 3
        return self.year * 12

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.kind]

    @property
    def start(self) -> date:
        return index_date(self.first_month)

    @property
    def end(self) -> date:
        return index_date(self.first_month + self.months - 1, end=True)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.year}年{self.number}月"
        if self.kind == "quarter":
            return f"{self.year}年{QUARTER_NAMES[self.number]}"
        return f"{self.year}年"


def block_label(first: int, months: int) -> str:
    year, month0 = divmod(first, 12)
    if months == 1:
        return f"{year}年{month0 + 1}月"
    if months == 3:
        return f"{year}年{QUARTER_NAMES[month0 // 3 + 1]}"
    if months == 12:
        return f"{year}年"
    if months == 6:
        return f"{year}年{'上' if month0 == 0 else '下'}半年"
    return f"{year}年{month0 + 1}—{month0 + months}月"


def blocks(period: Period, months: int) -> list[int]:
    """First month index of each n-month block of the year that overlaps ``period``."""
    starts = []
    for index in range(period.first_month, period.first_month + period.months):
        year, month0 = divmod(index, 12)
        first = year * 12 + (month0 // months) * months
        if first not in starts:
            starts.append(first)
    return starts


@dataclass
class Block:
    label: str
    status: str
    message: str = ""  # the rule's finding for an overdue/due block
    subject: str = ""  # the group of a LIFE-003 block

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class Cell:
    """One rule for one branch over the period."""

    kind: str
    rule: Rule
    blocks: list[Block] = field(default_factory=list)
    note: str = ""

    @property
    def kind_label(self) -> str:
        return MeetingKind(self.kind).label

    @property
    def status(self) -> str:
        present = {b.status for b in self.blocks}
        return next((s for s in STATUS_ORDER if s in present), "na")

    def count(self, status: str) -> int:
        return sum(1 for b in self.blocks if b.status == status)

    @property
    def required(self) -> int:
        return sum(1 for b in self.blocks if b.status != "na")

    @property
    def done(self) -> int:
        return self.count("done")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def findings(self) -> list[Block]:
        return [b for b in self.blocks if b.status in ("overdue", "due")]


@dataclass
class BranchRow:
    id: int
    name: str
    path: str
    parent_name: str
    cells: list[Cell]
    silent: bool = False  # no counted record held last month (LIFE-017)

    @property
    def status(self) -> str:
        present = {c.status for c in self.cells}
        return next((s for s in STATUS_ORDER if s in present), "na")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def overdue(self) -> int:
        return sum(c.count("overdue") for c in self.cells)

    @property
    def due(self) -> int:
        return sum(c.count("due") for c in self.cells)


@dataclass
class Sheet:
    root: Organisation
    period: Period
    today: date
    rows: list[BranchRow]
    lecture_months: int

    def totals(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUS_ORDER, 0)
        for row in self.rows:
            counts[row.status] += 1
        return counts


def _applies(founded: date | None, dissolved: date | None, first: int, months: int) -> bool:
    """A branch (or group) founded on or before the block's first day and not dissolved within it."""
    start, end = index_date(first), index_date(first + months - 1, end=True)
    if founded is not None and founded > start:
        return False
    return not (dissolved is not None and dissolved <= end)


def _status(done: bool, applies: bool, first: int, months: int, today: date) -> str:
    if done:
        return "done"
    if not applies:
        return "na"
    if index_date(first + months - 1, end=True) < today:
        return "overdue"
    if index_date(first) > today:
        return "future"
    return "due"


def compute_sheet(root: Organisation, period: Period, *, today: date, lecture_months: int, silent_month: int | None = None) -> Sheet:
    """The compliance sheet for every branch in ``root``'s subtree (``root`` already scope-checked)."""
    low, high = path_range(root.path)
    year_first, year_last = period.start.year * 12, period.end.year * 12 + 11
    month_low = (year_first // 12) * 100 + 1
    month_high = (year_last // 12) * 100 + 12
    orgs = list(
        Organisation.objects.filter(path__range=(low, high), kind__in=[*MEMBER_HOLDING_KINDS, *GROUP_KINDS, *PARENT_KINDS])
        .order_by("path")
        .values("id", "name", "path", "kind", "founded_on", "dissolved_on")
    )
    by_path = {o["path"]: o for o in orgs}
    branches = [o for o in orgs if o["kind"] in MEMBER_HOLDING_KINDS and not (o["dissolved_on"] and o["dissolved_on"] < period.start)]
    groups: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for org in orgs:
        if org["kind"] in GROUP_KINDS:
            parent = by_path.get(org["path"][: -Organisation.steplen])
            if parent is not None:
                groups[parent["id"]].append(org)
    seats = dict(
        CommitteeSeat.objects.filter(organisation__path__range=(low, high), ended_on__isnull=True)
        .exclude(post=CommitteePost.GROUP_LEADER)
        .values("organisation_id")
        .annotate(n=Count("id"))
        .values_list("organisation_id", "n")
    )
    done: set[tuple[int, int | None, str, int]] = set()
    entries = (
        MeetingKindEntry.objects.filter(
            counted=True, held_month__gte=month_low, held_month__lte=month_high, organisation__path__range=(low, high)
        )
        .values_list("organisation_id", "group_id", "kind", "held_month")
        .distinct()
    )
    for org_id, group_id, kind, held in entries:
        done.add((org_id, group_id if kind == MeetingKind.GROUP_MEETING else None, kind, (held // 100) * 12 + held % 100 - 1))
    talk_total, talk_done = _talks(low, high, period)
    parents = {o["path"]: o["name"] for o in orgs}
    rows = []
    for branch in branches:
        cells = [
            _cell(
                kind,
                branch,
                period,
                today,
                lecture_months,
                done,
                groups.get(branch["id"], []),
                seats.get(branch["id"], 0),
                talk_total,
                talk_done,
            )
            for kind in KIND_ORDER
        ]
        rows.append(
            BranchRow(
                id=branch["id"],
                name=branch["name"],
                path=branch["path"],
                parent_name=parents.get(branch["path"][: -Organisation.steplen], ""),
                cells=cells,
            )
        )
    if silent_month is not None:
        reported = reported_branch_ids(low, high, silent_month)
        by_id = {b["id"]: b for b in branches}
        for row in rows:
            branch = by_id[row.id]
            row.silent = row.id not in reported and _applies(branch["founded_on"], branch["dissolved_on"], silent_month, 1)
    return Sheet(root=root, period=period, today=today, rows=rows, lecture_months=lecture_months)


def reported_branch_ids(low: str, high: str, month: int) -> set[int]:
    """Branches with at least one counted record (submitted or reviewed) held in month index ``month``."""
    held = (month // 12) * 100 + month % 12 + 1
    return set(
        MeetingKindEntry.objects.filter(counted=True, held_month=held, organisation__path__range=(low, high))
        .values_list("organisation_id", flat=True)
        .distinct()
    )


def _talks(low: str, high: str, period: Period) -> tuple[dict[int, int], dict[int, int]]:
    """LIFE-008 (with LIFE-010/011): members each branch must talk with, and those talked with this year."""
    eligible = Q(left_on__isnull=True, is_exempt=False, is_flowing=False)
    total = dict(
        Member.objects.filter(eligible, organisation__path__range=(low, high))
        .values("organisation_id")
        .annotate(n=Count("id"))
        .values_list("organisation_id", "n")
    )
    year = period.start.year
    done = dict(
        Attendance.objects.filter(
            presence=Presence.PRESENT,
            meeting__held_on__gte=date(year, 1, 1),
            meeting__held_on__lte=date(year, 12, 31),
            meeting__kind_entries__kind=MeetingKind.TALK,
            meeting__kind_entries__counted=True,
            meeting__organisation__path__range=(low, high),
            member__left_on__isnull=True,
            member__is_exempt=False,
            member__is_flowing=False,
            member__organisation_id=F("meeting__organisation_id"),
        )
        .values("meeting__organisation_id")
        .annotate(n=Count("member_id", distinct=True))
        .values_list("meeting__organisation_id", "n")
    )
    return total, done


def _frequency_text(months: int) -> str:
    return LectureFrequency(months).label if months in LectureFrequency.values else f"每{months}个月一次"


def _cell(
    kind: str,
    branch: dict[str, Any],
    period: Period,
    today: date,
    lecture_months: int,
    done: set[tuple[int, int | None, str, int]],
    groups: list[dict[str, Any]],
    seat_count: int,
    talk_total: dict[int, int],
    talk_done: dict[int, int],
) -> Cell:
    rule = rules.RULE_BY_KIND[kind]
    months = lecture_months if kind == MeetingKind.PARTY_LECTURE else rules.FREQUENCY_MONTHS[kind]
    cell = Cell(kind=kind, rule=rule)
    founded, dissolved = branch["founded_on"], branch["dissolved_on"]
    for first in blocks(period, months):
        label = block_label(first, months)
        span = range(first, first + months)
        applies = _applies(founded, dissolved, first, months)
        if kind == MeetingKind.GROUP_MEETING:
            if not groups:
                cell.note = "未设党小组"
            for group in groups:
                group_done = any((branch["id"], group["id"], kind, m) in done for m in span)
                group_applies = applies and _applies(group["founded_on"], group["dissolved_on"], first, months)
                status = _status(group_done, group_applies, first, months, today)
                cell.blocks.append(
                    Block(
                        label, status, rule.format(group=group["name"], period=label) if status in ("overdue", "due") else "", group["name"]
                    )
                )
            continue
        if kind == MeetingKind.TALK:
            total, talked = talk_total.get(branch["id"], 0), talk_done.get(branch["id"], 0)
            finished = total > 0 and talked >= total
            status = _status(finished, applies and total > 0, first, months, today)
            if total == 0:
                cell.note = "无应谈党员"
            message = rule.format(period=label, done=talked, total=total, missing=max(total - talked, 0))
            cell.blocks.append(Block(label, status, message if status in ("overdue", "due") else f"已谈{talked}/{total}人"))
            continue
        if kind == MeetingKind.COMMITTEE_MEETING and seat_count < rules.COMMITTEE_MIN_SEATS:
            applies = False
            cell.note = "未设支部委员会"
        is_done = any((branch["id"], None, kind, m) in done for m in span)
        status = _status(is_done, applies, first, months, today)
        context = {"period": label, "frequency": _frequency_text(lecture_months)}
        cell.blocks.append(Block(label, status, rule.format(**context) if status in ("overdue", "due") else ""))
    return cell


def silent_branches(sheet: Sheet) -> list[BranchRow]:
    """LIFE-017: branches with no counted record held in the month before the sheet's today."""
    return [row for row in sheet.rows if row.silent]
