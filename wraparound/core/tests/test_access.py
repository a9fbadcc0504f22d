import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from wraparound.core import access

from .factories import UserFactory
from .personas import PERSONAS


def school_ids(user):
    return set(access.visible_schools(user).values_list("id", flat=True))


@pytest.mark.parametrize("persona", ["network_admin", "evaluator", "network_supervisor"])
def test_network_wide_roles_see_every_school_of_their_network_only(t1, t2, persona):
    assert school_ids(t1.users[persona]) == {s.id for s in t1.schools}


def test_coordinator_sees_only_their_schools(t1, t2):
    assert school_ids(t1.users["coordinator"]) == {t1.schools[0].id, t1.schools[1].id}


@pytest.mark.parametrize("persona", ["staff", "supervisor", "principal"])
def test_school_roles_see_their_school(t1, persona):
    assert school_ids(t1.users[persona]) == {t1.schools[0].id}


@pytest.mark.parametrize(
    "persona",
    ["partner_admin", "partner_staff_a", "partner_staff_b", "coalition_member", "outsider"],
)
def test_other_roles_see_no_school(t1, persona):
    assert school_ids(t1.users[persona]) == set()
    assert not access.can_list_schools(t1.users[persona])


def test_superuser_is_not_given_tenant_data(t1):
    root = UserFactory(is_superuser=True, is_staff=True)
    assert school_ids(root) == set()
    assert list(access.visible_networks(root)) == []


def test_get_school_for_user_is_404_across_tenants(t1, t2):
    with pytest.raises(Http404):
        access.get_school_for_user(t1.users["network_admin"], t2.schools[0].pk)
    with pytest.raises(Http404):
        access.get_school_for_user(t1.users["coordinator"], t1.schools[2].pk)
    with pytest.raises(Http404):
        access.get_school_for_user(t1.users["network_admin"], "not-a-number")
    assert access.get_school_for_user(t1.users["coordinator"], t1.schools[1].pk) == t1.schools[1]


def test_network_view_is_404_outside_and_403_for_members_without_a_network_role(t1, t2):
    assert access.get_network_for_user(t1.users["evaluator"], t1.network.slug) == t1.network
    with pytest.raises(Http404):
        access.get_network_for_user(t1.users["network_admin"], t2.network.slug)
    with pytest.raises(PermissionDenied):
        access.get_network_for_user(t1.users["coordinator"], t1.network.slug)
    with pytest.raises(Http404):
        access.get_network_for_user(t1.users["outsider"], t1.network.slug)


def test_organizations_visible_to_network_admin_and_own_partner_users(t1, t2):
    def org_ids(user):
        return set(access.visible_organizations(user).values_list("id", flat=True))

    assert org_ids(t1.users["network_admin"]) == {t1.org_a.id, t1.org_b.id}
    assert org_ids(t1.users["partner_admin"]) == {t1.org_a.id}
    assert org_ids(t1.users["partner_staff_b"]) == {t1.org_b.id}
    assert org_ids(t1.users["coordinator"]) == set()
    with pytest.raises(Http404):
        access.get_organization_for_user(t1.users["partner_staff_a"], t1.org_b.pk)


def test_communities_follow_the_schools_a_user_sees(t1):
    coordinator = t1.users["coordinator"]
    assert set(access.visible_communities(coordinator)) == {t1.communities[0]}
    assert set(access.visible_communities(t1.users["network_admin"])) == set(t1.communities)
    assert set(access.visible_communities(t1.users["coalition_member"])) == {t1.communities[0]}


def test_grants_cost_one_query_and_are_cached_per_user_object(t1, django_assert_num_queries):
    user = t1.users["coordinator"]
    access.forget(user)
    with django_assert_num_queries(1):
        access.grants(user)
        access.grants(user)
        access.can_list_schools(user)


def test_two_factor_is_required_for_roles_that_see_student_data(t1):
    required = {name for name, u in t1.users.items() if access.requires_two_factor(u)}
    assert required == {
        "network_admin",
        "coordinator",
        "staff",
        "supervisor",
        "network_supervisor",
        "principal",
        "partner_staff_a",
        "partner_staff_b",
    }


def test_inactive_membership_grants_nothing(t1):
    m = t1.users["principal"].memberships.get()
    m.is_active = False
    m.save()
    access.forget(t1.users["principal"])
    assert school_ids(t1.users["principal"]) == set()


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_searches_the_directory_and_in_which_network(t1, t2, persona):
    user = t1.users[persona]
    networks = set(access.directory_networks(user))
    may = persona not in {
        "partner_admin",
        "partner_staff_a",
        "partner_staff_b",
        "coalition_member",
        "outsider",
    }
    assert networks == ({t1.network} if may else set())
    assert access.can_search_directory(user) is may


def test_only_partner_admins_of_the_organization_and_network_admins_edit_it(t1, t2):
    org = t1.org_a
    editors = {p for p, u in t1.users.items() if access.can_edit_organization(u, org)}
    assert editors == {"network_admin", "partner_admin"}
    assert not access.can_edit_organization(t2.users["network_admin"], org)
    assert access.is_directory_reviewer(t1.users["network_admin"])
    assert not access.is_directory_reviewer(t1.users["coordinator"])
