"""When a series meets: the n-th occurrence is counted from the first meeting, on the network's
own clock (so 18:00 stays 18:00 across daylight-saving changes), never from the previous one (so a
monthly meeting on the 31st falls on the 30th in April and is back on the 31st in May)."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from collections.abc import Iterator

from .models import Cadence

DAYS: dict[str, int] = {Cadence.WEEKLY: 7, Cadence.BIWEEKLY: 14}
MONTHS: dict[str, int] = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3}


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, the day of the month clamped to the month's last."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def nth(first: dt.datetime, cadence: str, n: int, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The n-th occurrence (n = 0 is `first`), aware, at the first's wall-clock time in `tz`."""
    local = first.astimezone(tz)
    if cadence in DAYS:
        day = local.date() + dt.timedelta(days=DAYS[cadence] * n)
    elif cadence in MONTHS:
        day = add_months(local.date(), MONTHS[cadence] * n)
    else:
        raise ValueError(f"unknown cadence {cadence!r}")
    return dt.datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)


def occurrences(
    first: dt.datetime,
    cadence: str,
    tz: zoneinfo.ZoneInfo,
    *,
    start: dt.datetime,
    end: dt.datetime,
    until: dt.date | None = None,
) -> Iterator[dt.datetime]:
    """Occurrences with start <= when < end (and on or before `until`, the series' last day)."""
    n = 0
    while True:
        when = nth(first, cadence, n, tz)
        if when >= end or (until is not None and when.astimezone(tz).date() > until):
            return
        if when >= start:
            yield when
        n += 1
