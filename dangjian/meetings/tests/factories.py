"""Meeting factories: rows written directly (kinds denormalised as the services write them)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from dangjian.meetings.choices import COUNTED_STATUSES, MeetingKind, MeetingStatus
from dangjian.meetings.models import Meeting, MeetingKindEntry
from dangjian.meetings.services import MeetingInput
from dangjian.organisations.models import Organisation

_seq = itertools.count(1)


def at(day: date, hour: int = 14, minute: int = 30) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def make_meeting(
    branch: Organisation,
    *,
    kinds: tuple[str, ...] = (MeetingKind.THEMED_DAY,),
    day: date | None = None,
    status: str = MeetingStatus.SUBMITTED,
    group: Organisation | None = None,
    **extra: Any,
) -> Meeting:
    """A record of ``branch`` held on ``day`` (default: 10 days ago) with ``kinds``, in ``status``."""
    n = next(_seq)
    day = day or timezone.localdate() - timedelta(days=10)
    starts = at(day)
    meeting = Meeting.objects.create(
        organisation=branch,
        group=group,
        topic=extra.pop("topic", f"测试会议{n}"),
        starts_at=starts,
        ends_at=starts + timedelta(hours=1, minutes=30),
        held_on=day,
        place=extra.pop("place", "党群服务中心"),
        host=extra.pop("host", "查理"),
        recorder=extra.pop("recorder", "王芳"),
        status=status,
        **extra,
    )
    MeetingKindEntry.objects.bulk_create(
        MeetingKindEntry(
            meeting=meeting,
            kind=kind,
            organisation=branch,
            group=group,
            held_month=day.year * 100 + day.month,
            counted=status in COUNTED_STATUSES,
        )
        for kind in kinds
    )
    return meeting


def meeting_input(*, day: date | None = None, kinds: list[str] | None = None, **extra: Any) -> MeetingInput:
    day = day or timezone.localdate() - timedelta(days=1)
    starts = at(day)
    values: dict[str, Any] = {
        "kinds": kinds or [MeetingKind.THEMED_DAY],
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=1),
        "topic": "学习贯彻全会精神",
        "place": "社区党群服务中心二楼",
        "host": "查理",
        "recorder": "王芳",
    }
    values.update(extra)
    return MeetingInput(**values)
