"""notify, send_message, dispatch_due, receipts, resends, templates and the STAT-010 count."""

from __future__ import annotations

import importlib
import logging
import threading
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps

from dangjian.audit.models import AuditEvent
from dangjian.core.rules import RuleViolation
from dangjian.notifications import services, templates_text
from dangjian.notifications.choices import Channel, ChannelChoice, MessageKind, MessageStatus
from dangjian.notifications.models import Message, MessageTemplate, NotificationSettings
from dangjian.notifications.providers.base import Outgoing, PermanentError, RetryableError
from dangjian.notifications.recipients import Recipient
from dangjian.notifications.rules import MAX_ATTEMPTS, SENDING_LEASE, SKIP_NO_OPENID, SKIP_OPTED_OUT
from dangjian.notifications.selectors import political_birthday_sms_count
from dangjian.notifications.services import (
    dispatch_due,
    notify,
    preview,
    record_delivery_receipt,
    resend_message,
    send_message,
    validate_template,
)
from dangjian.notifications.tests.recording import RecordingProvider, install_recording_provider
from dangjian.notifications.tests.registry_rows import add_member, add_org, add_user

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> RecordingProvider:
    return install_recording_provider(monkeypatch)


NOON = datetime(2027, 3, 1, 12, 0, tzinfo=SH)
BIRTHDAY = {"years": 12, "join_date": "2015年3月1日"}


MEMBER_IDS: dict[int, int] = {}


@pytest.fixture(autouse=True)
def registry(db: Any) -> None:
    """Member rows for the recipients (their ids are foreign keys on the messages)."""
    branch = add_org("测试支部")
    MEMBER_IDS.clear()
    MEMBER_IDS.update({n: add_member(branch, join_date=date(2000, 1, n)).pk for n in range(1, 9)})


def member(n: int = 1, **extra: Any) -> Recipient:
    values: dict[str, Any] = {"name": f"党员{n}", "member_id": MEMBER_IDS[n], "phone": f"1390000{n:04d}", "org_path": "0001000100010001"}
    return Recipient(**{**values, **extra})


def statuses(messages: list[Message]) -> dict[str, str]:
    return {m.channel: Message.objects.get(pk=m.pk).status for m in messages}


# --- notify ------------------------------------------------------------------------------------------


def test_notify_renders_the_kinds_template_with_the_recipients_name_and_keys_each_channel():
    # given a member with an account, who chose SMS (the default)
    alice = member(1, user_id=None)
    # when a political-birthday greeting is sent with a dedup key
    [sms] = notify(recipients=[alice], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, dedup_key="2027-03-01", now=NOON)
    # then one SMS row, pending, with the rendered text and the deterministic key
    assert sms.channel == Channel.SMS and sms.status == MessageStatus.PENDING
    assert sms.body.startswith("党员1同志：今天是您的第12个政治生日。2015年3月1日")
    assert sms.dedup_key == f"political_birthday:2027-03-01:m{MEMBER_IDS[1]}:sms"
    assert sms.phone == "13900000001" and sms.org_path == "0001000100010001"


def test_a_recipient_with_an_account_always_gets_the_inbox_copy_too(db):
    # given a member linked to an account (user id 7)
    user = add_user("u7")
    both = member(2, user_id=user.pk)
    # when notified
    messages = notify(recipients=[both], kind=MessageKind.GENERAL, context={"title": "通知", "content": "开会", "org": "支部"}, now=NOON)
    # then an inbox copy and an SMS
    assert sorted(m.channel for m in messages) == [Channel.INBOX, Channel.SMS]
    assert all(m.recipient_user_id == user.pk for m in messages)


def test_notify_twice_with_the_same_dedup_key_returns_the_same_rows_and_creates_nothing():
    # given a greeting already created
    first = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, dedup_key="d1", now=NOON)
    # when the same call is made again
    second = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, dedup_key="d1", now=NOON)
    # then the same row comes back and there is still one
    assert [m.pk for m in first] == [m.pk for m in second]
    assert Message.objects.count() == 1


