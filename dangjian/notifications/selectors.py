"""Reads of the message records for statistics (the admins' message log is ``listing``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from dangjian.core.scope import path_range

from .choices import Channel, MessageKind, MessageStatus
from .models import Message

COUNTED = (MessageStatus.SENT, MessageStatus.DELIVERED)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def political_birthday_sms_count(*, org_path: str, since: date, until: date) -> int:
    """推送政治生日短信X条 (STAT-010): political-birthday SMS sent or delivered to recipients in the
    subtree at ``org_path``, sent between ``since`` and ``until`` inclusive (local dates).

    Computed from the Message rows, never typed in; skipped, failed and pending ones do not count.
    The caller has checked that ``org_path`` is inside its scope.
    """
    return Message.objects.filter(
        kind=MessageKind.POLITICAL_BIRTHDAY,
        channel=Channel.SMS,
        status__in=COUNTED,
        org_path__range=path_range(org_path),
        sent_at__gte=_day_start(since),
        sent_at__lt=_day_start(until + timedelta(days=1)),
    ).count()
