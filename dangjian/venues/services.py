"""Writes of bases and bookings: registration, booking (never above capacity), decisions, check-in.

Every state change is one ``transaction.atomic()``. Booking locks the base row first
(``locks.lock_base``), then reserves the places slot unit by slot unit with a conditional UPDATE
on ``SlotLoad`` (``booked <= capacity - n``); the CHECK constraint ``booked <= capacity`` is the
database's backstop (ADR 0006). Decisions are conditional UPDATEs on the expected status, so a
second click or a second keeper gets "已被他人处理" instead of a second change. Notices go out after
the commit.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dangjian.audit.models import AuditAction
from dangjian.audit.services import record_event
from dangjian.core.dates import add_months
from dangjian.core.masking import mask_phone
from dangjian.core.rules import RuleViolation
from dangjian.members.models import Member
from dangjian.members.notices import recipient_for_member, with_recipient_data
from dangjian.notifications.choices import ChannelChoice, MessageKind
from dangjian.notifications.recipients import Recipient
from dangjian.notifications.services import notify
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS
from dangjian.organisations.models import Organisation

from . import rules
from .choices import HOLDING_STATUSES, BookingAction, BookingStatus, Repeat, Weekday
from .locks import lock_base, lock_booking
from .models import BaseActivity, Booking, BookingEvent, ClosedDate, OpenBase, OpeningHours, SlotLoad

logger = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by a keeper
CODE_LENGTH = 6
MAX_OCCURRENCES = 26


def local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def at_text(moment: datetime) -> str:
    return f"{local(moment):%Y-%m-%d %H:%M}"


def span_text(start: datetime, end: datetime) -> str:
    return f"{local(start):%m月%d日 %H:%M}–{local(end):%H:%M}"


def make_aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at), timezone.get_current_timezone())


# --- time grid ---------------------------------------------------------------------------------------


def slot_units(base: OpenBase, start: datetime, end: datetime) -> list[datetime]:
    """The slot units [start, end) covers, each ``base.slot_minutes`` long (the rows of SlotLoad)."""
    units = []
    moment = start
    while moment < end:
        units.append(moment)
        moment += base.slot
    return units


def opening_periods(base: OpenBase, day: date, *, hours: Iterable[OpeningHours] | None = None) -> list[tuple[datetime, datetime]]:
    """Opening periods of ``day`` as aware datetimes (empty on a closed weekday)."""
    rows = hours if hours is not None else base.hours.all()
    return [(make_aware(day, h.opens_at), make_aware(day, h.closes_at)) for h in rows if h.weekday == day.weekday()]


def hours_text(base: OpenBase, day: date) -> str:
    periods = opening_periods(base, day)
    return "、".join(f"{local(a):%H:%M}–{local(b):%H:%M}" for a, b in periods) or "不开放"


def check_fits_opening(base: OpenBase, start: datetime, end: datetime) -> None:
    """On the slot grid, not on a closed date, inside one opening period (BASE-002)."""
    start_local = local(start)
    if start_local.second or start_local.microsecond or (start_local.hour * 60 + start_local.minute) % base.slot_minutes:
        raise rules.SLOT_GRID.violation(field="starts_at", start=at_text(start), base=base.name, slot=base.slot_minutes)
    day = start_local.date()
    closed = ClosedDate.objects.filter(base=base, day=day).first()
    if closed is not None:
        raise rules.CLOSED_DATE.violation(field="starts_at", base=base.name, day=f"{day:%Y-%m-%d}", reason=closed.reason)
    if not any(opens <= start and end <= closes for opens, closes in opening_periods(base, day)):
        raise rules.OUTSIDE_HOURS.violation(
            field="starts_at",
            start=at_text(start),
            end=f"{local(end):%H:%M}",
            base=base.name,
            weekday=Weekday(day.weekday()).label,
            hours=hours_text(base, day),
        )


# --- bases -------------------------------------------------------------------------------------------

BASE_FIELDS = (
    "name",
    "host_unit",
    "site",
    "contact_name",
    "contact_phone",
    "capacity",
    "description",
    "slot_minutes",
    "min_notice_hours",
    "max_notice_days",
    "monthly_quota",
    "needs_approval",
    "cancel_cutoff_hours",
    "checkin_window_minutes",
    "is_active",
)


def _base_snapshot(base: OpenBase) -> dict[str, Any]:
    data = {f: getattr(base, f) for f in BASE_FIELDS}
    data["contact_phone"] = mask_phone(base.contact_phone)
    data["location"] = base.location_id
    return data


def register_base(*, actor: Any, location: Organisation, values: dict[str, Any], keeper_ids: Iterable[int] = ()) -> OpenBase:
    """Register a base under ``location`` (BASE-001); the caller checked the actor may do so there."""
    capacity = values.get("capacity")
    if not capacity or int(capacity) <= 0:
        raise rules.BASE_CAPACITY.violation(field="capacity", capacity=capacity)
    with transaction.atomic():
        base = OpenBase(location=location, **{k: v for k, v in values.items() if k in BASE_FIELDS})
        base.save()
        base.keepers.set(list(keeper_ids))
        record_event(actor=actor, action=AuditAction.CREATE, obj=base, org_path=location.path, after=_base_snapshot(base))
    return base


def update_base(
    *, actor: Any, base_id: int, values: dict[str, Any], keeper_ids: Iterable[int] | None = None, location: Organisation | None = None
) -> OpenBase:
    """Change a base's details and rules (and, for admins, its place on the tree and its keepers);
    a lower capacity must still hold every future slot's bookings."""
    with transaction.atomic():
        base = lock_base(base_id)
        before = _base_snapshot(base)
        if location is not None:
            base.location = location
        for key, value in values.items():
            if key in BASE_FIELDS:
                setattr(base, key, value)
        if not base.capacity or base.capacity <= 0:
            raise rules.BASE_CAPACITY.violation(field="capacity", capacity=base.capacity)
        if base.capacity != before["capacity"]:
            _apply_capacity(base)
        for activity in base.activities.filter(is_active=True):
            if activity.capacity > base.capacity:
                raise rules.ACTIVITY_CAPACITY.violation(
                    field="capacity", activity=activity.name, activity_capacity=activity.capacity, capacity=base.capacity
                )
        if base.slot_minutes != before["slot_minutes"] and Booking.objects.filter(base=base, status__in=HOLDING_STATUSES).exists():
            base.slot_minutes = before["slot_minutes"]  # the grid of existing loads stays; say so
            raise RuleViolation(rules.SLOT_GRID, "已有预约的基地不能更改时段长度；请在现有预约结束后再更改。", field="slot_minutes")
        base.save()
        if keeper_ids is not None:
            base.keepers.set(list(keeper_ids))
        record_event(
            actor=actor, action=AuditAction.UPDATE, obj=base, org_path=base.location.path, before=before, after=_base_snapshot(base)
        )
    return base


