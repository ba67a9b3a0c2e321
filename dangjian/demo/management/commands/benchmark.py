"""python manage.py benchmark [--scale small|city] [--json FILE] [--repeat K] [--members N --orgs M] [--import-rows R] [--skip-api]"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.demo.bench import IMPORT_ROWS, SCALES, BenchmarkInvariantBroken, PathResult, run
from dangjian.demo.city import CityRefused

DEFAULT_SEED = 2026


class Command(BaseCommand):
    help = (
        "基准测试：生成（或沿用同样规模的）合成城市，逐项测量关键路径（重复 K 次取中位数），"
        "并与同一次运行中手写 SQL 的基线比较。每项一行，可另存为 JSON。计时不是测试：不设断言；"
        "选择器与基线返回的行不一致时以状态 1 退出。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="small", help="small：2万党员/1000组织；city：100万/5万")
        parser.add_argument("--json", type=Path, default=None, help="把结果另存为 JSON 文件")
        parser.add_argument("--repeat", type=int, default=5, help="每项重复次数，取中位数（默认 5）")
        parser.add_argument("--members", type=int, default=None, help="改用这个党员人数（测试用小规模）")
        parser.add_argument("--orgs", type=int, default=None, help="改用这个组织数（测试用小规模）")
        parser.add_argument("--import-rows", type=int, default=None, help="P3 名册导入的行数（默认 small 2000、city 100000）")
        parser.add_argument("--api-clients", type=int, default=4, help="P7 并发客户端数（默认 4）")
        parser.add_argument("--api-seconds", type=float, default=None, help="P7 每项压测秒数（默认 small 5、city 15）")
        parser.add_argument("--skip-api", action="store_true", help="不测 P7（不启动 gunicorn）")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"合成城市的随机种子（默认 {DEFAULT_SEED}）")

    def handle(self, *args: Any, **options: Any) -> None:
        members, orgs = SCALES[options["scale"]]
        members = options["members"] or members
        orgs = options["orgs"] or orgs
        import_rows = options["import_rows"] or IMPORT_ROWS[options["scale"]]
        api_seconds = options["api_seconds"] or (15.0 if options["scale"] == "city" else 5.0)
        if options["repeat"] < 1:
            raise CommandError(f"--repeat 至少为 1，收到 {options['repeat']}。")

        def emit(result: PathResult) -> None:
            self.stdout.write(result.line())
            self.stdout.flush()

        try:
            report = run(
                scale=options["scale"],
                members=members,
                orgs=orgs,
                seed=options["seed"],
                repeat=options["repeat"],
                import_rows=import_rows,
                api_clients=max(1, options["api_clients"]),
                api_seconds=api_seconds,
                skip_api=options["skip_api"],
                log=lambda text: self.stderr.write(text),
                emit=emit,
            )
        except CityRefused as exc:
            raise CommandError(f"{exc}（benchmark 只沿用同样规模的合成城市，或在空库上生成。）") from exc
        except BenchmarkInvariantBroken as exc:
            raise CommandError(f"基准结果无效：{exc}") from exc
        if options["json"]:
            options["json"].write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
            self.stderr.write(f"JSON written to {options['json']}")
