"""The one place that decides who sees what.

Every selector starts from these functions. A user's grants are read once per request (one
query) and kept on the user object. Objects a user may not see are a 404 (`get_*_for_user`),
never a 403 that would confirm they exist; a page a user's role does not open is a 403
(`PermissionDenied`) only when it names nothing the user could not already see.

Superusers are not given tenant data here: they use the Django admin (DESIGN.md §1).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Coalition, Community, Membership, Network, Organization, School
from .roles import NETWORK_WIDE_ROLES, PARTNER_ROLES, SCHOOL_ROLES, STUDENT_DATA_ROLES, Role

_CACHE_ATTR = "_wraparound_grants"


@dataclass(frozen=True)
class Grants:
    """What one user holds, by role and scope (ids only)."""

    roles: frozenset[str] = frozenset()
    networks: frozenset[int] = frozenset()  # any active membership
    network_roles: dict[str, frozenset[int]] = field(default_factory=dict)  # role → network ids
    school_roles: dict[str, frozenset[int]] = field(default_factory=dict)  # role → school ids
    organization_roles: dict[str, frozenset[int]] = field(default_factory=dict)
    coalition_roles: dict[str, frozenset[int]] = field(default_factory=dict)

    def networks_with(self, *roles: str) -> frozenset[int]:
        return frozenset().union(*(self.network_roles.get(r, frozenset()) for r in roles))

    def schools_with(self, *roles: str) -> frozenset[int]:
        return frozenset().union(*(self.school_roles.get(r, frozenset()) for r in roles))

    def organizations_with(self, *roles: str) -> frozenset[int]:
        return frozenset().union(*(self.organization_roles.get(r, frozenset()) for r in roles))

    def coalitions_with(self, *roles: str) -> frozenset[int]:
        return frozenset().union(*(self.coalition_roles.get(r, frozenset()) for r in roles))

    @property
    def network_wide(self) -> frozenset[int]:
        """Networks in which the user sees every school: admins, evaluators, network supervisors."""
        return self.networks_with(*NETWORK_WIDE_ROLES, Role.CLINICAL_SUPERVISOR)

    @property
    def sees_student_data(self) -> bool:
        return bool(self.roles & STUDENT_DATA_ROLES)


def grants(user: Any) -> Grants:
    if user is None or not getattr(user, "is_authenticated", False):
        return Grants()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    rows = Membership.objects.filter(user=user, is_active=True).values_list(
        "role", "network_id", "school_id", "organization_id", "coalition_id"
    )
    networks: set[int] = set()
    by_scope: dict[str, dict[str, set[int]]] = {
        "network": defaultdict(set),
        "school": defaultdict(set),
        "organization": defaultdict(set),
        "coalition": defaultdict(set),
    }
    roles: set[str] = set()
    for role, network_id, school_id, organization_id, coalition_id in rows:
        roles.add(role)
        networks.add(network_id)
        if school_id:
            by_scope["school"][role].add(school_id)
        elif organization_id:
            by_scope["organization"][role].add(organization_id)
        elif coalition_id:
            by_scope["coalition"][role].add(coalition_id)
        else:
            by_scope["network"][role].add(network_id)

    def freeze(d: dict[str, set[int]]) -> dict[str, frozenset[int]]:
        return {k: frozenset(v) for k, v in d.items()}

    result = Grants(
        roles=frozenset(roles),
        networks=frozenset(networks),
        network_roles=freeze(by_scope["network"]),
        school_roles=freeze(by_scope["school"]),
        organization_roles=freeze(by_scope["organization"]),
        coalition_roles=freeze(by_scope["coalition"]),
    )
    setattr(user, _CACHE_ATTR, result)
    return result


def forget(user: Any) -> None:
    """Drop the cached grants (after a membership changes within a request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _get_or_404(qs: QuerySet[Any], pk: Any) -> Any:
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- networks ----------------------------------------------------------------------------------


def visible_networks(user: Any) -> QuerySet[Network]:
    """Networks in which the user holds any role (their name and public facts)."""
    return Network.objects.filter(id__in=grants(user).networks)


def administered_networks(user: Any) -> QuerySet[Network]:
    """Networks whose communities and schools the user sees as a whole."""
    return Network.objects.filter(id__in=grants(user).network_wide)


def get_network_for_user(user: Any, slug: str) -> Network:
    """A network the user sees as a whole; 404 outside their networks, 403 for a member whose role
    does not open the network view (they already know the network exists)."""
    g = grants(user)
    network = Network.objects.filter(slug=slug, id__in=g.networks).first()
    if network is None:
        raise Http404
    if network.id not in g.network_wide:
        raise PermissionDenied
    return network


def is_network_admin(user: Any, network_id: int) -> bool:
    return network_id in grants(user).networks_with(Role.NETWORK_ADMIN)


# --- communities and schools ----------------------------------------------------------------------


def _school_filter(user: Any) -> Q:
    g = grants(user)
    return Q(network_id__in=g.network_wide) | Q(id__in=g.schools_with(*SCHOOL_ROLES))


def can_list_schools(user: Any) -> bool:
    g = grants(user)
    return bool(g.network_wide or g.schools_with(*SCHOOL_ROLES))


def visible_schools(user: Any) -> QuerySet[School]:
    if not can_list_schools(user):
        return School.objects.none()
    return School.objects.filter(_school_filter(user))


def get_school_for_user(user: Any, pk: Any) -> School:
    return _get_or_404(
        visible_schools(user).select_related("network", "community", "feeder_to"), pk
    )


def visible_communities(user: Any) -> QuerySet[Community]:
    g = grants(user)
    school_ids = g.schools_with(*SCHOOL_ROLES)
    coalition_ids = g.coalitions_with(Role.COALITION_MEMBER)
    return Community.objects.filter(
        Q(network_id__in=g.network_wide)
        | Q(schools__id__in=school_ids)
        | Q(coalitions__id__in=coalition_ids)
    ).distinct()


# --- organizations and coalitions -----------------------------------------------------------------


def visible_organizations(user: Any) -> QuerySet[Organization]:
    """Network admins see every partner of their network; partner users see their own."""
    g = grants(user)
    return Organization.objects.filter(
        Q(network_id__in=g.networks_with(Role.NETWORK_ADMIN))
        | Q(id__in=g.organizations_with(*PARTNER_ROLES))
    )


def get_organization_for_user(user: Any, pk: Any) -> Organization:
    return _get_or_404(visible_organizations(user).select_related("network"), pk)


def visible_coalitions(user: Any) -> QuerySet[Coalition]:
    g = grants(user)
    return Coalition.objects.filter(
        Q(network_id__in=g.networks_with(Role.NETWORK_ADMIN))
        | Q(id__in=g.coalitions_with(Role.COALITION_MEMBER))
    )


def get_coalition_for_user(user: Any, pk: Any) -> Coalition:
    return _get_or_404(visible_coalitions(user).select_related("network", "community"), pk)


# --- two-factor ---------------------------------------------------------------------------------


def requires_two_factor(user: Any) -> bool:
    """Whether this user must verify a second factor (when the setting makes it mandatory)."""
    return grants(user).sees_student_data


# --- the partner directory ---------------------------------------------------------------------


def directory_networks(user: Any) -> QuerySet[Network]:
    """Networks whose directory the user may search: network-wide roles and school-side roles
    (they look for partners for their students). Partner users manage their own profile and
    coalition members their coalition; neither searches the directory."""
    g = grants(user)
    school_networks = School.objects.filter(id__in=g.schools_with(*SCHOOL_ROLES)).values(
        "network_id"
    )
    return Network.objects.filter(
        Q(id__in=g.networks_with(*NETWORK_WIDE_ROLES, Role.CLINICAL_SUPERVISOR))
        | Q(id__in=school_networks)
    )


def can_search_directory(user: Any) -> bool:
    """`directory_networks(user)` is not empty, answered from the grants alone (no query)."""
    g = grants(user)
    return bool(
        g.networks_with(*NETWORK_WIDE_ROLES, Role.CLINICAL_SUPERVISOR)
        or g.schools_with(*SCHOOL_ROLES)
    )


def can_edit_organization(user: Any, organization: Organization) -> bool:
    """Partner admins of the organization and network admins of its network edit the profile;
    partner staff see it but do not edit it (they act for the organization with students, not
    for its public face)."""
    g = grants(user)
    return organization.pk in g.organizations_with(Role.PARTNER_ADMIN) or is_network_admin(
        user, organization.network_id
    )


def is_directory_reviewer(user: Any) -> bool:
    """Reviews partners' changes (of their own networks only: see the review selectors)."""
    return bool(grants(user).networks_with(Role.NETWORK_ADMIN))


# --- needs-and-assets assessments ----------------------------------------------------------------


def can_edit_assessment(user: Any, school: School) -> bool:
    """The school's coordinators and principal run its assessment; network admins may help."""
    g = grants(user)
    return school.pk in g.schools_with(Role.SCHOOL_COORDINATOR, Role.PRINCIPAL) or is_network_admin(
        user, school.network_id
    )


def can_submit_assessment(user: Any, school: School) -> bool:
    """The principal submits the school's assessment (the leadership team's sign-off)."""
    return school.pk in grants(user).schools_with(Role.PRINCIPAL)


# --- partnerships -------------------------------------------------------------------------------


def can_propose_partnership(user: Any, school: School) -> bool:
    """The school's coordinators propose partnerships for it (from its gaps page); network admins
    may too. Principals and staff read the recommendations but do not commit the school."""
    return school.pk in grants(user).schools_with(Role.SCHOOL_COORDINATOR) or is_network_admin(
        user, school.network_id
    )


def can_act_for_organization(user: Any, organization: Organization) -> bool:
    """Who answers proposals to the organization and ends its partnerships: its partner admins,
    or a network admin on its behalf. Partner staff see its partnerships but do not commit it."""
    return organization.pk in grants(user).organizations_with(
        Role.PARTNER_ADMIN
    ) or is_network_admin(user, organization.network_id)


def can_respond_to_partnership(user: Any, partnership: Any) -> bool:
    """Accept or decline a proposed partnership: the organization's side
    (`can_act_for_organization`)."""
    return partnership.organization_id in grants(user).organizations_with(
        Role.PARTNER_ADMIN
    ) or is_network_admin(user, partnership.network_id)


def can_end_partnership(user: Any, partnership: Any) -> bool:
    """Either side ends an active partnership: the school's coordinators, the organization's
    partner admins, or a network admin."""
    g = grants(user)
    return (
        (
            partnership.school_id is not None
            and partnership.school_id in g.schools_with(Role.SCHOOL_COORDINATOR)
        )
        or partnership.organization_id in g.organizations_with(Role.PARTNER_ADMIN)
        or is_network_admin(user, partnership.network_id)
    )


def can_view_assessment(user: Any, school: School) -> bool:
    """Who reads a school's needs-and-assets assessments: the network-wide roles of its network
    (admins edit; evaluators and network supervisors read) and the school's own roles
    (coordinators and the principal edit; staff and the school's clinical supervisor read).
    Partner users and coalition members do not: an assessment is the school's own planning."""
    g = grants(user)
    return school.network_id in g.network_wide or school.pk in g.schools_with(*SCHOOL_ROLES)


# --- agreements (MOUs and data sharing) --------------------------------------------------------


def agreement_filter(user: Any) -> Q:
    """Agreements a user reads: network admins their networks'; the school's own roles their
    schools' (and network-wide ones of their network); partner users their organizations'.
    Evaluators and coalition members do not read agreements."""
    g = grants(user)
    school_networks = School.objects.filter(id__in=g.schools_with(*SCHOOL_ROLES)).values(
        "network_id"
    )
    return (
        Q(network_id__in=g.networks_with(Role.NETWORK_ADMIN))
        | Q(school_id__in=g.schools_with(*SCHOOL_ROLES))
        | Q(school__isnull=True, network_id__in=school_networks)
        | Q(organization_id__in=g.organizations_with(*PARTNER_ROLES))
    )


def can_draft_agreement(user: Any, partnership: Any) -> bool:
    """The school's coordinators draft (and amend, renew, terminate) a school partnership's MOU;
    a network-wide partnership's, only network admins. Network admins may do either."""
    if is_network_admin(user, partnership.network_id):
        return True
    return partnership.school_id is not None and partnership.school_id in grants(user).schools_with(
        Role.SCHOOL_COORDINATOR
    )


def signing_party(user: Any, agreement: Any) -> str | None:
    """The party this user signs for ("school", "network" or "partner"), or None. The principal
    signs for the school, a network admin for a network-wide partnership, the organization's
    partner admin for the partner."""
    g = grants(user)
    if agreement.organization_id in g.organizations_with(Role.PARTNER_ADMIN):
        return "partner"
    if agreement.school_id is not None:
        return "school" if agreement.school_id in g.schools_with(Role.PRINCIPAL) else None
    return "network" if is_network_admin(user, agreement.network_id) else None


def can_certify_destruction(user: Any, agreement: Any) -> bool:
    """The partner admin certifies the shared data destroyed (the party that holds it)."""
    return agreement.organization_id in grants(user).organizations_with(Role.PARTNER_ADMIN)


# --- clearance ----------------------------------------------------------------------------------


def can_manage_clearance(user: Any, network_id: int) -> bool:
    """Requirements, reviews (clear / reject) and the compliance dashboard: network admins."""
    return is_network_admin(user, network_id)


def can_manage_staff(user: Any, organization: Organization) -> bool:
    """List the organization's campus staff and upload their documents: its partner admins, or a
    network admin on its behalf."""
    return can_act_for_organization(user, organization)


def can_read_clearance_documents(user: Any, organization: Organization) -> bool:
    """Clearance documents are read by the organization's partner admins and the network's
    admins only (not partner staff, not schools: they see the cleared / not cleared answer)."""
    return can_act_for_organization(user, organization)


def staff_member_filter(user: Any) -> Q:
    """Campus staff a user may look up: network admins their networks'; partner users their
    organizations'; the school's roles those of organizations with an open partnership at their
    schools or network-wide in their network (the front desk checks them in)."""
    from wraparound.agreements.models import OPEN_STATUSES, Partnership

    g = grants(user)
    school_ids = g.schools_with(*SCHOOL_ROLES)
    working_here = Partnership.objects.filter(status__in=OPEN_STATUSES).filter(
        Q(school_id__in=school_ids)
        | Q(
            school__isnull=True,
            network_id__in=School.objects.filter(id__in=school_ids).values("network_id"),
        )
    )
    return (
        Q(network_id__in=g.networks_with(Role.NETWORK_ADMIN))
        | Q(organization_id__in=g.organizations_with(*PARTNER_ROLES))
        | Q(organization_id__in=working_here.values("organization_id"))
    )


def can_check_clearance(user: Any) -> bool:
    """Who may ask "may this person work at this school on this date?" at all (the person and the
    school must also be visible): network admins, school roles, partner users."""
    g = grants(user)
    return bool(
        g.networks_with(Role.NETWORK_ADMIN)
        or g.schools_with(*SCHOOL_ROLES)
        or g.organizations_with(*PARTNER_ROLES)
    )


# --- students and families ----------------------------------------------------------------------
#
# School officials (34 CFR 99.31(a)(1)) see the students of their schools whole: network admins and
# network clinical supervisors every school of their network, the school's own roles their schools.
# Evaluators never see a student. Partner users see students only through referrals to their
# organization, field by field, through `wraparound.students.visibility` (which logs each read).


def student_filter(user: Any) -> Q:
    """Students a school-side user sees (no partner access here: see `visibility`)."""
    g = grants(user)
    return Q(network_id__in=g.networks_with(Role.NETWORK_ADMIN, Role.CLINICAL_SUPERVISOR)) | Q(
        school_id__in=g.schools_with(*SCHOOL_ROLES)
    )


def sees_school_students(user: Any) -> bool:
    g = grants(user)
    return bool(
        g.networks_with(Role.NETWORK_ADMIN, Role.CLINICAL_SUPERVISOR)
        or g.schools_with(*SCHOOL_ROLES)
    )


def is_school_official(user: Any, school: School) -> bool:
    """Sees the school's students whole (see `student_filter`)."""
    g = grants(user)
    return school.pk in g.schools_with(*SCHOOL_ROLES) or school.network_id in g.networks_with(
        Role.NETWORK_ADMIN, Role.CLINICAL_SUPERVISOR
    )


def partner_organizations(user: Any) -> frozenset[int]:
    """Organizations for which the user receives referred students (partner staff and admins;
    which fields each role sees is the data-sharing agreement's `partner_roles`)."""
    return grants(user).organizations_with(*PARTNER_ROLES)


def partner_role(user: Any, organization_id: int) -> str | None:
    """The user's role at the organization (staff first: it is the one that serves students)."""
    g = grants(user)
    if organization_id in g.organizations_with(Role.PARTNER_STAFF):
        return Role.PARTNER_STAFF
    if organization_id in g.organizations_with(Role.PARTNER_ADMIN):
        return Role.PARTNER_ADMIN
    return None


def can_refer(user: Any, school: School) -> bool:
    """Make referrals for the school's students: its coordinators, staff and clinical supervisors;
    network admins. Principals read; partners answer."""
    g = grants(user)
    return school.pk in g.schools_with(
        Role.SCHOOL_COORDINATOR, Role.SCHOOL_STAFF, Role.CLINICAL_SUPERVISOR
    ) or is_network_admin(user, school.network_id)


def can_assign_tier(user: Any, school: School) -> bool:
    """Tiers are set by the school's student-support team: coordinators, staff, supervisors."""
    return can_refer(user, school)


def can_record_consent(user: Any, school: School) -> bool:
    """Record, request and revoke consents: the school's coordinators and staff; network admins."""
    g = grants(user)
    return school.pk in g.schools_with(
        Role.SCHOOL_COORDINATOR, Role.SCHOOL_STAFF
    ) or is_network_admin(user, school.network_id)


def can_print_disclosure_log(user: Any, school: School) -> bool:
    """A parent asks the school (34 CFR 99.32(c)): its coordinators, principal, network admins."""
    g = grants(user)
    return school.pk in g.schools_with(Role.SCHOOL_COORDINATOR, Role.PRINCIPAL) or is_network_admin(
        user, school.network_id
    )


def can_log_school_session(user: Any, school: School) -> bool:
    """School staff log the sessions they run themselves (no partner organization)."""
    g = grants(user)
    return school.pk in g.schools_with(
        Role.SCHOOL_COORDINATOR, Role.SCHOOL_STAFF, Role.CLINICAL_SUPERVISOR
    ) or is_network_admin(user, school.network_id)


def can_log_partner_session(user: Any, organization_id: int) -> bool:
    """Partner staff (and admins) log their organization's sessions."""
    return organization_id in grants(user).organizations_with(*PARTNER_ROLES)


def can_write_case_note(user: Any, school: School) -> bool:
    """Clinical staff write case notes: the school's staff and clinical supervisors."""
    return school.pk in grants(user).schools_with(Role.SCHOOL_STAFF, Role.CLINICAL_SUPERVISOR)


def case_note_filter(user: Any) -> Q:
    """Case notes a user reads: their own, and as a clinical supervisor those written at the
    schools (or in the network) they supervise. Nobody else — not admins, not partners."""
    g = grants(user)
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    return (
        Q(author_id=user.pk)
        | Q(school_id__in=g.schools_with(Role.CLINICAL_SUPERVISOR))
        | Q(network_id__in=g.networks_with(Role.CLINICAL_SUPERVISOR))
    )


# Outcomes (issue 7). Dashboards, goals and reports show aggregates only, every cell of fewer
# than ten students suppressed (`outcomes.suppression`); who may see them follows who answers
# for the scope. Evaluators see every aggregate of their network and the de-identified extract,
# never a student.


def can_view_network_outcomes(user: Any, network_id: int) -> bool:
    return network_id in grants(user).networks_with(*NETWORK_WIDE_ROLES)


def can_view_school_outcomes(user: Any, school: School) -> bool:
    """The school's own roles, and network admins, evaluators and network supervisors."""
    g = grants(user)
    return school.pk in g.schools_with(*SCHOOL_ROLES) or school.network_id in g.network_wide


def can_view_organization_outcomes(user: Any, organization: Organization) -> bool:
    """A partner's own admins and staff; network admins and evaluators of a network the
    organization belongs to."""
    g = grants(user)
    if organization.pk in g.organizations_with(*PARTNER_ROLES):
        return True
    return organization.network_id in g.networks_with(*NETWORK_WIDE_ROLES)


def can_set_school_goals(user: Any, school: School) -> bool:
    """Goals for a school (or a partnership of the school): its coordinators and principal,
    and network admins."""
    g = grants(user)
    return school.pk in g.schools_with(Role.SCHOOL_COORDINATOR, Role.PRINCIPAL) or is_network_admin(
        user, school.network_id
    )


def can_set_network_goals(user: Any, network_id: int) -> bool:
    return is_network_admin(user, network_id)


def can_evaluate(user: Any, network_id: int) -> bool:
    """Run the what-helped comparison and export the de-identified extract: network admins and
    evaluators."""
    return can_view_network_outcomes(user, network_id)


# --- coalitions: members, commitments, measures, shared resources (issue 8) ----------------------


# --- meetings and action items (issue 8) ----------------------------------------------------------


# --- professional development (issue 8) ----------------------------------------------------------


# --- initiatives (issue 8) ------------------------------------------------------------------------


# --- family team conferences (issue 8) -----------------------------------------------------------
