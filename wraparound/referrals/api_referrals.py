"""The JSON API of referrals: the same selectors and services as the pages, and the same rules.

- list: school officials get their schools' referrals whole; partner users their organizations'
  referrals once sent, each student through `visibility.partner_views` (logged); a user with
  neither side gets a 403 (nothing is looked up);
- a referral the caller may not open is a 404;
- create: `access.can_refer` for the school (403), bad input a 400 naming the field;
- transitions: 200, 400 (not a move from this status, a refused share, a missing reason),
  403 (the other side's move), 404, 409 (the referral changed since `expected_version`).
"""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from wraparound.core import access
from wraparound.core.api import Id, Pages
from wraparound.core.models import Organization
from wraparound.directory.models import Service
from wraparound.students import visibility
from wraparound.students.models import Guardian, Student

from . import referral_selectors as selectors
from . import referral_services as services
from .models import Referral, ReferralStatus

router = Router(tags=["referrals"])

StatusCode = Literal[
    "draft",
    "sent",
    "accepted",
    "declined",
    "waitlisted",
    "in_service",
    "completed",
    "closed",
    "withdrawn",
]


class EventOut(Schema):
    from_status: str
    to_status: str
    actor_id: int | None
    reason: str
    note: str
    created_at: dt.datetime


class ReferralOut(Schema):
    id: int
    version: int
    status: StatusCode
    school_id: int
    organization_id: int
    service_id: int
    service: str
    urgent: bool
    family: bool = Field(description="A family referral (through a guardian, no student)")
    student: dict[str, Any] | None = Field(
        description="The student's fields the caller may see (partners: only what is allowed)"
    )
    reason: str | None = Field(description="None when the caller may not read it")
    shared_elements: list[str]
    basis: str
    sent_at: dt.datetime | None
    response_due_on: dt.date | None
    decline_reason: str
    close_reason: str
    created_at: dt.datetime


class ReferralDetailOut(ReferralOut):
    events: list[EventOut]
    allowed_transitions: list[str]


class ReferralIn(Schema):
    school: Id
    student: Id | None = None
    guardian: Id | None = None
    service: Id
    reason: str = Field(max_length=4000)
    urgent: bool = False
    shared_elements: list[str] = Field(
        default_factory=lambda: list(services.DEFAULT_SHARED_ELEMENTS)
    )
    send: bool = False
    confirm_duplicate: bool = Field(
        False, description="Make it even if the student has an open referral to the service"
    )


class TransitionIn(Schema):
    to: StatusCode
    expected_version: int = Field(ge=1)
    reason: str = Field("", max_length=2000)
    note: str = Field("", max_length=4000)


class ErrorOut(Schema):
    detail: str


def _shape(
    user: Any, referral: Referral, views: dict[int, visibility.StudentView]
) -> dict[str, Any]:
    official = access.is_school_official(user, referral.school)
    if official:
        student = (
            visibility.whole_view(referral.student).as_dict()
            if referral.student is not None
            else None
        )
        reason: str | None = referral.reason
    else:
        view = views.get(referral.pk)
        student = view.as_dict() if view is not None else None
        reason = view.referral_reason if view is not None else None
    return {
        "id": referral.pk,
        "version": referral.version,
        "status": referral.status,
        "school_id": referral.school_id,
        "organization_id": referral.organization_id,
        "service_id": referral.service_id,
        "service": referral.service.name,
        "urgent": referral.urgent,
        "family": referral.student_id is None,
        "student": student,
        "reason": reason,
        "shared_elements": list(referral.shared_elements or ()),
        "basis": referral.basis,
        "sent_at": referral.sent_at,
        "response_due_on": referral.response_due_on,
        "decline_reason": referral.decline_reason,
        "close_reason": referral.close_reason,
        "created_at": referral.created_at,
    }


def _shape_all(user: Any, referrals: list[Referral], purpose: str) -> list[dict[str, Any]]:
    partner_side = [r for r in referrals if not access.is_school_official(user, r.school)]
    reads = visibility.partner_views(user=user, referrals=partner_side, purpose=purpose)
    views = {read.referral.pk: read.view for read in reads}
    return [_shape(user, r, views) for r in referrals]


def _detail(user: Any, referral: Referral) -> dict[str, Any]:
    return {
        **_shape_all(user, [referral], "referral detail (API)")[0],
        "events": [
            {
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor_id": e.actor_id,
                "reason": e.reason,
                "note": e.note,
                "created_at": e.created_at,
            }
            for e in referral.events.all()
        ],
        "allowed_transitions": services.allowed_targets(user, referral),
    }


class _Shaped:
    """Slices of the queryset come out shaped, with one partner read per page."""

    def __init__(self, user: Any, qs: Any) -> None:
        self.user, self.qs = user, qs

    def count(self) -> int:
        return int(self.qs.count())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        return _shape_all(self.user, list(self.qs[key]), "referral list (API)")


@router.get("/referrals", response=list[ReferralOut], summary="Referrals I may read, newest first")
@paginate(Pages, page_size=50)
def referral_list(
    request: HttpRequest,
    status: StatusCode | None = None,
    school: Id | None = None,
    organization: Id | None = None,
) -> Any:
    if not selectors.can_read_referrals(request.user):
        raise PermissionDenied
    qs = selectors.visible_referrals(request.user).select_related(*selectors.LIST_RELATED)
    if status:
        qs = qs.filter(status=status)
    if school is not None:
        qs = qs.filter(school_id=school)
    if organization is not None:
        qs = qs.filter(organization_id=organization)
    return _Shaped(request.user, qs)


