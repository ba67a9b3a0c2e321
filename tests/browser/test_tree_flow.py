"""The organisation tree when it is too big to show whole: folded levels unfold in place (htmx), at
desktop width and at 390 px; without JavaScript the fold links to the organisation's page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from conftest import PASSWORD
from dangjian.organisations import selectors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="组织体系")).to_be_visible()


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"page scrolls sideways by {overflow}px"


def _unfold(page: Page, name: str) -> None:
    """Tap the row of a folded organisation (beside its name, which is a link to its page)."""
    page.locator("summary", has=page.get_by_role("link", name=name, exact=True)).locator(".code").click()


def test_district_admin_unfolds_a_street_then_a_community_in_place(
    page: Page, live_server: Any, world: Any, viewport: dict[str, int], monkeypatch: Any
) -> None:
    # given a tree too big for one page: only the district and its streets fit
    monkeypatch.setattr(selectors, "TREE_NODE_BUDGET", 4)
    page.set_viewport_size(viewport)
    base = live_server.url
    try:
        # when alice opens her tree
        _log_in(page, base, "alice")
        # then the streets are shown with their totals and the findings below them, the communities are not
        expect(page.get_by_role("link", name="甲街道党工委", exact=True)).to_be_visible()
        expect(page.get_by_text("下级 3 个组织有提示")).to_be_visible()
        expect(page.get_by_role("link", name="甲一社区党委", exact=True)).to_have_count(0)
        _no_sideways_scroll(page)

        # when she unfolds street A, its community is fetched into the tree
        _unfold(page, "甲街道党工委")
        community = page.get_by_role("link", name="甲一社区党委", exact=True)
        expect(community).to_be_visible()
        expect(page.get_by_role("link", name="乙一社区党委", exact=True)).to_have_count(0)
        _no_sideways_scroll(page)

        # and when she unfolds the community, its branches appear with their member counts
        _unfold(page, "甲一社区党委")
        expect(page.get_by_role("link", name="甲一社区第一网格党支部", exact=True)).to_be_visible()
        expect(page.get_by_text("党员 4 名")).to_be_visible()
        _no_sideways_scroll(page)

        # and the branch's name still opens its page
        page.get_by_role("link", name="甲一社区第一网格党支部", exact=True).click()
        expect(page.get_by_role("heading", name="甲一社区第一网格党支部")).to_be_visible()
    except Exception:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"tree-flow-{viewport['width']}.png"), full_page=True)
        raise


def test_without_javascript_a_fold_leads_to_the_organisations_page_listing_its_children(
    browser: Browser, live_server: Any, world: Any, monkeypatch: Any
) -> None:
    # given a phone without JavaScript and the same folded tree
    monkeypatch.setattr(selectors, "TREE_NODE_BUDGET", 4)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    try:
        _log_in(page, live_server.url, "alice")
        # when she opens street A's fold, it offers a link to the street's page
        _unfold(page, "甲街道党工委")
        page.get_by_role("link", name="查看下级 3 个组织").click()
        # then the street's page lists its community
        expect(page.get_by_role("heading", name="甲街道党工委")).to_be_visible()
        expect(page.get_by_role("link", name="甲一社区党委")).to_be_visible()
        _no_sideways_scroll(page)
    finally:
        context.close()
