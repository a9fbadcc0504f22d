"""Reads of goals and their progress.

Progress compares the indicator's value now with the straight line from the baseline (on
`baseline_on`) to the target (on `target_on`): on track when the value is at least where that
line is today, in the direction of improvement (lower is better for chronic absence and days to
first session). "Now" is the school year to date that contains today, or, after the target date,
the school year of the target date. The value is computed from the system's data
(`indicators`), suppressed like every outcome when it is about fewer than ten students; for the
indicators the system does not hold (graduation rate) it is the latest measurement entered.

Who sees a goal: whoever may see the outcomes of its scope (a school goal: the school's roles and
network-wide roles; a partnership goal: those, and the partner's own users; a network goal:
network admins and evaluators)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from wraparound.core import access
from wraparound.core.models import Network, Organization, School
from wraparound.core.roles import NETWORK_WIDE_ROLES, PARTNER_ROLES, SCHOOL_ROLES

from . import indicators
from .indicators import ENTERED_INDICATORS, LOWER_IS_BETTER, SHARE_INDICATORS, Period, Scope
from .models import Goal, GoalMeasurement, GoalScope
from .suppression import FEWER_THAN, Cell, cell


class Status:
    MET = "met"
    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"


STATUS_LABELS = {
    Status.MET: _("target met"),
    Status.ON_TRACK: _("on track"),
    Status.OFF_TRACK: _("off track"),
    Status.NO_DATA: _("no figure yet"),
}


@dataclass
class GoalProgress:
    goal: Goal
    current: Cell
    expected: Decimal
    status: str
    measured_on: dt.date | None = None  # the date of an entered measurement
    from_measurement: bool = False

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def is_share(self) -> bool:
        return self.goal.indicator in SHARE_INDICATORS

    @property
    def lower_is_better(self) -> bool:
        return self.goal.indicator in LOWER_IS_BETTER

    @property
    def share_of_way(self) -> int | None:
        """How far from the baseline towards the target the value is, in percent (0–100)."""
        if self.current.suppressed or self.current.value is None:
            return None
        span = self.goal.target - self.goal.baseline
        if span == 0:
            return 100
        done = (Decimal(self.current.value) - self.goal.baseline) / span
        return max(0, min(100, round(float(done) * 100)))

    @property
    def now_text(self) -> str:
        """The value now as the pages print it."""
        if self.from_measurement:
            return self.display(self.current.value)
        if self.goal.indicator in ENTERED_INDICATORS:
            return str(_("no figure entered"))
        if self.current.suppressed:
            return str(FEWER_THAN)
        return self.display(self.current.value)

    def display(self, value: Decimal | None) -> str:
        return format_value(self.goal.indicator, value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.goal.pk,
            "indicator": self.goal.indicator,
            "scope": self.goal.scope,
            "baseline": float(self.goal.baseline),
            "target": float(self.goal.target),
            "baseline_on": self.goal.baseline_on.isoformat(),
            "target_on": self.goal.target_on.isoformat(),
            "expected": float(self.expected),
            "current": self.current.as_dict(),
            "status": self.status,
        }


def format_value(indicator: str, value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    if indicator in SHARE_INDICATORS:
        return f"{float(value) * 100:.1f}%"
    return f"{float(value):.1f}"


def goal_scope(goal: Goal) -> Scope:
    if goal.scope == GoalScope.PARTNERSHIP and goal.partnership is not None:
        return Scope(network=goal.network, partnership=goal.partnership)
    if goal.scope == GoalScope.SCHOOL and goal.school is not None:
        return Scope(network=goal.network, school=goal.school)
    return Scope(network=goal.network)


def school_year_of(day: dt.date) -> int:
    """The school year (named by the year it ends) a day falls in: July starts a new one."""
    return day.year + 1 if day.month >= 7 else day.year


def expected_value(goal: Goal, today: dt.date) -> Decimal:
    """Where the straight line from baseline to target is on `today`."""
    span = (goal.target_on - goal.baseline_on).days
    elapsed = min(max((today - goal.baseline_on).days, 0), span)
    share = Decimal(elapsed) / Decimal(span) if span > 0 else Decimal(1)
    return (goal.baseline + (goal.target - goal.baseline) * share).quantize(Decimal("0.0001"))


def _better_or_equal(goal: Goal, value: Decimal, than: Decimal) -> bool:
    improving_down = goal.target < goal.baseline or (
        goal.target == goal.baseline and goal.indicator in LOWER_IS_BETTER
    )
    return value <= than if improving_down else value >= than


def _status(goal: Goal, value: Decimal | None, expected: Decimal) -> str:
    if value is None:
        return Status.NO_DATA
    if _better_or_equal(goal, value, goal.target):
        return Status.MET
    return Status.ON_TRACK if _better_or_equal(goal, value, expected) else Status.OFF_TRACK


def _latest_measurement(goal: Goal, until: dt.date) -> GoalMeasurement | None:
    measurements = [m for m in goal.measurements.all() if m.measured_on <= until]
    return measurements[-1] if measurements else None


def progress(
    goal: Goal,
    *,
    today: dt.date,
    current: Callable[[Goal, Period], Cell | None] | None = None,
) -> GoalProgress:
    """The goal's value now, where it should be, and whether it is on track."""
    expected = expected_value(goal, today)
    as_of = min(today, goal.target_on)
    if goal.indicator in ENTERED_INDICATORS:
        entered = _latest_measurement(goal, today)
        if entered is None:
            return GoalProgress(goal, cell(None, None), expected, Status.NO_DATA)
        return GoalProgress(
            goal=goal,
            current=Cell(n=None, value=entered.value),
            expected=expected,
            status=_status(goal, entered.value, expected),
            measured_on=entered.measured_on,
            from_measurement=True,
        )
    period = Period.school_year(school_year_of(as_of), until=as_of)
    # A dashboard that has read the figure already (the outcome rollup) hands it over.
    now = current(goal, period) if current is not None else None
    if now is None:
        now = indicators.compute(goal.indicator, goal_scope(goal), period).overall
    value = None if now.suppressed or now.value is None else Decimal(now.value)
    return GoalProgress(goal, now, expected, _status(goal, value, expected))


