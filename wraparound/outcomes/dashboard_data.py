"""What the outcome dashboards show (issue 7), as data: a school's, a network's and a partner's.

Pure builders — no request, no HTML — so that the pages, the JSON API and the PDF/XLSX reports
show the same figures. Every figure about students is a `suppression.Cell` (suppressed under ten
students, with complementary suppression inside a split); counts of students (tiers, the
referral funnel, students served) are cells too. Callers check who may see the scope first
(`core.access.can_view_*_outcomes`).

The school and partner dashboards are computed live; the network dashboard reads the rollup
(`outcomes.rollup`), rebuilt after attendance imports, nightly, and on demand, because a large
network's attendance is millions of rows."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from wraparound.agreements.models.partnership import Partnership, PartnershipStatus
from wraparound.core.models import Network, Organization, School, SchoolYear
from wraparound.core.need_index import need_indexes
from wraparound.referrals import session_selectors
from wraparound.referrals.models import ReferralStatus, SessionAttendance
from wraparound.students.models import Tier, TierAssignment, TierDomain

from . import goal_selectors, indicators
from .indicators import IndicatorResult, Period, Scope
from .models import Indicator
from .subgroups import Split
from .suppression import Cell, cell, suppress_split

# The statuses of the referral funnel, in the order a referral moves through them.
FUNNEL_STATUSES = (
    ReferralStatus.SENT,
    ReferralStatus.ACCEPTED,
    ReferralStatus.WAITLISTED,
    ReferralStatus.IN_SERVICE,
    ReferralStatus.COMPLETED,
    ReferralStatus.DECLINED,
    ReferralStatus.CLOSED,
    ReferralStatus.WITHDRAWN,
)
TIERS = (Tier.UNIVERSAL, Tier.TARGETED, Tier.INTENSIVE)
# The indicators of the network's per-school table (the rollup holds them per school).
SCHOOL_TABLE_INDICATORS = (
    Indicator.ATTENDANCE_RATE,
    Indicator.CHRONIC_ABSENCE_RATE,
    Indicator.REFERRAL_COMPLETION_RATE,
)
RANKINGS = {
    "chronic_absence_rate": _("chronic absence rate (highest first)"),
    "attendance_rate": _("attendance rate (lowest first)"),
    "need_index": _("need index (highest first)"),
    "referral_completion_rate": _("referral completion rate (lowest first)"),
    "name": _("school code"),
}


# --- the parts ---------------------------------------------------------------------------------


@dataclass
class NeedRow:
    category: str
    severity: int
    students: int  # the assessment's estimate, not a count of named students
    covered: int
    open: int

    @property
    def covered_share(self) -> float:
        return round(self.covered / self.students, 4) if self.students else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "severity": self.severity,
            "students": self.students,
            "covered": self.covered,
            "open": self.open,
            "covered_share": self.covered_share,
        }


@dataclass
class NeedsCoverage:
    """The needs of the school's assessment of the year, and how much of each the school's
    assets and active partnerships cover (`assessments.gaps`)."""

    rows: list[NeedRow] = field(default_factory=list)

    @property
    def students(self) -> int:
        return sum(r.students for r in self.rows)

    @property
    def covered(self) -> int:
        return sum(r.covered for r in self.rows)

    @property
    def covered_share(self) -> float | None:
        return round(self.covered / self.students, 4) if self.students else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "students": self.students,
            "covered": self.covered,
            "covered_share": self.covered_share,
            "needs": [r.as_dict() for r in self.rows],
        }


@dataclass
class TierRow:
    """Students at each tier in one domain (cells keyed "1", "2", "3")."""

    domain: str
    label: str
    tiers: list[Cell]

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "label": self.label,
            "tiers": [c.as_dict() for c in self.tiers],
        }


@dataclass
class Funnel:
    """Referrals sent in the year, by where they are now. Each cell's value is the number of
    referrals, its n the number of students they are about."""

    total: Cell
    statuses: list[Cell]

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total.as_dict(), "statuses": [c.as_dict() for c in self.statuses]}


@dataclass
class Dosage:
    """Sessions attended in the year: students served, total hours, mean hours per student."""

    students: Cell
    hours: Cell
    mean_hours: Cell
    sessions: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "students": self.students.as_dict(),
            "hours": self.hours.as_dict(),
            "mean_hours": self.mean_hours.as_dict(),
            "sessions": self.sessions,
        }


def _split_key(split: Split | None) -> str:
    return split.key if split else ""


# --- tallies (shared with the rollup) ----------------------------------------------------------


def needs_coverage(school: School, year: int) -> NeedsCoverage:
    from wraparound.assessments.gaps import gaps_for
    from wraparound.assessments.models import Need

    school_year = SchoolYear.objects.filter(network_id=school.network_id, end_year=year).first()
    if school_year is None:
        return NeedsCoverage()
    gaps = gaps_for(network=school.network, school_year=school_year, schools=[school])
    if not gaps:
        return NeedsCoverage()
    names = dict(Need.objects.filter(pk__in=gaps).values_list("pk", "category__name").order_by())
    rows = [
        NeedRow(
            category=names.get(g.need_id, ""),
            severity=g.severity,
            students=g.students,
            covered=g.students - g.open,
            open=g.open,
        )
        for g in gaps.values()
    ]
    rows.sort(key=lambda r: (-r.severity, -r.open, r.category))
    return NeedsCoverage(rows)


def tier_tallies(scope: Scope, day: dt.date) -> dict[tuple[str, int], int]:
    """(domain, tier) → students holding that tier on `day`."""
    rows = TierAssignment.objects.filter(network_id=scope.network.pk, starts_on__lte=day).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=day)
    )
    if scope.school is not None:
        rows = rows.filter(school_id=scope.school.pk)
    elif scope.organization is not None:
        served = indicators.served_students(scope, Period(day - dt.timedelta(days=365), day))
        rows = rows.filter(student_id__in=served.values("pk"))
    return {
        (r["domain"], r["tier"]): r["n"]
        for r in rows.values("domain", "tier")
        .annotate(n=Count("student_id", distinct=True))
        .order_by()
    }


def tier_rows(tallies: dict[tuple[str, int], int]) -> list[TierRow]:
    out = []
    for domain, label in TierDomain.choices:
        counts = [tallies.get((domain, int(t)), 0) for t in TIERS]
        if not any(counts):
            continue
        cells = [
            cell(n, n, key=str(int(t)), label=str(t.label))
            for t, n in zip(TIERS, counts, strict=True)
        ]
        out.append(TierRow(domain, str(label), suppress_split(cells, counts=counts)))
    return out


def _referrals_sent(scope: Scope, period: Period) -> Any:
    return indicators._referrals(scope, period)


def funnel_tallies(scope: Scope, period: Period) -> dict[str, tuple[int, int]]:
    """status → (students, referrals) for referrals sent in the period."""
    rows = (
        _referrals_sent(scope, period)
        .values("status")
        .annotate(students=Count("student_id", distinct=True), referrals=Count("id"))
        .order_by()
    )
    return {r["status"]: (r["students"], r["referrals"]) for r in rows}


def funnel_students(scope: Scope, period: Period) -> int:
    return int(
        _referrals_sent(scope, period).aggregate(n=Count("student_id", distinct=True))["n"] or 0
    )


def funnel(tallies: dict[str, tuple[int, int]], students: int) -> Funnel:
    cells, counts = [], []
    for status in FUNNEL_STATUSES:
        n, referrals = tallies.get(status, (0, 0))
        cells.append(cell(n, referrals, key=str(status), label=str(status.label)))
        counts.append(n)
    total = sum(t[1] for t in tallies.values())
    return Funnel(
        cell(students, total, key="total", label=str(_("sent"))),
        suppress_split(cells, counts=counts),
    )


def dosage_tallies(scope: Scope, period: Period) -> tuple[int, int, int]:
    """(students served, minutes, sessions) of the sessions attended in the period."""
    rows = SessionAttendance.objects.filter(
        present=True,
        session__network_id=scope.network.pk,
        session__date__gte=period.first,
        session__date__lte=period.last,
    )
    if scope.partnership is not None:
        rows = rows.filter(session__partnership_id=scope.partnership.pk)
    elif scope.organization is not None:
        rows = rows.filter(session__organization_id=scope.organization.pk)
    elif scope.school is not None:
        rows = rows.filter(session__school_id=scope.school.pk)
    totals = rows.aggregate(
        students=Count("student_id", distinct=True),
        sessions=Count("session_id", distinct=True),
        minutes=Sum(Coalesce("minutes", F("session__duration_minutes"))),
    )
    return int(totals["students"] or 0), int(totals["minutes"] or 0), int(totals["sessions"] or 0)


def dosage(students: int, minutes: int, sessions: int) -> Dosage:
    hours = round(Decimal(minutes) / 60, 1)
    mean = round(Decimal(minutes) / 60 / students, 1) if students else None
    return Dosage(
        students=cell(students, students, key="students", label=str(_("students served"))),
        hours=cell(students, hours, key="hours", label=str(_("hours attended"))),
        mean_hours=cell(students, mean, key="mean_hours", label=str(_("hours per student"))),
        sessions=sessions,
    )


def _goals(scope: Scope, today: dt.date, stored: Any = None, year: int | None = None) -> list[Any]:
    """The scope's goals with their progress. With the rollup read for the page (`stored`, of
    school year `year`), a goal of this scope whose value is for that year takes it from there
    instead of recomputing it (a network-wide attendance goal computed live takes seconds on a
    large network)."""
    if stored is None:
        return list(goal_selectors.goals_with_progress(scope, today=today))
    first = Period.school_year(year or 0).first
    where = scope.school.pk if scope.school is not None else None
    by_indicator = {r.indicator: r.overall for r in stored.indicators_of(where, None)}

    def current(goal: Any, period: Period) -> Cell | None:
        same_scope = (goal.scope == "network" and where is None) or (
            goal.scope == "school" and where is not None and goal.school_id == where
        )
        if not same_scope or period.first != first:
            return None
        return by_indicator.get(goal.indicator)

    return list(goal_selectors.goals_with_progress(scope, today=today, current=current))


def _as_of(year: int, today: dt.date) -> dt.date:
    return min(today, Period.school_year(year).last)


# --- the school --------------------------------------------------------------------------------


@dataclass
class SchoolDashboard:
    school: School
    year: int
    period: Period
    split: str
    needs: NeedsCoverage
    tiers: list[TierRow]
    funnel: Funnel
    dosage: Dosage
    trend: list[Cell]
    indicators: list[IndicatorResult]
    goals: list[Any]
    as_of: dt.datetime | None = None  # None: computed live

    def as_dict(self) -> dict[str, Any]:
        return {
            "school": {"id": self.school.pk, "code": self.school.code, "name": self.school.name},
            "year": self.year,
            "period": {
                "first": self.period.first.isoformat(),
                "last": self.period.last.isoformat(),
            },
            "split": self.split,
            "needs": self.needs.as_dict(),
            "tiers": [t.as_dict() for t in self.tiers],
            "funnel": self.funnel.as_dict(),
            "dosage": self.dosage.as_dict(),
            "attendance_trend": [c.as_dict() for c in self.trend],
            "indicators": [r.as_dict() for r in self.indicators],
            "goals": [_goal_dict(g) for g in self.goals],
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }


def _goal_dict(goal: Any) -> dict[str, Any]:
    return goal.as_dict() if hasattr(goal, "as_dict") else {"goal": str(goal)}


def school_dashboard(
    school: School,
    year: int,
    *,
    split: Split | None = None,
    today: dt.date | None = None,
    live: bool = False,
) -> SchoolDashboard:
    """The indicators and dosage come from the network's rollup when it has been built for the
    year (a large school's live indicators take about a second), unless `live`; the rest is
    computed now (a few small queries)."""
    from . import rollup

    today = today or school.network.today()
    period = Period.school_year(year, until=today)
    scope = Scope(network=school.network, school=school)
    stored = None if live else rollup.read_school(school, year, split=split)
    if stored is not None:
        results = stored.indicators_of(school.pk, split)
        served = dosage(*stored.dosage_of(school.pk))
    else:
        results = indicators.compute_all(scope, period, split)
        served = dosage(*dosage_tallies(scope, period))
    return SchoolDashboard(
        school=school,
        year=year,
        period=period,
        split=_split_key(split),
        needs=needs_coverage(school, year),
        tiers=tier_rows(tier_tallies(scope, _as_of(year, today))),
        funnel=funnel(funnel_tallies(scope, period), funnel_students(scope, period)),
        dosage=served,
        trend=indicators.attendance_trend(scope, period),
        indicators=results,
        goals=_goals(scope, today, stored, year),
        as_of=stored.refreshed_at if stored is not None else None,
    )


# --- the network -------------------------------------------------------------------------------


@dataclass
class SchoolRow:
    """One school of the network's table: its need index and its figures (all students, and
    the chosen split's groups of the chronic absence rate)."""

    school_id: int
    code: str
    name: str
    need_index: float | None
    students: Cell
    figures: dict[str, Cell]
    needs_covered: float | None = None
    chronic_groups: list[Cell] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "school": {"id": self.school_id, "code": self.code, "name": self.name},
            "need_index": self.need_index,
            "students": self.students.as_dict(),
            "figures": {k: c.as_dict() for k, c in self.figures.items()},
            "needs_covered": self.needs_covered,
            "chronic_groups": [c.as_dict() for c in self.chronic_groups],
        }


