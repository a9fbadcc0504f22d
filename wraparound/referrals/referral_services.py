"""Writes of the closed-loop referral: create, send, and every transition after it.

The state machine is `TRANSITIONS` (one table: which move, and which side makes it). The
referrer's side (`access.can_refer` for the referral's school) drafts, edits the draft, sends and
withdraws; the partner's side (partner staff and admins of the referral's organization,
`access.partner_role`) answers, serves and closes. Closing after acceptance is the partner's call
(they know whether the service was given); the school ends a referral it no longer wants by
withdrawing it, with a reason.

Every change is optimistic: the caller says which `version` it read, and the update only applies
to that version (`ReferralConflict` otherwise), so two people acting on one referral at once cannot
overwrite each other. Each transition writes a `ReferralEvent` and an `AuditEvent`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.agreements.models import OPEN_STATUSES, DataElement, Partnership
from wraparound.core import access
from wraparound.core.models import (
    Coalition,
    DisclosureBasis,
    Membership,
    Notification,
    Organization,
    School,
)
from wraparound.core.roles import Role
from wraparound.core.services import audit_record
from wraparound.directory.models import Service
from wraparound.students import visibility
from wraparound.students.models import Consent, Guardian, Student

from .business_days import add_business_days, horizon
from .holiday_selectors import holidays_between
from .models import (
    OPEN_REFERRAL_STATUSES,
    CloseReason,
    Referral,
    ReferralEvent,
    ReferralStatus,
)

Side = Literal["referrer", "partner"]
S = ReferralStatus

# (from, to) → the side that may make the move. Anything not here is refused.
TRANSITIONS: dict[tuple[str, str], Side] = {
    (S.DRAFT, S.SENT): "referrer",
    (S.SENT, S.ACCEPTED): "partner",
    (S.SENT, S.DECLINED): "partner",
    (S.SENT, S.WAITLISTED): "partner",
    (S.WAITLISTED, S.ACCEPTED): "partner",
    (S.WAITLISTED, S.DECLINED): "partner",
    (S.WAITLISTED, S.IN_SERVICE): "partner",
    (S.ACCEPTED, S.IN_SERVICE): "partner",
    (S.ACCEPTED, S.CLOSED): "partner",
    (S.IN_SERVICE, S.COMPLETED): "partner",
    (S.IN_SERVICE, S.CLOSED): "partner",
    **{(status, S.WITHDRAWN): "referrer" for status in OPEN_REFERRAL_STATUSES},
}

# Partner moves the referrer hears about (a decision on their referral).
_PARTNER_RESPONSES = frozenset(to for (_f, to), side in TRANSITIONS.items() if side == "partner")

DEFAULT_SHARED_ELEMENTS = ("name", "grade", "school", "notes")


class ReferralConflict(ValidationError):
    """The referral changed since the caller read it (another user got there first)."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Someone else changed this referral while you were looking at it; reload to see "
                "the change."
            ),
            code="conflict",
        )


def may_refer_for(user: Any, referral: Referral) -> bool:
    """The referrer's side: those who may refer for the school, and, on a cross-agency referral,
    the staff of the referring member agency."""
    if access.can_refer(user, referral.school):
        return True
    return referral.referring_organization_id is not None and (
        access.can_refer_across_agencies(user, referral.referring_organization_id)
    )


def sides_of(user: Any, referral: Referral) -> set[Side]:
    sides: set[Side] = set()
    if may_refer_for(user, referral):
        sides.add("referrer")
    if access.partner_role(user, referral.organization_id) is not None:
        sides.add("partner")
    return sides


def allowed_targets(user: Any, referral: Referral) -> list[str]:
    """The statuses this user may move the referral to now (for the action buttons)."""
    sides = sides_of(user, referral)
    return [
        to for (frm, to), side in TRANSITIONS.items() if frm == referral.status and side in sides
    ]


def _check_move(user: Any, referral: Referral, to: str) -> None:
    sides = sides_of(user, referral)
    if not sides:
        raise PermissionDenied
    side = TRANSITIONS.get((referral.status, to))
    if side is None:
        raise ValidationError(
            _("A referral that is %(from)s cannot become %(to)s.")
            % {
                "from": ReferralStatus(referral.status).label,
                "to": ReferralStatus(to).label if to in ReferralStatus.values else to,
            },
            code="invalid_transition",
        )
    if side not in sides:
        raise PermissionDenied


