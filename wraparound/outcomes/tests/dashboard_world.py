"""A hand-made network for the dashboard tests: groups of students of sizes 12, 10, 9 and 3
at one school (by race/ethnicity), a student who moved between two schools, tiers, referrals
and sessions — small groups that every page, chart and API answer must hide."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from wraparound.core.models import SchoolYear
from wraparound.directory.tests.factories import ServiceFactory
from wraparound.referrals.models import ReferralStatus
from wraparound.referrals.tests.factories import (
    ReferralFactory,
    ServiceSessionFactory,
    SessionAttendanceFactory,
)
from wraparound.students.models import RaceEthnicity, Tier, TierDomain
from wraparound.students.tests.factories import StudentFactory, TierAssignmentFactory

from ..models import AttendanceMonth
from ..subgroups import SPLITS

# Group sizes at the school: shown (12, 10) and hidden (9, 3).
GROUPS = {
    RaceEthnicity.HISPANIC: 12,
    RaceEthnicity.WHITE: 10,
    RaceEthnicity.BLACK: 9,
    RaceEthnicity.ASIAN: 3,
}
SMALL_GROUPS = {RaceEthnicity.BLACK, RaceEthnicity.ASIAN}


@dataclass
class World:
    network: Any
    school: Any
    other_school: Any
    organization: Any
    year: int
    today: dt.date
    students: list[Any]
    mover: Any


def school_year_of(day: dt.date) -> int:
    return day.year + 1 if day.month >= 7 else day.year


def months_of(year: int, today: dt.date) -> list[dt.date]:
    first = dt.date(year - 1, 7, 1)
    this = today.replace(day=1)
    return sorted({first, this})


def _month(student: Any, school: Any, month: dt.date, enrolled: int, absent: int) -> None:
    AttendanceMonth.objects.create(
        network_id=student.network_id,
        student=student,
        school=school,
        month=month,
        enrolled_days=enrolled,
        absent_days=absent,
    )


def build_world(tenant: Any) -> World:
    network = tenant.network
    school, other = tenant.schools[0], tenant.schools[1]
    today = network.today()
    year = school_year_of(today)
    SchoolYear.objects.get_or_create(
        network=network,
        end_year=year,
        defaults={
            "start_date": dt.date(year - 1, 9, 1),
            "end_date": dt.date(year, 6, 25),
            "is_current": True,
        },
    )
    months = months_of(year, today)
    students = []
    for race, size in GROUPS.items():
        for i in range(size):
            s = StudentFactory(
                school=school,
                race_ethnicity=race,
                english_learner=(i < 3),  # 3 English learners per group
            )
            students.append(s)
            for m in months:
                # Every third student chronically absent (3 of 20 days).
                _month(s, school, m, 20, 3 if i % 3 == 0 else 1)
    # Twelve students at the other school, and one who moved from it to the school.
    for i in range(12):
        s = StudentFactory(school=other, race_ethnicity=RaceEthnicity.HISPANIC)
        for m in months:
            _month(s, other, m, 20, 4 if i < 6 else 0)
    mover = students[0]
    _month(mover, other, months[0].replace(day=1), 5, 5)
    # Tiers: 11 students at tier 2 in attendance, 3 at tier 3 (hidden), 10 at tier 1 in health.
    for s in students[:11]:
        TierAssignmentFactory(student=s, domain=TierDomain.ATTENDANCE, tier=Tier.TARGETED)
    for s in students[11:14]:
        TierAssignmentFactory(student=s, domain=TierDomain.ATTENDANCE, tier=Tier.INTENSIVE)
    for s in students[14:24]:
        TierAssignmentFactory(student=s, domain=TierDomain.HEALTH, tier=Tier.UNIVERSAL)
    # Referrals to the partner: 12 completed, 4 declined (hidden), 11 still sent.
    service = ServiceFactory(organization=tenant.org_a)
    sent = timezone.now() - dt.timedelta(hours=1)
    for s in students[:12]:
        ReferralFactory(
            student=s,
            service=service,
            status=ReferralStatus.COMPLETED,
            sent_at=sent,
            responded_at=sent + dt.timedelta(days=2),
        )
    for s in students[12:16]:
        ReferralFactory(student=s, service=service, status=ReferralStatus.DECLINED, sent_at=sent)
    for s in students[16:27]:
        ReferralFactory(student=s, service=service, status=ReferralStatus.SENT, sent_at=sent)
    # One partner session attended by 12 students, one by 4 of them again.
    session = ServiceSessionFactory(school=school, organization=tenant.org_a, date=today)
    for s in students[:12]:
        SessionAttendanceFactory(session=session, student=s)
    small = ServiceSessionFactory(school=school, organization=tenant.org_a, date=today)
    for s in students[:4]:
        SessionAttendanceFactory(session=small, student=s, minutes=30)
    return World(network, school, other, tenant.org_a, year, today, students, mover)


def all_cells(payload: Any) -> list[dict[str, Any]]:
    """Every cell (a dict with "suppressed") anywhere in a JSON payload."""
    found = []
    if isinstance(payload, dict):
        if "suppressed" in payload and "n" in payload:
            found.append(payload)
        for value in payload.values():
            found.extend(all_cells(value))
    elif isinstance(payload, list):
        for value in payload:
            found.extend(all_cells(value))
    return found


def assert_no_small_cell(payload: Any) -> int:
    """No cell of the payload shows a count under ten; returns how many cells were checked."""
    cells = all_cells(payload)
    for c in cells:
        if c["suppressed"]:
            assert c["n"] is None and c["value"] is None, c
        else:
            assert c["n"] is None or c["n"] >= 10, c
    return len(cells)


SPLIT_KEYS = list(SPLITS)


def enrich_world(world: World) -> None:
    """More figures to compare (the rollup tests): course results for 14 students, the
    sessions linked to the completed referrals (days to first session), 11 more students at
    tier 3 with half of them served."""
    from wraparound.referrals.models import Referral, SessionAttendance

    from ..models import CourseResult

    for i, s in enumerate(world.students[:14]):
        for course in ("ELA", "MATH"):
            CourseResult.objects.create(
                network_id=s.network_id,
                student=s,
                school=world.school,
                school_year=world.year,
                term="T1",
                course_code=course,
                passed=(i % 4 != 0 or course == "ELA"),
            )
    for row in SessionAttendance.objects.filter(student__in=world.students[:12]):
        row.referral = Referral.objects.filter(student_id=row.student_id).first()
        row.save(update_fields=["referral"])
    for s in world.students[24:35]:
        TierAssignmentFactory(student=s, domain=TierDomain.BEHAVIOUR, tier=Tier.INTENSIVE)
