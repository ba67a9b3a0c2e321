"""Who hears about a record: the branch's secretaries (through their member record when linked, for
SMS/WeChat per preferences; otherwise the inbox), told when the superior returns or approves it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from dangjian.accounts.models import RoleGrant
from dangjian.members.models import Member
from dangjian.members.notices import recipient_for_member, with_recipient_data
from dangjian.notifications.choices import MessageKind
from dangjian.notifications.recipients import Recipient
from dangjian.notifications.services import notify


def secretary_recipients(branch_id: int, *, on: date) -> list[Recipient]:
    """The branch's secretaries: through their member record when linked (phone, preferences), else inbox only."""
    grants = RoleGrant.objects.filter(role="branch_secretary", organisation_id=branch_id).select_related("user")
    users = [g.user for g in grants if g.user.is_active]
    members = {m.user_id: m for m in with_recipient_data(Member.objects.filter(user__in=users))}
    recipients = []
    for user in users:
        member = members.get(user.pk)
        if member is not None:
            recipients.append(recipient_for_member(member, on=on))
        else:
            recipients.append(Recipient(name=user.display_name or user.username, user_id=user.pk, channel_choice="inbox_only"))
    return recipients


def tell_secretaries_of_review(meeting: Any, *, action: str, comment: str, reviewer_org: str, event_id: int, on: date) -> None:
    """An inbox note (and SMS/WeChat per preferences) that the record was returned or approved."""
    recipients = secretary_recipients(meeting.organisation_id, on=on)
    if not recipients:
        return
    returned = action == "returned"
    title = "组织生活记录被退回，请修改后重新提交" if returned else "组织生活记录已审核通过"
    content = f"“{meeting.topic}”（{meeting.held_on:%Y年%m月%d日}）{'被退回' if returned else '已审核通过'}。"
    if comment:
        content += f"审核意见：{comment}"
    notify(
        recipients=recipients,
        kind=MessageKind.GENERAL,
        context={"title": title, "content": content, "org": reviewer_org},
        dedup_key=f"meeting-review:{meeting.pk}:{event_id}",
        title=title,
        link=reverse("meetings:detail", args=[meeting.pk]),
    )
