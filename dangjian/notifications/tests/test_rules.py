"""Pure rules: the political-birthday calendar (NOTIF-001), mobiles, retries, quiet hours."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dangjian.notifications.quiet_hours import in_quiet_hours, release_time
from dangjian.notifications.rules import (
    BACKOFF,
    MAX_ATTEMPTS,
    is_political_birthday,
    mobile_problem,
    political_birthday_month_days,
    political_birthday_years,
    retry_delay,
)

SH = ZoneInfo("Asia/Shanghai")
NIGHT = {"quiet_start": time(21, 0), "quiet_end": time(8, 0)}


@pytest.mark.parametrize(
    ("day", "month_days"),
    [
        (date(2027, 2, 28), ("02-28", "02-29")),  # common year: 29 February anniversaries too
        (date(2028, 2, 28), ("02-28",)),  # leap year: they wait for the 29th
        (date(2028, 2, 29), ("02-29",)),
        (date(2100, 2, 28), ("02-28", "02-29")),  # 2100 is not a leap year
        (date(2000, 2, 28), ("02-28",)),  # 2000 is
        (date(2027, 3, 1), ("03-01",)),
        (date(2027, 7, 1), ("07-01",)),
    ],
)
def test_NOTIF_001_month_days_greeted_on_a_day(day, month_days):
    assert political_birthday_month_days(day) == month_days


def test_NOTIF_001_a_29_february_member_is_greeted_once_a_year():
    # given a member who joined on 29 February 2016
    joined = date(2016, 2, 29)
    # then: 28 February 2027 yes; 28 February 2028 no, 29 February 2028 yes; never on 1 March
    assert is_political_birthday(joined, date(2027, 2, 28))
    assert not is_political_birthday(joined, date(2027, 3, 1))
    assert not is_political_birthday(joined, date(2028, 2, 28))
    assert is_political_birthday(joined, date(2028, 2, 29))
    assert political_birthday_years(joined, date(2027, 2, 28)) == 11


def test_NOTIF_001_the_day_of_joining_itself_is_not_a_political_birthday():
    assert not is_political_birthday(date(2027, 7, 1), date(2027, 7, 1))
    assert is_political_birthday(date(2026, 7, 1), date(2027, 7, 1))


@pytest.mark.parametrize(
    ("phone", "ok"),
    [("13912345678", True), ("19912345678", True), ("", False), ("01065291234", False), ("12912345678", False), ("1391234567", False)],
)
def test_only_mainland_mobiles_can_receive_an_sms(phone, ok):
    assert (mobile_problem(phone) is None) is ok


def test_retries_back_off_1_5_15_60_minutes_and_stop_after_the_last_attempt():
    delays = [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)]
    assert delays == [*BACKOFF, None]
    assert BACKOFF == (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=60))


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [(time(20, 59), False), (time(21, 0), True), (time(23, 59), True), (time(0, 0), True), (time(7, 59), True), (time(8, 0), False)],
)
def test_quiet_hours_wrap_midnight(clock, quiet):
    assert in_quiet_hours(clock, **NIGHT) is quiet


def test_equal_start_and_end_mean_no_quiet_hours():
    assert not in_quiet_hours(time(3, 0), quiet_start=time(0, 0), quiet_end=time(0, 0))


def test_release_time_is_the_next_end_of_quiet_hours_in_shanghai_time():
    # given 23:30 Shanghai, stored as UTC
    late = datetime(2027, 12, 31, 23, 30, tzinfo=SH).astimezone(ZoneInfo("UTC"))
    # then it is released at 08:00 on the next day (across the year's end)
    assert release_time(late, **NIGHT) == datetime(2028, 1, 1, 8, 0, tzinfo=SH)
    assert release_time(datetime(2028, 1, 1, 6, 0, tzinfo=SH), **NIGHT) == datetime(2028, 1, 1, 8, 0, tzinfo=SH)
    noon = datetime(2028, 1, 1, 12, 0, tzinfo=SH)
    assert release_time(noon, **NIGHT) is noon
