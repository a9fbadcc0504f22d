"""Reads of the network's matching pages: columns by pillar, the gap map's cells and colour
levels, school years, the review of a run (per-school totals, reasons, edits) and the
need-index preview."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from wraparound.assessments.tests.factories import AssetFactory, SchoolYearFactory
from wraparound.core.models import SchoolYear
from wraparound.matching import selectors
from wraparound.matching.eligibility import load_services
from wraparound.matching.models import Strategy
from wraparound.matching.services import allocation_item_update, allocation_run_create
from wraparound.matching.tests.conftest import need_at, service_for, term


@pytest.fixture
def run(city: dict[str, Any]) -> Any:
    t = city["t"]
    return allocation_run_create(
        actor=t.users["network_admin"], network=t.network, school_year=city["year"]
    )


def test_columns_are_grouped_by_pillar_in_the_taxonomys_order(city):
    network = city["t"].network
    ids = [
        term(network, code).pk
        for code in ("parent-leadership", "tutoring", "health-vision", "mentoring", "counseling")
    ]
    groups = selectors.category_columns(network, ids)
    assert [g.label for g in groups] == [
        "Integrated student supports",
        "Expanded and enriched learning",
        "Family and community engagement",
    ]
    assert [c.label for c in groups[0].columns] == [
        "Counseling and mental health",
        "Health › Vision care",
        "Mentoring",
    ]
    assert [c.id for c in groups[1].columns] == [term(network, "tutoring").pk]


def test_gap_levels_and_their_legend():
    assert [selectors.gap_level(n) for n in (0, 1, 9, 10, 24, 25, 99, 100, 5000)] == [
        0,
        1,
        1,
        2,
        2,
        3,
        4,
        5,
        5,
    ]
    legend = dict(selectors.gap_legend())
    assert legend[1] == "1–9" and legend[5] == "100 or more" and "0" in legend[0]


def test_the_school_year_asked_for_else_the_current_else_the_latest(t1):
    assert selectors.school_year_for([], None) is None
    y26 = SchoolYearFactory.create(network=t1.network, end_year=2026)
    y27 = SchoolYearFactory.create(network=t1.network, end_year=2027)
    years = selectors.school_years(t1.network)
    assert selectors.school_year_for(years, None) == y27
    SchoolYear.objects.filter(pk=y26.pk).update(is_current=True)
    years = selectors.school_years(t1.network)
    assert selectors.school_year_for(years, "") == y26
    assert selectors.school_year_for(years, "2027") == y27
    for unknown in ("2030", "twenty", "2027.5"):
        with pytest.raises(Http404):
            selectors.school_year_for(years, unknown)


def test_who_opens_the_pages(city, t2):
    t = city["t"]
    slug = t.network.slug
    assert selectors.network_for_gap_map(t.users["evaluator"], slug) == t.network
    assert selectors.network_for_allocation(t.users["network_admin"], slug) == t.network
    with pytest.raises(PermissionDenied):
        selectors.network_for_allocation(t.users["evaluator"], slug)
    with pytest.raises(PermissionDenied):
        selectors.network_for_gap_map(t.users["coordinator"], slug)
    with pytest.raises(Http404):
        selectors.network_for_gap_map(t2.users["network_admin"], slug)


def test_the_gap_map_sums_a_schools_needs_per_category_less_its_assets(city):
    t = city["t"]
    tutoring = term(t.network, "tutoring")
    second = need_at(t.schools[3], city["year"], tutoring, students=30)
    from wraparound.assessments.tests.factories import NeedFactory

    NeedFactory.create(assessment=second.assessment, category=tutoring, students=12)
    AssetFactory.create(assessment=second.assessment, category=tutoring, students=7)
    result = selectors.gap_map(t.network, city["year"])
    rows = {r.school_id: r for r in result.rows}
    tutoring_column = [c.id for c in result.columns].index(tutoring.pk)
    cell = rows[t.schools[3].pk].cells[tutoring_column]
    assert cell.students == 30 + 12 - 7
    assert cell.level == selectors.gap_level(35)
    assert rows[t.schools[3].pk].total == 35
    assert result.schools == 5 and result.unassessed == 2
    # Filtered by community: only its schools, and only its schools counted.
    filtered = selectors.gap_map(t.network, city["year"], community_id=t.communities[1].pk)
    assert {r.school_id for r in filtered.rows} == {t.schools[3].pk, t.schools[4].pk}
    assert filtered.unassessed == 1


def test_a_network_with_no_year_has_an_empty_map(t1):
    result = selectors.gap_map(t1.network, None)
    assert result.rows == [] and result.columns == [] and result.schools == 5


def test_the_review_totals_each_school_and_explains_each_assignment(city, run):
    t = city["t"]
    review = selectors.run_review(run)
    plans = {p.school.pk: p for p in review.schools}
    high, low = plans[t.schools[0].pk], plans[t.schools[1].pk]
    assert (high.asked, high.optimal, high.proposed, high.greedy) == (13, 8, 8, 8)
    assert (low.asked, low.optimal, low.greedy) == (8, 2, 2)
    assert [u.need_id for u in high.unmet] == [city["mentoring"].pk]
    assert [u.get_reason_display() for u in low.unmet] == ["capacity taken by higher-weight needs"]
    reasons = high.rows[0].reasons
    assert f"Serves {t.communities[0].name}" in reasons
    assert any("places left" in r for r in reasons)
    assert review.kept_units == review.proposed_units == 10 and review.edited == 0
    assert [q.quintile for q in review.quintiles] == [1, 2, 3, 4, 5]
    assert review.summary[0].optimal == f"{run.objective:,.2f}"
    assert review.empty_reason is None and review.partnerships == 0


def test_the_review_counts_the_admins_edits(city, run):
    admin = city["t"].users["network_admin"]
    high = run.items.get(strategy=Strategy.OPTIMAL, need=city["high"])
    low = run.items.get(strategy=Strategy.OPTIMAL, need=city["low"])
    allocation_item_update(actor=admin, item=high, units=5)
    allocation_item_update(actor=admin, item=low, units=2, kept=False)
    review = selectors.run_review(run)
    assert review.edited == 2
    assert review.kept_units == 5 and review.proposed_units == 10
    plans = {p.school.pk: p for p in review.schools}
    assert plans[city["t"].schools[0].pk].optimal == 5
    assert plans[city["t"].schools[1].pk].optimal == 0
    assert plans[city["t"].schools[1].pk].asked == 8
    one = selectors.school_plan(run, city["t"].schools[0].pk)
    assert one is not None and one.optimal == 5 and one.rows[0].item.units == 5


def test_the_review_pages_the_schools(city, run):
    first = selectors.run_review(run, per_page=1)
    second = selectors.run_review(run, page_number=2, per_page=1)
    assert [p.school.pk for p in first.schools] == [city["t"].schools[0].pk]
    assert [p.school.pk for p in second.schools] == [city["t"].schools[1].pk]
    assert first.page.paginator.num_pages == 2


def test_empty_reasons_in_words():
    assert "submitted assessment" in selectors.empty_reason_text("no_needs")
    assert "capacity" in selectors.empty_reason_text("no_services")
    assert selectors.empty_reason_text(None) == ""


def test_the_preview_ranks_schools_by_need_index(city):
    preview = selectors.need_index_preview(city["t"].network, limit=3)
    assert len(preview) == 3
    assert preview[0].school == city["t"].schools[0]
    assert preview[0].quintile == 5
    assert [r.index for r in preview] == sorted((r.index for r in preview), reverse=True)


def test_load_services_reads_only_the_ids_asked_for(city):
    t = city["t"]
    other = service_for(t.network, t.communities[1], term(t.network, "mentoring"), capacity=4)
    every = load_services(t.network, city["year"])
    some = load_services(t.network, city["year"], service_ids=[other.pk])
    assert set(every) == {city["tutor"].pk, other.pk}
    assert set(some) == {other.pk}
    assert some[other.pk] == every[other.pk]
    assert load_services(t.network, city["year"], service_ids=[]) == {}