def _apply_capacity(base: OpenBase) -> None:
    """Future slot loads take the new capacity; refused (BASE-001) where more are already booked."""
    now = timezone.now()
    crowded = SlotLoad.objects.filter(base=base, starts_at__gte=now, booked__gt=base.capacity).order_by("starts_at").first()
    if crowded is not None:
        raise rules.CAPACITY_BELOW_BOOKED.violation(
            field="capacity", capacity=base.capacity, slot=at_text(crowded.starts_at), booked=crowded.booked
        )
    SlotLoad.objects.filter(base=base, starts_at__gte=now).update(capacity=base.capacity)


def save_activity(*, actor: Any, base_id: int, values: dict[str, Any], activity_id: int | None = None) -> BaseActivity:
    """Add or change one item of the activity menu (duration on the slot grid, within the base's capacity)."""
    with transaction.atomic():
        base = lock_base(base_id)
        activity = base.activities.get(pk=activity_id) if activity_id else BaseActivity(base=base)
        for key in ("name", "duration_minutes", "capacity", "description", "is_active"):
            if key in values:
                setattr(activity, key, values[key])
        minutes = int(activity.duration_minutes or 0)
        if minutes <= 0 or minutes % base.slot_minutes:
            raise rules.ACTIVITY_DURATION.violation(
                field="duration_minutes", activity=activity.name, minutes=minutes, slot=base.slot_minutes
            )
        if not activity.capacity or activity.capacity <= 0 or activity.capacity > base.capacity:
            raise rules.ACTIVITY_CAPACITY.violation(
                field="capacity", activity=activity.name, activity_capacity=activity.capacity, capacity=base.capacity
            )
        activity.save()
        record_event(
            actor=actor,
            action=AuditAction.UPDATE if activity_id else AuditAction.CREATE,
            obj=activity,
            org_path=base.location.path,
            after={"base": base.pk, "name": activity.name, "minutes": minutes, "capacity": activity.capacity, "active": activity.is_active},
        )
    return activity


