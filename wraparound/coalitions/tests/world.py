"""A coalition with member agencies and contacts on top of the personas' tenant: org A (whose
contact is the `coalition_member` persona), org B (whose contact is a second coalition member),
the personas' school, and a named city agency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from wraparound.coalitions.models import CoalitionMember, MemberContact, MemberKind
from wraparound.core.roles import Role
from wraparound.core.tests.factories import MembershipFactory, UserFactory
from wraparound.core.tests.personas import Tenant


@dataclass
class World:
    t: Tenant
    member_a: CoalitionMember
    member_b: CoalitionMember
    member_school: CoalitionMember
    member_agency: CoalitionMember
    poster: Any  # the coalition_member persona, contact of org A
    other: Any  # a second coalition member, contact of org B


def make_world(t: Tenant) -> World:
    c = t.coalition
    member_a = CoalitionMember.objects.create(
        coalition=c, kind=MemberKind.COMMUNITY_ORGANIZATION, organization=t.org_a
    )
    member_b = CoalitionMember.objects.create(
        coalition=c, kind=MemberKind.COMMUNITY_ORGANIZATION, organization=t.org_b
    )
    member_school = CoalitionMember.objects.create(
        coalition=c, kind=MemberKind.SCHOOL, school=t.schools[0]
    )
    member_agency = CoalitionMember.objects.create(
        coalition=c, kind=MemberKind.GOVERNMENT_AGENCY, name=f"{t.network.name} ACS office"
    )
    poster = t.users["coalition_member"]
    MemberContact.objects.create(member=member_a, name="Pat Poster", user=poster, is_primary=True)
    other = cast(Any, UserFactory(username=f"{t.network.slug}_coalition_other"))
    m = MembershipFactory.build(
        user=other, role=Role.COALITION_MEMBER, network=t.network, coalition=c
    )
    m.full_clean()
    m.save()
    MemberContact.objects.create(member=member_b, name="Oli Other", user=other)
    return World(t, member_a, member_b, member_school, member_agency, poster, other)
