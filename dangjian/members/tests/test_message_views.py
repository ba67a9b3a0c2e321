"""The message log page: scoped to the caller's subtrees, filtered, with the STAT-010 count and resend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.audit.models import AuditEvent
from dangjian.notifications.choices import Channel, MessageKind, MessageStatus
from dangjian.notifications.models import Message
from dangjian.notifications.tests.message_rows import make_message

pytestmark = pytest.mark.django_db

URL = "/notifications/messages/"


def _sms(member, **extra):
    values = {"channel": Channel.SMS, "phone": "13912345678", "kind": MessageKind.POLITICAL_BIRTHDAY}
    values.update(extra)
    return make_message(member=member, **values)


def test_an_org_admin_sees_the_messages_of_his_subtree_with_masked_phones(world, login):
    # given an SMS to a member of A1-1 and one to a member of B1-1
    _sms(world.a1_1_members[0], recipient_name="甲侧收信人")
    _sms(world.b1_1_members[0], recipient_name="乙侧收信人")
    # when bob (street A) opens the log
    response = login(world.bob).get(URL)
    html = response.content.decode()
    # then A's row is there with a masked phone, B's is not
    assert response.status_code == 200
    assert "甲侧收信人" in html and "乙侧收信人" not in html
    assert "13912345678" not in html and "139****5678" in html


def test_the_log_shows_status_attempts_reason_and_provider_id(world, login):
    _sms(world.a1_1_members[0], status=MessageStatus.FAILED, attempts=5, last_error="已尝试5次仍未发出：服务商超时")
    _sms(world.a1_1_members[1], status=MessageStatus.SKIPPED, skip_reason="未登记手机号，无法发送短信", phone="")
    _sms(world.a1_1_members[2], status=MessageStatus.DELIVERED, provider_message_id="ALI-123456")
    html = login(world.charlie).get(URL).content.decode()
    for text in ("失败", "已跳过", "已送达", "已尝试5次仍未发出", "未登记手机号", "ALI-123456", "重新发送"):
        assert text in html, text


@pytest.mark.parametrize("persona", ["dave", "grace", "heidi", "ivan"])
def test_roles_without_a_subtree_get_403_with_the_reason(world, login, persona):
    response = login(world.persona(persona)).get(URL)
    assert response.status_code == 403 and "站内信" in response.content.decode()


def test_the_default_range_is_this_month(world, login):
    # given a message from two months ago and one from today
    _sms(world.a1_1_members[0], recipient_name="很久以前", created_at=timezone.now() - timedelta(days=62))
    _sms(world.a1_1_members[0], recipient_name="今天")
    client = login(world.bob)
    # when the log opens without dates, then only today's shows
    html = client.get(URL).content.decode()
    assert "今天" in html and "很久以前" not in html
    # and with an earlier start it shows both
    since = (timezone.localdate() - timedelta(days=70)).isoformat()
    assert "很久以前" in client.get(URL, {"since": since}).content.decode()


def test_filtering_by_organisation_kind_channel_and_status(world, login):
    _sms(world.a1_1_members[0], recipient_name="一网格短信")
    _sms(world.a1_2_members[0], recipient_name="二网格短信")
    make_message(member=world.a1_1_members[1], channel=Channel.INBOX, kind=MessageKind.STUDY_TOPIC, recipient_name="一网格站内信")
    _sms(world.a1_1_members[2], status=MessageStatus.FAILED, recipient_name="一网格失败")
    client = login(world.bob)
    only_a1_1 = client.get(URL, {"org": world.branch_a1_1.pk}).content.decode()
    assert "一网格短信" in only_a1_1 and "二网格短信" not in only_a1_1
    inbox = client.get(URL, {"channel": Channel.INBOX}).content.decode()
    assert "一网格站内信" in inbox and "一网格短信" not in inbox
    study = client.get(URL, {"kind": MessageKind.STUDY_TOPIC}).content.decode()
    assert "一网格站内信" in study and "二网格短信" not in study
    failed = client.get(URL, {"status": MessageStatus.FAILED}).content.decode()
    assert "一网格失败" in failed and "一网格短信" not in failed


def test_an_organisation_outside_the_scope_in_the_query_is_ignored_and_said_so(world, login):
    _sms(world.b1_1_members[0], recipient_name="乙侧收信人")
    response = login(world.bob).get(URL, {"org": world.branch_b1_1.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert "不在您的管理范围内" in html and "乙侧收信人" not in html


def test_a_range_ending_before_it_starts_is_explained(world, login):
    html = login(world.bob).get(URL, {"since": "2026-03-10", "until": "2026-03-01"}).content.decode()
    assert "截止日期 2026-03-01 早于起始日期 2026-03-10" in html


def test_STAT_010_the_page_counts_political_birthday_sms_sent_or_delivered_in_the_subtree_and_range(world, login):
    # given in A1-1: one sent, one delivered, one failed, one skipped birthday SMS, and a birthday inbox copy
    a = world.a1_1_members
    _sms(a[0], status=MessageStatus.SENT)
    _sms(a[1], status=MessageStatus.DELIVERED)
    _sms(a[2], status=MessageStatus.FAILED)
    _sms(a[3], status=MessageStatus.SKIPPED, phone="")
    make_message(member=a[0], kind=MessageKind.POLITICAL_BIRTHDAY, channel=Channel.INBOX)
    # and a delivered one in A1-2 and one in street B
    _sms(world.a1_2_members[0], status=MessageStatus.DELIVERED)
    _sms(world.b1_1_members[0], status=MessageStatus.DELIVERED)
    client = login(world.bob)
    # when bob looks at his whole street, then A1-1's two and A1-2's one count
    assert _count(client.get(URL)) == 3
    # and for A1-1 alone, two
    assert _count(client.get(URL, {"org": world.branch_a1_1.pk})) == 2
    # and for last year, none
    assert _count(client.get(URL, {"since": "2025-01-01", "until": "2025-12-31"})) == 0


def _count(response) -> int:
    html = response.content.decode()
    tail = html.split('data-testid="birthday-count">', 1)[1]
    return int(tail.split("<", 1)[0])


def test_the_district_admin_counts_the_whole_district(world, login):
    _sms(world.a1_1_members[0], status=MessageStatus.DELIVERED)
    _sms(world.b1_1_members[0], status=MessageStatus.SENT)
    assert _count(login(world.alice).get(URL)) == 2


def test_the_list_runs_the_same_number_of_queries_for_one_and_for_fifty_rows(world, login, django_assert_max_num_queries):
    # given a client for bob and one message
    client = login(world.bob)
    _sms(world.a1_1_members[0])
    client.get(URL)
    with CaptureQueriesContext(connection) as one:
        assert client.get(URL).status_code == 200
    # when there are fifty
    for n in range(49):
        _sms(world.a1_1_members[n % 4], status=MessageStatus.FAILED if n % 3 == 0 else MessageStatus.SENT)
    with django_assert_max_num_queries(len(one)), CaptureQueriesContext(connection) as fifty:
        response = client.get(URL)
    # then the page costs the same and shows all fifty
    assert len(fifty) == len(one)
    assert response.content.decode().count('data-label="接收人"') == 50


# --- resend --------------------------------------------------------------------------------------


def test_resending_a_failed_message_queues_it_again_and_audits_it(world, login):
    # given a failed SMS in A1-1
    message = _sms(world.a1_1_members[0], status=MessageStatus.FAILED, attempts=5, last_error="号码停机")
    # when bob presses 重新发送 on the filtered list
    response = login(world.bob).post(f"{URL}{message.pk}/resend/", {"back": "status=failed&page=1&evil=1"})
    # then it is pending with attempts reset, one audit row names bob, and the list comes back filtered
    message.refresh_from_db()
    assert message.status in (MessageStatus.PENDING, MessageStatus.SENT, MessageStatus.DELIVERED)
    assert message.attempts in (0, 1)
    event = AuditEvent.objects.get(object_type="notifications.Message", object_id=str(message.pk))
    assert event.actor == world.bob
    assert response.status_code == 302 and response["Location"] == f"{URL}?status=failed&page=1"


def test_a_message_that_did_not_fail_is_not_resent(world, login):
    message = _sms(world.a1_1_members[0], status=MessageStatus.DELIVERED)
    response = login(world.bob).post(f"{URL}{message.pk}/resend/", follow=True)
    assert "只有发送失败的消息可以重新发送" in response.content.decode()
    assert Message.objects.get(pk=message.pk).status == MessageStatus.DELIVERED
    assert not AuditEvent.objects.filter(object_type="notifications.Message").exists()


def test_resending_a_message_outside_the_subtree_is_not_found(world, login):
    message = _sms(world.b1_1_members[0], status=MessageStatus.FAILED)
    assert login(world.bob).post(f"{URL}{message.pk}/resend/").status_code == 404
    assert Message.objects.get(pk=message.pk).status == MessageStatus.FAILED


def test_resend_is_post_only(world, login):
    message = _sms(world.a1_1_members[0], status=MessageStatus.FAILED)
    assert login(world.bob).get(f"{URL}{message.pk}/resend/").status_code == 405
