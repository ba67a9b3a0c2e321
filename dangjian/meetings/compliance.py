"""Compliance of organisational life (LIFE-001..008, with LIFE-010/011 exclusions), computed from records.

For a subtree and a period (month, quarter or year) every branch gets one cell per rule. A rule with
a frequency of n months divides the calendar year into blocks of n months (quarters for n = 3); the
blocks overlapping the period are checked: **done** when a counted record (submitted or reviewed) of
that kind was held in the block, **overdue** when the block has ended without one, **due** while it
runs, **future** before it starts, and **n/a** when the rule does not apply (a branch founded after
the block began or dissolved before it ended, no committee for 支委会, no groups for 党小组会).

The whole sheet takes a fixed number of queries whatever the number of branches: one GROUP BY over
the kind entries of the year, one each for branches and groups and for committee seats, and one for
the members to talk with and those talked with.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Count

from dangjian.core.gcpause import paused_gc
from dangjian.core.rules import Rule
from dangjian.core.scope import path_range
from dangjian.members.models import Member
from dangjian.organisations.choices import COMMITTEE_KINDS, GROUP_KINDS, MEMBER_HOLDING_KINDS, CommitteePost, OrgKind
from dangjian.organisations.models import CommitteeSeat, Organisation

from . import rules
from .choices import LectureFrequency, MeetingKind, Presence
from .models import Attendance, Meeting, MeetingKindEntry

PERIOD_KINDS = {"month": "月", "quarter": "季度", "year": "年"}
QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
STATUS_LABELS = {"overdue": "逾期", "due": "待完成", "done": "已完成", "future": "未到期", "na": "不适用"}
STATUS_ORDER = ("overdue", "due", "done", "future", "na")
# kinds whose names are shown beside each branch (its parent)
PARENT_KINDS = [*COMMITTEE_KINDS, OrgKind.GENERAL_BRANCH]
# plain strings (enum attribute access is a descriptor call; the sheet does it tens of thousands of times)
GROUP, TALK, COMMITTEE = MeetingKind.GROUP_MEETING.value, MeetingKind.TALK.value, MeetingKind.COMMITTEE_MEETING.value
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
KIND_STRINGS = tuple(k.value for k in KIND_ORDER)
RULES = {k.value: rule for k, rule in rules.RULE_BY_KIND.items()}


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


class Block:
    """One required period of one rule (for LIFE-003: of one group); the finding is formatted on demand
    from the block and the context its cell shares (thousands of blocks per sheet: no per-block dict)."""

    __slots__ = ("_extra", "_rule", "label", "status", "subject")

    def __init__(self, label: str, status: str, subject: str = "", rule: Rule | None = None, extra: dict[str, Any] | None = None) -> None:
        self.label, self.status, self.subject = label, status, subject
        self._rule, self._extra = rule, extra

    @property
    def message(self) -> str:
        """The rule's finding for an overdue/due block (LIFE-008 also says how many were talked with)."""
        if self._rule is None or self._extra is None:
            return ""
        if self.status in ("overdue", "due"):
            return self._rule.format(period=self.label, group=self.subject, **self._extra)
        if self._rule.id == "LIFE-008" and self.status == "done":
            return f"已谈{self._extra['done']}/{self._extra['total']}人"
        return ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def __repr__(self) -> str:
        return f"Block({self.label!r}, {self.status!r})"


