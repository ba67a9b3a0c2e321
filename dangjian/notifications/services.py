"""Sending notifications: the one call other modules use, dispatch with retries, receipts, resends.

``notify`` writes one ``Message`` row per recipient and channel under a unique ``dedup_key`` and
queues the sends after commit. ``send_message`` claims a row with a conditional UPDATE, so a second
worker, a duplicate task or a rerun never sends it twice; the phone is decrypted only there.
``dispatch_due`` (every minute: beat, or the embedded scheduler) sends what has become due.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from dangjian.audit.models import AuditAction
from dangjian.audit.services import record_event
from dangjian.core.masking import mask_phone, mask_text
from dangjian.core.rules import RuleViolation

from . import rules, templates_text
from .choices import Channel, ChannelChoice, MessageKind, MessageStatus
from .models import Message, MessageTemplate, NotificationSettings
from .providers.base import Outgoing, PermanentError, Provider, RetryableError, SendResult
from .quiet_hours import current_settings, hold_for_channel
from .recipients import Recipient

logger = logging.getLogger(__name__)

DEDUP_KEY_MAX = 200
DISPATCH_BATCH = 500
UNEXPECTED_ERROR = "发送时出现意外错误，已记录在服务器日志中；请检查短信/微信服务配置后重新发送"
TemplateInvalid = templates_text.TemplateInvalid


# --- templates ---------------------------------------------------------------------------------------


def validate_template(kind: str, body: str, title: str = "") -> None:
    """Refuse a template naming a placeholder its kind does not offer, e.g.
    ``模板正文中的占位符{nmae}不存在，可用的占位符：{name}、{years}、{join_date}``."""
    templates_text.validate(kind, body, title)


def preview(kind: str, body: str, title: str = "") -> str:
    """The text as a recipient would read it, filled with sample data; refused like a save."""
    validate_template(kind, body, title)
    return templates_text.render(body, templates_text.sample_values(kind))


def template_text(kind: str) -> tuple[MessageTemplate | None, str, str]:
    """The kind's saved template (title, body), or the built-in default when none is saved."""
    template = MessageTemplate.objects.filter(kind=kind).first()
    if template is not None:
        return template, template.title, template.body
    title, body = templates_text.default_text(kind)
    return None, title, body


# --- notify ------------------------------------------------------------------------------------------


def _recipient_key(recipient: Recipient) -> str:
    if recipient.member_id:
        return f"m{recipient.member_id}"
    if recipient.user_id:
        return f"u{recipient.user_id}"
    raise ValueError(f"recipient {recipient.name!r} has neither member_id nor user_id")


def make_dedup_key(kind: str, base: str, recipient: Recipient, channel: str) -> str:
    """``{kind}:{dedup_key or uuid}:{m<member>|u<user>}:{channel}``; a long base is hashed to fit."""
    who = _recipient_key(recipient)
    key = f"{kind}:{base}:{who}:{channel}"
    if len(key) > DEDUP_KEY_MAX:
        digest = hashlib.sha256(base.encode()).hexdigest()
        key = f"{kind}:h{digest}:{who}:{channel}"
    return key


def channels_for(recipient: Recipient, override: Sequence[str] | None = None) -> list[str]:
    """The channels one recipient gets: their choice (SMS, WeChat or inbox only) and, with an
    account, always the inbox copy. ``override`` (a caller's explicit list) replaces the choice."""
    if override is not None:
        return [str(c) for c in dict.fromkeys(override)]
    chosen: list[str] = []
    if recipient.user_id:
        chosen.append(Channel.INBOX)
    if recipient.channel_choice == ChannelChoice.WECHAT:
        chosen.append(Channel.WECHAT)
    elif recipient.channel_choice == ChannelChoice.INBOX_ONLY:
        if not recipient.user_id:
            chosen.append(Channel.INBOX)  # recorded as skipped: no account to read it
    else:
        chosen.append(Channel.SMS)
    return chosen


