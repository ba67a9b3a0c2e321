"""Notification rules: the political birthday (NOTIF-001), what vendors receive (NOTIF-002), retries.

Pure functions of dates and numbers; the services and the members' birthday job apply them.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from dangjian.core.rules import Rule, Severity

NOTIF_001 = Rule(
    "NOTIF-001",
    source="本区政治生日关怀做法（DOMAIN.md NOTIF-001）",
    message="政治生日为入党日期的周年日，每名党员每年一条短信，只发给在册、有有效手机号且未选择不接收的党员；2月29日入党的，平年在2月28日发送",
    severity=Severity.REMIND,
)
NOTIF_002 = Rule(
    "NOTIF-002",
    source="《中华人民共和国个人信息保护法》第二十一条",
    message="短信、微信服务商只接收手机号（或微信OpenID）和消息文字，不接收党员的其他信息",
)

LEAP_DAY = "02-29"

# Why a message was not sent; stored on the Message as skip_reason and shown to admins.
SKIP_OPTED_OUT = "本人已选择不接收非必要通知"
SKIP_NO_PHONE = "未登记手机号，无法发送短信"
SKIP_NO_OPENID = "未绑定微信（没有OpenID），无法发送微信消息；可在通知偏好中改选短信"
SKIP_NO_ACCOUNT = "没有登录账号，无法接收站内信"
SKIP_NOT_MEMBER = "已不是党员"

# Retries: the n-th failed attempt waits BACKOFF[n-1]; after MAX_ATTEMPTS the message is failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=60))
MAX_ATTEMPTS = 5
# a message claimed for sending whose worker died is taken up again after this long
SENDING_LEASE = timedelta(minutes=10)

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def political_birthday_month_days(day: date) -> tuple[str, ...]:
    """The join month-days ("MM-DD") whose anniversary falls on ``day`` (NOTIF-001).

    29 February anniversaries are kept on 28 February in a year without a 29 February, and on the
    29th itself in a leap year.
    """
    month_day = f"{day:%m-%d}"
    if month_day == "02-28" and not calendar.isleap(day.year):
        return (month_day, LEAP_DAY)
    return (month_day,)


def political_birthday_years(join_date: date, day: date) -> int:
    """第N个政治生日: whole years since joining, on the anniversary ``day``."""
    return day.year - join_date.year


def is_political_birthday(join_date: date, day: date) -> bool:
    return f"{join_date:%m-%d}" in political_birthday_month_days(day) and political_birthday_years(join_date, day) >= 1


def mobile_problem(phone: str) -> str | None:
    """None for a mainland mobile number (digits only); otherwise why no SMS can go to it."""
    if not phone:
        return SKIP_NO_PHONE
    if _MOBILE.match(phone):
        return None
    return "登记的联系电话不是有效的手机号（11位，1开头），无法发送短信"


def retry_delay(attempts: int) -> timedelta | None:
    """Wait before the next try after ``attempts`` failed tries; None when no try is left."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]