def _fresh(referral: Referral, expected_version: int) -> Referral:
    """The referral as stored now; a conflict when it is no longer the version the caller saw."""
    current = (
        Referral.objects.select_related("school", "network", "organization", "service")
        .filter(pk=referral.pk)
        .first()
    )
    if current is None or current.version != expected_version:
        raise ReferralConflict
    return current


def _apply(
    *,
    user: Any,
    referral: Referral,
    expected_version: int,
    to: str,
    reason: str = "",
    note: str = "",
    fields: dict[str, Any] | None = None,
) -> Referral:
    """Move `referral` (already checked) to `to` if it is still at `expected_version`, with the
    event, the audit record, and the in-memory object brought up to date."""
    fields = dict(fields or {})
    now = timezone.now()
    from_status = referral.status
    updated = Referral.objects.filter(pk=referral.pk, version=expected_version).update(
        status=to, version=F("version") + 1, updated_at=now, **fields
    )
    if updated != 1:
        raise ReferralConflict
    for name, value in fields.items():
        setattr(referral, name, value)
    referral.status = to
    referral.version = expected_version + 1
    referral.updated_at = now
    ReferralEvent.objects.create(
        referral=referral,
        from_status=from_status,
        to_status=to,
        actor=user,
        reason=reason[:30],
        note=note,
        created_at=now,
    )
    audit_record(
        actor=user,
        action=f"referrals.referral.{to}",
        target=referral,
        network=referral.network_id,
        data={"from": from_status, "to": to, "reason": reason, "version": referral.version},
    )
    return referral


# --- notifications --------------------------------------------------------------------------------


def _partner_staff(referral: Referral) -> list[Any]:
    return [
        m.user
        for m in Membership.objects.filter(
            organization_id=referral.organization_id,
            role=Role.PARTNER_STAFF,
            is_active=True,
            user__is_active=True,
        ).select_related("user")
    ]


def _notify(users: Iterable[Any], referral: Referral, message: str) -> None:
    path = reverse("referral_detail", args=[referral.pk])
    Notification.objects.bulk_create(
        [
            Notification(user=user, network_id=referral.network_id, message=message[:500], url=path)
            for user in {u.pk: u for u in users}.values()
        ]
    )


def _notify_sent(referral_pk: int) -> None:
    referral = Referral.objects.select_related("school", "service").get(pk=referral_pk)
    # No student name: a notification is not a disclosure the visibility rules log.
    message = _("New referral from %(school)s to %(service)s%(urgent)s.") % {
        "school": referral.school.name,
        "service": referral.service.name,
        "urgent": _(" (urgent)") if referral.urgent else "",
    }
    _notify(_partner_staff(referral), referral, message)


def _notify_response(referral_pk: int) -> None:
    referral = Referral.objects.select_related("organization", "service").get(pk=referral_pk)
    message = _("%(org)s marked your referral to %(service)s as %(status)s.") % {
        "org": referral.organization.name,
        "service": referral.service.name,
        "status": ReferralStatus(referral.status).label,
    }
    _notify([referral.referred_by], referral, message)


def _after(referral: Referral) -> None:
    if referral.status == S.SENT:
        transaction.on_commit(partial(_notify_sent, referral.pk))
    elif referral.status in _PARTNER_RESPONSES:
        transaction.on_commit(partial(_notify_response, referral.pk))


# --- sharing --------------------------------------------------------------------------------------


def _clean_elements(elements: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(elements))
    unknown = [e for e in chosen if e not in DataElement.values]
    if unknown:
        raise ValidationError(
            {"shared_elements": _("Unknown data elements: %(e)s.") % {"e": ", ".join(unknown)}}
        )
    return sorted(chosen)


def _family_consent(referral: Referral, elements: list[str], day: dt.date) -> Consent | None:
    """A family referral shares at most the family's contact, and only under a signed consent in
    force, of one of the guardian's students, that names the organization and covers it."""
    if not elements:
        return None
    if set(elements) != {DataElement.CONTACT}:
        raise ValidationError(
            {"shared_elements": _("A family referral can share only the family's contact.")}
        )
    assert referral.guardian is not None
    students = Student.objects.filter(guardian_links__guardian=referral.guardian)
    for student in students:
        for ground in visibility.grounds_for(
            organization=referral.organization, student=student, role=Role.PARTNER_STAFF, day=day
        ):
            if isinstance(ground.record, Consent) and DataElement.CONTACT in ground.elements:
                return ground.record
    raise visibility.SharingRefused(
        _(
            "%(org)s may not receive the family's contact: no signed consent of the family in "
            "force names it. Record the family's consent, or share nothing."
        )
        % {"org": referral.organization.name},
        [DataElement.CONTACT],
    )


