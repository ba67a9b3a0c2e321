"""The measuring kit of the benchmark command (issue 9, STACK.md §12), shared by every app's paths.

An app adds its paths in ``dangjian/<app>/bench.py`` as ``measure(*, repeat, today, log) ->
list[PathResult]``; ``dangjian.demo.bench.run`` calls them after the city is built. Each path is the
median of repeated runs beside a baseline measured in the same run (``timed_pair``), and a path whose
rows differ from its baseline's raises ``BenchmarkInvariantBroken``. Nothing here asserts a time.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection


class BenchmarkInvariantBroken(Exception):
    """A path returned other rows than its baseline: the figures would mean nothing."""


@dataclass
class PathResult:
    id: str
    name: str
    ms: float
    baseline_ms: float | None = None
    target: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    baseline: str = "sql"

    @property
    def ratio(self) -> float | None:
        return self.ms / self.baseline_ms if self.baseline_ms else None

    def line(self) -> str:
        if self.baseline_ms is not None:
            text = f"{self.id} {self.name}: {self.ms:.1f} ms (ratio {self.ratio:.2f} vs {self.baseline} {self.baseline_ms:.1f} ms)"
        else:
            text = f"{self.id} {self.name}: {self.ms / 1000:.2f} s"
        details = ", ".join(f"{k} {v}" for k, v in self.extra.items())
        if details:
            text += f" [{details}]"
        if self.target:
            text += f" target {self.target}"
        return text

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = round(self.ratio, 3) if self.ratio else None
        data["ms"] = round(self.ms, 3)
        data["baseline_ms"] = round(self.baseline_ms, 3) if self.baseline_ms is not None else None
        data["line"] = self.line()
        return data


def timed(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median milliseconds of ``repeat`` runs after one warm-up run, and the warm-up's result."""
    result = func()
    runs = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        func()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), result


def timed_pair(ours: Callable[[], Any], baseline: Callable[[], Any], repeat: int) -> tuple[float, float, Any, Any]:
    """Median milliseconds of a path and of its baseline, measured in alternation (ours first, then
    the baseline first, …) after one warm-up of each, so that a burst of load on the machine falls on
    both sides instead of on whichever ran during it; and the warm-ups' results."""
    result, expected = ours(), baseline()
    runs: dict[int, list[float]] = {0: [], 1: []}
    for n in range(max(1, repeat)):
        order = ((0, ours), (1, baseline)) if n % 2 == 0 else ((1, baseline), (0, ours))
        for side, func in order:
            started = time.perf_counter()
            func()
            runs[side].append((time.perf_counter() - started) * 1000)
    return statistics.median(runs[0]), statistics.median(runs[1]), result, expected


def query_count(func: Callable[[], Any]) -> int:
    """Queries ``func`` runs (an execute wrapper: the debug query log is bounded and fills up in PB2)."""
    count = 0

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        func()
    return count


def sql(query: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def same(path_id: str, ours: list[Any], theirs: list[Any]) -> None:
    if ours != theirs:
        raise BenchmarkInvariantBroken(
            f"{path_id}: the selector returned {len(ours)} rows, the SQL baseline {len(theirs)}; first difference near "
            f"{next((a, b) for a, b in zip(ours + [None] * len(theirs), theirs + [None] * len(ours), strict=False) if a != b)}"
        )
