"""python manage.py booking_race [--threads 50] [--rounds 100] — on a scratch database only.

Threads compete for the last places of one slot (ADR 0006); prints the result as JSON and exits
non-zero if any slot was overbooked or a loser was not told "slot full".
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dangjian.venues.race import is_sound, race


class Command(BaseCommand):
    help = "Booking race: many threads for the last places of one slot (writes a throwaway RACE-… subtree; scratch databases only)"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--threads", type=int, default=50)
        parser.add_argument("--rounds", type=int, default=100)
        parser.add_argument("--capacity", type=int, default=10)
        parser.add_argument("--taken", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        result = race(
            threads=options["threads"],
            rounds=options["rounds"],
            capacity=options["capacity"],
            taken=options["taken"],
            log=lambda line: self.stderr.write(line),
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False))
        if not is_sound(result):
            raise CommandError("抢约测试失败：有时段超员，或有落选请求未得到“时段已满”的答复")
