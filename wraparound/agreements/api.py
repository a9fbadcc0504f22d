"""The JSON API of partnerships: propose one (as the school's gaps page does), list and read those
the caller may see, and answer or end one (as the organization's and the school's partnership
pages do). The same selectors and services as the HTML pages, and the same rules:

- a partnership the caller may not see (`selectors.visible_partnerships`) is a 404; one they see
  but whose role does not let them act on it is a 403;
- proposing: the school must be one the caller sees (404 otherwise); its coordinators and the
  network admins propose, the school's other readers get a 403;
- bad input is a 400 with the service's words, and nothing is written."""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator

from wraparound.assessments.models import Need
from wraparound.core import access
from wraparound.core.api import Id, Pages
from wraparound.core.models import SchoolYear
from wraparound.directory.models import Service, TaxonomyTerm
from wraparound.directory.search import term_label

from . import selectors, services
from .models import Partnership, PartnershipSource

router = Router(tags=["partnerships"])

Year = Annotated[
    int, Field(ge=2000, le=2100, description="The calendar year the school year ends in")
]
StatusCode = Literal["proposed", "active", "ended"]


# --- schemas -----------------------------------------------------------------------------------


class NamedRef(Schema):
    id: int
    name: str


class PartnershipCategory(Schema):
    id: int
    code: str
    name: str

    @staticmethod
    def resolve_name(obj: TaxonomyTerm) -> str:
        return term_label(obj)


class PartnershipNeed(Schema):
    id: int
    category: PartnershipCategory


class PartnershipOut(Schema):
    id: int
    network_id: int
    school: NamedRef | None = Field(description="None for a network-wide partnership")
    organization: NamedRef
    service: NamedRef | None
    need: PartnershipNeed | None = Field(description="The assessed need it answers, if any")
    school_year: int = Field(description="The calendar year the school year ends in")
    school_year_label: str
    units: int = Field(description="Students or slots committed")
    status: StatusCode
    status_label: str
    source: str
    source_label: str
    notes: str
    ended_reason: str
    allocation_run_id: int | None
    created_at: datetime
    activated_at: datetime | None
    status_changed_at: datetime | None

    @staticmethod
    def resolve_school_year(obj: Partnership) -> int:
        return obj.school_year.end_year

    @staticmethod
    def resolve_school_year_label(obj: Partnership) -> str:
        return obj.school_year.label

    @staticmethod
    def resolve_status_label(obj: Partnership) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_source_label(obj: Partnership) -> str:
        return str(obj.get_source_display())


def _no_null_characters(value: str) -> str:
    """As Django's form fields: a NUL never reaches the database."""
    if "\x00" in value:
        raise ValueError(str(ProhibitNullCharactersValidator.message))
    return value


Text = Annotated[str, AfterValidator(_no_null_characters)]


class ProposeIn(Schema):
    school_id: Id
    service_id: Id
    need_id: Id | None = Field(None, description="The need of the school's assessment it answers")
    year: Year
    units: int = Field(ge=1, le=100_000, description="Students or slots")
    notes: Text = Field("", max_length=2000)


class ReasonIn(Schema):
    # The service says when it is missing or longer than it keeps; this bound only keeps
    # requests small.
    reason: Text = Field("", max_length=2000)


# --- reads -------------------------------------------------------------------------------------


def _with_related(qs: QuerySet[Partnership]) -> QuerySet[Partnership]:
    return qs.select_related("school", "organization", "service", "school_year", "need__category")


@router.get(
    "/partnerships",
    response=list[PartnershipOut],
    summary="Partnerships I may see, newest year first",
)
@paginate(Pages, page_size=50)
def partnership_list(
    request: HttpRequest,
    school: Id | None = None,
    organization: Id | None = None,
    year: Year | None = None,
    status: StatusCode | None = None,
) -> Any:
    qs = selectors.visible_partnerships(request.user)
    if school is not None:
        qs = qs.filter(school_id=school)
    if organization is not None:
        qs = qs.filter(organization_id=organization)
    if year is not None:
        qs = qs.filter(school_year__end_year=year)
    if status is not None:
        qs = qs.filter(status=status)
    return _with_related(qs).order_by(
        "-school_year__end_year", "school__name", "organization__name", "id"
    )


