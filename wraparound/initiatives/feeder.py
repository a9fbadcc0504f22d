"""Where an initiative reaches students along the feeder patterns, and where the sequence breaks.

A feeder pattern is a top school (one that feeds no other school of the network, typically a high
school) with every school that feeds into it, directly or through others: elementary → middle →
high. A school in no chain is a pattern of its own.

For every grade TK–12 the pattern has a row: the schools of the pattern that teach the grade
(several when two elementary schools feed one middle school, or spans overlap) and, for each,
whether the initiative reaches it there — the school has a plan being planned or carried out
(`REACHING_STATUSES`) whose grades, or whose activities' grades, include it. Within the
initiative's target grades, every (grade, school) pair not reached is part of a gap, and the
gaps are named per school ("Grades 6–8 at X Middle: no plan"). Coverage is the share of such
pairs reached; the first break is the gap at the lowest grade. A grade no school of the pattern
teaches is shown as such and counts neither way: there is nothing there for a plan to reach.

Pure functions on plain values, so that hand-made patterns can be tested without a database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from wraparound.core.grades import GRADE_ORDER, Grade, grade_span_label

from .models import REACHING_STATUSES, TARGET_GRADES, PlanStatus


class Reason:
    REACHED = ""
    NO_PLAN = "no_plan"
    NOT_IN_PLAN = "not_in_plan"
    NOT_STARTED = PlanStatus.NOT_STARTED.value
    PAUSED = PlanStatus.PAUSED.value
    COMPLETE = PlanStatus.COMPLETE.value


def reason_text(reason: str) -> str:
    return {
        Reason.NO_PLAN: _("no plan"),
        Reason.NOT_IN_PLAN: _("not in the plan"),
        Reason.NOT_STARTED: _("plan not started"),
        Reason.PAUSED: _("plan paused"),
        Reason.COMPLETE: _("plan complete"),
    }.get(reason, _("reached"))


class RowStatus:
    REACHED = "reached"
    PARTIAL = "partial"
    GAP = "gap"
    NOT_SERVED = "not_served"
    OUTSIDE = "outside"


def row_status_text(status: str) -> str:
    return {
        RowStatus.REACHED: _("reached"),
        RowStatus.PARTIAL: _("partly reached"),
        RowStatus.GAP: _("gap"),
        RowStatus.NOT_SERVED: _("no school of the pattern teaches this grade"),
        RowStatus.OUTSIDE: _("outside the initiative's grades"),
    }[status]


@dataclass(frozen=True)
class SchoolInfo:
    pk: int
    name: str
    grade_low: str
    grade_high: str
    feeder_to_id: int | None = None

    @property
    def grades(self) -> list[str]:
        """The grades TK–12 the school teaches, in order."""
        return span(self.grade_low, self.grade_high)

    @property
    def span_label(self) -> str:
        return grade_span_label(self.grade_low, self.grade_high)


@dataclass(frozen=True)
class PlanInfo:
    school_id: int
    status: str
    grades: frozenset[str]  # the plan's grades and its activities' grades
    pk: int | None = None


def span(low: str, high: str) -> list[str]:
    """Grades TK–12 from `low` to `high` (codes outside the sequence give nothing)."""
    if low not in GRADE_ORDER or high not in GRADE_ORDER:
        return []
    lo, hi = GRADE_ORDER[low], GRADE_ORDER[high]
    return [g for g in TARGET_GRADES if lo <= GRADE_ORDER[g] <= hi]


def grades_label(grades: list[str]) -> str:
    """ "Grade 6", "Kindergarten", "Grades 6–8" (the grades are consecutive)."""
    if len(grades) == 1:
        return str(Grade(grades[0]).label)
    return _("Grades %(span)s") % {"span": grade_span_label(grades[0], grades[-1])}


# --- patterns --------------------------------------------------------------------------------


@dataclass
class Pattern:
    top: SchoolInfo
    schools: list[SchoolInfo]  # the top school last; the rest by their lowest grade, then name

    @property
    def key(self) -> int:
        return self.top.pk


def feeder_patterns(schools: Iterable[SchoolInfo]) -> list[Pattern]:
    """Every school in exactly one pattern; patterns in the order of their top schools' names."""
    by_pk = {s.pk: s for s in schools}

    def top_of(school: SchoolInfo) -> int:
        seen: list[int] = []
        current = school
        while True:
            seen.append(current.pk)
            nxt = current.feeder_to_id
            if nxt is None or nxt not in by_pk:
                return current.pk
            if nxt in seen:  # a loop of feeders: the loop's lowest id stands for it
                return min(seen[seen.index(nxt) :])
            current = by_pk[nxt]

    members: dict[int, list[SchoolInfo]] = {}
    for school in by_pk.values():
        members.setdefault(top_of(school), []).append(school)
    patterns: list[Pattern] = []
    for top_pk, group in members.items():
        top = by_pk[top_pk]
        rest = sorted(
            (s for s in group if s.pk != top_pk),
            key=lambda s: (GRADE_ORDER.get(s.grade_low, 99), s.name, s.pk),
        )
        patterns.append(Pattern(top=top, schools=[*rest, top]))
    patterns.sort(key=lambda p: (p.top.name, p.top.pk))
    return patterns


# --- coverage --------------------------------------------------------------------------------


@dataclass
class Cell:
    school: SchoolInfo
    reason: str  # Reason.REACHED when reached

    @property
    def reached(self) -> bool:
        return self.reason == Reason.REACHED

    @property
    def text(self) -> str:
        return reason_text(self.reason)


