"""run_daily_jobs: the daily jobs with catch-up, for cron and the embedded install."""

from __future__ import annotations

from datetime import date, datetime, time
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.module_loading import import_string

from dangjian.notifications import scheduler
from dangjian.notifications.choices import MessageKind, MessageStatus
from dangjian.notifications.models import JobRun, Message, NotificationSettings
from dangjian.notifications.scheduler import CATCH_UP_DAYS, days_to_run, run_daily_jobs
from dangjian.notifications.tests.recording import RecordingProvider, install_recording_provider
from dangjian.notifications.tests.registry_rows import add_member, add_org

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> RecordingProvider:
    return install_recording_provider(monkeypatch)


JOB = "political_birthday"


@pytest.fixture(autouse=True)
def only_the_birthday_job(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the scheduling machinery: the workflow apps' own daily jobs stay out."""
    monkeypatch.setattr(scheduler, "daily_job_paths", lambda: {JOB: settings.DAILY_JOBS[JOB]})


@pytest.fixture
def branch() -> Any:
    # no quiet hours: the command dispatches at the real time of the test run
    NotificationSettings.objects.create(quiet_start=time(0, 0), quiet_end=time(0, 0))
    return add_org("每日任务测试支部")


def joined(branch: Any, when: date) -> Any:
    return add_member(branch, join_date=when)


def greeted_days() -> list[str]:
    return sorted(k.split(":")[1] for k in Message.objects.filter(kind=MessageKind.POLITICAL_BIRTHDAY).values_list("dedup_key", flat=True))


def run(*args: str) -> str:
    out = StringIO()
    call_command("run_daily_jobs", *args, stdout=out)
    return out.getvalue()


def test_run_daily_jobs_for_a_date_creates_and_sends_the_greetings_and_a_rerun_does_nothing(branch, provider):
    # given a member whose anniversary is 1 March, on a day after the send time
    member = joined(branch, date(2010, 3, 1))
    # when the command runs for that date twice
    first = run("--date", "2026-03-01")
    second = run("--date", "2026-03-01")
    # then one message was made, the rerun said it had run already, and the JobRun is finished
    [sms] = Message.objects.filter(recipient_member=member)
    assert "political_birthday 2026-03-01" in first and "已运行过，跳过" in second
    assert JobRun.objects.get(job=JOB, day=date(2026, 3, 1)).finished_at is not None
    assert sms.status == MessageStatus.SENT  # its 09:00 on 1 March 2026 is long past: dispatched at once
    assert provider.calls == 1


def test_an_invalid_date_is_refused_in_chinese():
    with pytest.raises(CommandError, match="日期“2026-02-30”无效"):
        run("--date", "2026-02-30")


def test_the_first_run_ever_does_only_today():
    assert days_to_run(JOB, date(2026, 3, 10)) == [date(2026, 3, 10)]


def test_a_missed_day_is_caught_up_once_on_the_next_run(branch):
    # given the job ran on 1 March, the server was down on 2 and 3 March, members on 2, 3 and 4 March
    for day in (2, 3, 4):
        joined(branch, date(2010, 3, day))
    JobRun.objects.create(job=JOB, day=date(2026, 3, 1), finished_at=timezone.now())
    # when the job runs on 4 March, and again later that day
    run_daily_jobs(now=datetime(2026, 3, 4, 7, 30, tzinfo=SH))
    run_daily_jobs(now=datetime(2026, 3, 4, 12, 0, tzinfo=SH))
    # then 2, 3 and 4 March were each done once
    assert greeted_days() == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert sorted(JobRun.objects.filter(job=JOB).values_list("day", flat=True)) == [date(2026, 3, d) for d in (1, 2, 3, 4)]
    # and the next day only that day runs; the same day again is listed, to be reported as done
    assert days_to_run(JOB, date(2026, 3, 5)) == [date(2026, 3, 5)]
    assert days_to_run(JOB, date(2026, 3, 4)) == [date(2026, 3, 4)]
    assert run_daily_jobs(now=datetime(2026, 3, 4, 18, 0, tzinfo=SH))["runs"] == {"political_birthday 2026-03-04": {"already_done": True}}


def test_catch_up_looks_back_a_bounded_number_of_days():
    JobRun.objects.create(job=JOB, day=date(2026, 1, 1), finished_at=timezone.now())
    days = days_to_run(JOB, date(2026, 3, 10))
    assert len(days) == CATCH_UP_DAYS and days[-1] == date(2026, 3, 10)


def test_a_day_whose_run_crashed_is_run_again_and_sends_only_the_rest(branch, provider, monkeypatch):
    # given three members on 1 March and a job that crashes after the first
    members = [joined(branch, date(2000 + n, 3, 1)) for n in range(3)]
    # the members' job, patched by name (notifications imports no member code)
    real = import_string("dangjian.members.birthdays._greet")
    calls = {"n": 0}

    def crash_after_one(*args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("server stopped")
        real(*args)

    monkeypatch.setattr("dangjian.members.birthdays._greet", crash_after_one)
    # when the command runs: it reports the failure
    with pytest.raises(CommandError, match="political_birthday 2026-03-01: RuntimeError"):
        run("--date", "2026-03-01")
    assert JobRun.objects.get(job=JOB).finished_at is None
    # and the next day's run catches up 1 March (crashed) as well as 2 March
    run_daily_jobs(now=datetime(2026, 3, 2, 7, 30, tzinfo=SH))
    call_command("run_daily_jobs", "--date", "2026-03-02", stdout=StringIO())
    # then every member has one greeting, each sent once
    assert [Message.objects.filter(recipient_member=m).count() for m in members] == [1, 1, 1]
    assert provider.calls == 3
    assert JobRun.objects.get(job=JOB, day=date(2026, 3, 1)).finished_at is not None


def test_json_output_reports_runs_and_dispatch(branch):
    joined(branch, date(2010, 3, 1))
    out = run("--date", "2026-03-01", "--json", "--no-dispatch")
    assert '"political_birthday 2026-03-01"' in out and '"members": 1' in out and "dispatch" not in out


def test_dispatch_only_sends_what_is_due_without_running_the_jobs(branch, provider):
    # given a greeting created for 1 March but not yet sent
    joined(branch, date(2010, 3, 1))
    run("--date", "2026-03-01", "--no-dispatch")
    # when cron's every-minute line runs
    out = run("--dispatch-only")
    # then it was sent and no job ran
    assert "发送到期消息：due 1" in out and provider.calls == 1
    assert JobRun.objects.count() == 1
    with pytest.raises(CommandError, match="不能同时使用"):
        run("--dispatch-only", "--no-dispatch")