@dataclass
class NetworkDashboard:
    network: Network
    year: int
    period: Period
    split: str
    schools: list[SchoolRow]
    tiers: list[TierRow]
    funnel: Funnel
    dosage: Dosage
    trend: list[Cell]
    indicators: list[IndicatorResult]
    goals: list[Any]
    as_of: dt.datetime | None

    @property
    def scatter(self) -> list[dict[str, Any]]:
        """Need index against chronic absence rate, one point per school whose rate is shown."""
        points = []
        for row in self.schools:
            rate = row.figures.get(Indicator.CHRONIC_ABSENCE_RATE)
            if row.need_index is None or rate is None or rate.suppressed or rate.value is None:
                continue
            points.append(
                {"x": row.need_index, "y": float(rate.value), "label": f"{row.code} {row.name}"}
            )
        return points

    def as_dict(self) -> dict[str, Any]:
        return {
            "network": {"slug": self.network.slug, "name": self.network.name},
            "year": self.year,
            "period": {
                "first": self.period.first.isoformat(),
                "last": self.period.last.isoformat(),
            },
            "split": self.split,
            "schools": [r.as_dict() for r in self.schools],
            "tiers": [t.as_dict() for t in self.tiers],
            "funnel": self.funnel.as_dict(),
            "dosage": self.dosage.as_dict(),
            "attendance_trend": [c.as_dict() for c in self.trend],
            "indicators": [r.as_dict() for r in self.indicators],
            "scatter": self.scatter,
            "goals": [_goal_dict(g) for g in self.goals],
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }


