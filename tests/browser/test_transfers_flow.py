"""Online transfer in real Chromium (issue 6): the member applies on a 390 px phone, the branch
secretary confirms, the street committee approves and the receiving side accepts (desktop); the
member sees each status and the next responsible organisation on the phone."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from dangjian.members.models import Member
from dangjian.transfers.models import Transfer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _log_in(page: Page, base: str, username: str, viewport: dict[str, int]) -> None:
    page.context.clear_cookies()
    page.set_viewport_size(viewport)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"page scrolls sideways by {overflow}px"


def _member_sees(page: Page, base: str, state: str, next_org: str | None) -> None:
    _log_in(page, base, "dave", PHONE)
    page.goto(f"{base}/transfers/")
    card = page.get_by_test_id("my-transfer").first
    expect(card).to_contain_text(state)
    if next_org:
        expect(card).to_contain_text(next_org)
    _no_sideways_scroll(page)


def _act(page: Page, base: str, username: str, button: str) -> None:
    _log_in(page, base, username, DESKTOP)
    page.goto(f"{base}/transfers/")
    page.get_by_test_id("todo-row").first.get_by_role("link", name="戴维").click()
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text(f"已{button}")


def test_member_applies_on_the_phone_and_the_transfer_runs_to_completion(page: Page, live_server: Any, world: Any) -> None:
    world.street_a.has_approval_authority = True
    world.street_a.save(update_fields=["has_approval_authority"])
    base = live_server.url

    # dave, on his phone, applies to move to branch B1-1
    _log_in(page, base, "dave", PHONE)
    page.goto(f"{base}/transfers/")
    _no_sideways_scroll(page)
    page.get_by_role("link", name="申请转接组织关系").click()
    page.get_by_label("查找党支部（输入名称中的几个字）").fill("乙一社区")
    page.get_by_role("button", name="查找").click()
    page.get_by_label("转入党支部").select_option(label="乙一社区第一网格党支部（乙一社区党委）")
    page.get_by_label("转接原因").fill("搬家到乙一社区")
    page.get_by_label("党费交到（年月）").fill("2026-10")
    page.get_by_label("联系电话").fill("13812345678")
    _no_sideways_scroll(page)
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_test_id("state")).to_have_text("已申请，待党支部确认")
    expect(page.get_by_test_id("next-org")).to_contain_text("甲一社区第一网格党支部")
    _no_sideways_scroll(page)

    # the branch secretary confirms; dave sees it is with the street committee now
    _act(page, base, "charlie", "确认")
    _member_sees(page, base, "待党委审批", "甲街道党工委")

    # the street committee (which holds the approval authority) approves on the desktop
    _act(page, base, "bob", "审批同意")
    _member_sees(page, base, "党委已审批", "乙一社区第一网格党支部")

    # the receiving side accepts: dave is moved, in one step
    _act(page, base, "frank", "接收")
    _member_sees(page, base, "已完成", None)
    assert Member.objects.get(pk=world.dave_member.pk).organisation_id == world.branch_b1_1.pk
    transfer = Transfer.objects.get()
    assert list(transfer.steps.values_list("to_state", flat=True)) == ["applied", "branch_confirmed", "committee_approved", "completed"]

    # the detail page on the phone shows the whole log
    page.get_by_test_id("my-transfer").first.click()
    expect(page.get_by_test_id("state")).to_have_text("已完成转接")
    expect(page.locator(".xfer-log li")).to_have_count(4)
    _no_sideways_scroll(page)

    # the secretaries' pages fit a phone too
    _log_in(page, base, "charlie", PHONE)
    for path in ("/transfers/", "/transfers/list/", "/transfers/stats/", "/transfers/arrivals/new/", f"/transfers/{transfer.pk}/"):
        page.goto(f"{base}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        _no_sideways_scroll(page)
