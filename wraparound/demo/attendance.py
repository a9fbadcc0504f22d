"""The school year's attendance for a demo network, and for `small` last year's too (issue 7,
DESIGN.md §7).

The calendar: every school holds classes on the weekdays of the network's current school year
(`SchoolYear.is_current`, NYC-like: early September to late June) except a handful of holidays
and recesses, some 180 days, up to the network's today: the school year so far (no attendance
is made up for days still to come; at least a month and a half when the year has just begun).

Absence model: each school's share of chronically absent students (absent on ≥ 10% of enrolled
days) is the school's own `chronic_absenteeism_rate`, kept within 15–40%. A student's daily
absence probability is log-normal around the school's level, with the level set so that that
share of students lies above 10%; students at tier 2 or 3 in the attendance domain are drawn
from the heavy end. Tardies, early departures and partial days come on top of the present days.

`small` writes the calendar and the non-present events (an enrolled day with no event is a
present day), then fills `AttendanceMonth` through `recompute_months`, as an import would.
`city` writes the calendar and the student × month summaries directly (some 9 million rows),
with the same model drawn per month instead of per day (`_MonthRows`).

The previous school year (`small` only; the profile's `SchoolYear` before the current one): its
whole calendar, and student × month summaries only (no events, as if imported from a district's
summaries), drawn per month by the same `_MonthRows` as `city`'s. The same students, at the
school of their first enrollment this year, enrolled every day of it — except those in their
first year of school (kindergarten and below), who have none. Each student's daily absence
probability last year is this year's (before any planted effect; a student tiered for
attendance was as absent then) times a year-to-year factor, exp(N(0, YEAR_NOISE)): absence is
persistent but not fixed. Nothing is planted in it: nobody had been served. It is drawn after
this year's events, so this year's data do not depend on it. `city` has no previous year (it
would double its 9 million rows and its seed time).

The planted effect (`PlantedEffect`): students who attended at least `EFFECT_HOURS` hours of
sessions of one chosen service have their absence probability lowered by `points` percentage
points (never below zero) on every day from the first of the month after their first session,
so their attendance rate after service start improves by about `points` (a little less for the
few whose probability was already under it). By default `small` plants `EFFECT_POINTS` on the
service with the most students over the threshold; the seed's summary (`DemoData.
planted_effect`) names the service and the students, so a test can ask the evaluation to find
it. `city` plants nothing."""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

from wraparound.core.db import analyze
from wraparound.core.grades import GRADE_ORDER
from wraparound.core.models import SchoolYear
from wraparound.outcomes.attendance.summaries import recompute_months
from wraparound.outcomes.models import (
    AttendanceCategory,
    AttendanceEvent,
    AttendanceMonth,
    InstructionalDay,
)
from wraparound.referrals.models import SessionAttendance
from wraparound.students.models import Student, StudentEnrollment, TierAssignment, TierDomain

from .bulk import KeyedRows, foreign_keys_checked_at_end

if TYPE_CHECKING:
    from .generate import DemoData

ATTENDANCE_TABLES = (InstructionalDay, AttendanceEvent, AttendanceMonth)

EFFECT_POINTS = 5  # percentage points of attendance rate planted in `small`
EFFECT_HOURS = 3  # hours of the chosen service's sessions a student needs to be "served"

CHRONIC_RANGE = (0.15, 0.40)  # schools' chronic-absence shares are kept within this
CHRONIC_SHARE = 0.10
CHRONIC_OFFSET = 0.045
SPREAD = 0.8  # sigma of log(daily absence probability) between the students of a school
MAX_ABSENCE = 0.6
# Sigma of log(daily absence probability) between a student's last year and this year.
YEAR_NOISE = 0.2
EXCUSED_SHARE = 0.4  # of absences
# Per present day: a student's tardy rate is drawn up to TARDY_MAX; early departures and partial
# days are rarer and the same for everyone.
TARDY_MAX = 0.08
EARLY_DEPARTURE = 0.008
PARTIAL = 0.006


@dataclass(frozen=True)
class PlantedEffect:
    service_id: int
    points: float  # percentage points of attendance rate
    hours: float  # the dosage that makes a student served
    # student id → the first day the effect applies (the first of the month after the first
    # session)
    served_from: dict[int, dt.date]


# --- the calendar --------------------------------------------------------------------------


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th (1-based; -1 the last) `weekday` of a month."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    last = following - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _week_of(day: dt.date) -> list[dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return [monday + dt.timedelta(days=i) for i in range(5)]


