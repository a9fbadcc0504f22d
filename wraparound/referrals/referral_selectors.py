"""Reads of referrals, starting from `core.access`.

- the school's side: school officials of the referral's school (`access.is_school_official`)
  see its referrals whole;
- the partner's side: partner users of the referral's organization see it once it is sent
  (`PARTNER_VISIBLE_STATUSES`), and its student only through `visibility.partner_views`;
- anyone else: 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from wraparound.core import access
from wraparound.core.models import (
    Coalition,
    Disclosure,
    DisclosureBasis,
    Network,
    Organization,
    School,
)
from wraparound.core.roles import SCHOOL_ROLES, Role
from wraparound.directory.models import Service, ServiceCapacity, ServiceStatus
from wraparound.students.models import Consent, ConsentStatus, Guardian, Student

from .models import (
    OPEN_REFERRAL_STATUSES,
    PARTNER_VISIBLE_STATUSES,
    Referral,
    ReferralStatus,
)

LIST_RELATED = (
    "school",
    "network",
    "student__school",  # visibility reads the student's school for the agreements in force
    "guardian",
    "service",
    "organization",
    "referred_by",
)


def _official_filter(user: Any) -> Q:
    """Referrals whose school the user is a school official of (`access.is_school_official`)."""
    g = access.grants(user)
    return Q(school_id__in=g.schools_with(*SCHOOL_ROLES)) | Q(
        network_id__in=g.networks_with(Role.NETWORK_ADMIN, Role.CLINICAL_SUPERVISOR)
    )


def _partner_filter(user: Any) -> Q:
    return Q(
        organization_id__in=access.partner_organizations(user),
        status__in=PARTNER_VISIBLE_STATUSES,
    )


def _referring_agency_filter(user: Any) -> Q:
    """Cross-agency referrals the user's agency made (its staff are their referrer side)."""
    return Q(
        referring_organization_id__in=access.grants(user).organizations_with(Role.PARTNER_STAFF)
    )


def visible_referrals(user: Any) -> QuerySet[Referral]:
    """Every referral the user may open, on either side."""
    if not getattr(user, "is_authenticated", False):
        return Referral.objects.none()
    return Referral.objects.filter(
        _official_filter(user) | _partner_filter(user) | _referring_agency_filter(user)
    )


def can_read_referrals(user: Any) -> bool:
    """Whether the user has a side at all (else list pages and list APIs are a 403)."""
    g = access.grants(user)
    return bool(
        g.schools_with(*SCHOOL_ROLES)
        or g.networks_with(Role.NETWORK_ADMIN, Role.CLINICAL_SUPERVISOR)
        or access.partner_organizations(user)
    )


def _status_filter(qs: QuerySet[Referral], status: str | None) -> QuerySet[Referral]:
    if status:
        if status not in ReferralStatus.values:
            raise Http404
        qs = qs.filter(status=status)
    return qs


def school_referrals(user: Any, school: School, status: str | None = None) -> QuerySet[Referral]:
    """The school's referrals, newest first, for its school officials."""
    if not access.is_school_official(user, school):
        raise PermissionDenied
    qs = Referral.objects.filter(school=school).select_related(*LIST_RELATED)
    return _status_filter(qs, status)


def school_funnel(user: Any, school: School) -> dict[str, int]:
    """How many of the school's referrals are in each status (every status present, 0 or more)."""
    counts = dict(
        school_referrals(user, school)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in ReferralStatus.values}


def makes_school_referrals(user: Any) -> bool:
    """Whether the user is a school official anywhere (the side that makes school referrals)."""
    g = access.grants(user)
    return bool(
        g.schools_with(*SCHOOL_ROLES)
        or g.networks_with(Role.NETWORK_ADMIN, Role.CLINICAL_SUPERVISOR)
    )


def referrals_made_by(user: Any, status: str | None = None) -> QuerySet[Referral]:
    """The referrals the user made, at schools they are still an official of, newest first."""
    qs = (
        Referral.objects.filter(referred_by_id=user.pk)
        .filter(_official_filter(user))
        .select_related(*LIST_RELATED)
        .order_by("-created_at", "-pk")
    )
    return _status_filter(qs, status)


