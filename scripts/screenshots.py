"""Regenerate the README screenshots from a running demo server (Debian chromium, no download).

python manage.py seed_demo && python manage.py runserver 127.0.0.1:8000 &
python scripts/screenshots.py [--base http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

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


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_load_state()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    base = parser.parse_args().base
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
        desktop = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
        page = desktop.new_page()
        log_in(page, base, "quwei")
        page.screenshot(path=str(OUT / "desktop-tree.png"))
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2)
        page = phone.new_page()
        log_in(page, base, "shuji")
        page.goto(f"{base}/members/")
        page.screenshot(path=str(OUT / "member-list-phone.png"))
        page = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN").new_page()
        log_in(page, base, "shuji")
        roster = Path(tmp) / "花名册.csv"
        roster.write_text(BROKEN_ROSTER, encoding="utf-8-sig")
        page.goto(f"{base}/members/import/")
        page.select_option("#id_organisation", index=1)
        page.set_input_files("#id_file", str(roster))
        page.click("button.primary")
        page.wait_for_load_state()
        page.screenshot(path=str(OUT / "import-errors.png"), full_page=True)
        browser.close()
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
