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
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from wraparound.core import access
from wraparound.core.models import Disclosure, DisclosureBasis, Organization, School
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


def visible_referrals(user: Any) -> QuerySet[Referral]:
    """Every referral the user may open, on either side."""
    if not getattr(user, "is_authenticated", False):
        return Referral.objects.none()
    return Referral.objects.filter(_official_filter(user) | _partner_filter(user))


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


def referrals_made_by(user: Any) -> QuerySet[Referral]:
    """The referrals the user made, at schools they are still an official of."""
    return (
        Referral.objects.filter(referred_by_id=user.pk)
        .filter(_official_filter(user))
        .select_related(*LIST_RELATED)
    )


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
    the referral form: a fixed number of queries however many services)."""
    return (
        Service.objects.filter(
            organization__network_id=school.network_id, status=ServiceStatus.ACTIVE
        )
        .select_related("organization")
        .annotate(
            waitlisted=Count("referrals", filter=Q(referrals__status=ReferralStatus.WAITLISTED))
        )
        .prefetch_related("capacities")
        .order_by("organization__name", "name", "pk")
    )


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
