"""Bases (issue 7) in real Chromium at desktop width and at 390 px: a secretary books a slot from the
calendar, the keeper approves it, and on the day the keeper checks the group in by its short code."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from dangjian.venues.choices import BookingStatus
from dangjian.venues.models import Booking
from dangjian.venues.tests.factories import make_activity, make_base

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


def test_secretary_books_keeper_approves_and_checks_in(page: Page, live_server: Any, world: Any, viewport: dict[str, int]) -> None:
    page.set_viewport_size(viewport)
    site = live_server.url
    venue = make_base(world.community_a1, name="甲一社区红色驿站", capacity=20, keepers=(world.grace,))
    make_activity(venue, name="主题党日活动", minutes=120, capacity=20)
    try:
        # given charlie, secretary of branch A1-1, opens the bases on his phone or desktop
        _log_in(page, site, "charlie")
        page.goto(f"{site}/bases/")
        expect(page.get_by_role("heading", name="开放式组织生活基地")).to_be_visible()
        page.get_by_role("link", name="查看空余时段并预约").click()
        expect(page.get_by_role("heading", name="空余时段")).to_be_visible()
        _no_sideways_scroll(page)
        # when he picks a free slot two weeks ahead (the calendar shows the free places)
        page.get_by_role("link", name="下一周").click()
        slot = page.locator("a.slot").first
        expect(slot).to_contain_text("余 20")
        slot.click()
        expect(page.get_by_role("heading", name="预约 甲一社区红色驿站")).to_be_visible()
        page.get_by_label("人数").fill("5")
        page.get_by_label("戴维").check()
        _no_sideways_scroll(page)
        page.get_by_role("button", name="提交预约").click()
        # then the booking waits for the keeper, with its check-in code
        expect(page.get_by_test_id("status")).to_have_text("待审核")
        code = page.get_by_test_id("check-code").inner_text().strip()
        booking = Booking.objects.get()
        assert booking.check_code == code and booking.headcount == 5
        _no_sideways_scroll(page)
        page.get_by_role("button", name="退出").click()

        # when grace, the base keeper, opens her desk and approves it
        _log_in(page, site, "grace")
        page.goto(f"{site}/bases/{venue.pk}/desk/")
        expect(page.get_by_role("heading", name="预约受理与签到")).to_be_visible()
        expect(page.get_by_text(world.branch_a1_1.name).first).to_be_visible()
        page.get_by_role("button", name="通过").click()
        expect(page.get_by_text("已审核通过")).to_be_visible()
        booking.refresh_from_db()
        assert booking.status == BookingStatus.APPROVED
        _no_sideways_scroll(page)

        # when the day comes and the group arrives, she types the code and confirms the check-in
        now = timezone.now().replace(second=0, microsecond=0)
        Booking.objects.filter(pk=booking.pk).update(starts_at=now, ends_at=now + timedelta(hours=2))
        page.goto(f"{site}/bases/{venue.pk}/desk/")
        page.get_by_label("签到码").fill(code.lower())
        page.get_by_role("button", name="查找预约").click()
        expect(page.get_by_role("heading", name="签到", exact=True)).to_be_visible()
        page.get_by_role("button", name="确认签到").click()
        # then the booking shows as checked in, and the page fits the phone
        expect(page.get_by_test_id("status")).to_have_text("已签到")
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CHECKED_IN and booking.attended == 1
        _no_sideways_scroll(page)
    except Exception:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"venues-flow-{viewport['width']}.png"), full_page=True)
        raise
