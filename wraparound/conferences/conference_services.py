"""Writes of family team conferences: record one (planned or held), and change it.

A conference is saved as *held* only with the family's consent: a signed consent on file, in force
on the day, of the student (or of one of the guardian's students) that covers every partner
organization in the room — or the family's consent recorded here (who, how, when; a witness for a
verbal consent). The team's rows (participants, needs, follow-up actions) are replaced as a whole
on each save; `version` guards the record (`ConferenceConflict` when someone else saved first).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.models import Membership, Organization, School
from wraparound.core.roles import Role
from wraparound.core.services import audit_record
from wraparound.referrals.models import Referral
from wraparound.students.models import Consent, ConsentStatus, Guardian, Student, TierDomain

from .models import (
    ActionStatus,
    ConferenceNeed,
    ConferenceParticipant,
    ConferenceStatus,
    FamilyConsentMethod,
    FamilyTeamConference,
    FollowUpAction,
    ParticipantKind,
)


class ConferenceConflict(ValidationError):
    """The conference changed since the caller read it."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Someone else changed this conference while you were editing it; reload to see "
                "their change, then make yours again."
            ),
            code="conflict",
        )


@dataclass
class ParticipantIn:
    kind: str
    user: Any = None
    name: str = ""
    role: str = ""
    organization_name: str = ""
    present: bool = True


@dataclass
class NeedIn:
    domain: str
    description: str


@dataclass
class ActionIn:
    description: str
    owner: Any = None
    owner_name: str = ""
    due_on: dt.date | None = None
    status: str = ActionStatus.OPEN


@dataclass
class ConferenceIn:
    """What a conference form or the API hands the services (already typed, not yet checked)."""

    held_on: dt.date
    status: str = ConferenceStatus.PLANNED
    place: str = ""
    consent: Consent | None = None
    consent_given_by: str = ""
    consent_method: str = ""
    consent_given_at: dt.datetime | None = None
    consent_witness: str = ""
    strengths: str = ""
    decisions: str = ""
    participants: list[ParticipantIn] = field(default_factory=list)
    needs: list[NeedIn] = field(default_factory=list)
    actions: list[ActionIn] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)


def _family_students(student: Student | None, guardian: Guardian | None) -> list[int]:
    if student is not None:
        return [student.pk]
    assert guardian is not None
    return list(
        Student.objects.filter(guardian_links__guardian=guardian).values_list("pk", flat=True)
    )


def _partner_org_of(user: Any, network_id: int) -> Organization | None:
    """The organization a partner user comes for (their staff membership in the network)."""
    m = (
        Membership.objects.filter(
            user=user,
            is_active=True,
            network_id=network_id,
            role__in=(Role.PARTNER_STAFF, Role.PARTNER_ADMIN),
        )
        .select_related("organization")
        .order_by("role", "pk")
        .first()
    )
    return m.organization if m is not None else None


def _check_participants(
    network_id: int, rows: list[ParticipantIn], errors: dict[str, list[str]]
) -> list[tuple[ParticipantIn, Organization | None]]:
    out: list[tuple[ParticipantIn, Organization | None]] = []
    user_ids = [r.user.pk for r in rows if r.user is not None]
    in_network = set(
        Membership.objects.filter(
            user_id__in=user_ids, network_id=network_id, is_active=True
        ).values_list("user_id", flat=True)
    )
    seen: set[int] = set()
    for i, row in enumerate(rows, start=1):
        if row.kind not in ParticipantKind.values:
            errors.setdefault("participants", []).append(
                _("Participant %(n)s: choose what kind of participant.") % {"n": i}
            )
            continue
        org = None
        if row.user is not None:
            if row.user.pk not in in_network:
                errors.setdefault("participants", []).append(
                    _("Participant %(n)s: this user does not work in this network.") % {"n": i}
                )
                continue
            if row.user.pk in seen:
                errors.setdefault("participants", []).append(
                    _("Participant %(n)s is listed twice.") % {"n": i}
                )
                continue
            seen.add(row.user.pk)
            org = _partner_org_of(row.user, network_id)
        elif not row.name.strip():
            errors.setdefault("participants", []).append(
                _("Participant %(n)s: give a name (or choose a user).") % {"n": i}
            )
            continue
        if row.kind == ParticipantKind.AGENCY and row.user is None and not row.organization_name:
            errors.setdefault("participants", []).append(
                _("Participant %(n)s: name the agency they came from.") % {"n": i}
            )
            continue
        out.append((row, org))
    return out