def _rank_key(order: str) -> Any:
    def figure(row: SchoolRow, key: str) -> float | None:
        c = row.figures.get(key)
        return None if c is None or c.suppressed or c.value is None else float(c.value)

    def key(row: SchoolRow) -> tuple[Any, ...]:
        if order == "name":
            return (row.code,)
        v = row.need_index if order == "need_index" else figure(row, order)
        missing = v is None
        lower_first = order in ("attendance_rate", "referral_completion_rate")
        return (missing, (v or 0.0) if lower_first else -(v or 0.0), row.code)

    return key


def network_dashboard(
    network: Network,
    year: int,
    *,
    split: Split | None = None,
    today: dt.date | None = None,
    order: str = "chronic_absence_rate",
) -> NetworkDashboard:
    """The network's figures from its rollup of the year (rebuilt now when there is none)."""
    from . import rollup

    today = today or network.today()
    period = Period.school_year(year, until=today)
    stored = rollup.read(network, year, split=split, refresh_missing=True)
    indexes = need_indexes(network)
    schools = list(
        School.objects.filter(network=network).values_list("pk", "code", "name").order_by("code")
    )
    rows = []
    for pk, code, name in schools:
        figures = {str(i): stored.school_cell(pk, i) for i in SCHOOL_TABLE_INDICATORS}
        attendance = stored.school_tally(pk, Indicator.ATTENDANCE_RATE)
        rows.append(
            SchoolRow(
                school_id=pk,
                code=code,
                name=name,
                need_index=indexes.get(pk),
                students=cell(attendance, attendance, key="students"),
                figures=figures,
                needs_covered=stored.needs_covered(pk),
                chronic_groups=(
                    stored.school_groups(pk, Indicator.CHRONIC_ABSENCE_RATE, split) if split else []
                ),
            )
        )
    rows.sort(key=_rank_key(order if order in RANKINGS else "chronic_absence_rate"))
    scope = Scope(network=network)
    return NetworkDashboard(
        network=network,
        year=year,
        period=period,
        split=_split_key(split),
        schools=rows,
        tiers=tier_rows(stored.tiers()),
        funnel=funnel(stored.funnel(), stored.funnel_students()),
        dosage=dosage(*stored.dosage()),
        trend=stored.trend(),
        indicators=stored.network_indicators(split),
        goals=_goals(scope, today, stored if stored.refreshed_at else None, year),
        as_of=stored.refreshed_at,
    )