def made_by_funnel(user: Any) -> tuple[dict[str, int], int]:
    """How many of the user's referrals are in each status, and how many sent ones are past
    their answer's due day (on each network's clock: the day is the referral's network's)."""
    counts = dict(
        referrals_made_by(user)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    mine = referrals_made_by(user).order_by()
    overdue = 0
    for network in Network.objects.filter(pk__in=mine.values("network_id")):
        overdue += mine.filter(
            network=network, status=ReferralStatus.SENT, response_due_on__lt=network.today()
        ).count()
    return {status: counts.get(status, 0) for status in ReferralStatus.values}, overdue


def partner_referrals(
    user: Any, organization: Organization, status: str | None = None
) -> QuerySet[Referral]:
    """Referrals the organization received (never drafts); 404 to anyone not its partner user.
    The students in them are read through `visibility.partner_views`."""
    if organization.pk not in access.partner_organizations(user):
        raise Http404
    qs = Referral.objects.filter(
        organization=organization, status__in=PARTNER_VISIBLE_STATUSES
    ).select_related(*LIST_RELATED)
    return _status_filter(qs, status)


def partner_funnel(user: Any, organization: Organization) -> dict[str, int]:
    counts = dict(
        partner_referrals(user, organization)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in PARTNER_VISIBLE_STATUSES}


def get_referral_for_user(user: Any, pk: Any) -> Referral:
    """One referral the user may open (either side); 404 otherwise."""
    try:
        return visible_referrals(user).select_related(*LIST_RELATED).get(pk=pk)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def is_official_for(user: Any, referral: Referral) -> bool:
    return access.is_school_official(user, referral.school)


def referral_events(referral: Referral) -> list[Any]:
    return list(referral.events.select_related("actor"))


# --- services: capacity and load ------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceLoad:
    capacity: ServiceCapacity | None
    waitlisted: int
    in_service: int


def service_load(service: Service) -> ServiceLoad:
    """The service's latest published capacity and how many referrals wait for it or use it."""
    capacity = service.capacities.order_by("-updated", "-pk").first()
    counts = dict(
        Referral.objects.filter(
            service=service, status__in=[ReferralStatus.WAITLISTED, ReferralStatus.IN_SERVICE]
        )
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return ServiceLoad(
        capacity=capacity,
        waitlisted=counts.get(ReferralStatus.WAITLISTED, 0),
        in_service=counts.get(ReferralStatus.IN_SERVICE, 0),
    )


def referable_services(school: School) -> QuerySet[Service]:
    """Active services of the network's organizations, with their waitlist and capacities (for
    the referral form: a fixed number of queries however many services). The services of member
    agencies of a coalition the school belongs to (or that serves its community) come first."""
    from wraparound.coalitions.models import CoalitionMember

    school_coalitions = Coalition.objects.filter(network_id=school.network_id).filter(
        Q(community_id=school.community_id)
        | Q(members__school_id=school.pk, members__is_active=True)
    )
    in_coalition = CoalitionMember.objects.filter(
        organization_id=OuterRef("organization_id"),
        is_active=True,
        coalition__in=school_coalitions,
    )
    return (
        Service.objects.filter(
            organization__network_id=school.network_id, status=ServiceStatus.ACTIVE
        )
        .select_related("organization")
        .annotate(
            waitlisted=Count("referrals", filter=Q(referrals__status=ReferralStatus.WAITLISTED)),
            coalition_member=Exists(in_coalition),
        )
        .prefetch_related("capacities")
        .order_by("-coalition_member", "organization__name", "name", "pk")
    )


# --- cross-agency referrals -----------------------------------------------------------------------

SERVING_STATUSES = (
    ReferralStatus.SENT,
    ReferralStatus.ACCEPTED,
    ReferralStatus.WAITLISTED,
    ReferralStatus.IN_SERVICE,
)


def cross_agency_services(organization: Organization) -> QuerySet[Service]:
    """Active services of the other active member agencies of the organization's coalitions."""
    from wraparound.coalitions.models import CoalitionMember

    coalitions = CoalitionMember.objects.filter(organization=organization, is_active=True).values(
        "coalition_id"
    )
    members = (
        CoalitionMember.objects.filter(coalition_id__in=coalitions, is_active=True)
        .exclude(organization__isnull=True)
        .exclude(organization=organization)
        .values("organization_id")
    )
    return (
        Service.objects.filter(organization_id__in=members, status=ServiceStatus.ACTIVE)
        .select_related("organization")
        .annotate(
            waitlisted=Count("referrals", filter=Q(referrals__status=ReferralStatus.WAITLISTED))
        )
        .prefetch_related("capacities")
        .order_by("organization__name", "name", "pk")
    )


def serving_referral(
    user: Any, organization: Organization, *, student_id: int | None, guardian_id: int | None
) -> Referral:
    """The referral under which the user's agency serves the student or family (the ground on
    which its staff see them); 404 when the agency does not serve them or the user is not its
    staff."""
    if organization.pk not in access.serving_organizations(
        user, student_id=student_id, guardian_id=guardian_id
    ):
        raise Http404
    qs = Referral.objects.filter(organization=organization, status__in=SERVING_STATUSES)
    if student_id is not None:
        qs = qs.filter(student_id=student_id)
    else:
        qs = qs.filter(
            Q(guardian_id=guardian_id) | Q(student__guardian_links__guardian_id=guardian_id)
        )
    found = qs.select_related(*LIST_RELATED).order_by("-created_at").first()
    if found is None:
        raise Http404
    return found


def source_referral(user: Any, referral: Referral) -> Referral | None:
    """For the referring agency's staff reading a cross-agency referral: their own agency's
    referral of the same student or family (through which they may see them), if still open."""
    org_id = referral.referring_organization_id
    if org_id is None or org_id not in access.grants(user).organizations_with(Role.PARTNER_STAFF):
        return None
    qs = Referral.objects.filter(organization_id=org_id, status__in=SERVING_STATUSES)
    if referral.student_id is not None:
        qs = qs.filter(student_id=referral.student_id)
    else:
        qs = qs.filter(guardian=referral.guardian)
    return qs.select_related(*LIST_RELATED).order_by("-created_at").first()


def agency_referrals_made(user: Any, organization: Organization) -> QuerySet[Referral]:
    """The cross-agency referrals the organization made (for its staff)."""
    if organization.pk not in access.grants(user).organizations_with(Role.PARTNER_STAFF):
        raise Http404
    return Referral.objects.filter(referring_organization=organization).select_related(
        "service", "organization", "coalition"
    )


def coalition_referrals(user: Any, coalition: Coalition) -> tuple[dict[str, int], list[Referral]]:
    """A coalition's cross-agency referrals: counts by status for everyone who may see the page
    (aggregates, no student), and the rows the user could already open elsewhere."""
    # Drafts are their referrer's alone: not counted.
    qs = Referral.objects.filter(coalition=coalition, status__in=PARTNER_VISIBLE_STATUSES)
    counts = dict(
        qs.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    funnel = {str(status): counts.get(status, 0) for status in PARTNER_VISIBLE_STATUSES}
    rows = list(
        visible_referrals(user)
        .filter(coalition=coalition)
        .exclude(status=ReferralStatus.DRAFT)
        .select_related("service", "organization", "referring_organization", "school")
        .order_by("-created_at")[:200]
    )
    return funnel, rows


def open_duplicates(*, student: Student | None, service: Service) -> list[Referral]:
    """Open referrals of the same student to the same service (the form warns of them)."""
    if student is None:
        return []
    return list(
        Referral.objects.filter(
            student=student, service=service, status__in=OPEN_REFERRAL_STATUSES
        ).order_by("-created_at")
    )


def school_students(school: School, query: str = "", limit: int = 20) -> list[Student]:
    """A short list of the school's students matching a name or student id."""
    qs = Student.objects.filter(school=school, is_active=True)
    for word in query.split()[:4]:
        qs = qs.filter(
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(preferred_name__icontains=word)
            | Q(identifier__iexact=word)
        )
    return list(
        qs.prefetch_related("guardian_links__guardian").order_by("family_name", "given_name", "pk")[
            :limit
        ]
    )


def partner_family_contact(*, user: Any, referral: Referral, purpose: str) -> bool:
    """Whether a partner user may see the family's contact on a family referral: it was shared
    under a consent that is still signed and in force today, and the user is the organization's
    staff. Each yes is logged as a disclosure (the guardian's record, on the consent)."""
    consent = referral.consent
    if (
        referral.guardian_id is None
        or consent is None
        or "contact" not in (referral.shared_elements or ())
        or access.partner_role(user, referral.organization_id) != Role.PARTNER_STAFF
    ):
        return False
    today = referral.network.today()
    if (
        consent.status != ConsentStatus.SIGNED
        or consent.effective_on > today
        or (consent.expires_on is not None and consent.expires_on < today)
        or "contact" not in consent.data_elements
    ):
        return False
    Disclosure.objects.create(
        network_id=referral.network_id,
        subject_type=ContentType.objects.get_for_model(Guardian),
        subject_id=referral.guardian_id,
        viewer=user,
        organization_id=referral.organization_id,
        basis=DisclosureBasis.CONSENT,
        basis_type=ContentType.objects.get_for_model(Consent),
        basis_id=consent.pk,
        fields=["contact"],
        purpose=purpose[:200],
    )
    return True
