"""A real Celery worker on Redis and PostgreSQL: the daily job dispatched through the broker sends.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian REDIS_URL=redis://127.0.0.1:6379/15 \
     CELERY_BROKER_URL=redis://127.0.0.1:6379/14 pytest dangjian/notifications/tests/test_celery_worker.py
The broker is CELERY_BROKER_URL, else REDIS_URL; skipped (with the reason) without Redis or PostgreSQL.
"""

from __future__ import annotations

import os
import time as clock
from collections.abc import Iterator
from datetime import date, time
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from kombu import pools

from config.celery import app
from dangjian.notifications.choices import Channel, MessageKind, MessageStatus
from dangjian.notifications.models import JobRun, Message, NotificationPreference, NotificationSettings
from dangjian.notifications.tasks import run_daily_jobs_task
from dangjian.notifications.tests.registry_rows import add_member, add_org

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.slow,
    # the worker thread has its own connection: it must see committed rows (the built-in default
    # texts stand in for templates a flush removed)
    pytest.mark.django_db(transaction=True),
]

BROKER = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL", "")
BROKER_SETTINGS = ("task_always_eager", "task_eager_propagates", "broker_url", "result_backend")


@pytest.fixture
def worker(settings: Any) -> Iterator[Celery]:
    """The project's app switched to the broker, with one solo worker in a thread."""
    saved = {name: app.conf[name] for name in BROKER_SETTINGS}
    app.conf.update(task_always_eager=False, task_eager_propagates=False, broker_url=BROKER, result_backend=BROKER)
    forget_connections()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        app.control.purge()  # nothing left over from an earlier run
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
            yield app
    finally:
        app.conf.update(saved)
        forget_connections()


def forget_connections() -> None:
    """Drop the app's cached result backend and producer pool, made for the previous settings."""
    app._backend_cache = None
    vars(app._local).pop("backend", None)
    app.amqp._producer_pool = None
    app._pool = None
    pools.reset()  # kombu's process-wide connection and producer pools


def wait_for(condition: Any, timeout: float = 60.0) -> bool:
    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        if condition():
            return True
        clock.sleep(0.2)
    return condition()


def test_the_daily_job_dispatched_through_the_broker_sends_the_right_messages_with_the_console_provider(worker):
    # given no quiet hours (the test runs at any hour), three members with an anniversary on
    # 1 March 2026 (one opted out) and one on 2 March
    NotificationSettings.objects.create(quiet_start=time(0, 0), quiet_end=time(0, 0))
    branch = add_org("Celery 测试支部")
    greeted = [add_member(branch, join_date=date(2000 + n, 3, 1)) for n in range(2)]
    opted_out = add_member(branch, join_date=date(2005, 3, 1))
    NotificationPreference.objects.create(member=opted_out, opt_out_non_essential=True)
    other_day = add_member(branch, join_date=date(2006, 3, 2))
    # when beat's task for that day goes through Redis to the worker, twice
    queued = run_daily_jobs_task.delay("2026-03-01")
    assert not isinstance(queued, EagerResult)
    first = queued.get(timeout=60)
    second = run_daily_jobs_task.delay("2026-03-01").get(timeout=60)
    # then the worker ran the job once, and its queued sends went out by the console provider
    assert first["errors"] == [] and first["runs"]["political_birthday 2026-03-01"]["members"] == 3
    assert second["runs"]["political_birthday 2026-03-01"] == {"already_done": True}
    sms = Message.objects.filter(kind=MessageKind.POLITICAL_BIRTHDAY, channel=Channel.SMS)
    assert wait_for(lambda: sms.filter(status=MessageStatus.SENT).count() == 2), list(sms.values_list("status", "last_error"))
    for member in greeted:
        [message] = sms.filter(recipient_member=member)
        assert message.provider == "console" and message.provider_message_id.startswith("console-")
        assert message.attempts == 1 and message.body.startswith(f"{member.name}同志：今天是您的第")
    assert sms.get(recipient_member=opted_out).status == MessageStatus.SKIPPED
    assert not sms.filter(recipient_member=other_day).exists()
    assert JobRun.objects.get(job="political_birthday", day=date(2026, 3, 1)).finished_at is not None