# --- a partner ---------------------------------------------------------------------------------


@dataclass
class DeliveryLine:
    """Delivered against promised for one deliverable of one partnership's MOU. Counts of
    people (students, families) are cells."""

    partnership_id: int
    school: str
    deliverable: str
    unit: str
    expected_to_date: float
    expected_term: float
    delivered: Cell
    sessions: int
    hours: float
    students: Cell

    @property
    def percentage(self) -> int | None:
        if self.delivered.suppressed or self.expected_to_date <= 0:
            return None
        return round(100 * float(self.delivered.value or 0) / self.expected_to_date)

    def as_dict(self) -> dict[str, Any]:
        return {
            "partnership": self.partnership_id,
            "school": self.school,
            "deliverable": self.deliverable,
            "unit": self.unit,
            "expected_to_date": self.expected_to_date,
            "expected_term": self.expected_term,
            "delivered": self.delivered.as_dict(),
            "percentage": self.percentage,
            "sessions": self.sessions,
            "hours": self.hours,
            "students": self.students.as_dict(),
        }


@dataclass
class PartnerDashboard:
    organization: Organization
    year: int
    period: Period
    split: str
    received: Funnel
    response_days: Cell  # median days from sending to the partner's answer
    delivery: list[DeliveryLine]
    dosage: Dosage
    indicators: list[IndicatorResult]

    def as_dict(self) -> dict[str, Any]:
        return {
            "organization": {"id": self.organization.pk, "name": self.organization.name},
            "year": self.year,
            "period": {
                "first": self.period.first.isoformat(),
                "last": self.period.last.isoformat(),
            },
            "split": self.split,
            "received": self.received.as_dict(),
            "response_days": self.response_days.as_dict(),
            "delivery": [d.as_dict() for d in self.delivery],
            "dosage": self.dosage.as_dict(),
            "indicators": [r.as_dict() for r in self.indicators],
        }


