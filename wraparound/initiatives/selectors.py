"""Reads of initiatives, plans and the feeder-pattern view, scoped by `core.access`.

Network-wide roles see every school's plan and every feeder pattern; a school's own roles see
their schools' plans and the patterns their schools are in (that is what alignment along the
pattern is about: where the school's students come from and go next)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from wraparound.core import access
from wraparound.core.models import Membership, Network, Organization, School
from wraparound.core.roles import SCHOOL_ROLES

from . import feeder
from .models import Activity, Initiative, InitiativeGoal, SchoolPlan


def visible_initiatives(user: Any) -> QuerySet[Initiative]:
    return Initiative.objects.filter(access.initiative_filter(user)).select_related("network")


def get_initiative_for_user(user: Any, pk: Any) -> Initiative:
    try:
        return visible_initiatives(user).get(pk=pk)
    except (Initiative.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def network_initiatives(network: Network) -> QuerySet[Initiative]:
    return Initiative.objects.filter(network=network).select_related("network")


def initiative_goals(initiative: Initiative) -> list[InitiativeGoal]:
    return list(initiative.goals.select_related("outcome_goal"))


def get_initiative_goal_for_user(user: Any, pk: Any) -> InitiativeGoal:
    try:
        return InitiativeGoal.objects.select_related("initiative__network").get(
            pk=pk, initiative__in=visible_initiatives(user)
        )
    except (InitiativeGoal.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _plans(qs: QuerySet[SchoolPlan]) -> QuerySet[SchoolPlan]:
    return qs.select_related("school", "owner", "initiative__network").prefetch_related(
        Prefetch("partners", queryset=Organization.objects.order_by("name")),
        Prefetch(
            "activities",
            queryset=Activity.objects.prefetch_related(
                Prefetch("partners", queryset=Organization.objects.order_by("name"))
            ),
        ),
    )


def visible_plans(user: Any, initiative: Initiative) -> QuerySet[SchoolPlan]:
    plans = SchoolPlan.objects.filter(initiative=initiative)
    if not access.sees_all_initiative_schools(user, initiative.network_id):
        plans = plans.filter(school_id__in=access.initiative_plan_schools(user))
    return _plans(plans).order_by("school__name", "pk")


def plan_for_school(initiative: Initiative, school: School) -> SchoolPlan | None:
    return _plans(SchoolPlan.objects.filter(initiative=initiative, school=school)).first()


def get_plan_school_for_user(user: Any, initiative: Initiative, school_pk: Any) -> School:
    """A school of the initiative's network whose plans the user may read (else 404)."""
    try:
        school = School.objects.select_related("network").get(
            pk=school_pk, network_id=initiative.network_id
        )
    except (School.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not access.can_view_school_plans(user, school):
        raise Http404
    return school


def get_activity_for_user(user: Any, pk: Any) -> Activity:
    try:
        activity = Activity.objects.select_related("plan__school__network", "plan__initiative").get(
            pk=pk, plan__initiative__in=visible_initiatives(user)
        )
    except (Activity.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not access.can_view_school_plans(user, activity.plan.school):
        raise Http404
    return activity


def get_plan_for_user(user: Any, pk: Any) -> SchoolPlan:
    try:
        plan = _plans(SchoolPlan.objects.filter(initiative__in=visible_initiatives(user))).get(
            pk=pk
        )
    except (SchoolPlan.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not access.can_view_school_plans(user, plan.school):
        raise Http404
    return plan


def school_plan_owners(school: School) -> list[Any]:
    """Users who hold a school role at the school: the people a plan may be given to."""
    ids = Membership.objects.filter(school=school, role__in=SCHOOL_ROLES, is_active=True).values(
        "user_id"
    )
    return list(
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .order_by("last_name", "first_name", "username")
    )


def network_partners(network_id: int) -> list[Organization]:
    return list(Organization.objects.filter(network_id=network_id).order_by("name", "pk"))


# --- the feeder-pattern view -----------------------------------------------------------------


def school_infos(network_id: int) -> list[feeder.SchoolInfo]:
    return [
        feeder.SchoolInfo(pk, name, low, high, feeds)
        for pk, name, low, high, feeds in School.objects.filter(network_id=network_id)
        .order_by("name", "pk")
        .values_list("pk", "name", "grade_low", "grade_high", "feeder_to_id")
    ]


def plan_infos(initiative_ids: list[int]) -> dict[int, dict[int, feeder.PlanInfo]]:
    """Per initiative, per school: the plan's status and every grade it or its activities
    name (two queries whatever the number of plans)."""
    activity_grades: dict[int, set[str]] = defaultdict(set)
    for plan_id, grades in Activity.objects.filter(
        plan__initiative_id__in=initiative_ids
    ).values_list("plan_id", "grades"):
        activity_grades[plan_id].update(grades or [])
    out: dict[int, dict[int, feeder.PlanInfo]] = defaultdict(dict)
    for pk, initiative_id, school_id, status, grades in SchoolPlan.objects.filter(
        initiative_id__in=initiative_ids
    ).values_list("pk", "initiative_id", "school_id", "status", "grades"):
        out[initiative_id][school_id] = feeder.PlanInfo(
            school_id=school_id,
            status=status,
            grades=frozenset(grades or []) | frozenset(activity_grades[pk]),
            pk=pk,
        )
    return out


def target_grades(initiative: Initiative) -> list[str]:
    return feeder.span(initiative.grade_low, initiative.grade_high)


def _visible_patterns(
    user: Any, network_id: int, patterns: list[feeder.PatternCoverage]
) -> list[feeder.PatternCoverage]:
    if access.sees_all_initiative_schools(user, network_id):
        return patterns
    mine = access.initiative_plan_schools(user)
    return [p for p in patterns if any(s.pk in mine for s in p.pattern.schools)]


def feeder_pattern_coverage(
    user: Any, initiative: Initiative, *, schools: list[feeder.SchoolInfo] | None = None
) -> list[feeder.PatternCoverage]:
    """The initiative's coverage of each feeder pattern the user may see."""
    if schools is None:
        schools = school_infos(initiative.network_id)
    plans = plan_infos([initiative.pk]).get(initiative.pk, {})
    patterns = feeder.coverage(schools, target=target_grades(initiative), plans=plans)
    return _visible_patterns(user, initiative.network_id, patterns)


@dataclass
class InitiativeOverview:
    initiative: Initiative
    patterns: list[feeder.PatternCoverage]

    @property
    def plan_count(self) -> int:
        return sum(1 for p in self.patterns for s in p.schools if s.plan is not None)

    @property
    def full_patterns(self) -> int:
        return sum(1 for p in self.patterns if p.percent == 100)

    @property
    def percent(self) -> int | None:
        total = sum(p.total for p in self.patterns)
        if not total:
            return None
        return round(100 * sum(p.reached for p in self.patterns) / total)

    def as_dict(self) -> dict[str, object]:
        return {
            "coverage_percent": self.percent,
            "patterns": [
                {
                    "top_school_id": p.pattern.top.pk,
                    "name": p.name,
                    "coverage_percent": p.percent,
                    "first_break": p.first_break.as_dict() if p.first_break else None,
                }
                for p in self.patterns
            ],
        }


def network_overview(network: Network) -> list[InitiativeOverview]:
    """Every initiative of the network with its coverage per feeder pattern (four queries)."""
    initiatives = list(network_initiatives(network))
    schools = school_infos(network.pk)
    plans = plan_infos([i.pk for i in initiatives])
    return [
        InitiativeOverview(
            initiative=i,
            patterns=feeder.coverage(schools, target=target_grades(i), plans=plans.get(i.pk, {})),
        )
        for i in initiatives
    ]


def school_plans(user: Any, school: School) -> list[tuple[Initiative, SchoolPlan | None]]:
    """The network's initiatives, each with the school's plan if it has one."""
    initiatives = list(network_initiatives(school.network))
    plans = {
        p.initiative_id: p for p in SchoolPlan.objects.filter(school=school).select_related("owner")
    }
    return [(i, plans.get(i.pk)) for i in initiatives]
