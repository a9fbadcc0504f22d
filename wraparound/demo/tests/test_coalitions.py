"""The demo's coalition details (issue 8), on the personas' tenant dressed as a demo network
(cheaper than a whole `small` seed): six to ten member agencies of the right kinds per coalition,
contacts (the demo coalition login among the first coalition's), commitments, entered measures
and a board with offers, requests, fulfilled posts and responses; the same seed gives the same
data."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, cast

from faker import Faker

from wraparound.coalitions import measures
from wraparound.coalitions.models import (
    CoalitionMember,
    Commitment,
    MeasureEntry,
    MemberContact,
    MemberKind,
    ResourcePost,
    ResourceResponse,
)
from wraparound.core.models import Membership, SchoolYear
from wraparound.core.roles import Role
from wraparound.core.tests.factories import CoalitionFactory, OrganizationFactory, UserFactory
from wraparound.core.tests.personas import Tenant
from wraparound.demo.coalitions import generate_coalition_details
from wraparound.demo.generate import DemoData
from wraparound.demo.profiles import SMALL


def _data(t1: Tenant) -> DemoData:
    network = t1.network
    today = network.today()
    end = today.year + 1 if today.month >= 7 else today.year
    year = SchoolYear.objects.create(
        network=network,
        end_year=end,
        start_date=dt.date(end - 1, 9, 1),
        end_date=dt.date(end, 6, 30),
        is_current=True,
    )
    login = cast(Any, UserFactory(username="coalition", first_name="Cora", last_name="Bell"))
    Membership.objects.create(
        user=login, role=Role.COALITION_MEMBER, network=network, coalition=t1.coalition
    )
    second = cast(Any, CoalitionFactory(network=network, community=t1.communities[1], name="CD 2"))
    extra = [OrganizationFactory(network=network, name=f"Org {i}") for i in range(4)]
    organizations = [t1.org_a, t1.org_b, *extra]
    return DemoData(
        profile=SMALL,
        seed=1,
        network=network,
        school_years=[year],
        communities=t1.communities,
        schools=t1.schools,
        organizations=organizations,
        organization_communities=[t1.communities[0]] * 4 + [t1.communities[1]] * 2,
        coalitions=[t1.coalition, second],
        users=[login, *t1.users.values()],
    )


def _fake(seed: int) -> Faker:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake


def _snapshot(data: DemoData) -> list[Any]:
    return [
        sorted(
            CoalitionMember.objects.filter(coalition__network=data.network).values_list(
                "kind", "organization__name", "school__name", "name"
            ),
            key=str,
        ),
        sorted(
            ResourcePost.objects.filter(coalition__network=data.network).values_list(
                "title", "status", "kind"
            )
        ),
    ]


def test_demo_coalition_details(t1: Tenant) -> None:
    data = _data(t1)
    counts = generate_coalition_details(data, random.Random(1), _fake(1))
    assert counts["coalition members"] >= 12
    for coalition in data.coalitions:
        members = list(CoalitionMember.objects.filter(coalition=coalition))
        assert 6 <= len(members) <= 10
        kinds = {m.kind for m in members}
        assert {MemberKind.SCHOOL, MemberKind.GOVERNMENT_AGENCY, MemberKind.HEAD_START} <= kinds
        schools = [m.school for m in members if m.school]
        assert 1 <= len(schools) <= 2
        assert all(s.community_id == coalition.community_id for s in schools)
        orgs = [m.organization_id for m in members if m.organization_id]
        based = {
            o.pk
            for o, c in zip(data.organizations, data.organization_communities, strict=True)
            if c.pk == coalition.community_id
        }
        assert orgs and set(orgs) <= based
        assert all(m.contacts.exists() for m in members)
        assert Commitment.objects.filter(coalition=coalition).count() >= len(members)
        assert 2 <= MeasureEntry.objects.filter(coalition=coalition).count() <= 3
        posts = ResourcePost.objects.filter(coalition=coalition)
        assert 5 <= posts.count() <= 8
        assert {p.kind for p in posts} == {"offer", "request"} or posts.count() >= 5
        assert ResourceResponse.objects.filter(post__coalition=coalition).exists()
    first = data.coalitions[0]
    login = data.users[0]
    contact = MemberContact.objects.get(user=login)
    assert contact.member.coalition == first and contact.is_primary
    assert ResourcePost.objects.filter(coalition=first, posted_by=login).count() == 2
    assert ResourcePost.objects.filter(coalition=first, posted_by=login, status="open").exists()
    # The measures page works on it.
    start, end = measures.default_period(first)
    assert measures.compute(first, start, end).rows


def test_demo_coalition_details_are_deterministic(t1: Tenant) -> None:
    data = _data(t1)
    now = data.network.today()
    stamp = dt.datetime.combine(now, dt.time(12), tzinfo=data.network.tzinfo)
    generate_coalition_details(data, random.Random(7), _fake(7), now=stamp)
    first = _snapshot(data)
    for model in (ResourcePost, Commitment, MeasureEntry, CoalitionMember):
        model.objects.filter(coalition__network=data.network).delete()
    generate_coalition_details(data, random.Random(7), _fake(7), now=stamp)
    assert _snapshot(data) == first
