"""The demo's arts initiative (issue 8): on `small`, plans across the three feeder patterns with
a visible gap, activities with arts partners, goals, an owner from the demo logins; on a
city-shaped network, plans for a sample of schools; deterministic for a seed."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from faker import Faker

from wraparound.demo import generate as g
from wraparound.demo.initiatives import generate_initiatives, reset_initiatives
from wraparound.demo.profiles import CITY, SMALL, Profile
from wraparound.initiatives import selectors
from wraparound.initiatives.models import Activity, Initiative, SchoolPlan

pytestmark = pytest.mark.django_db


def base(profile: Profile, seed: int = 1) -> g.DemoData:
    """The steps of `seed_demo` an initiative needs: schools, organizations, the demo logins."""
    fake = Faker("en_US")
    g.reset_network(profile.network_slug)
    network = g.generate_network(profile, *g._streams(fake, seed, "network"))
    data = g.DemoData(profile=profile, seed=seed, network=network)
    g.generate_school_years(data)
    g.generate_communities(data, *g._streams(fake, seed, "communities"))
    g.generate_schools(data, *g._streams(fake, seed, "schools"))
    g.generate_organizations(data, *g._streams(fake, seed, "organizations"))
    g.generate_coalitions(data, *g._streams(fake, seed, "coalitions"))
    g.generate_people(data, make_password("x"))
    return data


def snapshot(network: Any) -> list[tuple[Any, ...]]:
    return list(
        SchoolPlan.objects.filter(initiative__network=network)
        .order_by("school__code")
        .values_list("school__code", "status", "grades", "owner__username")
    )


def test_small_arts_initiative_has_a_visible_gap() -> None:
    data = base(SMALL)
    counts = generate_initiatives(data, random.Random("1:initiatives"))
    initiative = Initiative.objects.get(network=data.network)
    assert initiative.kind == "arts" and initiative.goals.count() == 3
    assert counts == {
        "initiatives": 1,
        "initiative plans": 11,
        "initiative activities": 22,
    }
    admin = next(m.user for m in data.memberships if m.role == "network_admin")
    patterns = selectors.feeder_pattern_coverage(admin, initiative)
    assert len(patterns) == 3
    assert sorted(p.percent or 0 for p in patterns)[-1] == 100
    breaks = [p.first_break.text for p in patterns if p.first_break]
    assert any("no plan" in text for text in breaks)
    assert any("plan paused" in text for g_ in patterns for text in [x.text for x in g_.gaps])
    assert any("not in the plan" in x.text for p in patterns for x in p.gaps)
    owned = SchoolPlan.objects.get(initiative=initiative, owner__isnull=False)
    assert owned.owner is not None
    assert owned.owner.username == "socialworker" and owned.owner_title == "Arts Lead"
    arts = {
        o.pk
        for o, f in zip(data.organizations, data.organization_focuses, strict=True)
        if f.short == "Arts"
    }
    partner_ids = set(
        Activity.partners.through.objects.filter(activity__plan__initiative=initiative).values_list(
            "organization_id", flat=True
        )
    )
    assert partner_ids and (not arts or partner_ids <= arts)
    # plans' partners are the activities' partners
    assert all(p.partners.exists() for p in initiative.plans.all())
    reset_initiatives(data.network.pk)
    assert not Initiative.objects.filter(network=data.network).exists()


def test_deterministic_for_a_seed() -> None:
    data = base(SMALL)
    generate_initiatives(data, random.Random("1:initiatives"))
    first = snapshot(data.network)
    data = base(SMALL)
    generate_initiatives(data, random.Random("1:initiatives"))
    assert snapshot(data.network) == first


def test_city_shaped_network_gets_a_sample_in_bulk(django_assert_max_num_queries: Any) -> None:
    profile = dataclasses.replace(
        CITY, community_codes=CITY.community_codes[:5], schools=60, organizations=50
    )
    data = base(profile)
    with django_assert_max_num_queries(12):
        counts = generate_initiatives(data, random.Random("1:initiatives"))
    assert counts["initiative plans"] == 12
    assert counts["initiative activities"] == 12
