"""Reads of bases and bookings, always from a Scope; slot availability; statistics (STAT-009)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from dangjian.core.scope import Scope, path_range, subtree_q
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS
from dangjian.organisations.models import Organisation

from . import rules
from .choices import APPROVED_OUTCOMES, HOLDING_STATUSES, BookingStatus
from .models import BaseActivity, Booking, OpenBase, SlotLoad
from .permissions import ADMIN_ROLES, BOOKING_ROLES
from .services import local, make_aware, opening_periods

STEPLEN = Organisation.steplen


def _ancestor_paths(paths: tuple[str, ...] | list[str]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        found |= {path[:end] for end in range(STEPLEN, len(path) + 1, STEPLEN)}
    return found


def _kept_base_ids(scope: Scope) -> QuerySet[Any]:
    return OpenBase.keepers.through.objects.filter(user_id=scope.user_id).values("openbase_id")


def bases_visible_to(scope: Scope) -> QuerySet[OpenBase]:
    """Bases placed at or above any organisation where the caller holds a role (open to that area),
    bases inside an admin's subtree, and the bases the caller keeps."""
    if scope.is_superuser:
        return OpenBase.objects.all()
    all_paths = [p for paths in scope.roles.values() for p in paths]
    query = Q(location__path__in=sorted(_ancestor_paths(all_paths))) | subtree_q(list(scope.subtree_paths), prefix="location__")
    if scope.user_id is not None:
        query |= Q(pk__in=_kept_base_ids(scope))
    return OpenBase.objects.filter(query)


def get_base_for(scope: Scope, pk: int) -> OpenBase:
    """One base the caller sees, or 404 (the same answer as for one that does not exist)."""
    base = bases_visible_to(scope).select_related("location").filter(pk=pk).first()
    if base is None:
        raise Http404("未找到该基地")
    return base


def bases_managed_by(scope: Scope) -> QuerySet[OpenBase]:
    """Bases the caller may manage: kept by them, or placed inside their admin subtree."""
    if scope.is_superuser:
        return OpenBase.objects.all()
    query = subtree_q(list(scope.paths_for(*ADMIN_ROLES)), prefix="location__")
    if scope.user_id is not None:
        query |= Q(pk__in=_kept_base_ids(scope))
    return OpenBase.objects.filter(query)


def bookings_visible_to(scope: Scope) -> QuerySet[Booking]:
    """Bookings of organisations in the caller's subtree, and every booking of a base they manage."""
    if scope.is_superuser:
        return Booking.objects.all()
    query = subtree_q(list(scope.subtree_paths), prefix="organisation__") | Q(base__in=bases_managed_by(scope))
    return Booking.objects.filter(query)


def get_booking_for(scope: Scope, pk: int) -> Booking:
    booking = (
        bookings_visible_to(scope).select_related("base", "base__location", "activity", "organisation", "booked_by").filter(pk=pk).first()
    )
    if booking is None:
        raise Http404("未找到该预约")
    return booking


def branch_bookings(scope: Scope) -> QuerySet[Booking]:
    """The bookings of the branches the caller books for (secretary's "我的预约")."""
    if scope.is_superuser:
        return Booking.objects.all()
    return Booking.objects.filter(subtree_q(list(scope.paths_for(*BOOKING_ROLES)), prefix="organisation__"))


def booking_branches(scope: Scope, base: OpenBase) -> list[Organisation]:
    """Branches the caller may book for at ``base``: in their reach and in the base's area."""
    qs = Organisation.objects.filter(kind__in=[k.value for k in MEMBER_HOLDING_KINDS], dissolved_on__isnull=True)
    if not scope.is_superuser:
        qs = qs.filter(subtree_q(list(scope.paths_for(*BOOKING_ROLES))))
    if base.location.depth > 1:
        qs = qs.filter(path__range=path_range(base.location.path))
    return list(qs.order_by("path"))


