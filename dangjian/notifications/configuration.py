"""Writes of what admins and members configure: message templates, quiet hours, own preferences.

Each write is one transaction and one audit row (templates and settings) — the sends themselves are
``services``' business. A template with an unknown placeholder is refused by
``services.validate_template`` before anything is written.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django.db import transaction

from dangjian.audit.models import AuditAction
from dangjian.audit.services import record_event
from dangjian.core.rules import RuleViolation

from .choices import ChannelChoice, MessageKind
from .models import MessageTemplate, NotificationPreference, NotificationSettings
from .quiet_hours import as_time, in_quiet_hours
from .services import validate_template

TEMPLATE_FIELDS = ("title", "body", "sms_template_code", "wechat_template_id")


def _template_values(template: MessageTemplate) -> dict[str, Any]:
    return {name: getattr(template, name) for name in TEMPLATE_FIELDS}


def save_template(
    *,
    actor: Any,
    kind: str,
    body: str,
    title: str = "",
    sms_template_code: str = "",
    wechat_template_id: str = "",
    ip: str | None = None,
) -> MessageTemplate:
    """Create or replace the text of one message kind; refused when a placeholder is unknown."""
    if kind not in MessageKind.values:
        raise RuleViolation(None, f"没有“{kind}”这种消息类型。", field="kind")
    validate_template(kind, body, title)
    with transaction.atomic():
        template = MessageTemplate.objects.select_for_update().filter(kind=kind).first()
        before = _template_values(template) if template else None
        if template is None:
            template = MessageTemplate(kind=kind)
        template.title = title.strip()
        template.body = body.strip()
        template.sms_template_code = sms_template_code.strip()
        template.wechat_template_id = wechat_template_id.strip()
        template.updated_by = actor if getattr(actor, "pk", None) else None
        template.save()
        after = _template_values(template)
        if before != after:
            record_event(
                actor=actor,
                action=AuditAction.CREATE if before is None else AuditAction.UPDATE,
                obj=template,
                before=before,
                after=after,
                ip=ip,
            )
    return template


def save_settings(
    *, actor: Any, quiet_start: time, quiet_end: time, birthday_send_time: time, ip: str | None = None
) -> NotificationSettings:
    """Change the district's quiet hours and the political-birthday send time."""
    if quiet_start == quiet_end:
        raise RuleViolation(
            None,
            f"免打扰开始和结束时间不能相同（现在都是 {quiet_start:%H:%M}），否则无法确定免打扰时段；请设为不同时间，例如默认的 21:00–08:00。",
            field="quiet_end",
        )
    if in_quiet_hours(birthday_send_time, quiet_start=quiet_start, quiet_end=quiet_end):
        raise RuleViolation(
            None,
            f"政治生日短信发送时间 {birthday_send_time:%H:%M} 在免打扰时段（{quiet_start:%H:%M}–{quiet_end:%H:%M}）内，"
            f"短信会被推迟；请改为 {quiet_end:%H:%M} 至 {quiet_start:%H:%M} 之间的时间。",
            field="birthday_send_time",
        )
    fields = ("quiet_start", "quiet_end", "birthday_send_time")
    with transaction.atomic():
        row = NotificationSettings.objects.select_for_update().order_by("pk").first() or NotificationSettings()
        before = {f: f"{as_time(getattr(row, f)):%H:%M}" for f in fields} if row.pk else None
        row.quiet_start, row.quiet_end, row.birthday_send_time = quiet_start, quiet_end, birthday_send_time
        row.save()
        after = {f: f"{getattr(row, f):%H:%M}" for f in fields}
        if before != after:
            record_event(actor=actor, action=AuditAction.UPDATE, obj=row, before=before, after=after, ip=ip)
    return row


def preference_for(*, member_id: int | None = None, user_id: int | None = None) -> NotificationPreference:
    """The member's (else the user's) saved preference, or the default (SMS, no opt-out) unsaved."""
    if member_id:
        found = NotificationPreference.objects.filter(member_id=member_id).first()
        return found or NotificationPreference(member_id=member_id)
    found = NotificationPreference.objects.filter(user_id=user_id).first() if user_id else None
    return found or NotificationPreference(user_id=user_id)


def save_preference(
    *, member_id: int | None = None, user_id: int | None = None, channel: str, opt_out_non_essential: bool
) -> NotificationPreference:
    """Set one's own channel choice and opt-out of non-essential messages (essential ones still arrive)."""
    if channel not in ChannelChoice.values:
        raise RuleViolation(None, f"接收方式“{channel}”无效，请选择短信、微信或仅站内信。", field="channel")
    if not member_id and not user_id:
        raise RuleViolation(None, "没有可保存通知偏好的党员或账号。")
    owner = {"member_id": member_id} if member_id else {"user_id": user_id}
    with transaction.atomic():
        preference, _ = NotificationPreference.objects.select_for_update().get_or_create(
            **owner, defaults={"channel": channel, "opt_out_non_essential": opt_out_non_essential}
        )
        preference.channel = channel
        preference.opt_out_non_essential = opt_out_non_essential
        preference.save(update_fields=["channel", "opt_out_non_essential", "updated_at"])
    return preference
