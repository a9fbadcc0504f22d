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
    # Their own only while they still work in the network: a worker who left keeps no access.
    return (
        Q(author_id=user.pk, network_id__in=g.networks)
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
#
# A coalition is seen (home page, measures, board) by the network admins of its network and by
# its coalition members (`visible_coalitions`); anyone else gets a 404. Network admins manage
# everything in it. A coalition member acts for the member agencies whose contact they are
# (`MemberContact.user`): their commitments and measures, posts in their name; any coalition
# member may answer a post. Only aggregate counts about referrals are shown here, never a student.


def can_manage_coalitions(user: Any) -> bool:
    """Sees the coalition list with its create button: a network admin of some network."""
    return bool(grants(user).networks_with(Role.NETWORK_ADMIN))


def can_list_coalitions(user: Any) -> bool:
    g = grants(user)
    return bool(g.networks_with(Role.NETWORK_ADMIN) or g.coalitions_with(Role.COALITION_MEMBER))


def can_manage_coalition(user: Any, coalition: Coalition) -> bool:
    """Edit the coalition, its members and contacts, and act for any member: network admins."""
    return is_network_admin(user, coalition.network_id)


def is_coalition_member(user: Any, coalition: Coalition) -> bool:
    return coalition.pk in grants(user).coalitions_with(Role.COALITION_MEMBER)


def coalition_member_ids_for(user: Any, coalition: Coalition) -> frozenset[int]:
    """The active member agencies of the coalition this user is a contact of (one query), for a
    user who still holds the coalition member role there."""
    if not is_coalition_member(user, coalition):
        return frozenset()
    from wraparound.coalitions.models import MemberContact

    return frozenset(
        MemberContact.objects.filter(
            user_id=user.pk, member__coalition_id=coalition.pk, member__is_active=True
        ).values_list("member_id", flat=True)
    )


def can_act_for_coalition_member(user: Any, coalition: Coalition, member_id: int | None) -> bool:
    """Record commitments and measures, post on the board for this member agency (None: for the
    coalition as a whole, which only network admins do)."""
    if can_manage_coalition(user, coalition):
        return True
    return member_id is not None and member_id in coalition_member_ids_for(user, coalition)


def can_respond_to_resource_post(user: Any, coalition: Coalition) -> bool:
    """Answer a post on the board: anyone who sees the coalition."""
    return can_manage_coalition(user, coalition) or is_coalition_member(user, coalition)


def can_close_resource_post(user: Any, post: Any) -> bool:
    """Mark a post fulfilled or withdraw it: who posted it, or a network admin."""
    return (post.posted_by_id is not None and post.posted_by_id == user.pk) or is_network_admin(
        user, post.coalition.network_id
    )


# --- meetings and action items (issue 8) ----------------------------------------------------------
#
# A coalition's meetings are run (scheduled, recorded, cancelled) by its coalition members and its
# network's admins, and read by no one else but those who attended or own one of its action
# items. A school's leadership-team meetings are run by the school's coordinators and principal
# and its network's admins; the school's other roles (staff, clinical supervisors) read them.


def can_run_coalition_meetings(user: Any, coalition: Coalition) -> bool:
    return coalition.pk in grants(user).coalitions_with(Role.COALITION_MEMBER) or is_network_admin(
        user, coalition.network_id
    )


def can_read_coalition_meetings(user: Any, coalition: Coalition) -> bool:
    return can_run_coalition_meetings(user, coalition)


def can_run_school_meetings(user: Any, school: School) -> bool:
    return school.pk in grants(user).schools_with(
        Role.SCHOOL_COORDINATOR, Role.PRINCIPAL
    ) or is_network_admin(user, school.network_id)


def can_read_school_meetings(user: Any, school: School) -> bool:
    return school.pk in grants(user).schools_with(*SCHOOL_ROLES) or is_network_admin(
        user, school.network_id
    )


def meeting_filter(user: Any) -> Q:
    """Meetings a user reads: their bodies' (above), and any they attended or own an action item
    of (so the link from their home page opens)."""
    from wraparound.meetings.models import ActionItem, MeetingAttendee

    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    g = grants(user)
    return (
        Q(network_id__in=g.networks_with(Role.NETWORK_ADMIN))
        | Q(coalition_id__in=g.coalitions_with(Role.COALITION_MEMBER))
        | Q(school_id__in=g.schools_with(*SCHOOL_ROLES))
        | Q(pk__in=MeetingAttendee.objects.filter(user_id=user.pk).values("meeting_id"))
        | Q(
            pk__in=ActionItem.objects.filter(owner_id=user.pk, meeting__isnull=False).values(
                "meeting_id"
            )
        )
    )


def can_run_meeting(user: Any, meeting: Any) -> bool:
    """Record, cancel, or change the action items of a meeting (or a series: same fields)."""
    if meeting.coalition_id is not None:
        return meeting.coalition_id in grants(user).coalitions_with(
            Role.COALITION_MEMBER
        ) or is_network_admin(user, meeting.network_id)
    return meeting.school_id in grants(user).schools_with(
        Role.SCHOOL_COORDINATOR, Role.PRINCIPAL
    ) or is_network_admin(user, meeting.network_id)


def action_item_filter(user: Any) -> Q:
    """Action items a user reads: their own, and those of the bodies whose meetings they read."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    g = grants(user)
    return (
        Q(owner_id=user.pk)
        | Q(network_id__in=g.networks_with(Role.NETWORK_ADMIN))
        | Q(coalition_id__in=g.coalitions_with(Role.COALITION_MEMBER))
        | Q(school_id__in=g.schools_with(*SCHOOL_ROLES))
    )


def can_update_action_item(user: Any, item: Any) -> bool:
    """Mark done, drop or reopen: the owner, or whoever runs the body's meetings."""
    return item.owner_id == getattr(user, "pk", None) or can_run_meeting(user, item)


def can_edit_action_item(user: Any, item: Any) -> bool:
    """Change an item's title, owner, due date or note: whoever runs the body's meetings (the
    owner alone only marks it done or dropped)."""
    return can_run_meeting(user, item)


# --- professional development (issue 8) ----------------------------------------------------------
#
# The network admin keeps the catalogue, schedules trainings, takes attendance and sees everyone's
# record; a trainer with an account takes attendance for their trainings. School roles and partner
# users see (and register for) the trainings whose audience includes them; partner admins register
# their organization's campus staff and read those people's records. Evaluators, coalition members
# and outsiders are not an audience.


def training_networks(user: Any, audience: str) -> frozenset[int]:
    """Networks in which the user is in a training audience ("school" or "partner")."""
    g = grants(user)
    if audience == "school":
        ids = g.schools_with(*SCHOOL_ROLES)
        model: Any = School
    else:
        ids = g.organizations_with(*PARTNER_ROLES)
        model = Organization
    if not ids:
        return frozenset()
    return frozenset(model.objects.filter(id__in=ids).values_list("network_id", flat=True))


def training_filter(user: Any) -> Q:
    """Trainings a user sees: all of their admin networks', those whose audience includes them,
    and those they train."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    g = grants(user)
    return (
        Q(network_id__in=g.networks_with(Role.NETWORK_ADMIN))
        | Q(network_id__in=training_networks(user, "school"), audience__in=("school", "both"))
        | Q(network_id__in=training_networks(user, "partner"), audience__in=("partner", "both"))
        | Q(trainer_id=user.pk)
    )


def can_use_training(user: Any) -> bool:
    """Whether the training pages open at all (the user is an admin, an audience or a trainer)."""
    g = grants(user)
    return bool(
        g.networks_with(Role.NETWORK_ADMIN)
        or g.schools_with(*SCHOOL_ROLES)
        or g.organizations_with(*PARTNER_ROLES)
    )


def can_manage_training(user: Any, network_id: int) -> bool:
    """The catalogue, the schedule, every record and the compliance view: network admins."""
    return is_network_admin(user, network_id)


def can_take_attendance(user: Any, training: Any) -> bool:
    return can_manage_training(user, training.network_id) or (
        training.trainer_id is not None and training.trainer_id == getattr(user, "pk", None)
    )


def can_cancel_training(user: Any, training: Any) -> bool:
    """The network admin, or the trainer of their own training."""
    return can_take_attendance(user, training)


def can_register_self(user: Any, training: Any) -> bool:
    """Users in the training's audience register themselves."""
    if training.audience in ("school", "both") and training.network_id in training_networks(
        user, "school"
    ):
        return True
    return training.audience in ("partner", "both") and training.network_id in training_networks(
        user, "partner"
    )


def training_staff_organizations(user: Any) -> frozenset[int]:
    """Organizations whose campus staff the user registers and whose records they read (as a
    partner admin)."""
    return grants(user).organizations_with(Role.PARTNER_ADMIN)


def can_manage_staff_training(user: Any, organization: Organization) -> bool:
    """Register an organization's campus staff, read their training records and certificates,
    see its compliance: its partner admins, or a network admin."""
    return can_act_for_organization(user, organization)


# --- initiatives (issue 8) ------------------------------------------------------------------------

# A network's initiatives are read by its network-wide roles (admins, evaluators, network
# supervisors) and by the school roles of its schools, who see their own schools' plans and the
# feeder patterns their schools are in. Only network admins define initiatives and their goals;
# a school's plan is written by its coordinators and principal, the plan's owner and network
# admins. Partners and coalition members are not given initiatives.


def initiative_filter(user: Any) -> Q:
    """Initiatives the user may open (a Q on `initiatives.Initiative`)."""
    g = grants(user)
    school_networks = School.objects.filter(id__in=g.schools_with(*SCHOOL_ROLES)).values(
        "network_id"
    )
    return Q(network_id__in=g.network_wide) | Q(network_id__in=school_networks)


def sees_all_initiative_schools(user: Any, network_id: int) -> bool:
    """Every school's plan and every feeder pattern of the network (else: the user's schools)."""
    return network_id in grants(user).network_wide


def initiative_plan_schools(user: Any) -> frozenset[int]:
    """The schools whose plans a user without a network-wide role may read."""
    return grants(user).schools_with(*SCHOOL_ROLES)


def can_view_school_plans(user: Any, school: School) -> bool:
    g = grants(user)
    return school.pk in g.schools_with(*SCHOOL_ROLES) or school.network_id in g.network_wide


def can_manage_initiatives(user: Any, network_id: int) -> bool:
    return is_network_admin(user, network_id)


def can_edit_school_plan(user: Any, school: School, owner_id: int | None = None) -> bool:
    """Start or change a school's plan: the school's coordinators and principal, the plan's
    owner while they still hold a role at the school, and network admins."""
    g = grants(user)
    if school.pk in g.schools_with(Role.SCHOOL_COORDINATOR, Role.PRINCIPAL):
        return True
    if owner_id is not None and owner_id == user.pk and school.pk in g.schools_with(*SCHOOL_ROLES):
        return True
    return is_network_admin(user, school.network_id)


# --- family team conferences (issue 8) -----------------------------------------------------------
#
# A family team conference is read like a clinical note: its facilitator, the users recorded as
# participants who were present, and the clinical supervisors of its school (or of its network).
# Not network admins, not absent invitees, never evaluators, never exports. Partner users among
# them read it on the family's consent (each read is logged as a Disclosure by the selectors).


def conference_filter(user: Any) -> Q:
    from wraparound.conferences.models import ConferenceParticipant

    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    g = grants(user)
    present = ConferenceParticipant.objects.filter(user_id=user.pk, present=True).values(
        "conference_id"
    )
    # Those present keep the record while they still work in the network, not after they leave.
    return (
        Q(facilitator_id=user.pk, network_id__in=g.networks)
        | Q(pk__in=present, network_id__in=g.networks)
        | Q(school_id__in=g.schools_with(Role.CLINICAL_SUPERVISOR))
        | Q(network_id__in=g.networks_with(Role.CLINICAL_SUPERVISOR))
    )


def serving_organizations(
    user: Any, *, student_id: int | None, guardian_id: int | None
) -> set[int]:
    """The user's partner organizations (staff role) that currently serve the student or family:
    a referral of them to the organization that is sent, accepted, waitlisted or in service."""
    from wraparound.referrals.models import Referral, ReferralStatus

    orgs = grants(user).organizations_with(Role.PARTNER_STAFF)
    if not orgs or (student_id is None and guardian_id is None):
        return set()
    subject = Q(student_id=student_id) if student_id is not None else Q(guardian_id=guardian_id)
    if guardian_id is not None:
        subject |= Q(student__guardian_links__guardian_id=guardian_id)
    if student_id is not None:
        subject |= Q(guardian__student_links__student_id=student_id)
    serving = (
        ReferralStatus.SENT,
        ReferralStatus.ACCEPTED,
        ReferralStatus.WAITLISTED,
        ReferralStatus.IN_SERVICE,
    )
    return set(
        Referral.objects.filter(subject, organization_id__in=orgs, status__in=serving)
        .values_list("organization_id", flat=True)
        .distinct()
    )


def can_facilitate_conference(
    user: Any, school: School, *, student_id: int | None = None, guardian_id: int | None = None
) -> bool:
    """The school's student-support team (coordinators, staff, clinical supervisors), and partner
    staff of an organization that serves the student or family. Network admins and principals
    do not hold family team conferences."""
    g = grants(user)
    if school.pk in g.schools_with(
        Role.SCHOOL_COORDINATOR, Role.SCHOOL_STAFF, Role.CLINICAL_SUPERVISOR
    ):
        return True
    return bool(serving_organizations(user, student_id=student_id, guardian_id=guardian_id))


def may_hold_conferences(user: Any) -> bool:
    """Whether "my conferences" and the new-conference form open at all (answered from grants)."""
    g = grants(user)
    return bool(
        g.schools_with(Role.SCHOOL_COORDINATOR, Role.SCHOOL_STAFF, Role.CLINICAL_SUPERVISOR)
        or g.networks_with(Role.CLINICAL_SUPERVISOR)
        or g.organizations_with(Role.PARTNER_STAFF)
    )


def can_edit_conference(user: Any, conference: Any) -> bool:
    """The facilitator and the users present (the team writes the record together)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if conference.facilitator_id == user.pk:
        return True
    return conference.participants.filter(user_id=user.pk, present=True).exists()


def can_refer_across_agencies(user: Any, organization_id: int) -> bool:
    """Partner staff refer the students and families their organization serves to another member
    agency of a coalition the organization belongs to (the coalition checks are the service's)."""
    return organization_id in grants(user).organizations_with(Role.PARTNER_STAFF)


def can_view_coalition_referrals(user: Any, coalition: Coalition) -> bool:
    """The coalition's cross-agency referral counts: its coalition members and network admins, and
    the partner users and school roles of its active member agencies and schools."""
    from wraparound.coalitions.models import CoalitionMember

    g = grants(user)
    if coalition.pk in g.coalitions_with(Role.COALITION_MEMBER) or is_network_admin(
        user, coalition.network_id
    ):
        return True
    members = CoalitionMember.objects.filter(coalition=coalition, is_active=True)
    return members.filter(
        Q(organization_id__in=g.organizations_with(*PARTNER_ROLES))
        | Q(school_id__in=g.schools_with(*SCHOOL_ROLES))
    ).exists()
