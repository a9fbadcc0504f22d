"""Business days for referral response deadlines: Monday to Friday, less the network's holidays
(`core.NetworkHoliday`, kept on the referral settings page)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container

_SATURDAY = 5
NO_HOLIDAYS: frozenset[dt.date] = frozenset()


def is_business_day(day: dt.date, holidays: Container[dt.date] = NO_HOLIDAYS) -> bool:
    return day.weekday() < _SATURDAY and day not in holidays


def add_business_days(
    start: dt.date, days: int, holidays: Container[dt.date] = NO_HOLIDAYS
) -> dt.date:
    """The day `days` business days after `start`: counting starts the day after, and weekend
    days and holidays are skipped (sent Friday with 3 days: due Wednesday, Thursday when Monday
    is a holiday; sent Saturday with 1: Monday). With 0 days, `start` itself, or the next
    business day when it is not one."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    left = days
    while left:
        day += dt.timedelta(days=1)
        if is_business_day(day, holidays):
            left -= 1
    while not is_business_day(day, holidays):  # days == 0 on a day off: the next working day
        day += dt.timedelta(days=1)
    return day


def horizon(start: dt.date, days: int) -> dt.date:
    """A day far enough after `start` that `days` business days end before it, whatever the
    holidays between (a fortnight's recess included): how far to load them."""
    return start + dt.timedelta(days=2 * days + 31)
