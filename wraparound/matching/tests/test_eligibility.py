"""Eligibility: each hard rule excludes with its reason; reach by community, distance or virtual
help; the score's order (sustained relationships, languages, nearness); and the facts read from
the database (capacity left, languages, categories, sustained pairs)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from wraparound.agreements.models import PartnershipStatus
from wraparound.assessments.tests.factories import PartnershipFactory, SchoolYearFactory
from wraparound.core.grades import GRADE_ORDER
from wraparound.core.models import VettingStatus
from wraparound.directory.models import ServiceStatus
from wraparound.directory.tests.factories import (
    LanguageFactory,
    LocationFactory,
    ServiceAreaFactory,
    ServiceAtLocationFactory,
    ServiceCapacityFactory,
    ServiceCategoryFactory,
    ServiceFactory,
    TaxonomyTermFactory,
)
from wraparound.matching.eligibility import (
    RULES,
    Context,
    NeedFacts,
    ServiceFacts,
    descendants,
    eligible,
    failures,
    load_services,
    reaches,
    score,
    sustained_pairs,
)

# School at 40.8160, -73.9170 (the South Bronx); 0.01° of latitude is about 1.11 km.
SCHOOL_LAT, SCHOOL_LON = 40.816, -73.917


def need_facts(**changes: object) -> NeedFacts:
    base = NeedFacts(
        id=1,
        school_id=11,
        school_name="P.S. 1",
        community_id=21,
        community_name="Bronx CD 1",
        latitude=SCHOOL_LAT,
        longitude=SCHOOL_LON,
        category_id=31,
        categories=frozenset({31, 32}),
        severity=4,
        tier=2,
        units=20,
        grade_low=GRADE_ORDER["KG"],
        grade_high=GRADE_ORDER["05"],
        languages=(),
        timings=(),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def service_facts(**changes: object) -> ServiceFacts:
    base = ServiceFacts(
        id=41,
        name="Homework club",
        organization_id=51,
        organization_name="Bronx Tutors",
        active=True,
        vetted=True,
        categories=frozenset({32}),
        communities=frozenset({21}),
        locations=(),
        languages=frozenset({"en"}),
        grade_low=GRADE_ORDER["KG"],
        grade_high=GRADE_ORDER["08"],
        timings=frozenset({"after_school"}),
        cost_to_school=Decimal("0"),
        capacity_left=10,
        capacity_unit="students",
        fresh=True,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


CTX = Context(distance_km=3.0)


def test_a_fitting_service_passes_every_rule() -> None:
    assert failures(need_facts(), service_facts(), CTX) == []
    assert eligible(need_facts(), service_facts(), CTX)


def test_rules_are_named_and_in_order() -> None:
    assert [r.code for r in RULES] == [
        "active",
        "vetted",
        "category",
        "reach",
        "grades",
        "language",
        "timing",
        "capacity",
        "cleared",
    ]


@pytest.mark.parametrize(
    ("rule", "need_changes", "service_changes", "words"),
    [
        ("active", {}, {"active": False}, "not active"),
        ("vetted", {}, {"vetted": False}, "not vetted"),
        ("category", {}, {"categories": frozenset({99})}, "not offered in this category"),
        ("reach", {}, {"communities": frozenset({22})}, "does not serve Bronx CD 1"),
        (
            "grades",
            {},
            {"grade_low": GRADE_ORDER["09"], "grade_high": GRADE_ORDER["12"]},
            "other grades",
        ),
        ("language", {"languages": ("es",)}, {"languages": frozenset({"en"})}, "Spanish"),
        ("timing", {"timings": ("weekend",)}, {}, "weekends"),
        ("capacity", {}, {"capacity_left": 0}, "no places left"),
        ("capacity", {}, {"capacity_left": None}, "states no capacity"),
        ("cleared", {}, {"cleared": False}, "not cleared"),
    ],
)
def test_each_hard_rule_excludes_with_its_reason(
    rule: str, need_changes: dict, service_changes: dict, words: str
) -> None:
    found = failures(need_facts(**need_changes), service_facts(**service_changes), CTX)
    assert [code for code, _why in found] == [rule]
    assert words in found[0][1]
    assert not eligible(need_facts(**need_changes), service_facts(**service_changes), CTX)


def test_every_failed_rule_is_reported_not_only_the_first() -> None:
    found = failures(
        need_facts(languages=("es",)),
        service_facts(active=False, capacity_left=0, languages=frozenset()),
        CTX,
    )
    assert [code for code, _why in found] == ["active", "language", "capacity"]


def test_the_reach_failure_names_the_community_and_the_distance() -> None:
    found = failures(need_facts(), service_facts(communities=frozenset()), Context(2.5))
    assert found == [
        (
            "reach",
            "It does not serve Bronx CD 1, has no location within 2.5 km of the school and is "
            "not virtual.",
        )
    ]


def test_a_subcategory_service_serves_a_need_of_the_parent_category() -> None:
    # The need's categories hold its category and those below it (32 is below 31).
    assert eligible(need_facts(), service_facts(categories=frozenset({32})), CTX)
    assert not eligible(need_facts(categories=frozenset({31})), service_facts(), CTX)


# --- reach ------------------------------------------------------------------------------------


def test_reach_by_community() -> None:
    assert reaches(need_facts(), service_facts(communities=frozenset({21})), CTX)


def test_reach_by_distance_within_the_networks_distance() -> None:
    elsewhere = service_facts(communities=frozenset({22}))
    near = dataclasses.replace(elsewhere, locations=((SCHOOL_LAT + 0.02, SCHOOL_LON),))  # 2.2 km
    far = dataclasses.replace(elsewhere, locations=((SCHOOL_LAT + 0.04, SCHOOL_LON),))  # 4.4 km
    assert reaches(need_facts(), near, Context(distance_km=3.0))
    assert not reaches(need_facts(), far, Context(distance_km=3.0))
    assert reaches(need_facts(), far, Context(distance_km=5.0))
    # The nearest location counts.
    both = dataclasses.replace(far, locations=far.locations + near.locations)
    assert reaches(need_facts(), both, Context(distance_km=3.0))


def test_reach_by_distance_needs_the_schools_coordinates() -> None:
    near = service_facts(communities=frozenset(), locations=((SCHOOL_LAT, SCHOOL_LON),))
    assert not reaches(need_facts(latitude=None, longitude=None), near, CTX)


def test_reach_reads_precomputed_distances_when_given() -> None:
    service = service_facts(communities=frozenset(), locations=())
    ctx = Context(distance_km=3.0, distances={11: {41: 1.2}})
    assert reaches(need_facts(), service, ctx)
    assert not reaches(need_facts(), service, Context(distance_km=3.0, distances={11: {}}))


def test_reach_by_virtual_help_when_the_need_accepts_it() -> None:
    virtual = service_facts(communities=frozenset(), timings=frozenset({"virtual"}))
    assert reaches(need_facts(timings=()), virtual, CTX)  # any timing accepted
    assert reaches(need_facts(timings=("virtual", "after_school")), virtual, CTX)
    assert not reaches(need_facts(timings=("after_school",)), virtual, CTX)
    assert eligible(need_facts(timings=("virtual",)), virtual, CTX)


# --- grades, languages, timing ------------------------------------------------------------------


def test_grades_overlap_and_an_open_end_is_open() -> None:
    middle = need_facts(grade_low=GRADE_ORDER["06"], grade_high=GRADE_ORDER["08"])
    assert eligible(
        middle, service_facts(grade_low=GRADE_ORDER["KG"], grade_high=GRADE_ORDER["06"]), CTX
    )
    assert not eligible(
        middle, service_facts(grade_low=GRADE_ORDER["KG"], grade_high=GRADE_ORDER["05"]), CTX
    )
    assert eligible(middle, service_facts(grade_low=None, grade_high=None), CTX)
    assert eligible(need_facts(grade_low=None, grade_high=None), service_facts(), CTX)


def test_one_of_the_needs_languages_is_enough() -> None:
    need = need_facts(languages=("es", "zh"))
    assert eligible(need, service_facts(languages=frozenset({"en", "zh"})), CTX)
    assert not eligible(need, service_facts(languages=frozenset({"en"})), CTX)
    assert eligible(need_facts(languages=()), service_facts(languages=frozenset()), CTX)


def test_one_of_the_needs_timings_is_enough() -> None:
    need = need_facts(timings=("during_school_day", "after_school"))
    assert eligible(need, service_facts(timings=frozenset({"after_school"})), CTX)
    assert not eligible(need, service_facts(timings=frozenset({"summer"})), CTX)


# --- the score --------------------------------------------------------------------------------


def test_score_reasons_in_words() -> None:
    result = score(
        need_facts(languages=("es",), timings=("after_school",)),
        service_facts(
            languages=frozenset({"es"}),
            locations=((SCHOOL_LAT + 0.01, SCHOOL_LON),),
            capacity_left=7,
        ),
        Context(3.0, sustained=frozenset({(11, 51)})),
    )
    assert result.reasons == [
        "Serves Bronx CD 1",
        "1.1 km from the school",
        "In Spanish",
        "After school",
        "Grades K–8",
        "Already a partner of this school",
        "Free for the school",
        "7 places left",
    ]
    assert result.sustained
    assert 0 < result.value <= 1
    assert result.distance_km == pytest.approx(1.11, abs=0.01)


def test_score_says_the_distance_or_virtual_when_not_in_the_community() -> None:
    near = score(
        need_facts(),
        service_facts(communities=frozenset(), locations=((SCHOOL_LAT + 0.02, SCHOOL_LON),)),
        CTX,
    )
    assert near.reasons[0] == "2.2 km from the school"
    virtual = score(
        need_facts(), service_facts(communities=frozenset(), timings=frozenset({"virtual"})), CTX
    )
    assert virtual.reasons[0] == "Virtual"


def test_score_names_the_cost_to_the_school() -> None:
    costly = score(need_facts(), service_facts(cost_to_school=Decimal("1500")), CTX)
    assert "Costs the school $1,500 a year" in costly.reasons
    assert costly.value < score(need_facts(), service_facts(), CTX).value


def test_a_sustained_relationship_ranks_higher() -> None:
    need = need_facts()
    kept = service_facts(id=1, organization_id=51)
    new = service_facts(id=2, organization_id=52)
    ctx = Context(3.0, sustained=frozenset({(11, 51)}))
    assert score(need, kept, ctx).value > score(need, new, ctx).value
    assert "Already a partner of this school" not in score(need, new, ctx).reasons


def test_covering_more_of_the_needs_languages_ranks_higher() -> None:
    need = need_facts(languages=("es", "zh"))
    both = service_facts(languages=frozenset({"es", "zh"}))
    one = service_facts(languages=frozenset({"es"}))
    assert score(need, both, CTX).value > score(need, one, CTX).value
    assert "In Spanish, Chinese" in score(need, both, CTX).reasons


def test_serving_the_community_ranks_higher_than_a_nearby_location() -> None:
    own = service_facts(communities=frozenset({21}))
    nearby = service_facts(communities=frozenset(), locations=((SCHOOL_LAT + 0.01, SCHOOL_LON),))
    farther = service_facts(communities=frozenset(), locations=((SCHOOL_LAT + 0.025, SCHOOL_LON),))
    values = [score(need_facts(), s, CTX).value for s in (own, nearby, farther)]
    assert values == sorted(values, reverse=True)
    assert values[0] > values[1] > values[2]


def test_score_without_explanations_has_the_same_value() -> None:
    need, service = need_facts(languages=("es",)), service_facts(languages=frozenset({"es"}))
    assert score(need, service, CTX, explain=False).value == score(need, service, CTX).value
    assert score(need, service, CTX, explain=False).reasons == []


# --- facts from the database --------------------------------------------------------------------


@pytest.fixture
def directory(t1):
    network = t1.network
    year = SchoolYearFactory.create(network=network, end_year=2027, is_current=True)
    parent = TaxonomyTermFactory.create(taxonomy_ref__network=network, name="Student supports")
    child = TaxonomyTermFactory.create(
        taxonomy_ref=parent.taxonomy_ref, name="Tutoring", parent=parent
    )
    service = ServiceFactory.create(organization__network=network, name="Reading club")
    ServiceCategoryFactory.create(service=service, taxonomy_term=child)
    ServiceCapacityFactory.create(service=service, available=12)
    ServiceCapacityFactory.create(service=service, available=3)
    return {"network": network, "year": year, "parent": parent, "child": child, "service": service}


def test_capacity_left_subtracts_the_years_open_partnerships_only(t1, directory) -> None:
    service, year = directory["service"], directory["year"]
    school = t1.schools[0]
    last_year = SchoolYearFactory.create(network=t1.network, end_year=2026)
    PartnershipFactory.create(
        school=school, service=service, school_year=year, units=4, status="proposed"
    )
    PartnershipFactory.create(
        school=t1.schools[1], service=service, school_year=year, units=5, status="active"
    )
    PartnershipFactory.create(
        school=t1.schools[2], service=service, school_year=year, units=6, status="ended"
    )
    PartnershipFactory.create(school=school, service=service, school_year=last_year, units=7)
    facts = load_services(t1.network, year)[service.pk]
    assert facts.capacity_left == 12 + 3 - 4 - 5
    assert load_services(t1.network, last_year)[service.pk].capacity_left == 15 - 7


def test_capacity_left_never_goes_below_zero_and_none_when_not_stated(t1, directory) -> None:
    service, year = directory["service"], directory["year"]
    PartnershipFactory.create(school=t1.schools[0], service=service, school_year=year, units=40)
    silent = ServiceFactory.create(organization__network=t1.network)
    facts = load_services(t1.network, year)
    assert facts[service.pk].capacity_left == 0
    assert facts[silent.pk].capacity_left is None


def test_load_services_reads_every_fact(t1, directory) -> None:
    service = directory["service"]
    ServiceAreaFactory.create(service=service, community=t1.communities[1])
    LanguageFactory.create(service=service, code="es-MX", name="Spanish")
    ServiceAtLocationFactory.create(
        service=service,
        location=LocationFactory.create(
            organization=service.organization,
            latitude=Decimal("40.820000"),
            longitude=Decimal("-73.910000"),
        ),
    )
    facts = load_services(t1.network, directory["year"])[service.pk]
    assert facts.active and facts.vetted and facts.fresh
    assert facts.categories == frozenset({directory["child"].pk})
    assert facts.communities == frozenset({t1.communities[1].pk})
    assert facts.languages == frozenset({"es"})
    assert facts.locations == ((40.82, -73.91),)
    assert facts.grade_low == GRADE_ORDER["KG"] and facts.grade_high == GRADE_ORDER["08"]
    assert facts.timings == frozenset({"after_school"})
    assert facts.capacity_unit == "students"
    service.status = ServiceStatus.TEMPORARILY_CLOSED
    service.save()
    service.organization.vetting_status = VettingStatus.SUSPENDED
    service.organization.save()
    facts = load_services(t1.network, directory["year"])[service.pk]
    assert not facts.active and not facts.vetted


def test_load_services_by_category_and_only_the_networks(t1, t2, directory) -> None:
    other = ServiceFactory.create(organization__network=t1.network)
    ServiceCategoryFactory.create(service=other, taxonomy_term__taxonomy_ref__network=t1.network)
    ServiceFactory.create(organization__network=t2.network)
    below = descendants(t1.network)
    loaded = load_services(
        t1.network, directory["year"], category_ids=below[directory["parent"].pk]
    )
    assert set(loaded) == {directory["service"].pk}
    assert set(load_services(t1.network, directory["year"])) == {directory["service"].pk, other.pk}


def test_descendants_hold_the_term_and_every_term_below(t1, directory) -> None:
    grandchild = TaxonomyTermFactory.create(
        taxonomy_ref=directory["parent"].taxonomy_ref, parent=directory["child"]
    )
    below = descendants(t1.network)
    parent, child = directory["parent"].pk, directory["child"].pk
    assert below[parent] == frozenset({parent, child, grandchild.pk})
    assert below[child] == frozenset({child, grandchild.pk})
    assert below[grandchild.pk] == frozenset({grandchild.pk})


def test_sustained_pairs_are_partnerships_that_were_once_active(t1, directory) -> None:
    from django.utils import timezone

    service, year = directory["service"], directory["year"]
    org = service.organization
    ended = PartnershipFactory.create(
        school=t1.schools[0],
        service=service,
        school_year=year,
        status=PartnershipStatus.ENDED,
        activated_at=timezone.now(),
    )
    PartnershipFactory.create(  # proposed, never accepted: not a relationship yet
        school=t1.schools[1], service=service, school_year=year, status=PartnershipStatus.PROPOSED
    )
    PartnershipFactory.create(  # declined: never active
        school=t1.schools[2], service=service, school_year=year, status=PartnershipStatus.ENDED
    )
    assert sustained_pairs(t1.network, year) == frozenset({(ended.school_id, org.pk)})
