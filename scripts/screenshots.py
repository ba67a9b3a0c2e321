"""Regenerate the README screenshots from a running demo server (Debian chromium, no download).

python manage.py seed_demo && python manage.py runserver 127.0.0.1:8000 &
python scripts/screenshots.py [--base http://127.0.0.1:8000] [--out DIR]

Every page is checked for the seeded content it is meant to show before it is captured, so a changed
seed or a broken page stops the script instead of putting an empty list or an error into the README.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSWORD = "Demo#2026"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
MAX_BYTES = 400 * 1024
BROKEN_ROSTER = "\n".join(
    [
        "和平里社区第二网格党支部党员花名册,,,,,,",
        "序号,姓名,性别,公民身份号码,入党日期,党员状态,联系电话",
        "1,张建华,男,110105198804120311,2012.07.01,正式党员,13911112222",
        "2,李秀英,女,11010519790930042X,2031-6-30,正式,1392222333",
        "3,王磊,男,110105200501010019,2020年7月1日,预备党员,13933334444",
        "合计,3人,,,,,",
    ]
)


class Shots:
    def __init__(self, browser: Browser, base: str, out: Path) -> None:
        self.browser, self.base, self.out = browser, base, out

    @contextmanager
    def session(self, username: str, *, phone: bool = False) -> Iterator[Page]:
        """A fresh browser context logged in as ``username``, desktop (1280 px) or phone (390 px, 2x)."""
        context = self.browser.new_context(viewport=PHONE if phone else DESKTOP, locale="zh-CN", device_scale_factor=2 if phone else 1)
        page = context.new_page()
        page.goto(f"{self.base}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button.primary")
        page.wait_for_load_state()
        if "/accounts/login/" in page.url:
            raise SystemExit(f"cannot log in as {username}: is the demo seeded (python manage.py seed_demo)?")
        try:
            yield page
        finally:
            context.close()

    def open(self, page: Page, path: str, *expected: str) -> None:
        """Go to ``path`` and insist the page answered 200 and shows every ``expected`` text."""
        response = page.goto(f"{self.base}{path}")
        page.wait_for_load_state()
        self.check(page, *expected, status=response.status if response else 0)

    def check(self, page: Page, *expected: str, status: int = 200) -> None:
        body = page.inner_text("body")
        missing = [text for text in expected if text not in body]
        if status != 200 or missing:
            raise SystemExit(f"{page.url}: status {status}, missing {missing}")

    def save(self, page: Page, name: str, *, until: str | None = None, margin: int = 16, full: bool = False) -> None:
        """The viewport, the whole page (``full``), or the whole page's width from the top down to
        ``margin`` px below ``until``; refused when the PNG is larger than MAX_BYTES."""
        path = self.out / name
        if until is None:
            page.screenshot(path=str(path), full_page=full)
        else:
            page.evaluate("window.scrollTo(0, 0)")
            box = page.locator(until).first.bounding_box()
            if box is None:
                raise SystemExit(f"{page.url}: {until} is not on the page")
            width = page.evaluate("document.documentElement.clientWidth")
            clip = {"x": 0, "y": 0, "width": width, "height": box["y"] + box["height"] + margin}
            page.screenshot(path=str(path), full_page=True, clip=clip)
        size = path.stat().st_size
        print(f"{name}: {size // 1024} KB")
        if size > MAX_BYTES:
            raise SystemExit(f"{name} is larger than {MAX_BYTES // 1024} KB: clip it")


def last_month(today: datetime.date) -> tuple[int, int]:
    first = today.replace(day=1) - datetime.timedelta(days=1)
    return first.year, first.month


def take(shots: Shots, tmp: Path) -> None:
    # spine: the tree, the member list on a phone, a roster import with row errors
    with shots.session("quwei") as page:
        shots.check(page, "示范区委")
        shots.save(page, "desktop-tree.png")
    with shots.session("shuji", phone=True) as page:
        shots.open(page, "/members/", "李红梅")
        shots.save(page, "member-list-phone.png")
    with shots.session("shuji") as page:
        roster = tmp / "花名册.csv"
        roster.write_text(BROKEN_ROSTER, encoding="utf-8-sig")
        shots.open(page, "/members/import/")
        page.select_option("#id_organisation", index=1)
        page.set_input_files("#id_file", str(roster))
        page.click("button.primary")
        page.wait_for_load_state()
        shots.check(page, "本次未导入任何数据", "联系电话")
        shots.save(page, "import-errors.png", full=True)

    # 组织生活: the street's compliance sheet for the year of last month (counts done/due per kind of
    # meeting, overdue and silent branches); cut after 12 of its 19 branches
    year, _ = last_month(datetime.date.today())
    with shots.session("jiedao") as page:
        shots.open(page, f"/meetings/compliance/?period=year&year={year}", "和平街道党工委", "逾期", "上月未报送")
        shots.save(page, "meetings-compliance.png", until="table tbody tr:nth-child(12)", margin=0)
    # ... and a member's own meetings and attendance on a phone
    with shots.session("dangyuan", phone=True) as page:
        shots.open(page, "/meetings/my/", "近期会议", "我的参会记录", "出席")
        shots.save(page, "meetings-my-phone.png")

    # 关系接转: a transfer out of the district whose letter expired and was re-issued, with its step log,
    # seen by the street (read only: the committee's form has a date input, which this chromium, having
    # only its en-US locale, would show as mm/dd/yyyy)
    with shots.session("jiedao") as page:
        shots.open(page, "/transfers/list/?state=reissued", "已补开介绍信")
        page.locator("table tbody tr a").first.click()
        page.wait_for_load_state()
        shots.check(page, "办理记录", "补开介绍信", "现在由")
        shots.save(page, "transfer-steps.png", until="section[aria-labelledby=log-h]")

    # 阵地预约: the week calendar of free places at the community's base, as a branch secretary; the
    # days after the third are folded (phones), opened here as a user would by tapping them
    with shots.session("shuji") as page:
        shots.open(page, "/bases/", "社区党员活动室")
        page.get_by_role("link", name="社区党员活动室").click()
        page.wait_for_load_state()
        shots.check(page, "空余时段", "余 ")
        folded = page.locator(".calendar details:not([open]) > summary")
        while folded.count():
            folded.first.click()
        shots.save(page, "venues-calendar.png", until="section[aria-labelledby=slots-title]")

    # 发展党员: the pipeline of the branch (counts per stage, the year's work, next steps and deadlines)
    with shots.session("shuji") as page:
        shots.open(page, "/development/", "各阶段人数", "下一步", "已逾期")
        shots.save(page, "development-pipeline.png", until="ul.dev-cards > li:last-child")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
        try:
            take(Shots(browser, args.base.rstrip("/"), args.out), Path(tmp))
        finally:
            browser.close()
    print(f"screenshots written to {args.out}")


if __name__ == "__main__":
    main()
