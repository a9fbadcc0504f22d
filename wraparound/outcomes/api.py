"""The JSON API of the outcome dashboards (/api/v1/outcomes/…): the same data as the pages
(`dashboard_data`), with the same rules of who may see what — `core.access.can_view_*_outcomes`;
anyone else gets a 404. Every figure about students is a cell
`{"key", "label", "n", "value", "suppressed"}`; a cell about fewer than ten students is
`{"suppressed": true, "value": null, "n": null}`."""

from __future__ import annotations

from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Path, Router

from wraparound.core import access
from wraparound.core.api import Id
from wraparound.core.models import Network, Organization, School

from . import dashboard_data as dd
from .subgroups import SPLITS, Split

router = Router(tags=["outcomes"])

Year = Annotated[
    int, Field(ge=2000, le=2100, description="The calendar year the school year ends in")
]
Slug = Annotated[str, Path(max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")]
SPLIT_HELP = "Split the indicators by a student group: " + ", ".join(SPLITS)


def _split(raw: str | None) -> Split | None:
    if not raw:
        return None
    if raw not in SPLITS:
        raise ValidationError({"split": [f"Unknown split; one of: {', '.join(SPLITS)}."]})
    return SPLITS[raw]


@router.get(
    "/outcomes/schools/{school_id}",
    response=dict[str, Any],
    summary="A school's outcome dashboard: needs covered, tiers, referrals, dosage, "
    "attendance trend, indicators (optionally split), goals",
)
def school_outcomes(
    request: HttpRequest,
    school_id: Id,
    year: Year | None = None,
    split: Annotated[str | None, Field(max_length=40, description=SPLIT_HELP)] = None,
) -> Any:
    school = School.objects.select_related("network").filter(pk=school_id).first()
    if school is None or not access.can_view_school_outcomes(request.user, school):
        raise Http404
    chosen = _split(split)
    return dd.school_dashboard(
        school, year or dd.default_year(school.network), split=chosen
    ).as_dict()


@router.get(
    "/outcomes/networks/{slug}",
    response=dict[str, Any],
    summary="A network's outcome dashboard: every school ranked beside its need index, the "
    "network's figures (from the rollup; `as_of` says when it was computed)",
)
def network_outcomes(
    request: HttpRequest,
    slug: Slug,
    year: Year | None = None,
    split: Annotated[str | None, Field(max_length=40, description=SPLIT_HELP)] = None,
    order: Annotated[
        str | None, Field(max_length=40, description="Rank by: " + ", ".join(dd.RANKINGS))
    ] = None,
) -> Any:
    network = Network.objects.filter(slug=slug).first()
    if network is None or not access.can_view_network_outcomes(request.user, network.pk):
        raise Http404
    chosen = _split(split)
    if order and order not in dd.RANKINGS:
        raise ValidationError({"order": [f"Unknown ranking; one of: {', '.join(dd.RANKINGS)}."]})
    return dd.network_dashboard(
        network,
        year or dd.default_year(network),
        split=chosen,
        order=order or "chronic_absence_rate",
    ).as_dict()


@router.get(
    "/outcomes/organizations/{organization_id}",
    response=dict[str, Any],
    summary="A partner's outcome dashboard: referrals received, response time, delivered "
    "against promised, outcomes of the students served",
)
def organization_outcomes(
    request: HttpRequest,
    organization_id: Id,
    year: Year | None = None,
    split: Annotated[str | None, Field(max_length=40, description=SPLIT_HELP)] = None,
) -> Any:
    organization = Organization.objects.select_related("network").filter(pk=organization_id).first()
    if organization is None or not access.can_view_organization_outcomes(
        request.user, organization
    ):
        raise Http404
    chosen = _split(split)
    return dd.partner_dashboard(
        organization, year or dd.default_year(organization.network), split=chosen
    ).as_dict()