def _sharing_fields(referral: Referral, elements: list[str], day: dt.date) -> dict[str, Any]:
    """What the send fixes: the elements and the ground they go on (`SharingRefused` if none)."""
    fields: dict[str, Any] = {
        "shared_elements": elements,
        "basis": "",
        "data_sharing": None,
        "consent": None,
    }
    if referral.student is None:
        consent = _family_consent(referral, elements, day)
        if consent is not None:
            fields.update(basis=DisclosureBasis.CONSENT, consent=consent)
        return fields
    grounds = visibility.sharing_check(
        organization=referral.organization, student=referral.student, elements=elements, day=day
    )
    if grounds:
        fields["basis"] = grounds[0].basis
    for ground in grounds:
        if isinstance(ground.record, Consent):
            fields["consent"] = fields["consent"] or ground.record
        else:
            fields["data_sharing"] = fields["data_sharing"] or ground.record
    return fields


# --- create and send ------------------------------------------------------------------------------


def _partnership(school: School, organization_id: int) -> Partnership | None:
    """The open partnership under which the school works with the organization: the school's
    own first, then a network-wide one; active before proposed."""
    candidates = Partnership.objects.filter(
        network_id=school.network_id, organization_id=organization_id, status__in=OPEN_STATUSES
    ).filter(Q(school_id=school.pk) | Q(school__isnull=True))
    best: Partnership | None = None
    for p in candidates.order_by("pk"):
        rank = (p.school_id is None, p.status != "active")
        if best is None or rank < (best.school_id is None, best.status != "active"):
            best = p
    return best


@transaction.atomic
def referral_create(
    *,
    user: Any,
    school: School,
    student: Student | None,
    guardian: Guardian | None = None,
    service: Service,
    reason: str,
    urgent: bool = False,
    shared_elements: Iterable[str] = DEFAULT_SHARED_ELEMENTS,
    send: bool = False,
) -> Referral:
    """A new referral of a student (or of a family, through a guardian) of the school, saved as
    a draft or sent at once. A refused send writes nothing at all."""
    if not access.can_refer(user, school):
        raise PermissionDenied
    if (student is None) == (guardian is None):
        raise ValidationError(
            {"student": _("Refer either a student or a family (a guardian), not both.")}
        )
    if student is not None and student.school_id != school.pk:
        raise ValidationError({"student": _("The student is not enrolled at this school.")})
    if (
        guardian is not None
        and not Student.objects.filter(school=school, guardian_links__guardian=guardian).exists()
    ):
        raise ValidationError({"guardian": _("The guardian has no student at this school.")})
    organization = service.organization
    if organization.network_id != school.network_id:
        raise ValidationError({"service": _("The service is not offered in this network.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the student or family is referred.")})
    elements = _clean_elements(shared_elements)
    referral = Referral.objects.create(
        network_id=school.network_id,
        school=school,
        student=student,
        guardian=guardian,
        service=service,
        organization=organization,
        partnership=_partnership(school, organization.pk),
        coalition=school_coalition(school, organization.pk),
        status=S.DRAFT,
        reason=reason.strip(),
        urgent=urgent,
        referred_by=user,
        shared_elements=elements,
    )
    ReferralEvent.objects.create(referral=referral, from_status="", to_status=S.DRAFT, actor=user)
    audit_record(
        actor=user,
        action="referrals.referral.create",
        target=referral,
        network=school.network_id,
        data={"service": service.pk, "family": guardian is not None, "elements": elements},
    )
    if send:
        referral = referral_send(user=user, referral=referral, expected_version=referral.version)
    return referral


# --- cross-agency referrals (coalitions) ----------------------------------------------------------


