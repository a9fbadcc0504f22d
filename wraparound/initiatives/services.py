"""Writes on initiatives: define one and its goals (network admins), and a school's plan with
its activities (the school's coordinators and principal, the plan's owner, network admins).

A refusal is a `ValidationError` keyed by the field it concerns; a change to a record someone
else changed since it was read is a `Conflict` (optimistic locking on `version`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.grades import GRADE_ORDER, Grade, grade_span_label
from wraparound.core.models import Membership, Network, Organization, School
from wraparound.core.roles import SCHOOL_ROLES
from wraparound.core.services import audit_record
from wraparound.outcomes.models import Goal

from . import feeder
from .models import (
    TARGET_GRADES,
    Activity,
    GoalStatus,
    Initiative,
    InitiativeGoal,
    InitiativeKind,
    InitiativeStatus,
    PlanStatus,
    SchoolPlan,
)

NAME_MAX = 200
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_MINUTES = 2400  # five school days of eight hours


class Conflict(Exception):
    """The record changed (or was removed) since the caller read it."""


def _text(raw: Any, field: str, limit: int, errors: dict[str, Any], *, required: bool) -> str:
    value = str(raw or "").strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("Keep this under %(limit)d characters.") % {"limit": limit}
    return value


def _school_year(raw: Any, field: str, errors: dict[str, Any], *, required: bool) -> int | None:
    if raw in (None, ""):
        if required:
            errors[field] = _("Give the school year (the calendar year it ends in).")
        return None
    try:
        year = int(raw)
    except (TypeError, ValueError):
        errors[field] = _("Enter a year such as 2027 (for 2026-27).")
        return None
    if not MIN_YEAR <= year <= MAX_YEAR:
        errors[field] = _("Enter a year between %(low)d and %(high)d.") % {
            "low": MIN_YEAR,
            "high": MAX_YEAR,
        }
        return None
    return year


# --- initiatives -----------------------------------------------------------------------------


def _clean_initiative(
    *,
    name: Any,
    kind: Any,
    description: Any = "",
    grade_low: Any = "TK",
    grade_high: Any = "12",
    start_year: Any,
    end_year: Any = None,
    status: Any = InitiativeStatus.PLANNING,
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    data: dict[str, Any] = {
        "name": _text(name, "name", NAME_MAX, errors, required=True),
        "description": _text(description, "description", 5000, errors, required=False),
    }
    if kind not in InitiativeKind.values:
        errors["kind"] = _("Choose one of the kinds listed.")
    if status not in InitiativeStatus.values:
        errors["status"] = _("Choose one of the statuses listed.")
    if grade_low not in TARGET_GRADES:
        errors["grade_low"] = _("Choose a grade from TK to 12.")
    if grade_high not in TARGET_GRADES:
        errors["grade_high"] = _("Choose a grade from TK to 12.")
    elif grade_low in TARGET_GRADES and GRADE_ORDER[grade_high] < GRADE_ORDER[grade_low]:
        errors["grade_high"] = _("The last grade cannot come before the first.")
    start = _school_year(start_year, "start_year", errors, required=True)
    end = _school_year(end_year, "end_year", errors, required=False)
    if start is not None and end is not None and end < start:
        errors["end_year"] = _("The last school year cannot come before the first.")
    if errors:
        raise ValidationError(errors)
    data.update(
        kind=kind,
        status=status,
        grade_low=grade_low,
        grade_high=grade_high,
        start_year=start,
        end_year=end,
    )
    return data


@transaction.atomic
def initiative_create(*, user: Any, network: Network, **fields: Any) -> Initiative:
    """Define an initiative (fields: name, kind, description, grade_low, grade_high, start_year,
    end_year, status)."""
    if not access.can_manage_initiatives(user, network.pk):
        raise PermissionDenied
    data = _clean_initiative(**fields)
    initiative = Initiative.objects.create(network=network, created_by=user, **data)
    audit_record(actor=user, action="initiative.create", target=initiative, network=network)
    return initiative


@transaction.atomic
def initiative_update(
    *, user: Any, initiative: Initiative, expected_version: int, **fields: Any
) -> Initiative:
    if not access.can_manage_initiatives(user, initiative.network_id):
        raise PermissionDenied
    data = _clean_initiative(**fields)
    updated = Initiative.objects.filter(pk=initiative.pk, version=expected_version).update(
        version=F("version") + 1, **data
    )
    if not updated:
        raise Conflict
    initiative.refresh_from_db()
    audit_record(
        actor=user, action="initiative.update", target=initiative, network=initiative.network_id
    )
    return initiative


@transaction.atomic
def initiative_delete(*, user: Any, initiative: Initiative) -> None:
    """Delete an initiative entered by mistake: only while no school has planned anything for
    it (an owner, a status past "not started" or an activity). One that has begun is paused or
    completed instead, and keeps its record."""
    if not access.can_manage_initiatives(user, initiative.network_id):
        raise PermissionDenied
    initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
    started = initiative.plans.filter(
        Q(activities__isnull=False) | Q(owner__isnull=False) | ~Q(status=PlanStatus.NOT_STARTED)
    ).exists()
    if started:
        raise ValidationError(
            _(
                "Schools have already planned for “%(name)s”: pause it or mark it complete "
                "instead, so that their plans stay on record."
            )
            % {"name": initiative.name}
        )
    audit_record(
        actor=user,
        action="initiative.delete",
        target=initiative,
        network=initiative.network_id,
        data={"name": initiative.name},
    )
    initiative.delete()


# --- goals -----------------------------------------------------------------------------------


def _clean_goal(
    initiative: Initiative,
    *,
    statement: Any,
    measure: Any = "",
    target: Any = "",
    due_on: dt.date | None = None,
    status: Any = GoalStatus.NOT_STARTED,
    outcome_goal: Goal | None = None,
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    data = {
        "statement": _text(statement, "statement", 300, errors, required=True),
        "measure": _text(measure, "measure", 300, errors, required=False),
        "target": _text(target, "target", 200, errors, required=False),
    }
    if status not in GoalStatus.values:
        errors["status"] = _("Choose one of the statuses listed.")
    if outcome_goal is not None and outcome_goal.network_id != initiative.network_id:
        errors["outcome_goal"] = _("Choose a goal of the network.")
    if due_on is not None and not isinstance(due_on, dt.date):
        errors["due_on"] = _("Enter a date.")
    if errors:
        raise ValidationError(errors)
    return {**data, "status": status, "due_on": due_on, "outcome_goal": outcome_goal}


@transaction.atomic
def initiative_goal_add(*, user: Any, initiative: Initiative, **fields: Any) -> InitiativeGoal:
    """Add a goal (fields: statement, measure, target, due_on, status, outcome_goal)."""
    if not access.can_manage_initiatives(user, initiative.network_id):
        raise PermissionDenied
    goal = InitiativeGoal.objects.create(initiative=initiative, **_clean_goal(initiative, **fields))
    audit_record(
        actor=user, action="initiative.goal_add", target=goal, network=initiative.network_id
    )
    return goal


@transaction.atomic
def initiative_goal_update(*, user: Any, goal: InitiativeGoal, **fields: Any) -> InitiativeGoal:
    initiative = goal.initiative
    if not access.can_manage_initiatives(user, initiative.network_id):
        raise PermissionDenied
    for name, value in _clean_goal(initiative, **fields).items():
        setattr(goal, name, value)
    goal.save()
    audit_record(
        actor=user, action="initiative.goal_update", target=goal, network=initiative.network_id
    )
    return goal


@transaction.atomic
def initiative_goal_delete(*, user: Any, goal: InitiativeGoal) -> None:
    initiative = goal.initiative
    if not access.can_manage_initiatives(user, initiative.network_id):
        raise PermissionDenied
    audit_record(
        actor=user,
        action="initiative.goal_delete",
        network=initiative.network_id,
        data={"initiative": initiative.pk, "goal": goal.pk, "statement": goal.statement},
    )
    goal.delete()


# --- school plans ------------------------------------------------------------------------------


def school_grades(school: School) -> list[str]:
    """The grades TK–12 a school teaches: the grades its plan and activities may name."""
    return feeder.span(school.grade_low, school.grade_high)


def _clean_grades(school: School, raw: Iterable[Any], field: str, errors: dict[str, Any]) -> list:
    taught = school_grades(school)
    chosen = {str(g) for g in raw or []}
    outside = sorted(
        (g for g in chosen if g not in taught), key=lambda g: (GRADE_ORDER.get(g, 99), g)
    )
    if outside:
        names = ", ".join(str(Grade(g).label) if g in Grade.values else g for g in outside)
        errors[field] = _("%(grades)s: not taught at %(school)s (grades %(span)s).") % {
            "grades": names,
            "school": school.name,
            "span": grade_span_label(school.grade_low, school.grade_high),
        }
        return []
    return [g for g in taught if g in chosen]


def _clean_partners(
    network_id: int, raw: Iterable[Any], field: str, errors: dict[str, Any]
) -> list[Organization]:
    ids: set[int] = set()
    for value in raw or []:
        pk = value.pk if isinstance(value, Organization) else value
        try:
            ids.add(int(pk))
        except (TypeError, ValueError):
            errors[field] = _("Choose partners from the network's directory.")
            return []
    partners = list(Organization.objects.filter(network_id=network_id, pk__in=ids))
    if len(partners) != len(ids):
        errors[field] = _("Choose partners from the network's directory.")
        return []
    return partners


def _is_school_member(user: Any, school: School) -> bool:
    return Membership.objects.filter(
        user=user, school=school, role__in=SCHOOL_ROLES, is_active=True
    ).exists()


def _clean_plan(
    school: School,
    *,
    owner: Any = None,
    owner_title: Any = "",
    status: Any = PlanStatus.NOT_STARTED,
    grades: Iterable[Any] = (),
    partners: Iterable[Any] = (),
    notes: Any = "",
) -> tuple[dict[str, Any], list[Organization]]:
    errors: dict[str, Any] = {}
    data: dict[str, Any] = {
        "owner_title": _text(owner_title, "owner_title", 100, errors, required=False),
        "notes": _text(notes, "notes", 5000, errors, required=False),
    }
    if status not in PlanStatus.values:
        errors["status"] = _("Choose one of the statuses listed.")
    if owner is not None and not _is_school_member(owner, school):
        errors["owner"] = _("Choose someone who works at %(school)s.") % {"school": school.name}
    data["grades"] = _clean_grades(school, grades, "grades", errors)
    chosen_partners = _clean_partners(school.network_id, partners, "partners", errors)
    if errors:
        raise ValidationError(errors)
    data.update(owner=owner, status=status)
    return data, chosen_partners


@transaction.atomic
def plan_save(
    *,
    user: Any,
    initiative: Initiative,
    school: School,
    expected_version: int | None,
    **fields: Any,
) -> SchoolPlan:
    """Start the school's plan (`expected_version` None) or change the plan read at
    `expected_version` (fields: owner, owner_title, status, grades, partners, notes)."""
    if school.network_id != initiative.network_id:
        raise ValidationError({"school": _("Choose a school of the initiative's network.")})
    existing = SchoolPlan.objects.filter(initiative=initiative, school=school).first()
    if not access.can_edit_school_plan(user, school, existing.owner_id if existing else None):
        raise PermissionDenied
    data, partners = _clean_plan(school, **fields)
    if existing is None:
        if expected_version not in (None, 0):
            raise Conflict  # the plan was removed meanwhile
        plan = SchoolPlan.objects.create(
            initiative=initiative, school=school, updated_by=user, **data
        )
        action = "initiative.plan_create"
    else:
        if expected_version is None:
            raise Conflict  # someone else started the plan meanwhile
        updated = SchoolPlan.objects.filter(pk=existing.pk, version=expected_version).update(
            version=F("version") + 1, updated_by=user, **data
        )
        if not updated:
            raise Conflict
        plan = existing
        plan.refresh_from_db()
        action = "initiative.plan_update"
    plan.partners.set(partners)
    audit_record(actor=user, action=action, target=plan, network=initiative.network_id)
    return plan


def _clean_activity(
    school: School,
    *,
    title: Any,
    description: Any = "",
    grades: Iterable[Any] = (),
    partners: Iterable[Any] = (),
    schedule: Any = "",
    minutes_per_week: Any = None,
) -> tuple[dict[str, Any], list[Organization]]:
    errors: dict[str, Any] = {}
    data: dict[str, Any] = {
        "title": _text(title, "title", 200, errors, required=True),
        "description": _text(description, "description", 5000, errors, required=False),
        "schedule": _text(schedule, "schedule", 200, errors, required=False),
    }
    minutes: int | None = None
    if minutes_per_week not in (None, ""):
        try:
            minutes = int(minutes_per_week)
        except (TypeError, ValueError):
            errors["minutes_per_week"] = _("Enter a whole number of minutes.")
        else:
            if not 0 < minutes <= MAX_MINUTES:
                errors["minutes_per_week"] = _("Enter between 1 and %(most)d minutes a week.") % {
                    "most": MAX_MINUTES
                }
    data["minutes_per_week"] = minutes
    data["grades"] = _clean_grades(school, grades, "grades", errors)
    chosen_partners = _clean_partners(school.network_id, partners, "partners", errors)
    if errors:
        raise ValidationError(errors)
    return data, chosen_partners


@transaction.atomic
def activity_add(*, user: Any, plan: SchoolPlan, **fields: Any) -> Activity:
    """Add an activity to a plan (fields: title, description, grades, partners, schedule,
    minutes_per_week). Bumps the plan's version: the plan now reaches what the activity does."""
    if not access.can_edit_school_plan(user, plan.school, plan.owner_id):
        raise PermissionDenied
    data, partners = _clean_activity(plan.school, **fields)
    activity = Activity.objects.create(plan=plan, **data)
    activity.partners.set(partners)
    SchoolPlan.objects.filter(pk=plan.pk).update(version=F("version") + 1, updated_by=user)
    audit_record(
        actor=user,
        action="initiative.activity_add",
        target=activity,
        network=plan.initiative.network_id,
    )
    return activity


@transaction.atomic
def activity_update(*, user: Any, activity: Activity, **fields: Any) -> Activity:
    """Change an activity (the same fields as `activity_add`); bumps the plan's version."""
    plan = activity.plan
    if not access.can_edit_school_plan(user, plan.school, plan.owner_id):
        raise PermissionDenied
    data, partners = _clean_activity(plan.school, **fields)
    for name, value in data.items():
        setattr(activity, name, value)
    activity.save()
    activity.partners.set(partners)
    SchoolPlan.objects.filter(pk=plan.pk).update(version=F("version") + 1, updated_by=user)
    audit_record(
        actor=user,
        action="initiative.activity_update",
        target=activity,
        network=plan.initiative.network_id,
    )
    return activity


@transaction.atomic
def activity_delete(*, user: Any, activity: Activity) -> None:
    plan = activity.plan
    if not access.can_edit_school_plan(user, plan.school, plan.owner_id):
        raise PermissionDenied
    audit_record(
        actor=user,
        action="initiative.activity_delete",
        network=plan.initiative.network_id,
        data={"plan": plan.pk, "activity": activity.pk, "title": activity.title},
    )
    activity.delete()
    SchoolPlan.objects.filter(pk=plan.pk).update(version=F("version") + 1, updated_by=user)