def _check_consent(
    data: ConferenceIn,
    student: Student | None,
    guardian: Guardian | None,
    partner_orgs: list[Organization],
    errors: dict[str, list[str]],
) -> None:
    if data.consent is not None:
        consent = data.consent
        if consent.student_id not in _family_students(student, guardian):
            errors.setdefault("consent", []).append(
                _("This consent is not the family's (it is for another student).")
            )
        elif consent.status != ConsentStatus.SIGNED or not consent.in_force(data.held_on):
            errors.setdefault("consent", []).append(
                _("This consent is not signed and in force on the day of the conference.")
            )
        else:
            uncovered = [o.name for o in partner_orgs if not consent.covers(o.pk)]
            if uncovered:
                errors.setdefault("consent", []).append(
                    _(
                        "This consent names another party; it does not cover %(orgs)s. Record "
                        "the family's consent to this team instead."
                    )
                    % {"orgs": ", ".join(sorted(set(uncovered)))}
                )
        return
    recorded = [data.consent_given_by.strip(), data.consent_method, data.consent_given_at]
    if any(recorded) and not all(recorded):
        errors.setdefault("consent_given_by", []).append(
            _("Say who gave the family's consent, how and when (all three).")
        )
    if data.consent_method and data.consent_method not in FamilyConsentMethod.values:
        errors.setdefault("consent_method", []).append(_("Choose how consent was given."))
    if data.consent_method == FamilyConsentMethod.VERBAL_WITNESSED and not (
        data.consent_witness.strip()
    ):
        errors.setdefault("consent_witness", []).append(
            _("A verbal consent needs the name of its witness.")
        )
    if data.status == ConferenceStatus.HELD and not all(recorded):
        errors.setdefault("consent", []).append(
            _(
                "A conference can be recorded as held only with the family's consent: link a "
                "signed consent on file, or record who gave consent, how and when."
            )
        )


def _clean(
    *,
    user: Any,
    school: School,
    student: Student | None,
    guardian: Guardian | None,
    data: ConferenceIn,
) -> tuple[list[tuple[ParticipantIn, Organization | None]], Organization | None]:
    errors: dict[str, list[str]] = {}
    if data.status not in ConferenceStatus.values:
        errors["status"] = [_("Choose planned or held.")]
    today = school.network.today()
    if data.status == ConferenceStatus.HELD and data.held_on > today:
        errors.setdefault("held_on", []).append(
            _("A conference in the future cannot have been held yet; save it as planned.")
        )
    if abs((data.held_on - today).days) > 3 * 366:
        errors.setdefault("held_on", []).append(_("Enter a date within three years of today."))
    participants = _check_participants(school.network_id, data.participants, errors)
    facilitator_org = (
        None
        if access.is_school_official(user, school)
        else _partner_org_of(user, school.network_id)
    )
    partner_orgs = [o for _row, o in participants if o is not None]
    if facilitator_org is not None:
        partner_orgs.append(facilitator_org)
    _check_consent(data, student, guardian, partner_orgs, errors)
    for i, need in enumerate(data.needs, start=1):
        if need.domain not in TierDomain.values:
            errors.setdefault("needs", []).append(_("Need %(n)s: choose a domain.") % {"n": i})
        if not need.description.strip():
            errors.setdefault("needs", []).append(_("Need %(n)s: describe it.") % {"n": i})
    user_ids = {row.user.pk for row, _org in participants if row.user is not None} | {user.pk}
    for i, action in enumerate(data.actions, start=1):
        if not action.description.strip():
            errors.setdefault("actions", []).append(
                _("Action %(n)s: say what is to be done.") % {"n": i}
            )
        if action.owner is not None and action.owner.pk not in user_ids:
            errors.setdefault("actions", []).append(
                _("Action %(n)s: its owner must be the facilitator or a participant.") % {"n": i}
            )
        if action.owner is None and not action.owner_name.strip():
            errors.setdefault("actions", []).append(
                _("Action %(n)s: name who will do it.") % {"n": i}
            )
        if action.status not in ActionStatus.values:
            errors.setdefault("actions", []).append(_("Action %(n)s: choose a status.") % {"n": i})
    family = _family_students(student, guardian)
    for referral in data.referrals:
        if referral.student_id not in family and (
            guardian is None or referral.guardian_id != guardian.pk
        ):
            errors.setdefault("referrals", []).append(
                _("Referral %(n)s is not this family's.") % {"n": referral.pk}
            )
    if errors:
        raise ValidationError(errors)
    return participants, facilitator_org


def _write_rows(
    conference: FamilyTeamConference,
    data: ConferenceIn,
    participants: list[tuple[ParticipantIn, Organization | None]],
) -> None:
    conference.participants.all().delete()
    conference.needs.all().delete()
    conference.actions.all().delete()
    ConferenceParticipant.objects.bulk_create(
        [
            ConferenceParticipant(
                conference=conference,
                kind=row.kind,
                user=row.user,
                name=row.name.strip(),
                role=row.role.strip(),
                organization=org,
                organization_name=row.organization_name.strip() or (org.name if org else ""),
                present=row.present,
            )
            for row, org in participants
        ]
    )
    ConferenceNeed.objects.bulk_create(
        [
            ConferenceNeed(
                conference=conference, domain=n.domain, description=n.description.strip()
            )
            for n in data.needs
        ]
    )
    FollowUpAction.objects.bulk_create(
        [
            FollowUpAction(
                conference=conference,
                description=a.description.strip(),
                owner=a.owner,
                owner_name=a.owner_name.strip(),
                due_on=a.due_on,
                status=a.status,
            )
            for a in data.actions
        ]
    )
    conference.referrals.set(data.referrals)