@router.get(
    "/referrals/{referral_id}",
    response=ReferralDetailOut,
    summary="One referral with its events and the moves I may make",
)
def referral_detail(request: HttpRequest, referral_id: Id) -> Any:
    referral = selectors.get_referral_for_user(request.user, referral_id)
    return _detail(request.user, referral)


@router.post(
    "/referrals",
    response={201: ReferralDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Make a referral (a draft, or sent at once with `send`)",
)
def referral_create(request: HttpRequest, payload: ReferralIn) -> Any:
    user = request.user
    school = access.get_school_for_user(user, payload.school)
    if not access.can_refer(user, school):
        raise PermissionDenied
    student = guardian = None
    if payload.student is not None:
        student = Student.objects.filter(pk=payload.student, school=school).first()
        if student is None:
            return Status(400, {"detail": "No such student at this school."})
    if payload.guardian is not None:
        guardian = (
            Guardian.objects.filter(pk=payload.guardian, student_links__student__school=school)
            .distinct()
            .first()
        )
        if guardian is None:
            return Status(400, {"detail": "No such guardian at this school."})
    service = (
        Service.objects.filter(pk=payload.service, organization__network_id=school.network_id)
        .select_related("organization")
        .first()
    )
    if service is None:
        return Status(400, {"detail": "No such service in this network."})
    duplicates = selectors.open_duplicates(student=student, service=service)
    if duplicates and not payload.confirm_duplicate:
        return Status(
            400,
            {
                "detail": (
                    "The student already has an open referral to this service "
                    f"(referral {duplicates[0].pk}); send confirm_duplicate to make another."
                )
            },
        )
    try:
        referral = services.referral_create(
            user=user,
            school=school,
            student=student,
            guardian=guardian,
            service=service,
            reason=payload.reason,
            urgent=payload.urgent,
            shared_elements=payload.shared_elements,
            send=payload.send,
        )
    except visibility.SharingRefused as refused:
        return Status(400, {"detail": str(refused)})
    return Status(201, _detail(user, selectors.get_referral_for_user(user, referral.pk)))


class CrossAgencyIn(Schema):
    referring_organization: Id = Field(description="Your agency, a coalition member")
    student: Id | None = None
    guardian: Id | None = None
    service: Id = Field(description="A service of another member agency of the coalition")
    reason: str = Field(max_length=4000)
    urgent: bool = False
    shared_elements: list[str] = Field(
        default_factory=lambda: list(services.DEFAULT_SHARED_ELEMENTS)
    )
    send: bool = False


@router.post(
    "/cross-agency-referrals",
    response={201: ReferralDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Refer a student or family your agency serves to another coalition member agency",
)
def referral_create_cross_agency(request: HttpRequest, payload: CrossAgencyIn) -> Any:
    user = request.user
    if not access.can_refer_across_agencies(user, payload.referring_organization):
        raise Http404
    if (payload.student is None) == (payload.guardian is None):
        return Status(400, {"detail": "Give a student or a guardian (a family), not both."})
    organization = Organization.objects.get(pk=payload.referring_organization)
    # 404 unless the agency serves them (nothing is confirmed about anyone else).
    selectors.serving_referral(
        user, organization, student_id=payload.student, guardian_id=payload.guardian
    )
    service = (
        Service.objects.filter(pk=payload.service, organization__network_id=organization.network_id)
        .select_related("organization")
        .first()
    )
    if service is None:
        return Status(400, {"detail": "No such service in this network."})
    try:
        referral = services.referral_create_cross_agency(
            user=user,
            referring_organization=organization,
            student=Student.objects.filter(pk=payload.student).first() if payload.student else None,
            guardian=(
                Guardian.objects.filter(pk=payload.guardian).first() if payload.guardian else None
            ),
            service=service,
            reason=payload.reason,
            urgent=payload.urgent,
            shared_elements=payload.shared_elements,
            send=payload.send,
        )
    except visibility.SharingRefused as refused:
        return Status(400, {"detail": str(refused)})
    except ValidationError as error:
        return Status(400, {"detail": " ".join(error.messages)})
    return Status(201, _detail(user, selectors.get_referral_for_user(user, referral.pk)))


@router.post(
    "/referrals/{referral_id}/transitions",
    response={200: ReferralDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Move a referral (send, accept, decline, waitlist, start, complete, close, withdraw)",
)
def referral_transition(request: HttpRequest, referral_id: Id, payload: TransitionIn) -> Any:
    user = request.user
    referral = selectors.get_referral_for_user(user, referral_id)
    try:
        services.referral_transition(
            user=user,
            referral=referral,
            to=payload.to,
            expected_version=payload.expected_version,
            reason=payload.reason,
            note=payload.note,
        )
    except services.ReferralConflict as conflict:
        return Status(409, {"detail": conflict.messages[0]})
    except visibility.SharingRefused as refused:
        return Status(400, {"detail": str(refused)})
    return Status(200, _detail(user, selectors.get_referral_for_user(user, referral.pk)))


__all__ = ["ReferralStatus", "router"]