def school_coalition(school: School, organization_id: int) -> Coalition | None:
    """The coalition a school's referral to the organization is made within: one in which the
    organization is an active member agency and the school is a member too, or which serves the
    school's community. None when there is none."""
    from wraparound.coalitions.models import CoalitionMember

    agency_in = CoalitionMember.objects.filter(
        organization_id=organization_id, is_active=True
    ).values("coalition_id")
    school_in = CoalitionMember.objects.filter(school_id=school.pk, is_active=True).values(
        "coalition_id"
    )
    return (
        Coalition.objects.filter(pk__in=agency_in, network_id=school.network_id)
        .filter(Q(pk__in=school_in) | Q(community_id=school.community_id))
        .order_by("pk")
        .first()
    )


def shared_coalition(referring_id: int, receiving_id: int) -> Coalition | None:
    """A coalition in which both organizations are active member agencies (the oldest first)."""
    from wraparound.coalitions.models import CoalitionMember

    def member_of(org_id: int) -> Any:
        return CoalitionMember.objects.filter(organization_id=org_id, is_active=True).values(
            "coalition_id"
        )

    return (
        Coalition.objects.filter(pk__in=member_of(referring_id))
        .filter(pk__in=member_of(receiving_id))
        .order_by("pk")
        .first()
    )


def _served_school(
    organization_id: int, student: Student | None, guardian: Guardian | None
) -> School | None:
    """The school of the referral under which the organization serves the student or family."""
    serving = (S.SENT, S.ACCEPTED, S.WAITLISTED, S.IN_SERVICE)
    qs = Referral.objects.filter(organization_id=organization_id, status__in=serving)
    if student is not None:
        qs = qs.filter(Q(student=student) | Q(guardian__student_links__student=student))
    else:
        qs = qs.filter(Q(guardian=guardian) | Q(student__guardian_links__guardian=guardian))
    found = qs.select_related("school").order_by("-created_at").first()
    return found.school if found is not None else None


