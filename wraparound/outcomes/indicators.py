"""The outcome indicators (issue 7), computed from the system's own data for a scope (a school,
a network, a partnership, a partner organization) over a period, for all students or split by a
student group (`subgroups`). Every figure comes back as a `suppression.Cell`, suppressed when it
is about fewer than ten students.

These are aggregate reads: nothing here names a student, so callers check only that the viewer
may see the scope's outcomes (`core.access.can_view_*_outcomes`).

Definitions (docs/outcomes.md):
- attendance rate: present days ÷ enrolled days, pooled over the students' months in the period;
- chronic absence rate: chronically absent students ÷ students classified (at least
  `MIN_ENROLLED_DAYS` enrolled days in the period, absent on ≥ 10 % of them);
- referral completion rate: completed ÷ referrals sent in the period that have ended (completed,
  closed, declined or withdrawn after being sent);
- days from referral to first session: the median, over referrals sent in the period whose
  student attended a session under the referral, of the days from sending to that session;
- tier-3 students receiving a service: students at tier 3 in any domain on some day of the
  period who attended at least one session in the period ÷ students at tier 3;
- course pass rate: courses passed ÷ courses with a result, in the school year;
- graduation rate: not held by the system — entered by hand on a goal (`GoalMeasurement`).
The n behind each cell is the number of students it is about."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Min, Q, QuerySet, Sum

from wraparound.agreements.models.partnership import Partnership
from wraparound.core.models import Network, Organization, School
from wraparound.referrals.models import Referral, ReferralStatus, SessionAttendance
from wraparound.students.models import Student, TierAssignment

from .models import AttendanceMonth, CourseResult, Indicator
from .selectors import CHRONIC_SHARE, MIN_ENROLLED_DAYS, school_year_dates
from .subgroups import Split
from .suppression import Cell, cell, suppress_split

PLACES = Decimal("0.0001")

# Lower is better for these; higher for the rest.
LOWER_IS_BETTER = frozenset({Indicator.CHRONIC_ABSENCE_RATE, Indicator.DAYS_TO_FIRST_SESSION})
# Shares (0–1) shown as percentages; the rest are numbers of days.
SHARE_INDICATORS = frozenset(set(Indicator) - {Indicator.DAYS_TO_FIRST_SESSION})
# Indicators the system cannot compute: progress comes from entered measurements.
ENTERED_INDICATORS = frozenset({Indicator.GRADUATION_RATE})

ENDED_STATUSES = (
    ReferralStatus.COMPLETED,
    ReferralStatus.CLOSED,
    ReferralStatus.DECLINED,
    ReferralStatus.WITHDRAWN,
)


@dataclass(frozen=True)
class Scope:
    """Whose outcomes: a network, one school, one partnership (its school's students served
    under it), or a partner organization (the students it served, at any school)."""

    network: Network
    school: School | None = None
    partnership: Partnership | None = None
    organization: Organization | None = None

    @property
    def kind(self) -> str:
        if self.partnership is not None:
            return "partnership"
        if self.organization is not None:
            return "organization"
        if self.school is not None:
            return "school"
        return "network"

    def __str__(self) -> str:
        target = self.partnership or self.organization or self.school or self.network
        return str(target)


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date

    @classmethod
    def school_year(cls, year: int, *, until: dt.date | None = None) -> Period:
        first, last = school_year_dates(year)
        if until is not None and until < last:
            last = max(until, first)
        return cls(first, last)


@dataclass
class IndicatorResult:
    indicator: str
    overall: Cell
    groups: list[Cell] = field(default_factory=list)
    split: str = ""

    @property
    def label(self) -> str:
        return str(Indicator(self.indicator).label)

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "label": self.label,
            "split": self.split,
            "overall": self.overall.as_dict(),
            "groups": [g.as_dict() for g in self.groups],
        }


def _q(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(PLACES, rounding=ROUND_HALF_UP)


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    if denominator <= 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(PLACES, rounding=ROUND_HALF_UP)


# --- who is in the scope ------------------------------------------------------------------------


def served_students(scope: Scope, period: Period) -> QuerySet[Student]:
    """Students who attended at least one session of the partnership / organization in the
    period (the students a partner's outcomes are about)."""
    rows = SessionAttendance.objects.filter(
        present=True, session__date__gte=period.first, session__date__lte=period.last
    )
    if scope.partnership is not None:
        rows = rows.filter(session__partnership_id=scope.partnership.pk)
    elif scope.organization is not None:
        rows = rows.filter(session__organization_id=scope.organization.pk)
    return Student.objects.filter(pk__in=rows.values("student_id"))


def _attendance_rows(scope: Scope, period: Period) -> QuerySet[AttendanceMonth]:
    rows = AttendanceMonth.objects.filter(
        network_id=scope.network.pk, month__gte=period.first.replace(day=1), month__lte=period.last
    )
    if scope.partnership is not None:
        rows = rows.filter(
            _partnership_school(scope.partnership),
            student_id__in=served_students(scope, period).values("pk"),
        )
    elif scope.organization is not None:
        rows = rows.filter(student_id__in=served_students(scope, period).values("pk"))
    elif scope.school is not None:
        rows = rows.filter(school_id=scope.school.pk)
    return rows


def _partnership_school(partnership: Partnership) -> Q:
    """A partnership with no school covers its network's schools."""
    return Q(school_id=partnership.school_id) if partnership.school_id else Q()


def _referrals(scope: Scope, period: Period) -> QuerySet[Referral]:
    # Days are the network's days: a referral sent at 7 pm in New York on the period's last day
    # is in it, though it is already tomorrow in UTC.
    tz = scope.network.tzinfo
    start = dt.datetime.combine(period.first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows = Referral.objects.filter(
        network_id=scope.network.pk, sent_at__gte=start, sent_at__lt=end, student__isnull=False
    )
    if scope.partnership is not None:
        rows = rows.filter(partnership_id=scope.partnership.pk)
    elif scope.organization is not None:
        rows = rows.filter(organization_id=scope.organization.pk)
    elif scope.school is not None:
        rows = rows.filter(school_id=scope.school.pk)
    return rows


def _group_field(split: Split | None, prefix: str = "student__") -> str | None:
    return f"{prefix}{split.field}" if split else None


def _result(
    indicator: str,
    split: Split | None,
    tallies: dict[str, tuple[int, Any]],
    overall: tuple[int, Any],
) -> IndicatorResult:
    """Cells from (n students, value) tallies keyed by group."""
    result = IndicatorResult(
        indicator=indicator, overall=cell(*overall), split=split.key if split else ""
    )
    if split is None:
        return result
    cells, counts = [], []
    known = [key for key, _label in split.groups]
    for key in known + sorted(k for k in tallies if k not in known):
        if key not in tallies:
            continue
        n, value = tallies[key]
        cells.append(cell(n, value, key=key, label=split.group_label(key)))
        counts.append(n)
    result.groups = suppress_split(cells, counts=counts)
    return result


# --- attendance -------------------------------------------------------------------------------


def _student_attendance(
    scope: Scope, period: Period, split: Split | None
) -> list[tuple[str, int, int]]:
    """(group, enrolled days, absent days) per student over the period."""
    group = _group_field(split)
    fields = ["student_id"] + ([group] if group else [])
    rows = (
        _attendance_rows(scope, period)
        .values(*fields)
        .annotate(enrolled=Sum("enrolled_days"), absent=Sum("absent_days"))
        .order_by()
    )
    out = []
    for r in rows:
        key = split.group_key(r[group]) if split and group else ""
        out.append((key, int(r["enrolled"] or 0), int(r["absent"] or 0)))
    return out


def attendance_rate(scope: Scope, period: Period, split: Split | None = None) -> IndicatorResult:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    whole = [0, 0, 0]
    for key, enrolled, absent in _student_attendance(scope, period, split):
        if enrolled <= 0:
            continue
        for t in (totals[key], whole):
            t[0] += 1
            t[1] += enrolled
            t[2] += absent
    tallies = {k: (t[0], _ratio(t[1] - t[2], t[1])) for k, t in totals.items()}
    return _result(
        Indicator.ATTENDANCE_RATE, split, tallies, (whole[0], _ratio(whole[1] - whole[2], whole[1]))
    )


def chronic_absence_rate(
    scope: Scope, period: Period, split: Split | None = None
) -> IndicatorResult:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    whole = [0, 0]
    for key, enrolled, absent in _student_attendance(scope, period, split):
        if enrolled < MIN_ENROLLED_DAYS:
            continue
        chronic = int(Decimal(absent) >= CHRONIC_SHARE * enrolled)
        for t in (totals[key], whole):
            t[0] += 1
            t[1] += chronic
    tallies = {k: (t[0], _ratio(t[1], t[0])) for k, t in totals.items()}
    return _result(
        Indicator.CHRONIC_ABSENCE_RATE, split, tallies, (whole[0], _ratio(whole[1], whole[0]))
    )


def attendance_trend(scope: Scope, period: Period) -> list[Cell]:
    """The attendance rate month by month (key: YYYY-MM), each cell about the students enrolled
    that month."""
    rows = (
        _attendance_rows(scope, period)
        .filter(enrolled_days__gt=0)
        .values("month")
        .annotate(
            n=Count("student_id", distinct=True),
            enrolled=Sum("enrolled_days"),
            absent=Sum("absent_days"),
        )
        .order_by("month")
    )
    return [
        cell(
            r["n"],
            _ratio(int(r["enrolled"]) - int(r["absent"]), int(r["enrolled"])),
            key=f"{r['month']:%Y-%m}",
            label=f"{r['month']:%b %Y}",
        )
        for r in rows
    ]


# --- referrals and services -------------------------------------------------------------------


def referral_completion_rate(
    scope: Scope, period: Period, split: Split | None = None
) -> IndicatorResult:
    group = _group_field(split)
    fields = ["student_id", "status"] + ([group] if group else [])
    rows = (
        _referrals(scope, period).filter(status__in=ENDED_STATUSES).values_list(*fields).order_by()
    )
    students: dict[str, set[int]] = defaultdict(set)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        key = split.group_key(r[2]) if split else ""
        students[key].add(r[0])
        counts[key][0] += 1
        counts[key][1] += int(r[1] == ReferralStatus.COMPLETED)
    everyone = set().union(*students.values()) if students else set()
    tallies = {k: (len(students[k]), _ratio(c[1], c[0])) for k, c in counts.items()}
    ended = sum(c[0] for c in counts.values())
    completed = sum(c[1] for c in counts.values())
    return _result(
        Indicator.REFERRAL_COMPLETION_RATE,
        split,
        tallies,
        (len(everyone), _ratio(completed, ended)),
    )


def days_to_first_session(
    scope: Scope, period: Period, split: Split | None = None
) -> IndicatorResult:
    group = _group_field(split)
    fields = ["student_id", "sent_at"] + ([group] if group else [])
    rows = (
        _referrals(scope, period)
        .annotate(
            first_session=Min(
                "attendance__session__date",
                filter=Q(attendance__present=True),
            )
        )
        .filter(first_session__isnull=False)
        .values_list(*fields, "first_session")
        .order_by()
    )
    days: dict[str, list[int]] = defaultdict(list)
    students: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        key = split.group_key(r[2]) if split else ""
        sent: dt.datetime = r[1]
        first: dt.date = r[-1]
        days[key].append(max((first - sent.date()).days, 0))
        students[key].add(r[0])
    everyone = set().union(*students.values()) if students else set()
    all_days = [d for ds in days.values() for d in ds]
    tallies = {k: (len(students[k]), _median(ds)) for k, ds in days.items()}
    return _result(
        Indicator.DAYS_TO_FIRST_SESSION, split, tallies, (len(everyone), _median(all_days))
    )


def _median(values: list[int]) -> Decimal | None:
    return _q(statistics.median(values)) if values else None


def tier3_served_share(scope: Scope, period: Period, split: Split | None = None) -> IndicatorResult:
    tiers = TierAssignment.objects.filter(tier=3, starts_on__lte=period.last).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=period.first)
    )
    students = Student.objects.filter(
        network_id=scope.network.pk, pk__in=tiers.values("student_id")
    )
    if scope.partnership is not None or scope.organization is not None:
        students = students.filter(pk__in=served_students(scope, period).values("pk"))
        if scope.partnership is not None:
            students = students.filter(_partnership_school(scope.partnership))
    elif scope.school is not None:
        students = students.filter(school_id=scope.school.pk)
    attended = SessionAttendance.objects.filter(
        present=True, session__date__gte=period.first, session__date__lte=period.last
    ).values("student_id")
    fields = ["pk"] + ([split.field] if split else [])
    served = set(students.filter(pk__in=attended).values_list("pk", flat=True))
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in students.values_list(*fields).order_by():
        key = split.group_key(r[1]) if split else ""
        totals[key][0] += 1
        totals[key][1] += int(r[0] in served)
    n = sum(t[0] for t in totals.values())
    tallies = {k: (t[0], _ratio(t[1], t[0])) for k, t in totals.items()}
    return _result(Indicator.TIER3_SERVED_SHARE, split, tallies, (n, _ratio(len(served), n)))


