"""The JSON API of matching: a school's gaps, the recommendations for one need, and the network
allocation runs (list, start, read, accept, discard). The same selectors and services as the
HTML pages (`views.py`, `views_network.py`), and the same rules of who may see what:

- gaps and recommendations: whoever sees the school (network-wide roles, the school's own
  roles); a school or a need out of scope is a 404;
- allocation runs: the network's admins. Outside the caller's networks, a 404; a member of the
  network whose role does not open the allocation, a 403 (as on the allocation page)."""

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate

from wraparound.agreements.models import Partnership
from wraparound.assessments.gaps import Gap, gaps_for
from wraparound.assessments.models import Need, NeedsAssessment
from wraparound.core import access
from wraparound.core.api import Id, Pages
from wraparound.core.models import SchoolYear
from wraparound.core.roles import Role
from wraparound.directory.models import TaxonomyTerm
from wraparound.directory.search import term_label

from . import selectors, services
from .eligibility import ServiceFacts
from .models import AllocationItem, AllocationRun, AllocationUnmet, Strategy
from .recommend import recommend

router = Router(tags=["matching"])

# A school year by the calendar year it ends in (2027 = 2026-27).
Year = Annotated[
    int, Field(ge=2000, le=2100, description="The calendar year the school year ends in")
]
Slug = Annotated[str, Path(max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")]


# --- schemas -----------------------------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    code: str
    name: str


class SchoolYearOut(Schema):
    end_year: int = Field(description="The calendar year the school year ends in")
    label: str


class AssessmentRef(Schema):
    id: int
    status: str
    status_label: str


class NeedGapOut(Schema):
    id: int
    category: CategoryOut
    severity: int
    tier: int
    tier_label: str
    students: int
    assets: int = Field(description="Students the school's own assets cover")
    active: int = Field(description="Students active partnerships cover")
    proposed: int = Field(description="Students proposed partnerships would cover")
    gap: int = Field(description="Open gap: students − assets − active")
    unplanned: int = Field(description="Open gap − proposed")


class GapTotals(Schema):
    students: int
    assets: int
    active: int
    proposed: int
    gap: int
    unplanned: int


class SchoolGapsOut(Schema):
    school_id: int
    school_year: SchoolYearOut | None = Field(description="None when the network has no year")
    assessment: AssessmentRef | None = Field(description="None when the year has no assessment")
    needs: list[NeedGapOut]
    totals: GapTotals


class ServiceRef(Schema):
    id: int
    name: str
    organization_id: int
    organization_name: str


class RecommendationOut(Schema):
    service: ServiceRef
    score: float = Field(description="Match score, 0 to 1")
    reasons: list[str]
    distance_km: float | None
    capacity_left: int | None = Field(description="None: the service states no capacity")
    sustained: bool = Field(description="The organization is already a partner of the school")
    pending_clearance: bool = Field(
        description="The organization is not yet cleared (the network shows such services)"
    )


class FailedRule(Schema):
    code: str
    why: str


class ExclusionOut(Schema):
    service: ServiceRef
    codes: list[str] = Field(description="The hard rules the service fails")
    failed: list[FailedRule]


class NeedRef(Schema):
    id: int
    school_id: int
    school_year: int
    category: CategoryOut
    severity: int
    students: int
    gap: int
    unplanned: int


class RecommendationsOut(Schema):
    need: NeedRef
    eligible: list[RecommendationOut]
    excluded_count: int = Field(description="Services of the category that fail a hard rule")
    excluded: list[ExclusionOut] | None = Field(description="Listed when asked (excluded=true)")
    out_of_reach: int = Field(description="Services of the category that do not reach the school")


class RunOut(Schema):
    id: int
    network_id: int
    school_year: SchoolYearOut
    status: str
    status_label: str
    objective: float
    greedy_objective: float
    stats: dict[str, Any]
    error: str
    created_at: datetime
    decided_at: datetime | None

    @staticmethod
    def resolve_status_label(obj: AllocationRun) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_stats(obj: AllocationRun) -> dict[str, Any]:
        return obj.stats if isinstance(obj.stats, dict) else {}


class RunCounts(Schema):
    assignments: int = Field(description="Assignments of the optimal plan")
    kept: int = Field(description="Assignments of the optimal plan kept by the admin")
    kept_units: int
    greedy_assignments: int
    unmet: int = Field(description="Needs the optimal plan leaves (partly) unmet")
    unmet_units: int
    partnerships: int = Field(description="Partnerships proposed when the run was accepted")


class RunDetailOut(RunOut):
    counts: RunCounts


class RunStartIn(Schema):
    year: Year


class RunAcceptedOut(Schema):
    run: RunDetailOut
    partnerships: int
    units: int
    partnership_ids: list[int]


# --- a school's gaps ---------------------------------------------------------------------------


def _category(term: TaxonomyTerm) -> dict[str, Any]:
    return {"id": term.pk, "code": term.code, "name": term_label(term)}


def _year(year: SchoolYear) -> dict[str, Any]:
    return {"end_year": year.end_year, "label": year.label}


def _gap_numbers(gap: Gap) -> dict[str, int]:
    return {
        "students": gap.students,
        "assets": gap.assets,
        "active": gap.active,
        "proposed": gap.proposed,
        "gap": gap.open,
        "unplanned": gap.unplanned,
    }


@router.get(
    "/schools/{school_id}/gaps",
    response=SchoolGapsOut,
    summary="A school's needs for a year, minus what assets and partnerships cover",
)
def school_gaps(request: HttpRequest, school_id: Id, year: Year | None = None) -> Any:
    school = access.get_school_for_user(request.user, school_id)
    school_year = selectors.school_year_for(selectors.school_years(school.network), year)
    totals = dict.fromkeys(GapTotals.model_fields, 0)
    result: dict[str, Any] = {
        "school_id": school.pk,
        "school_year": _year(school_year) if school_year else None,
        "assessment": None,
        "needs": [],
        "totals": totals,
    }
    if school_year is None:
        return result
    assessment = NeedsAssessment.objects.filter(school=school, school_year=school_year).first()
    if assessment is None:
        return result
    result["assessment"] = {
        "id": assessment.pk,
        "status": assessment.status,
        "status_label": str(assessment.get_status_display()),
    }
    needs = list(
        Need.objects.filter(assessment=assessment)
        .select_related("category")
        .order_by("-severity", "category__name", "pk")
    )
    gaps = (
        gaps_for(network=school.network, school_year=school_year, schools=[school]) if needs else {}
    )
    for need in needs:
        gap = gaps.get(need.pk) or Gap(
            need.pk, school.pk, need.category_id, need.severity, need.students
        )
        numbers = _gap_numbers(gap)
        for name, value in numbers.items():
            totals[name] += value
        result["needs"].append(
            {
                "id": need.pk,
                "category": _category(need.category),
                "severity": need.severity,
                "tier": need.tier,
                "tier_label": str(need.get_tier_display()),
                **numbers,
            }
        )
    return result


# --- recommendations for one need --------------------------------------------------------------


def _need_for_user(user: Any, need_id: int) -> Need:
    """A need of a school the user sees (as the school's gaps page); 404 otherwise."""
    need = (
        Need.objects.filter(assessment__school__in=access.visible_schools(user), pk=need_id)
        .select_related(
            "category",
            "assessment__school__community",
            "assessment__school__network",
            "assessment__school_year",
        )
        .first()
    )
    if need is None:
        raise Http404
    return need


def _service(facts: ServiceFacts) -> dict[str, Any]:
    return {
        "id": facts.id,
        "name": facts.name,
        "organization_id": facts.organization_id,
        "organization_name": facts.organization_name,
    }


@router.get(
    "/needs/{need_id}/recommendations",
    response=RecommendationsOut,
    summary="Services that may serve a need, best first, with the reasons",
)
def need_recommendations(
    request: HttpRequest,
    need_id: Id,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    excluded: bool = False,
) -> Any:
    need = _need_for_user(request.user, need_id)
    result = recommend(need, limit=limit)
    return {
        "need": {
            "id": need.pk,
            "school_id": need.assessment.school_id,
            "school_year": need.assessment.school_year.end_year,
            "category": _category(need.category),
            "severity": need.severity,
            "students": need.students,
            "gap": result.gap.open,
            "unplanned": result.gap.unplanned,
        },
        "eligible": [
            {
                "service": _service(r.service),
                "score": r.score.value,
                "reasons": [str(reason) for reason in r.score.reasons],
                "distance_km": r.score.distance_km,
                "capacity_left": r.service.capacity_left,
                "sustained": r.score.sustained,
                "pending_clearance": r.service.pending_clearance,
            }
            for r in result.eligible
        ],
        "excluded_count": len(result.excluded),
        "excluded": [
            {
                "service": _service(e.service),
                "codes": e.codes,
                "failed": [{"code": code, "why": str(why)} for code, why in e.failed],
            }
            for e in result.excluded
        ]
        if excluded
        else None,
        "out_of_reach": result.out_of_reach,
    }


# --- allocation runs ---------------------------------------------------------------------------


def _run_for_admin(user: Any, run_id: int) -> AllocationRun:
    """A run of a network the user administers. A member of a network who administers none
    gets a 403 whatever the id (the allocation is not their role's, and the answer says nothing
    of which runs exist); anyone else, for a run outside their networks, a 404."""
    g = access.grants(user)
    administered = g.networks_with(Role.NETWORK_ADMIN)
    if not administered:
        if g.networks:
            raise PermissionDenied
        raise Http404
    run = (
        AllocationRun.objects.filter(network_id__in=administered, pk=run_id)
        .select_related("network", "school_year")
        .first()
    )
    if run is None:
        raise Http404
    return run


def _run_detail(run: AllocationRun) -> AllocationRun:
    """The run with its counts (`RunDetailOut`), in three queries."""
    optimal = Q(strategy=Strategy.OPTIMAL)
    kept = optimal & Q(kept=True)
    items = AllocationItem.objects.filter(run=run).aggregate(
        n_optimal=Count("pk", filter=optimal),
        n_kept=Count("pk", filter=kept),
        kept_units=Sum("units", filter=kept),
        n_greedy=Count("pk", filter=Q(strategy=Strategy.GREEDY)),
    )
    unmet = AllocationUnmet.objects.filter(run=run, strategy=Strategy.OPTIMAL).aggregate(
        n=Count("pk"), units=Sum("units")
    )
    counts = {
        "assignments": items["n_optimal"] or 0,
        "kept": items["n_kept"] or 0,
        "kept_units": items["kept_units"] or 0,
        "greedy_assignments": items["n_greedy"] or 0,
        "unmet": unmet["n"] or 0,
        "unmet_units": unmet["units"] or 0,
        "partnerships": Partnership.objects.filter(allocation_run=run).count(),
    }
    setattr(run, "counts", counts)  # noqa: B010 — read by RunDetailOut
    return run


@router.get(
    "/networks/{slug}/allocation-runs",
    response=list[RunOut],
    summary="The network's allocation runs, newest first (network admins)",
)
@paginate(Pages, page_size=25)
def allocation_runs(request: HttpRequest, slug: Slug) -> Any:
    network = selectors.network_for_allocation(request.user, slug)
    return selectors.allocation_runs(network)


@router.post(
    "/networks/{slug}/allocation-runs",
    response={202: RunDetailOut},
    summary="Run the network allocation for a school year (computed by a task)",
)
def allocation_run_start(request: HttpRequest, slug: Slug, payload: RunStartIn) -> Any:
    network = selectors.network_for_allocation(request.user, slug)
    school_year = SchoolYear.objects.filter(network=network, end_year=payload.year).first()
    if school_year is None:
        raise ValidationError({"year": _("Choose a school year of this network.")})
    run = services.allocation_run_start(
        actor=request.user, network=network, school_year=school_year
    )
    run = AllocationRun.objects.select_related("school_year").get(pk=run.pk)
    return Status(202, _run_detail(run))


@router.get(
    "/allocation-runs/{run_id}",
    response=RunDetailOut,
    summary="One allocation run: status, objectives, statistics and counts",
)
def allocation_run(request: HttpRequest, run_id: Id) -> Any:
    return _run_detail(_run_for_admin(request.user, run_id))


@router.post(
    "/allocation-runs/{run_id}/accept",
    response=RunAcceptedOut,
    summary="Accept the run: its kept assignments become proposed partnerships",
)
def allocation_run_accept(request: HttpRequest, run_id: Id) -> Any:
    run = _run_for_admin(request.user, run_id)
    created = services.allocation_run_accept(actor=request.user, run=run)
    run.refresh_from_db()
    return {
        "run": _run_detail(run),
        "partnerships": len(created),
        "units": sum(p.units for p in created),
        "partnership_ids": [p.pk for p in created],
    }


@router.post(
    "/allocation-runs/{run_id}/discard",
    response=RunDetailOut,
    summary="Discard the run: nothing is proposed",
)
def allocation_run_discard(request: HttpRequest, run_id: Id) -> Any:
    run = _run_for_admin(request.user, run_id)
    services.allocation_run_discard(actor=request.user, run=run)
    run.refresh_from_db()
    return _run_detail(run)
