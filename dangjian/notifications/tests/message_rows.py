"""Message rows made directly, as the sending side would have left them (for the page and API tests)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from dangjian.notifications.choices import Channel, MessageKind, MessageStatus
from dangjian.notifications.models import Message

_seq = itertools.count(1)


def make_message(
    *,
    user: Any = None,
    member: Any = None,
    org_path: str = "",
    kind: str = MessageKind.GENERAL,
    channel: str = Channel.INBOX,
    status: str = MessageStatus.DELIVERED,
    title: str = "",
    body: str = "",
    created_at: datetime | None = None,
    **extra: Any,
) -> Message:
    n = next(_seq)
    now = timezone.now()
    if member is not None and not org_path:
        org_path = member.organisation.path
    sent = status in (MessageStatus.SENT, MessageStatus.DELIVERED)
    values: dict[str, Any] = {
        "kind": kind,
        "channel": channel,
        "status": status,
        "dedup_key": f"test:{n}:{channel}",
        "recipient_user": user,
        "recipient_member": member,
        "recipient_name": extra.pop("recipient_name", None) or (member.name if member else getattr(user, "display_name", "") or "测试"),
        "org_path": org_path,
        "title": title or f"测试消息{n}",
        "body": body or f"第{n}条测试消息的内容。",
        "send_after": now - timedelta(minutes=1),
        "sent_at": now if sent else None,
        "delivered_at": now if status == MessageStatus.DELIVERED else None,
        "attempts": 1 if status != MessageStatus.PENDING else 0,
    }
    values.update(extra)
    message = Message.objects.create(**values)
    if created_at is not None:
        Message.objects.filter(pk=message.pk).update(created_at=created_at)
        message.created_at = created_at
    return message