def skip_reason(recipient: Recipient, channel: str, *, essential: bool) -> str:
    """Why this recipient gets nothing by this channel; empty when the message may go."""
    if recipient.skip_reason:
        return recipient.skip_reason
    if recipient.opted_out and not essential:
        return rules.SKIP_OPTED_OUT
    if channel == Channel.SMS:
        return rules.mobile_problem(recipient.phone) or ""
    if channel == Channel.WECHAT and not recipient.wechat_openid:
        return rules.SKIP_NO_OPENID
    if channel == Channel.INBOX and not recipient.user_id:
        return rules.SKIP_NO_ACCOUNT
    return ""


def notify(
    *,
    recipients: Sequence[Recipient],
    kind: str,
    context: dict[str, Any],
    dedup_key: str | None = None,
    send_after: datetime | None = None,
    essential: bool = False,
    title: str = "",
    link: str = "",
    channels: Sequence[str] | None = None,
    now: datetime | None = None,
) -> list[Message]:
    """Send ``kind`` to each recipient by their channels; returns one Message per recipient+channel.

    The text is the kind's template filled with ``context`` plus the recipient's ``name``. A
    recipient who cannot or must not receive it by a channel gets a ``skipped`` row with the reason.
    Calling again with the same ``dedup_key`` returns the existing rows and sends nothing twice;
    without one, every call is a new message. SMS and WeChat planned inside quiet hours wait until
    they end; the inbox copy goes at ``send_after`` (or at once).
    """
    if kind not in MessageKind.values:
        raise ValueError(f"unknown message kind {kind!r}")
    now = now or timezone.now()
    _template, title_text, body_text = template_text(kind)
    allowed = {p.name for p in templates_text.placeholders_for(kind)}
    values = {k: v for k, v in context.items() if k in allowed and k != "name"}
    settings = current_settings()
    planned = send_after or now
    base = dedup_key or uuid.uuid4().hex
    rows: dict[str, Message] = {}
    for recipient in recipients:
        filled = {**values, "name": recipient.name}
        missing = templates_text.missing_values(body_text, filled) + templates_text.missing_values(title_text, filled)
        if missing:
            raise ValueError(f"context for {kind} lacks {sorted(set(missing))}")
        for channel in channels_for(recipient, channels):
            key = make_dedup_key(kind, base, recipient, channel)
            if key not in rows:
                rows[key] = _new_message(
                    recipient, channel, kind, key, filled, title, title_text, body_text, link, essential, planned, settings, now
                )
    with transaction.atomic():
        existing = {m.dedup_key: m for m in Message.objects.filter(dedup_key__in=list(rows))}
        created = [_insert(row) for key, row in rows.items() if key not in existing]
        existing.update({m.dedup_key: m for m in created})
        for message in created:
            if message.status == MessageStatus.PENDING and message.send_after <= now:
                transaction.on_commit(partial(_queue_send, message.pk))
    return [existing[key] for key in rows]


def _new_message(
    recipient: Recipient,
    channel: str,
    kind: str,
    key: str,
    filled: dict[str, Any],
    title: str,
    title_text: str,
    body_text: str,
    link: str,
    essential: bool,
    planned: datetime,
    settings: NotificationSettings,
    now: datetime,
) -> Message:
    reason = skip_reason(recipient, channel, essential=essential)
    return Message(
        kind=kind,
        channel=channel,
        status=MessageStatus.SKIPPED if reason else MessageStatus.PENDING,
        skip_reason=reason[:200],
        dedup_key=key,
        recipient_user_id=recipient.user_id,
        recipient_member_id=recipient.member_id,
        recipient_name=recipient.name[:50],
        # the phone is copied (encrypted) only where an SMS will be sent (PII: least data)
        phone=recipient.phone if channel == Channel.SMS and not reason else "",
        wechat_openid=recipient.wechat_openid if channel == Channel.WECHAT and not reason else "",
        org_path=recipient.org_path,
        title=(title or templates_text.render(title_text, filled))[:200],
        body=templates_text.render(body_text, filled),
        link=link[:300],
        context={k: str(v) for k, v in filled.items()},
        is_essential=essential,
        send_after=hold_for_channel(channel, planned, settings, now=now),
    )


def _insert(message: Message) -> Message:
    """Insert, or return the row a concurrent caller inserted first under the same key."""
    try:
        with transaction.atomic():
            message.save(force_insert=True)
        return message
    except IntegrityError:
        return Message.objects.get(dedup_key=message.dedup_key)


