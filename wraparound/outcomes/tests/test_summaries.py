"""recompute_months: rows follow the calendar, enrollments and events of a school-month."""

from __future__ import annotations

import datetime as dt

import pytest

from .. import attendance
from ..attendance.summaries import recompute_months
from ..models import AttendanceCategory as C
from ..models import AttendanceMonth
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
    assert (
        recompute_months(
            {(school.pk, SEPT), (school.pk, dt.date(2026, 10, 1))}, through=TAKEN_THROUGH
        )
        == 2
    )
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
    recompute_months({(school.pk, SEPT)}, through=TAKEN_THROUGH)
    assert AttendanceMonth.objects.get().enrolled_days == 10


def test_a_row_no_longer_backed_by_an_enrollment_is_removed():
    school = make_school()
    add_days(school, weekdays(SEPT, 10))
    enrollment = make_enrollment(student__school=school)
    recompute_months({(school.pk, SEPT)}, through=TAKEN_THROUGH)
    assert AttendanceMonth.objects.count() == 1
    # The roster now says the student left before September.
    enrollment.end_date = dt.date(2026, 8, 31)
    enrollment.save()
    recompute_months({(school.pk, SEPT)}, through=TAKEN_THROUGH)
    assert not AttendanceMonth.objects.exists()


def test_many_schools_are_chunked(monkeypatch):
    monkeypatch.setattr(attendance.summaries, "SCHOOL_CHUNK", 2)
    schools = [make_school() for _ in range(5)]
    for school in schools:
        add_days(school, weekdays(SEPT, 3))
        make_enrollment(student__school=school)
    recompute_months({(s.pk, SEPT) for s in schools}, through=TAKEN_THROUGH)
    assert sorted(AttendanceMonth.objects.values_list("enrolled_days", flat=True)) == [3] * 5


def _month_rows():
    return sorted(
        AttendanceMonth.objects.values_list(
            "network_id",
            "student_id",
            "school_id",
            "month",
            "enrolled_days",
            "absent_days",
            "excused_days",
            "unexcused_days",
            "tardies",
            "early_departures",
            "partial_days",
        )
    )


@pytest.mark.postgresql
def test_the_postgresql_statements_agree_with_the_portable_ones():
    """Random calendars, enrollments (mid-month starts and ends, overlapping spans, transfers)
    and events, some outside any enrollment: the same rows both ways, stale rows removed."""
    import random

    from ..attendance.summaries import _recompute_portable, _recompute_postgres

    rng = random.Random(7)
    schools = [make_school()]
    schools += [make_school(network=schools[0].network) for _ in range(2)]
    days = weekdays(SEPT, 45)
    for school in schools:
        add_days(school, [d for d in days if rng.random() < 0.9])
    categories = [C.EXCUSED, C.UNEXCUSED, C.TARDY, C.EARLY_DEPARTURE, C.PARTIAL, C.IN_ATTENDANCE]
    for __ in range(40):
        school = rng.choice(schools)
        begin = rng.choice([None, None, rng.choice(days)])
        end = rng.choice([None, None, rng.choice(days)])
        enrollment = make_enrollment(student__school=school, begin_date=begin, end_date=end)
        if rng.random() < 0.3:  # a second span at the same school, or another school
            make_enrollment(
                student=enrollment.student,
                school=rng.choice(schools),
                begin_date=rng.choice(days),
                end_date=None,
            )
        picked = rng.sample(days, 12)
        add_events(enrollment, {d: rng.choice(categories) for d in picked})
    scope = {(s.pk, m) for s in schools for m in (SEPT, dt.date(2026, 10, 1), dt.date(2026, 11, 1))}
    by_month: dict[dt.date, set[int]] = {}
    for school_id, month in scope:
        by_month.setdefault(month, set()).add(school_id)
    # A stale row the recomputation must remove.
    stale = make_enrollment(student__school=schools[0], end_date=dt.date(2026, 8, 1))
    AttendanceMonth.objects.create(
        network_id=stale.network_id,
        student_id=stale.student_id,
        school_id=stale.school_id,
        month=SEPT,
        enrolled_days=3,
    )
    # Taken through mid-October: both cut the same days; November keeps no rows.
    through = dt.date(2026, 10, 15)
    _recompute_postgres(by_month, through)
    fast = _month_rows()
    assert fast and stale.student_id not in {r[1] for r in fast}
    AttendanceMonth.objects.all().delete()
    _recompute_portable(by_month, through)
    assert _month_rows() == fast
    assert {r[3] for r in fast} == {SEPT, dt.date(2026, 10, 1)}
    # Run again over existing rows: nothing changes.
    _recompute_postgres(by_month, through)
    assert _month_rows() == fast
