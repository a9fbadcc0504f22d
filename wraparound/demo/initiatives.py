"""An arts-education initiative for a demo network (issue 8).

`small`: "Arts for Every Grade", TK–12, with goals and a plan for most of the twelve schools,
laid out so that the feeder-pattern view has something to say — the first pattern is reached
from kindergarten to grade 12 (its first elementary school's plan is owned by the demo social
worker as the school's Arts Lead); the second has no plan at its middle school (grades 6–8 break);
in the third the high school's plan is paused and one elementary school's plan stops at grade 3.
Activities name arts organizations of the directory (another partner when there is none).

`city`: the same initiative with plans for a sample of a fifth of the schools, inserted in bulk."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from wraparound.core.grades import GRADE_ORDER as ORDER
from wraparound.core.roles import Role
from wraparound.initiatives.feeder import span
from wraparound.initiatives.models import (
    Activity,
    GoalStatus,
    Initiative,
    InitiativeGoal,
    InitiativeKind,
    InitiativeStatus,
    PlanStatus,
    SchoolPlan,
)

if TYPE_CHECKING:
    from wraparound.core.models import Organization, School

    from .generate import DemoData

NAME = "Arts for Every Grade"
DESCRIPTION = (
    "Every student, from transitional kindergarten to grade 12, gets sequential arts instruction "
    "— music, dance, theater, visual and media arts — in school and after school, with the "
    "network's arts partners. Plans line up along the feeder patterns so that what a child "
    "starts in elementary school goes on in middle and high school."
)
ACTIVITIES: tuple[tuple[str, str, str, int], ...] = (
    ("Dance residency", "Ten-week residency ending in a family showcase.", "Tuesdays", 45),
    ("Visual arts studio", "Drawing, painting and printmaking with a teaching artist.",
     "Twice a week during the school day", 90),
    ("Music ensemble", "Strings and percussion; instruments lent to families.",
     "After school, Monday to Thursday", 120),
    ("Theater workshop", "Devised theater on stories from the neighbourhood.",
     "Wednesdays after school", 60),
    ("Mural project", "Students design and paint a mural for the school.",
     "A six-week residency each spring", 60),
    ("Media arts lab", "Photography, film and podcasting.", "Fridays", 75),
)  # fmt: skip
CITY_SHARE = 0.2


def reset_initiatives(network_id: int) -> None:
    """Delete a network's initiatives (before its directory goes: activities name partners)."""
    Initiative.objects.filter(network_id=network_id).delete()


def _arts_partners(data: DemoData) -> list[Organization]:
    arts = [
        org
        for org, focus in zip(data.organizations, data.organization_focuses, strict=False)
        if focus.short == "Arts"
    ]
    return arts or list(data.organizations[:5])


def _user(data: DemoData, role: str) -> Any:
    for membership in data.memberships:
        if membership.role == role:
            return membership.user
    return None


def _goals(initiative: Initiative, end_of_year: dt.date, end_of_next: dt.date) -> list[Any]:
    return [
        InitiativeGoal(
            initiative=initiative,
            statement="Every student receives at least 60 minutes of arts instruction a week",
            measure="Minutes of arts instruction per student per week, from the school plans",
            target="60 minutes",
            due_on=end_of_year,
            status=GoalStatus.ON_TRACK,
        ),
        InitiativeGoal(
            initiative=initiative,
            statement="Every feeder pattern offers an unbroken arts sequence from TK to grade 12",
            measure="Feeder patterns with no gap in the feeder-pattern view",
            target="All patterns",
            due_on=end_of_next,
            status=GoalStatus.AT_RISK,
        ),
        InitiativeGoal(
            initiative=initiative,
            statement="Each school works with at least one arts organization",
            measure="Schools whose plan names an arts partner",
            target="Every school",
            due_on=end_of_year,
            status=GoalStatus.ON_TRACK,
        ),
    ]