class Cell:
    """One rule for one branch over the period.

    The counts every row of a sheet needs (done, overdue, due, future, n/a) come from bit masks when
    the branch (and its groups) existed through the whole period, the common case; the blocks
    themselves, with their findings, are built on first use (a page shows one page of rows)."""

    __slots__ = ("_blocks", "_branch", "_committee", "_counts", "_ctx", "_groups", "kind", "note", "rule")
    _INDEX = {"done": 0, "overdue": 1, "due": 2, "future": 3, "na": 4}

    def __init__(
        self,
        kind: str,
        rule: Rule,
        branch: dict[str, Any],
        ctx: _Context,
        groups: list[dict[str, Any]],
        has_committee: bool,
        note: str = "",
    ) -> None:
        # what the blocks are built from (separate slots: a sheet makes thousands of cells, no tuple each)
        self.kind, self.rule, self.note = kind, rule, note
        self._branch, self._ctx, self._groups, self._committee = branch, ctx, groups, has_committee
        self._blocks: list[Block] | None = None
        self._counts: tuple[int, int, int, int, int] | None = None

    def __repr__(self) -> str:
        return f"Cell({self.kind!r}, {self.status!r})"

    @property
    def blocks(self) -> list[Block]:
        if self._blocks is None:
            self._blocks = _blocks(self.kind, self._branch, self._ctx, self._groups, self._committee)
        return self._blocks

    @property
    def kind_label(self) -> str:
        return MeetingKind(self.kind).label

    def count(self, status: str) -> int:
        if self._counts is not None:
            return self._counts[self._INDEX[status]]
        return sum(1 for b in self.blocks if b.status == status)

    @property
    def status(self) -> str:
        return next((s for s in STATUS_ORDER if self.count(s)), "na")

    @property
    def required(self) -> int:
        total = sum(self._counts) if self._counts is not None else len(self.blocks)
        return total - self.count("na")

    @property
    def done(self) -> int:
        counts = self._counts
        return counts[0] if counts is not None else self.count("done")

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


@dataclass(frozen=True)
class Slot:
    """An n-month block of the calendar, with what does not depend on the branch: dates and timing."""

    first: int
    months: int
    start: date
    end: date
    label: str
    timing: str  # overdue / due / future, as of ``today``, for a block without a record


def _slots(period: Period, months: int, today: date) -> list[Slot]:
    slots = []
    for first in blocks(period, months):
        start, end = index_date(first), index_date(first + months - 1, end=True)
        timing = "overdue" if end < today else "future" if start > today else "due"
        slots.append(Slot(first, months, start, end, block_label(first, months), timing))
    return slots


def _applies(founded: date | None, dissolved: date | None, slot: Slot) -> bool:
    """A branch (or group) founded on or before the block's first day and not dissolved within it."""
    if founded is not None and founded > slot.start:
        return False
    return not (dissolved is not None and dissolved <= slot.end)


def _status(done: bool, applies: bool, slot: Slot) -> str:
    if done:
        return "done"
    if not applies:
        return "na"
    return slot.timing


def compute_sheet(root: Organisation, period: Period, *, today: date, lecture_months: int, silent_month: int | None = None) -> Sheet:
    """The compliance sheet for every branch in ``root``'s subtree (``root`` already scope-checked)."""
    with paused_gc():  # hundreds of thousands of live objects: no collector passes over them meanwhile
        return _compute_sheet(root, period, today=today, lecture_months=lecture_months, silent_month=silent_month)


def _compute_sheet(root: Organisation, period: Period, *, today: date, lecture_months: int, silent_month: int | None) -> Sheet:
    low, high = path_range(root.path)
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
    # (branch, group for 党小组会 else None, kind) -> month indexes with a counted record
    done = _done_months(low, high, period.start.year)
    talk_total, talk_done = _talks(low, high, period)
    parents = {o["path"]: o["name"] for o in orgs}
    frequency = _frequency_text(lecture_months)
    slots = {
        kind: _slots(period, lecture_months if kind == MeetingKind.PARTY_LECTURE else rules.FREQUENCY_MONTHS[kind], today)
        for kind in KIND_STRINGS
    }
    timing = {kind: _timing(kind_slots, period) for kind, kind_slots in slots.items()}
    kinds = tuple((kind, RULES[kind], timing[kind]) for kind in KIND_STRINGS)
    context = _Context(done, period.start.year, slots, frequency, talk_total, talk_done, {"frequency": frequency}, timing, kinds)
    rows = []
    for branch in branches:
        branch_groups = groups.get(branch["id"], [])
        has_committee = seats.get(branch["id"], 0) >= rules.COMMITTEE_MIN_SEATS
        cells = _row_cells(branch, context, branch_groups, has_committee)
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
            month_slot = Slot(silent_month, 1, index_date(silent_month), index_date(silent_month, end=True), "", "")
            row.silent = row.id not in reported and _applies(branch["founded_on"], branch["dissolved_on"], month_slot)
    return Sheet(root=root, period=period, today=today, rows=rows, lecture_months=lecture_months)


