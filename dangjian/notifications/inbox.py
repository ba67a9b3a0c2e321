"""The in-app inbox: a user's own 站内信, read and marked read by that user only.

A message is in a user's inbox when it is an inbox-channel message addressed to the user's account
(``services.notify`` addresses the inbox copy of a member's notice to the member's account). Another
user's message is never found: the answer is 404, as for one that does not exist.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from .choices import Channel, MessageStatus
from .models import Message


def inbox_for(*, user_id: int | None) -> QuerySet[Message]:
    """The user's 站内信, newest first: due ones only (a reminder planned for tomorrow is not shown
    yet), and none that was skipped (e.g. the member had opted out of that kind)."""
    if user_id is None:
        return Message.objects.none()
    return (
        Message.objects.filter(recipient_user_id=user_id, channel=Channel.INBOX, send_after__lte=timezone.now())
        .exclude(status=MessageStatus.SKIPPED)
        .order_by("-created_at", "-id")
    )


def unread_count(*, user_id: int | None) -> int:
    """How many of the user's 站内信 are unread (one COUNT query)."""
    if user_id is None:
        return 0
    return inbox_for(user_id=user_id).filter(read_at__isnull=True).count()


def get_inbox_message(*, user_id: int | None, message_id: int) -> Message:
    """One of the user's own 站内信, or 404 (another user's message is not found)."""
    message = inbox_for(user_id=user_id).filter(pk=message_id).first()
    if message is None:
        raise Http404("未找到该消息")
    return message


def mark_read(*, user_id: int | None, message_id: int) -> Message:
    """Mark one own message read; the first reading time is kept when it is opened again."""
    message = get_inbox_message(user_id=user_id, message_id=message_id)
    if message.read_at is None:
        now = timezone.now()
        # the condition on read_at keeps the first time when two tabs open the message at once
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
        message.read_at = now
    return message


def mark_all_read(*, user_id: int | None) -> int:
    """Mark every unread own message read; returns how many were unread."""
    return inbox_for(user_id=user_id).filter(read_at__isnull=True).update(read_at=timezone.now())
