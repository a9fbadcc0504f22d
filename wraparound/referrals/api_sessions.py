"""The JSON API of service sessions: an organization's or a school's sessions, logging one, and a
student's dosage. The same selectors and services as the pages, and the same rules:

- an organization's sessions: its partner users and the network's admins; a school's: the
  school's officials (evaluators, who read the school, get a 403); anyone else a 404;
- logging: partner users for their organization, `access.can_log_school_session` for a school
  session; the same validation as the page (400 naming the field or the student);
- a student's dosage: the school's officials (anyone else: 404).

Lists carry no student names; case notes are never in the API."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from wraparound.core import access
from wraparound.core.api import Id, Pages
from wraparound.directory.models import Service

from . import session_selectors as selectors
from . import session_services as services
from .models import ServiceSession

router = Router(tags=["sessions"])


class SessionOut(Schema):
    id: int
    school_id: int
    organization_id: int | None
    service_id: int | None
    service: str | None
    partnership_id: int | None
    kind: Literal["individual", "group"]
    date: dt.date
    starts_at: dt.time | None
    duration_minutes: int
    modality: Literal["in_person", "virtual"]
    place: str
    present: int = Field(description="Students present")
    recorded: int = Field(description="Students recorded (present or absent)")
    created_at: dt.datetime


def _session(s: ServiceSession) -> dict[str, Any]:
    return {
        "id": s.pk,
        "school_id": s.school_id,
        "organization_id": s.organization_id,
        "service_id": s.service_id,
        "service": s.service.name if s.service else None,
        "partnership_id": s.partnership_id,
        "kind": s.kind,
        "date": s.date,
        "starts_at": s.starts_at,
        "duration_minutes": s.duration_minutes,
        "modality": s.modality,
        "place": s.place,
        "present": getattr(s, "present_count", 0),
        "recorded": getattr(s, "roster_count", 0),
        "created_at": s.created_at,
    }


class _Shaped:
    """A queryset whose slices come out as the response's dicts."""

    def __init__(self, qs: QuerySet[ServiceSession]) -> None:
        self.qs = qs

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        return [_session(s) for s in self.qs[key]]


@router.get(
    "/organizations/{org_id}/sessions",
    response=list[SessionOut],
    summary="An organization's service sessions, newest first",
)
@paginate(Pages, page_size=50)
def session_list_organization(request: HttpRequest, org_id: Id) -> Any:
    organization = access.get_organization_for_user(request.user, org_id)
    return _Shaped(selectors.sessions_for_organization(request.user, organization))


@router.get(
    "/schools/{school_id}/sessions",
    response=list[SessionOut],
    summary="A school's service sessions (its staff's and its partners'), newest first",
)
@paginate(Pages, page_size=50)
def session_list_school(request: HttpRequest, school_id: Id) -> Any:
    school = access.get_school_for_user(request.user, school_id)
    return _Shaped(selectors.sessions_for_school(request.user, school))


class AttendanceIn(Schema):
    student_id: Id
    present: bool = True
    minutes: int | None = Field(None, ge=0, le=600, description="Empty: the whole session")


class SessionIn(Schema):
    school_id: Id
    organization_id: Id | None = Field(None, description="Empty: a session the school runs")
    service_id: Id | None = None
    kind: Literal["individual", "group"]
    date: dt.date
    starts_at: dt.time | None = None
    duration_minutes: int = Field(ge=1, le=600)
    modality: Literal["in_person", "virtual"] = "in_person"
    place: Annotated[str, Field(max_length=200)] = ""
    notes: Annotated[str, Field(max_length=5000)] = ""
    attendance: list[AttendanceIn] = Field(
        max_length=2000, description="Group: every roster student; individual: one"
    )


@router.post(
    "/sessions",
    response={201: SessionOut},
    summary="Log a session (a partner's, or the school's own) with its attendance",
)
def session_create(request: HttpRequest, payload: SessionIn) -> Any:
    if payload.organization_id is not None:
        organization = access.get_organization_for_user(request.user, payload.organization_id)
        if not access.can_log_partner_session(request.user, organization.pk):
            raise PermissionDenied
        schools = selectors.partner_session_schools(organization).select_related("network")
        school = schools.filter(pk=payload.school_id).first()
        if school is None:
            raise Http404
    else:
        organization = None
        school = access.get_school_for_user(request.user, payload.school_id)
    service = None
    if payload.service_id is not None:
        service = Service.objects.filter(
            pk=payload.service_id, network_id=school.network_id
        ).first()
        if service is None:
            raise ValidationError({"service_id": ["No such service in this network."]})
    session = services.session_log(
        user=request.user,
        school=school,
        organization=organization,
        service=service,
        kind=payload.kind,
        date=payload.date,
        starts_at=payload.starts_at,
        duration_minutes=payload.duration_minutes,
        modality=payload.modality,
        place=payload.place,
        notes=payload.notes,
        attendance=[(a.student_id, a.present, a.minutes) for a in payload.attendance],
    )
    shaped = (
        ServiceSession.objects.filter(pk=session.pk)
        .select_related("service")
        .annotate(
            present_count=Count("attendance", filter=Q(attendance__present=True)),
            roster_count=Count("attendance"),
        )
        .get()
    )
    return Status(201, _session(shaped))


class ServiceDosageOut(Schema):
    service_id: int | None
    service: str
    organization: str
    sessions: int
    minutes: int
    hours: float


class DosageOut(Schema):
    student_id: int
    sessions: int = Field(description="Sessions attended (present)")
    minutes: int
    hours: float
    by_service: list[ServiceDosageOut]


@router.get(
    "/students/{student_id}/dosage",
    response=DosageOut,
    summary="A student's sessions attended and hours, in all and by service (school officials)",
)
def student_dosage(request: HttpRequest, student_id: Id) -> Any:
    student = selectors.get_student_for_dosage(request.user, student_id)
    dosage = selectors.student_dosage(request.user, student)
    return {
        "student_id": student.pk,
        "sessions": dosage.sessions,
        "minutes": dosage.minutes,
        "hours": dosage.hours,
        "by_service": [
            {
                "service_id": g.service_id,
                "service": g.service,
                "organization": g.organization,
                "sessions": g.sessions,
                "minutes": g.minutes,
                "hours": g.hours,
            }
            for g in dosage.by_service
        ],
    }