def add_opening_hours(*, actor: Any, base_id: int, weekday: int, opens_at: time, closes_at: time) -> OpeningHours:
    """One more opening period on a weekday: on the slot grid, not overlapping the day's others."""
    with transaction.atomic():
        base = lock_base(base_id)
        label = Weekday(weekday).label
        on_grid = all((t.hour * 60 + t.minute) % base.slot_minutes == 0 and not t.second for t in (opens_at, closes_at))
        if closes_at <= opens_at or not on_grid:
            raise rules.HOURS_ORDER.violation(
                field="opens_at", weekday=label, opens=f"{opens_at:%H:%M}", closes=f"{closes_at:%H:%M}", slot=base.slot_minutes
            )
        for other in base.hours.filter(weekday=weekday):
            if opens_at < other.closes_at and other.opens_at < closes_at:
                raise rules.HOURS_OVERLAP.violation(
                    field="opens_at",
                    weekday=label,
                    first=f"{opens_at:%H:%M}–{closes_at:%H:%M}",
                    second=f"{other.opens_at:%H:%M}–{other.closes_at:%H:%M}",
                )
        hours = OpeningHours.objects.create(base=base, weekday=weekday, opens_at=opens_at, closes_at=closes_at)
        record_event(actor=actor, action=AuditAction.UPDATE, obj=base, org_path=base.location.path, after={"hours_added": str(hours)})
    return hours


def remove_opening_hours(*, actor: Any, base_id: int, hours_id: int) -> None:
    """Remove an opening period; bookings already made keep their places (the keeper settles them)."""
    with transaction.atomic():
        base = lock_base(base_id)
        hours = base.hours.get(pk=hours_id)
        record_event(actor=actor, action=AuditAction.UPDATE, obj=base, org_path=base.location.path, before={"hours_removed": str(hours)})
        hours.delete()


