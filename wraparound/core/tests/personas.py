"""Personas per tenant (DESIGN.md §4): two networks, each with every role of DESIGN.md §1."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from wraparound.core.roles import Role
from wraparound.core.tests.factories import (
    CoalitionFactory,
    CommunityFactory,
    MembershipFactory,
    NetworkFactory,
    OrganizationFactory,
    SchoolFactory,
    UserFactory,
)


@dataclass
class Tenant:
    network: Any
    communities: list[Any]
    schools: list[Any]  # schools[0] is the personas' school; schools[1] the coordinator's second
    org_a: Any
    org_b: Any
    coalition: Any
    users: dict[str, Any]  # persona name → user


PERSONAS = [
    "network_admin",
    "evaluator",
    "coordinator",
    "staff",
    "supervisor",
    "network_supervisor",
    "principal",
    "partner_admin",
    "partner_staff_a",
    "partner_staff_b",
    "coalition_member",
    "outsider",
]


def make_tenant(prefix: str) -> Tenant:
    network = NetworkFactory(name=f"{prefix} Network", slug=prefix.lower())
    communities = [
        CommunityFactory(network=network, code=f"{c}01", name=f"{prefix} CD {c}") for c in (1, 2)
    ]
    schools = [
        SchoolFactory(
            community=communities[0], code=f"01M{10 + i:03d}", name=f"{prefix} School {i}"
        )
        for i in range(3)
    ] + [
        SchoolFactory(
            community=communities[1], code=f"02M{20 + i:03d}", name=f"{prefix} School {3 + i}"
        )
        for i in range(2)
    ]
    org_a = OrganizationFactory(network=network, name=f"{prefix} Tutoring A")
    org_b = OrganizationFactory(network=network, name=f"{prefix} Mentoring B")
    coalition = CoalitionFactory(
        network=network, community=communities[0], name=f"{prefix} Coalition"
    )
    users = {name: UserFactory(username=f"{prefix.lower()}_{name}") for name in PERSONAS}

    def grant(user: Any, role: str, **scope: Any) -> None:
        m = MembershipFactory.build(user=user, role=role, network=network, **scope)
        m.full_clean()
        m.save()

    grant(users["network_admin"], Role.NETWORK_ADMIN)
    grant(users["evaluator"], Role.NETWORK_EVALUATOR)
    grant(users["coordinator"], Role.SCHOOL_COORDINATOR, school=schools[0])
    grant(users["coordinator"], Role.SCHOOL_COORDINATOR, school=schools[1])
    grant(users["staff"], Role.SCHOOL_STAFF, school=schools[0], title="Social worker")
    grant(users["supervisor"], Role.CLINICAL_SUPERVISOR, school=schools[0])
    grant(users["network_supervisor"], Role.CLINICAL_SUPERVISOR)
    grant(users["principal"], Role.PRINCIPAL, school=schools[0])
    grant(users["partner_admin"], Role.PARTNER_ADMIN, organization=org_a)
    grant(users["partner_staff_a"], Role.PARTNER_STAFF, organization=org_a)
    grant(users["partner_staff_b"], Role.PARTNER_STAFF, organization=org_b)
    grant(users["coalition_member"], Role.COALITION_MEMBER, coalition=coalition)
    return Tenant(network, communities, schools, org_a, org_b, coalition, users)


@pytest.fixture
def t1(db: None) -> Tenant:
    return make_tenant("North")


@pytest.fixture
def t2(db: None) -> Tenant:
    return make_tenant("South")


@pytest.fixture
def as_user(client: Client) -> Any:
    """Log a user in on the test client (no password round trip) and return the client."""

    def login(user: Any) -> Client:
        client.force_login(user)
        return client

    return login
