"""Goal progress: the straight line from baseline to target, the direction of improvement,
figures computed from the system's data (suppressed under ten students) or entered by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from wraparound.students.tests.factories import StudentFactory

from .. import goal_selectors as sel
from ..indicators import Scope
from ..models import AttendanceMonth, Goal, GoalMeasurement, GoalScope, GoalTerm, Indicator
from .factories import make_school

pytestmark = pytest.mark.django_db

SEPT_1 = dt.date(2026, 9, 1)
JUNE_30 = dt.date(2027, 6, 30)


def _goal(school, indicator=Indicator.ATTENDANCE_RATE, baseline="0.8800", target="0.9200", **kw):
    return Goal.objects.create(
        network=school.network,
        scope=GoalScope.SCHOOL,
        school=school,
        indicator=indicator,
        term=GoalTerm.SHORT,
        baseline=Decimal(baseline),
        baseline_on=kw.pop("baseline_on", SEPT_1),
        target=Decimal(target),
        target_on=kw.pop("target_on", JUNE_30),
        **kw,
    )


def _attendance(school, students, absent, enrolled=20, month=dt.date(2026, 10, 1)):
    for _ in range(students):
        s = StudentFactory(school=school)
        AttendanceMonth.objects.create(
            network_id=school.network_id,
            student=s,
            school=school,
            month=month,
            enrolled_days=enrolled,
            absent_days=absent,
        )


def test_expected_value_follows_the_line_from_baseline_to_target():
    goal = Goal(
        baseline=Decimal("0.8"),
        target=Decimal("0.9"),
        baseline_on=SEPT_1,
        target_on=dt.date(2026, 9, 11),
    )
    assert sel.expected_value(goal, dt.date(2026, 8, 1)) == Decimal("0.8000")
    assert sel.expected_value(goal, dt.date(2026, 9, 6)) == Decimal("0.8500")
    assert sel.expected_value(goal, dt.date(2027, 1, 1)) == Decimal("0.9000")


def test_attendance_goal_on_track_off_track_and_met():
    school = make_school()
    _attendance(school, 12, absent=2)  # 90 %
    goal = _goal(school)  # 88 % → 92 % over the school year
    early = sel.progress(goal, today=dt.date(2026, 10, 31))
    assert early.current.value == Decimal("0.9000") and early.current.n == 12
    assert early.status == sel.Status.ON_TRACK
    assert early.share_of_way == 50
    late = sel.progress(goal, today=dt.date(2027, 5, 31))
    assert late.expected > Decimal("0.9") and late.status == sel.Status.OFF_TRACK
    goal.target = Decimal("0.9000")
    assert sel.progress(goal, today=dt.date(2027, 5, 31)).status == sel.Status.MET


def test_lower_is_better_for_chronic_absence():
    school = make_school()
    _attendance(school, 8, absent=0)
    _attendance(school, 2, absent=5)  # 2 of 10 chronically absent: 20 %
    goal = _goal(school, Indicator.CHRONIC_ABSENCE_RATE, baseline="0.3000", target="0.1500")
    p = sel.progress(goal, today=dt.date(2026, 11, 15))
    assert p.current.value == Decimal("0.2000")
    assert p.lower_is_better and p.status == sel.Status.ON_TRACK
    assert sel.progress(goal, today=dt.date(2027, 6, 1)).status == sel.Status.OFF_TRACK


def test_a_figure_about_fewer_than_ten_students_gives_no_progress():
    school = make_school()
    _attendance(school, 9, absent=0)
    p = sel.progress(_goal(school), today=dt.date(2026, 10, 31))
    assert p.current.suppressed and p.status == sel.Status.NO_DATA
    assert p.now_text == "fewer than 10" and p.share_of_way is None


def test_graduation_rate_comes_from_the_latest_figure_entered():
    school = make_school()
    goal = _goal(school, Indicator.GRADUATION_RATE, baseline="0.7000", target="0.8000")
    assert sel.progress(goal, today=dt.date(2026, 10, 1)).status == sel.Status.NO_DATA
    GoalMeasurement.objects.create(
        goal=goal, measured_on=dt.date(2026, 9, 30), value=Decimal("0.7")
    )
    GoalMeasurement.objects.create(
        goal=goal, measured_on=dt.date(2027, 6, 1), value=Decimal("0.81")
    )
    before = sel.progress(goal, today=dt.date(2026, 12, 1))
    assert before.from_measurement and before.current.value == Decimal("0.7000")
    assert before.status == sel.Status.OFF_TRACK
    after = sel.progress(goal, today=dt.date(2027, 6, 2))
    assert after.status == sel.Status.MET and after.now_text == "81.0%"


def test_goals_with_progress_for_a_school_scope():
    school = make_school()
    _goal(school)
    _goal(make_school())  # another school's
    rows = sel.goals_with_progress(Scope(network=school.network, school=school), today=SEPT_1)
    assert [r.goal.school_id for r in rows] == [school.pk]
