"""Notification pages: inbox and header badge, own preferences, the district admin's templates
(placeholder check, preview) and settings (quiet hours)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.audit.models import AuditEvent
from dangjian.notifications.choices import Channel, ChannelChoice, MessageKind, MessageStatus
from dangjian.notifications.models import Message, MessageTemplate, NotificationPreference, NotificationSettings

from .message_rows import make_message

pytestmark = pytest.mark.django_db


def _badge(response) -> str:
    html = response.content.decode()
    marker = 'data-testid="unread-badge"'
    if marker not in html:
        return ""
    tail = html.split(marker, 1)[1]
    return "".join(ch for ch in tail.split("</span>", 2)[1] if ch.isdigit())


# --- inbox ------------------------------------------------------------------------------------


def test_the_inbox_lists_the_users_own_messages_newest_first(world, login):
    # given two messages for dave and one for erin
    now = timezone.now()
    make_message(user=world.dave, title="较早的通知", created_at=now - timedelta(days=2))
    make_message(user=world.dave, title="最新的通知", created_at=now - timedelta(hours=1))
    make_message(user=world.erin, title="别人的通知")
    # when dave opens his inbox
    response = login(world.dave).get("/notifications/inbox/")
    # then his two are there, newest first, and erin's is not
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("最新的通知") < html.index("较早的通知")
    assert "别人的通知" not in html


def test_the_header_shows_the_unread_count_on_every_page(world, login):
    # given three unread messages and one read message for dave
    for _ in range(3):
        make_message(user=world.dave)
    make_message(user=world.dave, read_at=timezone.now())
    # when dave opens his own record page
    response = login(world.dave).get("/members/me/")
    # then the header badge says 3
    assert _badge(response) == "3"


def test_no_badge_when_everything_is_read(world, login):
    # given only a read message
    make_message(user=world.dave, read_at=timezone.now())
    # when dave opens the inbox
    response = login(world.dave).get("/notifications/inbox/")
    # then there is no badge and no "mark all read" button
    assert _badge(response) == ""
    assert "全部标为已读" not in response.content.decode()


def test_opening_a_message_marks_it_read_and_the_badge_goes_down(world, login):
    # given two unread messages
    first = make_message(user=world.dave, title="会议通知", body="周五下午开会。")
    make_message(user=world.dave)
    client = login(world.dave)
    # when dave opens one
    response = client.get(f"/notifications/inbox/{first.pk}/")
    # then it shows, is read, and one unread is left
    assert response.status_code == 200
    assert "周五下午开会。" in response.content.decode()
    first.refresh_from_db()
    assert first.read_at is not None
    assert _badge(response) == "1"


def test_opening_a_read_message_again_keeps_the_first_reading_time(world, login):
    # given a message read an hour ago
    earlier = timezone.now() - timedelta(hours=1)
    message = make_message(user=world.dave, read_at=earlier)
    # when it is opened again
    login(world.dave).get(f"/notifications/inbox/{message.pk}/")
    # then the reading time is unchanged
    message.refresh_from_db()
    assert message.read_at == earlier


def test_another_users_message_is_not_found(world, login):
    # given a message for erin
    message = make_message(user=world.erin)
    # when dave asks for it by id
    response = login(world.dave).get(f"/notifications/inbox/{message.pk}/")
    # then 404, and it stays unread
    assert response.status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


def test_mark_all_read_marks_only_own_messages(world, login):
    # given unread messages for dave and erin
    mine = [make_message(user=world.dave) for _ in range(2)]
    theirs = make_message(user=world.erin)
    # when dave marks all read
    response = login(world.dave).post("/notifications/inbox/read-all/", follow=True)
    # then his are read, erin's not, and the page says how many
    assert "已将 2 条未读消息标为已读" in response.content.decode()
    assert all(Message.objects.get(pk=m.pk).read_at for m in mine)
    assert Message.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_read_is_post_only(world, login):
    # when the mark-all address is opened by GET, then it is refused
    assert login(world.dave).get("/notifications/inbox/read-all/").status_code == 405


def test_a_reminder_planned_for_later_and_a_skipped_copy_are_not_in_the_inbox(world, login):
    # given a message planned for tomorrow and a skipped one
    make_message(user=world.dave, title="明天的提醒", status=MessageStatus.PENDING, send_after=timezone.now() + timedelta(days=1))
    make_message(user=world.dave, title="跳过的消息", status=MessageStatus.SKIPPED, skip_reason="本人已选择不接收非必要通知")
    # when dave opens the inbox
    response = login(world.dave).get("/notifications/inbox/")
    # then neither is listed nor counted
    html = response.content.decode()
    assert "明天的提醒" not in html and "跳过的消息" not in html
    assert _badge(response) == ""


def test_a_study_topic_message_links_to_the_topic_page(world, login):
    # given a study-topic message pointing at topic 7
    message = make_message(user=world.dave, kind=MessageKind.STUDY_TOPIC, link="/study/7/")
    # when dave opens it
    response = login(world.dave).get(f"/notifications/inbox/{message.pk}/")
    # then the page offers the topic
    html = response.content.decode()
    assert 'href="/study/7/"' in html and "阅读学习专题" in html


def test_a_link_to_another_site_is_not_offered(world, login):
    # given a message whose link points off the platform
    message = make_message(user=world.dave, link="https://example.com/phish")
    # when dave opens it, then no button leads there
    assert "example.com" not in login(world.dave).get(f"/notifications/inbox/{message.pk}/").content.decode()


def test_the_inbox_page_runs_the_same_number_of_queries_for_one_and_for_twenty_messages(world, login):
    # given a client for dave
    client = login(world.dave)
    make_message(user=world.dave)
    client.get("/notifications/inbox/")  # warm the session
    with CaptureQueriesContext(connection) as one:
        assert client.get("/notifications/inbox/").status_code == 200
    # when nineteen more arrive
    for _ in range(19):
        make_message(user=world.dave)
    with CaptureQueriesContext(connection) as twenty:
        assert client.get("/notifications/inbox/").status_code == 200
    # then the page costs the same
    assert len(one) == len(twenty)


def test_the_unread_badge_costs_one_query(world, login):
    # given dave on a page without the badge's count
    client = login(world.dave)
    client.get("/notifications/preferences/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/notifications/preferences/")
    # then exactly one query reads the messages table
    counted = [q["sql"] for q in queries.captured_queries if "notifications_message" in q["sql"]]
    assert len(counted) == 1 and "COUNT" in counted[0].upper()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/notifications/inbox/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- preferences ------------------------------------------------------------------------------


def test_a_member_chooses_inbox_only_and_opts_out_of_non_essential_messages(world, login):
    # when dave saves 仅站内信 and the opt-out
    response = login(world.dave).post(
        "/notifications/preferences/", {"channel": ChannelChoice.INBOX_ONLY, "opt_out_non_essential": "on"}, follow=True
    )
    # then his member record's preference says so
    assert "已保存您的通知设置" in response.content.decode()
    preference = NotificationPreference.objects.get(member=world.dave_member)
    assert preference.channel == ChannelChoice.INBOX_ONLY
    assert preference.opt_out_non_essential is True


def test_the_preference_form_shows_the_saved_choice_and_the_wechat_binding(world, login):
    # given dave chose WeChat and is bound
    NotificationPreference.objects.create(member=world.dave_member, channel=ChannelChoice.WECHAT, wechat_openid="o-abc")
    # when he opens the page
    html = login(world.dave).get("/notifications/preferences/").content.decode()
    # then WeChat is ticked and shown as bound
    assert 'value="wechat" id="id_channel_1" checked' in html or (
        'value="wechat"' in html and "checked" in html.split('value="wechat"')[1][:40]
    )
    assert "已绑定" in html


def test_an_unknown_channel_is_refused_in_chinese(world, login):
    # when a tampered channel is posted
    response = login(world.dave).post("/notifications/preferences/", {"channel": "carrier_pigeon"})
    # then the form says what to choose and nothing is saved
    assert "请从短信、微信、仅站内信中选择一种" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_an_account_without_a_member_record_is_told_everything_arrives_in_the_inbox(world, login):
    # when charlie (a secretary without a member record) opens the preferences
    response = login(world.charlie).get("/notifications/preferences/")
    # then the page explains, and no form is offered
    html = response.content.decode()
    assert "只发到站内信" in html and 'name="channel"' not in html


# --- templates (district admin) ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["bob", "charlie", "dave"])
def test_only_the_district_admin_edits_templates(world, login, persona):
    # when another role opens the template editor or its preview
    client = login(world.persona(persona))
    page = client.get("/notifications/templates/")
    preview = client.post("/notifications/templates/preview/", {"kind": "political_birthday", "body": "{name}"})
    # then 403 with the reason
    assert page.status_code == 403 and preview.status_code == 403
    assert "区委组织部" in page.content.decode()


def test_the_editor_lists_every_kind_and_shows_the_default_text_with_its_placeholders(world, login):
    # when alice opens the political-birthday template that was never edited
    response = login(world.alice).get("/notifications/templates/?kind=political_birthday")
    html = response.content.decode()
    # then every kind is listed, the default text is in the editor and the placeholders beside it
    assert response.status_code == 200
    for label in MessageKind.labels:
        assert label in html
    assert "默认文字" in html
    assert "{years}" in html and "第几个政治生日" in html
    assert "第12个政治生日" in html  # the preview with sample data


def test_saving_a_template_stores_it_and_writes_an_audit_row(world, login):
    # when alice saves a new political-birthday text
    body = "{name}同志，今天是您的第{years}个政治生日，祝您政治生日快乐！"
    response = login(world.alice).post(
        "/notifications/templates/?kind=political_birthday",
        {"kind": "political_birthday", "title": "政治生日", "body": body, "sms_template_code": "SMS_1", "action": "save"},
    )
    # then it is saved, by alice, audited, and the editor is shown again
    assert response.status_code == 302 and "kind=political_birthday" in response["Location"]
    template = MessageTemplate.objects.get(kind=MessageKind.POLITICAL_BIRTHDAY)
    assert template.body == body and template.sms_template_code == "SMS_1" and template.updated_by == world.alice
    event = AuditEvent.objects.get(object_type="notifications.MessageTemplate", actor=world.alice)
    assert event.actor == world.alice and event.after["body"] == body


def test_a_template_with_an_unknown_placeholder_is_refused_naming_it(world, login):
    # when alice saves a text with a misspelt placeholder
    response = login(world.alice).post(
        "/notifications/templates/?kind=political_birthday",
        {"kind": "political_birthday", "body": "{nmae}同志：第{years}个政治生日快乐！", "action": "save"},
    )
    # then it is refused with the placeholder named, and nothing is saved
    html = response.content.decode()
    assert response.status_code == 422
    assert "{nmae}" in html and "不存在" in html
    assert "{nmae}" not in MessageTemplate.objects.get(kind=MessageKind.POLITICAL_BIRTHDAY).body


def test_the_preview_button_shows_the_text_with_sample_data_without_saving(world, login):
    # when alice previews (without JavaScript) an edited text
    response = login(world.alice).post(
        "/notifications/templates/?kind=political_birthday",
        {"kind": "political_birthday", "body": "{name}同志：第{years}个政治生日快乐！", "action": "preview"},
    )
    # then the filled text shows and nothing is saved
    html = response.content.decode()
    assert response.status_code == 200
    assert "张伟同志：第12个政治生日快乐！" in html
    assert MessageTemplate.objects.get(kind=MessageKind.POLITICAL_BIRTHDAY).updated_by is None  # still the default


def test_the_live_preview_answers_a_partial_with_the_sms_length(world, login):
    # when the editor posts its text to the preview address (htmx)
    response = login(world.alice).post(
        "/notifications/templates/preview/", {"kind": "political_birthday", "body": "{name}同志：第{years}个政治生日快乐！" + "祝" * 80}
    )
    # then only the preview comes back, filled, with its length in SMS parts
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="preview"' in html
    assert "张伟同志" in html and "计为 2 条" in html


def test_the_live_preview_names_an_unknown_placeholder(world, login):
    response = login(world.alice).post("/notifications/templates/preview/", {"kind": "political_birthday", "body": "{age}岁"})
    html = response.content.decode()
    assert "{age}" in html and "不存在" in html


def test_an_unknown_kind_in_the_address_falls_back_to_the_political_birthday(world, login):
    response = login(world.alice).get("/notifications/templates/?kind=nonsense")
    assert response.status_code == 200 and "政治生日祝福" in response.content.decode()


# --- settings (district admin) ------------------------------------------------------------------


def test_the_settings_page_shows_the_default_quiet_hours(world, login):
    html = login(world.alice).get("/notifications/settings/").content.decode()
    assert 'value="21:00"' in html and 'value="08:00"' in html and 'value="09:00"' in html


def test_saving_quiet_hours_stores_them_and_audits_the_change(world, login):
    # when alice moves the quiet hours
    response = login(world.alice).post(
        "/notifications/settings/", {"quiet_start": "22:00", "quiet_end": "07:30", "birthday_send_time": "10:00"}, follow=True
    )
    # then they are saved and audited
    assert "已保存通知设置" in response.content.decode()
    row = NotificationSettings.objects.get()
    assert (row.quiet_start, row.quiet_end, row.birthday_send_time) == (time(22), time(7, 30), time(10))
    assert AuditEvent.objects.filter(object_type="notifications.NotificationSettings", actor=world.alice).count() == 1


def test_quiet_hours_starting_and_ending_at_the_same_time_are_refused(world, login):
    response = login(world.alice).post(
        "/notifications/settings/", {"quiet_start": "21:00", "quiet_end": "21:00", "birthday_send_time": "09:00"}
    )
    assert response.status_code == 422
    assert "免打扰开始和结束时间不能相同" in response.content.decode()
    assert not NotificationSettings.objects.exists()


def test_a_birthday_send_time_inside_the_quiet_hours_is_refused(world, login):
    response = login(world.alice).post(
        "/notifications/settings/", {"quiet_start": "21:00", "quiet_end": "08:00", "birthday_send_time": "07:00"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "07:00 在免打扰时段（21:00–08:00）内" in html


def test_a_time_that_is_no_time_is_refused_in_chinese(world, login):
    response = login(world.alice).post("/notifications/settings/", {"quiet_start": "25:99", "quiet_end": "08:00", "birthday_send_time": ""})
    html = response.content.decode()
    assert "免打扰开始不是有效时间" in html and "请填写政治生日短信发送时间" in html


@pytest.mark.parametrize("persona", ["bob", "dave"])
def test_only_the_district_admin_changes_settings(world, login, persona):
    client = login(world.persona(persona))
    assert client.get("/notifications/settings/").status_code == 403
    response = client.post("/notifications/settings/", {"quiet_start": "22:00", "quiet_end": "07:00", "birthday_send_time": "09:00"})
    assert response.status_code == 403 and not NotificationSettings.objects.exists()


def test_sms_channel_rows_are_not_in_anyones_inbox(world, login):
    # given an SMS row addressed to dave's account (the inbox shows the inbox channel only)
    make_message(user=world.dave, channel=Channel.SMS, title="短信副本")
    assert "短信副本" not in login(world.dave).get("/notifications/inbox/").content.decode()
