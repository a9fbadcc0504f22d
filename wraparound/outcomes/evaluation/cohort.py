"""The database side of the what-helped evaluation: one row per student of a network's school
year, as `estimate.Cohort` arrays. A handful of aggregate queries, whatever the network's size;
no query per student.

Who is in it: every student with attendance (`AttendanceMonth`) in the school year. A student
who changed schools is placed at the school where they were enrolled the most days (their
months at every school count); their grade is their roster grade now.

What the treatment is (`Treatment`), and who may be compared:

- a service, an organization, or a category (a taxonomy term and the terms beneath it): the
  dosage is the minutes of that treatment's sessions the student attended during the school
  year (`SessionAttendance` marked present; its own minutes when recorded, else the session's
  length — as `referrals.session_selectors._row_minutes` counts them). The comparison pool is
  every student with no attended minutes of it; they may have received other services.
- a tier N: students held at tier N in any domain on some day of the school year. The dosage is
  their minutes of any service; the pool is the tier-N students who attended no session at all,
  so the comparison is "served at tier N" against "at tier N, not served".

The start month is the month of the student's first attended session of the treatment.

Attendance: the student × month summaries of the school year (`enrolled`, `absent`), and, as
`prior_enrolled`/`prior_absent`, the student's totals over the previous school year — the
network's `SchoolYear` that ended last before this one began, its months from the month of its
first day to the month of its last (a month this year also touches stays with this year; the
summer between them and earlier years do not count) — at any school of the network. Students
with none (new to the network, or in their first year of school) have zeros there. The cohort
is still this year's students: last year's attendance of students who left does not enter.
`estimate` adds the previous year to every baseline.

Matching traits: race/ethnicity, sex, English learner, disability, economically disadvantaged,
and the highest tier held during the year in the attendance domain and in any domain (the
schools' own judgement of need, which drives referrals: without it served students would be
compared with students who only look alike in one month of attendance)."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from django.db.models import Min, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth

from wraparound.core.grades import GRADE_ORDER
from wraparound.core.models import Network, SchoolYear
from wraparound.directory.models import Attribute, TaxonomyTerm
from wraparound.referrals.models import SessionAttendance
from wraparound.students.models import Student, TierAssignment, TierDomain

from ..models import AttendanceMonth
from .estimate import NEED_WEIGHT, Cohort


class TreatmentKind(StrEnum):
    SERVICE = "service"
    ORGANIZATION = "organization"
    CATEGORY = "category"
    TIER = "tier"


@dataclass(frozen=True)
class Treatment:
    kind: TreatmentKind
    value: int  # service, organization or taxonomy term id; the tier number


@dataclass(frozen=True)
class CohortData:
    cohort: Cohort
    months: list[dt.date]


# Race/ethnicity, sex, English learner, disability, economically disadvantaged; then the tiers.
TRAIT_WEIGHTS = np.array([1.0, 1.0, 1.0, 1.0, 1.0, NEED_WEIGHT, NEED_WEIGHT])

# Grade bands for exact matching: the grades children of one band are compared within.
_ELEMENTARY = GRADE_ORDER["05"]
_MIDDLE = GRADE_ORDER["08"]


def grade_band(grade: str) -> int:
    """0 elementary (to grade 5), 1 middle (6–8), 2 high (9 and up), 3 ungraded or unknown."""
    order = GRADE_ORDER.get(grade)
    if order is None:
        return 3
    if order <= _ELEMENTARY:
        return 0
    return 1 if order <= _MIDDLE else 2


def _year_months(year: SchoolYear) -> list[dt.date]:
    months = []
    month = year.start_date.replace(day=1)
    while month <= year.end_date:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def category_terms(network_id: int, term_id: int) -> set[int]:
    """The term and every term beneath it."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in TaxonomyTerm.objects.filter(network_id=network_id).values_list(
        "pk", "parent_id"
    ):
        children[parent].append(pk)
    found: set[int] = set()
    todo = [term_id]
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children.get(pk, []))
    return found


def _sessions(network: Network, year: SchoolYear, treatment: Treatment) -> QuerySet:
    rows = SessionAttendance.objects.filter(
        present=True,
        session__network_id=network.pk,
        session__date__gte=year.start_date,
        session__date__lte=year.end_date,
    )
    if treatment.kind == TreatmentKind.SERVICE:
        return rows.filter(session__service_id=treatment.value)
    if treatment.kind == TreatmentKind.ORGANIZATION:
        return rows.filter(session__organization_id=treatment.value)
    if treatment.kind == TreatmentKind.CATEGORY:
        services = Attribute.objects.filter(
            network_id=network.pk,
            taxonomy_term_id__in=category_terms(network.pk, treatment.value),
            service__isnull=False,
        ).values("service_id")
        return rows.filter(session__service_id__in=services)
    return rows  # a tier: any service


def _dosage(
    network: Network, year: SchoolYear, treatment: Treatment
) -> dict[int, tuple[int, dt.date]]:
    """Student id → (minutes attended, date of the first attended session)."""
    totals = (
        _sessions(network, year, treatment)
        .values("student_id")
        .annotate(
            # The minutes of a row as referrals.session_selectors._row_minutes counts them.
            minutes=Sum(Coalesce("minutes", "session__duration_minutes")),
            first=Min("session__date"),
        )
        .order_by("student_id")
        .values_list("student_id", "minutes", "first")
    )
    return {student: (int(minutes or 0), first) for student, minutes, first in totals}


