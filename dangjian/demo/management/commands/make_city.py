"""python manage.py make_city --members N --orgs M [--seed S] [--today YYYY-MM-DD] [--workers W]"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.demo.city import CityRefused, make_city

DEFAULT_SEED = 2026


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--today “{text}” 不是 YYYY-MM-DD 格式的日期") from None


class Command(BaseCommand):
    help = (
        "生成合成城市（基准测试用，不属于演示数据）：区委→街道→社区→支部（含党总支、党小组），"
        "党员带合法身份证号、加密的个人信息和符合规则的日期。只在空的登记库上运行。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, required=True, help="党员人数，例如 1000000")
        parser.add_argument("--orgs", type=int, required=True, help="组织数（约数），例如 50000")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"随机种子（默认 {DEFAULT_SEED}）")
        parser.add_argument("--today", type=_iso_date, default=None, help="按这一天生成年龄和日期（默认今天）")
        parser.add_argument("--workers", type=int, default=None, help="PostgreSQL 上生成和加密的进程数（默认 CPU 核数）")

    def handle(self, *args: Any, **options: Any) -> None:
        members, orgs = options["members"], options["orgs"]
        if members < 100 or orgs < 10:
            raise CommandError(f"--members 至少 100、--orgs 至少 10，收到 {members} 和 {orgs}。")
        if orgs * 10 > members * 2:
            raise CommandError(f"{orgs} 个组织对 {members} 名党员太多了：每个支部 10—60 人，组织数应不超过党员数的五分之一。")
        try:
            result = make_city(
                members=members, orgs=orgs, seed=options["seed"], today=options["today"], workers=options["workers"], log=self.stdout.write
            )
        except CityRefused as exc:
            raise CommandError(str(exc)) from exc
        steps = "，".join(f"{name} {seconds:.1f} 秒" for name, seconds in result.timings.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"合成城市已生成：{result.organisations} 个组织，{result.members} 名党员，用时 {result.seconds:.1f} 秒（{steps}）。"
            )
        )
        for note in result.notes:
            self.stdout.write(self.style.WARNING(note))
