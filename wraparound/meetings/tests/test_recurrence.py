"""Cadence arithmetic: counted from the first meeting, month ends clamped, wall-clock time kept
across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from ..models import Cadence
from ..recurrence import add_months, nth, occurrences

NY = zoneinfo.ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2027, 1, 31), 1, dt.date(2027, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),  # leap year
        (dt.date(2027, 1, 31), 2, dt.date(2027, 3, 31)),
        (dt.date(2027, 1, 31), 3, dt.date(2027, 4, 30)),
        (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),
        (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),
        (dt.date(2027, 5, 31), 12, dt.date(2028, 5, 31)),
    ],
)
def test_add_months_clamps_to_month_end(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_monthly_on_the_31st_comes_back_to_the_31st() -> None:
    first = dt.datetime(2027, 1, 31, 18, 0, tzinfo=NY)
    days = [nth(first, Cadence.MONTHLY, n, NY).date() for n in range(5)]
    assert days == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
        dt.date(2027, 4, 30),
        dt.date(2027, 5, 31),
    ]


def test_quarterly_and_weekly_and_biweekly() -> None:
    first = dt.datetime(2026, 11, 30, 9, 0, tzinfo=NY)
    assert nth(first, Cadence.QUARTERLY, 1, NY).date() == dt.date(2027, 2, 28)
    assert nth(first, Cadence.QUARTERLY, 2, NY).date() == dt.date(2027, 5, 30)
    assert nth(first, Cadence.WEEKLY, 5, NY).date() == dt.date(2027, 1, 4)
    assert nth(first, Cadence.BIWEEKLY, 2, NY).date() == dt.date(2026, 12, 28)


def test_wall_clock_time_kept_across_daylight_saving() -> None:
    first = dt.datetime(2027, 3, 1, 18, 0, tzinfo=NY)  # EST
    later = nth(first, Cadence.WEEKLY, 2, NY)  # 15 March: EDT
    assert later.hour == 18
    assert later.utcoffset() != first.utcoffset()
    # Given in UTC, the first meeting still means 18:00 in New York.
    utc_first = first.astimezone(dt.UTC)
    assert nth(utc_first, Cadence.WEEKLY, 2, NY).astimezone(NY).hour == 18


def test_occurrences_window_and_until() -> None:
    first = dt.datetime(2027, 1, 5, 17, 0, tzinfo=NY)
    got = list(
        occurrences(
            first,
            Cadence.WEEKLY,
            NY,
            start=dt.datetime(2027, 1, 10, tzinfo=NY),
            end=dt.datetime(2027, 3, 1, tzinfo=NY),
            until=dt.date(2027, 2, 2),
        )
    )
    assert [w.date() for w in got] == [
        dt.date(2027, 1, 12),
        dt.date(2027, 1, 19),
        dt.date(2027, 1, 26),
        dt.date(2027, 2, 2),
    ]


def test_unknown_cadence() -> None:
    with pytest.raises(ValueError):
        nth(dt.datetime(2027, 1, 5, tzinfo=NY), "daily", 1, NY)