def response_days(scope: Scope, period: Period) -> Cell:
    rows = (
        _referrals_sent(scope, period)
        .filter(responded_at__isnull=False)
        .values_list("student_id", "sent_at", "responded_at")
        .order_by()
    )
    days, students = [], set()
    for student_id, sent, responded in rows:
        days.append(max((responded - sent).total_seconds(), 0) / 86400)
        students.add(student_id)
    value = round(Decimal(str(statistics.median(days))), 1) if days else None
    return cell(len(students), value, key="response_days", label=str(_("median days to answer")))


def partner_delivery(organization: Organization, year: int) -> list[DeliveryLine]:
    """Delivered against promised for each of the partner's partnerships of the year, through
    the same arithmetic as the partnership page (`referrals.session_selectors`)."""
    partnerships = (
        Partnership.objects.filter(
            organization=organization,
            school_year__end_year=year,
            status__in=[PartnershipStatus.ACTIVE, PartnershipStatus.ENDED],
        )
        .select_related("school", "network")
        .order_by("school__code", "pk")
    )
    lines = []
    for partnership in partnerships:
        for row in _delivery_rows(partnership):
            deliverable = row.deliverable
            # A count of people under ten is suppressed; sessions and hours are not about
            # students and are shown as they are.
            people = deliverable.unit in ("students", "families")
            delivered = (
                cell(row.students, row.delivered) if people else Cell(n=None, value=row.delivered)
            )
            lines.append(
                DeliveryLine(
                    partnership_id=partnership.pk,
                    school=str(partnership.school or partnership.network),
                    deliverable=str(deliverable),
                    unit=str(deliverable.get_unit_display()),
                    expected_to_date=row.expected_to_date,
                    expected_term=row.expected_term,
                    delivered=delivered,
                    sessions=row.sessions,
                    hours=row.hours,
                    students=cell(row.students, row.students),
                )
            )
    return lines


def _delivery_rows(partnership: Partnership) -> list[Any]:
    """`session_selectors.partnership_delivery` without its viewer check (the dashboard's caller
    has checked the organization): the same MOU, sessions and arithmetic."""
    day = partnership.network.today()
    _agreement, version = session_selectors.mou_version(partnership)
    return session_selectors.delivery_rows(partnership, version, day)


def partner_dashboard(
    organization: Organization,
    year: int,
    *,
    split: Split | None = None,
    today: dt.date | None = None,
) -> PartnerDashboard:
    network = organization.network
    today = today or network.today()
    period = Period.school_year(year, until=today)
    scope = Scope(network=network, organization=organization)
    return PartnerDashboard(
        organization=organization,
        year=year,
        period=period,
        split=_split_key(split),
        received=funnel(funnel_tallies(scope, period), funnel_students(scope, period)),
        response_days=response_days(scope, period),
        delivery=partner_delivery(organization, year),
        dosage=dosage(*dosage_tallies(scope, period)),
        indicators=indicators.compute_all(scope, period, split),
    )


def default_year(network: Network, today: dt.date | None = None) -> int:
    """The network's current school year, else the one today falls in."""
    current = (
        SchoolYear.objects.filter(network=network, is_current=True)
        .values_list("end_year", flat=True)
        .first()
    )
    if current:
        return int(current)
    day = today or network.today()
    return day.year + 1 if day.month >= 7 else day.year


__all__ = [
    "RANKINGS",
    "NetworkDashboard",
    "PartnerDashboard",
    "SchoolDashboard",
    "default_year",
    "network_dashboard",
    "partner_dashboard",
    "school_dashboard",
]
