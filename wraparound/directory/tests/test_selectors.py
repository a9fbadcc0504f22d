"""Reads: freshness, choices for the forms, the review queue's scope, snapshots."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from wraparound.core import access
from wraparound.core.models import VettingStatus
from wraparound.directory import selectors, services
from wraparound.directory.models import Service, ServiceStatus
from wraparound.directory.tests.factories import (
    AddressFactory,
    LocationFactory,
    ServiceFactory,
    TaxonomyFactory,
    TaxonomyTermFactory,
)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (dt.datetime(2026, 8, 31, 12), 6, dt.datetime(2026, 2, 28, 12)),
        (dt.datetime(2026, 3, 15), 6, dt.datetime(2025, 9, 15)),
        (dt.datetime(2024, 12, 31), 10, dt.datetime(2024, 2, 29)),
        (dt.datetime(2026, 1, 1), 24, dt.datetime(2024, 1, 1)),
    ],
)
def test_months_before(moment: dt.datetime, months: int, expected: dt.datetime) -> None:
    assert selectors.months_before(moment, months) == expected


@pytest.mark.django_db
def test_staleness_follows_the_networks_months(t1: Any) -> None:
    now = timezone.now()
    cutoff = selectors.stale_cutoff(t1.network, now)
    assert selectors.is_stale(None, cutoff)
    assert selectors.is_stale(now - dt.timedelta(days=190), cutoff)
    assert not selectors.is_stale(now - dt.timedelta(days=170), cutoff)

    t1.org_a.confirmed_at = now
    t1.org_a.save()
    assert not selectors.organization_has_stale_records(t1.org_a, cutoff)
    old = ServiceFactory.create(organization=t1.org_a, confirmed_at=now - dt.timedelta(days=200))
    assert selectors.organization_has_stale_records(t1.org_a, cutoff)
    Service.objects.filter(pk=old.pk).update(status=ServiceStatus.DEFUNCT)
    assert not selectors.organization_has_stale_records(t1.org_a, cutoff)


@pytest.mark.django_db
def test_category_groups_are_pillars_with_their_terms(t1: Any, t2: Any) -> None:
    taxonomy = TaxonomyFactory(network=t1.network)
    pillar = TaxonomyTermFactory(taxonomy_ref=taxonomy, name="Expanded learning")
    tutoring = TaxonomyTermFactory(taxonomy_ref=taxonomy, parent=pillar, name="Tutoring")
    arts = TaxonomyTermFactory(taxonomy_ref=taxonomy, parent=pillar, name="Arts")
    deep = TaxonomyTermFactory(taxonomy_ref=taxonomy, parent=tutoring, name="Math tutoring")
    lone = TaxonomyTermFactory(taxonomy_ref=taxonomy, name="Adult education")
    TaxonomyTermFactory(taxonomy_ref=TaxonomyFactory(network=t2.network), name="Elsewhere")

    groups = selectors.category_groups(t1.network)

    assert groups == [
        ("Adult education", [(lone.pk, "Adult education")]),
        (
            "Expanded learning",
            [(arts.pk, "Arts"), (deep.pk, "Math tutoring"), (tutoring.pk, "Tutoring")],
        ),
    ]


@pytest.mark.django_db
def test_location_choices_are_the_organizations_own(t1: Any) -> None:
    mine = AddressFactory(location=LocationFactory(organization=t1.org_a, name="Main")).location
    LocationFactory(organization=t1.org_b, name="Theirs")
    choices = selectors.location_choices(t1.org_a)
    assert [pk for pk, _label in choices] == [mine.pk]
    assert "Main — " in choices[0][1]


@pytest.mark.django_db
def test_review_queue_is_scoped_to_the_admins_networks(t1: Any, t2: Any) -> None:
    for tenant in (t1, t2):
        tenant.org_a.vetting_status = VettingStatus.VETTED
        tenant.org_a.save()
        s = ServiceFactory.create(organization=tenant.org_a)
        services.service_update(
            actor=tenant.users["partner_admin"],
            service=s,
            data={**selectors.service_snapshot(s), "name": "Changed"},
        )

    mine = list(selectors.review_queue(t1.users["network_admin"]))

    assert [c.network_id for c in mine] == [t1.network.pk]
    assert list(selectors.review_queue(t1.users["partner_admin"])) == []
    assert not access.is_directory_reviewer(t1.users["partner_admin"])
    assert access.is_directory_reviewer(t1.users["network_admin"])


@pytest.mark.django_db
def test_who_edits_and_whose_edits_wait(t1: Any) -> None:
    org = t1.org_a
    assert access.can_edit_organization(t1.users["partner_admin"], org)
    assert access.can_edit_organization(t1.users["network_admin"], org)
    assert not access.can_edit_organization(t1.users["partner_staff_a"], org)
    assert not access.can_edit_organization(t1.users["coordinator"], org)
    assert not selectors.edits_need_review(t1.users["partner_admin"], org)
    org.vetting_status = VettingStatus.VETTED
    assert selectors.edits_need_review(t1.users["partner_admin"], org)
    assert not selectors.edits_need_review(t1.users["network_admin"], org)


@pytest.mark.django_db
def test_snapshot_of_a_bare_service(t1: Any) -> None:
    service = ServiceFactory.create(organization=t1.org_a, cost_to_families=None)
    snap = selectors.service_snapshot(service)
    assert snap["cost_to_school"] == "0.00" and snap["cost_to_families"] is None
    assert snap["capacity_available"] is None and snap["capacity_unit"] == ""
    assert snap["languages"] == snap["locations"] == snap["contacts"] == []
