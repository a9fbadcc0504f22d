"""Response deadlines count Monday to Friday, less the network's holidays."""

from __future__ import annotations

import datetime as dt

import pytest

from wraparound.referrals.business_days import add_business_days, horizon, is_business_day

MON = dt.date(2026, 11, 30)  # a Monday


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (MON, 3, dt.date(2026, 12, 3)),  # Thursday
        (MON + dt.timedelta(days=4), 3, dt.date(2026, 12, 9)),  # Friday → Wednesday
        (MON + dt.timedelta(days=2), 3, dt.date(2026, 12, 7)),  # Wednesday → Monday
        (MON + dt.timedelta(days=5), 1, dt.date(2026, 12, 7)),  # Saturday → Monday
        (MON + dt.timedelta(days=6), 1, dt.date(2026, 12, 7)),  # Sunday → Monday
        (MON, 10, dt.date(2026, 12, 14)),  # two whole weeks
        (MON, 0, MON),
        (MON + dt.timedelta(days=5), 0, dt.date(2026, 12, 7)),  # 0 on a Saturday → Monday
        (dt.date(2026, 12, 31), 1, dt.date(2027, 1, 1)),  # across the year (New Year not a holiday)
    ],
)
def test_add_business_days_skips_weekends(start: dt.date, days: int, due: dt.date) -> None:
    assert add_business_days(start, days) == due
    assert is_business_day(due)


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_days(MON, -1)


def test_weekend_days_are_not_business_days() -> None:
    week = [MON + dt.timedelta(days=i) for i in range(7)]
    assert [is_business_day(d) for d in week] == [True] * 5 + [False] * 2


def test_holidays_are_skipped_like_weekends() -> None:
    thanksgiving = dt.date(2026, 11, 26)
    days_off = {thanksgiving, thanksgiving + dt.timedelta(days=1)}
    # Sent Wednesday before Thanksgiving with 3 days: Mon, Tue, Wed of the next week.
    assert add_business_days(dt.date(2026, 11, 25), 3, days_off) == dt.date(2026, 12, 2)
    assert add_business_days(dt.date(2026, 11, 25), 3) == dt.date(2026, 11, 30)
    # 0 days on a holiday: the next business day.
    assert add_business_days(thanksgiving, 0, days_off) == dt.date(2026, 11, 30)
    assert not is_business_day(thanksgiving, days_off) and is_business_day(thanksgiving)


def test_the_horizon_covers_the_days_with_a_long_recess() -> None:
    start = dt.date(2026, 12, 21)
    recess = {start + dt.timedelta(days=i) for i in range(1, 15)}
    due = add_business_days(start, 30, recess)
    assert due < horizon(start, 30)