def holidays(start: dt.date, end: dt.date) -> set[dt.date]:
    """NYC-like days off in the school year from `start` to `end`."""
    fall, spring = start.year, end.year
    election_monday = _nth_weekday(fall, 11, 0, 1)
    thanksgiving = _nth_weekday(fall, 11, 3, 4)
    off = {
        _nth_weekday(fall, 10, 0, 2),  # Indigenous Peoples' Day
        election_monday + dt.timedelta(days=1),  # Election Day
        dt.date(fall, 11, 11),  # Veterans Day
        thanksgiving,
        thanksgiving + dt.timedelta(days=1),
        _nth_weekday(spring, 1, 0, 3),  # Martin Luther King Jr. Day
        *_week_of(_nth_weekday(spring, 2, 0, 3)),  # midwinter recess (Presidents' Day week)
        *_week_of(_nth_weekday(spring, 4, 0, 2)),  # spring recess
        _nth_weekday(spring, 5, 0, -1),  # Memorial Day
        dt.date(spring, 6, 19),  # Juneteenth
    }
    winter = dt.date(fall, 12, 24)
    while winter <= dt.date(spring, 1, 1):  # winter recess
        off.add(winter)
        winter += dt.timedelta(days=1)
    return off


def instructional_days(start: dt.date, end: dt.date) -> list[dt.date]:
    off = holidays(start, end)
    days = []
    day = start
    while day <= end:
        if day.weekday() < 5 and day not in off:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


# --- the absence model ---------------------------------------------------------------------


def school_level(chronic_rate: float) -> float:
    """The mean of log(daily absence probability) that puts `chronic_rate` of a school's
    students above CHRONIC_SHARE."""
    low, high = CHRONIC_RANGE
    rate = min(max(chronic_rate, low), high)
    # Day-to-day chance pushes students just under the threshold over it, and the students
    # tiered for attendance are drawn from the heavy end: aim a little lower (fitted on `small`).
    return math.log(CHRONIC_SHARE) + SPREAD * NormalDist().inv_cdf(rate - CHRONIC_OFFSET)


def _previous_absence(rng: random.Random, p: float) -> float:
    """Last year's daily absence probability of a student whose this year's is `p`: the same
    latent level (tiers included: a student tiered for attendance was as absent last year),
    give or take a year-to-year factor."""
    return min(p * math.exp(rng.gauss(0, YEAR_NOISE)), MAX_ABSENCE)


def _student_absence(rng: random.Random, level: float, attendance_tier: bool) -> float:
    p = math.exp(rng.gauss(level, SPREAD))
    if attendance_tier:
        # Tiered for attendance: "absent on more than one day in ten so far this year".
        p = max(p, rng.uniform(0.11, 0.35))
    return min(p, MAX_ABSENCE)


def _attendance_tiered(network_id: int) -> set[int]:
    return set(
        TierAssignment.objects.filter(network_id=network_id, domain=TierDomain.ATTENDANCE)
        .order_by("id")
        .values_list("student_id", flat=True)
    )


def choose_effect(
    network_id: int,
    service_id: int | None = None,
    points: float = EFFECT_POINTS,
    hours: float = EFFECT_HOURS,
) -> PlantedEffect | None:
    """The planted effect: on `service_id`, or by default on the service with the most students
    who attended at least `hours` of its sessions. None when no student reaches the dosage."""
    minutes: dict[tuple[int, int], int] = defaultdict(int)
    first: dict[tuple[int, int], dt.date] = {}
    rows = (
        SessionAttendance.objects.filter(session__network_id=network_id, present=True)
        .order_by("id")
        .values_list(
            "student_id", "session__service_id", "session__date", "session__duration_minutes"
        )
    )
    for student_id, service, day, duration in rows:
        key = (service, student_id)
        minutes[key] += duration or 0
        first[key] = min(first.get(key, day), day)
    served: dict[int, dict[int, dt.date]] = defaultdict(dict)
    for (service, student_id), total in minutes.items():
        if total >= hours * 60:
            day = first[(service, student_id)]
            following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
            served[service][student_id] = following
    if service_id is None:
        if not served:
            return None
        service_id = min(served, key=lambda s: (-len(served[s]), s))
    chosen = served.get(service_id, {})
    if not chosen:
        return None
    return PlantedEffect(service_id, points, hours, dict(sorted(chosen.items())))


# --- generation ----------------------------------------------------------------------------