def linkable_bookings(organisation: Organisation, day: date) -> QuerySet[Booking]:
    """That branch's approved or checked-in bookings of ``day`` (a meeting record may link one)."""
    start = make_aware(day, time())
    return (
        Booking.objects.filter(
            organisation=organisation,
            status__in=(BookingStatus.APPROVED, BookingStatus.CHECKED_IN),
            starts_at__gte=start,
            starts_at__lt=start + timedelta(days=1),
        )
        .select_related("base", "activity")
        .order_by("starts_at")
    )


# --- availability --------------------------------------------------------------------------------------


@dataclass
class SlotView:
    """One possible start time of an activity on a day, with the places left."""

    starts_at: datetime
    ends_at: datetime
    free: int
    bookable: bool
    reason: str = ""

    @property
    def label(self) -> str:
        return f"{local(self.starts_at):%H:%M}–{local(self.ends_at):%H:%M}"


def day_slots(
    base: OpenBase, activity: BaseActivity, day: date, *, now: datetime | None = None, loads: dict[datetime, tuple[int, int]] | None = None
) -> list[SlotView]:
    """Every start time of ``activity`` on ``day`` with the free places (the fewest over its units)."""
    now = now or timezone.now()
    if base.closed_dates.filter(day=day).exists():
        return []
    duration = timedelta(minutes=activity.duration_minutes)
    periods = opening_periods(base, day)
    if loads is None:
        loads = load_map(base, day, day)
    earliest, latest = now + timedelta(hours=base.min_notice_hours), now + timedelta(days=base.max_notice_days)
    slots = []
    for opens, closes in periods:
        start = opens
        while start + duration <= closes:
            units = []
            moment = start
            while moment < start + duration:
                units.append(moment)
                moment += base.slot
            free = min(loads.get(u, (base.capacity, 0))[0] - loads.get(u, (base.capacity, 0))[1] for u in units)
            reason = ""
            if start <= now:
                reason = "已过"
            elif start < earliest:
                reason = f"须提前{base.min_notice_hours}小时"
            elif start > latest:
                reason = f"最多提前{base.max_notice_days}天"
            elif free <= 0:
                reason = "已满"
            slots.append(SlotView(start, start + duration, max(free, 0), not reason, reason))
            start += base.slot
    return slots


def load_map(base: OpenBase, first: date, last: date) -> dict[datetime, tuple[int, int]]:
    """slot unit -> (capacity, booked) for the days first..last, in one query."""
    rows = SlotLoad.objects.filter(
        base=base, starts_at__gte=make_aware(first, time()), starts_at__lt=make_aware(last + timedelta(days=1), time())
    ).values_list("starts_at", "capacity", "booked")
    return {start: (capacity, booked) for start, capacity, booked in rows}


def week_calendar(base: OpenBase, activity: BaseActivity | None, first: date, *, days: int = 7) -> list[dict[str, Any]]:
    """``days`` days from ``first``: closed reason or the activity's slots, for the calendar view."""
    closed = dict(base.closed_dates.filter(day__gte=first, day__lt=first + timedelta(days=days)).values_list("day", "reason"))
    loads = load_map(base, first, first + timedelta(days=days - 1))
    hours = list(base.hours.all())
    calendar = []
    for n in range(days):
        day = first + timedelta(days=n)
        entry: dict[str, Any] = {"day": day, "closed": closed.get(day, ""), "slots": []}
        if not entry["closed"] and activity is not None:
            entry["slots"] = day_slots(base, activity, day, loads=loads) if opening_periods(base, day, hours=hours) else []
        entry["open"] = bool(opening_periods(base, day, hours=hours)) and not entry["closed"]
        calendar.append(entry)
    return calendar


# --- statistics ------------------------------------------------------------------------------------------


def _period(first: date, last: date) -> tuple[datetime, datetime]:
    return make_aware(first, time()), make_aware(last + timedelta(days=1), time())


