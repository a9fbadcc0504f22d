"""Response deadlines count Monday to Friday (holidays are not modelled)."""

from __future__ import annotations

import datetime as dt

import pytest

from wraparound.referrals.business_days import add_business_days, is_business_day

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
