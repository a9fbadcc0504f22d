"""search_services: every filter narrows, filters combine, ranking and reasons, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from wraparound.core.models import VettingStatus
from wraparound.core.tests.factories import CommunityFactory, NetworkFactory, OrganizationFactory
from wraparound.directory.models import Service, ServiceStatus, TaxonomyTerm
from wraparound.directory.search import (
    ServiceQuery,
    build_search_text,
    haversine_km,
    normalize,
    search_services,
    service_search_text_refresh,
)
from wraparound.directory.taxonomy import taxonomy_ensure_default
from wraparound.directory.tests.factories import (
    LanguageFactory,
    LocationFactory,
    ServiceAreaFactory,
    ServiceAtLocationFactory,
    ServiceCapacityFactory,
    ServiceCategoryFactory,
    ServiceFactory,
    VettedOrganizationFactory,
)

pytestmark = pytest.mark.django_db

SCHOOL = (40.8160, -73.9170)  # a school in Mott Haven
NEAR = (Decimal("40.820000"), Decimal("-73.917000"))  # 0.44 km north of it
FAR = (Decimal("40.860000"), Decimal("-73.917000"))  # 4.9 km north of it


class Directory:
    def __init__(self) -> None:
        self.network: Any = NetworkFactory.create()
        taxonomy_ensure_default(network=self.network)
        self.terms = {t.code: t for t in TaxonomyTerm.objects.filter(network=self.network)}
        self.mott_haven = CommunityFactory(network=self.network, name="Mott Haven")
        self.hunts_point = CommunityFactory(network=self.network, name="Hunts Point")
        self.org: Any = VettedOrganizationFactory(
            network=self.network, name="Bronx Youth Collective"
        )

    def service(
        self,
        name: str,
        *,
        categories: tuple[str, ...] = (),
        at: tuple[Decimal, Decimal] | None = None,
        communities: tuple[Any, ...] = (),
        languages: tuple[str, ...] = (),
        capacity: int | None = None,
        organization: Any = None,
        **fields: Any,
    ) -> Service:
        fields.setdefault("description", "")
        service: Any = ServiceFactory(organization=organization or self.org, name=name, **fields)
        for code in categories:
            ServiceCategoryFactory(service=service, taxonomy_term=self.terms[code])
        if at is not None:
            location = LocationFactory(
                organization=service.organization, latitude=at[0], longitude=at[1]
            )
            ServiceAtLocationFactory(service=service, location=location)
        for community in communities:
            ServiceAreaFactory(service=service, community=community)
        for code in languages:
            LanguageFactory(service=service, code=code, name=code)
        if capacity is not None:
            ServiceCapacityFactory(service=service, available=capacity)
        service_search_text_refresh(service_ids=[service.pk])
        service.refresh_from_db()
        return service

    def names(self, query: ServiceQuery, **kwargs: Any) -> list[str]:
        return [m.service.name for m in search_services(self.network, query, **kwargs).matches]


@pytest.fixture
def d() -> Directory:
    return Directory()


# --- words ------------------------------------------------------------------------------------


def test_normalize_and_search_text() -> None:
    assert normalize("  Tutoría, Música & ARTS! ") == "tutoria musica arts"
    assert build_search_text("After-School Tutoring", "tutoring help") == (
        " after school tutoring help "
    )
    assert build_search_text("", "") == ""


def test_search_text_has_name_organization_categories_in_both_languages(d: Directory) -> None:
    service = d.service("Homework Club", categories=("health-dental",))
    text = service.search_text
    for word in ("homework", "bronx", "youth", "dental", "health", "salud", "cuidado"):
        assert f" {word} " in text, word
    assert " integrated " not in text  # pillar words would match half the directory
    d.org.name = "Renamed Partners"
    d.org.save()
    service_search_text_refresh(service_ids=[service.pk])
    service.refresh_from_db()
    assert " renamed " in service.search_text and " bronx " not in service.search_text


def test_every_word_must_match_at_the_start_of_a_word(d: Directory) -> None:
    d.service("After-School Tutoring", categories=("tutoring",))
    d.service("Reading Buddies", categories=("literacy",))
    d.service("Restaurant Jobs", categories=("college-career",))
    assert d.names(ServiceQuery(words="tutor")) == ["After-School Tutoring"]
    assert d.names(ServiceQuery(words="tutoring after")) == ["After-School Tutoring"]
    assert d.names(ServiceQuery(words="tutoring reading")) == []
    assert d.names(ServiceQuery(words="rant")) == []  # not inside "restaurant"
    # Spanish, with or without accents, through the category's Spanish name
    assert d.names(ServiceQuery(words="tutoría")) == ["After-School Tutoring"]
    assert d.names(ServiceQuery(words="TUTORIA")) == ["After-School Tutoring"]


def test_name_matches_rank_above_category_above_description(d: Directory) -> None:
    d.service("Family Nights", description="Homework help and mentoring for everyone.")
    d.service("Success Coaches", categories=("mentoring",))
    d.service("Mentoring Circles", categories=("social-emotional",))
    result = search_services(d.network, ServiceQuery(words="mentoring"))
    assert [m.service.name for m in result.matches] == [
        "Mentoring Circles",
        "Success Coaches",
        "Family Nights",
    ]
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 3
    assert "“mentoring” in the name" in result.matches[0].reasons
    assert "Mentoring" in result.matches[1].reasons  # the category that matched


# --- each filter ---------------------------------------------------------------------------------


def test_category_matches_its_sub_categories(d: Directory) -> None:
    d.service("Dental Van", categories=("health-dental",))
    d.service("Eye Exams", categories=("health-vision",))
    d.service("Tutoring", categories=("tutoring",))
    pillar = d.terms["integrated-student-supports"].pk
    assert d.names(ServiceQuery(category_ids=(pillar,))) == ["Dental Van", "Eye Exams"]
    assert d.names(ServiceQuery(category_ids=(d.terms["health"].pk,))) == [
        "Dental Van",
        "Eye Exams",
    ]
    assert d.names(ServiceQuery(category_ids=(d.terms["health-vision"].pk,))) == ["Eye Exams"]
    result = search_services(d.network, ServiceQuery(category_ids=(pillar,)))
    assert result.matches[0].reasons[0] == "Dental care"


def test_category_of_another_network_matches_nothing(d: Directory) -> None:
    d.service("Tutoring", categories=("tutoring",))
    other: Any = NetworkFactory()
    taxonomy_ensure_default(network=other)
    foreign = TaxonomyTerm.objects.get(network=other, code="tutoring")
    assert d.names(ServiceQuery(category_ids=(foreign.pk,))) == []


def test_near_a_point_within_a_radius(d: Directory) -> None:
    d.service("Near", at=NEAR)
    d.service("Far", at=FAR)
    d.service("Nowhere")
    result = search_services(d.network, ServiceQuery(near=SCHOOL, within_km=3))
    assert [m.service.name for m in result.matches] == ["Near"]
    match = result.matches[0]
    expected = haversine_km(*SCHOOL, float(NEAR[0]), float(NEAR[1]))
    assert match.distance_km == pytest.approx(expected, abs=0.01)
    assert 0.4 < expected < 0.5
    assert "0.4 km away" in match.reasons
    assert d.names(ServiceQuery(near=SCHOOL, within_km=10)) == ["Near", "Far"]
    # A point without a radius ranks by distance and keeps everything.
    assert d.names(ServiceQuery(near=SCHOOL)) == ["Near", "Far", "Nowhere"]


def test_the_bounding_box_corner_is_outside_the_radius(d: Directory) -> None:
    # 2.5 km north and 2.5 km east: inside a 3 km box, 3.5 km away.
    d.service("Corner", at=(Decimal("40.838483"), Decimal("-73.887300")))
    assert d.names(ServiceQuery(near=SCHOOL, within_km=3)) == []
    assert d.names(ServiceQuery(near=SCHOOL, within_km=4)) == ["Corner"]


def test_community_language_grade_timing_cost_capacity(d: Directory) -> None:
    d.service("Mott Haven only", communities=(d.mott_haven,))
    d.service("Hunts Point only", communities=(d.hunts_point,))
    assert d.names(ServiceQuery(community_id=d.mott_haven.pk)) == ["Mott Haven only"]
    result = search_services(d.network, ServiceQuery(community_id=d.mott_haven.pk))
    assert "Serves Mott Haven" in result.matches[0].reasons

    Service.objects.all().delete()
    d.service("Spanish", languages=("en", "es"))
    d.service("Bengali", languages=("bn",))
    d.service("Chinese (Simplified)", languages=("zh-Hans",))
    assert d.names(ServiceQuery(language="es")) == ["Spanish"]
    assert d.names(ServiceQuery(language="zh")) == ["Chinese (Simplified)"]
    result = search_services(d.network, ServiceQuery(language="es"))
    assert "Spanish" in result.matches[0].reasons

    Service.objects.all().delete()
    d.service("Elementary", grade_low="KG", grade_high="05")
    d.service("High school", grade_low="09", grade_high="12")
    d.service("Everyone", grade_low="", grade_high="")
    d.service("Pre-K to 3", grade_low="PK", grade_high="03")
    assert d.names(ServiceQuery(grade="03")) == ["Elementary", "Everyone", "Pre-K to 3"]
    assert d.names(ServiceQuery(grade="KG")) == ["Elementary", "Everyone", "Pre-K to 3"]
    assert d.names(ServiceQuery(grade="10")) == ["Everyone", "High school"]
    result = search_services(d.network, ServiceQuery(grade="03"))
    assert "Grades K–5" in result.matches[0].reasons

    Service.objects.all().delete()
    d.service("Saturday", after_school=False, weekend=True)
    d.service("After school", after_school=True)
    d.service("Summer", after_school=False, summer=True)
    assert d.names(ServiceQuery(timings=("weekend", "summer"))) == ["Saturday", "Summer"]
    assert d.names(ServiceQuery(timings=("nonsense",))) == ["After school", "Saturday", "Summer"]

    Service.objects.all().delete()
    d.service("Free", cost_to_families=Decimal("0"), cost_to_school=Decimal("0"))
    d.service("Fee", cost_to_families=Decimal("25"), cost_to_school=Decimal("0"))
    d.service("Unknown", cost_to_families=None, cost_to_school=None)
    d.service("School pays", cost_to_families=Decimal("0"), cost_to_school=Decimal("9000"))
    assert d.names(ServiceQuery(free_for_families=True)) == ["Free", "School pays"]
    assert d.names(ServiceQuery(free_for_school=True)) == ["Fee", "Free"]
    result = search_services(d.network, ServiceQuery(free_for_families=True))
    assert "Free for families" in result.matches[0].reasons

    Service.objects.all().delete()
    d.service("Places", capacity=12)
    d.service("Full", capacity=0)
    d.service("Unstated")
    assert d.names(ServiceQuery(has_capacity=True)) == ["Places"]
    result = search_services(d.network, ServiceQuery(has_capacity=True))
    assert result.matches[0].capacity_left == 12
    assert "12 places left" in result.matches[0].reasons
    everything = {m.service.name: m for m in search_services(d.network, ServiceQuery()).matches}
    assert everything["Full"].capacity_left == 0 and "Full" in everything["Full"].reasons
    assert everything["Unstated"].capacity_left is None


def test_cleared_for_campus_is_accepted_and_filters_nothing_yet(d: Directory) -> None:
    d.service("A")
    assert d.names(ServiceQuery(cleared_for_campus=True)) == ["A"]


def test_public_only_keeps_vetted_organizations_and_active_services(d: Directory) -> None:
    d.service("Vetted and active")
    d.service("Closed", status=ServiceStatus.TEMPORARILY_CLOSED)
    unvetted = OrganizationFactory(network=d.network, vetting_status=VettingStatus.UNVETTED)
    d.service("Unvetted", organization=unvetted)
    assert d.names(ServiceQuery(public_only=True)) == ["Vetted and active"]
    assert len(d.names(ServiceQuery())) == 3


def test_filters_combine_and_stay_in_the_network(d: Directory) -> None:
    d.service(
        "Bilingual Tutoring",
        categories=("tutoring",),
        at=NEAR,
        communities=(d.mott_haven,),
        languages=("es",),
        capacity=5,
    )
    d.service("English Tutoring", categories=("tutoring",), at=NEAR, languages=("en",))
    d.service("Far Tutoring", categories=("tutoring",), at=FAR, languages=("es",))
    other = Directory()
    other.service("Bilingual Tutoring elsewhere", categories=("tutoring",), at=NEAR)
    query = ServiceQuery(
        words="tutoring",
        category_ids=(d.terms["expanded-learning"].pk,),
        near=SCHOOL,
        within_km=3,
        community_id=d.mott_haven.pk,
        language="es",
        grade="04",
        timings=("after_school",),
        free_for_families=True,
        free_for_school=True,
        has_capacity=True,
    )
    result = search_services(d.network, query)
    assert [m.service.name for m in result.matches] == ["Bilingual Tutoring"]
    reasons = result.matches[0].reasons
    expected = [
        "Tutoring", "0.4 km away", "Serves Mott Haven", "Spanish", "Grades K–8", "After school",
        "Free for families", "Free for the school", "5 places left",
    ]  # fmt: skip
    for reason in expected:
        assert reason in reasons, reason
    assert search_services(other.network, query).total == 0


# --- ranking ------------------------------------------------------------------------------------


def test_nearer_community_capacity_and_freshness_rank_higher(d: Directory) -> None:
    old = timezone.now() - dt.timedelta(days=400)
    d.service("A stale", confirmed_at=old)
    d.service("B fresh")
    d.service("C with places", confirmed_at=old, capacity=3)
    d.service("D serves the community", confirmed_at=old, communities=(d.mott_haven,))
    d.service("E near", confirmed_at=old, at=NEAR)
    result = search_services(
        d.network, ServiceQuery(near=SCHOOL, prefer_community_id=d.mott_haven.pk)
    )
    assert [m.service.name for m in result.matches] == [
        "E near",  # distance: up to 2
        "D serves the community",  # 1.5
        "C with places",  # 1
        "B fresh",  # 0.5
        "A stale",
    ]
    stale = {m.service.name: m.stale for m in result.matches}
    assert stale["A stale"] and not stale["B fresh"]


def test_paging_and_total(d: Directory) -> None:
    for n in range(7):
        d.service(f"Service {n}")
    first = search_services(d.network, ServiceQuery(), limit=3)
    second = search_services(d.network, ServiceQuery(), limit=3, offset=3)
    last = search_services(d.network, ServiceQuery(), limit=3, offset=6)
    assert first.total == second.total == last.total == 7
    names = [m.service.name for r in (first, second, last) for m in r.matches]
    assert names == [f"Service {n}" for n in range(7)]
    assert search_services(d.network, ServiceQuery(), limit=0).matches == []


def _fill(d: Directory, count: int) -> None:
    for n in range(count):
        d.service(
            f"Tutoring {n}",
            categories=("tutoring", "mentoring"),
            at=NEAR,
            communities=(d.mott_haven,),
            languages=("es", "en"),
            capacity=n,
        )


@pytest.mark.parametrize("count", [3, 30])
def test_query_count_does_not_grow_with_rows(
    d: Directory, django_assert_max_num_queries: Any, count: int
) -> None:
    _fill(d, count)
    query = ServiceQuery(
        words="tutoring",
        category_ids=(d.terms["expanded-learning"].pk,),
        near=SCHOOL,
        within_km=3,
        prefer_community_id=d.mott_haven.pk,
        language="es",
    )
    # terms, candidates, locations, capacities, word categories, community, the page and its
    # five prefetches (categories, capacities, languages, service areas, their communities)
    with django_assert_max_num_queries(12):
        result = search_services(d.network, query)
        for match in result.matches:
            assert match.reasons and match.service.organization.name
    assert result.total == count