# --- which goals a user sees ------------------------------------------------------------------


def goal_filter(user: Any) -> Q:
    g = access.grants(user)
    network_wide = g.networks_with(*NETWORK_WIDE_ROLES) | g.network_wide
    schools = g.schools_with(*SCHOOL_ROLES)
    organizations = g.organizations_with(*PARTNER_ROLES)
    return (
        Q(network_id__in=network_wide)
        | Q(scope=GoalScope.SCHOOL, school_id__in=schools)
        | Q(scope=GoalScope.PARTNERSHIP, partnership__school_id__in=schools)
        | Q(scope=GoalScope.PARTNERSHIP, partnership__organization_id__in=organizations)
    )


def _listed(qs: QuerySet[Goal]) -> QuerySet[Goal]:
    return qs.select_related(
        "network", "school", "partnership__school", "partnership__organization", "created_by"
    ).prefetch_related("measurements")


def visible_goals(user: Any) -> QuerySet[Goal]:
    return _listed(Goal.objects.filter(goal_filter(user)))


def get_goal_for_user(user: Any, pk: Any) -> Goal:
    try:
        return visible_goals(user).get(pk=pk)
    except (Goal.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def school_goals(school: School) -> QuerySet[Goal]:
    """A school's goals and its partnerships' (callers have checked the viewer)."""
    return _listed(
        Goal.objects.filter(
            Q(scope=GoalScope.SCHOOL, school_id=school.pk)
            | Q(scope=GoalScope.PARTNERSHIP, partnership__school_id=school.pk)
        )
    )


def network_goals(network: Network) -> QuerySet[Goal]:
    return _listed(Goal.objects.filter(network_id=network.pk, scope=GoalScope.NETWORK))


def organization_goals(organization: Organization) -> QuerySet[Goal]:
    return _listed(
        Goal.objects.filter(
            scope=GoalScope.PARTNERSHIP, partnership__organization_id=organization.pk
        )
    )


def goals_with_progress(
    scope: Scope,
    *,
    today: dt.date,
    current: Callable[[Goal, Period], Cell | None] | None = None,
) -> list[GoalProgress]:
    """The goals a dashboard of `scope` shows, with their progress (the caller has checked that
    the viewer may see the scope's outcomes)."""
    if scope.partnership is not None:
        goals = _listed(Goal.objects.filter(partnership_id=scope.partnership.pk))
    elif scope.organization is not None:
        goals = organization_goals(scope.organization)
    elif scope.school is not None:
        goals = school_goals(scope.school)
    else:
        goals = network_goals(scope.network)
    return [progress(goal, today=today, current=current) for goal in goals]


def network_school_goal_counts(network: Network, *, today: dt.date) -> list[dict[str, Any]]:
    """Per school: how many of its goals are met, on track, off track, without a figure."""
    goals = _listed(
        Goal.objects.filter(network_id=network.pk).exclude(scope=GoalScope.NETWORK)
    ).order_by("school__name", "partnership__school__name", "pk")
    rows: dict[int, dict[str, Any]] = {}
    for goal in goals:
        school = goal.school or (goal.partnership.school if goal.partnership else None)
        if school is None:
            continue
        row = rows.setdefault(
            school.pk,
            {
                "school": school,
                Status.MET: 0,
                Status.ON_TRACK: 0,
                Status.OFF_TRACK: 0,
                Status.NO_DATA: 0,
            },
        )
        row[progress(goal, today=today).status] += 1
    return list(rows.values())
