"""The JSON API of initiatives (/api/v1/initiatives…): the same selectors, services and gap
computation as the pages, with the same rules of who sees what; an initiative or school the
caller may not see is a 404, a change their role does not allow a 403."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from wraparound.core import access
from wraparound.core.api import Id
from wraparound.core.models import Network

from . import selectors, services
from .models import Initiative, InitiativeStatus, PlanStatus, SchoolPlan

router = Router(tags=["initiatives"])


class InitiativeIn(Schema):
    network: str = Field(..., max_length=100, description="The network's slug")
    name: str = Field(..., max_length=200)
    kind: str = Field(..., max_length=16, description="arts, literacy, sel, racial_equity, other")
    description: str = Field("", max_length=5000)
    grade_low: str = Field("TK", max_length=2)
    grade_high: str = Field("12", max_length=2)
    start_year: int = Field(..., description="The calendar year the first school year ends in")
    end_year: int | None = None
    status: str = Field(InitiativeStatus.PLANNING.value, max_length=12)


class PlanIn(Schema):
    version: int | None = Field(
        None, description="The plan's version as read; empty to start a plan"
    )
    status: str = Field(PlanStatus.PLANNING.value, max_length=12)
    owner: int | None = Field(None, description="A user who works at the school")
    owner_title: str = Field("", max_length=100)
    grades: list[str] = Field(default_factory=list, max_length=20)
    partners: list[int] = Field(default_factory=list, max_length=200)
    notes: str = Field("", max_length=5000)


def _initiative(i: Initiative) -> dict[str, Any]:
    return {
        "id": i.pk,
        "network": i.network.slug,
        "name": i.name,
        "kind": i.kind,
        "description": i.description,
        "grade_low": i.grade_low,
        "grade_high": i.grade_high,
        "start_year": i.start_year,
        "end_year": i.end_year,
        "status": i.status,
        "version": i.version,
    }


def _plan(p: SchoolPlan) -> dict[str, Any]:
    return {
        "id": p.pk,
        "school_id": p.school_id,
        "school": p.school.name,
        "status": p.status,
        "owner_id": p.owner_id,
        "owner_title": p.owner_title,
        "grades": list(p.grades),
        "partners": [{"id": o.pk, "name": o.name} for o in p.partners.all()],
        "activities": [
            {
                "id": a.pk,
                "title": a.title,
                "grades": list(a.grades),
                "partners": [{"id": o.pk, "name": o.name} for o in a.partners.all()],
                "schedule": a.schedule,
                "minutes_per_week": a.minutes_per_week,
            }
            for a in p.activities.all()
        ],
        "version": p.version,
    }


@router.get(
    "/initiatives",
    response=list[dict[str, Any]],
    summary="The initiatives the caller may see",
)
def initiative_list(request: HttpRequest) -> Any:
    return [_initiative(i) for i in selectors.visible_initiatives(request.user).order_by("pk")]


@router.post(
    "/initiatives",
    response={201: dict[str, Any]},
    summary="Define an initiative (network admins)",
)
def initiative_create(request: HttpRequest, payload: InitiativeIn) -> Any:
    network = Network.objects.filter(
        slug=payload.network, id__in=access.grants(request.user).networks
    ).first()
    if network is None:
        raise Http404
    fields = payload.dict()
    fields.pop("network")
    initiative = services.initiative_create(user=request.user, network=network, **fields)
    return Status(201, _initiative(initiative))


@router.get(
    "/initiatives/{initiative_id}",
    response=dict[str, Any],
    summary="One initiative with its goals and the school plans the caller may see",
)
def initiative_detail(request: HttpRequest, initiative_id: Id) -> Any:
    initiative = selectors.get_initiative_for_user(request.user, initiative_id)
    return {
        **_initiative(initiative),
        "goals": [
            {
                "id": g.pk,
                "statement": g.statement,
                "measure": g.measure,
                "target": g.target,
                "due_on": g.due_on.isoformat() if g.due_on else None,
                "status": g.status,
                "outcome_goal_id": g.outcome_goal_id,
            }
            for g in selectors.initiative_goals(initiative)
        ],
        "plans": [_plan(p) for p in selectors.visible_plans(request.user, initiative)],
    }


@router.get(
    "/initiatives/{initiative_id}/feeder-patterns",
    response=dict[str, Any],
    summary="Per feeder pattern: grades TK-12, the school teaching each, whether the initiative "
    "reaches it, the gaps named, coverage and the first break",
)
def initiative_feeder_patterns(request: HttpRequest, initiative_id: Id) -> Any:
    initiative = selectors.get_initiative_for_user(request.user, initiative_id)
    return {
        "initiative": _initiative(initiative),
        "target_grades": selectors.target_grades(initiative),
        "patterns": [
            p.as_dict() for p in selectors.feeder_pattern_coverage(request.user, initiative)
        ],
    }


@router.put(
    "/initiatives/{initiative_id}/schools/{school_id}/plan",
    response={200: dict[str, Any], 409: dict[str, Any]},
    summary="Start (no version) or change (the version read) a school's plan",
)
def plan_put(request: HttpRequest, initiative_id: Id, school_id: Id, payload: PlanIn) -> Any:
    initiative = selectors.get_initiative_for_user(request.user, initiative_id)
    school = selectors.get_plan_school_for_user(request.user, initiative, school_id)
    fields = payload.dict()
    version = fields.pop("version")
    owner_id = fields.pop("owner")
    owner = None
    if owner_id is not None:
        owner = next((u for u in selectors.school_plan_owners(school) if u.pk == owner_id), None)
        if owner is None:
            raise ValidationError({"owner": ["Choose someone who works at the school."]})
    try:
        plan = services.plan_save(
            user=request.user,
            initiative=initiative,
            school=school,
            expected_version=version,
            owner=owner,
            **fields,
        )
    except services.Conflict:
        return Status(
            409, {"detail": "The plan changed since you read it: read it again and retry."}
        )
    found = selectors.plan_for_school(initiative, plan.school)
    assert found is not None
    return _plan(found)
