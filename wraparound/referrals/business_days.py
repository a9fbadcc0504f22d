"""Business days (Monday to Friday) for referral response deadlines.

Public holidays and school breaks are not modelled: a deadline that falls across one is a day or
two early. Networks that need them would add a holiday calendar here."""

from __future__ import annotations

import datetime as dt

_SATURDAY = 5


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < _SATURDAY


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The day `days` business days after `start`: counting starts the day after, and weekend
    days are skipped (sent Friday with 3 days: due Wednesday; sent Saturday with 1: Monday).
    With 0 days, `start` itself, or the Monday after when it falls on a weekend."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    left = days
    while left:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            left -= 1
    if not is_business_day(day):  # days == 0 on a weekend: the next working day
        while not is_business_day(day):
            day += dt.timedelta(days=1)
    return day
