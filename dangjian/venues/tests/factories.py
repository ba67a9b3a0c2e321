"""Bases, activities and bookings for tests: a base open every day 08:00–18:00, booked at fixed times."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from dangjian.venues import services
from dangjian.venues.models import BaseActivity, Booking, OpenBase, OpeningHours

# a fixed "now" and a start two days later: tests pass ``now`` instead of freezing time
NOW = timezone.make_aware(datetime(2026, 12, 1, 8, 0))
START = timezone.make_aware(datetime(2026, 12, 3, 9, 0))


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """START's day shifted by ``day_offset`` days, at hour:minute local time."""
    day = START.date() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def make_base(location: Any, *, name: str = "红色教育基地", capacity: int = 20, keepers: tuple[Any, ...] = (), **rules: Any) -> OpenBase:
    values = {
        "name": name,
        "host_unit": "甲一社区党群服务中心",
        "site": "甲街道和平路1号",
        "contact_name": "王老师",
        "contact_phone": "13800001111",
        "capacity": capacity,
        "min_notice_hours": 24,
        "max_notice_days": 60,
        "monthly_quota": 4,
        "needs_approval": True,
        "cancel_cutoff_hours": 12,
        "checkin_window_minutes": 60,
        **rules,
    }
    base = OpenBase.objects.create(location=location, **values)
    base.keepers.set(keepers)
    for weekday in range(7):
        OpeningHours.objects.create(base=base, weekday=weekday, opens_at=time(8), closes_at=time(18))
    return base


def make_activity(base: OpenBase, *, name: str = "主题党日活动", minutes: int = 120, capacity: int | None = None) -> BaseActivity:
    return BaseActivity.objects.create(base=base, name=name, duration_minutes=minutes, capacity=capacity or base.capacity)


def book(
    actor: Any, base: OpenBase, activity: BaseActivity, org: Any, *, start: datetime = START, headcount: int = 5, **kwargs: Any
) -> Booking:
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("send_notices", False)
    return services.book_slot(
        actor=actor, base_id=base.pk, activity_id=activity.pk, organisation_id=org.pk, starts_at=start, headcount=headcount, **kwargs
    )