@dataclass
class GradeRow:
    grade: str
    in_target: bool
    cells: list[Cell]

    @property
    def label(self) -> str:
        return str(Grade(self.grade).label)

    @property
    def status(self) -> str:
        if not self.in_target:
            return RowStatus.OUTSIDE
        if not self.cells:
            return RowStatus.NOT_SERVED
        reached = sum(c.reached for c in self.cells)
        if reached == len(self.cells):
            return RowStatus.REACHED
        return RowStatus.PARTIAL if reached else RowStatus.GAP

    @property
    def status_text(self) -> str:
        return row_status_text(self.status)


@dataclass
class Gap:
    school: SchoolInfo
    grades: list[str]
    reason: str

    @property
    def text(self) -> str:
        return _("%(grades)s at %(school)s: %(reason)s") % {
            "grades": grades_label(self.grades),
            "school": self.school.name,
            "reason": reason_text(self.reason),
        }

    def as_dict(self) -> dict[str, object]:
        return {
            "school_id": self.school.pk,
            "school": self.school.name,
            "grades": self.grades,
            "reason": self.reason,
            "text": self.text,
        }


@dataclass
class SchoolSummary:
    school: SchoolInfo
    plan: PlanInfo | None
    target_grades: list[str]  # the school's grades within the initiative's
    reached: list[str]
    gaps: list[Gap] = field(default_factory=list)

    @property
    def plan_status(self) -> str:
        return self.plan.status if self.plan else ""

    @property
    def plan_status_text(self) -> str:
        if self.plan is None:
            return _("no plan")
        return str(PlanStatus(self.plan.status).label)

    @property
    def reached_label(self) -> str:
        return ", ".join(grades_label(run) for run in runs(self.reached)) or "—"


@dataclass
class PatternCoverage:
    pattern: Pattern
    rows: list[GradeRow]
    schools: list[SchoolSummary]
    gaps: list[Gap]
    reached: int
    total: int

    @property
    def name(self) -> str:
        return _("%(school)s pattern") % {"school": self.pattern.top.name}

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return round(100 * self.reached / self.total)

    @property
    def first_break(self) -> Gap | None:
        return self.gaps[0] if self.gaps else None

    @property
    def reached_label(self) -> str:
        grades = [r.grade for r in self.rows if r.in_target and r.status == RowStatus.REACHED]
        return ", ".join(grades_label(run) for run in runs(grades)) or "—"

    def as_dict(self) -> dict[str, object]:
        return {
            "top_school_id": self.pattern.top.pk,
            "name": self.name,
            "schools": [
                {
                    "id": s.school.pk,
                    "name": s.school.name,
                    "grades": s.school.grades,
                    "plan_id": s.plan.pk if s.plan else None,
                    "plan_status": s.plan_status or None,
                    "reached": s.reached,
                    "gaps": [g.as_dict() for g in s.gaps],
                }
                for s in self.schools
            ],
            "grades": [
                {
                    "grade": r.grade,
                    "in_target": r.in_target,
                    "status": r.status,
                    "schools": [
                        {"id": c.school.pk, "reached": c.reached, "reason": c.reason or None}
                        for c in r.cells
                    ],
                }
                for r in self.rows
            ],
            "coverage_percent": self.percent,
            "reached": self.reached,
            "total": self.total,
            "gaps": [g.as_dict() for g in self.gaps],
            "first_break": self.first_break.as_dict() if self.first_break else None,
        }


def runs(grades: Iterable[str]) -> list[list[str]]:
    """Consecutive grades (in TK–12 order) grouped together."""
    ordered = sorted(set(grades), key=lambda g: GRADE_ORDER[g])
    out: list[list[str]] = []
    for g in ordered:
        if out and GRADE_ORDER[out[-1][-1]] + 1 == GRADE_ORDER[g]:
            out[-1].append(g)
        else:
            out.append([g])
    return out


def _reason(plan: PlanInfo | None, grade: str) -> str:
    if plan is None:
        return Reason.NO_PLAN
    if plan.status not in REACHING_STATUSES:
        return plan.status
    return Reason.REACHED if grade in plan.grades else Reason.NOT_IN_PLAN


def pattern_coverage(
    pattern: Pattern, *, target: list[str], plans: Mapping[int, PlanInfo]
) -> PatternCoverage:
    """Rows TK–12, per-school summaries and the named gaps of one pattern (`plans` by school)."""
    wanted = set(target)
    rows: list[GradeRow] = []
    for grade in TARGET_GRADES:
        cells = [
            Cell(school=s, reason=_reason(plans.get(s.pk), grade))
            for s in pattern.schools
            if grade in s.grades
        ]
        rows.append(GradeRow(grade=grade, in_target=grade in wanted, cells=cells))
    summaries: list[SchoolSummary] = []
    gaps: list[Gap] = []
    for school in pattern.schools:
        plan = plans.get(school.pk)
        in_target = [g for g in school.grades if g in wanted]
        reached = [g for g in in_target if _reason(plan, g) == Reason.REACHED]
        summary = SchoolSummary(school, plan, in_target, reached)
        # Within one school every grade not reached is missed for the same reason.
        for run in runs(g for g in in_target if g not in reached):
            summary.gaps.append(Gap(school, run, _reason(plan, run[0])))
        gaps.extend(summary.gaps)
        summaries.append(summary)
    gaps.sort(key=lambda g: (GRADE_ORDER[g.grades[0]], g.school.name, g.school.pk))
    cells = [c for r in rows if r.in_target for c in r.cells]
    return PatternCoverage(
        pattern=pattern,
        rows=rows,
        schools=summaries,
        gaps=gaps,
        reached=sum(c.reached for c in cells),
        total=len(cells),
    )


def coverage(
    schools: Iterable[SchoolInfo], *, target: list[str], plans: Mapping[int, PlanInfo]
) -> list[PatternCoverage]:
    return [pattern_coverage(p, target=target, plans=plans) for p in feeder_patterns(list(schools))]
