"""The demo directory: counts, every category and community, realism, vetting, determinism."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db.models import Count
from django.utils import timezone

from wraparound.core.models import Membership, Organization, VettingStatus
from wraparound.demo.generate import seed_demo
from wraparound.demo.profiles import SMALL
from wraparound.directory import models as m
from wraparound.directory.search import ServiceQuery, search_services
from wraparound.directory.taxonomy import DEFAULT_TERMS

pytestmark = pytest.mark.django_db


def directory_snapshot(slug: str) -> list[tuple[object, ...]]:
    return list(
        m.Service.objects.filter(network__slug=slug)
        .order_by("hsds_id")
        .values_list("hsds_id", "name", "organization__name", "grade_low", "cost_to_families")
    )


def test_small_directory() -> None:
    data = seed_demo(SMALL, seed=1)
    network = data.network
    services = m.Service.objects.filter(network=network)
    assert services.count() == 150
    assert data.counts()["services"] == 150
    # every organization runs at least one service; the demo partners' organization several
    per_org = dict(
        Organization.objects.filter(network=network)
        .annotate(n=Count("services"))
        .values_list("pk", "n")
    )
    assert min(per_org.values()) >= 1
    partner = Membership.objects.get(user__username="partneradmin").organization
    assert partner is not None and per_org[partner.pk] >= 3
    assert partner.vetting_status == VettingStatus.VETTED
    assert partner.confirmed_at is not None
    assert partner.confirmed_at > timezone.now() - dt.timedelta(days=60)

    # every category of the taxonomy and every community has services
    used = set(
        m.Attribute.objects.filter(network=network).values_list("taxonomy_term__code", flat=True)
    )
    assert {t.code for t in DEFAULT_TERMS if t.parent and t.code != "health"} <= used
    served = set(
        m.ServiceArea.objects.filter(network=network).values_list("community_id", flat=True)
    )
    assert served == {c.pk for c in data.communities}

    # HSDS fields filled
    for service in services.prefetch_related("at_locations__location__addresses", "phones"):
        assert service.description and service.email and service.url, service.name
        assert service.eligibility_description and service.application_process
        assert service.phones.all() and service.at_locations.all()
        location = service.at_locations.all()[0].location
        assert location.latitude is not None and location.addresses.all()
        assert service.search_text.startswith(" ") and service.search_text.endswith(" ")
    assert m.Schedule.objects.filter(network=network, opens_at=dt.time(15), closes_at=dt.time(18),
                                     byday="MO,TU,WE,TH,FR").exists()  # fmt: skip

    # mostly free for families, capacity for most, English always and Spanish common
    free = services.filter(cost_to_families=0).count()
    assert 0.7 <= free / 150 <= 0.95
    with_capacity = services.filter(capacities__isnull=False).distinct().count()
    assert 0.6 <= with_capacity / 150 <= 0.95
    languages = Counter(m.Language.objects.filter(network=network).values_list("code", flat=True))
    assert languages["en"] == 150
    assert languages["es"] >= 40
    assert len(languages) >= 4

    # most organizations vetted, a few not; freshness spread so that some are stale
    statuses = Counter(
        Organization.objects.filter(network=network).values_list("vetting_status", flat=True)
    )
    assert statuses[VettingStatus.VETTED] >= 45 and statuses[VettingStatus.UNVETTED] >= 1
    cutoff = timezone.now() - dt.timedelta(days=183)
    stale = services.filter(confirmed_at__lt=cutoff).count()
    assert 10 <= stale <= 100
    oldest = services.order_by("confirmed_at").first()
    assert oldest is not None and oldest.confirmed_at is not None
    assert oldest.confirmed_at > timezone.now() - dt.timedelta(days=18 * 31 + 21)

    # search works as soon as the seed has run
    result = search_services(network, ServiceQuery(words="tutoring"))
    assert result.total >= 1
    assert any("Tutoring" in r for r in result.matches[0].reasons)


def test_directory_is_deterministic_for_a_seed() -> None:
    seed_demo(SMALL, seed=5)
    first = directory_snapshot("demo")
    seed_demo(SMALL, seed=5)
    assert directory_snapshot("demo") == first
    seed_demo(SMALL, seed=6)
    assert directory_snapshot("demo") != first
    # re-seeding replaced the directory, nothing piled up
    assert m.Service.objects.count() == 150
    assert m.TaxonomyTerm.objects.count() == len(DEFAULT_TERMS)
