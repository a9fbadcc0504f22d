"""recompute_months: rows follow the calendar, enrollments and events of a school-month."""

from __future__ import annotations

import datetime as dt

import pytest

from .. import attendance
from ..attendance.summaries import recompute_months
from ..models import AttendanceCategory as C
from ..models import AttendanceMonth
from .factories import add_days, add_events, make_enrollment, make_school, weekdays

pytestmark = pytest.mark.django_db

SEPT = dt.date(2026, 9, 1)


def test_a_row_per_student_and_month_with_each_count():
    school = make_school()
    days = weekdays(SEPT, 30)  # 22 in September, 8 in October
    add_days(school, days)
    enrollment = make_enrollment(student__school=school)
    add_events(
        enrollment,
        {
            days[0]: C.EXCUSED,
            days[1]: C.UNEXCUSED,
            days[2]: C.TARDY,
            days[25]: C.EARLY_DEPARTURE,
            days[26]: C.PARTIAL,
            days[27]: C.IN_ATTENDANCE,
        },
    )
    assert recompute_months({(school.pk, SEPT), (school.pk, dt.date(2026, 10, 1))}) == 2
    rows = {
        r.month: (
            r.enrolled_days,
            r.absent_days,
            r.excused_days,
            r.unexcused_days,
            r.tardies,
            r.early_departures,
            r.partial_days,
            r.network_id,
        )
        for r in AttendanceMonth.objects.all()
    }
    assert rows == {
        SEPT: (22, 2, 1, 1, 1, 0, 0, school.network_id),
        dt.date(2026, 10, 1): (8, 0, 0, 0, 0, 1, 1, school.network_id),
    }


def test_overlapping_enrollments_count_a_day_once():
    school = make_school()
    add_days(school, weekdays(SEPT, 10))
    enrollment = make_enrollment(student__school=school)
    make_enrollment(student=enrollment.student, school=school, begin_date=SEPT)
    recompute_months({(school.pk, SEPT)})
    assert AttendanceMonth.objects.get().enrolled_days == 10


def test_a_row_no_longer_backed_by_an_enrollment_is_removed():
    school = make_school()
    add_days(school, weekdays(SEPT, 10))
    enrollment = make_enrollment(student__school=school)
    recompute_months({(school.pk, SEPT)})
    assert AttendanceMonth.objects.count() == 1
    # The roster now says the student left before September.
    enrollment.end_date = dt.date(2026, 8, 31)
    enrollment.save()
    recompute_months({(school.pk, SEPT)})
    assert not AttendanceMonth.objects.exists()


def test_many_schools_are_chunked(monkeypatch):
    monkeypatch.setattr(attendance.summaries, "SCHOOL_CHUNK", 2)
    schools = [make_school() for _ in range(5)]
    for school in schools:
        add_days(school, weekdays(SEPT, 3))
        make_enrollment(student__school=school)
    recompute_months({(s.pk, SEPT) for s in schools})
    assert sorted(AttendanceMonth.objects.values_list("enrolled_days", flat=True)) == [3] * 5
