"""Notifications in real Chromium, at desktop width and at 390 px (phone): the district admin edits and
previews the political-birthday template and reads the message log; a member reads the inbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from dangjian.notifications.choices import Channel, MessageKind, MessageStatus
from dangjian.notifications.models import Message, MessageTemplate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"page scrolls sideways by {overflow}px"


def _message(member: Any, n: int, **fields: Any) -> Message:
    now = timezone.now()
    values = {
        "kind": MessageKind.POLITICAL_BIRTHDAY,
        "channel": Channel.SMS,
        "status": MessageStatus.DELIVERED,
        "dedup_key": f"browser:{n}",
        "recipient_member": member,
        "recipient_name": member.name,
        "phone": "13912345678",
        "org_path": member.organisation.path,
        "body": f"{member.name}同志：今天是您的第12个政治生日。",
        "send_after": now,
        "sent_at": now,
        "delivered_at": now,
        "attempts": 1,
        "provider": "aliyun",
        "provider_message_id": f"ALI-{n:06d}",
    }
    values.update(fields)
    return Message.objects.create(**values)


def test_district_admin_edits_previews_and_saves_the_birthday_template_then_reads_the_log(
    page: Page, live_server: Any, world: Any, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    base = live_server.url
    # given two delivered birthday SMS and one that failed in A1-1
    members = world.a1_1_members
    _message(members[0], 1)
    _message(members[1], 2)
    _message(members[2], 3, status=MessageStatus.FAILED, delivered_at=None, sent_at=None, last_error="号码已停机", provider_message_id="")
    try:
        # when alice (district admin) opens the message templates from the navigation
        _log_in(page, base, "alice")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="消息模板").click()
        expect(page.get_by_role("heading", name="消息模板", exact=True)).to_be_visible()
        expect(page.get_by_role("heading", name="政治生日祝福")).to_be_visible()
        _no_sideways_scroll(page)

        # and writes a placeholder that does not exist, then saves
        body = page.get_by_label("正文")
        body.fill("{name}同志：祝您{age}岁生日")
        page.get_by_role("button", name="保存").click()
        # then the save is refused naming the placeholder
        expect(page.locator(".field-error").first).to_contain_text("{age}")
        assert not MessageTemplate.objects.filter(kind=MessageKind.POLITICAL_BIRTHDAY, body__contains="{age}").exists()

        # when she writes a correct text and previews it
        page.get_by_label("正文").fill("{name}同志：今天是您的第{years}个政治生日，祝您政治生日快乐！")
        page.get_by_role("button", name="预览").click()
        # then the preview shows it filled with sample data, and nothing is saved yet
        expect(page.locator("#preview")).to_contain_text("张伟同志：今天是您的第12个政治生日，祝您政治生日快乐！")
        # (the default row is seeded by a migration; a transactional test may have flushed it)
        assert not MessageTemplate.objects.filter(kind=MessageKind.POLITICAL_BIRTHDAY, updated_by__isnull=False).exists()
        _no_sideways_scroll(page)

        # when she saves
        page.get_by_role("button", name="保存").click()
        # then it is saved and the page says so
        expect(page.get_by_role("status")).to_contain_text("已保存")
        saved = MessageTemplate.objects.get(kind=MessageKind.POLITICAL_BIRTHDAY)
        assert saved.body == "{name}同志：今天是您的第{years}个政治生日，祝您政治生日快乐！" and saved.updated_by == world.alice

        # when she opens the message log
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="消息记录").click()
        # then the count of birthday SMS and the three rows show, phones masked
        expect(page.get_by_test_id("birthday-count")).to_have_text("2")
        expect(page.get_by_text("号码已停机")).to_be_visible()
        expect(page.get_by_text("139****5678").first).to_be_visible()
        assert "13912345678" not in page.content()
        _no_sideways_scroll(page)

        # when she re-sends the failed one
        page.get_by_role("button", name=f"重新发送给{members[2].name}的短信").click()
        expect(page.get_by_role("status")).to_contain_text("已重新安排发送")
        assert Message.objects.get(dedup_key="browser:3").status != MessageStatus.FAILED
    except Exception:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"notifications-admin-{viewport['width']}.png"), full_page=True)
        raise


def test_member_reads_the_inbox_and_the_unread_badge_goes_down(page: Page, live_server: Any, world: Any, viewport: dict[str, int]) -> None:
    page.set_viewport_size(viewport)
    base = live_server.url
    # given two unread inbox messages for dave
    now = timezone.now()
    for n, title in enumerate(("支部党员大会通知", "组织关系接转提醒"), 1):
        Message.objects.create(
            kind=MessageKind.MEETING_REMINDER if n == 1 else MessageKind.TRANSFER_REMINDER,
            channel=Channel.INBOX,
            status=MessageStatus.DELIVERED,
            dedup_key=f"browser-inbox:{n}",
            recipient_user=world.dave,
            recipient_member=world.dave_member,
            recipient_name="戴维",
            org_path=world.branch_a1_1.path,
            title=title,
            body=f"戴维同志：{title}，详见正文。",
            send_after=now,
            sent_at=now,
            delivered_at=now,
        )
    try:
        # when dave logs in
        _log_in(page, base, "dave")
        badge = page.get_by_test_id("unread-badge")
        # then the header shows 2 unread
        expect(badge).to_contain_text("2")
        _no_sideways_scroll(page)

        # when he opens his inbox and reads one message
        page.get_by_role("link", name="站内信").first.click()
        expect(page.get_by_role("heading", name="站内信")).to_be_visible()
        page.get_by_role("link", name="支部党员大会通知").click()
        expect(page.get_by_role("heading", name="支部党员大会通知")).to_be_visible()
        expect(page.get_by_text("戴维同志：支部党员大会通知，详见正文。")).to_be_visible()
        # then the badge says 1
        expect(badge).to_contain_text("1")
        _no_sideways_scroll(page)

        # when he marks all read, then the badge is gone
        page.get_by_role("link", name="返回站内信").click()
        page.get_by_role("button", name="全部标为已读").click()
        expect(page.get_by_role("status")).to_contain_text("已将 1 条未读消息标为已读")
        expect(badge).to_have_count(0)
    except Exception:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"notifications-inbox-{viewport['width']}.png"), full_page=True)
        raise
