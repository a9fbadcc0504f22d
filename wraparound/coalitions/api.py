"""The JSON API of a coalition's member agencies and their contacts, commitments, measures
(computed and entered) and shared-resources board (/api/v1/coalitions/{id}/…): the same
selectors and services as the pages, and the same rules.

- a coalition the caller may not see is a 404 (`access.visible_coalitions`), so is anything of
  it (a member agency, contact, commitment, entered measure, post); whoever sees it reads all
  of these;
- member agencies and contacts (adding, activating, deactivating, changing, removing): network
  admins; others who see the coalition get a 403;
- commitments and entered measures (creating, changing, removing): network admins, and contacts
  for their own member agencies (403 otherwise); a measure for the coalition as a whole
  (no member agency): network admins only;
- posting: for a member agency the caller is a contact of (network admins: any, or none), else
  403; bad input a 400 naming the field;
- responding: anyone who sees the coalition; a closed post is a 400;
- closing: who posted, or a network admin (403); 409 when the post changed since
  `expected_version` or is already closed.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wraparound.core import access
from wraparound.core.api import Id, Pages
from wraparound.core.models import Coalition, Organization, School

from . import measures as measures_mod
from . import selectors, services
from .models import (
    CoalitionMember,
    Commitment,
    MeasureEntry,
    MemberContact,
    MemberKind,
    ResourcePost,
    ResourceResponse,
)

router = Router(tags=["coalitions"])


class ErrorOut(Schema):
    detail: str


class PostOut(Schema):
    id: int
    version: int
    kind: Literal["offer", "request"]
    title: str
    body: str
    status: Literal["open", "fulfilled", "withdrawn"]
    member_id: int | None
    member_name: str | None
    posted_by_id: int | None
    posted_at: dt.datetime
    closed_at: dt.datetime | None
    response_count: int = 0

    @staticmethod
    def resolve_member_name(obj: ResourcePost) -> str | None:
        return obj.member.display_name if obj.member else None

    @staticmethod
    def resolve_response_count(obj: Any) -> int:
        count = getattr(obj, "response_count", None)
        return int(count) if count is not None else obj.responses.count()


class ResponseOut(Schema):
    id: int
    message: str
    member_id: int | None
    member_name: str | None
    responder_id: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_member_name(obj: ResourceResponse) -> str | None:
        return obj.member.display_name if obj.member else None


class PostDetailOut(PostOut):
    responses: list[ResponseOut]

    @staticmethod
    def resolve_responses(obj: ResourcePost) -> list[ResourceResponse]:
        return selectors.post_responses(obj)


class PostIn(Schema):
    kind: Literal["offer", "request"]
    title: str = Field(..., max_length=200)
    body: str = Field("", max_length=5000)
    member_id: Id | None = Field(
        None, description="The member agency posted for (one you are a contact of)"
    )


class RespondIn(Schema):
    message: str = Field(..., max_length=5000)
    member_id: Id | None = None


class CloseIn(Schema):
    status: Literal["fulfilled", "withdrawn"]
    expected_version: int = Field(..., ge=1, le=2**31 - 1)


class BoardFilter(Schema):
    status: Literal["open", "fulfilled", "withdrawn", "closed", "all"] = "open"
    kind: Literal["offer", "request"] | None = None


def _member(coalition: Any, member_id: int | None) -> CoalitionMember | None:
    if member_id is None:
        return None
    member = CoalitionMember.objects.filter(coalition=coalition, pk=member_id).first()
    if member is None:
        raise ValidationError({"member_id": ["Choose a member agency of this coalition."]})
    return member


@router.get(
    "/coalitions/{coalition_id}/posts",
    response=list[PostOut],
    summary="A coalition's shared-resources board, newest first (default: open posts)",
)
@paginate(Pages)
def post_list(request: HttpRequest, coalition_id: Id, filters: Query[BoardFilter]) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    return selectors.board_posts(coalition, status=filters.status, kind=filters.kind or "")


@router.post(
    "/coalitions/{coalition_id}/posts",
    response={201: PostDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Post an offer or a request",
)
def post_create(request: HttpRequest, coalition_id: Id, payload: PostIn) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    post = services.resource_post_create(
        user=request.user,
        coalition=coalition,
        member=_member(coalition, payload.member_id),
        kind=payload.kind,
        title=payload.title,
        body=payload.body,
    )
    return Status(201, selectors.get_post(coalition, post.pk))


@router.get(
    "/coalitions/{coalition_id}/posts/{post_id}",
    response={200: PostDetailOut, 404: ErrorOut},
    summary="One post with its responses",
)
def post_detail(request: HttpRequest, coalition_id: Id, post_id: Id) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    return selectors.get_post(coalition, post_id)


@router.post(
    "/coalitions/{coalition_id}/posts/{post_id}/responses",
    response={201: ResponseOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Respond to a post (the poster is notified); a closed post takes none",
)
def post_respond(request: HttpRequest, coalition_id: Id, post_id: Id, payload: RespondIn) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    post = selectors.get_post(coalition, post_id)
    response = services.resource_post_respond(
        user=request.user,
        post=post,
        message=payload.message,
        member=_member(coalition, payload.member_id),
    )
    return Status(201, response)


@router.post(
    "/coalitions/{coalition_id}/posts/{post_id}/close",
    response={200: PostDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Mark a post fulfilled or withdraw it (who posted it, or a network admin)",
)
def post_close(request: HttpRequest, coalition_id: Id, post_id: Id, payload: CloseIn) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    post = selectors.get_post(coalition, post_id)
    try:
        services.resource_post_close(
            user=request.user,
            post=post,
            status=payload.status,
            expected_version=payload.expected_version,
        )
    except services.ResourcePostConflict as conflict:
        return Status(409, {"detail": conflict.message})
    return selectors.get_post(coalition, post.pk)


class PeriodQuery(Schema):
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None


@router.get(
    "/coalitions/{coalition_id}/measures",
    response={200: dict[str, Any], 400: ErrorOut, 404: ErrorOut},
    summary="Accountability measures by member agency (counts only); default period: the "
    "network's current school year",
)
def coalition_measures(request: HttpRequest, coalition_id: Id, period: Query[PeriodQuery]) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    start, end = measures_mod.default_period(coalition)
    start, end = period.from_ or start, period.to or end
    if end < start:
        raise ValidationError({"to": ["The period must end on or after the day it starts."]})
    return measures_mod.compute(coalition, start, end).as_dict()


# --- member agencies and their contacts --------------------------------------------------------

# The models' choices (a test checks they stay the same).
MemberKindName = Literal[
    "community_organization", "government_agency", "head_start", "child_care", "school", "other"
]
CommitmentKindName = Literal[
    "referrals_accepted", "slots", "staff_hours", "space", "funds", "other"
]


@contextmanager
def _body_fields(aliases: dict[str, str]) -> Iterator[None]:
    """A service's refusal named by the request body's field ("member" → "member_id")."""
    try:
        yield
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError(
            {aliases.get(field, field): messages for field, messages in error.message_dict.items()}
        ) from None


def _manage(request: HttpRequest, coalition: Coalition) -> None:
    # Before any lookup of the body, so that a caller who may not manage learns nothing from it.
    if not access.can_manage_coalition(request.user, coalition):
        raise PermissionDenied


def _may_act(request: HttpRequest, coalition: Coalition) -> None:
    """The pages' rule for recording commitments and measures: an admin, or a contact of an
    active member agency."""
    if not access.can_manage_coalition(request.user, coalition) and not selectors.acting_members(
        request.user, coalition
    ):
        raise PermissionDenied


class ContactOut(Schema):
    id: int
    member_id: int
    name: str
    title: str
    email: str
    phone: str
    is_primary: bool
    user_id: int | None
    account: str | None = Field(None, description="The linked user's username")

    @staticmethod
    def resolve_account(obj: MemberContact) -> str | None:
        return obj.user.get_username() if obj.user else None


class MemberOut(Schema):
    id: int
    kind: str
    name: str
    organization_id: int | None
    school_id: int | None
    joined_on: dt.date
    is_active: bool
    contacts: list[ContactOut]

    @staticmethod
    def resolve_name(obj: CoalitionMember) -> str:
        return obj.display_name

    @staticmethod
    def resolve_contacts(obj: CoalitionMember) -> list[MemberContact]:
        return list(obj.contacts.all())


class MemberIn(Schema):
    kind: MemberKindName | None = Field(
        None, description="Required unless school_id is given (a school is of kind 'school')"
    )
    organization_id: Id | None = Field(None, description="An organization of the directory")
    school_id: Id | None = Field(None, description="A school of the network")
    name: str = Field("", max_length=250, description="An agency outside the directory")
    joined_on: dt.date | None = Field(None, description="Default: today")


class ContactIn(Schema):
    name: str = Field(..., max_length=200)
    title: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    account: str = Field(
        "",
        max_length=254,
        description="Username or e-mail of a user of the network, who then takes part in the "
        "coalition; empty: no account",
    )
    is_primary: bool = False


def _member_out(coalition: Coalition, member_id: int) -> CoalitionMember:
    return next(m for m in selectors.members_with_contacts(coalition) if m.pk == member_id)


@router.get(
    "/coalitions/{coalition_id}/members",
    response=list[MemberOut],
    summary="A coalition's member agencies with their contacts (active first)",
)
@paginate(Pages)
def member_list(request: HttpRequest, coalition_id: Id) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    return selectors.members_with_contacts(coalition)


@router.post(
    "/coalitions/{coalition_id}/members",
    response={201: MemberOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Add a member agency: an organization of the directory, a school of the network, or "
    "an agency outside the directory, named (network admins)",
)
def member_add(request: HttpRequest, coalition_id: Id, payload: MemberIn) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    _manage(request, coalition)
    organization = school = None
    if payload.organization_id is not None:
        organization = Organization.objects.filter(
            pk=payload.organization_id, network_id=coalition.network_id
        ).first()
        if organization is None:
            raise ValidationError(
                {"organization_id": ["Choose an organization of the network's directory."]}
            )
    if payload.school_id is not None:
        school = School.objects.filter(
            pk=payload.school_id, network_id=coalition.network_id
        ).first()
        if school is None:
            raise ValidationError({"school_id": ["Choose a school of the network."]})
    kind = payload.kind or (MemberKind.SCHOOL if school is not None else "")
    with _body_fields({"organization": "organization_id", "school": "school_id"}):
        member = services.member_add(
            user=request.user,
            coalition=coalition,
            kind=kind,
            organization=organization,
            school=school,
            name=payload.name,
            joined_on=payload.joined_on,
        )
    return Status(201, _member_out(coalition, member.pk))


def _set_active(request: HttpRequest, coalition_id: int, member_id: int, active: bool) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    member = selectors.get_member(coalition, member_id)
    _manage(request, coalition)
    services.member_set_active(user=request.user, member=member, active=active)
    return _member_out(coalition, member.pk)


@router.post(
    "/coalitions/{coalition_id}/members/{member_id}/deactivate",
    response={200: MemberOut, 403: ErrorOut, 404: ErrorOut},
    summary="Deactivate a member agency; its history stays, its contacts lose the coalition "
    "role (network admins)",
)
def member_deactivate(request: HttpRequest, coalition_id: Id, member_id: Id) -> Any:
    return _set_active(request, coalition_id, member_id, False)


@router.post(
    "/coalitions/{coalition_id}/members/{member_id}/activate",
    response={200: MemberOut, 403: ErrorOut, 404: ErrorOut},
    summary="Reactivate a member agency; its linked contacts take part again (network admins)",
)
def member_activate(request: HttpRequest, coalition_id: Id, member_id: Id) -> Any:
    return _set_active(request, coalition_id, member_id, True)


@router.get(
    "/coalitions/{coalition_id}/members/{member_id}/contacts",
    response={200: list[ContactOut], 404: ErrorOut},
    summary="The contacts of a member agency, the primary contact first",
)
def contact_list(request: HttpRequest, coalition_id: Id, member_id: Id) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    member = selectors.get_member(coalition, member_id)
    return list(member.contacts.select_related("user"))


def _contact_fields(coalition: Coalition, payload: ContactIn) -> dict[str, Any]:
    with _body_fields({"user": "account"}):
        contact_user = services.find_network_user(coalition.network, payload.account)
    return {
        "name": payload.name,
        "title": payload.title,
        "email": payload.email,
        "phone": payload.phone,
        "is_primary": payload.is_primary,
        "contact_user": contact_user,
    }


@router.post(
    "/coalitions/{coalition_id}/members/{member_id}/contacts",
    response={201: ContactOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Add a contact to a member agency (network admins)",
)
def contact_add(request: HttpRequest, coalition_id: Id, member_id: Id, payload: ContactIn) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    member = selectors.get_member(coalition, member_id)
    _manage(request, coalition)
    with _body_fields({"user": "account"}):
        contact = services.contact_add(
            user=request.user, member=member, **_contact_fields(coalition, payload)
        )
    return Status(201, selectors.get_contact(coalition, contact.pk))


@router.put(
    "/coalitions/{coalition_id}/contacts/{contact_id}",
    response={200: ContactOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change a contact: every field as it should be (network admins)",
)
def contact_update(
    request: HttpRequest, coalition_id: Id, contact_id: Id, payload: ContactIn
) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    contact = selectors.get_contact(coalition, contact_id)
    _manage(request, coalition)
    with _body_fields({"user": "account"}):
        services.contact_update(
            user=request.user, contact=contact, **_contact_fields(coalition, payload)
        )
    return selectors.get_contact(coalition, contact.pk)


@router.delete(
    "/coalitions/{coalition_id}/contacts/{contact_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove a contact; a linked user who is no longer a contact loses the coalition "
    "role (network admins)",
)
def contact_remove(request: HttpRequest, coalition_id: Id, contact_id: Id) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    contact = selectors.get_contact(coalition, contact_id)
    _manage(request, coalition)
    services.contact_remove(user=request.user, contact=contact)
    return Status(204, None)


# --- commitments --------------------------------------------------------------------------------


class CommitmentOut(Schema):
    id: int
    member_id: int
    member_name: str
    kind: str
    description: str
    quantity: Decimal | None
    unit: str
    starts_on: dt.date
    ends_on: dt.date
    created_by_id: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_member_name(obj: Commitment) -> str:
        return obj.member.display_name


class CommitmentUpdateIn(Schema):
    kind: CommitmentKindName
    description: str = Field("", max_length=500, description="Required for kind 'other'")
    quantity: Decimal | None = Field(None, description="Required for 'referrals_accepted'")
    unit: str = Field("", max_length=50, description="e.g. hours, USD, slots")
    starts_on: dt.date
    ends_on: dt.date


class CommitmentIn(CommitmentUpdateIn):
    member_id: Id = Field(..., description="A member agency you may act for")


class CommitmentFilter(Schema):
    member_id: Id | None = None


@router.get(
    "/coalitions/{coalition_id}/commitments",
    response=list[CommitmentOut],
    summary="What the member agencies commit to, by member agency, latest first",
)
@paginate(Pages)
def commitment_list(
    request: HttpRequest, coalition_id: Id, filters: Query[CommitmentFilter]
) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    found = selectors.commitments(coalition)
    if filters.member_id is not None:
        found = [c for c in found if c.member_id == filters.member_id]
    return found


@router.post(
    "/coalitions/{coalition_id}/commitments",
    response={201: CommitmentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Record what a member agency will contribute (admins; contacts for their agency)",
)
def commitment_create(request: HttpRequest, coalition_id: Id, payload: CommitmentIn) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    _may_act(request, coalition)
    fields = payload.dict()
    member = _member(coalition, fields.pop("member_id"))
    with _body_fields({"member": "member_id"}):
        commitment = services.commitment_create(
            user=request.user, coalition=coalition, member=member, **fields
        )
    return Status(201, selectors.get_commitment(coalition, commitment.pk))


def _commitment_for_change(request: HttpRequest, coalition_id: int, pk: int) -> Commitment:
    coalition = selectors.get_coalition(request.user, coalition_id)
    commitment = selectors.get_commitment(coalition, pk)
    if not access.can_act_for_coalition_member(request.user, coalition, commitment.member_id):
        raise PermissionDenied
    return commitment


@router.put(
    "/coalitions/{coalition_id}/commitments/{commitment_id}",
    response={200: CommitmentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change a commitment: every field as it should be; its member agency stays",
)
def commitment_update(
    request: HttpRequest, coalition_id: Id, commitment_id: Id, payload: CommitmentUpdateIn
) -> Any:
    commitment = _commitment_for_change(request, coalition_id, commitment_id)
    services.commitment_update(user=request.user, commitment=commitment, **payload.dict())
    return selectors.get_commitment(commitment.coalition, commitment.pk)


@router.delete(
    "/coalitions/{coalition_id}/commitments/{commitment_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove a commitment (the measures entered against it stay)",
)
def commitment_delete(request: HttpRequest, coalition_id: Id, commitment_id: Id) -> Any:
    commitment = _commitment_for_change(request, coalition_id, commitment_id)
    services.commitment_delete(user=request.user, commitment=commitment)
    return Status(204, None)


# --- entered measures ---------------------------------------------------------------------------


class MeasureEntryOut(Schema):
    id: int
    member_id: int | None = Field(None, description="None: the coalition as a whole")
    member_name: str | None
    commitment_id: int | None
    name: str
    value: Decimal
    unit: str
    starts_on: dt.date
    ends_on: dt.date
    note: str
    entered_by_id: int | None
    entered_at: dt.datetime

    @staticmethod
    def resolve_member_name(obj: MeasureEntry) -> str | None:
        return obj.member.display_name if obj.member else None


class MeasureEntryIn(Schema):
    member_id: Id | None = Field(
        None,
        description="A member agency you may act for; none: the coalition as a whole (network "
        "admins), or the commitment's member agency",
    )
    commitment_id: Id | None = Field(
        None, description="The commitment this figure reports on (of the same member agency)"
    )
    name: str = Field(..., max_length=200, description="e.g. families served at the food pantry")
    value: Decimal
    unit: str = Field("", max_length=50)
    starts_on: dt.date
    ends_on: dt.date
    note: str = Field("", max_length=500, description="Source or note")


class EntryFilter(Schema):
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None
    member_id: Id | None = None


ENTRY_FIELDS = {"member": "member_id", "commitment": "commitment_id"}


def _entry_fields(coalition: Coalition, payload: MeasureEntryIn) -> dict[str, Any]:
    fields = payload.dict()
    member = _member(coalition, fields.pop("member_id"))
    commitment_id = fields.pop("commitment_id")
    commitment = None
    if commitment_id is not None:
        commitment = Commitment.objects.filter(coalition=coalition, pk=commitment_id).first()
        if commitment is None:
            raise ValidationError({"commitment_id": ["Choose a commitment of this coalition."]})
    return {"member": member, "commitment": commitment, **fields}


@router.get(
    "/coalitions/{coalition_id}/measures/entries",
    response=list[MeasureEntryOut],
    summary="Measures entered by hand whose period overlaps from–to (both optional), latest first",
)
@paginate(Pages)
def measure_entry_list(request: HttpRequest, coalition_id: Id, filters: Query[EntryFilter]) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    if filters.from_ and filters.to and filters.to < filters.from_:
        raise ValidationError({"to": ["The period must end on or after the day it starts."]})
    return selectors.measure_entries(
        coalition, start=filters.from_, end=filters.to, member_id=filters.member_id
    )


@router.post(
    "/coalitions/{coalition_id}/measures/entries",
    response={201: MeasureEntryOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Enter a figure the system cannot compute (admins; contacts for their agency)",
)
def measure_entry_create(request: HttpRequest, coalition_id: Id, payload: MeasureEntryIn) -> Any:
    coalition = selectors.get_coalition(request.user, coalition_id)
    _may_act(request, coalition)
    with _body_fields(ENTRY_FIELDS):
        entry = services.measure_entry_create(
            user=request.user, coalition=coalition, **_entry_fields(coalition, payload)
        )
    return Status(201, selectors.get_measure_entry(coalition, entry.pk))


def _entry_for_change(request: HttpRequest, coalition_id: int, pk: int) -> MeasureEntry:
    coalition = selectors.get_coalition(request.user, coalition_id)
    entry = selectors.get_measure_entry(coalition, pk)
    if not access.can_act_for_coalition_member(request.user, coalition, entry.member_id):
        raise PermissionDenied
    return entry


@router.put(
    "/coalitions/{coalition_id}/measures/entries/{entry_id}",
    response={200: MeasureEntryOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Correct an entered measure: every field as it should be",
)
def measure_entry_update(
    request: HttpRequest, coalition_id: Id, entry_id: Id, payload: MeasureEntryIn
) -> Any:
    entry = _entry_for_change(request, coalition_id, entry_id)
    coalition = entry.coalition
    with _body_fields(ENTRY_FIELDS):
        services.measure_entry_update(
            user=request.user, entry=entry, **_entry_fields(coalition, payload)
        )
    return selectors.get_measure_entry(coalition, entry.pk)


@router.delete(
    "/coalitions/{coalition_id}/measures/entries/{entry_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove an entered measure",
)
def measure_entry_delete(request: HttpRequest, coalition_id: Id, entry_id: Id) -> Any:
    entry = _entry_for_change(request, coalition_id, entry_id)
    services.measure_entry_delete(user=request.user, entry=entry)
    return Status(204, None)
