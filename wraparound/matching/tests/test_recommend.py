"""Recommendations for one need: eligible services best first with their reasons, the services
of the category that fail a rule with the rules they fail, in a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from wraparound.agreements.models import PartnershipStatus
from wraparound.assessments.tests.factories import (
    AssetFactory,
    NeedFactory,
    NeedsAssessmentFactory,
    PartnershipFactory,
    SchoolYearFactory,
)
from wraparound.core.models import VettingStatus
from wraparound.directory.models import ServiceStatus
from wraparound.directory.tests.factories import (
    LanguageFactory,
    ServiceAreaFactory,
    ServiceCapacityFactory,
    ServiceCategoryFactory,
    ServiceFactory,
    TaxonomyTermFactory,
    VettedOrganizationFactory,
)
from wraparound.matching.recommend import recommend, recommend_many


def make_service(
    network: Any,
    term: Any,
    name: str,
    *,
    community: Any = None,
    capacity: int | None = 10,
    **fields: Any,
) -> Any:
    organization = fields.pop("organization", None) or VettedOrganizationFactory.create(
        network=network, name=f"{name} Org"
    )
    service = ServiceFactory.create(organization=organization, name=name, **fields)
    ServiceCategoryFactory.create(service=service, taxonomy_term=term)
    if community is not None:
        ServiceAreaFactory.create(service=service, community=community)
    if capacity is not None:
        ServiceCapacityFactory.create(service=service, available=capacity)
    return service


@pytest.fixture
def world(t1: Any, t2: Any) -> dict[str, Any]:
    network = t1.network
    school = t1.schools[0]
    year = SchoolYearFactory.create(network=network, end_year=2027, is_current=True)
    last_year = SchoolYearFactory.create(network=network, end_year=2026)
    pillar = TaxonomyTermFactory.create(taxonomy_ref__network=network, name="Expanded learning")
    tutoring = TaxonomyTermFactory.create(
        taxonomy_ref=pillar.taxonomy_ref, name="Tutoring", parent=pillar
    )
    counseling = TaxonomyTermFactory.create(
        taxonomy_ref=pillar.taxonomy_ref, name="Counseling", parent=pillar
    )
    home = t1.communities[0]
    new = make_service(network, tutoring, "Algebra club", community=home)
    kept = make_service(network, tutoring, "Zebra tutors", community=home)
    # Zebra tutors worked with the school last year: a sustained relationship.
    PartnershipFactory.create(
        school=school,
        service=kept,
        school_year=last_year,
        status=PartnershipStatus.ENDED,
        activated_at=timezone.now(),
        ended_reason="The year ended.",
    )
    closed = make_service(
        network, tutoring, "Closed club", community=home, status=ServiceStatus.INACTIVE
    )
    away = make_service(network, tutoring, "Far tutors", community=t1.communities[1])
    suspended = make_service(
        network,
        tutoring,
        "Suspended tutors",
        community=t1.communities[1],
        organization=VettedOrganizationFactory.create(
            network=network, vetting_status=VettingStatus.SUSPENDED
        ),
    )
    make_service(network, counseling, "Counselors", community=home)
    other_network_term = TaxonomyTermFactory.create(taxonomy_ref__network=t2.network)
    make_service(t2.network, other_network_term, "Elsewhere", community=t2.communities[0])
    assessment = NeedsAssessmentFactory.create(school=school, school_year=year)
    need = NeedFactory.create(assessment=assessment, category=pillar, students=30, severity=4)
    return {
        "network": network,
        "school": school,
        "year": year,
        "pillar": pillar,
        "tutoring": tutoring,
        "counseling": counseling,
        "assessment": assessment,
        "need": need,
        "new": new,
        "kept": kept,
        "closed": closed,
        "away": away,
        "suspended": suspended,
    }


def test_eligible_services_best_first_with_reasons(world: dict[str, Any]) -> None:
    world["need"].category = world["tutoring"]
    world["need"].save()
    result = recommend(world["need"])
    names = [r.service.name for r in result.eligible]
    # The sustained relationship ranks first although its name sorts last.
    assert names == ["Zebra tutors", "Algebra club"]
    first = result.eligible[0]
    assert first.score.sustained
    assert "Already a partner of this school" in first.score.reasons
    assert f"Serves {world['school'].community.name}" in first.score.reasons
    assert "10 places left" in first.score.reasons
    assert first.score.value > result.eligible[1].score.value


def test_excluded_services_of_the_category_with_the_rules_they_fail(world: dict[str, Any]) -> None:
    result = recommend(world["need"])
    excluded = {e.service.name: [code for code, _why in e.failed] for e in result.excluded}
    # Services that reach the school (its community, nearby, or virtual) are listed with every
    # rule they fail; the rest of the category (far away, another community) is only counted.
    assert excluded == {"Closed club": ["active"]}
    assert result.out_of_reach == 2  # Far tutors, Suspended tutors
    # Counselors is of the pillar too (the need is at the pillar: every category below).
    # Services of other categories and other networks are neither recommended nor left out.
    assert "Elsewhere" not in excluded


def test_excluded_services_are_sorted_by_rules_failed_then_name(world: dict[str, Any]) -> None:
    school = world["school"]
    away, suspended = world["away"], world["suspended"]
    for service in (away, suspended):
        ServiceAreaFactory.create(service=service, community=school.community)
    result = recommend(world["need"])
    assert [(e.service.name, e.codes) for e in result.excluded] == [
        ("Closed club", ["active"]),
        ("Suspended tutors", ["vetted"]),
    ]
    assert (
        "Its organization is not vetted by the network."
        in dict(result.excluded[1].failed)["vetted"]
    )
    assert result.out_of_reach == 0


def test_a_need_at_the_pillar_is_served_by_every_category_below(world: dict[str, Any]) -> None:
    names = {r.service.name for r in recommend(world["need"]).eligible}
    assert names == {"Zebra tutors", "Algebra club", "Counselors"}


def test_a_narrow_need_sees_its_category_only(world: dict[str, Any]) -> None:
    world["need"].category = world["counseling"]
    world["need"].save()
    result = recommend(world["need"])
    assert [r.service.name for r in result.eligible] == ["Counselors"]
    assert result.excluded == []


def test_limit_cuts_the_eligible_list_only(world: dict[str, Any]) -> None:
    assert len(recommend(world["need"], limit=1).eligible) == 1
    assert len(recommend(world["need"], limit=0).eligible) == 3
    assert len(recommend(world["need"], limit=1).excluded) == 1
    assert recommend(world["need"], limit=1).out_of_reach == 2


def test_the_gap_and_units_come_from_assets_and_partnerships(world: dict[str, Any]) -> None:
    AssetFactory.create(assessment=world["assessment"], category=world["tutoring"], students=5)
    PartnershipFactory.create(
        school=world["school"],
        service=world["new"],
        school_year=world["year"],
        need=world["need"],
        units=10,
        status=PartnershipStatus.PROPOSED,
    )
    result = recommend(world["need"])
    assert (result.gap.open, result.gap.proposed, result.gap.unplanned) == (25, 10, 15)
    assert result.need.units == 15


def test_capacity_left_counts_this_years_open_partnerships(world: dict[str, Any], t1: Any) -> None:
    for school, units, status in (
        (t1.schools[1], 6, PartnershipStatus.ACTIVE),
        (t1.schools[2], 2, PartnershipStatus.PROPOSED),
        (t1.schools[3], 9, PartnershipStatus.ENDED),
    ):
        PartnershipFactory.create(
            school=school,
            service=world["new"],
            school_year=world["year"],
            units=units,
            status=status,
        )
    result = recommend(world["need"], limit=0)
    new = next(r for r in result.eligible if r.service.id == world["new"].pk)
    assert new.service.capacity_left == 10 - 6 - 2
    assert "2 places left" in new.score.reasons


def test_a_service_with_no_places_left_is_left_out(world: dict[str, Any], t1: Any) -> None:
    PartnershipFactory.create(
        school=t1.schools[1], service=world["new"], school_year=world["year"], units=10
    )
    result = recommend(world["need"])
    failed = {e.service.name: e.failed for e in result.excluded}
    assert failed["Algebra club"] == [("capacity", "It has no places left this year.")]


def test_language_coverage_ranks_higher(world: dict[str, Any]) -> None:
    world["need"].category = world["tutoring"]
    world["need"].languages = "es,zh"
    world["need"].save()
    LanguageFactory.create(service=world["new"], code="es", name="Spanish")
    LanguageFactory.create(service=world["new"], code="zh", name="Chinese")
    LanguageFactory.create(service=world["kept"], code="es-MX", name="Spanish")
    result = recommend(world["need"])
    assert [r.service.name for r in result.eligible] == ["Zebra tutors", "Algebra club"]
    by_name = {r.service.name: r.score for r in result.eligible}
    assert "In Spanish, Chinese" in by_name["Algebra club"].reasons
    assert "In Spanish" in by_name["Zebra tutors"].reasons
    # Without the sustained relationship, covering both languages wins.
    world["kept"].organization.partnerships.all().delete()
    result = recommend(world["need"])
    assert [r.service.name for r in result.eligible] == ["Algebra club", "Zebra tutors"]


def test_free_services_rank_above_costly_ones(world: dict[str, Any]) -> None:
    world["need"].category = world["counseling"]
    world["need"].save()
    make_service(
        world["network"],
        world["counseling"],
        "Paid counselors",
        community=world["school"].community,
        cost_to_school=Decimal("2000"),
    )
    result = recommend(world["need"])
    assert [r.service.name for r in result.eligible] == ["Counselors", "Paid counselors"]
    assert "Costs the school $2,000 a year" in result.eligible[1].score.reasons


def test_a_fixed_number_of_queries_whatever_the_directory(
    world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for n in range(15):
        make_service(
            world["network"], world["tutoring"], f"Extra {n}", community=world["school"].community
        )
    need = (
        type(world["need"])
        .objects.select_related("assessment__school__community", "assessment__school__network")
        .select_related("assessment__school_year")
        .get(pk=world["need"].pk)
    )
    with django_assert_max_num_queries(14):
        result = recommend(need, limit=0)
    assert len(result.eligible) == 18


def test_recommend_many_is_recommend_for_each_need_in_one_pass(
    world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    other = NeedFactory.create(
        assessment=world["assessment"], category=world["counseling"], students=5
    )
    needs = list(
        type(world["need"])
        .objects.filter(pk__in=[world["need"].pk, other.pk])
        .select_related(
            "assessment__school__community",
            "assessment__school__network",
            "assessment__school_year",
        )
        .order_by("pk")
    )
    with django_assert_max_num_queries(14):
        many = recommend_many(needs, limit=0)
    for need in needs:
        one = recommend(need, limit=0)
        assert [r.service.id for r in many[need.pk].eligible] == [
            r.service.id for r in one.eligible
        ]
        assert [r.score.value for r in many[need.pk].eligible] == [
            r.score.value for r in one.eligible
        ]
        assert [(e.service.id, e.failed) for e in many[need.pk].excluded] == [
            (e.service.id, e.failed) for e in one.excluded
        ]
    assert recommend_many([]) == {}


def test_recommend_many_refuses_needs_of_different_years(world: dict[str, Any]) -> None:
    last = SchoolYearFactory.create(network=world["network"], end_year=2025)
    old = NeedFactory.create(
        assessment=NeedsAssessmentFactory.create(school=world["school"], school_year=last),
        category=world["tutoring"],
    )
    with pytest.raises(ValueError, match="one network and school year"):
        recommend_many([world["need"], old])