def _consent_fields(data: ConferenceIn) -> dict[str, Any]:
    if data.consent is not None:
        return {
            "consent": data.consent,
            "consent_given_by": "",
            "consent_method": "",
            "consent_given_at": None,
            "consent_witness": "",
        }
    return {
        "consent": None,
        "consent_given_by": data.consent_given_by.strip(),
        "consent_method": data.consent_method,
        "consent_given_at": data.consent_given_at,
        "consent_witness": data.consent_witness.strip(),
    }


def _fields(data: ConferenceIn) -> dict[str, Any]:
    return {
        "status": data.status,
        "held_on": data.held_on,
        "place": data.place.strip(),
        "strengths": data.strengths.strip(),
        "decisions": data.decisions.strip(),
        **_consent_fields(data),
    }


def _summary(conference: FamilyTeamConference, data: ConferenceIn) -> dict[str, Any]:
    # Counts, not contents: what the family said stays in the conference, not in the audit log.
    return {
        "status": data.status,
        "participants": len(data.participants),
        "needs": len(data.needs),
        "actions": len(data.actions),
        "referrals": [r.pk for r in data.referrals],
        "consent": "on_file" if data.consent is not None else data.consent_method or "none",
        "version": conference.version,
    }


@transaction.atomic
def conference_create(
    *,
    user: Any,
    school: School,
    student: Student | None,
    guardian: Guardian | None = None,
    data: ConferenceIn,
) -> FamilyTeamConference:
    """Record a conference the user facilitates, for a student of the school or a family (a
    guardian of one of its students)."""
    if (student is None) == (guardian is None):
        raise ValidationError(
            {"student": _("Hold the conference for a student or a family, not both.")}
        )
    if student is not None and student.school_id != school.pk:
        raise ValidationError({"student": _("The student is not enrolled at this school.")})
    if (
        guardian is not None
        and not Student.objects.filter(school=school, guardian_links__guardian=guardian).exists()
    ):
        raise ValidationError({"guardian": _("The guardian has no student at this school.")})
    if not access.can_facilitate_conference(
        user,
        school,
        student_id=student.pk if student else None,
        guardian_id=guardian.pk if guardian else None,
    ):
        raise PermissionDenied
    participants, facilitator_org = _clean(
        user=user, school=school, student=student, guardian=guardian, data=data
    )
    conference = FamilyTeamConference.objects.create(
        network_id=school.network_id,
        school=school,
        student=student,
        guardian=guardian,
        facilitator=user,
        facilitator_organization=facilitator_org,
        created_by=user,
        **_fields(data),
    )
    _write_rows(conference, data, participants)
    audit_record(
        actor=user,
        action="conferences.conference.create",
        target=conference,
        network=school.network_id,
        data=_summary(conference, data),
    )
    return conference


@transaction.atomic
def conference_update(
    *,
    user: Any,
    conference: FamilyTeamConference,
    expected_version: int,
    data: ConferenceIn,
) -> FamilyTeamConference:
    """Change a conference the user may edit (`access.can_edit_conference`), if it is still the
    version they read."""
    if not access.can_edit_conference(user, conference):
        raise PermissionDenied
    participants, _org = _clean(
        user=conference.facilitator,
        school=conference.school,
        student=conference.student,
        guardian=conference.guardian,
        data=data,
    )
    fields = _fields(data)
    now = timezone.now()
    updated = FamilyTeamConference.objects.filter(
        pk=conference.pk, version=expected_version
    ).update(version=F("version") + 1, updated_at=now, **fields)
    if updated != 1:
        raise ConferenceConflict
    for name, value in fields.items():
        setattr(conference, name, value)
    conference.version = expected_version + 1
    conference.updated_at = now
    _write_rows(conference, data, participants)
    audit_record(
        actor=user,
        action="conferences.conference.update",
        target=conference,
        network=conference.network_id,
        data=_summary(conference, data),
    )
    return conference


@transaction.atomic
def follow_up_set_status(
    *, user: Any, conference: FamilyTeamConference, action: FollowUpAction, status: str
) -> FollowUpAction:
    """Mark a follow-up action done (or open again): its owner, or whoever may edit the
    conference. The conference's version moves on, so that an edit form opened before does not
    put the old status back."""
    if action.conference_id != conference.pk:
        raise PermissionDenied
    own = action.owner_id is not None and action.owner_id == getattr(user, "pk", None)
    if not own and not access.can_edit_conference(user, conference):
        raise PermissionDenied
    if status not in (ActionStatus.DONE, ActionStatus.OPEN):
        raise ValidationError(_("Choose done or open."))
    if action.status == status:
        raise ValidationError(
            _("The follow-up is already %(status)s.") % {"status": str(ActionStatus(status).label)}
        )
    FollowUpAction.objects.filter(pk=action.pk).update(status=status)
    FamilyTeamConference.objects.filter(pk=conference.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    action.status = status
    audit_record(
        actor=user,
        action=f"conferences.follow_up.{status}",
        target=conference,
        network=conference.network_id,
        data={"follow_up": action.pk},
    )
    return action
