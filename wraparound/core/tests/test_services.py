import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.core import access, services
from wraparound.core.models import AuditEvent, Membership
from wraparound.core.roles import Role

from .factories import UserFactory


def test_network_admin_grants_a_role_and_it_is_audited(t1):
    admin, newcomer = t1.users["network_admin"], UserFactory()
    m = services.membership_grant(
        actor=admin, user=newcomer, role=Role.PRINCIPAL, network=t1.network, school=t1.schools[2]
    )
    assert access.get_school_for_user(newcomer, t1.schools[2].pk) == t1.schools[2]
    event = AuditEvent.objects.get(action="membership.grant")
    assert event.actor == admin and event.network == t1.network and event.target == m


@pytest.mark.parametrize(
    "persona", ["coordinator", "principal", "partner_admin", "evaluator", "outsider"]
)
def test_only_network_admins_grant_roles(t1, persona):
    with pytest.raises(PermissionDenied):
        services.membership_grant(
            actor=t1.users[persona],
            user=UserFactory(),
            role=Role.SCHOOL_STAFF,
            network=t1.network,
            school=t1.schools[0],
        )
    assert not AuditEvent.objects.filter(action="membership.grant").exists()


def test_admin_of_another_network_cannot_grant_here(t1, t2):
    with pytest.raises(PermissionDenied):
        services.membership_grant(
            actor=t2.users["network_admin"],
            user=UserFactory(),
            role=Role.NETWORK_ADMIN,
            network=t1.network,
        )


def test_grant_with_wrong_scope_is_refused_and_writes_nothing(t1):
    before = Membership.objects.count()
    with pytest.raises(ValidationError):
        services.membership_grant(
            actor=t1.users["network_admin"],
            user=UserFactory(),
            role=Role.PARTNER_STAFF,
            network=t1.network,
            school=t1.schools[0],
        )
    assert Membership.objects.count() == before


def test_revoke_keeps_the_last_network_admin(t1):
    admin = t1.users["network_admin"]
    with pytest.raises(ValidationError, match="at least one network admin"):
        services.membership_revoke(actor=admin, membership=admin.memberships.get())
    principal = t1.users["principal"]
    services.membership_revoke(actor=admin, membership=principal.memberships.get())
    assert access.visible_schools(principal).count() == 0