# --- courses ----------------------------------------------------------------------------------


def course_pass_rate(scope: Scope, period: Period, split: Split | None = None) -> IndicatorResult:
    years = {period.last.year + (1 if period.last.month >= 7 else 0)}
    rows = CourseResult.objects.filter(
        network_id=scope.network.pk, school_year__in=years, passed__isnull=False
    )
    if scope.partnership is not None:
        rows = rows.filter(
            _partnership_school(scope.partnership),
            student_id__in=served_students(scope, period).values("pk"),
        )
    elif scope.organization is not None:
        rows = rows.filter(student_id__in=served_students(scope, period).values("pk"))
    elif scope.school is not None:
        rows = rows.filter(school_id=scope.school.pk)
    group = _group_field(split)
    fields = ["student_id", "passed"] + ([group] if group else [])
    students: dict[str, set[int]] = defaultdict(set)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows.values_list(*fields).order_by():
        key = split.group_key(r[2]) if split else ""
        students[key].add(r[0])
        counts[key][0] += 1
        counts[key][1] += int(bool(r[1]))
    everyone = set().union(*students.values()) if students else set()
    tallies = {k: (len(students[k]), _ratio(c[1], c[0])) for k, c in counts.items()}
    total = sum(c[0] for c in counts.values())
    passed = sum(c[1] for c in counts.values())
    return _result(
        Indicator.COURSE_PASS_RATE, split, tallies, (len(everyone), _ratio(passed, total))
    )


