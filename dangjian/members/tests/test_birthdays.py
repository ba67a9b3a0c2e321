"""The political-birthday job (NOTIF-001): selection, one message per member per day, skips, reruns."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.models import User
from dangjian.members.birthdays import birthday_members, send_political_birthdays
from dangjian.members.choices import ExitReason
from dangjian.members.models import Member
from dangjian.members.notices import recipient_for_member
from dangjian.members.tests.factories import make_member
from dangjian.notifications.choices import Channel, ChannelChoice, MessageKind, MessageStatus
from dangjian.notifications.models import Message, NotificationPreference, NotificationSettings
from dangjian.notifications.rules import SKIP_OPTED_OUT
from dangjian.notifications.services import dispatch_due
from dangjian.notifications.tests.recording import RecordingProvider, install_recording_provider
from dangjian.organisations.tests.factories import make_org

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> RecordingProvider:
    return install_recording_provider(monkeypatch)


DAY = date(2027, 3, 1)
AFTER_SENDING = datetime(2027, 3, 1, 9, 0, tzinfo=SH)


@pytest.fixture
def branch() -> Any:
    return make_org(None, "政治生日测试支部")


def joined(branch: Any, when: date, name: str = "", **extra: Any) -> Member:
    return make_member(branch, name or None, birth_date=date(when.year - 30, 5, 5), join_date=when, **extra)


def greetings(member: Member) -> list[Message]:
    return list(Message.objects.filter(recipient_member=member, kind=MessageKind.POLITICAL_BIRTHDAY))


def test_NOTIF_001_members_whose_joining_anniversary_is_today_get_a_greeting_with_name_and_years(branch, provider):
    # given one member who joined on 1 March 2015 and one on 2 March 2015
    today = joined(branch, date(2015, 3, 1), "李红梅", phone="13912345678")
    tomorrow = joined(branch, date(2015, 3, 2))
    # when the job runs on 1 March 2027 and its messages are sent at 09:00
    summary = send_political_birthdays(day=DAY)
    dispatch_due(AFTER_SENDING)
    # then only the first gets one SMS: 李红梅同志：今天是您的第12个政治生日…
    [sms] = greetings(today)
    assert greetings(tomorrow) == []
    assert sms.channel == Channel.SMS and sms.status == MessageStatus.SENT
    assert sms.body.startswith("李红梅同志：今天是您的第12个政治生日。2015年3月1日")
    assert sms.dedup_key == f"political_birthday:2027-03-01:m{today.pk}:sms"
    assert [o.phone for o in provider.sent] == ["13912345678"]
    assert summary["members"] == 1 and summary[MessageStatus.PENDING] == 1


def test_NOTIF_001_running_the_job_twice_the_same_day_gives_each_member_exactly_one_message(branch, provider):
    # given three members with today's anniversary
    members = [joined(branch, date(2000 + n, 3, 1)) for n in range(3)]
    # when the job runs twice (and dispatch after each run)
    send_political_birthdays(day=DAY)
    dispatch_due(AFTER_SENDING)
    send_political_birthdays(day=DAY)
    dispatch_due(AFTER_SENDING)
    # then each member has one message, sent once
    assert [len(greetings(m)) for m in members] == [1, 1, 1]
    assert provider.calls == 3


def test_NOTIF_001_a_crash_in_the_middle_then_a_rerun_sends_the_rest_exactly_once(branch, provider, monkeypatch):
    # given five members with today's anniversary, and a job that crashes on the fourth
    members = [joined(branch, date(1990 + n, 3, 1)) for n in range(5)]
    calls = {"n": 0}

    def crashing(member: Member, *, on: date) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("worker killed")
        return recipient_for_member(member, on=on)

    monkeypatch.setattr("dangjian.members.birthdays.recipient_for_member", crashing)
    with pytest.raises(RuntimeError):
        send_political_birthdays(day=DAY)
    dispatch_due(AFTER_SENDING)
    assert Message.objects.count() == 3 and provider.calls == 3
    # when the job is run again
    send_political_birthdays(day=DAY)
    dispatch_due(AFTER_SENDING)
    # then the two missing members got theirs and nobody got two
    assert [len(greetings(m)) for m in members] == [1] * 5
    assert provider.calls == 5
    assert sorted(o.phone for o in provider.sent) == sorted(m.phone for m in members)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 2, 28), {"leap", "feb28"}),  # common year: the 29 February member is greeted on the 28th
        (date(2027, 3, 1), {"mar1"}),
        (date(2028, 2, 28), {"feb28"}),  # leap year: not on the 28th …
        (date(2028, 2, 29), {"leap"}),  # … but on the 29th
        (date(2028, 3, 1), {"mar1"}),
    ],
)
def test_NOTIF_001_a_29_february_anniversary_is_kept_on_28_february_in_common_years(branch, day, expected):
    # given members who joined on 29 February, 28 February and 1 March 2016
    people = {
        "leap": joined(branch, date(2016, 2, 29)),
        "feb28": joined(branch, date(2016, 2, 28)),
        "mar1": joined(branch, date(2016, 3, 1)),
    }
    # when the job runs on ``day``
    send_political_birthdays(day=day)
    # then exactly the expected members are greeted
    assert {key for key, member in people.items() if greetings(member)} == expected


def test_NOTIF_001_a_member_who_joined_this_year_has_no_political_birthday_yet(branch):
    newcomer = joined(branch, date(2026, 3, 1))
    joined_today = joined(branch, date(2027, 3, 1))
    send_political_birthdays(day=DAY)
    assert greetings(newcomer) and not greetings(joined_today)


def test_NOTIF_001_opted_out_members_are_skipped_with_the_reason(branch, provider):
    # given a member who opted out of non-essential messages
    member = joined(branch, date(2010, 3, 1))
    NotificationPreference.objects.create(member=member, opt_out_non_essential=True)
    # when the job runs and dispatches
    summary = send_political_birthdays(day=DAY)
    dispatch_due(AFTER_SENDING)
    # then the greeting is recorded as skipped with the reason, and nothing was sent
    [sms] = greetings(member)
    assert (sms.status, sms.skip_reason) == (MessageStatus.SKIPPED, SKIP_OPTED_OUT)
    assert provider.calls == 0
    assert summary["skip_reasons"] == {SKIP_OPTED_OUT: 1}


@pytest.mark.parametrize(("phone", "reason"), [("", "未登记手机号"), ("010-6529 1234", "不是有效的手机号")])
def test_NOTIF_001_members_without_a_valid_mobile_are_skipped_with_the_reason(branch, provider, phone, reason):
    member = joined(branch, date(2010, 3, 1), phone=phone)
    send_political_birthdays(day=DAY)
    dispatch_due(AFTER_SENDING)
    [sms] = greetings(member)
    assert sms.status == MessageStatus.SKIPPED and reason in sms.skip_reason
    assert provider.calls == 0


def test_NOTIF_001_members_who_left_are_skipped_as_no_longer_members(branch, provider):
    # given a member who died last year and one transferred out after today
    died = joined(branch, date(1980, 3, 1), left_on=date(2026, 6, 1), exit_reason=ExitReason.DECEASED)
    leaves_later = joined(branch, date(1981, 3, 1), left_on=date(2027, 6, 1), exit_reason=ExitReason.TRANSFERRED_OUT)
    # when the job runs
    send_political_birthdays(day=DAY)
    dispatch_due(AFTER_SENDING)
    # then the first is recorded as skipped, the second (still a member today) is greeted
    [skipped] = greetings(died)
    assert skipped.status == MessageStatus.SKIPPED and skipped.skip_reason == "已不是党员（去世，2026-06-01）"
    assert greetings(leaves_later)[0].status == MessageStatus.SENT
    assert provider.calls == 1


def test_NOTIF_001_a_member_with_an_account_also_finds_the_greeting_in_the_inbox(branch, provider):
    member = joined(branch, date(2010, 3, 1))
    member.user = User.objects.create_user(username="lhm", password="x" * 12)
    member.save()
    send_political_birthdays(day=DAY)
    dispatch_due(AFTER_SENDING)
    assert sorted(m.channel for m in greetings(member)) == [Channel.INBOX, Channel.SMS]
    assert all(m.recipient_user_id == member.user_id for m in greetings(member))


def test_a_members_preference_comes_from_the_member_else_from_the_linked_account(branch):
    # given a member without a preference whose account chose WeChat
    member = joined(branch, date(2010, 3, 1))
    member.user = User.objects.create_user(username="wx", password="x" * 12)
    member.save()
    NotificationPreference.objects.create(user=member.user, channel=ChannelChoice.WECHAT, wechat_openid="oWX1")
    # then the account's choice applies; a member preference wins over it
    assert recipient_for_member(member, on=DAY).channel_choice == ChannelChoice.WECHAT
    NotificationPreference.objects.create(member=member, channel=ChannelChoice.INBOX_ONLY)
    member = Member.objects.get(pk=member.pk)
    assert recipient_for_member(member, on=DAY).channel_choice == ChannelChoice.INBOX_ONLY


def test_NOTIF_001_greetings_go_at_the_configured_time_and_never_in_quiet_hours(branch):
    # given the default send time 09:00
    first = joined(branch, date(2010, 3, 1))
    send_political_birthdays(day=DAY)
    assert greetings(first)[0].send_after == datetime(2027, 3, 1, 9, 0, tzinfo=SH)
    # when the district sets 07:00, inside the quiet hours 21:00–08:00
    NotificationSettings.objects.create(birthday_send_time=time(7, 0))
    second = joined(branch, date(2011, 3, 2))
    send_political_birthdays(day=date(2027, 3, 2))
    # then the SMS waits for 08:00
    assert greetings(second)[0].send_after == datetime(2027, 3, 2, 8, 0, tzinfo=SH)


def test_NOTIF_001_todays_birthdays_are_one_query_on_the_indexed_month_day_column(branch):
    # given members on several days
    for n in range(4):
        joined(branch, date(2010 + n, 3, 1 + n))
    # when today's are selected
    with CaptureQueriesContext(connection) as queries:
        found = list(birthday_members(DAY))
    # then one query, filtering on join_month_day, found the one member
    assert len(found) == 1 and len(queries) == 1
    assert "join_month_day" in queries[0]["sql"]
    # and the database answers it through the column's index, not a table scan
    sql, params = birthday_members(DAY).query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "join_month_day" in plan and "INDEX" in plan.upper()