def _small_layout(schools: list[School]) -> list[tuple[str | None, list[str] | None]]:
    """(status, grades) per school of three patterns of four (two elementary, middle, high);
    None: no plan; grades None: all the school's grades."""
    layout: list[tuple[str | None, list[str] | None]] = []
    for i, school in enumerate(schools):
        pattern, place = divmod(i, 4)
        grades = span(school.grade_low, school.grade_high)
        if pattern == 1 and place == 2:
            layout.append((None, None))  # the middle school without a plan: the visible gap
        elif pattern == 2 and place == 3:
            layout.append((PlanStatus.PAUSED, None))
        elif pattern == 2 and place == 1:
            # an elementary plan that stops at grade 3
            layout.append((PlanStatus.PLANNING, [g for g in grades if ORDER[g] <= ORDER["03"]]))
        elif pattern == 1 and place == 1:
            layout.append((PlanStatus.PLANNING, None))
        else:
            layout.append((PlanStatus.ACTIVE, None))
    return layout


def generate_initiatives(data: DemoData, rng: random.Random) -> dict[str, int]:
    current = next((y for y in data.school_years if y.is_current), None)
    if current is None or not data.schools:
        return {"initiatives": 0}
    end_of_year = current.end_date
    end_of_next = dt.date(end_of_year.year + 1, end_of_year.month, end_of_year.day)
    initiative = Initiative.objects.create(
        network=data.network,
        name=NAME,
        kind=InitiativeKind.ARTS,
        description=DESCRIPTION,
        grade_low="TK",
        grade_high="12",
        start_year=current.end_year,
        end_year=current.end_year + 2,
        status=InitiativeStatus.ACTIVE,
        created_by=_user(data, Role.NETWORK_ADMIN),
    )
    InitiativeGoal.objects.bulk_create(_goals(initiative, end_of_year, end_of_next))
    partners = _arts_partners(data)
    if data.profile.one_pattern_per_community:
        chosen = list(data.schools)
        layout = _small_layout(chosen)
    else:
        count = max(1, round(len(data.schools) * CITY_SHARE))
        chosen = sorted(rng.sample(data.schools, count), key=lambda s: s.pk)
        statuses = [
            PlanStatus.ACTIVE,
            PlanStatus.PLANNING,
            PlanStatus.PAUSED,
            PlanStatus.NOT_STARTED,
        ]
        layout = [(rng.choices(statuses, (6, 2, 1, 1))[0], None) for _ in chosen]

    owner = _user(data, Role.SCHOOL_STAFF)
    owner_school = next(
        (m.school_id for m in data.memberships if m.role == Role.SCHOOL_STAFF), None
    )
    plans: list[SchoolPlan] = []
    for school, (status, grades) in zip(chosen, layout, strict=True):
        if status is None:
            continue
        taught = span(school.grade_low, school.grade_high)
        own = owner is not None and school.pk == owner_school
        plans.append(
            SchoolPlan(
                initiative=initiative,
                school=school,
                status=status,
                grades=taught if grades is None else grades,
                owner=owner if own else None,
                owner_title="Arts Lead" if own else "",
                notes="",
            )
        )
    SchoolPlan.objects.bulk_create(plans, batch_size=500)

    activities: list[Activity] = []
    activity_partners: list[tuple[int, Organization]] = []
    for plan in plans:
        for n, (title, about, schedule, minutes) in enumerate(
            rng.sample(ACTIVITIES, 2 if data.profile.one_pattern_per_community else 1)
        ):
            # The first activity runs through the plan's grades, a second through its upper half.
            grades = plan.grades if n == 0 else plan.grades[len(plan.grades) // 2 :]
            activities.append(
                Activity(
                    plan=plan,
                    title=title,
                    description=about,
                    grades=grades,
                    schedule=schedule,
                    minutes_per_week=minutes,
                )
            )
            activity_partners.append((len(activities) - 1, rng.choice(partners)))
    Activity.objects.bulk_create(activities, batch_size=1000)
    through = Activity.partners.through
    through.objects.bulk_create(
        [
            through(activity_id=activities[i].pk, organization_id=org.pk)
            for i, org in activity_partners
        ],
        batch_size=1000,
    )
    plan_through = SchoolPlan.partners.through
    plan_through.objects.bulk_create(
        list(
            {
                (activities[i].plan.pk, org.pk): plan_through(
                    schoolplan_id=activities[i].plan.pk, organization_id=org.pk
                )
                for i, org in activity_partners
            }.values()
        ),
        batch_size=1000,
    )
    return {
        "initiatives": 1,
        "initiative plans": len(plans),
        "initiative activities": len(activities),
    }
