"""The JSON API of student records, on the same selectors as the pages:

- `/students` and `/students/{id}`: school officials (`access.student_filter`); a role that sees
  no student at all gets a 403 on the list (nothing is looked up), a school or student the
  caller may not see is a 404 — partners included: they reach students through referrals only;
- `/organizations/{id}/students`: users acting for the organization, each student with only the
  fields its agreement or the family's consent allows; each read is logged as a Disclosure
  (purpose "API"); anyone else a 404."""

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from wraparound.core import access
from wraparound.core.api import Id, Pages
from wraparound.core.grades import Grade
from wraparound.referrals.models import Referral

from . import selectors
from .models import Student

router = Router(tags=["students"])

PURPOSE_API = "API"


class SchoolRef(Schema):
    id: int
    name: str


class StudentOut(Schema):
    id: int
    sourced_id: str
    identifier: str = Field(description="The school's student id")
    given_name: str
    middle_name: str
    family_name: str
    preferred_name: str
    grade: str = Field(description="OneRoster grade code")
    birth_date: dt.date | None
    school: SchoolRef | None
    email: str
    phone: str
    sms: str
    sex: str
    race_ethnicity: str
    english_learner: bool | None
    home_language: str
    disability: bool | None
    economically_disadvantaged: bool | None
    is_active: bool


class StudentListOut(StudentOut):
    open_tiers: int
    open_referrals: int


class GuardianOut(Schema):
    id: int
    relationship: str
    given_name: str
    family_name: str
    email: str
    phone: str
    sms: str
    preferred_language: str


class StudentDetailOut(StudentOut):
    guardians: list[GuardianOut]


def _student(s: Student) -> dict[str, Any]:
    fields = StudentOut.model_fields
    out = {name: getattr(s, name) for name in fields if name != "school"}
    out["school"] = {"id": s.school.pk, "name": s.school.name} if s.school is not None else None
    return out


@router.get(
    "/students",
    response=list[StudentListOut],
    summary="Students of the schools I serve as a school official",
)
@paginate(Pages, page_size=50)
def student_list(
    request: HttpRequest,
    school: Id | None = None,
    q: Annotated[str, Field(max_length=200)] = "",
    grade: Annotated[str, Field(max_length=5)] = "",
) -> Any:
    if not access.sees_school_students(request.user):
        raise PermissionDenied
    if grade and grade not in Grade.values:
        raise ValidationError({"grade": [f"Not a OneRoster grade code: {grade[:5]!r}."]})
    if school is not None:
        qs = selectors.school_students(request.user, school, q=q.strip(), grade=grade)
    else:
        qs = selectors.visible_students(request.user).filter(is_active=True)
        if grade:
            qs = qs.filter(grade=grade)
        qs = selectors.with_open_counts(selectors.search_students(qs, q.strip()), _today())
    return _Shaped(qs.select_related("school"), _shape_students)


def _today() -> dt.date:
    # Students of several networks may be listed together; "open" is judged on the server's day.
    return timezone.localdate()


class _Shaped:
    """A queryset (or list of referrals) whose slices come out as the response's dicts."""

    def __init__(self, qs: QuerySet[Any], shape: Any) -> None:
        self.qs = qs
        self.shape = shape

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        return self.shape(list(self.qs[key]))


def _shape_students(students: list[Any]) -> list[dict[str, Any]]:
    return [
        {**_student(s), "open_tiers": s.open_tiers, "open_referrals": s.open_referrals}
        for s in students
    ]


@router.get("/students/{student_id}", response=StudentDetailOut, summary="One student, whole")
def student_detail(request: HttpRequest, student_id: Id) -> Any:
    student = selectors.get_student_for_user(request.user, student_id)
    links = student.guardian_links.select_related("guardian")
    return {
        **_student(student),
        "guardians": [
            {
                "id": link.guardian.pk,
                "relationship": link.relationship,
                "given_name": link.guardian.given_name,
                "family_name": link.guardian.family_name,
                "email": link.guardian.email,
                "phone": link.guardian.phone,
                "sms": link.guardian.sms,
                "preferred_language": link.guardian.preferred_language,
            }
            for link in links
        ],
    }


class GroundOut(Schema):
    basis: str = Field(description="The FERPA ground (DisclosureBasis)")
    label: str
    elements: list[str]


class PartnerStudentOut(Schema):
    referral_id: int
    referral_status: str
    service: SchoolRef
    elements: list[str] = Field(description="The data elements shared with the caller")
    student: dict[str, Any] = Field(
        description="`id` and only the fields the elements open (hidden ones are absent)"
    )
    grounds: list[GroundOut]


def _partner_rows(user: Any, referrals: list[Referral]) -> list[dict[str, Any]]:
    reads = selectors.partner_reads(user, referrals, purpose=PURPOSE_API)
    return [
        {
            "referral_id": r.referral.pk,
            "referral_status": r.referral.status,
            "service": {"id": r.referral.service_id, "name": r.referral.service.name},
            "elements": sorted(r.view.elements),
            "student": r.view.as_dict(),
            "grounds": [
                {
                    "basis": g.basis,
                    "label": g.label,
                    "elements": sorted(g.elements & r.view.elements),
                }
                for g in r.view.grounds
            ],
        }
        for r in reads
    ]


@router.get(
    "/organizations/{organization_id}/students",
    response=list[PartnerStudentOut],
    summary="Students referred to my organization, with only the fields shared with me",
)
@paginate(Pages, page_size=50)
def partner_student_list(request: HttpRequest, organization_id: Id) -> Any:
    user = request.user
    qs = selectors.partner_referrals(user, organization_id)
    # Only the page returned is read, so only it is logged.
    return _Shaped(qs, lambda referrals: _partner_rows(user, referrals))