def add_closed_date(*, actor: Any, base_id: int, day: date, reason: str) -> ClosedDate:
    """Close the base on ``day``; returns the row. Bookings of that day are listed to the keeper."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise RuleViolation(None, "请写明闭馆原因（如“国庆假期”“设备检修”），预约的党支部会看到。", field="reason")
    with transaction.atomic():
        base = lock_base(base_id)
        if base.closed_dates.filter(day=day).exists():
            raise RuleViolation(None, f"{day:%Y-%m-%d}已登记为闭馆日期。", field="day")
        closed = ClosedDate.objects.create(base=base, day=day, reason=reason)
        record_event(actor=actor, action=AuditAction.UPDATE, obj=base, org_path=base.location.path, after={"closed": str(closed)})
    return closed


def remove_closed_date(*, actor: Any, base_id: int, closed_id: int) -> None:
    with transaction.atomic():
        base = lock_base(base_id)
        closed = base.closed_dates.get(pk=closed_id)
        record_event(actor=actor, action=AuditAction.UPDATE, obj=base, org_path=base.location.path, before={"closed": str(closed)})
        closed.delete()


# --- booking -----------------------------------------------------------------------------------------


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Booking.objects.filter(check_code=code).exists():
            return code


def free_places(base: OpenBase, units: list[datetime]) -> int:
    """The fewest places left over the units (the base's capacity where nothing is booked yet)."""
    loads = dict(SlotLoad.objects.filter(base=base, starts_at__in=units).values_list("starts_at", "booked"))
    capacity = dict(SlotLoad.objects.filter(base=base, starts_at__in=units).values_list("starts_at", "capacity"))
    return min((capacity.get(u, base.capacity) - loads.get(u, 0) for u in units), default=base.capacity)


def reserve(base: OpenBase, units: list[datetime], headcount: int, *, start: datetime, end: datetime) -> None:
    """Take ``headcount`` places in every unit, or none (BASE-002 slot full). The base is locked."""
    have = set(SlotLoad.objects.filter(base=base, starts_at__in=units).values_list("starts_at", flat=True))
    missing = [SlotLoad(base=base, starts_at=u, capacity=base.capacity) for u in units if u not in have]
    if missing:
        SlotLoad.objects.bulk_create(missing)
    taken = SlotLoad.objects.filter(base=base, starts_at__in=units, booked__lte=F("capacity") - headcount).update(
        booked=F("booked") + headcount
    )
    if taken != len(units):
        # the exception leaves the atomic block: the units updated above are rolled back with it
        raise rules.SLOT_FULL.violation(
            field="starts_at", base=base.name, slot=span_text(start, end), free=max(free_places(base, units), 0), headcount=headcount
        )


def release(booking: Booking) -> None:
    """Give a booking's places back to its slot units (decline, cancel)."""
    units = slot_units(booking.base, booking.starts_at, booking.ends_at)
    SlotLoad.objects.filter(base_id=booking.base_id, starts_at__in=units).update(booked=F("booked") - booking.headcount)


def _month_bounds(moment: datetime) -> tuple[datetime, datetime, str]:
    day = local(moment).date().replace(day=1)
    return make_aware(day, time()), make_aware(add_months(day, 1), time()), f"{day.year}年{day.month}月"


def _event(booking: Booking, actor: Any, action: str, comment: str = "") -> None:
    BookingEvent.objects.create(booking=booking, actor=actor if getattr(actor, "pk", None) else None, action=action, comment=comment[:300])


def book_slot(
    *,
    actor: Any,
    base_id: int,
    activity_id: int,
    organisation_id: int,
    starts_at: datetime,
    headcount: int,
    contact_name: str = "",
    contact_phone: str = "",
    note: str = "",
    participant_ids: Iterable[int] = (),
    request_key: str = "",
    series_key: str = "",
    now: datetime | None = None,
    send_notices: bool = True,
) -> Booking:
    """Book one slot for one branch (BASE-002): never above capacity, whatever the concurrency.

    A second call with the same ``request_key`` (a double click, a retried request) returns the
    booking the first made. The caller checked that the actor may book for the organisation and
    sees the base.
    """
    now = now or timezone.now()
    request_key = (request_key or "")[:80]
    # rows that a booking does not change are read before the lock, to keep the locked part short
    activity = BaseActivity.objects.filter(base_id=base_id, pk=activity_id).first() if activity_id else None
    org = Organisation.objects.filter(pk=organisation_id).first() if organisation_id else None
    with transaction.atomic():
        base = lock_base(base_id)  # first: serialises every booking of this base
        if request_key:
            existing = Booking.objects.filter(request_key=request_key).first()
            if existing is not None:
                existing.replayed = True  # type: ignore[attr-defined]
                return existing
        booking = _validated_booking(
            base=base,
            activity=activity,
            org=org,
            starts_at=starts_at,
            headcount=headcount,
            now=now,
        )
        participants = _participants(booking.organisation, participant_ids, headcount)
        reserve(base, slot_units(base, booking.starts_at, booking.ends_at), headcount, start=booking.starts_at, end=booking.ends_at)
        booking.contact_name = (contact_name or getattr(actor, "display_name", "") or str(actor))[:50]
        booking.contact_phone = (contact_phone or "").strip()
        booking.note = (note or "")[:300]
        booking.booked_by = actor
        booking.request_key = request_key
        booking.series_key = series_key
        booking.check_code = _new_code()
        if not base.needs_approval:
            booking.status, booking.decided_at = BookingStatus.APPROVED, now
        booking.save()
        if participants:
            booking.participants.set(participants)
        _event(booking, actor, BookingAction.BOOKED, f"{booking.headcount}人")
        if booking.status == BookingStatus.APPROVED:
            _event(booking, None, BookingAction.APPROVED, "本基地预约无须审核，自动通过")
    booking.replayed = False  # type: ignore[attr-defined]
    if send_notices:
        _after_commit_notices(booking, "booked")
    return booking


def _validated_booking(
    *, base: OpenBase, activity: BaseActivity | None, org: Organisation | None, starts_at: datetime, headcount: int, now: datetime
) -> Booking:
    """An unsaved Booking after every BASE-002 check but the places (checked by ``reserve``)."""
    if not base.is_active:
        raise rules.INACTIVE.violation(what=f"基地“{base.name}”")
    if activity is None:
        raise RuleViolation(None, f"请从{base.name}的活动菜单中选择活动。", field="activity")
    if not activity.is_active:
        raise rules.INACTIVE.violation(what=f"活动“{activity.name}”")
    if org is None:
        raise RuleViolation(None, "请选择预约的党支部。", field="organisation")
    if org.kind not in MEMBER_HOLDING_KINDS:
        raise rules.NOT_A_BRANCH.violation(field="organisation", org=org.name)
    if starts_at is None:
        raise RuleViolation(None, "请选择预约时段。", field="starts_at")
    rules.check_headcount(
        headcount=headcount, activity=activity.name, activity_capacity=activity.capacity, base=base.name, base_capacity=base.capacity
    )
    ends_at = starts_at + timedelta(minutes=activity.duration_minutes)
    rules.check_notice(base=base.name, start=starts_at, now=now, min_hours=base.min_notice_hours, max_days=base.max_notice_days)
    check_fits_opening(base, starts_at, ends_at)
    if base.monthly_quota:
        month_start, month_end, month = _month_bounds(starts_at)
        count = Booking.objects.filter(
            base=base, organisation=org, starts_at__gte=month_start, starts_at__lt=month_end, status__in=HOLDING_STATUSES
        ).count()
        rules.check_quota(org=org.name, base=base.name, month=month, count=count, quota=base.monthly_quota)
    return Booking(base=base, activity=activity, organisation=org, starts_at=starts_at, ends_at=ends_at, headcount=headcount)


def _participants(org: Organisation, member_ids: Iterable[int], headcount: int) -> list[Member]:
    ids = sorted({int(i) for i in member_ids or ()})
    if not ids:
        return []
    members = list(Member.objects.filter(pk__in=ids, organisation=org))
    if len(members) != len(ids):
        raise RuleViolation(None, f"参加人员只能从{org.name}的党员中选择。", field="participants")
    if len(members) > headcount:
        raise rules.PARTICIPANTS_OVER_HEADCOUNT.violation(field="participants", count=len(members), headcount=headcount)
    return members


@dataclass
class Occurrence:
    """One date of a recurring booking: the booking made, or why that date could not be booked."""

    starts_at: datetime
    booking: Booking | None = None
    problem: str = ""
    rule: str = ""


def occurrence_starts(first: datetime, repeat: str, until: date) -> list[datetime]:
    """Start times of a series from ``first`` up to ``until`` (inclusive), at most MAX_OCCURRENCES."""
    first_local = local(first)
    starts: list[datetime] = []
    n = 0
    while len(starts) < MAX_OCCURRENCES:
        if repeat == Repeat.MONTHLY:
            day = add_months(first_local.date(), n)
        else:
            step = 7 if repeat == Repeat.WEEKLY else 14
            day = first_local.date() + timedelta(days=step * n)
        if day > until:
            break
        if repeat != Repeat.MONTHLY or day.day == first_local.day:  # monthly: skip months without that date
            starts.append(make_aware(day, first_local.time().replace(tzinfo=None)))
        n += 1
    return starts


def book_series(
    *,
    actor: Any,
    base_id: int,
    activity_id: int,
    organisation_id: int,
    first_start: datetime,
    repeat: str,
    until: date,
    headcount: int,
    contact_name: str = "",
    contact_phone: str = "",
    note: str = "",
    request_key: str = "",
    now: datetime | None = None,
) -> list[Occurrence]:
    """Recurring booking: book every date that is free, and say for each other date why not.

    Each date is its own transaction, so one full slot never undoes the dates already booked.
    """
    if repeat not in Repeat.values:
        raise RuleViolation(None, "请选择重复方式（每周、每两周或每月）。", field="repeat")
    if until is None or until < local(first_start).date():
        raise RuleViolation(None, "重复截止日期须不早于第一次的日期。", field="until")
    key = (request_key or secrets.token_hex(8))[:40]
    results: list[Occurrence] = []
    for n, start in enumerate(occurrence_starts(first_start, repeat, until)):
        try:
            booking = book_slot(
                actor=actor,
                base_id=base_id,
                activity_id=activity_id,
                organisation_id=organisation_id,
                starts_at=start,
                headcount=headcount,
                contact_name=contact_name,
                contact_phone=contact_phone,
                note=note,
                request_key=f"{key}:{n}",
                series_key=key,
                now=now,
            )
            results.append(Occurrence(starts_at=start, booking=booking))
        except RuleViolation as exc:
            results.append(Occurrence(starts_at=start, problem=exc.message, rule=exc.rule.key if exc.rule else ""))
    return results


def _transition(
    *, booking_id: int, actor: Any, expected: tuple[str, ...], to: str, action: str, label: str, changes: dict[str, Any], comment: str = ""
) -> Booking:
    """Move a locked booking from one of ``expected`` to ``to`` with a conditional UPDATE (0 rows: someone was first)."""
    booking = lock_booking(booking_id)
    updated = Booking.objects.filter(pk=booking.pk, status__in=expected).update(status=to, updated_at=timezone.now(), **changes)
    if not updated:
        raise rules.STATE_CHANGED.violation(status=BookingStatus(booking.status).label, action=label)
    booking.refresh_from_db()
    _event(booking, actor, action, comment)
    return booking


def approve_booking(*, actor: Any, booking_id: int, now: datetime | None = None, send_notices: bool = True) -> Booking:
    """The keeper approves a pending booking (BASE-002)."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _transition(
            booking_id=booking_id,
            actor=actor,
            expected=(BookingStatus.PENDING,),
            to=BookingStatus.APPROVED,
            action=BookingAction.APPROVED,
            label="审核通过",
            changes={"decided_at": now, "decided_by": actor},
        )
        record_event(actor=actor, action=AuditAction.UPDATE, obj=booking, org_path=booking.organisation.path, reason="审核通过基地预约")
    if send_notices:
        _after_commit_notices(booking, "approved")
    return booking


def decline_booking(*, actor: Any, booking_id: int, reason: str, now: datetime | None = None, send_notices: bool = True) -> Booking:
    """The keeper declines a pending booking with a reason; its places are freed at once."""
    now = now or timezone.now()
    reason = " ".join((reason or "").split())
    if not reason:
        raise rules.DECLINE_REASON.violation(field="reason")
    with transaction.atomic():
        booking = _transition(
            booking_id=booking_id,
            actor=actor,
            expected=(BookingStatus.PENDING,),
            to=BookingStatus.DECLINED,
            action=BookingAction.DECLINED,
            label="审核不通过",
            changes={"decided_at": now, "decided_by": actor, "decline_reason": reason[:300]},
            comment=reason,
        )
        release(booking)
        record_event(
            actor=actor, action=AuditAction.UPDATE, obj=booking, org_path=booking.organisation.path, reason=f"基地预约未通过：{reason}"
        )
    if send_notices:
        _after_commit_notices(booking, "declined")
    return booking


def cancel_booking(*, actor: Any, booking_id: int, reason: str = "", now: datetime | None = None, send_notices: bool = True) -> Booking:
    """The branch withdraws its booking until the base's cutoff; the places are freed at once."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = lock_booking(booking_id)
        if booking.status in (BookingStatus.PENDING, BookingStatus.APPROVED):
            rules.check_cancel_cutoff(base=booking.base.name, start=booking.starts_at, now=now, hours=booking.base.cancel_cutoff_hours)
        booking = _transition(
            booking_id=booking_id,
            actor=actor,
            expected=(BookingStatus.PENDING, BookingStatus.APPROVED),
            to=BookingStatus.CANCELLED,
            action=BookingAction.CANCELLED,
            label="取消",
            changes={"cancelled_at": now, "cancel_reason": " ".join((reason or "").split())[:300]},
            comment=reason,
        )
        release(booking)
    if send_notices:
        _after_commit_notices(booking, "cancelled")
    return booking


def set_participants(*, actor: Any, booking_id: int, member_ids: Iterable[int], guest_count: int = 0) -> Booking:
    """The branch records who takes part (optional at booking, required before check-in)."""
    with transaction.atomic():
        booking = lock_booking(booking_id)
        if booking.status not in (BookingStatus.PENDING, BookingStatus.APPROVED):
            raise rules.STATE_CHANGED.violation(status=BookingStatus(booking.status).label, action="修改参加人员")
        if guest_count is None or guest_count < 0:
            raise RuleViolation(None, "非本支部参加人数不能为负数。", field="guest_count")
        members = _participants(booking.organisation, member_ids, booking.headcount)
        if len(members) + guest_count > booking.headcount:
            raise rules.PARTICIPANTS_OVER_HEADCOUNT.violation(
                field="participants", count=len(members) + guest_count, headcount=booking.headcount
            )
        booking.participants.set(members)
        Booking.objects.filter(pk=booking.pk).update(guest_count=guest_count)
        booking.guest_count = guest_count
        _event(booking, actor, BookingAction.PARTICIPANTS, f"党员{len(members)}人，其他{guest_count}人")
    return booking


def check_in(*, actor: Any, booking_id: int, attended: int | None = None, now: datetime | None = None) -> Booking:
    """The keeper checks the group in within the window; participants must be on record (BASE-002)."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = lock_booking(booking_id)
        if booking.status != BookingStatus.APPROVED:
            label = "签到" if booking.status != BookingStatus.PENDING else "签到（须先审核通过）"
            raise rules.STATE_CHANGED.violation(status=BookingStatus(booking.status).label, action=label)
        rules.check_checkin_window(start=booking.starts_at, now=now, minutes=booking.base.checkin_window_minutes)
        listed = booking.participants.count() + booking.guest_count
        if not listed:
            raise rules.PARTICIPANTS_REQUIRED.violation()
        attended = listed if attended in (None, "") else int(attended)
        if attended <= 0 or attended > booking.headcount:
            raise RuleViolation(None, f"实到人数须在1到预约人数{booking.headcount}之间（现为{attended}）。", field="attended")
        booking = _transition(
            booking_id=booking_id,
            actor=actor,
            expected=(BookingStatus.APPROVED,),
            to=BookingStatus.CHECKED_IN,
            action=BookingAction.CHECKED_IN,
            label="签到",
            changes={"checked_in_at": now, "attended": attended},
            comment=f"实到{attended}人",
        )
    return booking


def find_by_code(*, base: OpenBase, code: str, on: date) -> Booking:
    """The base's booking of day ``on`` with this short code (case and spaces ignored)."""
    cleaned = "".join((code or "").split()).upper()
    start, end = make_aware(on, time()), make_aware(on + timedelta(days=1), time())
    booking = Booking.objects.filter(base=base, check_code=cleaned, starts_at__gte=start, starts_at__lt=end).first()
    if booking is None:
        raise rules.WRONG_CODE.violation(field="code", code=cleaned or code)
    return booking


# --- daily jobs --------------------------------------------------------------------------------------


def mark_no_shows(*, day: date, now: datetime | None = None) -> dict[str, Any]:
    """Approved bookings whose check-in window closed by the end of ``day`` (and before now) become no-shows."""
    now = now or timezone.now()
    cutoff = min(now, make_aware(day + timedelta(days=1), time()))
    marked = 0
    candidates = Booking.objects.filter(status=BookingStatus.APPROVED, starts_at__lt=cutoff).select_related("base")
    for booking in candidates:
        _opens, closes = rules.checkin_window(booking.starts_at, booking.base.checkin_window_minutes)
        if closes >= cutoff:
            continue
        with transaction.atomic():
            if Booking.objects.filter(pk=booking.pk, status=BookingStatus.APPROVED).update(status=BookingStatus.NO_SHOW, updated_at=now):
                _event(booking, None, BookingAction.NO_SHOW, rules.NO_SHOW.format())
                marked += 1
    return {"day": day.isoformat(), "no_shows": marked}


def send_reminders(*, day: date) -> dict[str, Any]:
    """Remind booking branches of tomorrow's approved or pending bookings (one notice per booking)."""
    tomorrow = day + timedelta(days=1)
    start, end = make_aware(tomorrow, time()), make_aware(tomorrow + timedelta(days=1), time())
    bookings = Booking.objects.filter(
        status__in=(BookingStatus.APPROVED, BookingStatus.PENDING), starts_at__gte=start, starts_at__lt=end
    ).select_related("base", "booked_by")
    sent = 0
    for booking in bookings:
        status = "将于明天开始，请准时到场，签到码" + booking.check_code
        if booking.status == BookingStatus.PENDING:
            status = "将于明天开始，基地尚未审核，请联系基地管理员"
        sent += len(_notify(booking, [booking.booked_by], status, key=f"venues:{booking.pk}:reminder"))
    return {"day": day.isoformat(), "bookings": len(bookings), "messages": sent}


# --- notices -----------------------------------------------------------------------------------------

NOTICE_TEXT = {
    "booked": ("已提交，等待基地管理员审核", "有新的预约待审核"),
    "approved": ("已通过", ""),
    "declined": ("未通过", ""),
    "cancelled": ("已取消", "已被预约的党支部取消"),
}


def _recipient_for_user(user: Any, on: date) -> Recipient:
    member = with_recipient_data(Member.objects.filter(user=user)).first()
    if member is not None:
        return recipient_for_member(member, on=on)
    return Recipient(name=getattr(user, "display_name", "") or user.username, user_id=user.pk, channel_choice=ChannelChoice.INBOX_ONLY)


def _notify(booking: Booking, users: Iterable[Any], status: str, *, key: str) -> list[Any]:
    on = timezone.localdate()
    recipients = [_recipient_for_user(u, on) for u in users if u is not None]
    if not recipients:
        return []
    return notify(
        recipients=recipients,
        kind=MessageKind.BOOKING_REMINDER,
        context={"base": booking.base.name, "time": span_text(booking.starts_at, booking.ends_at), "status": status},
        dedup_key=key,
        link=f"/bases/bookings/{booking.pk}/",
    )


def _after_commit_notices(booking: Booking, what: str) -> None:
    """Tell the booking branch and the keepers; a failing notice never undoes the booking."""
    booker_text, keeper_text = NOTICE_TEXT[what]
    if what == "booked" and booking.status == BookingStatus.APPROVED:
        booker_text, keeper_text = "已预约成功（本基地无须审核）", "有新的预约"
    if what == "declined":
        booker_text = f"未通过，原因：{booking.decline_reason}"
    try:
        if what != "cancelled":
            _notify(booking, [booking.booked_by], booker_text, key=f"venues:{booking.pk}:{what}")
        if keeper_text:
            keepers = list(booking.base.keepers.all())
            _notify(
                booking,
                keepers,
                f"{keeper_text}（{booking.organisation.name}，{booking.headcount}人）",
                key=f"venues:{booking.pk}:{what}:keepers",
            )
    except Exception:  # the booking stands; the message log shows what was not sent
        logger.exception("booking %s: notice %s failed", booking.pk, what)