_BIT = "CASE e.held_month %% 100 " + " ".join(f"WHEN {m} THEN {1 << (m - 1)}" for m in range(1, 13)) + " END"


def _done_months(low: str, high: str, year: int) -> dict[tuple[int, int | None, str], int]:
    """One GROUP BY over the year's counted kind rows: per branch, group (党小组会 only) and kind, the
    months held as a 12-bit mask (a period never spans two years). PostgreSQL ORs the month bits
    (``bit_or``, no sort per group); elsewhere the sum of the distinct month bits is the same mask."""
    months = "bit_or(1 << (e.held_month %% 100 - 1))" if connection.vendor == "postgresql" else f"SUM(DISTINCT {_BIT})"
    query = f"""
        SELECT e.organisation_id, CASE WHEN e.kind = %s THEN e.group_id END, e.kind, {months}
        FROM {MeetingKindEntry._meta.db_table} e
        JOIN {Organisation._meta.db_table} o ON o.id = e.organisation_id
        WHERE e.counted AND e.held_month BETWEEN %s AND %s AND o.path BETWEEN %s AND %s
        GROUP BY e.organisation_id, CASE WHEN e.kind = %s THEN e.group_id END, e.kind
    """
    with connection.cursor() as cursor:
        cursor.execute(query, [GROUP, year * 100 + 1, year * 100 + 12, low, high, GROUP])
        return {(org_id, group_id, kind): int(mask) for org_id, group_id, kind, mask in cursor.fetchall()}


@lru_cache(maxsize=8192)
def _months_of(year: int, mask: int) -> frozenset[int]:
    """Month indexes of a 12-bit mask of ``year``."""
    return frozenset(year * 12 + bit for bit in range(12) if mask >> bit & 1)


