"""Organisational life in real Chromium at desktop width and at 390 px: a secretary records a meeting
with attendance and submits it; the superior returns it with a comment; the secretary fixes and
resubmits; the superior approves (issue 5, LIFE-015)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from dangjian.meetings.models import Attendance, Meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"page scrolls sideways by {overflow}px"


def test_secretary_records_submits_superior_returns_secretary_resubmits_superior_approves(
    page: Page, live_server: Any, world: Any, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    base = live_server.url
    yesterday = timezone.localdate() - timedelta(days=1)
    absent = world.a1_1_members[0]
    try:
        # given charlie, secretary of branch A1-1, opens organisational life and starts a record
        _log_in(page, base, "charlie")
        page.goto(f"{base}/meetings/")
        expect(page.get_by_role("heading", name="组织生活")).to_be_visible()
        _no_sideways_scroll(page)
        page.get_by_role("link", name="新建记录").click()
        expect(page.get_by_role("heading", name="新建组织生活记录")).to_be_visible()
        _no_sideways_scroll(page)

        # when he fills the one form: kinds, time, place, people, attendance and minutes
        page.get_by_label("主题党日").check()
        page.get_by_label("党课").check()
        page.get_by_label("日期").fill(yesterday.isoformat())
        page.get_by_label("开始时间").fill("14:30")
        page.get_by_label("结束时间").fill("16:00")
        page.get_by_label("地点").fill("社区党群服务中心二楼会议室")
        page.locator("#id_topic").fill("学习党的二十届四中全会精神")
        page.get_by_label("主持人").fill("查理")
        page.get_by_label("记录人").fill("王芳")
        page.locator(".att-row", has_text="戴维").get_by_label("出席", exact=True).check()
        row = page.locator(".att-row", has_text=absent.name).first
        row.get_by_label("缺席", exact=True).check()
        row.get_by_role("combobox").select_option("sick")
        page.get_by_label("会议记录").fill("书记领学全会公报，党员交流学习体会。")
        page.get_by_role("button", name="保存", exact=True).click()

        # then a draft exists with the attendance, and he submits it for review
        expect(page.get_by_test_id("status")).to_have_text("草稿")
        meeting = Meeting.objects.get()
        assert Attendance.objects.get(meeting=meeting, member=world.dave_member).presence == "present"
        assert Attendance.objects.filter(meeting=meeting, presence="absent").exists()
        _no_sideways_scroll(page)
        page.get_by_role("button", name="提交审核").click()
        expect(page.get_by_test_id("status")).to_have_text("待审核")
        _log_out(page)

        # when bob (street A) reviews it online and returns it with a comment
        _log_in(page, base, "bob")
        page.goto(f"{base}/meetings/")
        page.get_by_role("link", name="学习党的二十届四中全会精神").click()
        expect(page.get_by_role("heading", name="线上审核")).to_be_visible()
        _no_sideways_scroll(page)
        page.get_by_label("审核意见").fill("请补充会议的决定事项。")
        page.get_by_role("button", name="退回修改").click()
        expect(page.get_by_test_id("status")).to_have_text("已退回")
        _log_out(page)

        # then charlie sees the comment, fixes the record and resubmits
        _log_in(page, base, "charlie")
        page.goto(f"{base}/meetings/{meeting.pk}/")
        expect(page.get_by_role("note")).to_contain_text("请补充会议的决定事项。")
        page.get_by_role("link", name="修改").click()
        page.get_by_label("决定事项").fill("各党员结合岗位撰写学习心得。")
        page.get_by_role("button", name="保存", exact=True).click()
        page.get_by_role("button", name="重新提交审核").click()
        expect(page.get_by_test_id("status")).to_have_text("待审核")
        _log_out(page)

        # when bob approves it, it is locked
        _log_in(page, base, "bob")
        page.goto(f"{base}/meetings/{meeting.pk}/")
        page.get_by_role("button", name="审核通过").click()
        expect(page.get_by_test_id("status")).to_have_text("已通过")
        _no_sideways_scroll(page)
        meeting.refresh_from_db()
        assert meeting.status == "approved" and meeting.decisions == "各党员结合岗位撰写学习心得。"
        assert list(meeting.events.values_list("action", flat=True)) == [
            "created",
            "submitted",
            "returned",
            "updated",
            "resubmitted",
            "approved",
        ]
    except Exception:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"meetings-flow-{viewport['width']}.png"), full_page=True)
        raise