def _queue_send(message_id: int) -> None:
    from .tasks import send_message_task

    send_message_task.delay(message_id)


# --- sending -----------------------------------------------------------------------------------------


def _due_q(now: datetime) -> Q:
    return Q(send_after__lte=now) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def get_provider(channel: str) -> Provider:
    """The provider configured for ``channel`` (providers package registry)."""
    from .providers import get_provider as registry

    return registry(channel)


def _outgoing(message: Message) -> Outgoing:
    """What leaves the platform (NOTIF-002): phone or openid, and the text; nothing else of the member."""
    template = MessageTemplate.objects.filter(kind=message.kind).first()
    code = ""
    if template is not None:
        code = template.sms_template_code if message.channel == Channel.SMS else template.wechat_template_id
    used = templates_text.used_placeholders(template.body if template else templates_text.default_text(message.kind)[1])
    params = {k: str(message.context[k]) for k in used if k in message.context}
    return Outgoing(
        channel=message.channel,
        text=message.body,
        phone=message.phone if message.channel == Channel.SMS else "",
        wechat_openid=message.wechat_openid if message.channel == Channel.WECHAT else "",
        title=message.title,
        link=message.link,
        template_code=code,
        template_params=params,
    )


def send_message(message_id: int, now: datetime | None = None) -> str | None:
    """Send one due message once; returns its new status, or None when it was not ours to send.

    The claim (pending and due → sending, attempts + 1) is one conditional UPDATE: a duplicate task,
    a second worker or a rerun finds nothing to claim. A claim whose worker died is taken up again
    after ``rules.SENDING_LEASE`` by ``dispatch_due``.
    """
    now = now or timezone.now()
    channel = Message.objects.filter(pk=message_id).values_list("channel", flat=True).first()
    if channel is None:
        return None
    release = hold_for_channel(channel, now)
    if release > now:  # became due inside quiet hours (e.g. a retry, or dispatch ran late): wait for the end
        Message.objects.filter(pk=message_id, status=MessageStatus.PENDING).filter(_due_q(now)).update(
            send_after=release, next_attempt_at=release
        )
        return None
    claimed = (
        Message.objects.filter(pk=message_id, status=MessageStatus.PENDING)
        .filter(_due_q(now))
        .update(status=MessageStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + rules.SENDING_LEASE)
    )
    if not claimed:
        return None
    message = Message.objects.get(pk=message_id)
    provider_name = ""
    try:
        provider = get_provider(message.channel)
        provider_name = getattr(provider, "name", "")[:30]
        result = provider.send(_outgoing(message))
    except RetryableError as exc:
        return _retry_later(message, now, _clean(exc.reason), provider_name)
    except (TimeoutError, ConnectionError):  # a provider that let a network error through
        return _retry_later(message, now, "连接服务商超时或失败", provider_name)
    except PermanentError as exc:
        return _finish(message, MessageStatus.FAILED, provider=provider_name, last_error=_clean(exc.reason))
    except Exception as exc:  # a bug or misconfiguration must not stop the job: fail this one, log it
        logger.error(
            "notification %s (%s via %s) failed unexpectedly: %s",
            message.pk,
            message.kind,
            message.channel,
            type(exc).__name__,
            exc_info=True,
        )
        return _finish(message, MessageStatus.FAILED, provider=provider_name, last_error=UNEXPECTED_ERROR)
    return _succeeded(message, result, provider_name, now)


def _clean(reason: str) -> str:
    """An admin-facing error: masked (no phone or ID number in clear) and cut to the column."""
    return mask_text(str(reason or "服务商未说明原因"))[:450]


def _finish(message: Message, status: str, **fields: Any) -> str:
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(status=status, next_attempt_at=None, **fields)
    return status