def booking_statistics(org: Organisation, first: date, last: date) -> dict[str, Any]:
    """Bookings of branches in ``org``'s subtree starting in first..last: STAT-009 batches, by base,
    activity and organisation; no-show rate per organisation (aggregates only, LIFE-023)."""
    start, end = _period(first, last)
    rows = Booking.objects.filter(organisation__path__range=path_range(org.path), starts_at__gte=start, starts_at__lt=end)
    # STAT-009: not withdrawn before the keeper's decision = decided (approved, declined, or auto-approved)
    accepted = rows.filter(decided_at__isnull=False)
    outcome = Count("id", filter=Q(status__in=APPROVED_OUTCOMES) | Q(status=BookingStatus.CANCELLED))
    totals = accepted.aggregate(
        count=Count("id"),
        approved=outcome,
        declined=Count("id", filter=Q(status=BookingStatus.DECLINED)),
        no_show=Count("id", filter=Q(status=BookingStatus.NO_SHOW)),
        checked_in=Count("id", filter=Q(status=BookingStatus.CHECKED_IN)),
    )
    totals["line"] = rules.ACCEPTED_BOOKINGS.format(**totals)
    totals["pending"] = rows.filter(status=BookingStatus.PENDING).count()
    totals["withdrawn"] = rows.filter(status=BookingStatus.CANCELLED, decided_at__isnull=True).count()

    def grouped(*fields: str) -> list[dict[str, Any]]:
        return list(
            accepted.values(*fields)
            .annotate(
                count=Count("id"),
                approved=outcome,
                declined=Count("id", filter=Q(status=BookingStatus.DECLINED)),
                no_show=Count("id", filter=Q(status=BookingStatus.NO_SHOW)),
                checked_in=Count("id", filter=Q(status=BookingStatus.CHECKED_IN)),
                people=Sum("headcount", filter=Q(status__in=APPROVED_OUTCOMES)),
            )
            .order_by("-count", *fields)
        )

    by_org = grouped("organisation__name", "organisation_id")
    for row in by_org:
        due = row["checked_in"] + row["no_show"]
        row["no_show_rate"] = f"{row['no_show'] / due:.0%}" if due else "—"
    return {
        "totals": totals,
        "by_base": grouped("base__name", "base_id"),
        "by_activity": grouped("activity__name", "base__name"),
        "by_org": by_org,
        "utilisation": utilisation(org, first, last),
    }


def utilisation(org: Organisation, first: date, last: date) -> list[dict[str, Any]]:
    """Per base in or above ``org``'s area: places booked (approved outcomes) × time over capacity × open time."""
    start, end = _period(first, last)
    bases = list(
        OpenBase.objects.filter(Q(location__path__range=path_range(org.path)) | Q(location__path__in=sorted(_ancestor_paths([org.path]))))
        .prefetch_related("hours", "closed_dates")
        .order_by("name")
    )
    used: dict[int, float] = defaultdict(float)
    checked: dict[int, int] = defaultdict(int)
    for base_id, starts, ends, headcount, status in Booking.objects.filter(
        base__in=bases, starts_at__gte=start, starts_at__lt=end, status__in=APPROVED_OUTCOMES
    ).values_list("base_id", "starts_at", "ends_at", "headcount", "status"):
        used[base_id] += headcount * (ends - starts).total_seconds() / 60
        if status == BookingStatus.CHECKED_IN:
            checked[base_id] += 1
    result = []
    for base in bases:
        closed = {c.day for c in base.closed_dates.all()}
        minutes = 0.0
        day = first
        while day <= last:
            if day not in closed:
                minutes += sum((b - a).total_seconds() / 60 for a, b in opening_periods(base, day, hours=base.hours.all()))
            day += timedelta(days=1)
        offered = minutes * base.capacity
        result.append(
            {
                "base": base,
                "open_hours": round(minutes / 60, 1),
                "person_hours": round(used[base.pk] / 60, 1),
                "rate": f"{used[base.pk] / offered:.1%}" if offered else "—",
                "checked_in": checked[base.pk],
            }
        )
    return result


def booking_history(booking: Booking) -> QuerySet[Any]:
    return booking.events.select_related("actor").all()


def holding_bookings(base: OpenBase, first: date, last: date) -> QuerySet[Booking]:
    """Bookings holding places at ``base`` between the days (the keeper's list)."""
    start, end = _period(first, last)
    return (
        Booking.objects.filter(base=base, starts_at__gte=start, starts_at__lt=end, status__in=HOLDING_STATUSES)
        .select_related("organisation", "activity")
        .order_by("starts_at", "id")
    )