@router.get("/partnerships/{partnership_id}", response=PartnershipOut, summary="One partnership")
def partnership_detail(request: HttpRequest, partnership_id: Id) -> Any:
    return selectors.get_partnership_for_user(request.user, partnership_id)


# --- writes ------------------------------------------------------------------------------------

# The service names the model's fields; the answer names the request's.
BODY_FIELDS = {"service": "service_id", "need": "need_id", "school_year": "year"}


def _named_as_the_body(error: ValidationError) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {BODY_FIELDS.get(name, name): messages for name, messages in error.message_dict.items()}
    )


@router.post(
    "/partnerships",
    response={201: PartnershipOut},
    summary="Propose a partnership to a service's organization (school coordinators)",
)
def partnership_propose(request: HttpRequest, payload: ProposeIn) -> Any:
    school = access.get_school_for_user(request.user, payload.school_id)
    if not access.can_propose_partnership(request.user, school):
        raise PermissionDenied
    year = SchoolYear.objects.filter(network_id=school.network_id, end_year=payload.year).first()
    if year is None:
        raise ValidationError({"year": _("Choose a school year of this network.")})
    service = Service.objects.filter(pk=payload.service_id, network_id=school.network_id).first()
    if service is None:
        raise ValidationError({"service_id": _("Choose a service of this network's directory.")})
    need = None
    if payload.need_id is not None:
        need = (
            Need.objects.filter(
                pk=payload.need_id, assessment__school=school, assessment__school_year=year
            )
            .select_related(
                "assessment__school__community",
                "assessment__school__network",
                "assessment__school_year",
            )
            .first()
        )
        if need is None:
            raise ValidationError({"need_id": _("Choose a need of this school's assessment.")})
    try:
        partnership = services.partnership_propose(
            actor=request.user,
            need=need,
            school=school,
            service=service,
            units=payload.units,
            school_year=year,
            source=(
                PartnershipSource.RECOMMENDATION if need is not None else PartnershipSource.DIRECT
            ),
            notes=payload.notes,
        )
    except ValidationError as error:
        raise _named_as_the_body(error) from None
    return Status(201, selectors.get_partnership_for_user(request.user, partnership.pk))


@router.post(
    "/partnerships/{partnership_id}/accept",
    response=PartnershipOut,
    summary="Accept a proposed partnership (the organization's partner admins)",
)
def partnership_accept(request: HttpRequest, partnership_id: Id) -> Any:
    partnership = selectors.get_partnership_for_user(request.user, partnership_id)
    if not access.can_respond_to_partnership(request.user, partnership):
        raise PermissionDenied
    services.partnership_accept(actor=request.user, partnership=partnership)
    return selectors.get_partnership_for_user(request.user, partnership_id)


@router.post(
    "/partnerships/{partnership_id}/decline",
    response=PartnershipOut,
    summary="Decline a proposed partnership, saying why (the organization's partner admins)",
)
def partnership_decline(request: HttpRequest, partnership_id: Id, payload: ReasonIn) -> Any:
    partnership = selectors.get_partnership_for_user(request.user, partnership_id)
    if not access.can_respond_to_partnership(request.user, partnership):
        raise PermissionDenied
    services.partnership_decline(actor=request.user, partnership=partnership, reason=payload.reason)
    return selectors.get_partnership_for_user(request.user, partnership_id)


@router.post(
    "/partnerships/{partnership_id}/end",
    response=PartnershipOut,
    summary="End an active partnership, saying why (either side)",
)
def partnership_end(request: HttpRequest, partnership_id: Id, payload: ReasonIn) -> Any:
    partnership = selectors.get_partnership_for_user(request.user, partnership_id)
    if not access.can_end_partnership(request.user, partnership):
        raise PermissionDenied
    services.partnership_end(actor=request.user, partnership=partnership, reason=payload.reason)
    return selectors.get_partnership_for_user(request.user, partnership_id)