def test_notify_without_a_dedup_key_is_a_new_message_every_time():
    # when the same notice is sent twice without a key
    for _ in range(2):
        notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    # then two messages exist
    assert Message.objects.count() == 2


def test_a_row_inserted_concurrently_under_the_same_key_is_returned_instead_of_failing():
    # given a row another process inserted with the key this call is about to use
    [existing] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, dedup_key="race", now=NOON)
    duplicate = Message(kind=existing.kind, channel=existing.channel, dedup_key=existing.dedup_key, body="x", send_after=NOON)
    # when the insert hits the unique constraint
    found = services._insert(duplicate)
    # then the existing row is returned
    assert found.pk == existing.pk


def test_opted_out_member_is_skipped_with_the_reason_for_non_essential_messages_only():
    # given a member who opted out of non-essential messages
    quiet = member(3, opted_out=True)
    # when a greeting (non-essential) and an essential meeting notice are sent
    [greeting] = notify(recipients=[quiet], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    context = {"meeting": "支部党员大会", "time": "3月5日 14:30", "place": "会议室", "org": "第一支部"}
    [meeting] = notify(recipients=[quiet], kind=MessageKind.MEETING_REMINDER, context=context, essential=True, now=NOON)
    # then the greeting is skipped with the reason, the essential notice goes
    assert (greeting.status, greeting.skip_reason) == (MessageStatus.SKIPPED, SKIP_OPTED_OUT)
    assert meeting.status == MessageStatus.PENDING


@pytest.mark.parametrize(
    ("phone", "reason"),
    [("", "未登记手机号"), ("01065291234", "不是有效的手机号"), ("1390000", "不是有效的手机号")],
)
def test_no_valid_mobile_is_skipped_with_the_reason_and_never_sent(provider, phone, reason):
    # given a member whose phone is missing, a landline, or too short
    [sms] = notify(recipients=[member(4, phone=phone)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    # when the due messages are dispatched
    dispatch_due(NOON)
    # then it was skipped with the reason, its phone not kept, and nothing was sent
    sms.refresh_from_db()
    assert sms.status == MessageStatus.SKIPPED and reason in sms.skip_reason
    assert sms.phone == ""
    assert provider.calls == 0


def test_wechat_choice_without_an_openid_is_skipped_and_with_one_goes_by_wechat():
    # given two members who chose WeChat, one never bound it
    unbound = member(5, channel_choice=ChannelChoice.WECHAT)
    bound = member(6, channel_choice=ChannelChoice.WECHAT, wechat_openid="oABCDEF123")
    # when notified
    messages = notify(recipients=[unbound, bound], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    # then the first is skipped with the reason, the second is a pending WeChat message
    assert [(m.channel, m.status, m.skip_reason) for m in messages] == [
        (Channel.WECHAT, MessageStatus.SKIPPED, SKIP_NO_OPENID),
        (Channel.WECHAT, MessageStatus.PENDING, ""),
    ]


def test_inbox_only_without_an_account_is_recorded_as_skipped():
    # given a member without an account who chose the inbox only
    [inbox] = notify(
        recipients=[member(7, channel_choice=ChannelChoice.INBOX_ONLY)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON
    )
    # then there is no one to read it
    assert inbox.channel == Channel.INBOX and inbox.status == MessageStatus.SKIPPED


def test_a_callers_skip_reason_skips_every_channel():
    # given a recipient the caller marks as no longer a member
    gone = member(8, skip_reason="已不是党员（去世，2026-01-05）")
    # when notified
    [sms] = notify(recipients=[gone], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    # then skipped with that reason
    assert (sms.status, sms.skip_reason) == (MessageStatus.SKIPPED, "已不是党员（去世，2026-01-05）")


def test_a_context_missing_a_placeholder_of_the_template_is_a_programming_error():
    with pytest.raises(ValueError, match="years"):
        notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context={"join_date": "x"}, now=NOON)


def test_an_explicit_channel_list_replaces_the_recipients_choice():
    [message] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, channels=[Channel.INBOX], now=NOON)
    assert message.channel == Channel.INBOX


def test_notify_queues_the_send_after_commit_and_the_eager_task_sends_it(provider, django_capture_on_commit_callbacks):
    # given the embedded default (tasks run inline) and no quiet hours
    NotificationSettings.objects.create(quiet_start=time(0, 0), quiet_end=time(0, 0))
    # when a due message is created and the transaction commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY)
    # then one send was queued and it went out
    assert len(callbacks) == 1
    sms.refresh_from_db()
    assert sms.status == MessageStatus.SENT and len(provider.sent) == 1


# --- quiet hours ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("planned", "expected"),
    [
        (datetime(2027, 3, 1, 22, 30, tzinfo=SH), datetime(2027, 3, 2, 8, 0, tzinfo=SH)),  # evening: tomorrow 08:00
        (datetime(2027, 3, 1, 2, 15, tzinfo=SH), datetime(2027, 3, 1, 8, 0, tzinfo=SH)),  # after midnight: same day 08:00
        (datetime(2027, 3, 1, 21, 0, tzinfo=SH), datetime(2027, 3, 2, 8, 0, tzinfo=SH)),  # the start itself is quiet
        (datetime(2027, 3, 1, 8, 0, tzinfo=SH), datetime(2027, 3, 1, 8, 0, tzinfo=SH)),  # the end is not
        (datetime(2027, 3, 1, 12, 0, tzinfo=SH), datetime(2027, 3, 1, 12, 0, tzinfo=SH)),
    ],
)
def test_quiet_hours_hold_sms_until_08_00_across_midnight_and_the_inbox_copy_is_immediate(planned, expected):
    # given the default quiet hours 21:00–08:00 and a member with an account
    user = add_user("q")
    # when a notice is planned at ``planned``
    messages = notify(
        recipients=[member(1, user_id=user.pk)],
        kind=MessageKind.POLITICAL_BIRTHDAY,
        context=BIRTHDAY,
        send_after=planned,
        now=planned - timedelta(hours=1),
    )
    by_channel = {m.channel: m for m in messages}
    # then the SMS waits for the end of quiet hours, the inbox copy does not
    assert by_channel[Channel.SMS].send_after == expected
    assert by_channel[Channel.INBOX].send_after == planned


def test_configured_quiet_hours_that_do_not_wrap_midnight_hold_until_their_end():
    # given quiet hours 12:00–14:00
    NotificationSettings.objects.create(quiet_start=time(12, 0), quiet_end=time(14, 0))
    # when an SMS is planned at 13:00
    [sms] = notify(
        recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, send_after=NOON.replace(hour=13), now=NOON
    )
    # then it is held until 14:00
    assert sms.send_after == NOON.replace(hour=14)


def test_a_late_planned_sms_goes_now_unless_now_is_inside_quiet_hours():
    # given a greeting planned for yesterday 09:00 (a caught-up day) and now 07:30
    now = datetime(2027, 3, 2, 7, 30, tzinfo=SH)
    [sms] = notify(
        recipients=[member(1)],
        kind=MessageKind.POLITICAL_BIRTHDAY,
        context=BIRTHDAY,
        send_after=now - timedelta(hours=22, minutes=30),
        now=now,
    )
    # then it waits for 08:00 today instead of going in quiet hours
    assert sms.send_after == datetime(2027, 3, 2, 8, 0, tzinfo=SH)


def test_a_message_that_becomes_due_in_quiet_hours_at_dispatch_is_held_until_the_end(provider):
    # given an SMS due at 20:55 that is dispatched only at 21:10
    evening = datetime(2027, 3, 1, 20, 55, tzinfo=SH)
    [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, send_after=evening, now=evening)
    # when dispatch runs late
    dispatch_due(evening + timedelta(minutes=15))
    # then nothing was sent and it waits for 08:00, when it goes
    sms.refresh_from_db()
    assert provider.calls == 0 and sms.status == MessageStatus.PENDING
    assert sms.send_after == datetime(2027, 3, 2, 8, 0, tzinfo=SH)
    dispatch_due(datetime(2027, 3, 2, 8, 0, tzinfo=SH))
    sms.refresh_from_db()
    assert sms.status == MessageStatus.SENT


# --- sending ---------------------------------------------------------------------------------------------


def test_a_successful_send_records_the_provider_id_and_time(provider):
    [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    # when sent
    assert send_message(sms.pk, now=NOON) == MessageStatus.SENT
    # then the row says sent, by whom, when
    sms.refresh_from_db()
    assert sms.provider == "fake" and sms.provider_message_id.startswith("fake-")
    assert sms.sent_at == NOON and sms.attempts == 1 and sms.last_error == ""


def test_a_provider_confirming_at_once_marks_the_message_delivered(provider):
    provider.delivered = True
    [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    assert send_message(sms.pk, now=NOON) == MessageStatus.DELIVERED
    sms.refresh_from_db()
    assert sms.delivered_at == NOON


def test_NOTIF_002_the_vendor_receives_only_the_phone_and_the_text(provider):
    # given a greeting with a pre-approved SMS template code
    title, body = templates_text.default_text(MessageKind.POLITICAL_BIRTHDAY)
    MessageTemplate.objects.update_or_create(
        kind=MessageKind.POLITICAL_BIRTHDAY, defaults={"title": title, "body": body, "sms_template_code": "SMS_001"}
    )
    [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context={**BIRTHDAY, "extra": "secret"}, now=NOON)
    # when sent
    send_message(sms.pk, now=NOON)
    # then the provider got the phone, the text and the template's own placeholders, nothing else
    [outgoing] = provider.sent
    assert outgoing.phone == "13900000001" and outgoing.wechat_openid == ""
    assert outgoing.text == sms.body and outgoing.template_code == "SMS_001"
    assert outgoing.template_params == {"name": "党员1", "years": "12", "join_date": "2015年3月1日"}
    assert set(Outgoing.__dataclass_fields__) == {
        "channel",
        "text",
        "phone",
        "wechat_openid",
        "title",
        "link",
        "template_code",
        "template_params",
    }


def test_a_duplicate_task_sends_once(provider):
    # given a due message
    [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    # when its task is delivered twice (and dispatch runs as well)
    first = send_message(sms.pk, now=NOON)
    second = send_message(sms.pk, now=NOON)
    dispatch_due(NOON + timedelta(minutes=1))
    # then the provider was called once
    assert (first, second) == (MessageStatus.SENT, None)
    assert provider.calls == 1


def test_a_message_not_yet_due_is_not_claimed(provider):
    [sms] = notify(
        recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, send_after=NOON + timedelta(hours=1), now=NOON
    )
    assert send_message(sms.pk, now=NOON) is None
    assert provider.calls == 0


def test_retryable_errors_are_retried_with_backoff_then_succeed(provider):
    # given a provider that answers 5xx twice, then accepts
    provider.script = [RetryableError("服务商返回 HTTP 503"), RetryableError("服务商返回 HTTP 502")]
    [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    # when sent: the first failure waits 1 minute
    assert send_message(sms.pk, now=NOON) == MessageStatus.PENDING
    sms.refresh_from_db()
    assert sms.next_attempt_at == NOON + timedelta(minutes=1) and "503" in sms.last_error and sms.attempts == 1
    # then a dispatch before that time sends nothing; at it, the second failure waits 5 minutes
    assert dispatch_due(NOON + timedelta(seconds=30)) == {"due": 0}
    dispatch_due(NOON + timedelta(minutes=1))
    sms.refresh_from_db()
    assert sms.next_attempt_at == NOON + timedelta(minutes=6) and sms.attempts == 2
    # and the third try succeeds
    dispatch_due(NOON + timedelta(minutes=6))
    sms.refresh_from_db()
    assert sms.status == MessageStatus.SENT and sms.attempts == 3 and sms.last_error == ""


def test_a_provider_that_keeps_timing_out_fails_after_the_last_attempt(provider):
    # given a provider that always times out
    provider.fail_for = lambda outgoing: TimeoutError("read timed out")
    [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    # when dispatch runs long enough for every retry
    moment = NOON
    for _ in range(MAX_ATTEMPTS + 2):
        dispatch_due(moment)
        moment += timedelta(hours=2)
    # then it was tried exactly MAX_ATTEMPTS times and failed with the reason
    sms.refresh_from_db()
    assert provider.calls == MAX_ATTEMPTS
    assert sms.status == MessageStatus.FAILED and "超时" in sms.last_error and f"{MAX_ATTEMPTS}次" in sms.last_error


def test_a_permanent_error_fails_that_message_and_the_others_still_go(provider):
    # given three due greetings, the provider rejects the second number
    provider.fail_for = lambda outgoing: (
        PermanentError("号码无效（isv.MOBILE_NUMBER_ILLEGAL）") if outgoing.phone.endswith("0002") else None
    )
    for n in (1, 2, 3):
        notify(recipients=[member(n)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    # when dispatched
    counts = dispatch_due(NOON)
    # then one failed with the reason and no retry, two were sent
    assert counts == {"due": 3, MessageStatus.SENT: 2, MessageStatus.FAILED: 1}
    failed = Message.objects.get(status=MessageStatus.FAILED)
    assert "号码无效" in failed.last_error and failed.next_attempt_at is None and failed.attempts == 1


def test_an_unexpected_exception_fails_the_message_with_a_generic_reason_and_a_masked_log(provider, caplog):
    # given a provider crashing with the phone in its message
    provider.fail_for = lambda outgoing: KeyError(f"bad config for {outgoing.phone}")
    [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    # when dispatched, with the project's log filter on the handler
    from dangjian.core.masking import MaskPiiLogFilter

    caplog.handler.addFilter(MaskPiiLogFilter())
    with caplog.at_level(logging.ERROR):
        dispatch_due(NOON)
    # then it failed, the reason is generic, and neither the row nor the log holds the plain phone
    sms.refresh_from_db()
    assert sms.status == MessageStatus.FAILED and sms.last_error == services.UNEXPECTED_ERROR
    assert "KeyError" in caplog.text
    assert "13900000001" not in caplog.text
    assert "13900000001" not in sms.last_error


def test_a_provider_error_naming_the_phone_is_stored_masked(provider):
    provider.script = [PermanentError("13900000001 is not reachable")]
    [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    send_message(sms.pk, now=NOON)
    sms.refresh_from_db()
    assert sms.last_error == "139****0001 is not reachable"


def test_a_message_left_sending_by_a_dead_worker_is_sent_again_after_the_lease(provider):
    # given a message claimed by a worker that died before recording anything
    [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    Message.objects.filter(pk=sms.pk).update(status=MessageStatus.SENDING, attempts=1, next_attempt_at=NOON + SENDING_LEASE)
    # when dispatch runs before and after the lease
    dispatch_due(NOON + timedelta(minutes=1))
    assert provider.calls == 0
    dispatch_due(NOON + SENDING_LEASE)
    # then it is taken up again and sent
    sms.refresh_from_db()
    assert sms.status == MessageStatus.SENT and sms.attempts == 2


def test_dispatch_due_sends_a_bounded_batch_oldest_first(provider):
    for n in range(1, 6):
        planned = NOON - timedelta(minutes=n)
        notify(
            recipients=[member(n)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, send_after=planned, now=NOON - timedelta(hours=1)
        )
    counts = dispatch_due(NOON, limit=2)
    assert counts == {"due": 2, MessageStatus.SENT: 2}
    assert [o.phone[-1] for o in provider.sent] == ["5", "4"]


# --- receipts and resends ---------------------------------------------------------------------------------


def test_a_delivery_receipt_marks_delivered_and_a_duplicate_callback_changes_nothing(provider):
    # given a sent SMS
    [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    send_message(sms.pk, now=NOON)
    sms.refresh_from_db()
    # when the provider reports delivery, then reports it again, then reports a failure late
    first = record_delivery_receipt(provider="fake", provider_message_id=sms.provider_message_id, status="delivered", at=NOON)
    again = record_delivery_receipt(
        provider="fake", provider_message_id=sms.provider_message_id, status="delivered", at=NOON + timedelta(minutes=5)
    )
    late = record_delivery_receipt(provider="fake", provider_message_id=sms.provider_message_id, status="failed", error="UNDELIV")
    # then the first receipt counts and the others change nothing
    assert first is not None and first.status == MessageStatus.DELIVERED and first.delivered_at == NOON
    assert again is not None and again.delivered_at == NOON
    assert late is not None and late.status == MessageStatus.DELIVERED and late.last_error == ""


def test_a_failure_receipt_marks_a_sent_message_failed_and_an_unknown_id_is_ignored(provider):
    [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    send_message(sms.pk, now=NOON)
    sms.refresh_from_db()
    failed = record_delivery_receipt(provider="fake", provider_message_id=sms.provider_message_id, status="failed", error="用户停机")
    assert failed is not None and failed.status == MessageStatus.FAILED and "用户停机" in failed.last_error
    assert record_delivery_receipt(provider="fake", provider_message_id="nope", status="delivered") is None


def test_a_failed_message_can_be_resent_once_and_the_resend_is_audited(provider, world):
    # given a failed SMS
    provider.script = [PermanentError("签名未审核")]
    [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    send_message(sms.pk, now=NOON)
    # when the district admin re-sends it
    resent = resend_message(actor=world.alice, message_id=sms.pk, now=NOON + timedelta(hours=1))
    # then it is pending again with fresh attempts, audited, and goes on the next dispatch
    assert resent.status == MessageStatus.PENDING and resent.attempts == 0 and resent.last_error == ""
    event = AuditEvent.objects.get(object_type="notifications.Message", object_id=str(sms.pk))
    assert event.actor == world.alice and event.before["status"] == MessageStatus.FAILED and "139****0001" in str(event.detail)
    dispatch_due(NOON + timedelta(hours=1))
    resent.refresh_from_db()
    assert resent.status == MessageStatus.SENT
    # and a message that is not failed cannot be re-sent
    with pytest.raises(RuleViolation, match="只有发送失败的消息可以重新发送"):
        resend_message(actor=world.alice, message_id=sms.pk)


# --- templates -------------------------------------------------------------------------------------------


def test_a_template_with_an_unknown_placeholder_is_refused_naming_it():
    with pytest.raises(RuleViolation) as refused:
        validate_template(MessageKind.POLITICAL_BIRTHDAY, "{nmae}同志：今天是您的第{years}个政治生日")
    assert refused.value.message == "模板正文中的占位符{nmae}不存在，可用的占位符：{name}、{years}、{join_date}"
    assert refused.value.field == "body"


def test_every_unknown_placeholder_is_named_and_attribute_access_is_refused_too():
    with pytest.raises(RuleViolation, match=r"\{name.__class__\}、\{yrs\}"):
        validate_template(MessageKind.POLITICAL_BIRTHDAY, "{name.__class__}{yrs}{yrs}")
    with pytest.raises(RuleViolation, match="不成对的花括号"):
        validate_template(MessageKind.POLITICAL_BIRTHDAY, "{name}同志：{years 周年")
    with pytest.raises(RuleViolation, match="标题中的占位符"):
        validate_template(MessageKind.POLITICAL_BIRTHDAY, "{name}", title="{title}")
    with pytest.raises(RuleViolation, match="不能为空"):
        validate_template(MessageKind.POLITICAL_BIRTHDAY, "  ")


def test_preview_renders_the_text_with_sample_data():
    assert (
        preview(MessageKind.POLITICAL_BIRTHDAY, "{name}同志：第{years}个政治生日（{join_date}入党）")
        == "张伟同志：第12个政治生日（2014年7月1日入党）"
    )


def test_the_default_templates_are_seeded_and_valid():
    # given the seeding migration run on an empty table (a transactional test elsewhere may have
    # flushed the rows the migration wrote)
    seeding = importlib.import_module("dangjian.notifications.migrations.0002_default_templates")
    MessageTemplate.objects.all().delete()
    seeding.seed(django_apps, None)
    kinds = dict(MessageTemplate.objects.values_list("kind", "body"))
    # then every kind has a template that passes its own check, and the code's defaults match
    assert set(kinds) == set(MessageKind.values)
    assert kinds[MessageKind.POLITICAL_BIRTHDAY].startswith("{name}同志：今天是您的第{years}个政治生日")
    for kind, body in kinds.items():
        validate_template(kind, body)
        assert body == templates_text.default_text(kind)[1]
    # and a second run keeps an edited text
    MessageTemplate.objects.filter(kind=MessageKind.GENERAL).update(body="{name}：{content}")
    seeding.seed(django_apps, None)
    assert MessageTemplate.objects.get(kind=MessageKind.GENERAL).body == "{name}：{content}"


def test_an_edited_template_is_what_the_next_message_says():
    MessageTemplate.objects.update_or_create(
        kind=MessageKind.POLITICAL_BIRTHDAY, defaults={"body": "{name}同志，第{years}个政治生日快乐！"}
    )
    [sms] = notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    assert sms.body == "党员1同志，第12个政治生日快乐！"


# --- STAT-010 --------------------------------------------------------------------------------------------


def test_STAT_010_political_birthday_sms_count_is_computed_from_sent_and_delivered_messages_in_the_subtree(provider):
    # given greetings in two subtrees: sent, delivered, failed, skipped; and another kind
    inside, other = "0001000100010001", "0001000200010001"
    provider.fail_for = lambda outgoing: PermanentError("x") if outgoing.phone.endswith("0003") else None
    for n, path in ((1, inside), (2, inside), (3, inside), (4, other)):
        notify(recipients=[member(n, org_path=path)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    notify(recipients=[member(5, org_path=inside, phone="")], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, now=NOON)
    notify(recipients=[member(6, org_path=inside)], kind=MessageKind.GENERAL, context={"title": "t", "content": "c", "org": "o"}, now=NOON)
    dispatch_due(NOON)
    delivered = Message.objects.get(recipient_member_id=MEMBER_IDS[2])
    record_delivery_receipt(provider="fake", provider_message_id=delivered.provider_message_id, status="delivered")
    # when counted for the first subtree and that day
    count = political_birthday_sms_count(org_path="00010001", since=date(2027, 3, 1), until=date(2027, 3, 1))
    # then the sent one and the delivered one count, nothing else
    assert count == 2
    assert political_birthday_sms_count(org_path="0001", since=date(2027, 3, 1), until=date(2027, 3, 1)) == 3
    assert political_birthday_sms_count(org_path="0001", since=date(2027, 3, 2), until=date(2027, 3, 31)) == 0


# --- races (PostgreSQL: real concurrent transactions) --------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_notifies_make_one_row_and_concurrent_sends_call_the_provider_once(provider):
    # given four threads about to create the same greeting, then four about to send it
    from django.db import connection

    def together(work: Any, n: int = 4) -> list[Any]:
        barrier, results = threading.Barrier(n), []

        def run() -> None:
            try:
                barrier.wait(timeout=10)
                results.append(work())
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        return results

    created = together(
        lambda: notify(recipients=[member(1)], kind=MessageKind.POLITICAL_BIRTHDAY, context=BIRTHDAY, dedup_key="race", now=NOON)[0].pk
    )
    # then every caller got the one row
    assert len(created) == 4 and len(set(created)) == 1 and Message.objects.count() == 1
    # and of four simultaneous sends exactly one claimed it
    outcomes = together(lambda: send_message(created[0], now=NOON))
    assert sorted(outcomes, key=str) == [None, None, None, MessageStatus.SENT]
    assert provider.calls == 1
