"""The outcome indicators on hand-made cases: which students count, pooled rates, medians, the
split by student group and its suppression."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

import pytest
from django.utils import timezone

from wraparound.agreements.models.partnership import Partnership
from wraparound.assessments.tests.factories import PartnershipFactory
from wraparound.referrals.models import ReferralStatus
from wraparound.referrals.tests.factories import (
    ReferralFactory,
    ServiceSessionFactory,
    SessionAttendanceFactory,
)
from wraparound.students.models import RaceEthnicity
from wraparound.students.tests.factories import StudentFactory, TierAssignmentFactory

from .. import indicators as ind
from ..models import AttendanceMonth, CourseResult
from ..subgroups import SPLITS
from .factories import make_school

pytestmark = pytest.mark.django_db

YEAR = 2027
PERIOD = ind.Period.school_year(YEAR)
OCT = dt.date(2026, 10, 1)


def _month(student, month=OCT, enrolled=20, absent=0, school=None):
    return AttendanceMonth.objects.create(
        network_id=student.network_id,
        student=student,
        school=school or student.school,
        month=month,
        enrolled_days=enrolled,
        absent_days=absent,
    )


def _students(school, n, **kwargs):
    return [StudentFactory(school=school, **kwargs) for _ in range(n)]


def test_attendance_rate_pools_days_and_chronic_rate_counts_classified_students():
    school = make_school()
    students = _students(school, 12)
    for s in students[:10]:
        _month(s, enrolled=20, absent=1)  # 5 %: not chronic
    _month(students[10], enrolled=20, absent=2)  # exactly 10 %: chronic
    _month(students[11], enrolled=5, absent=5)  # too few days to classify, but its days count
    scope = ind.Scope(network=school.network, school=school)
    rate = ind.attendance_rate(scope, PERIOD)
    # present 10*19 + 18 + 0 = 208 of 225 enrolled days
    assert rate.overall.n == 12
    assert rate.overall.value == Decimal("0.9244")
    chronic = ind.chronic_absence_rate(scope, PERIOD)
    assert chronic.overall.n == 11
    assert chronic.overall.value == Decimal("0.0909")


def test_a_school_with_fewer_than_ten_students_shows_nothing():
    school = make_school()
    for s in _students(school, 9):
        _month(s)
    result = ind.attendance_rate(ind.Scope(network=school.network, school=school), PERIOD)
    assert result.overall.suppressed and result.overall.value is None


def test_months_outside_the_period_and_other_schools_do_not_count():
    school, other = make_school(), make_school()
    students = _students(school, 10)
    for s in students:
        _month(s, enrolled=10, absent=0)
        _month(s, month=dt.date(2026, 6, 1), enrolled=10, absent=10)  # the year before
        _month(s, month=OCT, enrolled=10, absent=10, school=other)  # another school
    result = ind.attendance_rate(ind.Scope(network=school.network, school=school), PERIOD)
    assert result.overall.value == Decimal("1.0000")


def test_split_by_race_ethnicity_suppresses_small_groups_and_their_complement():
    school = make_school()
    for s in _students(school, 20, race_ethnicity=RaceEthnicity.HISPANIC):
        _month(s, absent=2)
    for s in _students(school, 12, race_ethnicity=RaceEthnicity.BLACK):
        _month(s, absent=0)
    for s in _students(school, 3, race_ethnicity=RaceEthnicity.ASIAN):
        _month(s, absent=10)
    scope = ind.Scope(network=school.network, school=school)
    result = ind.attendance_rate(scope, PERIOD, SPLITS["race_ethnicity"])
    groups = {c.key: c for c in result.groups}
    assert groups["hispanic"].value == Decimal("0.9000") and groups["hispanic"].n == 20
    # Asian (3) is hidden, and Black (12, the next smallest) with it: the total is shown.
    assert groups["asian"].suppressed and groups["black"].suppressed
    assert result.overall.n == 35


def test_referral_completion_rate_and_median_days_to_first_session():
    school = make_school()
    sent = timezone.make_aware(dt.datetime(2026, 10, 1, 9))
    referrals = []
    for i, s in enumerate(_students(school, 12)):
        status = ReferralStatus.COMPLETED if i < 9 else ReferralStatus.CLOSED
        referrals.append(ReferralFactory(student=s, status=status, sent_at=sent))
    ReferralFactory(student=StudentFactory(school=school), status=ReferralStatus.SENT, sent_at=sent)
    scope = ind.Scope(network=school.network, school=school)
    completion = ind.referral_completion_rate(scope, PERIOD)
    assert (completion.overall.n, completion.overall.value) == (12, Decimal("0.7500"))
    # First sessions 2, 4, ... 24 days after sending; one absent row does not count.
    for i, r in enumerate(referrals):
        session = ServiceSessionFactory(
            school=school, date=dt.date(2026, 10, 3) + dt.timedelta(2 * i)
        )
        SessionAttendanceFactory(session=session, student=r.student, referral=r)
        later = ServiceSessionFactory(school=school, date=dt.date(2026, 12, 1))
        SessionAttendanceFactory(session=later, student=r.student, referral=r)
    early = ServiceSessionFactory(school=school, date=dt.date(2026, 10, 2))
    SessionAttendanceFactory(
        session=early, student=referrals[0].student, referral=referrals[0], present=False
    )
    days = ind.days_to_first_session(scope, PERIOD)
    assert days.overall.n == 12
    assert days.overall.value == Decimal("13.0000")  # median of 2, 4, ..., 24


def test_a_period_ends_at_midnight_on_the_networks_clock_not_utc():
    school = make_school()
    network = school.network
    network.time_zone = "America/New_York"
    network.save(update_fields=["time_zone"])
    last = dt.date(2026, 12, 5)
    period = ind.Period(dt.date(2026, 9, 1), last)
    tz = network.tzinfo
    # 7 pm in New York on the last day is already the next day in UTC: inside the period.
    evening = dt.datetime(2026, 12, 5, 19, 10, tzinfo=tz)
    after = dt.datetime(2026, 12, 6, 0, 5, tzinfo=tz)  # just past midnight in New York
    for s in _students(school, 10):
        ReferralFactory(student=s, status=ReferralStatus.COMPLETED, sent_at=evening)
    for s in _students(school, 10):
        ReferralFactory(student=s, status=ReferralStatus.SENT, sent_at=after)
    result = ind.referral_completion_rate(ind.Scope(network=network, school=school), period)
    assert (result.overall.n, result.overall.value) == (10, Decimal("1.0000"))


def test_share_of_tier3_students_served():
    school = make_school()
    tier3 = _students(school, 10)
    for s in tier3:
        TierAssignmentFactory(student=s, tier=3, starts_on=dt.date(2026, 9, 15), ends_on=None)
    TierAssignmentFactory(
        student=StudentFactory(school=school), tier=2, starts_on=dt.date(2026, 9, 15)
    )
    # Ended before the year: not counted.
    TierAssignmentFactory(
        student=StudentFactory(school=school),
        tier=3,
        starts_on=dt.date(2025, 9, 1),
        ends_on=dt.date(2026, 5, 1),
    )
    for s in tier3[:4]:
        SessionAttendanceFactory(session=ServiceSessionFactory(school=school, date=OCT), student=s)
    result = ind.tier3_served_share(ind.Scope(network=school.network, school=school), PERIOD)
    assert (result.overall.n, result.overall.value) == (10, Decimal("0.4000"))


def test_partnership_scope_counts_only_students_it_served():
    partnership = cast(Partnership, PartnershipFactory())
    school = make_school() if partnership.school is None else partnership.school
    served = _students(school, 10)
    for s in served:
        _month(s, absent=0)
        session = ServiceSessionFactory(school=school, partnership=partnership, date=OCT)
        SessionAttendanceFactory(session=session, student=s)
    for s in _students(school, 10):
        _month(s, absent=10)
    scope = ind.Scope(network=partnership.network, partnership=partnership)
    result = ind.attendance_rate(scope, PERIOD)
    assert (result.overall.n, result.overall.value) == (10, Decimal("1.0000"))


def test_course_pass_rate_counts_courses_with_a_result():
    school = make_school()
    for i, s in enumerate(_students(school, 10)):
        for j, passed in enumerate([True, i % 2 == 0, None]):
            CourseResult.objects.create(
                network_id=s.network_id,
                student=s,
                school=school,
                school_year=YEAR,
                term="S1",
                course_code=f"C{j}",
                passed=passed,
            )
    result = ind.course_pass_rate(ind.Scope(network=school.network, school=school), PERIOD)
    assert (result.overall.n, result.overall.value) == (10, Decimal("0.7500"))
