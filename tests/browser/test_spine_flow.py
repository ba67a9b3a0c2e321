"""The spine's main flow in real Chromium, at desktop width and at 390 px (phone)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from dangjian.core.idnumber import make_id_number
from dangjian.members.models import Member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _roster(path: Path, *, broken: bool) -> Path:
    good = make_id_number("110105", date(1988, 4, 12), 31)
    second = make_id_number("110105", date(1979, 9, 30), 42)
    if broken:
        second = second[:-1] + ("0" if second[-1] != "0" else "1")  # wrong check digit
    rows = [
        "甲一社区第一网格党支部党员花名册,,,,,,,",
        "序号,姓名,性别,公民身份号码,入党日期,转正日期,党员状态,联系电话",
        f"1,浏览器甲,男,{good},2012.07.01,2013年7月1日,正式党员,13911112222",
        f"2,浏览器乙,女,{second},2005-6-30,2006-6-30,正式,13922223333",
        "合计,2人,,,,,,",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    return path


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"page scrolls sideways by {overflow}px"


def test_secretary_logs_in_browses_the_tree_opens_a_member_and_imports_a_roster(
    page: Page, live_server: Any, world: Any, viewport: dict[str, int], tmp_path: Path
) -> None:
    page.set_viewport_size(viewport)
    base = live_server.url
    try:
        # given charlie, secretary of branch A1-1, logs in
        _log_in(page, base, "charlie")
        # then he lands on his organisation tree, scoped to his branch
        expect(page.get_by_role("heading", name="组织体系")).to_be_visible()
        branch = page.get_by_role("link", name="甲一社区第一网格党支部").first
        expect(branch).to_be_visible()
        expect(page.get_by_text("乙一社区第一网格党支部")).to_have_count(0)
        _no_sideways_scroll(page)

        # when he opens his branch, its health and facts show
        branch.click()
        expect(page.get_by_role("heading", name="甲一社区第一网格党支部")).to_be_visible()
        expect(page.get_by_text("ORG-010").first).to_be_visible()  # no secretary seat recorded yet
        _no_sideways_scroll(page)

        # when he opens a member from the member list, personal data is masked
        page.goto(f"{base}/members/")
        page.get_by_role("link", name="戴维").click()
        expect(page.get_by_role("heading", name=re.compile("戴维"))).to_be_visible()
        expect(page.locator("dd.mono").first).to_have_text(re.compile(r"^\d{6}\*{8}[\dX]{4}$"))
        _no_sideways_scroll(page)

        # when he uploads a roster with a bad check digit
        page.goto(f"{base}/members/import/")
        page.get_by_label("导入到").select_option(value=str(world.branch_a1_1.pk))
        page.get_by_label("Excel 或 CSV 文件").set_input_files(str(_roster(tmp_path / "broken.csv", broken=True)))
        page.get_by_role("button", name="上传并预览").click()
        # then the error names the Excel row, the column and the reason, and nothing is written
        errors = page.locator("section[aria-labelledby=import-errors-h]")
        expect(errors).to_contain_text("第 4 行")
        expect(errors).to_contain_text("公民身份号码")
        expect(errors).to_contain_text("校验位不正确")
        assert not Member.objects.filter(name__startswith="浏览器").exists()
        _no_sideways_scroll(page)

        # when he fixes the file and uploads it again, a preview shows, then he confirms
        page.get_by_label("导入到").select_option(value=str(world.branch_a1_1.pk))
        page.get_by_label("Excel 或 CSV 文件").set_input_files(str(_roster(tmp_path / "fixed.csv", broken=False)))
        page.get_by_role("button", name="上传并预览").click()
        expect(page.locator("#import-preview-h")).to_contain_text("尚未写入")
        assert not Member.objects.filter(name__startswith="浏览器").exists()
        page.get_by_role("button", name="确认导入").click()
        # then both members exist, once
        expect(page.get_by_text(re.compile("新增"))).not_to_have_count(0)
        assert Member.objects.filter(name__startswith="浏览器", organisation=world.branch_a1_1).count() == 2
    except Exception:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"spine-flow-{viewport['width']}.png"), full_page=True)
        raise


def test_member_switches_on_large_font_on_a_phone_and_it_stays_on(page: Page, live_server: Any, world: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    base = live_server.url
    # given dave, an ordinary member, logs in on a phone and sees his own record
    _log_in(page, base, "dave")
    expect(page.get_by_role("heading", name="我的党员信息")).to_be_visible()
    expect(page.get_by_text("戴维").first).to_be_visible()
    normal = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main')).fontSize)")
    # when he switches on large-font mode
    page.get_by_role("button", name="大字模式").click()
    # then the text is larger, and it stays larger after logging out and in again
    expect(page.get_by_role("button", name="大字模式：开")).to_have_attribute("aria-pressed", "true")
    large = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main')).fontSize)")
    assert large >= normal * 1.2
    page.get_by_role("button", name="退出").click()
    _log_in(page, base, "dave")
    expect(page.get_by_role("button", name="大字模式：开")).to_have_attribute("aria-pressed", "true")
    _no_sideways_scroll(page)
