"""Reads on tiered supports: a student's tiers, a case manager's caseload and a school's tier
distribution. Each runs a fixed number of queries, however many students there are."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from wraparound.core import access
from wraparound.core.models import School

from .models import Student, Tier, TierAssignment, TierDomain


def open_on(day: dt.date) -> Q:
    """Assignments in effect on `day` (ends_on is the last day)."""
    return Q(starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))


def get_assignment_for_user(user: Any, student: Student, pk: Any) -> TierAssignment:
    try:
        return (
            TierAssignment.objects.filter(
                student_id=student.pk,
                student__in=Student.objects.filter(access.student_filter(user)),
            )
            .select_related("school__network", "case_manager")
            .get(pk=pk)
        )
    except (TierAssignment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- one student --------------------------------------------------------------------------------


@dataclass
class DomainTiers:
    domain: str
    label: str
    current: TierAssignment | None = None
    upcoming: list[TierAssignment] = field(default_factory=list)
    past: list[TierAssignment] = field(default_factory=list)


def student_tiers(student: Student, day: dt.date | None = None) -> list[DomainTiers]:
    """Every domain, with the assignment in effect, those to come and those ended."""
    today = day or student.network.today()
    by_domain = {d: DomainTiers(domain=d, label=str(lbl)) for d, lbl in TierDomain.choices}
    for a in student.tiers.select_related("case_manager", "created_by").order_by(
        "-starts_on", "-id"
    ):
        row = by_domain.get(a.domain)
        if row is None:
            continue
        if a.starts_on > today:
            row.upcoming.append(a)
        elif a.ends_on is not None and a.ends_on < today:
            row.past.append(a)
        elif row.current is None:
            row.current = a
        else:  # two in effect at once (legacy data): show the newer, file the other as past
            row.past.append(a)
    return list(by_domain.values())


# --- a case manager's caseload ------------------------------------------------------------------


@dataclass(frozen=True)
class CaseloadRow:
    student: Student
    open_tiers: list[TierAssignment]  # every open assignment of the student, tier 2/3 first

    @property
    def elevated(self) -> list[TierAssignment]:
        return [a for a in self.open_tiers if a.tier >= Tier.TARGETED]

    @property
    def since(self) -> dt.date | None:
        days = [a.starts_on for a in self.elevated] or [a.starts_on for a in self.open_tiers]
        return min(days) if days else None


def caseload(user: Any, day: dt.date | None = None) -> list[CaseloadRow]:
    """Students with an open assignment whose case manager is the user (among the students the
    user still sees), with all their open tiers. Two queries."""
    if not getattr(user, "is_authenticated", False):
        return []
    # The widest "today" across time zones: rows are then checked against each network's day.
    today = day or dt.date.today()
    horizon = today - dt.timedelta(days=1)
    mine = TierAssignment.objects.filter(case_manager_id=user.pk).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=horizon), starts_on__lte=today + dt.timedelta(1)
    )
    students: QuerySet[Student] = (
        Student.objects.filter(access.student_filter(user))
        .filter(pk__in=mine.values("student_id"))
        .select_related("school", "network")
        .prefetch_related(
            Prefetch(
                "tiers",
                queryset=TierAssignment.objects.filter(
                    Q(ends_on__isnull=True) | Q(ends_on__gte=horizon)
                ).order_by("-tier", "starts_on", "id"),
                to_attr="recent_tiers",
            )
        )
        .order_by("school__name", "family_name", "given_name", "id")
    )
    rows: list[CaseloadRow] = []
    for student in students:
        network_day = day or student.network.today()
        current = [
            a
            for a in student.recent_tiers  # type: ignore[attr-defined]
            if a.starts_on <= network_day and (a.ends_on is None or a.ends_on >= network_day)
        ]
        if any(a.case_manager_id == user.pk for a in current):
            rows.append(CaseloadRow(student=student, open_tiers=current))
    return rows


# --- a school's distribution --------------------------------------------------------------------


@dataclass(frozen=True)
class DomainDistribution:
    domain: str
    label: str
    counts: dict[int, int]  # tier → students
    total: int

    def share(self, tier: int) -> float:
        return self.counts[tier] / self.total if self.total else 0.0

    @property
    def cells(self) -> list[tuple[int, int, int]]:
        """(tier, students, whole percent) for each tier."""
        return [(t, self.counts[t], percent(self.counts[t], self.total)) for t in Tier.values]


@dataclass(frozen=True)
class Distribution:
    school: School
    day: dt.date
    total: int
    rows: list[DomainDistribution]
    elevated_any: int  # students at tier 2 or 3 in at least one domain

    @property
    def elevated_percent(self) -> int:
        return percent(self.elevated_any, self.total)


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def tier_distribution(*, school: School, day: dt.date) -> Distribution:
    """Per domain, how many of the school's active students are at each tier on `day`. Tier 1
    is everyone not at tier 2 or 3 in that domain. Two queries."""
    active = Student.objects.filter(school_id=school.pk, is_active=True)
    total = active.count()
    highest: dict[tuple[int, str], int] = defaultdict(int)
    for student_id, domain, tier in (
        TierAssignment.objects.filter(open_on(day), student__in=active, tier__gte=Tier.TARGETED)
        .values_list("student_id", "domain", "tier")
        .iterator()
    ):
        key = (student_id, domain)
        highest[key] = max(highest[key], tier)
    counts: dict[str, dict[int, int]] = {
        d: {Tier.TARGETED: 0, Tier.INTENSIVE: 0} for d in TierDomain.values
    }
    for (_student, domain), tier in highest.items():
        if domain in counts:
            counts[domain][tier] += 1
    rows = []
    for domain, label in TierDomain.choices:
        c = counts[domain]
        rows.append(
            DomainDistribution(
                domain=domain,
                label=str(label),
                counts={
                    Tier.UNIVERSAL: total - c[Tier.TARGETED] - c[Tier.INTENSIVE],
                    Tier.TARGETED: c[Tier.TARGETED],
                    Tier.INTENSIVE: c[Tier.INTENSIVE],
                },
                total=total,
            )
        )
    elevated_any = len({student_id for student_id, _domain in highest})
    return Distribution(school=school, day=day, total=total, rows=rows, elevated_any=elevated_any)
