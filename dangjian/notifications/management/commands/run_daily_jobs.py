"""python manage.py run_daily_jobs [--date YYYY-MM-DD] [--no-dispatch | --dispatch-only]: the daily jobs, for cron.

The same service beat runs every morning (tasks.run_daily_jobs_task). Without --date it runs today
and catches up the days missed since the last run; a day already done is not run again. Then it
sends whatever has become due (what beat's every-minute dispatch does with a broker).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.notifications.scheduler import run_daily_jobs
from dangjian.notifications.services import dispatch_due


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期“{value}”无效，请写成 YYYY-MM-DD，例如 2027-02-28", returncode=2) from None


class Command(BaseCommand):
    help = "运行每日任务（政治生日短信等）：默认补齐自上次运行以来漏掉的日期；同一天重复运行不会重复发送。随后发送已到时间的消息。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", metavar="YYYY-MM-DD", help="只运行这一天的任务（已运行过的日期不再重复）")
        parser.add_argument("--no-dispatch", action="store_true", help="只生成消息，不立即发送已到时间的消息")
        parser.add_argument(
            "--dispatch-only", action="store_true", help="不运行每日任务，只发送已到时间的消息（无 Celery 时由 cron 每分钟运行）"
        )
        parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    def handle(self, *args: Any, **options: Any) -> None:
        day = _day(options["date"]) if options["date"] else None
        if options["no_dispatch"] and options["dispatch_only"]:
            raise CommandError("--no-dispatch 和 --dispatch-only 不能同时使用", returncode=2)
        result: dict[str, Any] = {"runs": {}, "errors": []} if options["dispatch_only"] else run_daily_jobs(day=day)
        if not options["no_dispatch"]:
            result["dispatch"] = dispatch_due()
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, default=str))
        else:
            for label, summary in result["runs"].items():
                text = "已运行过，跳过" if summary.get("already_done") else "，".join(f"{k} {v}" for k, v in summary.items())
                self.stdout.write(f"{label}: {text}")
            if not result["runs"] and not options["dispatch_only"]:
                self.stdout.write("没有配置每日任务（DAILY_JOBS）")
            if "dispatch" in result:
                counts = result["dispatch"]
                self.stdout.write("发送到期消息：" + "，".join(f"{k} {v}" for k, v in counts.items()))
        if result["errors"]:
            raise CommandError("以下任务出错，已记录在日志中，下次运行会重试：" + "；".join(result["errors"]), returncode=1)