@transaction.atomic
def referral_create_cross_agency(
    *,
    user: Any,
    referring_organization: Organization,
    student: Student | None,
    guardian: Guardian | None = None,
    service: Service,
    reason: str,
    urgent: bool = False,
    shared_elements: Iterable[str] = DEFAULT_SHARED_ELEMENTS,
    send: bool = False,
) -> Referral:
    """A member agency (A) refers a student or family it serves to a service of another member
    agency (B) of one of its coalitions. The referral is the school's record like any other (the
    student's school, the same state machine, SLA, inbox and sharing gate at the send), with
    `referring_organization` and `coalition` set; A's staff are its referrer side."""
    if not access.can_refer_across_agencies(user, referring_organization.pk):
        raise PermissionDenied
    if (student is None) == (guardian is None):
        raise ValidationError(
            {"student": _("Refer either a student or a family (a guardian), not both.")}
        )
    serving = access.serving_organizations(
        user,
        student_id=student.pk if student is not None else None,
        guardian_id=guardian.pk if guardian is not None else None,
    )
    if referring_organization.pk not in serving:
        raise PermissionDenied
    school = (
        student.school
        if student is not None and student.school is not None
        else _served_school(referring_organization.pk, student, guardian)
    )
    if school is None:
        raise ValidationError({"student": _("The student has no current school.")})
    organization = service.organization
    if organization.pk == referring_organization.pk:
        raise ValidationError(
            {"service": _("Choose another agency's service: this one is your own.")}
        )
    if organization.network_id != school.network_id:
        raise ValidationError({"service": _("The service is not offered in this network.")})
    coalition = shared_coalition(referring_organization.pk, organization.pk)
    if coalition is None:
        raise ValidationError(
            {
                "service": _(
                    "%(org)s is not a member agency of a coalition %(ours)s belongs to; "
                    "cross-agency referrals go to fellow members only."
                )
                % {"org": organization.name, "ours": referring_organization.name}
            }
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the student or family is referred.")})
    elements = _clean_elements(shared_elements)
    referral = Referral.objects.create(
        network_id=school.network_id,
        school=school,
        student=student,
        guardian=guardian,
        service=service,
        organization=organization,
        partnership=_partnership(school, organization.pk),
        referring_organization=referring_organization,
        coalition=coalition,
        status=S.DRAFT,
        reason=reason.strip(),
        urgent=urgent,
        referred_by=user,
        shared_elements=elements,
    )
    ReferralEvent.objects.create(referral=referral, from_status="", to_status=S.DRAFT, actor=user)
    audit_record(
        actor=user,
        action="referrals.referral.create_cross_agency",
        target=referral,
        network=school.network_id,
        data={
            "service": service.pk,
            "family": guardian is not None,
            "elements": elements,
            "referring_organization": referring_organization.pk,
            "coalition": coalition.pk,
        },
    )
    if send:
        referral = referral_send(user=user, referral=referral, expected_version=referral.version)
    return referral


@transaction.atomic
def referral_send(
    *,
    user: Any,
    referral: Referral,
    expected_version: int,
    shared_elements: Iterable[str] | None = None,
) -> Referral:
    """Send a draft to the partner, sharing `shared_elements` (the draft's by default) only if an
    agreement or consent in force covers them (`visibility.SharingRefused` otherwise: nothing
    changes). Fixes the ground, the day sent and the day the partner's answer is due."""
    current = _fresh(referral, expected_version)
    _check_move(user, current, S.SENT)
    network = current.network
    today = network.today()
    elements = _clean_elements(
        current.shared_elements if shared_elements is None else shared_elements
    )
    fields = _sharing_fields(current, elements, today)
    days = network.referral_response_days
    days_off = holidays_between(network, today, horizon(today, days))
    fields.update(
        sent_at=timezone.now(),
        response_due_on=add_business_days(today, days, days_off),
    )
    result = _apply(
        user=user, referral=current, expected_version=expected_version, to=S.SENT, fields=fields
    )
    _after(result)
    return result


@transaction.atomic
def referral_update_draft(
    *,
    user: Any,
    referral: Referral,
    expected_version: int,
    service: Service,
    reason: str,
    urgent: bool = False,
    shared_elements: Iterable[str] = DEFAULT_SHARED_ELEMENTS,
    send: bool = False,
) -> Referral:
    """Change a draft's service, reason, urgency and elements to share, if it is still the
    version the caller read; then send it when `send` (a refused send rolls the change back too).

    Who is referred stays: to refer someone else, withdraw the draft and make a new referral.
    A draft is not yet the partner's, so an edit is not a move of the state machine: it writes
    no `ReferralEvent`, only the audit record."""
    current = _fresh(referral, expected_version)
    if not may_refer_for(user, current):
        raise PermissionDenied
    if current.status != S.DRAFT:
        raise ValidationError(
            _("Only a draft can be edited; this referral is %(status)s.")
            % {"status": ReferralStatus(current.status).label},
            code="not_draft",
        )
    organization = service.organization
    if organization.network_id != current.network_id:
        raise ValidationError({"service": _("The service is not offered in this network.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the student or family is referred.")})
    fields: dict[str, Any] = {
        "service": service,
        "organization": organization,
        "partnership": (
            current.partnership
            if organization.pk == current.organization_id
            else _partnership(current.school, organization.pk)
        ),
        "reason": reason.strip(),
        "urgent": urgent,
        "shared_elements": _clean_elements(shared_elements),
    }
    before = {
        "service": current.service,
        "reason": current.reason,
        "urgent": current.urgent,
        "shared_elements": sorted(current.shared_elements),
    }
    changed = sorted(name for name, value in before.items() if value != fields[name])
    now = timezone.now()
    # The status is in the filter too: a draft sent meanwhile is a conflict, never re-edited.
    updated = Referral.objects.filter(
        pk=current.pk, version=expected_version, status=S.DRAFT
    ).update(version=F("version") + 1, updated_at=now, **fields)
    if updated != 1:
        raise ReferralConflict
    for name, value in fields.items():
        setattr(current, name, value)
    current.version = expected_version + 1
    current.updated_at = now
    # Field names, not values: the reason is about the student and the audit log is not.
    audit_record(
        actor=user,
        action="referrals.referral.update",
        target=current,
        network=current.network_id,
        data={
            "changed": changed,
            "service": service.pk,
            "elements": fields["shared_elements"],
            "version": current.version,
        },
    )
    if send:
        return referral_send(user=user, referral=current, expected_version=current.version)
    return current


# --- the partner's answers and the end of the loop ------------------------------------------------


def _transition(
    *,
    user: Any,
    referral: Referral,
    expected_version: int,
    to: str,
    reason: str = "",
    note: str = "",
    fields: dict[str, Any] | None = None,
) -> Referral:
    current = _fresh(referral, expected_version)
    _check_move(user, current, to)
    result = _apply(
        user=user,
        referral=current,
        expected_version=expected_version,
        to=to,
        reason=reason,
        note=note,
        fields=fields,
    )
    _after(result)
    return result


def _close_reason(reason: str) -> str:
    if reason not in CloseReason.values:
        raise ValidationError(
            {
                "reason": _("Choose why the referral ends (%(choices)s).")
                % {"choices": ", ".join(str(label) for label in CloseReason.labels)}
            }
        )
    return reason


@transaction.atomic
def referral_accept(
    *, user: Any, referral: Referral, expected_version: int, note: str = ""
) -> Referral:
    return _transition(
        user=user,
        referral=referral,
        expected_version=expected_version,
        to=S.ACCEPTED,
        note=note,
        fields={"responded_at": referral.responded_at or timezone.now()},
    )


@transaction.atomic
def referral_decline(
    *, user: Any, referral: Referral, expected_version: int, reason: str, note: str = ""
) -> Referral:
    """Decline, saying why (the referrer reads it and looks elsewhere)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the referral is declined.")})
    now = timezone.now()
    return _transition(
        user=user,
        referral=referral,
        expected_version=expected_version,
        to=S.DECLINED,
        note=note or reason.strip(),
        fields={
            "decline_reason": reason.strip(),
            "responded_at": referral.responded_at or now,
            "closed_at": now,
        },
    )


@transaction.atomic
def referral_waitlist(
    *, user: Any, referral: Referral, expected_version: int, note: str = ""
) -> Referral:
    return _transition(
        user=user,
        referral=referral,
        expected_version=expected_version,
        to=S.WAITLISTED,
        note=note,
        fields={"responded_at": referral.responded_at or timezone.now()},
    )


@transaction.atomic
def referral_start(
    *, user: Any, referral: Referral, expected_version: int, note: str = ""
) -> Referral:
    now = timezone.now()
    return _transition(
        user=user,
        referral=referral,
        expected_version=expected_version,
        to=S.IN_SERVICE,
        note=note,
        fields={"service_started_at": now, "responded_at": referral.responded_at or now},
    )


@transaction.atomic
def referral_complete(
    *, user: Any, referral: Referral, expected_version: int, note: str = ""
) -> Referral:
    return _transition(
        user=user,
        referral=referral,
        expected_version=expected_version,
        to=S.COMPLETED,
        note=note,
        fields={"closed_at": timezone.now()},
    )


@transaction.atomic
def referral_close(
    *, user: Any, referral: Referral, expected_version: int, reason: str, note: str = ""
) -> Referral:
    """End an accepted or running referral without completing it (a `CloseReason`)."""
    code = _close_reason(reason)
    return _transition(
        user=user,
        referral=referral,
        expected_version=expected_version,
        to=S.CLOSED,
        reason=code,
        note=note,
        fields={"close_reason": code, "status_note": note, "closed_at": timezone.now()},
    )


@transaction.atomic
def referral_withdraw(
    *, user: Any, referral: Referral, expected_version: int, reason: str, note: str = ""
) -> Referral:
    """The referrer's side takes an open referral back (a `CloseReason`: the family declined,
    moved, ...)."""
    code = _close_reason(reason)
    return _transition(
        user=user,
        referral=referral,
        expected_version=expected_version,
        to=S.WITHDRAWN,
        reason=code,
        note=note,
        fields={"close_reason": code, "status_note": note, "closed_at": timezone.now()},
    )


def referral_transition(
    *,
    user: Any,
    referral: Referral,
    to: str,
    expected_version: int,
    reason: str = "",
    note: str = "",
) -> Referral:
    """One front door for the pages and the API: `to` names the service to call."""
    kwargs: dict[str, Any] = {
        "user": user,
        "referral": referral,
        "expected_version": expected_version,
    }
    if to == S.SENT:
        return referral_send(**kwargs)
    if to == S.ACCEPTED:
        return referral_accept(**kwargs, note=note)
    if to == S.DECLINED:
        return referral_decline(**kwargs, reason=reason or note, note=note)
    if to == S.WAITLISTED:
        return referral_waitlist(**kwargs, note=note)
    if to == S.IN_SERVICE:
        return referral_start(**kwargs, note=note)
    if to == S.COMPLETED:
        return referral_complete(**kwargs, note=note)
    if to == S.CLOSED:
        return referral_close(**kwargs, reason=reason, note=note)
    if to == S.WITHDRAWN:
        return referral_withdraw(**kwargs, reason=reason, note=note)
    raise ValidationError({"to": _("Unknown status: %(to)s.") % {"to": to}})