@lru_cache(maxsize=16384)
def _block_mask(mask: int, months: int) -> int:
    """The bits of the first month of every n-month block holding one of the months in ``mask``."""
    if months == 1:
        return mask
    result = 0
    for bit in range(12):
        if mask >> bit & 1:
            result |= 1 << (bit // months * months)
    return result


def reported_branch_ids(low: str, high: str, month: int) -> set[int]:
    """Branches with at least one counted record (submitted or reviewed) held in month index ``month``."""
    held = (month // 12) * 100 + month % 12 + 1
    return set(
        MeetingKindEntry.objects.filter(counted=True, held_month=held, organisation__path__range=(low, high))
        .values_list("organisation_id", flat=True)
        .distinct()
    )


def _talks(low: str, high: str, period: Period) -> tuple[dict[int, int], dict[int, int]]:
    """LIFE-008 (with LIFE-010/011): members each branch must talk with, and those talked with this year
    — one pass over the subtree's members, the year's talk attendance joined per branch. Counted: current
    members, not exempt (LIFE-010), not flowing elsewhere (LIFE-011); a talk counts for a member present
    at a counted 谈心谈话 record of their own branch."""
    year = period.start.year
    members, orgs = Member._meta.db_table, Organisation._meta.db_table
    attendance, meetings, entries = Attendance._meta.db_table, Meeting._meta.db_table, MeetingKindEntry._meta.db_table
    eligible = "{m}.left_on IS NULL AND NOT {m}.is_exempt AND NOT {m}.is_flowing"
    query = f"""
        SELECT m.organisation_id, COUNT(*), COALESCE(MAX(t.talked), 0)
        FROM {members} m
        JOIN {orgs} o ON o.id = m.organisation_id
        LEFT JOIN (
            SELECT mt.organisation_id AS org_id, COUNT(DISTINCT a.member_id) AS talked
            FROM {attendance} a
            JOIN {meetings} mt ON mt.id = a.meeting_id
            JOIN {members} am ON am.id = a.member_id AND am.organisation_id = mt.organisation_id
            WHERE a.presence = %s AND mt.held_on BETWEEN %s AND %s AND {eligible.format(m="am")}
              AND EXISTS (SELECT 1 FROM {entries} k WHERE k.meeting_id = mt.id AND k.kind = %s AND k.counted)
            GROUP BY mt.organisation_id
        ) t ON t.org_id = m.organisation_id
        WHERE o.path BETWEEN %s AND %s AND {eligible.format(m="m")}
        GROUP BY m.organisation_id
    """
    params = [Presence.PRESENT.value, date(year, 1, 1), date(year, 12, 31), TALK, low, high]
    total: dict[int, int] = {}
    done: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for org_id, n, talked in cursor.fetchall():
            total[org_id] = n
            if talked:
                done[org_id] = talked
    return total, done


def _frequency_text(months: int) -> str:
    return LectureFrequency(months).label if months in LectureFrequency.values else f"每{months}个月一次"


@dataclass
class _Context:
    done: dict[tuple[int, int | None, str], int]  # 12-bit masks of months held
    year: int
    slots: dict[str, list[Slot]]
    frequency: str
    talk_total: dict[int, int]
    talk_done: dict[int, int]
    extra: dict[str, Any] = field(default_factory=dict)
    # per kind: masks of block first months by timing (all/overdue/due/future), their sizes, months per block, first start, last end
    timing: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (kind, rule, timing) in KIND_STRINGS order
    kinds: tuple[tuple[str, Rule, dict[str, Any]], ...] = ()


_NOTHING: frozenset[int] = frozenset()


def _firsts(months_done: set[int] | frozenset[int], months: int) -> set[int] | frozenset[int]:
    """The first month of each n-month block holding one of ``months_done``."""
    if months == 1 or not months_done:
        return months_done
    return {(m // 12) * 12 + ((m % 12) // months) * months for m in months_done}


def _blocks(kind: str, branch: dict[str, Any], ctx: _Context, groups: list[dict[str, Any]], has_committee: bool) -> list[Block]:
    """Every block of one rule for one branch, with its status (the reference computation)."""
    rule = RULES[kind]
    blocks: list[Block] = []
    founded, dissolved = branch["founded_on"], branch["dissolved_on"]
    append = blocks.append
    slots = ctx.slots[kind]
    if kind == GROUP:
        if not groups:
            for slot in slots:
                append(Block(slot.label, "na"))
            return blocks
        extra: dict[str, Any] = {}
        done = [(group, _months_of(ctx.year, ctx.done.get((branch["id"], group["id"], kind), 0))) for group in groups]
        for slot in slots:
            applies = _applies(founded, dissolved, slot)
            for group, months_done in done:
                held = slot.first in months_done
                status = "done" if held else _status(False, applies and _applies(group["founded_on"], group["dissolved_on"], slot), slot)
                append(Block(slot.label, status, group["name"], rule, extra))
        return blocks
    if kind == TALK:
        total, talked = ctx.talk_total.get(branch["id"], 0), ctx.talk_done.get(branch["id"], 0)
        extra = {"done": talked, "total": total, "missing": max(total - talked, 0)}
        for slot in slots:
            status = _status(total > 0 and talked >= total, total > 0 and _applies(founded, dissolved, slot), slot)
            append(Block(slot.label, status, "", rule, extra))
        return blocks
    required = has_committee or kind != COMMITTEE
    firsts = _firsts(_months_of(ctx.year, ctx.done.get((branch["id"], None, kind), 0)), slots[0].months if slots else 1)
    extra = ctx.extra
    for slot in slots:
        if slot.first in firsts:
            append(Block(slot.label, "done", "", rule, extra))
        else:
            append(Block(slot.label, _status(False, required and _applies(founded, dissolved, slot), slot), "", rule, extra))
    return blocks


def _row_cells(branch: dict[str, Any], ctx: _Context, groups: list[dict[str, Any]], has_committee: bool) -> list[Cell]:
    """A branch's cells, in ``KIND_STRINGS`` order, with their counts from bit masks when nothing in the
    period depends on founding or dissolution dates; otherwise the counts come from the blocks (same
    rules, one place: ``_blocks``). Written for speed: a city sheet makes some 300,000 cells."""
    bid = branch["id"]
    done = ctx.done
    talk_total, talked = ctx.talk_total.get(bid, 0), ctx.talk_done.get(bid, 0)
    whole: dict[tuple[date, date], bool] = {}
    cells = []
    for kind, rule, timing in ctx.kinds:
        note = ""
        if kind == GROUP:
            if not groups:
                note = "未设党小组"
        elif kind == COMMITTEE:
            if not has_committee:
                note = "未设支部委员会"
        elif kind == TALK and not talk_total:
            note = "无应谈党员"
        cell = Cell(kind, rule, branch, ctx, groups, has_committee, note)
        cells.append(cell)
        span = timing["span"]
        existed = whole.get(span)
        if existed is None:
            existed = whole[span] = _whole(branch, timing) and all(_whole(g, timing) for g in groups)
        if not existed:
            continue
        size = timing["size"]
        if kind == TALK:
            if talk_total and talked >= talk_total:
                cell._counts = (size, 0, 0, 0, 0)
            elif not talk_total:
                cell._counts = (0, 0, 0, 0, size)
            else:
                cell._counts = timing["none_done"]
            continue
        months, every = timing["months"], timing["all"]
        if kind == GROUP:
            if not groups:
                cell._counts = (0, 0, 0, 0, size)
                continue
            totals = [0, 0, 0, 0, 0]
            for group in groups:
                held = _block_mask(done.get((bid, group["id"], kind), 0), months) & every
                totals[0] += held.bit_count()
                totals[1] += (timing["overdue"] & ~held).bit_count()
                totals[2] += (timing["due"] & ~held).bit_count()
                totals[3] += (timing["future"] & ~held).bit_count()
            cell._counts = tuple(totals)  # type: ignore[assignment]
            continue
        mask = done.get((bid, None, kind), 0)
        if not mask:  # nothing held: the counts of the rule's timing alone
            cell._counts = (0, 0, 0, 0, size) if kind == COMMITTEE and not has_committee else timing["none_done"]
            continue
        held = _block_mask(mask, months) & every
        n_held = held.bit_count()
        if kind == COMMITTEE and not has_committee:
            cell._counts = (n_held, 0, 0, 0, size - n_held)
        else:
            cell._counts = (
                n_held,
                (timing["overdue"] & ~held).bit_count(),
                (timing["due"] & ~held).bit_count(),
                (timing["future"] & ~held).bit_count(),
                0,
            )
    return cells


def _timing(slots: list[Slot], period: Period) -> dict[str, Any]:
    """A rule's blocks in the period as 12-bit masks of their first months, by timing."""

    def mask(timing: str | None) -> int:
        return sum(1 << (slot.first % 12) for slot in slots if timing is None or slot.timing == timing)

    masks = {"all": mask(None), "overdue": mask("overdue"), "due": mask("due"), "future": mask("future")}
    start, end = (slots[0].start, slots[-1].end) if slots else (period.start, period.end)
    return {
        **masks,
        **{f"n_{k}": v.bit_count() for k, v in masks.items()},
        # the counts (done, overdue, due, future, n/a) of a rule nothing was done for
        "none_done": (0, masks["overdue"].bit_count(), masks["due"].bit_count(), masks["future"].bit_count(), 0),
        "size": len(slots),
        "months": slots[0].months if slots else 1,
        "start": start,
        "end": end,
        "span": (start, end),
    }


def _whole(org: dict[str, Any], timing: dict[str, Any]) -> bool:
    """The organisation existed through every block of the rule (founded before, not dissolved within)."""
    founded, dissolved = org["founded_on"], org["dissolved_on"]
    return (founded is None or founded <= timing["start"]) and (dissolved is None or dissolved > timing["end"])


def silent_branches(sheet: Sheet) -> list[BranchRow]:
    """LIFE-017: branches with no counted record held in the month before the sheet's today."""
    return [row for row in sheet.rows if row.silent]
