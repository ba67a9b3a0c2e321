"""The measuring kit of the benchmark command (issue 9, STACK.md §12), shared by every app's paths.

An app adds its paths in ``dangjian/<app>/bench.py`` as ``measure(*, repeat, today, log) ->
list[PathResult]``; ``dangjian.demo.bench.run`` calls them after the city is built. Each path is the
median of repeated runs beside a baseline measured in the same run (``timed_pair``), and a path whose
rows differ from its baseline's raises ``BenchmarkInvariantBroken``. Nothing here asserts a time.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
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


# --- the real HTTP stack: gunicorn on a free port and a threaded load generator -------------

HEALTH_PATH = "/healthz"


class ServerDidNotStart(Exception):
    """gunicorn could not be started or did not answer; ``str()`` says why."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(port: int, settings_module: str) -> dict[str, str]:
    from config.settings import base

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY") or "benchmark-only-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        FIELD_KEYS=settings.FIELD_KEYS or base._DEMO_FIELD_KEYS,
        BLIND_INDEX_KEY=settings.BLIND_INDEX_KEY or base._DEMO_BLIND_KEY,
        DJANGO_LOG_LEVEL="WARNING",
    )
    return env


@contextlib.contextmanager
def gunicorn(workers: int = 2, timeout: float = 30.0, settings_module: str = "config.settings.base") -> Iterator[int]:
    """gunicorn config.wsgi on a free 127.0.0.1 port, killed (its whole process group) on exit."""
    port = _free_port()
    log = tempfile.TemporaryFile()
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
    try:
        server = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=_server_env(port, settings_module), stdout=log, stderr=log, start_new_session=True
        )
    except OSError as exc:
        log.close()
        raise ServerDidNotStart(f"gunicorn: {exc}") from exc
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                log.seek(0)
                tail = log.read().decode("utf-8", "replace").strip().splitlines()[-3:]
                raise ServerDidNotStart(f"gunicorn exited with {server.returncode}: {' | '.join(tail)}")
            try:
                if http_get(http.client.HTTPConnection("127.0.0.1", port, timeout=2), HEALTH_PATH, {})[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServerDidNotStart(f"gunicorn did not answer {HEALTH_PATH} within {timeout:.0f} s")
            time.sleep(0.2)
        yield port
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.close()


def http_get(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def load(port: int, path: str, headers: dict[str, str], *, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` threads, each with one keep-alive connection (reopened when the server closes it),
    sending GET ``path`` back to back for ``seconds``; requests/s of the 200 answers."""
    stop = threading.Event()
    done: list[int] = [0] * clients
    failures: list[str] = []

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while not stop.is_set():
                status, body = http_get(conn, path, headers)
                if status != 200:
                    failures.append(f"{status} {body[:200]!r}")
                    return
                done[n] += 1
        except (OSError, http.client.HTTPException) as exc:
            failures.append(repr(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(60)
    elapsed = time.perf_counter() - started
    if failures:
        raise BenchmarkInvariantBroken(f"GET {path} failed: {failures[0]}")
    return {"requests": sum(done), "per_s": sum(done) / elapsed}
