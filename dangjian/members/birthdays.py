"""The daily political-birthday job (政治生日, NOTIF-001): one greeting per member per anniversary.

Selection is one query on the indexed ``join_month_day`` column (never a scan in Python). Each
member is sent through ``notifications.services.notify`` in their own transaction with the dedup key
``political_birthday:<date>``, so a rerun, a second runner or a run after a crash sends only what is
still missing. Members who left the registry, opted out or have no mobile number get a skipped
message with the reason, for the admins' message log.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from dangjian.notifications.choices import MessageKind, MessageStatus
from dangjian.notifications.quiet_hours import as_time, current_settings
from dangjian.notifications.rules import political_birthday_month_days, political_birthday_years
from dangjian.notifications.services import notify

from .models import Member
from .notices import recipient_for_member, with_recipient_data

JOB_NAME = "political_birthday"
CHUNK = 500


def birthday_members(day: date) -> QuerySet[Member]:
    """Members whose joining anniversary is ``day`` (29 February kept on 28 February in common years,
    NOTIF-001), at least one year after joining; members who left are included, to be skipped."""
    return with_recipient_data(
        Member.objects.filter(join_month_day__in=political_birthday_month_days(day), join_date__lt=date(day.year, 1, 1))
    ).order_by("pk")


def send_time(day: date) -> datetime:
    """The configured send time (default 09:00) on ``day``; quiet hours are applied by notify."""
    return datetime.combine(day, as_time(current_settings().birthday_send_time), tzinfo=timezone.get_current_timezone())


def birthday_context(member: Member, day: date) -> dict[str, Any]:
    join = member.join_date
    return {"years": political_birthday_years(join, day), "join_date": f"{join.year}年{join.month}月{join.day}日"}


def send_political_birthdays(*, day: date) -> dict[str, Any]:
    """Create (and queue) the political-birthday messages for ``day``; a summary for JobRun."""
    planned = send_time(day)
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    selected = birthday_members(day)
    ids = list(selected.values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        for member in selected.filter(pk__in=ids[start : start + CHUNK]):
            _greet(member, day, planned, statuses, reasons)
    return {"day": day.isoformat(), "members": len(ids), "messages": sum(statuses.values()), **statuses, "skip_reasons": dict(reasons)}


def _greet(member: Member, day: date, planned: datetime, statuses: Counter[str], reasons: Counter[str]) -> None:
    """One member's greeting, in its own transaction (inside notify)."""
    messages = notify(
        recipients=[recipient_for_member(member, on=day)],
        kind=MessageKind.POLITICAL_BIRTHDAY,
        context=birthday_context(member, day),
        dedup_key=day.isoformat(),
        send_after=planned,
    )
    for message in messages:
        statuses[message.status] += 1
        if message.status == MessageStatus.SKIPPED:
            reasons[message.skip_reason.split("（")[0]] += 1
