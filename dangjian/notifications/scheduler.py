"""Daily jobs with catch-up, and the embedded scheduler used when there is no Celery broker.

A daily job is a function ``job(*, day: date) -> dict`` named in ``settings.DAILY_JOBS`` (dotted
paths, so this low layer names the members' birthday job without importing it). ``JobRun(job, day)``
records each day done: a rerun of a finished day does nothing, a day the server missed is caught up
once on the next run (at most ``CATCH_UP_DAYS`` back), and a run that crashed is run again — the
jobs' dedup keys make that send only what is still missing.

With a broker, beat runs the same ``run_daily_jobs`` (``tasks.run_daily_jobs_task``) every morning and
``dispatch_due`` every minute. Without one, ``EmbeddedScheduler`` does both inside the serving
``runserver`` process (started from ``NotificationsConfig.ready``), and ``run_daily_jobs`` is a
management command for cron.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import JobRun
from .services import dispatch_due

logger = logging.getLogger(__name__)

CATCH_UP_DAYS = 7
DEFAULT_DAILY_JOBS_AT = "07:30"


def daily_job_paths() -> dict[str, str]:
    """``settings.DAILY_JOBS`` plus the ``daily_jobs`` each installed app declares on its AppConfig
    (a workflow app adds its reminders there, not in the settings)."""
    paths: dict[str, str] = {}
    for config in apps.get_app_configs():
        paths.update(getattr(config, "daily_jobs", None) or {})
    paths.update(getattr(settings, "DAILY_JOBS", {}))
    return paths


def daily_jobs() -> dict[str, Callable[..., dict[str, Any]]]:
    return {name: import_string(path) for name, path in daily_job_paths().items()}


def daily_jobs_at() -> time:
    return time.fromisoformat(getattr(settings, "DAILY_JOBS_AT", DEFAULT_DAILY_JOBS_AT))


def days_to_run(job: str, today: date) -> list[date]:
    """Today, every day since the job's last finished day (bounded), and any crashed day in the window."""
    earliest = today - timedelta(days=CATCH_UP_DAYS - 1)
    last = JobRun.objects.filter(job=job, finished_at__isnull=False, day__lte=today).order_by("-day").values_list("day", flat=True).first()
    # today is always listed (a finished today reports "already done"); missed days before it once
    start = today if last is None else min(max(last + timedelta(days=1), earliest), today)
    days = {start + timedelta(days=n) for n in range((today - start).days + 1)}
    days |= set(JobRun.objects.filter(job=job, finished_at__isnull=True, day__gte=earliest, day__lte=today).values_list("day", flat=True))
    return sorted(days)


def run_job_for_day(name: str, job: Callable[..., dict[str, Any]], day: date) -> dict[str, Any]:
    """Run one job for one day unless that day is already done; mark it done afterwards."""
    try:
        with transaction.atomic():
            run, _ = JobRun.objects.get_or_create(job=name, day=day)
    except IntegrityError:  # another runner created it at the same moment
        run = JobRun.objects.get(job=name, day=day)
    if run.finished_at is not None:
        return {"already_done": True}
    summary = job(day=day)
    JobRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), summary=summary)
    return summary


def run_daily_jobs(*, day: date | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Run every daily job: for ``day`` only, or for today plus the days missed since the last run.

    A failing job is logged and reported under ``errors``; the other jobs and days still run, and
    the failed day is tried again on the next run.
    """
    today = timezone.localdate(now or timezone.now())
    results: dict[str, Any] = {}
    errors: list[str] = []
    for name, job in daily_jobs().items():
        for run_day in [day] if day else days_to_run(name, today):
            label = f"{name} {run_day.isoformat()}"
            try:
                results[label] = run_job_for_day(name, job, run_day)
            except Exception as exc:
                logger.exception("daily job %s failed", label)
                errors.append(f"{label}: {type(exc).__name__}")
    return {"runs": results, "errors": errors}


# --- the embedded scheduler ---------------------------------------------------------------------------


class EmbeddedScheduler:
    """Every ``interval`` seconds: send what is due; once a day after ``DAILY_JOBS_AT``: the daily jobs.

    Runs in a daemon thread of the serving process. Every failure is logged and the loop goes on:
    it never takes the server down.
    """

    def __init__(self, *, interval: float = 60.0, first_delay: float = 5.0) -> None:
        self.interval = interval
        self.first_delay = first_delay
        self.last_daily: date | None = None
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="dangjian-embedded-scheduler", daemon=True)
        self.thread.start()

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _loop(self) -> None:
        if self._stop.wait(self.first_delay):
            return
        while True:
            self.tick()
            if self._stop.wait(self.interval):
                return

    def tick(self, now: datetime | None = None) -> dict[str, Any]:
        now = now or timezone.now()
        done: dict[str, Any] = {}
        try:
            local = timezone.localtime(now)
            if self.last_daily != local.date() and local.time() >= daily_jobs_at():
                self.last_daily = local.date()  # once a day even when it fails: the next day catches up
                done["daily"] = self._safely(run_daily_jobs, now=now)
            done["dispatch"] = self._safely(dispatch_due, now)
        finally:
            connections.close_all()  # this thread's connections only (they are per thread)
        return done

    @staticmethod
    def _safely(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception:
            logger.exception("embedded scheduler: %s failed", getattr(func, "__name__", func))
            return None


_scheduler: EmbeddedScheduler | None = None
_lock = threading.Lock()


def should_start(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> bool:
    """Only without a broker, with ``EMBEDDED_SCHEDULER`` on, in the process that serves requests:
    runserver's reloaded child (``RUN_MAIN=true``) or ``runserver --noreload``."""
    argv = sys.argv if argv is None else argv
    environ = dict(os.environ) if environ is None else environ
    if not getattr(settings, "EMBEDDED_SCHEDULER", False) or not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return False
    if len(argv) < 2 or argv[1] != "runserver":
        return False
    return environ.get("RUN_MAIN") == "true" or "--noreload" in argv


def maybe_start() -> EmbeddedScheduler | None:
    """Start the embedded scheduler once per process when ``should_start``."""
    global _scheduler
    if not should_start():
        return None
    with _lock:
        if _scheduler is None:
            _scheduler = EmbeddedScheduler()
            _scheduler.start()
            logger.info("embedded scheduler started: due messages every minute, daily jobs after %s", daily_jobs_at())
    return _scheduler
