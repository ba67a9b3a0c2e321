"""Celery tasks: thin and idempotent, each one call of a service (STACK.md §7).

Without a broker they run inline (``CELERY_TASK_ALWAYS_EAGER``); with one, a worker runs them and
beat runs ``dispatch_due_task`` every minute and ``run_daily_jobs_task`` every morning.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task

from . import scheduler, services


@shared_task(name="notifications.send_message", ignore_result=True)
def send_message_task(message_id: int) -> str | None:
    """Send one message; a duplicate delivery of this task finds nothing to claim."""
    return services.send_message(message_id)


@shared_task(name="notifications.dispatch_due")
def dispatch_due_task() -> dict[str, int]:
    return services.dispatch_due()


@shared_task(name="notifications.run_daily_jobs")
def run_daily_jobs_task(day: str | None = None) -> dict[str, Any]:
    """The daily jobs for ``day`` (ISO date), or for today with missed days caught up."""
    return scheduler.run_daily_jobs(day=date.fromisoformat(day) if day else None)
