"""Gaps: a need minus the school's assets and active partnerships; proposed partnerships counted
apart (unplanned); assets and loose partnerships spread most-severe-first over the needs of
their category; a partnership made for a need counts for that need only."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from wraparound.agreements.models import PartnershipStatus
from wraparound.assessments.gaps import Gap, gaps_for
from wraparound.assessments.models import AssessmentStatus
from wraparound.assessments.tests.factories import (
    AssetFactory,
    NeedFactory,
    NeedsAssessmentFactory,
    PartnershipFactory,
    SchoolYearFactory,
)
from wraparound.directory.tests.factories import (
    ServiceCategoryFactory,
    ServiceFactory,
    TaxonomyTermFactory,
)


@pytest.fixture
def world(t1: Any) -> dict[str, Any]:
    network = t1.network
    year = SchoolYearFactory.create(network=network, end_year=2027, is_current=True)
    pillar = TaxonomyTermFactory.create(taxonomy_ref__network=network, name="Student supports")
    tutoring = TaxonomyTermFactory.create(
        taxonomy_ref=pillar.taxonomy_ref, name="Tutoring", parent=pillar
    )
    reading = TaxonomyTermFactory.create(
        taxonomy_ref=pillar.taxonomy_ref, name="Reading", parent=tutoring
    )
    counseling = TaxonomyTermFactory.create(
        taxonomy_ref=pillar.taxonomy_ref, name="Counseling", parent=pillar
    )
    assessment = NeedsAssessmentFactory.create(school=t1.schools[0], school_year=year)
    return {
        "t1": t1,
        "network": network,
        "year": year,
        "pillar": pillar,
        "tutoring": tutoring,
        "reading": reading,
        "counseling": counseling,
        "assessment": assessment,
        "school": t1.schools[0],
    }


def service_in(term: Any) -> Any:
    service = ServiceFactory.create(organization__network=term.network)
    ServiceCategoryFactory.create(service=service, taxonomy_term=term)
    return service


def gaps(world: dict[str, Any], **kwargs: Any) -> dict[int, Gap]:
    return gaps_for(network=world["network"], school_year=world["year"], **kwargs)


def test_a_need_without_assets_or_partnerships_is_all_gap(world: dict[str, Any]) -> None:
    need = NeedFactory.create(
        assessment=world["assessment"], category=world["tutoring"], students=30
    )
    gap = gaps(world)[need.pk]
    assert (gap.students, gap.assets, gap.active, gap.proposed) == (30, 0, 0, 0)
    assert gap.open == 30 and gap.unplanned == 30
    assert gap.covered_share == 0
    assert (gap.school_id, gap.category_id, gap.severity) == (
        world["school"].pk,
        world["tutoring"].pk,
        need.severity,
    )


def test_assets_and_active_partnerships_subtract(world: dict[str, Any]) -> None:
    need = NeedFactory.create(
        assessment=world["assessment"], category=world["tutoring"], students=30
    )
    AssetFactory.create(assessment=world["assessment"], category=world["tutoring"], students=5)
    PartnershipFactory.create(
        school=world["school"],
        service=service_in(world["tutoring"]),
        school_year=world["year"],
        units=10,
        status=PartnershipStatus.ACTIVE,
    )
    gap = gaps(world)[need.pk]
    assert (gap.assets, gap.active, gap.open, gap.unplanned) == (5, 10, 15, 15)
    assert gap.covered_share == pytest.approx(0.5)


def test_proposed_partnerships_are_counted_apart(world: dict[str, Any]) -> None:
    need = NeedFactory.create(
        assessment=world["assessment"], category=world["tutoring"], students=30
    )
    PartnershipFactory.create(
        school=world["school"],
        service=service_in(world["tutoring"]),
        school_year=world["year"],
        units=12,
        status=PartnershipStatus.PROPOSED,
    )
    gap = gaps(world)[need.pk]
    assert (gap.active, gap.proposed, gap.open, gap.unplanned) == (0, 12, 30, 18)


def test_assets_spread_most_severe_first_and_never_twice(world: dict[str, Any]) -> None:
    mild = NeedFactory.create(
        assessment=world["assessment"], category=world["tutoring"], severity=2, students=20
    )
    severe = NeedFactory.create(
        assessment=world["assessment"], category=world["tutoring"], severity=5, students=20
    )
    AssetFactory.create(assessment=world["assessment"], category=world["tutoring"], students=25)
    result = gaps(world)
    assert result[severe.pk].assets == 20 and result[severe.pk].open == 0
    assert result[mild.pk].assets == 5 and result[mild.pk].open == 15


def test_an_asset_covers_needs_of_its_category_and_the_categories_above(
    world: dict[str, Any],
) -> None:
    broad = NeedFactory.create(
        assessment=world["assessment"], category=world["tutoring"], severity=3, students=10
    )
    narrow = NeedFactory.create(
        assessment=world["assessment"], category=world["reading"], severity=3, students=10
    )
    other = NeedFactory.create(
        assessment=world["assessment"], category=world["counseling"], students=10
    )
    # A tutoring asset does not count for the narrower reading need (nor for counseling).
    AssetFactory.create(assessment=world["assessment"], category=world["tutoring"], students=100)
    result = gaps(world)
    assert (result[broad.pk].assets, result[narrow.pk].assets, result[other.pk].assets) == (
        10,
        0,
        0,
    )
    # A reading asset counts for the reading need first, then for the tutoring need (reading is
    # below tutoring) with what is left.
    AssetFactory.create(assessment=world["assessment"], category=world["reading"], students=15)
    result = gaps(world)
    # The reading asset goes to the reading need first; the tutoring asset then fills the
    # tutoring need.
    assert (result[broad.pk].assets, result[narrow.pk].assets) == (10, 10)


def test_a_need_tied_partnership_counts_for_that_need_only(world: dict[str, Any]) -> None:
    severe = NeedFactory.create(
        assessment=world["assessment"], category=world["tutoring"], severity=5, students=20
    )
    mild = NeedFactory.create(
        assessment=world["assessment"], category=world["tutoring"], severity=2, students=20
    )
    PartnershipFactory.create(
        school=world["school"],
        service=service_in(world["tutoring"]),
        school_year=world["year"],
        need=mild,
        units=8,
        status=PartnershipStatus.ACTIVE,
    )
    PartnershipFactory.create(
        school=world["school"],
        service=service_in(world["tutoring"]),
        school_year=world["year"],
        need=mild,
        units=3,
        status=PartnershipStatus.PROPOSED,
    )
    result = gaps(world)
    assert (result[mild.pk].active, result[mild.pk].proposed, result[mild.pk].unplanned) == (
        8,
        3,
        9,
    )
    assert (result[severe.pk].active, result[severe.pk].proposed) == (0, 0)


def test_a_tied_partnership_is_counted_before_a_loose_one(world: dict[str, Any]) -> None:
    severe = NeedFactory.create(
        assessment=world["assessment"], category=world["tutoring"], severity=5, students=20
    )
    mild = NeedFactory.create(
        assessment=world["assessment"], category=world["tutoring"], severity=2, students=20
    )
    # The loose one is older; it must not fill the severe need the tied one answers already.
    PartnershipFactory.create(
        school=world["school"],
        service=service_in(world["tutoring"]),
        school_year=world["year"],
        units=20,
    )
    PartnershipFactory.create(
        school=world["school"],
        service=service_in(world["tutoring"]),
        school_year=world["year"],
        need=severe,
        units=20,
    )
    result = gaps(world)
    assert result[severe.pk].active == 20 and result[severe.pk].open == 0
    assert result[mild.pk].active == 20 and result[mild.pk].open == 0


def test_active_counts_before_proposed(world: dict[str, Any]) -> None:
    need = NeedFactory.create(
        assessment=world["assessment"], category=world["tutoring"], students=20
    )
    PartnershipFactory.create(  # proposed first, created before the active one
        school=world["school"],
        service=service_in(world["tutoring"]),
        school_year=world["year"],
        units=15,
        status=PartnershipStatus.PROPOSED,
    )
    PartnershipFactory.create(
        school=world["school"],
        service=service_in(world["tutoring"]),
        school_year=world["year"],
        units=15,
        status=PartnershipStatus.ACTIVE,
    )
    gap = gaps(world)[need.pk]
    assert (gap.active, gap.proposed, gap.open, gap.unplanned) == (15, 5, 5, 0)


def test_ended_other_years_other_schools_and_other_categories_do_not_count(
    world: dict[str, Any],
) -> None:
    t1 = world["t1"]
    need = NeedFactory.create(
        assessment=world["assessment"], category=world["tutoring"], students=20
    )
    tutoring_service = service_in(world["tutoring"])
    last_year = SchoolYearFactory.create(network=world["network"], end_year=2026)
    PartnershipFactory.create(
        school=world["school"],
        service=tutoring_service,
        school_year=world["year"],
        status=PartnershipStatus.ENDED,
        activated_at=timezone.now(),
    )
    PartnershipFactory.create(
        school=world["school"], service=service_in(world["tutoring"]), school_year=last_year
    )
    PartnershipFactory.create(
        school=t1.schools[1], service=service_in(world["tutoring"]), school_year=world["year"]
    )
    PartnershipFactory.create(
        school=world["school"], service=service_in(world["counseling"]), school_year=world["year"]
    )
    gap = gaps(world)[need.pk]
    assert (gap.active, gap.proposed, gap.open) == (0, 0, 20)


def test_open_and_unplanned_never_go_below_zero(world: dict[str, Any]) -> None:
    need = NeedFactory.create(
        assessment=world["assessment"], category=world["tutoring"], students=5
    )
    PartnershipFactory.create(
        school=world["school"],
        service=service_in(world["tutoring"]),
        school_year=world["year"],
        need=need,
        units=9,
    )
    gap = gaps(world)[need.pk]
    assert gap.open == 0 and gap.unplanned == 0 and gap.covered_share == 1


def test_schools_filter_submitted_only_and_other_networks(world: dict[str, Any], t2: Any) -> None:
    t1 = world["t1"]
    ours = NeedFactory.create(assessment=world["assessment"], category=world["tutoring"])
    draft = NeedsAssessmentFactory.create(
        school=t1.schools[1], school_year=world["year"], status=AssessmentStatus.DRAFT
    )
    drafted = NeedFactory.create(assessment=draft, category=world["tutoring"])
    NeedFactory.create(
        assessment__school=t2.schools[0],
        category__taxonomy_ref__network=t2.network,
    )
    assert set(gaps(world)) == {ours.pk, drafted.pk}
    assert set(gaps(world, schools=[t1.schools[1]])) == {drafted.pk}
    assert set(gaps(world, submitted_only=True)) == {ours.pk}
    assert gaps(world, schools=[t1.schools[2]]) == {}


def test_a_fixed_number_of_queries_whatever_the_number_of_needs(
    world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for _ in range(12):
        NeedFactory.create(assessment=world["assessment"], category=world["tutoring"])
        AssetFactory.create(assessment=world["assessment"], category=world["tutoring"])
        PartnershipFactory.create(
            school=world["school"], service=service_in(world["tutoring"]), school_year=world["year"]
        )
    with django_assert_max_num_queries(6):
        result = gaps(world)
    assert len(result) == 12
