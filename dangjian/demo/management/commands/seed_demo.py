"""python manage.py seed_demo [--members N] [--seed N] [--today YYYY-MM-DD] [--force]"""

from __future__ import annotations

import os
import unicodedata
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dangjian.demo.plan import DEFAULT_MEMBERS, DEFAULT_SEED, DEMO_PASSWORD, MAX_MEMBERS, MIN_MEMBERS, build_plan
from dangjian.demo.seeding import DemoDataInvalid, DemoRefused, SeedResult, seed_district

LABELS = {
    "organisation": "组织",
    "unit": "单位",
    "member": "党员",
    "seat": "委员任职",
    "user": "账号",
    "role_grant": "角色授权",
    "member_link": "账号关联党员",
}


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--today “{text}” 不是 YYYY-MM-DD 格式的日期") from None


class Command(BaseCommand):
    help = "生成演示区（示范区）：组织树、约1500名党员和每个角色一个演示账号。可重复运行：已有的不改不删，只补缺。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--members", type=int, default=DEFAULT_MEMBERS, help=f"党员人数（默认 {DEFAULT_MEMBERS}，{MIN_MEMBERS}—{MAX_MEMBERS}）"
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"随机种子（默认 {DEFAULT_SEED}）；同一种子、同一天生成的数据完全相同"
        )
        parser.add_argument("--today", type=_iso_date, default=None, help="按这一天生成日期（默认今天）")
        parser.add_argument("--force", action="store_true", help="DJANGO_DEBUG 关闭时也生成（演示账号的密码是公开的，切勿用于生产库）")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("DJANGO_DEBUG 已关闭：演示数据带有公开的演示密码，不应进入正式环境。确需生成请加 --force。")
        if not MIN_MEMBERS <= options["members"] <= MAX_MEMBERS:
            raise CommandError(
                f"--members 应在 {MIN_MEMBERS} 到 {MAX_MEMBERS} 之间（演示区约40个支部，每个支部不超过50人），收到 {options['members']}。"
            )
        admin_password, shown = self._admin_password()
        today = options["today"] or timezone.localdate()
        plan = build_plan(today=today, seed=options["seed"], members=options["members"])
        try:
            result = seed_district(plan, admin_password=admin_password, admin_password_shown=shown)
        except (DemoRefused, DemoDataInvalid) as exc:
            raise CommandError(str(exc)) from exc
        self._report(result)

    def _admin_password(self) -> tuple[str | None, str]:
        from_env = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        if from_env:
            try:
                validate_password(from_env)
            except ValidationError as exc:
                raise CommandError("DJANGO_SUPERUSER_PASSWORD 不符合密码要求：" + "；".join(exc.messages)) from exc
            return from_env, "（DJANGO_SUPERUSER_PASSWORD）"
        if settings.DEBUG:
            return DEMO_PASSWORD, DEMO_PASSWORD
        return None, ""

    def _report(self, result: SeedResult) -> None:
        if result.created:
            made = "，".join(f"{LABELS.get(k, k)} {n}" for k, n in result.created.items())
            self.stdout.write(self.style.SUCCESS(f"演示数据已生成（{result.seconds:.1f} 秒）：{made}。"))
        else:
            self.stdout.write(f"演示区已存在，未做任何改动（{result.seconds:.1f} 秒）。")
        kept = {k: n for k, n in result.kept.items() if n}
        if kept:
            self.stdout.write("已存在、保持原样：" + "，".join(f"{LABELS.get(k, k)} {n}" for k, n in kept.items()) + "。")
        for note in result.notes:
            self.stdout.write(self.style.WARNING(note))
        header = ("用户名", "密码", "角色", "组织", "姓名")
        rows = [header] + [(a.username, a.password, a.role, a.organisation, a.display_name) for a in result.accounts]
        widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
        self.stdout.write("")
        self.stdout.write("演示账号（已存在的账号不会重设密码）：")
        for index, row in enumerate(rows):
            self.stdout.write("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
            if index == 0:
                self.stdout.write("  ".join("-" * w for w in widths))


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
