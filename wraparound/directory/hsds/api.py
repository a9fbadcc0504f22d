"""The HSDS 3.0 API at /hsds/ (`schema/openapi.json`): the public face of the directories.

Anyone may read, without signing in, and sees only what a family could: **vetted organizations
and their active services** (and their locations), plus the networks' taxonomies. Unvetted and
suspended organizations, and services that are not active, do not exist here (404).

Scope and ids: every network publishes its directory here; `?network=<slug>` limits any request
to one network (AND-combined with the other filters). HSDS ids are unique within a network only,
so `/hsds/services/{id}` without `network` answers the one record with that id, or — when the id
exists in more than one network — 404 with a message naming the networks to choose from.

Pages follow HSDS's `Page` (`page`, `per_page` ≤ 500; with `minimal=true` up to 50,000, as the
standard asks "aim to return all services within one page"). Filters are AND-combined. Bad
parameters answer 400 with `{"detail": ..., "errors": [...]}`, never a server error. Only
`format=json` is offered.

Responses are built by `serialize` and published with JSON Schemas generated from `tables.py`;
the tests validate them against the official openapi.json and compiled schemas.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db.models import ExpressionWrapper, F, FloatField, Q, QuerySet
from django.db.models.functions import Coalesce, Radians
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import HttpError, ValidationError

from wraparound.core.models import Network, Organization, VettingStatus
from wraparound.directory import models as m

from . import serialize
from .serialize import HSDS_VERSION
from .tables import BY_NAME

PER_PAGE = 50
MAX_PER_PAGE = 500
MAX_PER_PAGE_MINIMAL = 50_000
MAX_PAGE = 1_000_000
PROFILE_URL = "https://docs.openreferral.org/en/v3.0/"

api = NinjaAPI(
    title="wraparound HSDS API",
    version=HSDS_VERSION,
    description=(
        "Open Referral HSDS 3.0 API: the vetted organizations and active services of every "
        "network's partner directory, read without signing in. `network=<slug>` limits a "
        "request to one network."
    ),
    urls_namespace="hsds",
    docs_url="/docs",
)


# --- errors ---------------------------------------------------------------------------------------


@api.exception_handler(ValidationError)
def _on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = [
        {"field": ".".join(str(p) for p in e.get("loc", ())[1:]) or None, "message": e.get("msg")}
        for e in exc.errors
    ]
    return api.create_response(
        request, {"detail": "The request is not valid.", "errors": problems}, status=400
    )


@api.exception_handler(Http404)
def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


def _bad(field: str, message: str) -> HttpError:
    return HttpError(400, f"{field}: {message}")


def _text(value: str | None, field: str) -> str | None:
    # PostgreSQL refuses NUL in text; say so instead of failing.
    if value is not None and "\x00" in value:
        raise _bad(field, "must not contain NUL characters.")
    return value


# --- scope ----------------------------------------------------------------------------------------


def _network(slug: str | None) -> Network | None:
    if slug is None:
        return None
    network = Network.objects.filter(slug=_text(slug, "network")).first()
    if network is None:
        raise Http404(f"No network is published under '{slug}'.")
    return network


def _in(qs: QuerySet[Any], network: Network | None) -> QuerySet[Any]:
    return qs if network is None else qs.filter(network=network)


def public_organizations(network: Network | None = None) -> QuerySet[Organization]:
    return _in(Organization.objects.filter(vetting_status=VettingStatus.VETTED), network)


def public_services(network: Network | None = None) -> QuerySet[m.Service]:
    return _in(
        m.Service.objects.filter(
            status=m.ServiceStatus.ACTIVE, organization__vetting_status=VettingStatus.VETTED
        ),
        network,
    )


def public_service_at_locations(network: Network | None = None) -> QuerySet[m.ServiceAtLocation]:
    return _in(
        m.ServiceAtLocation.objects.filter(
            service__status=m.ServiceStatus.ACTIVE,
            service__organization__vetting_status=VettingStatus.VETTED,
        ),
        network,
    )


def _one(qs: QuerySet[Any], hsds_id: str, network: Network | None, what: str) -> int:
    """The database id of the one record with this HSDS id in scope."""
    _text(hsds_id, "id")
    matches = list(qs.filter(hsds_id=hsds_id).values_list("pk", "network__slug")[:10])
    if not matches:
        raise Http404(f"No {what} with id '{hsds_id}'.")
    if len(matches) > 1:
        slugs = ", ".join(sorted(slug for _pk, slug in matches))
        raise Http404(
            f"The {what} id '{hsds_id}' exists in more than one network ({slugs}): "
            "add ?network=<slug> to choose one."
        )
    return int(matches[0][0])


# --- paging ---------------------------------------------------------------------------------------


class PageParams(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    per_page: int = Field(
        PER_PAGE,
        ge=1,
        le=MAX_PER_PAGE_MINIMAL,
        description=f"Records per page (at most {MAX_PER_PAGE}; {MAX_PER_PAGE_MINIMAL} "
        "with minimal=true).",
    )
    format: str = Field("json", description="Only `json` is offered.")
    network: str | None = Field(None, description="Limit to one network (its slug).")


def _check_page(params: PageParams, *, minimal: bool = False) -> None:
    limit = MAX_PER_PAGE_MINIMAL if minimal else MAX_PER_PAGE
    if params.per_page > limit:
        raise _bad("per_page", f"at most {limit}.")
    if params.format != "json":
        raise _bad("format", "only 'json' is offered.")


def _page(
    qs: QuerySet[Any],
    params: PageParams,
    item: Callable[[Any], dict[str, Any]],
    load: Callable[[QuerySet[Any]], Iterable[Any]] = list,
) -> dict[str, Any]:
    total = qs.count()
    start = (params.page - 1) * params.per_page
    rows = list(load(qs[start : start + params.per_page])) if start < total else []
    total_pages = math.ceil(total / params.per_page)
    contents = [item(row) for row in rows]
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": params.page,
        "size": len(contents),
        "first_page": params.page == 1,
        "last_page": params.page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def _words(search: str | None) -> list[str]:
    return (_text(search, "search") or "").split()[:10]


def _search(qs: QuerySet[Any], search: str | None, *fields: str) -> QuerySet[Any]:
    for word in _words(search):
        match = Q()
        for name in fields:
            match |= Q(**{f"{name}__icontains": word})
        qs = qs.filter(match)
    return qs


def _modified_after(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _service_filters(
    qs: QuerySet[Any],
    prefix: str,
    *,
    taxonomy_term_id: str | None,
    taxonomy_id: str | None,
    organization_id: str | None,
    modified_after: datetime | None,
) -> QuerySet[Any]:
    if taxonomy_term_id is not None:
        qs = qs.filter(
            **{f"{prefix}attributes__taxonomy_term__hsds_id": _text(taxonomy_term_id, "id")}
        )
    if taxonomy_id is not None:
        qs = qs.filter(
            **{
                f"{prefix}attributes__taxonomy_term__taxonomy_ref__hsds_id": _text(
                    taxonomy_id, "taxonomy_id"
                )
            }
        )
    if organization_id is not None:
        qs = qs.filter(
            **{f"{prefix}organization__hsds_id": _text(organization_id, "organization_id")}
        )
    modified = _modified_after(modified_after)
    if modified is not None:
        qs = qs.annotate(
            hsds_modified=Coalesce(f"{prefix}last_modified", f"{prefix}updated_at")
        ).filter(hsds_modified__gte=modified)
    return qs.distinct() if taxonomy_term_id or taxonomy_id else qs


# --- published response schemas (generated from tables.py) ----------------------------------------


def _flat(name: str, **children: Any) -> dict[str, Any]:
    schema = serialize.json_schema_for(BY_NAME[name])
    schema["properties"].update(children)
    return schema


def _many(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": schema}


_LINKS = {"attributes": _many(_flat("attribute")), "metadata": _many(_flat("metadata"))}
_PHONE = _flat("phone", languages=_many(_flat("language")))
_CONTACT = _flat("contact", phones=_many(_PHONE))
_LOCATION = _flat(
    "location",
    languages=_many(_flat("language")),
    addresses=_many(_flat("address")),
    contacts=_many(_CONTACT),
    accessibility=_many(_flat("accessibility")),
    phones=_many(_PHONE),
    schedules=_many(_flat("schedule")),
    **_LINKS,
)
_SAL = _flat(
    "service_at_location",
    contacts=_many(_CONTACT),
    phones=_many(_PHONE),
    schedules=_many(_flat("schedule")),
    location=_LOCATION,
    **_LINKS,
)
_SERVICE_OWN = dict(
    phones=_many(_PHONE),
    schedules=_many(_flat("schedule")),
    service_areas=_many(_flat("service_area")),
    languages=_many(_flat("language")),
    funding=_many(_flat("funding")),
    cost_options=_many(_flat("cost_option")),
    program=_flat("program"),
    required_documents=_many(_flat("required_document")),
    contacts=_many(_CONTACT),
    capacities={"type": "array", "description": "HSDS 3.1 service_capacity records."},
    **_LINKS,
)
_ORGANIZATION_OWN = dict(
    funding=_many(_flat("funding")),
    contacts=_many(_CONTACT),
    phones=_many(_PHONE),
    locations=_many(_LOCATION),
    programs=_many(_flat("program")),
    organization_identifiers=_many(_flat("organization_identifier")),
    **_LINKS,
)
ORGANIZATION_LIST = _flat("organization")
SERVICE_LIST = _flat("service", organization=ORGANIZATION_LIST, program=_flat("program"))
SERVICE_FULL = _flat(
    "service",
    **_SERVICE_OWN,
    service_at_locations=_many(_SAL),
    organization=_flat("organization", **_ORGANIZATION_OWN),
)
ORGANIZATION_FULL = _flat(
    "organization",
    **_ORGANIZATION_OWN,
    services=_many(_flat("service", **_SERVICE_OWN, service_at_locations=_many(_SAL))),
)
SAL_LIST = _flat("service_at_location", location=_flat("location"), service=SERVICE_LIST)
SAL_FULL = _flat(
    "service_at_location",
    **{
        k: v
        for k, v in _SAL["properties"].items()
        if k not in BY_NAME["service_at_location"].columns
    },
    service=_flat(
        "service", **_SERVICE_OWN, organization=SERVICE_FULL["properties"]["organization"]
    ),
)
TAXONOMY = _flat("taxonomy")
TAXONOMY_TERM = _flat("taxonomy_term", taxonomy_detail=TAXONOMY)
ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "errors": {"type": "array"}},
    "required": ["detail"],
}


def _responses(schema: dict[str, Any], description: str) -> dict[str, Any]:
    def body(s: dict[str, Any], d: str) -> dict[str, Any]:
        return {"description": d, "content": {"application/json": {"schema": s}}}

    return {
        "responses": {
            200: body(schema, description),
            400: body(ERROR, "A parameter is not valid."),
            404: body(ERROR, "Not found (or an id that needs ?network=)."),
        }
    }


def _paged(items: dict[str, Any], description: str) -> dict[str, Any]:
    page = {
        "type": "object",
        "properties": {
            "total_items": {"type": "integer"},
            "total_pages": {"type": "integer"},
            "page_number": {"type": "integer"},
            "size": {"type": "integer"},
            "first_page": {"type": "boolean"},
            "last_page": {"type": "boolean"},
            "empty": {"type": "boolean"},
            "contents": {"type": "array", "items": items},
        },
        "required": [
            "total_items",
            "total_pages",
            "page_number",
            "size",
            "first_page",
            "last_page",
            "empty",
            "contents",
        ],
    }
    return _responses(page, description)


# --- endpoints ------------------------------------------------------------------------------------


@api.get(
    "/",
    summary="About this API and its relationship with HSDS",
    openapi_extra=_responses(
        {
            "type": "object",
            "properties": {
                "version": {"type": "string"},
                "profile": {"type": "string", "format": "uri"},
                "openapi_url": {"type": "string", "format": "uri"},
            },
            "required": ["version", "profile", "openapi_url"],
        },
        "HSDS version, profile and the OpenAPI document.",
    ),
)
def about(request: HttpRequest) -> dict[str, Any]:
    return {
        "version": HSDS_VERSION,
        "profile": PROFILE_URL,
        "openapi_url": request.build_absolute_uri(reverse("hsds:openapi-json")),
    }


class ServiceParams(PageParams):
    search: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: datetime | None = Field(
        None, description="Services whose last_modified is on or after this date-time."
    )
    minimal: bool = Field(False, description="Only id, name, status and last_modified.")
    full: bool = Field(False, description="Fully nested service records.")


@api.get(
    "/services",
    summary="Paginated services",
    openapi_extra=_paged(SERVICE_LIST, "A page of services (full records with full=true)."),
)
def services(request: HttpRequest, params: Query[ServiceParams]) -> dict[str, Any]:
    _check_page(params, minimal=params.minimal)
    network = _network(params.network)
    qs = _search(
        public_services(network),
        params.search,
        "name",
        "alternate_name",
        "description",
        "organization__name",
    )
    qs = _service_filters(
        qs,
        "",
        taxonomy_term_id=params.taxonomy_term_id,
        taxonomy_id=params.taxonomy_id,
        organization_id=params.organization_id,
        modified_after=params.modified_after,
    ).order_by("name", "pk")
    if params.minimal:
        # The list schema requires name and status beside HSDS's "id and modified date".
        return _page(
            qs.values("hsds_id", "name", "status", "last_modified", "updated_at"),
            params,
            _minimal,
        )
    if params.full:
        return _page(qs, params, _same, _load_full_services)
    return _page(
        qs.select_related("organization__parent_organization", "program__organization"),
        params,
        serialize.service_list_item,
        _load_annotated("service"),
    )


def _minimal(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["hsds_id"],
        "name": row["name"],
        "status": row["status"],
        "last_modified": serialize.iso_datetime(row["last_modified"] or row["updated_at"]),
    }


def _same(item: dict[str, Any]) -> dict[str, Any]:
    return item


def _load_full_services(qs: QuerySet[m.Service]) -> list[dict[str, Any]]:
    return serialize.services_full(serialize.service_queryset(qs))


def _load_annotated(name: str) -> Callable[[QuerySet[Any]], list[Any]]:
    def load(qs: QuerySet[Any]) -> list[Any]:
        refs = BY_NAME[name].references
        return list(
            qs.annotate(**{f"hsds_{r.column}": F(f"{r.model_field}__hsds_id") for r in refs})
        )

    return load


@api.get(
    "/services/{id}",
    summary="A fully nested service",
    openapi_extra=_responses(SERVICE_FULL, "The service with all its related records."),
)
def service(request: HttpRequest, id: str, network: str | None = None) -> dict[str, Any]:
    scope = _network(network)
    pk = _one(public_services(scope), id, scope, "service")
    return serialize.service_full(serialize.service_queryset(m.Service.objects.filter(pk=pk)).get())


class OrganizationParams(PageParams):
    search: str | None = None
    full: bool = Field(False, description="Fully nested organization records.")
    full_service: bool = Field(False, description="With full=true: full service records.")


def _organization_queryset(qs: QuerySet[Organization], network: Network | None, full: bool) -> Any:
    return serialize.organization_queryset(
        qs, services=public_services(network), full_services=full
    )


@api.get(
    "/organizations",
    summary="Paginated organizations",
    openapi_extra=_paged(ORGANIZATION_LIST, "A page of organizations (nested with full=true)."),
)
def organizations(request: HttpRequest, params: Query[OrganizationParams]) -> dict[str, Any]:
    _check_page(params)
    network = _network(params.network)
    qs = _search(
        public_organizations(network), params.search, "name", "alternate_name", "description"
    ).order_by("name", "pk")
    if params.full:
        return _page(
            qs,
            params,
            _same,
            lambda page: serialize.organizations_full(
                _organization_queryset(page, network, params.full_service),
                full_services=params.full_service,
            ),
        )
    return _page(qs.select_related("parent_organization"), params, serialize.organization_list_item)


@api.get(
    "/organizations/{id}",
    summary="A fully nested organization",
    openapi_extra=_responses(ORGANIZATION_FULL, "The organization, its locations and services."),
)
def organization(
    request: HttpRequest, id: str, network: str | None = None, full_service: bool = False
) -> dict[str, Any]:
    scope = _network(network)
    pk = _one(public_organizations(scope), id, scope, "organization")
    org = _organization_queryset(Organization.objects.filter(pk=pk), scope, full_service).get()
    return serialize.organization_full(org, full_services=full_service)


class TaxonomyParams(PageParams):
    search: str | None = None


@api.get(
    "/taxonomies",
    summary="Paginated taxonomies",
    openapi_extra=_paged(TAXONOMY, "A page of taxonomies."),
)
def taxonomies(request: HttpRequest, params: Query[TaxonomyParams]) -> dict[str, Any]:
    _check_page(params)
    qs = _search(
        _in(m.Taxonomy.objects.all(), _network(params.network)),
        params.search,
        "name",
        "description",
    ).order_by("name", "pk")
    return _page(qs, params, serialize.taxonomy_dict)


@api.get(
    "/taxonomies/{id}",
    summary="A taxonomy",
    openapi_extra=_responses(TAXONOMY, "The taxonomy."),
)
def taxonomy(request: HttpRequest, id: str, network: str | None = None) -> dict[str, Any]:
    scope = _network(network)
    pk = _one(_in(m.Taxonomy.objects.all(), scope), id, scope, "taxonomy")
    return serialize.taxonomy_dict(m.Taxonomy.objects.get(pk=pk))


class TaxonomyTermParams(PageParams):
    search: str | None = None
    taxonomy_id: str | None = None
    top_only: bool = Field(False, description="Only top-level terms (no parent).")
    parent_id: str | None = Field(None, description="Only the children of this term.")


def _terms() -> QuerySet[m.TaxonomyTerm]:
    return serialize.hsds_queryset("taxonomy_term").select_related("taxonomy_ref")


@api.get(
    "/taxonomy_terms",
    summary="Paginated taxonomy terms",
    openapi_extra=_paged(TAXONOMY_TERM, "A page of taxonomy terms."),
)
def taxonomy_terms(request: HttpRequest, params: Query[TaxonomyTermParams]) -> dict[str, Any]:
    _check_page(params)
    qs = _search(
        _in(_terms(), _network(params.network)), params.search, "name", "code", "description"
    )
    if params.taxonomy_id is not None:
        qs = qs.filter(taxonomy_ref__hsds_id=_text(params.taxonomy_id, "taxonomy_id"))
    if params.top_only:
        qs = qs.filter(parent__isnull=True)
    if params.parent_id is not None:
        qs = qs.filter(parent__hsds_id=_text(params.parent_id, "parent_id"))
    return _page(qs.order_by("name", "pk"), params, serialize.taxonomy_term_dict)


@api.get(
    "/taxonomy_terms/{id}",
    summary="A taxonomy term",
    openapi_extra=_responses(TAXONOMY_TERM, "The taxonomy term with its taxonomy."),
)
def taxonomy_term(request: HttpRequest, id: str, network: str | None = None) -> dict[str, Any]:
    scope = _network(network)
    pk = _one(_in(m.TaxonomyTerm.objects.all(), scope), id, scope, "taxonomy term")
    return serialize.taxonomy_term_dict(_terms().get(pk=pk))


class ServiceAtLocationParams(PageParams):
    search: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: datetime | None = None
    full: bool = Field(False, description="Fully nested service_at_location records.")
    postcode: str | None = Field(
        None, description="Locations with an address at this postal code (or near it)."
    )
    proximity: float | None = Field(
        None,
        gt=0,
        le=1_000_000,
        description="With postcode: locations within this many meters of the postcode's "
        "centroid (the mean of the directory's located addresses there).",
    )


def _near_postcode(
    qs: QuerySet[m.ServiceAtLocation], postcode: str, meters: float | None
) -> QuerySet[m.ServiceAtLocation]:
    at_postcode = Q(location__addresses__postal_code__iexact=postcode.strip())
    if meters is None:
        return qs.filter(at_postcode).distinct()
    points = list(
        qs.filter(at_postcode, location__latitude__isnull=False, location__longitude__isnull=False)
        .values_list("location__latitude", "location__longitude")
        .distinct()[:1000]
    )
    if not points:
        return qs.none()
    lat0 = sum(float(str(lat)) for lat, _lon in points) / len(points)
    lon0 = sum(float(str(lon)) for _lat, lon in points) / len(points)
    # Equirectangular distance: exact enough at city scale, and plain SQL arithmetic.
    dx = ExpressionWrapper(
        (Radians("location__longitude") - math.radians(lon0)) * math.cos(math.radians(lat0)),
        output_field=FloatField(),
    )
    dy = ExpressionWrapper(
        Radians("location__latitude") - math.radians(lat0), output_field=FloatField()
    )
    limit = (meters / 6_371_000) ** 2
    return (
        qs.annotate(hsds_dx=dx, hsds_dy=dy)
        .filter(
            Q(location__latitude__isnull=False),
            Q(location__longitude__isnull=False),
        )
        .annotate(
            hsds_d2=ExpressionWrapper(
                F("hsds_dx") * F("hsds_dx") + F("hsds_dy") * F("hsds_dy"), output_field=FloatField()
            )
        )
        .filter(hsds_d2__lte=limit)
    )


@api.get(
    "/service_at_locations",
    summary="Paginated services at locations",
    openapi_extra=_paged(SAL_LIST, "A page of services at locations (nested with full=true)."),
)
def service_at_locations(
    request: HttpRequest, params: Query[ServiceAtLocationParams]
) -> dict[str, Any]:
    _check_page(params)
    if params.proximity is not None and params.postcode is None:
        raise _bad("proximity", "needs a postcode to measure from.")
    qs = _search(
        public_service_at_locations(_network(params.network)),
        params.search,
        "service__name",
        "service__description",
        "service__organization__name",
        "location__name",
        "description",
    )
    qs = _service_filters(
        qs,
        "service__",
        taxonomy_term_id=params.taxonomy_term_id,
        taxonomy_id=params.taxonomy_id,
        organization_id=params.organization_id,
        modified_after=params.modified_after,
    )
    if params.postcode is not None:
        qs = _near_postcode(qs, _text(params.postcode, "postcode") or "", params.proximity)
    qs = qs.order_by("service__name", "pk")
    if params.full:
        return _page(
            qs,
            params,
            _same,
            lambda page: serialize.service_at_locations_full(
                serialize.service_at_location_queryset(page)
            ),
        )
    return _page(
        qs.select_related(
            "location__organization",
            "service__organization__parent_organization",
            "service__program__organization",
        ),
        params,
        serialize.service_at_location_list_item,
        _load_annotated("service_at_location"),
    )


@api.get(
    "/service_at_locations/{id}",
    summary="A fully nested service at a location",
    openapi_extra=_responses(SAL_FULL, "The service at the location, with both nested."),
)
def service_at_location(
    request: HttpRequest, id: str, network: str | None = None
) -> dict[str, Any]:
    scope = _network(network)
    pk = _one(public_service_at_locations(scope), id, scope, "service at location")
    sal = serialize.service_at_location_queryset(m.ServiceAtLocation.objects.filter(pk=pk)).get()
    out = serialize.service_at_location_full(sal)
    # HSDS 3.0's openapi.json gives this operation the compiled *service* schema, which
    # requires `name` and `status`: the service's, so the record validates against both.
    out.setdefault("name", sal.service.name)
    out.setdefault("status", sal.service.status)
    return out


# Mounted at /hsds/ by config/urls.py as include("wraparound.directory.hsds.api").
urlpatterns = api.urls[0]
app_name = "hsds"