def graduation_rate(scope: Scope, period: Period, split: Split | None = None) -> IndicatorResult:
    """Not in the system's data: always an empty (suppressed) cell; goals use measurements."""
    return IndicatorResult(
        indicator=Indicator.GRADUATION_RATE,
        overall=cell(None, None),
        split=split.key if split else "",
    )


COMPUTE = {
    Indicator.ATTENDANCE_RATE: attendance_rate,
    Indicator.CHRONIC_ABSENCE_RATE: chronic_absence_rate,
    Indicator.REFERRAL_COMPLETION_RATE: referral_completion_rate,
    Indicator.DAYS_TO_FIRST_SESSION: days_to_first_session,
    Indicator.TIER3_SERVED_SHARE: tier3_served_share,
    Indicator.COURSE_PASS_RATE: course_pass_rate,
    Indicator.GRADUATION_RATE: graduation_rate,
}


def compute(
    indicator: str, scope: Scope, period: Period, split: Split | None = None
) -> IndicatorResult:
    return COMPUTE[Indicator(indicator)](scope, period, split)


def compute_all(
    scope: Scope,
    period: Period,
    split: Split | None = None,
    indicators: Iterable[str] | None = None,
) -> list[IndicatorResult]:
    chosen = [Indicator(i) for i in indicators] if indicators else list(Indicator)
    return [compute(i, scope, period, split) for i in chosen if i not in ENTERED_INDICATORS]