def _tiers(network: Network, year: SchoolYear) -> tuple[dict[int, int], dict[int, int]]:
    """Student id → highest tier held during the year in attendance, and in any domain."""
    attendance: dict[int, int] = {}
    any_domain: dict[int, int] = {}
    rows = (
        TierAssignment.objects.filter(network_id=network.pk, starts_on__lte=year.end_date)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=year.start_date))
        .values_list("student_id", "domain", "tier")
    )
    for student, domain, tier in rows:
        any_domain[student] = max(any_domain.get(student, 1), tier)
        if domain == TierDomain.ATTENDANCE:
            attendance[student] = max(attendance.get(student, 1), tier)
    return attendance, any_domain


def _code(codes: dict[object, int], value: object) -> int:
    return codes.setdefault(value, len(codes))


def build_cohort(network: Network, year: SchoolYear, treatment: Treatment) -> CohortData:
    """The cohort arrays for `treatment` in `network`'s `year`."""
    all_months = _year_months(year)
    rows = list(
        AttendanceMonth.objects.filter(
            network_id=network.pk, month__gte=all_months[0], month__lte=all_months[-1]
        ).values_list("student_id", "school_id", "month", "enrolled_days", "absent_days")
    )
    months = sorted({r[2] for r in rows})
    month_index = {m: i for i, m in enumerate(months)}
    students = sorted({r[0] for r in rows})
    index = {s: i for i, s in enumerate(students)}
    n, m = len(students), len(months)
    enrolled = np.zeros((n, m), dtype=np.int64)
    absent = np.zeros((n, m), dtype=np.int64)
    days_at: dict[tuple[int, int], int] = defaultdict(int)
    for student, school, month, e, a in rows:
        i, j = index[student], month_index[month]
        enrolled[i, j] += e
        absent[i, j] += a
        days_at[(student, school)] += e
    school_of: dict[int, tuple[int, int]] = {}
    for (student, school), days in days_at.items():
        best = school_of.get(student)
        if best is None or (days, -school) > (best[1], -best[0]):
            school_of[student] = (school, days)

    attendance_tier, any_tier = _tiers(network, year)
    codes: list[dict[object, int]] = [{} for _ in range(7)]
    traits = np.zeros((n, 7), dtype=np.int64)
    stratum = np.zeros(n, dtype=np.int64)
    demographics = Student.objects.filter(network_id=network.pk, pk__in=students).values_list(
        "pk",
        "grade",
        "race_ethnicity",
        "sex",
        "english_learner",
        "disability",
        "economically_disadvantaged",
    )
    for pk, grade, *values in demographics.iterator(chunk_size=5000):
        i = index[pk]
        stratum[i] = school_of[pk][0] * 4 + grade_band(grade)
        found: list[object] = [*values, attendance_tier.get(pk, 1), any_tier.get(pk, 1)]
        traits[i] = [_code(codes[k], v) for k, v in enumerate(found)]

    dosage_of = _dosage(network, year, treatment)
    dosage = np.zeros(n, dtype=np.float64)
    start = np.full(n, -1, dtype=np.int64)
    for student, (minutes, first) in dosage_of.items():
        row = index.get(student)
        if row is None or not minutes:
            continue
        dosage[row] = minutes
        start[row] = _start_month(months, first)
    pool = dosage == 0
    if treatment.kind == TreatmentKind.TIER:
        at_tier = _at_tier(network, year, treatment.value)
        member = np.array([s in at_tier for s in students], dtype=bool)
        pool &= member
        dosage[~member] = 0
        start[~member] = -1
    prior_enrolled = np.zeros(n, dtype=np.int64)
    prior_absent = np.zeros(n, dtype=np.int64)
    for student, e, a in _prior_year(network, year, all_months[0], students):
        prior_enrolled[index[student]] = e
        prior_absent[index[student]] = a
    cohort = Cohort(
        ids=np.array(students, dtype=np.int64),
        stratum=stratum,
        traits=traits,
        enrolled=enrolled,
        absent=absent,
        start=start,
        dosage=dosage,
        pool=pool,
        trait_weights=TRAIT_WEIGHTS,
        prior_enrolled=prior_enrolled,
        prior_absent=prior_absent,
    )
    return CohortData(cohort=cohort, months=months)


def _prior_year(
    network: Network, year: SchoolYear, first_month: dt.date, students: list[int]
) -> list[tuple[int, int, int]]:
    """(student id, enrolled days, absent days) of the previous school year (the network's
    `SchoolYear` that ended last before `year` began), at any school of the network, for the
    students of this year's cohort who have some. One query: the year is a subquery."""
    if not students:
        return []
    prior = SchoolYear.objects.filter(network_id=network.pk, end_date__lt=year.start_date).order_by(
        "-end_date"
    )
    rows = (
        AttendanceMonth.objects.filter(
            network_id=network.pk,
            month__gte=Subquery(prior.annotate(first=TruncMonth("start_date")).values("first")[:1]),
            month__lte=Subquery(prior.values("end_date")[:1]),
            # A month both years touch belongs to this one.
            month__lt=first_month,
        )
        .values("student_id")
        .annotate(enrolled=Sum("enrolled_days"), absent=Sum("absent_days"))
        .order_by("student_id")
        .values_list("student_id", "enrolled", "absent")
    )
    cohort = set(students)
    return [(s, int(e or 0), int(a or 0)) for s, e, a in rows if s in cohort]


def _start_month(months: list[dt.date], first: dt.date) -> int:
    """The index of the month of `first`; past the end (so the student counts as excluded for
    want of a baseline or a follow-up) when it falls outside the months with attendance."""
    month = first.replace(day=1)
    if month < months[0]:
        return len(months)
    return min(bisect.bisect_right(months, month) - 1, len(months))


def _at_tier(network: Network, year: SchoolYear, tier: int) -> set[int]:
    return set(
        TierAssignment.objects.filter(
            network_id=network.pk, tier=tier, starts_on__lte=year.end_date
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=year.start_date))
        .values_list("student_id", flat=True)
    )
