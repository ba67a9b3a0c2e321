"""发展党员 in real Chromium (desktop and 390 px): a secretary registers an applicant with the
application letter, records the talk (with an upload) and the activist step; the superior returns a
document with a comment, the secretary uploads it again, and the superior approves it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from dangjian.core.idnumber import make_id_number
from dangjian.recruitment.models import Candidate, Material

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _log_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"page scrolls sideways by {overflow}px"


def test_secretary_moves_an_applicant_through_three_steps_and_the_superior_reviews(
    page: Page, live_server: Any, world: Any, viewport: dict[str, int], tmp_path: Path
) -> None:
    page.set_viewport_size(viewport)
    base = live_server.url
    today = date.today()
    letter = tmp_path / "入党申请书.pdf"
    letter.write_bytes(PDF)
    talk = tmp_path / "谈话记录.pdf"
    talk.write_bytes(PDF)
    number = make_id_number("110101", date(1996, 5, 20), 311)
    try:
        # given charlie, secretary of branch A1-1, registers an applicant with the letter (step 1)
        _log_in(page, base, "charlie")
        page.goto(f"{base}/development/new/")
        page.get_by_label("姓名").fill("浏览器申请人")
        page.get_by_label("公民身份号码").fill(number)
        page.get_by_label("接收申请的党支部").select_option(label="甲一社区第一网格党支部")
        page.get_by_label("收到入党申请书日期").fill((today - timedelta(days=20)).isoformat())
        page.get_by_label("入党申请书（扫描件或照片）").set_input_files(str(letter))
        _no_sideways_scroll(page)
        page.get_by_role("button", name="登记").click()
        # then the dossier shows step 2 next, with its one-month window and rule
        expect(page.get_by_role("heading", name=re.compile("浏览器申请人"))).to_be_visible()
        expect(page.get_by_role("heading", name="记录第2步：派人谈话")).to_be_visible()
        expect(page.get_by_text("DEV-003").first).to_be_visible()
        expect(page.get_by_text(number)).to_have_count(0)  # masked
        _no_sideways_scroll(page)

        # when he uploads the talk record and records the talk (step 2)
        page.locator("#file-2-talk_record").set_input_files(str(talk))
        page.locator("#step-2").get_by_role("button", name="上传").click()
        expect(page.get_by_text("已上传：谈话记录")).to_be_visible()
        page.locator("#id_on").fill((today - timedelta(days=10)).isoformat())
        page.get_by_label("谈话人（书记、副书记或组织委员）").fill("组织委员王芳")
        page.get_by_role("button", name="记录第2步").click()
        expect(page.get_by_text("已记录第2步")).to_be_visible()

        # and the activist step (3) with the recommendation as a paper original
        page.locator("#step-3").get_by_label("纸质原件").check()
        page.locator("#step-3").get_by_role("button", name="上传").click()
        expect(page.get_by_text("已登记纸质原件")).to_be_visible()
        page.locator("#id_on").fill((today - timedelta(days=5)).isoformat())
        page.get_by_label("党员推荐、群团推优情况").fill("党员推荐，共青团推优")
        page.get_by_role("button", name="记录第3步").click()
        expect(page.get_by_text("已记录第3步")).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile("入党积极分子"))).to_be_visible()
        _no_sideways_scroll(page)

        # when bob, admin of the street above, returns the talk record with a comment
        _log_in(page, base, "bob")
        page.goto(f"{base}/development/reviews/")
        card = page.locator("li", has_text="谈话记录")
        card.get_by_label("审核意见").fill("请补充谈话人签字")
        card.get_by_role("button", name="退回").click()
        expect(page.get_by_text("已退回：浏览器申请人的谈话记录")).to_be_visible()
        _no_sideways_scroll(page)

        # then charlie sees the comment and uploads the record again
        _log_in(page, base, "charlie")
        candidate = Candidate.objects.get(name="浏览器申请人")
        page.goto(f"{base}/development/{candidate.pk}/")
        step2 = page.locator("#step-2")
        expect(step2.get_by_text("请补充谈话人签字")).to_be_visible()
        step2.locator("#file-2-talk_record").set_input_files(str(talk))
        step2.get_by_role("button", name="重新上传").click()
        expect(page.get_by_text("已上传：谈话记录")).to_be_visible()

        # and bob approves it on the dossier
        _log_in(page, base, "bob")
        page.goto(f"{base}/development/{candidate.pk}/")
        page.locator("#step-2").get_by_role("button", name="审核通过").click()
        expect(page.locator("#step-2").get_by_text("审核通过", exact=True)).to_be_visible()
        assert Material.objects.get(candidate=candidate, step_number=2, is_current=True).status == "approved"
        assert candidate.steps.count() == 3
        _no_sideways_scroll(page)
    except Exception:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"recruitment-flow-{viewport['width']}.png"), full_page=True)
        raise