def generate_attendance(
    data: DemoData, rng: random.Random, effect: tuple[int, float] | bool | None = True
) -> dict[str, int]:
    """The school year's attendance for `data`'s students (and last year's summaries, but for
    `city`). `effect`: True plants the default effect (small only), a (service id, points) pair
    plants that one, None or False none."""
    if not data.profile.students:
        return {}
    year = next(y for y in data.school_years if y.is_current)
    # Attendance is taken day by day: none for days still to come (the calendar would count
    # them as present days), but at least a month of it whatever the day the demo is seeded.
    today = max(data.network.today(), year.start_date + dt.timedelta(days=45))
    days = [d for d in instructional_days(year.start_date, year.end_date) if d <= today]
    city = data.profile.name == "city"
    previous = None if city else previous_year(data)
    past_days = instructional_days(previous.start_date, previous.end_date) if previous else []
    t0 = time.perf_counter()
    with foreign_keys_checked_at_end(ATTENDANCE_TABLES):
        calendar = KeyedRows(InstructionalDay, chunk=100_000)
        for school in data.schools:
            for day in past_days + days:
                calendar.add(network_id=data.network.pk, school_id=school.pk, date=day)
        counts = {"instructional days": calendar.finish()}
        if city:
            counts.update(_months(data, rng, days))
        else:
            planted = None
            if effect is True:
                planted = choose_effect(data.network.pk)
            elif effect:
                service_id, points = effect
                planted = choose_effect(data.network.pk, service_id, points)
            data.planted_effect = planted
            drawn: dict[int, _Drawn] = {}
            counts.update(_events(data, rng, days, planted, drawn))
            if past_days:
                # Drawn after this year's events, so this year's data do not depend on it.
                counts.update(_previous_months(data, rng, past_days, drawn))
    data.timings["attendance: rows"] = time.perf_counter() - t0
    if data.profile.name != "city":
        t0 = time.perf_counter()
        # The upsert joins tables just filled in this transaction: with the statistics of empty
        # tables PostgreSQL plans nested scans of the events (minutes a month instead of ms).
        analyze(InstructionalDay, AttendanceEvent, StudentEnrollment)
        months = sorted({d.replace(day=1) for d in days})
        counts["attendance school-months"] = recompute_months(
            ((school.pk, month) for school in data.schools for month in months),
            through=days[-1],
        )
        counts["attendance months"] = AttendanceMonth.objects.filter(
            network_id=data.network.pk, month__gte=months[0]
        ).count()
        data.timings["attendance: months"] = time.perf_counter() - t0
    return counts


def _enrollments(network_id: int) -> list[tuple[int, int, dt.date | None, dt.date | None]]:
    return list(
        StudentEnrollment.objects.filter(network_id=network_id)
        .order_by("id")
        .values_list("student_id", "school_id", "begin_date", "end_date")
    )


@dataclass(frozen=True)
class _Drawn:
    """A student's draws for this year: the previous year reuses them."""

    school_id: int
    p: float  # daily absence probability (before any planted effect)
    tardy: float  # tardy rate per present day


def previous_year(data: DemoData) -> SchoolYear | None:
    """The profile's school year before the current one (None: the profile has none)."""
    current = next(y for y in data.school_years if y.is_current)
    earlier = [y for y in data.school_years if y.end_date < current.start_date]
    return max(earlier, key=lambda y: y.end_date, default=None)


def _events(
    data: DemoData,
    rng: random.Random,
    days: list[dt.date],
    planted: PlantedEffect | None,
    drawn: dict[int, _Drawn],
) -> dict[str, int]:
    """The non-present events of this year; each student's draws are left in `drawn`."""
    network_id = data.network.pk
    levels = {s.pk: school_level(float(s.chronic_absenteeism_rate or 0.3)) for s in data.schools}
    tiered = _attendance_tiered(network_id)
    served = planted.served_from if planted else {}
    lift = planted.points / 100 if planted else 0.0
    events = KeyedRows(AttendanceEvent, chunk=100_000)
    c = AttendanceCategory
    absences = 0
    p_by_student: dict[int, float] = {}
    for student_id, school_id, begin, end in _enrollments(network_id):
        if school_id not in levels:
            continue
        # One propensity per student, whichever of their enrollments comes first.
        p = p_by_student.get(student_id)
        if p is None:
            p = _student_absence(rng, levels[school_id], student_id in tiered)
            p_by_student[student_id] = p
        after = max(p - lift, 0.0)
        effect_from = served.get(student_id)
        tardy = rng.uniform(0, TARDY_MAX)
        excused = min(max(rng.gauss(EXCUSED_SHARE, 0.15), 0.05), 0.95)
        drawn.setdefault(student_id, _Drawn(school_id, p, tardy))
        for day in days:
            if (begin and day < begin) or (end and day > end):
                continue
            u = rng.random()
            absent = after if effect_from and day >= effect_from else p
            if u < absent:
                category = c.EXCUSED if rng.random() < excused else c.UNEXCUSED
                minutes = None
                absences += 1
            else:
                v = rng.random()
                if v < tardy:
                    category, minutes = c.TARDY, rng.choice((5, 10, 15, 20, 30))
                elif v < tardy + EARLY_DEPARTURE:
                    category, minutes = c.EARLY_DEPARTURE, rng.choice((60, 90, 120))
                elif v < tardy + EARLY_DEPARTURE + PARTIAL:
                    category, minutes = c.PARTIAL, rng.choice((90, 120, 180))
                else:
                    continue
            events.add(
                network_id=network_id,
                student_id=student_id,
                school_id=school_id,
                date=day,
                category=category,
                minutes=minutes,
            )
    return {"attendance events": events.finish(), "absent days": absences}


