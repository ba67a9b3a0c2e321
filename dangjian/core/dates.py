"""Calendar arithmetic as DOMAIN.md §1 defines it (calendar months, clamped to month end)."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months; 31 Jan + 1 month = 28/29 Feb."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def age_on(birth: date, on: date) -> int:
    """Completed years of age on ``on``."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years
