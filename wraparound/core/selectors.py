"""Reads of the core app. Each starts from `access`: it returns only what the user may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from . import access
from .models import Coalition, Community, Membership, Network, Organization, School
from .roles import PARTNER_ROLES, SCHOOL_ROLES, Role


def school_list(
    user: Any, *, community_id: int | None = None, network_id: int | None = None, query: str = ""
) -> QuerySet[School]:
    qs = access.visible_schools(user).select_related("community", "network")
    if network_id is not None:
        qs = qs.filter(network_id=network_id)
    if community_id is not None:
        qs = qs.filter(community_id=community_id)
    if query:
        qs = qs.filter(name__icontains=query) | qs.filter(code__icontains=query)
    return qs.order_by("network__name", "code")


def school_detail(user: Any, pk: Any) -> School:
    return access.get_school_for_user(user, pk)


def school_feeders(user: Any, school: School) -> QuerySet[School]:
    return access.visible_schools(user).filter(feeder_to=school).order_by("code")


def network_list(user: Any) -> QuerySet[Network]:
    return access.administered_networks(user).annotate(
        n_communities=Count("communities", distinct=True), n_schools=Count("schools", distinct=True)
    )


def network_communities(user: Any, network: Network) -> QuerySet[Community]:
    return (
        access.visible_communities(user)
        .filter(network=network)
        .annotate(n_schools=Count("schools"))
        .order_by("code")
    )


def membership_list(user: Any) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("network", "school", "organization", "coalition")
        .order_by("network__name", "role", "id")
    )


@dataclass
class HomeSection:
    """One block of a user's home page: a role held somewhere, and what that role looks after."""

    role: str
    role_label: str
    network: Network
    schools: list[School] = field(default_factory=list)
    communities: list[Community] = field(default_factory=list)
    organization: Organization | None = None
    coalition: Coalition | None = None
    school_count: int = 0
    referrals_waiting: int = 0  # sent to the organization and not yet answered


def home_sections(user: Any) -> list[HomeSection]:
    """What each of the user's memberships looks after, grouped by role and network.

    The number of queries depends on the number of memberships, not on the number of schools."""
    g = access.grants(user)
    sections: list[HomeSection] = []
    memberships = list(membership_list(user))
    seen: set[tuple[str, int]] = set()
    for m in memberships:
        key = (m.role, m.network_id)
        if key in seen:
            continue
        seen.add(key)
        section = HomeSection(role=m.role, role_label=m.get_role_display(), network=m.network)
        if m.role in (Role.NETWORK_ADMIN, Role.NETWORK_EVALUATOR) or (
            m.role == Role.CLINICAL_SUPERVISOR and m.school_id is None
        ):
            communities = list(
                Community.objects.filter(network_id=m.network_id)
                .prefetch_related(Prefetch("schools", queryset=School.objects.order_by("code")))
                .order_by("code")[:200]
            )
            section.communities = communities
            section.school_count = School.objects.filter(network_id=m.network_id).count()
        elif m.role in SCHOOL_ROLES:
            ids = g.school_roles.get(m.role, frozenset())
            section.schools = list(
                School.objects.filter(id__in=ids, network_id=m.network_id)
                .select_related("community")
                .order_by("code")
            )
            section.school_count = len(section.schools)
        elif m.role in PARTNER_ROLES:
            from wraparound.referrals.models import Referral, ReferralStatus

            section.organization = m.organization
            section.referrals_waiting = (
                Referral.objects.filter(
                    organization_id=m.organization_id, status=ReferralStatus.SENT
                ).count()
                if m.organization_id is not None
                else 0
            )
        elif m.role == Role.COALITION_MEMBER:
            section.coalition = m.coalition
        sections.append(section)
    return sections