class _MonthRows:
    """Student × month summaries drawn per month (normal approximations of the daily draws),
    written directly: `city`'s year, and `small`'s previous year."""

    def __init__(self, network_id: int, rng: random.Random, days: list[dt.date]) -> None:
        self.network_id = network_id
        self.rng = rng
        self.by_month: dict[dt.date, list[dt.date]] = defaultdict(list)
        for day in days:
            self.by_month[day.replace(day=1)].append(day)
        self.rows = KeyedRows(AttendanceMonth, chunk=100_000)

    def draw(self, n: int, p: float) -> int:
        if n <= 0 or p <= 0:
            return 0
        return min(max(round(self.rng.gauss(n * p, math.sqrt(n * p * (1 - p)))), 0), n)

    def add(
        self,
        student_id: int,
        school_id: int,
        begin: dt.date | None,
        end: dt.date | None,
        p: float,
        tardy: float,
    ) -> None:
        """One student's months at one school, enrolled from `begin` to `end` (None: open)."""
        for month, month_days in self.by_month.items():
            enrolled = sum(
                1 for d in month_days if not (begin and d < begin) and not (end and d > end)
            )
            if not enrolled:
                continue
            absent = self.draw(enrolled, p)
            excused = self.draw(absent, EXCUSED_SHARE)
            present = enrolled - absent
            self.rows.add(
                network_id=self.network_id,
                student_id=student_id,
                school_id=school_id,
                month=month,
                enrolled_days=enrolled,
                absent_days=absent,
                excused_days=excused,
                unexcused_days=absent - excused,
                tardies=self.draw(present, tardy),
                early_departures=self.draw(present, EARLY_DEPARTURE),
                partial_days=self.draw(present, PARTIAL),
            )

    def finish(self) -> int:
        return self.rows.finish()


def _months(data: DemoData, rng: random.Random, days: list[dt.date]) -> dict[str, int]:
    """The city: this year's student × month summaries, written directly."""
    network_id = data.network.pk
    levels = {s.pk: school_level(float(s.chronic_absenteeism_rate or 0.3)) for s in data.schools}
    tiered = _attendance_tiered(network_id)
    months = _MonthRows(network_id, rng, days)
    seen: set[int] = set()
    for student_id, school_id, begin, end in _enrollments(network_id):
        if school_id not in levels or student_id in seen:
            continue
        seen.add(student_id)
        p = _student_absence(rng, levels[school_id], student_id in tiered)
        tardy = rng.uniform(0, TARDY_MAX)
        months.add(student_id, school_id, begin, end, p, tardy)
    return {"attendance months": months.finish()}


def _previous_months(
    data: DemoData, rng: random.Random, days: list[dt.date], drawn: dict[int, _Drawn]
) -> dict[str, int]:
    """`small`'s previous school year: summaries only (no events), the whole year at the school
    of this year's first enrollment, for every student but those in their first year of school
    (kindergarten and below). Each student's absence is drawn around this year's level
    (`_previous_absence`); nothing is planted (nobody had been served)."""
    first_year = GRADE_ORDER["KG"]
    grades = dict(Student.objects.filter(network_id=data.network.pk).values_list("pk", "grade"))
    months = _MonthRows(data.network.pk, rng, days)
    for student_id, d in sorted(drawn.items()):
        order = GRADE_ORDER.get(grades.get(student_id, ""))
        if order is not None and order <= first_year:
            continue
        p = _previous_absence(rng, d.p)
        months.add(student_id, d.school_id, None, None, p, d.tardy)
    return {"attendance months (previous year)": months.finish()}
