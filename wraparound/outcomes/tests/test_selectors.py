"""Chronic absenteeism and attendance rate against hand-computed cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from wraparound.students.tests.factories import StudentFactory

from ..attendance.summaries import recompute_months
from ..models import AttendanceCategory as C
from ..models import InstructionalDay
from ..selectors import attendance_summary_rows, is_chronically_absent, school_year_dates
from .factories import (
    TAKEN_THROUGH,
    add_days,
    add_events,
    make_enrollment,
    make_school,
    weekdays,
)

pytestmark = pytest.mark.django_db

SEPT = dt.date(2026, 9, 1)


def _recompute_all() -> None:
    recompute_months(
        set(InstructionalDay.objects.values_list("school_id", "date")), through=TAKEN_THROUGH
    )


def _only_row(school, year=2027, **kwargs):
    rows = attendance_summary_rows(school, year, **kwargs)
    assert len(rows) == 1
    return rows[0]


def test_school_year_is_named_by_the_year_it_ends():
    assert school_year_dates(2027) == (dt.date(2026, 7, 1), dt.date(2027, 6, 30))


def test_every_category_and_tardies_partial_days_counted_present():
    school = make_school()
    days = weekdays(SEPT, 20)
    add_days(school, days)
    enrollment = make_enrollment(student__school=school)
    add_events(
        enrollment,
        {
            days[0]: C.EXCUSED,
            days[1]: C.EXCUSED,
            days[2]: C.UNEXCUSED,
            days[3]: C.TARDY,
            days[4]: C.PARTIAL,
            days[5]: C.EARLY_DEPARTURE,
            days[6]: C.IN_ATTENDANCE,
        },
    )
    _recompute_all()
    row = _only_row(school)
    # 20 enrolled, 3 absent; tardy, partial and early departure are present: 17 / 20.
    assert (row.enrolled_days, row.absent_days, row.tardies) == (20, 3, 1)
    assert row.attendance_rate == Decimal("0.8500")
    assert row.chronically_absent is True
    assert row.sourced_id == enrollment.student.sourced_id


def test_exactly_ten_percent_absent_is_chronic():
    school = make_school()
    days = weekdays(SEPT, 20)
    add_days(school, days)
    enrollment = make_enrollment(student__school=school)
    add_events(enrollment, {days[3]: C.UNEXCUSED, days[9]: C.EXCUSED})
    _recompute_all()
    row = _only_row(school)
    assert (row.enrolled_days, row.absent_days) == (20, 2)
    assert row.attendance_rate == Decimal("0.9000")
    assert row.chronically_absent is True


def test_just_under_ten_percent_is_not_chronic():
    school = make_school()
    days = weekdays(SEPT, 21)
    add_days(school, days)
    enrollment = make_enrollment(student__school=school)
    add_events(enrollment, {days[3]: C.UNEXCUSED, days[9]: C.EXCUSED, days[10]: C.TARDY})
    _recompute_all()
    row = _only_row(school)
    # 2 / 21 = 9.52 %; 19 / 21 = 0.904761… → 0.9048.
    assert (row.enrolled_days, row.absent_days, row.tardies) == (21, 2, 1)
    assert row.attendance_rate == Decimal("0.9048")
    assert row.chronically_absent is False


def test_partial_enrollment_counts_only_the_days_inside_it():
    school = make_school()
    days = weekdays(SEPT, 20)
    add_days(school, days)
    # Enrolled from the 11th instructional day: 10 enrolled days.
    enrollment = make_enrollment(student__school=school, begin_date=days[10])
    # An event before the enrollment (left by an old roster) does not count.
    add_events(enrollment, {days[2]: C.UNEXCUSED, days[12]: C.UNEXCUSED})
    _recompute_all()
    row = _only_row(school)
    assert (row.enrolled_days, row.absent_days) == (10, 1)
    assert row.attendance_rate == Decimal("0.9000")
    assert row.chronically_absent is True


def test_enrollment_that_ends_early():
    school = make_school()
    days = weekdays(SEPT, 20)
    add_days(school, days)
    enrollment = make_enrollment(student__school=school, end_date=days[14])
    add_events(enrollment, {days[1]: C.EXCUSED})
    _recompute_all()
    row = _only_row(school)
    # 15 days, 1 absent: 6.67 %, rate 14 / 15 = 0.93333 → 0.9333.
    assert (row.enrolled_days, row.absent_days) == (15, 1)
    assert row.attendance_rate == Decimal("0.9333")
    assert row.chronically_absent is False


def test_fewer_than_the_minimum_days_is_not_classified():
    school = make_school()
    days = weekdays(SEPT, 20)
    add_days(school, days)
    enrollment = make_enrollment(student__school=school, begin_date=days[11])
    add_events(enrollment, {d: C.UNEXCUSED for d in days[11:16]})
    _recompute_all()
    row = _only_row(school)
    # 9 enrolled days, 5 absent: 4 / 9 = 0.4444, under the 10-day minimum.
    assert (row.enrolled_days, row.absent_days) == (9, 5)
    assert row.attendance_rate == Decimal("0.4444")
    assert row.chronically_absent is None
    assert _only_row(school, min_days=9).chronically_absent is True


def test_mid_year_transfer_splits_the_year_between_two_schools():
    first, second = make_school(), make_school()
    second.network = first.network
    second.save()
    # Every weekday of September and October 2026 (22 + 22) at both schools.
    days = weekdays(SEPT, 44)
    assert days[-1] == dt.date(2026, 10, 30)
    add_days(first, days)
    add_days(second, days)
    student = StudentFactory(school=second)
    leaves = dt.date(2026, 10, 15)
    at_first = make_enrollment(student=student, school=first, end_date=leaves)
    at_second = make_enrollment(student=student, school=second, begin_date=leaves.replace(day=16))
    add_events(at_first, {days[0]: C.EXCUSED, days[5]: C.UNEXCUSED, days[30]: C.UNEXCUSED})
    add_events(at_second, {days[-1]: C.UNEXCUSED, days[-2]: C.EXCUSED, days[-3]: C.TARDY})
    _recompute_all()
    # First school: 22 September days + 11 October days (1–15) = 33, 3 absent (9.09 %).
    row = _only_row(first)
    assert (row.enrolled_days, row.absent_days, row.tardies) == (33, 3, 0)
    assert row.attendance_rate == Decimal("0.9091")
    assert row.chronically_absent is False
    # Second school: October 16–30 = 11 days, 2 absent (18 %), 9 / 11 = 0.8182.
    row = _only_row(second)
    assert (row.enrolled_days, row.absent_days, row.tardies) == (11, 2, 1)
    assert row.attendance_rate == Decimal("0.8182")
    assert row.chronically_absent is True


def test_only_the_school_year_asked_for():
    school = make_school()
    add_days(school, [dt.date(2026, 6, 30), *weekdays(dt.date(2027, 6, 28), 3)])
    make_enrollment(student__school=school)
    _recompute_all()
    # 2026-06-30 is in school year 2026; 2027-06-28..30 in 2027; nothing from July 2027 on.
    assert _only_row(school, year=2026).enrolled_days == 1
    assert _only_row(school, year=2027).enrolled_days == 3
    assert attendance_summary_rows(school, 2028) == []


def test_students_not_enrolled_at_the_school_are_not_listed():
    school = make_school()
    add_days(school, weekdays(SEPT, 5))
    make_enrollment(student__school=school)
    StudentFactory(school=school)  # no enrollment row: never enrolled on a day
    _recompute_all()
    assert len(attendance_summary_rows(school, 2027)) == 1


@pytest.mark.parametrize(
    ("enrolled", "absent", "expected"),
    [(10, 1, True), (10, 0, False), (9, 9, None), (100, 10, True), (100, 9, False)],
)
def test_is_chronically_absent(enrolled, absent, expected):
    assert is_chronically_absent(enrolled, absent) is expected


def test_summary_rows_take_one_query(django_assert_num_queries):
    school = make_school()
    add_days(school, weekdays(SEPT, 30))
    for _ in range(3):
        make_enrollment(student__school=school)
    _recompute_all()
    with django_assert_num_queries(1):
        rows = attendance_summary_rows(school, 2027)
    assert [r.enrolled_days for r in rows] == [30, 30, 30]
    assert [r.sourced_id for r in rows] == sorted(r.sourced_id for r in rows)
