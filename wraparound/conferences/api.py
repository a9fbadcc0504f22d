"""The JSON API of family team conferences: the same selectors as the pages, and the same rules
(a conference the caller may not read is a 404; a partner user's read is logged)."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from wraparound.core import access
from wraparound.core.api import Id, Pages

from . import conference_selectors as selectors
from .models import FamilyTeamConference

router = Router(tags=["conferences"])


class ConferenceOut(Schema):
    id: int
    version: int
    status: str
    held_on: dt.date
    place: str
    school_id: int
    student_id: int | None
    guardian_id: int | None
    family: str
    facilitator_id: int


class ParticipantOut(Schema):
    kind: str
    user_id: int | None
    name: str
    role: str
    organization: str
    present: bool


class NeedOut(Schema):
    domain: str
    description: str


class ActionOut(Schema):
    description: str
    owner_id: int | None
    owner: str
    due_on: dt.date | None
    status: str


class ConferenceDetailOut(ConferenceOut):
    consent_id: int | None
    consent_given_by: str
    consent_method: str
    consent_given_at: dt.datetime | None
    consent_witness: str
    strengths: str
    decisions: str
    participants: list[ParticipantOut]
    needs: list[NeedOut]
    actions: list[ActionOut]
    referral_ids: list[int]


def _shape(c: FamilyTeamConference) -> dict[str, Any]:
    family = (
        c.student.display_name
        if c.student is not None
        else (c.guardian.display_name if c.guardian is not None else "")
    )
    return {
        "id": c.pk,
        "version": c.version,
        "status": c.status,
        "held_on": c.held_on,
        "place": c.place,
        "school_id": c.school_id,
        "student_id": c.student_id,
        "guardian_id": c.guardian_id,
        "family": family,
        "facilitator_id": c.facilitator_id,
    }


class _Shaped:
    """Slices of the queryset come out shaped, with the partner reads of the page logged."""

    def __init__(self, user: Any, qs: Any) -> None:
        self.user, self.qs = user, qs

    def count(self) -> int:
        return int(self.qs.count())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        rows = list(self.qs[key])
        selectors.log_partner_reads(self.user, rows, purpose="family team conference list (API)")
        return [_shape(c) for c in rows]


@router.get(
    "/conferences",
    response=list[ConferenceOut],
    summary="Family team conferences I facilitated, attended or supervise",
)
@paginate(Pages, page_size=50)
def conference_list(request: HttpRequest) -> Any:
    if not access.may_hold_conferences(request.user):
        raise PermissionDenied
    return _Shaped(request.user, selectors.my_conferences(request.user))


@router.get("/conferences/{conference_id}", response=ConferenceDetailOut, summary="One conference")
def conference_detail(request: HttpRequest, conference_id: Id) -> Any:
    c = selectors.get_conference_for_user(
        request.user, conference_id, purpose="family team conference (API)"
    )
    return {
        **_shape(c),
        "consent_id": c.consent_id,
        "consent_given_by": c.consent_given_by,
        "consent_method": c.consent_method,
        "consent_given_at": c.consent_given_at,
        "consent_witness": c.consent_witness,
        "strengths": c.strengths,
        "decisions": c.decisions,
        "participants": [
            {
                "kind": p.kind,
                "user_id": p.user_id,
                "name": p.display_name,
                "role": p.role,
                "organization": p.organization_name,
                "present": p.present,
            }
            for p in c.participants.all()
        ],
        "needs": [{"domain": n.domain, "description": n.description} for n in c.needs.all()],
        "actions": [
            {
                "description": a.description,
                "owner_id": a.owner_id,
                "owner": a.owner_display,
                "due_on": a.due_on,
                "status": a.status,
            }
            for a in c.actions.all()
        ],
        "referral_ids": [r.pk for r in c.referrals.all()],
    }
