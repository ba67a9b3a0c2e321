"""Celery tasks (thin, eager without a broker), the beat schedule, and the embedded scheduler."""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.conf import settings

from config.celery import app
from dangjian.notifications import scheduler
from dangjian.notifications.choices import MessageKind, MessageStatus
from dangjian.notifications.models import JobRun, Message, NotificationSettings
from dangjian.notifications.recipients import Recipient
from dangjian.notifications.scheduler import EmbeddedScheduler, daily_job_paths, should_start
from dangjian.notifications.services import notify
from dangjian.notifications.tasks import dispatch_due_task, run_daily_jobs_task, send_message_task
from dangjian.notifications.tests.recording import RecordingProvider, install_recording_provider
from dangjian.notifications.tests.registry_rows import add_member, add_org

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> RecordingProvider:
    return install_recording_provider(monkeypatch)


@pytest.fixture
def greeting(db: Any) -> Message:
    NotificationSettings.objects.create(quiet_start=time(0, 0), quiet_end=time(0, 0))
    member = add_member(add_org("任务测试支部"), join_date=date(2023, 1, 1))
    [sms] = notify(
        recipients=[Recipient(name=member.name, member_id=member.pk, phone="13900000001")],
        kind=MessageKind.POLITICAL_BIRTHDAY,
        context={"years": 3, "join_date": "2023年1月1日"},
    )
    return sms


def test_the_celery_app_reads_django_settings_and_runs_inline_without_a_broker():
    assert app.main == "dangjian"
    assert app.conf.timezone == "Asia/Shanghai"
    assert app.conf.task_always_eager is True and app.conf.task_eager_propagates is True
    assert {"notifications.send_message", "notifications.dispatch_due", "notifications.run_daily_jobs"} <= set(app.tasks)


def test_beat_dispatches_every_minute_and_runs_the_daily_jobs_at_07_30():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["notifications-dispatch-due"] == {"task": "notifications.dispatch_due", "schedule": 60.0}
    daily = schedule["notifications-daily-jobs"]
    assert daily["task"] == "notifications.run_daily_jobs" and daily["schedule"] == crontab(hour=7, minute=30)
    assert settings.DAILY_JOBS == {"political_birthday": "dangjian.members.birthdays.send_political_birthdays"}
    # workflow apps add their own daily jobs on their AppConfig
    assert daily_job_paths()["political_birthday"] == "dangjian.members.birthdays.send_political_birthdays"


def test_send_message_task_sends_through_the_service_and_a_second_delivery_does_nothing(greeting, provider):
    assert send_message_task.delay(greeting.pk).get() == MessageStatus.SENT
    assert send_message_task.delay(greeting.pk).get() is None
    assert provider.calls == 1


def test_dispatch_due_task_sends_what_is_due(greeting, provider):
    assert dispatch_due_task.delay().get() == {"due": 1, MessageStatus.SENT: 1}


@pytest.mark.django_db
def test_run_daily_jobs_task_takes_an_iso_date_and_is_a_no_op_the_second_time():
    first = run_daily_jobs_task.delay("2026-03-01").get()
    second = run_daily_jobs_task.delay("2026-03-01").get()
    assert first["runs"]["political_birthday 2026-03-01"]["members"] == 0
    assert second["runs"]["political_birthday 2026-03-01"] == {"already_done": True}
    assert JobRun.objects.filter(day=date(2026, 3, 1), job="political_birthday").count() == 1


# --- embedded scheduler ------------------------------------------------------------------------------------


@pytest.fixture
def calls(monkeypatch: Any) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(scheduler, "dispatch_due", lambda now: seen.append("dispatch") or {"due": 0})
    monkeypatch.setattr(scheduler, "run_daily_jobs", lambda now: seen.append("daily") or {"runs": {}, "errors": []})
    return seen


def test_the_embedded_scheduler_dispatches_every_tick_and_runs_the_daily_jobs_once_a_day_after_07_30(calls):
    runner = EmbeddedScheduler()
    # when it ticks at 07:00, 07:30, 07:31 and the next day at 08:00
    for moment in (
        datetime(2027, 3, 1, 7, 0, tzinfo=SH),
        datetime(2027, 3, 1, 7, 30, tzinfo=SH),
        datetime(2027, 3, 1, 7, 31, tzinfo=SH),
        datetime(2027, 3, 2, 8, 0, tzinfo=SH),
    ):
        runner.tick(moment)
    # then it dispatched each time and ran the daily jobs on each day once
    assert calls == ["dispatch", "daily", "dispatch", "dispatch", "daily", "dispatch"]


def test_an_exception_in_the_embedded_scheduler_is_logged_and_never_escapes(monkeypatch, caplog):
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(scheduler, "dispatch_due", boom)
    monkeypatch.setattr(scheduler, "run_daily_jobs", boom)
    with caplog.at_level(logging.ERROR, logger="dangjian.notifications.scheduler"):
        done = EmbeddedScheduler().tick(datetime(2027, 3, 1, 9, 0, tzinfo=SH))
    assert done == {"daily": None, "dispatch": None}
    assert caplog.text.count("embedded scheduler") == 2


def test_the_embedded_scheduler_thread_ticks_and_stops(calls):
    runner = EmbeddedScheduler(interval=0.01, first_delay=0)
    runner.start()
    try:
        for _ in range(200):
            if calls.count("dispatch") >= 2:
                break
            threading.Event().wait(0.01)
    finally:
        runner.stop()
    assert calls.count("dispatch") >= 2
    assert runner.thread is not None and not runner.thread.is_alive()


@pytest.mark.parametrize(
    ("argv", "environ", "overrides", "expected"),
    [
        (["manage.py", "runserver"], {"RUN_MAIN": "true"}, {}, True),  # the autoreloader's serving child
        (["manage.py", "runserver", "--noreload"], {}, {}, True),
        (["manage.py", "runserver"], {}, {}, False),  # the autoreloader's watching parent
        (["manage.py", "migrate"], {"RUN_MAIN": "true"}, {}, False),
        (["manage.py", "runserver", "--noreload"], {}, {"EMBEDDED_SCHEDULER": False}, False),
        (["manage.py", "runserver", "--noreload"], {}, {"CELERY_TASK_ALWAYS_EAGER": False}, False),  # a broker: beat's job
    ],
)
def test_the_embedded_scheduler_starts_only_in_the_serving_process_without_a_broker(settings, argv, environ, overrides, expected):
    settings.EMBEDDED_SCHEDULER = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    for name, value in overrides.items():
        setattr(settings, name, value)
    assert should_start(argv, environ) is expected


def test_tests_and_production_have_no_embedded_scheduler():
    assert settings.EMBEDDED_SCHEDULER is False
    assert scheduler._scheduler is None
