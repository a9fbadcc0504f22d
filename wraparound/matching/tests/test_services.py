"""Running, editing, accepting and discarding a network allocation — network admins only;
accepted assignments become proposed partnerships and nothing else."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.agreements.models import Partnership, PartnershipSource, PartnershipStatus
from wraparound.assessments.tests.factories import PartnershipFactory
from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS
from wraparound.matching.models import AllocationItem, RunStatus, Strategy
from wraparound.matching.services import (
    allocation_item_update,
    allocation_run_accept,
    allocation_run_create,
    allocation_run_discard,
)

pytestmark = pytest.mark.usefixtures("city")


@pytest.fixture
def admin(city):
    return city["t"].users["network_admin"]


@pytest.fixture
def run(city, admin):
    return allocation_run_create(actor=admin, network=city["t"].network, school_year=city["year"])


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "network_admin"])
def test_only_the_network_admin_runs_the_allocation(city, persona):
    with pytest.raises(PermissionDenied):
        allocation_run_create(
            actor=city["t"].users[persona], network=city["t"].network, school_year=city["year"]
        )


def test_another_networks_admin_may_not_run_it(city, t2):
    with pytest.raises(PermissionDenied):
        allocation_run_create(
            actor=t2.users["network_admin"], network=city["t"].network, school_year=city["year"]
        )


def test_a_run_keeps_both_plans_and_commits_nothing(city, run):
    assert run.status == RunStatus.DRAFT
    assert run.objective >= run.greedy_objective
    optimal = run.items.filter(strategy=Strategy.OPTIMAL)
    assert sum(optimal.values_list("units", flat=True)) == 10
    assert run.items.filter(strategy=Strategy.GREEDY).exists()
    assert run.unmet.filter(strategy=Strategy.OPTIMAL, need=city["mentoring"]).get().reason == (
        "no_eligible_service"
    )
    assert run.stats["optimal"]["units_served"] == 10
    assert not Partnership.objects.exists()
    assert AuditEvent.objects.filter(action="allocation.run").count() == 1


def test_editing_keeps_within_the_gap_and_the_capacity(city, run, admin):
    item = run.items.get(strategy=Strategy.OPTIMAL, need=city["low"])
    with pytest.raises(ValidationError, match="At most 2"):
        allocation_item_update(actor=admin, item=item, units=5)
    with pytest.raises(ValidationError, match="at least 1"):
        allocation_item_update(actor=admin, item=item, units=0)
    high = run.items.get(strategy=Strategy.OPTIMAL, need=city["high"])
    allocation_item_update(actor=admin, item=high, units=6)
    item = allocation_item_update(actor=admin, item=item, units=4)  # the 2 places freed
    assert item.units == 4 and item.proposed_units == 2
    allocation_item_update(actor=admin, item=item, units=0, kept=False)
    item.refresh_from_db()
    assert not item.kept
    greedy = run.items.filter(strategy=Strategy.GREEDY).first()
    assert greedy is not None
    with pytest.raises(ValidationError, match="greedy plan"):
        allocation_item_update(actor=admin, item=greedy, units=1)
    with pytest.raises(PermissionDenied):
        allocation_item_update(actor=city["t"].users["coordinator"], item=high, units=1)


def test_accepting_proposes_partnerships_for_the_kept_assignments(city, run, admin):
    low = run.items.get(strategy=Strategy.OPTIMAL, need=city["low"])
    allocation_item_update(actor=admin, item=low, units=0, kept=False)
    created = allocation_run_accept(actor=admin, run=run)
    assert [(p.school_id, p.units, p.status, p.source) for p in created] == [
        (
            city["high"].assessment.school_id,
            8,
            PartnershipStatus.PROPOSED,
            PartnershipSource.ALLOCATION,
        )
    ]
    run.refresh_from_db()
    assert run.status == RunStatus.ACCEPTED and run.decided_by == admin
    assert AllocationItem.objects.get(pk=run.items.get(need=city["high"], strategy="optimal").pk)
    with pytest.raises(ValidationError, match="already"):
        allocation_run_accept(actor=admin, run=run)


def test_accepting_is_refused_when_the_capacity_went_elsewhere_meanwhile(
    city,
    run,
    admin,
):
    PartnershipFactory.create(
        school=city["t"].schools[2],
        school_year=city["year"],
        service=city["tutor"],
        units=5,
        status=PartnershipStatus.ACTIVE,
    )
    with pytest.raises(ValidationError, match="places left"):
        allocation_run_accept(actor=admin, run=run)
    assert Partnership.objects.count() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT


def test_discarding_closes_the_run(city, run, admin):
    with pytest.raises(PermissionDenied):
        allocation_run_discard(actor=city["t"].users["principal"], run=run)
    allocation_run_discard(actor=admin, run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.DISCARDED
    with pytest.raises(ValidationError):
        allocation_run_accept(actor=admin, run=run)


def test_two_needs_served_by_one_service_become_one_partnership(city, admin):
    from wraparound.assessments.tests.factories import NeedFactory

    high = city["high"]
    second = NeedFactory.create(
        assessment=high.assessment, category=high.category, severity=5, students=1
    )
    run = allocation_run_create(actor=admin, network=city["t"].network, school_year=city["year"])
    kept = run.items.filter(strategy=Strategy.OPTIMAL, need__in=[high, second])
    assert kept.count() == 2
    low = run.items.get(strategy=Strategy.OPTIMAL, need=city["low"])
    allocation_item_update(actor=admin, item=low, units=0, kept=False)
    created = allocation_run_accept(actor=admin, run=run)
    assert len(created) == 1
    partnership = Partnership.objects.get()
    assert partnership.units == sum(kept.values_list("units", flat=True))
    assert set(kept.values_list("partnership", flat=True)) == {partnership.pk}
