"""Reads of family team conferences, starting from `core.access.conference_filter`.

Only the facilitator, the participants who were present and their clinical supervisors read a
conference; anyone else gets a 404. A partner user reads it on the family's consent, and every
such read writes a `Disclosure` (FERPA 34 CFR 99.32) of the student's (or guardian's) record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Prefetch, QuerySet
from django.http import Http404

from wraparound.core import access
from wraparound.core.models import Disclosure, DisclosureBasis
from wraparound.referrals.models import Referral
from wraparound.referrals.referral_selectors import visible_referrals
from wraparound.students.models import Consent, ConsentStatus, Guardian, Student

from .models import ActionStatus, ConferenceParticipant, FamilyTeamConference, FollowUpAction

DISCLOSED_FIELDS = ["name", "family_team_conference"]

LIST_RELATED = ("school", "network", "student", "guardian", "facilitator", "consent")


def visible_conferences(user: Any) -> QuerySet[FamilyTeamConference]:
    if not getattr(user, "is_authenticated", False):
        return FamilyTeamConference.objects.none()
    return FamilyTeamConference.objects.filter(access.conference_filter(user))


def my_conferences(user: Any) -> QuerySet[FamilyTeamConference]:
    return visible_conferences(user).select_related(*LIST_RELATED).order_by("-held_on", "-id")


def student_conferences(user: Any, student: Student) -> QuerySet[FamilyTeamConference]:
    """The student's conferences (and their family's) the user may read."""
    guardians = Guardian.objects.filter(student_links__student=student).values("pk")
    return (
        visible_conferences(user)
        .filter(school=student.school)
        .filter(pk__in=_family_conferences(student, guardians))
    )


def _family_conferences(student: Student, guardians: Any) -> Any:
    from django.db.models import Q

    return FamilyTeamConference.objects.filter(
        Q(student=student) | Q(guardian_id__in=guardians)
    ).values("pk")


def get_conference_for_user(user: Any, pk: Any, *, purpose: str) -> FamilyTeamConference:
    """One conference the user may read, its rows prefetched; a partner user's read is logged."""
    try:
        conference = (
            visible_conferences(user)
            .select_related(*LIST_RELATED, "facilitator_organization")
            .prefetch_related(
                Prefetch(
                    "participants",
                    queryset=ConferenceParticipant.objects.select_related("user", "organization"),
                ),
                "needs",
                "actions__owner",
                Prefetch(
                    "referrals",
                    queryset=Referral.objects.select_related("service", "organization"),
                ),
            )
            .get(pk=pk)
        )
    except (FamilyTeamConference.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    log_partner_reads(user, [conference], purpose=purpose)
    return conference


def _viewer_organization(user: Any, conference: FamilyTeamConference) -> int | None:
    """The partner organization the user reads this conference for (None: a school official)."""
    if access.is_school_official(user, conference.school):
        return None
    orgs = access.partner_organizations(user)
    if not orgs:
        return None
    if conference.facilitator_id == user.pk and conference.facilitator_organization_id:
        return int(conference.facilitator_organization_id)
    row = (
        ConferenceParticipant.objects.filter(
            conference=conference, user_id=user.pk, organization_id__in=orgs
        )
        .values_list("organization_id", flat=True)
        .first()
    )
    return int(row) if row is not None else min(orgs)


def log_partner_reads(
    user: Any, conferences: Iterable[FamilyTeamConference], *, purpose: str
) -> int:
    """One Disclosure per conference read by a partner user, on the family's consent."""
    if not access.partner_organizations(user):
        return 0
    student_type = ContentType.objects.get_for_model(Student)
    guardian_type = ContentType.objects.get_for_model(Guardian)
    consent_type = ContentType.objects.get_for_model(Consent)
    rows = []
    for conference in conferences:
        org_id = _viewer_organization(user, conference)
        if org_id is None:
            continue
        subject_type, subject_id = (
            (student_type, conference.student_id)
            if conference.student_id is not None
            else (guardian_type, int(conference.guardian_id or 0))
        )
        rows.append(
            Disclosure(
                network_id=conference.network_id,
                subject_type=subject_type,
                subject_id=subject_id,
                viewer=user,
                organization_id=org_id,
                basis=DisclosureBasis.CONSENT,
                basis_type=consent_type if conference.consent_id else None,
                basis_id=conference.consent_id,
                fields=DISCLOSED_FIELDS,
                purpose=purpose[:200],
            )
        )
    Disclosure.objects.bulk_create(rows)
    return len(rows)


def log_partner_form_read(
    user: Any, school: Any, student: Student | None, guardian: Guardian | None, *, purpose: str
) -> int:
    """A partner facilitator who is not a school official of the family reads its record on the
    new-conference form (the name, consents and referrals): one Disclosure per organization of
    theirs serving the family, on the family's consent where one in force names it (the form
    lists it), as a conference read is logged. A school official reads nothing to log."""
    if student is not None:
        official = Student.objects.filter(access.student_filter(user), pk=student.pk).exists()
    else:
        official = Student.objects.filter(
            access.student_filter(user), guardian_links__guardian=guardian
        ).exists()
    if official:
        return 0
    orgs = access.serving_organizations(
        user,
        student_id=student.pk if student is not None else None,
        guardian_id=guardian.pk if guardian is not None and student is None else None,
    )
    if not orgs:
        return 0
    today = school.network.today()
    consents = [c for c in family_consents(student, guardian) if c.in_force(today)]
    consent_type = ContentType.objects.get_for_model(Consent)
    subject_type, subject_id = (
        (ContentType.objects.get_for_model(Student), student.pk)
        if student is not None
        else (ContentType.objects.get_for_model(Guardian), int(guardian.pk if guardian else 0))
    )
    rows = []
    for org_id in sorted(orgs):
        consent = next((c for c in consents if c.recipient_organization_id == org_id), None)
        rows.append(
            Disclosure(
                network_id=school.network_id,
                subject_type=subject_type,
                subject_id=subject_id,
                viewer=user,
                organization_id=org_id,
                basis=DisclosureBasis.CONSENT,
                basis_type=consent_type if consent else None,
                basis_id=consent.pk if consent else None,
                fields=DISCLOSED_FIELDS[:1],
                purpose=purpose[:200],
            )
        )
    Disclosure.objects.bulk_create(rows)
    return len(rows)


# --- for the forms ----------------------------------------------------------------------------


def family_consents(student: Student | None, guardian: Guardian | None) -> QuerySet[Consent]:
    """Signed consents of the student (or of the guardian's students) a conference may rely on."""
    qs = Consent.objects.filter(status=ConsentStatus.SIGNED)
    if student is not None:
        qs = qs.filter(student=student)
    else:
        qs = qs.filter(student__guardian_links__guardian=guardian)
    return qs.select_related("recipient_organization").order_by("-signed_at", "-pk").distinct()


def family_referrals(
    user: Any, student: Student | None, guardian: Guardian | None
) -> QuerySet[Referral]:
    """The family's referrals the user may open (to link to the conference)."""
    from django.db.models import Q

    if student is not None:
        subject = Q(student=student) | Q(guardian__student_links__student=student)
    else:
        subject = Q(guardian=guardian) | Q(student__guardian_links__guardian=guardian)
    ids = Referral.objects.filter(subject).values("pk")
    return (
        visible_referrals(user)
        .filter(pk__in=ids)
        .select_related("service", "organization")
        .order_by("-created_at")
    )


def team_users(school: Any, user: Any) -> QuerySet[Any]:
    """Users who may be recorded as participants: the school's own roles, the network's clinical
    supervisors, and the partner staff of organizations with a referral at the school."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from wraparound.core.models import Membership
    from wraparound.core.roles import SCHOOL_ROLES, Role

    orgs = Referral.objects.filter(school=school).values("organization_id")
    memberships = Membership.objects.filter(is_active=True, network_id=school.network_id).filter(
        Q(school=school, role__in=SCHOOL_ROLES)
        | Q(school__isnull=True, organization__isnull=True, role=Role.CLINICAL_SUPERVISOR)
        | Q(organization_id__in=orgs, role=Role.PARTNER_STAFF)
        | Q(user_id=user.pk)
    )
    users = get_user_model().objects.filter(pk__in=memberships.values("user_id"), is_active=True)
    return users.order_by("last_name", "first_name", "username")


def my_follow_ups(user: Any) -> list[FollowUpAction]:
    """The user's open follow-up actions of the conferences they may still read (an owner who was
    absent, or has left the school, sees none of it). Each carries `is_overdue` on its network's
    clock. Two queries."""
    if not getattr(user, "is_authenticated", False):
        return []
    rows = list(
        FollowUpAction.objects.filter(
            owner_id=user.pk,
            status=ActionStatus.OPEN,
            conference__in=visible_conferences(user).values("pk"),
        )
        .select_related("conference__network")
        .order_by(F("due_on").asc(nulls_last=True), "pk")
    )
    today: dict[int, Any] = {}
    for row in rows:
        network = row.conference.network
        if network.pk not in today:
            today[network.pk] = network.today()
        row.is_overdue = row.due_on is not None and row.due_on < today[network.pk]  # type: ignore[attr-defined]
    return rows
