"""Quiet hours (免打扰): SMS and WeChat falling inside them are held until they end; inbox is immediate.

Times are wall-clock times in the project's zone (Asia/Shanghai). A period whose start is later than
its end wraps midnight (the default 21:00–08:00).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from .choices import Channel
from .models import NotificationSettings

HELD_CHANNELS = frozenset({Channel.SMS, Channel.WECHAT})


def current_settings() -> NotificationSettings:
    """The one settings row, or the unsaved defaults (21:00–08:00, birthdays at 09:00)."""
    return NotificationSettings.objects.order_by("pk").first() or NotificationSettings()


def as_time(value: time | str) -> time:
    """Model defaults are strings ("21:00") until a row is saved and read back."""
    return value if isinstance(value, time) else time.fromisoformat(value)


def in_quiet_hours(moment: time, *, quiet_start: time, quiet_end: time) -> bool:
    """Whether a clock time falls in [start, end); equal start and end mean no quiet hours."""
    if quiet_start == quiet_end:
        return False
    if quiet_start < quiet_end:
        return quiet_start <= moment < quiet_end
    return moment >= quiet_start or moment < quiet_end


def release_time(moment: datetime, *, quiet_start: time, quiet_end: time) -> datetime:
    """``moment`` itself outside quiet hours, else the next end of the quiet period (aware)."""
    local = timezone.localtime(moment)
    if not in_quiet_hours(local.time(), quiet_start=quiet_start, quiet_end=quiet_end):
        return moment
    day = local.date()
    if quiet_start > quiet_end and local.time() >= quiet_start:
        day += timedelta(days=1)  # evening part of a period wrapping midnight: ends tomorrow morning
    return datetime.combine(day, quiet_end, tzinfo=local.tzinfo)


def hold_for_channel(
    channel: str, moment: datetime, settings: NotificationSettings | None = None, *, now: datetime | None = None
) -> datetime:
    """When a message by ``channel`` planned for ``moment`` may go out: SMS and WeChat not before
    ``now`` (a late planned time goes now) and never inside quiet hours; the inbox at ``moment``."""
    if channel not in HELD_CHANNELS:
        return moment
    if now is not None and moment < now:
        moment = now
    settings = settings or current_settings()
    return release_time(moment, quiet_start=as_time(settings.quiet_start), quiet_end=as_time(settings.quiet_end))
