"""Goals for a demo network (issue 7): what coordinators and the network would set.

Every school gets a short-term attendance-rate goal for the current school year and a long-term
chronic-absence goal to the end of the next one, from baselines near its own figures (the
school's chronic-absence share; an attendance rate drawn around 90 %), so that some goals are on
track and some are not when their progress is computed from the demo's attendance. The network
gets a referral-completion goal; the busiest partnership a goal on days from referral to first
session; each high school a graduation-rate goal with last year's figure entered by hand."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count

from wraparound.agreements.models.partnership import Partnership
from wraparound.outcomes.models import Goal, GoalMeasurement, GoalScope, GoalTerm, Indicator
from wraparound.referrals.models import Referral

if TYPE_CHECKING:
    from .generate import DemoData

HIGH_SCHOOL_GRADES = frozenset({"09", "10", "11", "12"})


def _d(value: float) -> Decimal:
    return Decimal(str(round(value, 4)))


def generate_goals(data: DemoData, rng: random.Random) -> dict[str, int]:
    current = next((y for y in data.school_years if y.is_current), None)
    if current is None or not data.schools:
        return {"goals": 0}
    following = next((y for y in data.school_years if y.end_year == current.end_year + 1), None)
    start = current.start_date
    end_of_year = current.end_date
    end_of_next = following.end_date if following else dt.date(end_of_year.year + 1, 6, 30)
    network = data.network
    goals: list[Goal] = []
    graduation: list[Goal] = []
    for school in data.schools:
        attendance = rng.uniform(0.87, 0.93)
        goals.append(
            Goal(
                network=network,
                scope=GoalScope.SCHOOL,
                school=school,
                indicator=Indicator.ATTENDANCE_RATE,
                title="Every day counts",
                term=GoalTerm.SHORT,
                baseline=_d(attendance),
                baseline_on=start,
                target=_d(attendance + 0.02),
                target_on=end_of_year,
            )
        )
        chronic = float(school.chronic_absenteeism_rate or Decimal("0.25"))
        goals.append(
            Goal(
                network=network,
                scope=GoalScope.SCHOOL,
                school=school,
                indicator=Indicator.CHRONIC_ABSENCE_RATE,
                title="Fewer students chronically absent",
                term=GoalTerm.LONG,
                baseline=_d(chronic),
                baseline_on=start,
                target=_d(max(chronic - 0.05, 0.05)),
                target_on=end_of_next,
            )
        )
        if school.grade_high in HIGH_SCHOOL_GRADES:
            graduation.append(
                Goal(
                    network=network,
                    scope=GoalScope.SCHOOL,
                    school=school,
                    indicator=Indicator.GRADUATION_RATE,
                    title="Four-year graduation",
                    term=GoalTerm.LONG,
                    baseline=_d(rng.uniform(0.72, 0.84)),
                    baseline_on=start,
                    target=_d(0.88),
                    target_on=end_of_next,
                )
            )
    goals.append(
        Goal(
            network=network,
            scope=GoalScope.NETWORK,
            indicator=Indicator.REFERRAL_COMPLETION_RATE,
            title="Close the loop on referrals",
            term=GoalTerm.SHORT,
            baseline=_d(0.55),
            baseline_on=start,
            target=_d(0.70),
            target_on=end_of_year,
        )
    )
    busiest = (
        Referral.objects.filter(network=network, partnership__isnull=False)
        .values("partnership_id")
        .annotate(n=Count("id"))
        .order_by("-n", "partnership_id")
        .first()
    )
    if busiest is not None:
        partnership = Partnership.objects.get(pk=busiest["partnership_id"])
        goals.append(
            Goal(
                network=network,
                scope=GoalScope.PARTNERSHIP,
                partnership=partnership,
                indicator=Indicator.DAYS_TO_FIRST_SESSION,
                title="See referred students within a week",
                term=GoalTerm.SHORT,
                baseline=Decimal(14),
                baseline_on=start,
                target=Decimal(7),
                target_on=end_of_year,
            )
        )
    Goal.objects.bulk_create(goals + graduation)
    GoalMeasurement.objects.bulk_create(
        GoalMeasurement(
            goal=goal,
            measured_on=start,
            value=goal.baseline,
            note="State report card, last school year",
        )
        for goal in graduation
    )
    return {"goals": len(goals) + len(graduation)}
