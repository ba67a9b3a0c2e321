"""Members as notification recipients: phone decrypted here, preferences resolved, skip reasons given.

``notifications`` knows no member code; it receives ``Recipient`` values built here. The phone is
normalised (digits, +86 dropped); whether it can take an SMS is ``notifications.rules.mobile_problem``
(a landline registered as 联系电话 is valid in the registry but cannot receive one).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet

from dangjian.notifications.choices import ChannelChoice
from dangjian.notifications.models import NotificationPreference
from dangjian.notifications.recipients import Recipient
from dangjian.notifications.rules import SKIP_NOT_MEMBER

from .choices import ExitReason
from .models import Member
from .normalise import normalise_phone

# what a member-recipient query must join so building recipients runs no further query
RECIPIENT_RELATED = ("organisation", "notification_preference", "user__notification_preference")


def with_recipient_data(members: QuerySet[Member]) -> QuerySet[Member]:
    return members.select_related(*RECIPIENT_RELATED)


def _preference(member: Member) -> NotificationPreference | None:
    """The member's own preference, else the linked account's, else None (defaults)."""
    for owner, attr in ((member, "notification_preference"), (member.user, "notification_preference")):
        if owner is None:
            continue
        try:
            return getattr(owner, attr)
        except ObjectDoesNotExist:
            continue
    return None


def not_member_reason(member: Member, on: date) -> str:
    """The reason "已不是党员（去世，2026-03-01）" when the record left the registry by ``on``; else empty."""
    if member.left_on is None or member.left_on > on:
        return ""
    label = ExitReason(member.exit_reason).label if member.exit_reason in ExitReason.values else "已减少"
    return f"{SKIP_NOT_MEMBER}（{label}，{member.left_on:%Y-%m-%d}）"


def recipient_for_member(member: Member, *, on: date) -> Recipient:
    preference = _preference(member)
    return Recipient(
        name=member.name,
        user_id=member.user_id,
        member_id=member.pk,
        phone=normalise_phone(member.phone),
        org_path=member.organisation.path,
        channel_choice=preference.channel if preference else ChannelChoice.SMS,
        opted_out=bool(preference and preference.opt_out_non_essential),
        wechat_openid=preference.wechat_openid if preference else "",
        skip_reason=not_member_reason(member, on),
    )


def recipients_for_members(members: Iterable[Member], *, on: date) -> list[Recipient]:
    return [recipient_for_member(member, on=on) for member in members]