def _retry_later(message: Message, now: datetime, reason: str, provider_name: str) -> str:
    delay = rules.retry_delay(message.attempts)
    if delay is None:
        return _finish(
            message, MessageStatus.FAILED, provider=provider_name, last_error=f"已尝试{message.attempts}次仍未发出：{reason}"[:500]
        )
    retry_at = hold_for_channel(message.channel, now + delay)
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.PENDING,
        next_attempt_at=retry_at,
        provider=provider_name,
        last_error=f"第{message.attempts}次发送未成功，将于{timezone.localtime(retry_at):%m-%d %H:%M}重试：{reason}"[:500],
    )
    return MessageStatus.PENDING


def _succeeded(message: Message, result: SendResult, provider_name: str, now: datetime) -> str:
    status = MessageStatus.DELIVERED if result.delivered else MessageStatus.SENT
    return _finish(
        message,
        status,
        provider=provider_name,
        provider_message_id=(result.provider_message_id or "")[:100],
        sent_at=now,
        delivered_at=now if result.delivered else None,
        last_error="",
    )


def dispatch_due(now: datetime | None = None, *, limit: int = DISPATCH_BATCH) -> dict[str, int]:
    """Send every message that has become due (a bounded batch, oldest first); counts by outcome.

    Messages left in ``sending`` by a worker that died are first put back (or failed when out of
    attempts), so nothing stays stuck.
    """
    now = now or timezone.now()
    stale = Message.objects.filter(status=MessageStatus.SENDING, next_attempt_at__lte=now)
    stale.filter(attempts__gte=rules.MAX_ATTEMPTS).update(
        status=MessageStatus.FAILED, next_attempt_at=None, last_error="发送过程多次中断，未能确认是否发出；请核实后重新发送"
    )
    stale.update(status=MessageStatus.PENDING, next_attempt_at=now)
    ids = list(
        Message.objects.filter(status=MessageStatus.PENDING)
        .filter(_due_q(now))
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {"due": len(ids)}
    for pk in ids:
        try:
            outcome = send_message(pk, now=now) or "not_claimed"
        except Exception:  # the database, not the provider: leave it for the next run
            logger.exception("dispatch of notification %s failed", pk)
            outcome = "error"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# --- receipts and resends ------------------------------------------------------------------------------


def record_delivery_receipt(
    *, provider: str, provider_message_id: str, status: str, error: str = "", at: datetime | None = None
) -> Message | None:
    """Apply a provider's delivery report (delivered or failed). A repeated or late report changes
    nothing: only a message still ``sent`` moves on. Returns the message, or None when unknown."""
    if not provider_message_id:
        return None
    message = Message.objects.filter(provider=provider, provider_message_id=provider_message_id).first()
    if message is None:
        return None
    at = at or timezone.now()
    if status == MessageStatus.DELIVERED:
        changes: dict[str, Any] = {"status": MessageStatus.DELIVERED, "delivered_at": at}
    elif status == MessageStatus.FAILED:
        changes = {"status": MessageStatus.FAILED, "last_error": _clean(f"服务商回执：{error or '未送达'}")}
    else:
        raise ValueError(f"unknown receipt status {status!r}")
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENT).update(**changes)
    message.refresh_from_db()
    return message


def resend_message(*, actor: Any, message_id: int, ip: str | None = None, now: datetime | None = None) -> Message:
    """Put a failed message back in the queue (attempts start again); audited. The caller has
    checked that the message is in the actor's subtree (listing.get_message_for)."""
    now = now or timezone.now()
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            raise RuleViolation(None, "未找到该消息")
        if message.status != MessageStatus.FAILED:
            raise RuleViolation(None, f"只有发送失败的消息可以重新发送；这条消息的状态是“{message.get_status_display()}”。", field="status")
        before = {"status": message.status, "attempts": message.attempts, "last_error": message.last_error}
        send_at = hold_for_channel(message.channel, now)
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.PENDING, attempts=0, next_attempt_at=None, send_after=send_at, last_error=""
        )
        message.refresh_from_db()
        record_event(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=message,
            org_path=message.org_path,
            reason="重新发送失败的消息",
            before=before,
            after={"status": message.status, "send_after": f"{timezone.localtime(send_at):%Y-%m-%d %H:%M}"},
            detail={"channel": message.channel, "kind": message.kind, "phone": mask_phone(message.phone)},
            ip=ip,
        )
        if send_at <= now:
            transaction.on_commit(partial(_queue_send, message.pk))
    return message
