"""The allocation problem built from the database: needs from submitted gaps, eligibility, need
weights, diminishing returns, kept commitments; the contract's files; empty plans."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from wraparound.agreements.models import PartnershipStatus
from wraparound.assessments.models import AssessmentStatus
from wraparound.assessments.tests.factories import (
    AssetFactory,
    NeedFactory,
    PartnershipFactory,
    SchoolYearFactory,
)
from wraparound.core.models import School
from wraparound.core.tests.factories import SchoolFactory
from wraparound.directory.taxonomy import taxonomy_ensure_default
from wraparound.matching.allocation import CAPACITY_TAKEN, NO_ELIGIBLE_SERVICE, Model
from wraparound.matching.eligibility import Context, failures, load_services
from wraparound.matching.network import EMPTY_NO_NEEDS, EMPTY_NO_SERVICES, build_problem, solve
from wraparound.matching.tests.conftest import need_at, service_for, term
from wraparound.matching.tests.test_allocation import lp_optimum


def test_the_higher_need_school_is_served_first_and_unmet_needs_say_why(city):
    problem = build_problem(city["t"].network, city["year"])
    plan = solve(problem, "optimal")
    served = {x.need_id: x.units for x in plan.assignments}
    assert served[city["high"].pk] == 8
    assert served[city["low"].pk] == 2  # the 2 places left over
    reasons = {u.need_id: (u.units, u.reason) for u in plan.unmet}
    assert reasons[city["low"].pk] == (6, CAPACITY_TAKEN)
    assert reasons[city["mentoring"].pk] == (5, NO_ELIGIBLE_SERVICE)
    assert problem.weights[city["high"].pk] > problem.weights[city["low"].pk]


def test_every_arc_passes_every_hard_rule_and_ineligible_services_get_none(city):
    network = city["t"].network
    tutoring = term(network, "tutoring")
    far = city["t"].communities[1]
    closed = service_for(network, city["t"].communities[0], tutoring, status="inactive")
    elsewhere = service_for(network, far, tutoring)
    no_capacity = service_for(network, city["t"].communities[0], tutoring, capacity=None)
    spanish_only = need_at(
        SchoolFactory.create(community=city["t"].communities[0]),
        city["year"],
        tutoring,
        languages="zh",
    )
    problem = build_problem(network, city["year"])
    arc_services = {arc.service_id for arc in problem.model.arcs}
    assert city["tutor"].pk in arc_services
    assert not arc_services & {closed.pk, elsewhere.pk, no_capacity.pk}
    assert not [arc for arc in problem.model.arcs if arc.need_id == spanish_only.pk]
    ctx = Context(distance_km=float(network.match_distance_km), distances=None)
    facts = load_services(network, city["year"])
    for arc in problem.model.arcs:
        assert failures(problem.needs[arc.need_id], facts[arc.service_id], ctx) == []


def test_existing_commitments_are_kept_out_of_the_plan(city):
    network = city["t"].network
    high = city["high"]
    PartnershipFactory.create(
        school=high.assessment.school,
        school_year=city["year"],
        service=city["tutor"],
        need=high,
        units=3,
        status=PartnershipStatus.ACTIVE,
    )
    AssetFactory.create(assessment=high.assessment, category=high.category, students=2)
    problem = build_problem(network, city["year"])
    units = {n.id: n.units for n in problem.model.needs}
    assert units[high.pk] == 8 - 3 - 2
    assert {s.id: s.capacity for s in problem.model.services}[city["tutor"].pk] == 7
    # The school already has an open partnership with the service: no second one is planned.
    assert not [a for a in problem.model.arcs if a.need_id == high.pk]


def test_draft_assessments_are_not_allocated(city):
    city["low"].assessment.status = AssessmentStatus.DRAFT
    city["low"].assessment.save()
    problem = build_problem(city["t"].network, city["year"])
    assert city["low"].pk not in problem.needs


def test_groups_bring_diminishing_returns_and_the_lp_agrees(city):
    network = city["t"].network
    tutoring = term(network, "tutoring")
    more = NeedFactory.create(
        assessment=city["high"].assessment, category=tutoring, severity=2, students=20
    )
    service_for(network, city["t"].communities[0], tutoring, capacity=30)
    problem = build_problem(network, city["year"])
    group = next(g for g in problem.model.groups if more.pk in g.need_ids)
    assert set(group.need_ids) == {city["high"].pk, more.pk}
    assert sum(s.units for s in group.segments) == 28
    weights = [s.weight for s in group.segments]
    assert weights == sorted(weights, reverse=True) and weights[0] == 0 and weights[-1] < 0
    optimal, greedy = solve(problem, "optimal"), solve(problem, "greedy")
    again = Model.from_json(json.loads(json.dumps(problem.model.to_json())))
    assert optimal.objective == pytest.approx(lp_optimum(again), rel=1e-6)
    assert optimal.objective >= greedy.objective - 1e-9
    assert optimal.stats["equity_weighted_coverage"] > 0


def test_nothing_to_allocate_is_an_empty_plan_with_a_reason(t1):
    year = SchoolYearFactory.create(network=t1.network, end_year=2027)
    plan = solve(build_problem(t1.network, year), "optimal")
    assert (plan.objective, plan.assignments, plan.unmet) == (0.0, [], [])
    assert plan.stats["empty_reason"] == EMPTY_NO_NEEDS


def test_needs_without_any_service_are_an_empty_plan_saying_so(t1):
    taxonomy_ensure_default(network=t1.network)
    year = SchoolYearFactory.create(network=t1.network, end_year=2027)
    need = need_at(t1.schools[0], year, term(t1.network, "tutoring"))
    plan = solve(build_problem(t1.network, year), "greedy")
    assert plan.stats["empty_reason"] == EMPTY_NO_SERVICES
    assert [(u.need_id, u.reason) for u in plan.unmet] == [(need.pk, NO_ELIGIBLE_SERVICE)]


def test_the_allocate_command_writes_the_contracts_files(city, tmp_path):
    out, dump = tmp_path / "plan.json", tmp_path / "model.json"
    call_command(
        "allocate", network=city["t"].network.slug, year=2027, out=str(out), dump_model=str(dump)
    )
    plan = json.loads(out.read_text())
    assert set(plan) == {"objective", "assignments", "unmet", "stats"}
    assert set(plan["assignments"][0]) == {"need_id", "service_id", "units", "benefit"}
    assert set(plan["unmet"][0]) == {"need_id", "units", "reason"}
    model = json.loads(dump.read_text())
    assert set(model) == {"needs", "services", "arcs", "groups"}
    assert plan["objective"] == pytest.approx(lp_optimum(Model.from_json(model)), rel=1e-6)
    call_command(
        "allocate", network=city["t"].network.slug, year=2027, strategy="greedy", out=str(out)
    )
    greedy = json.loads(out.read_text())
    assert greedy["stats"]["strategy"] == "greedy"
    assert greedy["objective"] <= plan["objective"] + 1e-9


def test_the_allocate_command_refuses_unknown_networks_and_years(city, tmp_path):
    out = str(tmp_path / "plan.json")
    with pytest.raises(CommandError, match="No network"):
        call_command("allocate", network="nowhere", year=2027, out=out)
    with pytest.raises(CommandError, match="no school year ending in 1999"):
        call_command("allocate", network=city["t"].network.slug, year=1999, out=out)
    with pytest.raises(CommandError, match="Unknown strategy"):
        call_command(
            "allocate", network=city["t"].network.slug, year=2027, strategy="random", out=out
        )


def test_a_need_whose_eligible_services_are_all_full_says_capacity_taken(city):
    PartnershipFactory.create(
        school=city["t"].schools[2],
        school_year=city["year"],
        service=city["tutor"],
        units=10,
        status=PartnershipStatus.ACTIVE,
    )
    problem = build_problem(city["t"].network, city["year"])
    assert problem.empty_reason == EMPTY_NO_SERVICES
    reasons = {u.need_id: u.reason for u in solve(problem, "optimal").unmet}
    assert reasons[city["high"].pk] == CAPACITY_TAKEN
    assert reasons[city["low"].pk] == CAPACITY_TAKEN
    assert reasons[city["mentoring"].pk] == NO_ELIGIBLE_SERVICE


def test_services_near_a_school_reach_it_and_full_ones_say_capacity_taken(city):
    from wraparound.directory.tests.factories import (
        LocationFactory,
        ServiceAtLocationFactory,
        ServiceCapacityFactory,
        ServiceCategoryFactory,
        ServiceFactory,
    )

    network = city["t"].network
    school = city["mentoring"].assessment.school
    School.objects.filter(pk=school.pk).update(
        latitude=Decimal("40.8160"), longitude=Decimal("-73.9170")
    )
    mentoring = city["mentoring"].category

    def near_service(capacity):
        service = ServiceFactory.create(organization__network=network)
        ServiceCategoryFactory.create(service=service, taxonomy_term=mentoring)
        location = LocationFactory.create(organization=service.organization)  # at the school
        ServiceAtLocationFactory.create(service=service, location=location)
        ServiceCapacityFactory.create(service=service, available=capacity)
        return service

    full = near_service(0)
    problem = build_problem(network, city["year"])
    assert not [a for a in problem.model.arcs if a.need_id == city["mentoring"].pk]
    reasons = {u.need_id: u.reason for u in solve(problem, "optimal").unmet}
    assert reasons[city["mentoring"].pk] == CAPACITY_TAKEN
    open_one = near_service(3)
    problem = build_problem(network, city["year"])
    arcs = [a for a in problem.model.arcs if a.need_id == city["mentoring"].pk]
    assert [a.service_id for a in arcs] == [open_one.pk]
    assert full.pk not in {s.id for s in problem.model.services}
