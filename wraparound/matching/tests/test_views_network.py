"""The network admin's matching pages: the gap map (network-wide readers), the allocation (run,
review with reasons, edit, accept, discard) and the matching settings (network admins), for
every role; bad input is refused with the reason and nothing saved; query counts are bounded."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wraparound.agreements.models import Partnership, PartnershipSource, PartnershipStatus
from wraparound.assessments.models import AssessmentStatus
from wraparound.assessments.tests.factories import (
    NeedFactory,
    PartnershipFactory,
    SchoolYearFactory,
)
from wraparound.core.models import AuditEvent, Network
from wraparound.core.tests.factories import SchoolFactory
from wraparound.core.tests.personas import PERSONAS
from wraparound.matching.models import AllocationItem, AllocationRun, RunStatus, Strategy
from wraparound.matching.services import allocation_run_create
from wraparound.matching.tests.conftest import need_at, service_for, term

# What each persona of the network gets: the gap map is for network-wide roles; the allocation
# and the settings for network admins. Members of the network are refused (403) as on the
# network's page; the outsider, who is a member of nothing, gets a 404.
READERS = {"network_admin", "evaluator", "network_supervisor"}
ADMINS = {"network_admin"}


def expected(persona: str, allowed: set[str]) -> int:
    if persona in allowed:
        return 200
    if persona == "outsider":
        return 404
    return 403


@pytest.fixture
def admin(city: dict[str, Any]) -> Any:
    return city["t"].users["network_admin"]


@pytest.fixture
def run(city: dict[str, Any], admin: Any) -> AllocationRun:
    return allocation_run_create(actor=admin, network=city["t"].network, school_year=city["year"])


def gaps_url(network: Network, **params: Any) -> str:
    url = reverse("network_gaps", args=[network.slug])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def allocation_url(network: Network) -> str:
    return reverse("network_allocation", args=[network.slug])


def review_url(run: AllocationRun) -> str:
    return reverse("allocation_review", args=[run.network.slug, run.pk])


def item_url(item: AllocationItem) -> str:
    return reverse("allocation_item_update", args=[item.run.network.slug, item.run_id, item.pk])


def settings_url(network: Network) -> str:
    return reverse("network_matching_settings", args=[network.slug])


def optimal_item(run: AllocationRun, need: Any) -> AllocationItem:
    return run.items.get(strategy=Strategy.OPTIMAL, need=need)


def text(response: Any) -> str:
    return response.content.decode()


# --- who may open which page ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_gap_map_is_for_network_wide_readers(city, as_user, persona):
    response = as_user(city["t"].users[persona]).get(gaps_url(city["t"].network))
    assert response.status_code == expected(persona, READERS)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_allocation_pages_are_for_network_admins(city, run, as_user, persona):
    network = city["t"].network
    client = as_user(city["t"].users[persona])
    for url in (allocation_url(network), review_url(run), settings_url(network)):
        assert client.get(url).status_code == expected(persona, ADMINS), url


def test_another_networks_admin_gets_404_everywhere(city, run, t2, as_user):
    client = as_user(t2.users["network_admin"])
    network = city["t"].network
    item = optimal_item(run, city["high"])
    for url in (gaps_url(network), allocation_url(network), review_url(run), settings_url(network)):
        assert client.get(url).status_code == 404, url
    for url in (
        allocation_url(network),
        item_url(item),
        reverse("allocation_accept", args=[network.slug, run.pk]),
        reverse("allocation_discard", args=[network.slug, run.pk]),
        settings_url(network),
    ):
        assert client.post(url, {"school_year": city["year"].pk}).status_code == 404, url
    assert AllocationRun.objects.count() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT


def test_a_run_of_another_network_is_404_under_this_one(city, run, t2, as_user):
    t2_admin = t2.users["network_admin"]
    url = reverse("allocation_review", args=[t2.network.slug, run.pk])
    assert as_user(t2_admin).get(url).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(city, run, client: Client):
    network = city["t"].network
    for url in (gaps_url(network), allocation_url(network), review_url(run), settings_url(network)):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_network_page_links_the_matching_pages_by_role(city, as_user):
    network = city["t"].network
    admin_page = text(as_user(city["t"].users["network_admin"]).get(f"/networks/{network.slug}/"))
    assert gaps_url(network) in admin_page
    assert allocation_url(network) in admin_page
    assert settings_url(network) in admin_page
    evaluator_page = text(as_user(city["t"].users["evaluator"]).get(f"/networks/{network.slug}/"))
    assert gaps_url(network) in evaluator_page
    assert allocation_url(network) not in evaluator_page
    assert settings_url(network) not in evaluator_page


# --- the gap map ---------------------------------------------------------------------------------


def test_the_gap_map_lists_schools_by_need_index_with_their_gaps(city, as_user):
    t = city["t"]
    response = as_user(t.users["evaluator"]).get(gaps_url(t.network))
    page = text(response)
    high, low = t.schools[0], t.schools[1]
    assert page.index(high.name) < page.index(low.name)
    assert "Tutoring" in page and "Mentoring" in page
    assert "Integrated student supports" in page  # the pillar above mentoring
    rows = {r.school_id: r for r in response.context["map"].rows}
    columns = [c.label for c in response.context["map"].columns]
    tutoring, mentoring = columns.index("Tutoring"), columns.index("Mentoring")
    assert rows[high.pk].cells[tutoring].students == 8
    assert rows[high.pk].cells[mentoring].students == 5
    assert rows[low.pk].cells[tutoring].students == 8
    assert rows[low.pk].cells[mentoring].students is None
    assert rows[high.pk].quintile > rows[low.pk].quintile
    # Three of the five schools have no submitted assessment: said, not hidden.
    assert response.context["map"].unassessed == 3
    assert "3 schools have no submitted assessment" in page
    assert f"/schools/{high.pk}/gaps/?year=2027" in page


def test_planned_partnerships_and_drafts_do_not_count_as_gaps(city, as_user):
    t = city["t"]
    PartnershipFactory.create(
        school=t.schools[0],
        school_year=city["year"],
        service=city["tutor"],
        need=city["high"],
        units=3,
        status=PartnershipStatus.PROPOSED,
    )
    draft = need_at(t.schools[2], city["year"], term(t.network, "tutoring"), students=40)
    draft.assessment.status = AssessmentStatus.DRAFT
    draft.assessment.save()
    response = as_user(t.users["network_admin"]).get(gaps_url(t.network))
    rows = {r.school_id: r for r in response.context["map"].rows}
    columns = [c.label for c in response.context["map"].columns]
    assert rows[t.schools[0].pk].cells[columns.index("Tutoring")].students == 5
    assert not rows[t.schools[2].pk].assessed
    assert "40" not in {str(c.students) for c in rows[t.schools[2].pk].cells}


def test_the_gap_map_filters_by_community_and_year(city, as_user):
    t = city["t"]
    client = as_user(t.users["network_admin"])
    other = t.communities[1]
    response = client.get(gaps_url(t.network, community=other.pk))
    assert {r.school_id for r in response.context["map"].rows} == {s.pk for s in t.schools[3:]}
    SchoolYearFactory.create(network=t.network, end_year=2026)
    response = client.get(gaps_url(t.network, year=2026))
    assert response.status_code == 200
    assert response.context["map"].unassessed == 5
    assert client.get(gaps_url(t.network, year=1999)).status_code == 404
    assert client.get(gaps_url(t.network, year="soon")).status_code == 404
    # A community that is not one of the network's is ignored, never a 500.
    assert client.get(gaps_url(t.network, community="x")).status_code == 200


def test_the_gap_map_pages_the_schools(city, as_user, monkeypatch):
    from wraparound.matching import selectors

    t = city["t"]
    client = as_user(t.users["network_admin"])
    monkeypatch.setattr(selectors, "GAP_MAP_PER_PAGE", 2)
    pages = [client.get(gaps_url(t.network, page=n)) for n in (1, 2, 3)]
    shown = [[r.school_id for r in p.context["map"].rows] for p in pages]
    assert [len(s) for s in shown] == [2, 2, 1]
    # Highest need index first; the low-need school comes after those of unknown shares
    # (they take the network's medians).
    assert shown[0][0] == t.schools[0].pk and shown[2] == [t.schools[1].pk]
    assert len({school for page in shown for school in page}) == 5
    assert 'rel="next"' in text(pages[0]) and "Page 1 of 3" in text(pages[0])


def test_the_gap_map_costs_a_bounded_number_of_queries(
    city, as_user, django_assert_max_num_queries
):
    t = city["t"]
    client = as_user(t.users["network_admin"])
    with CaptureQueriesContext(connection) as small:
        client.get(gaps_url(t.network))
    for k in range(12):
        school = SchoolFactory.create(community=t.communities[k % 2])
        need_at(school, city["year"], term(t.network, "tutoring"), students=5 + k)
        NeedFactory.create(
            assessment=school.assessments.get(), category=term(t.network, "counseling")
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(gaps_url(t.network))
    assert len(response.context["map"].rows) == 17
    assert len(small.captured_queries) <= 20


# --- the allocation: running ---------------------------------------------------------------------


def test_the_admin_runs_the_allocation_and_lands_on_its_review(city, admin, as_user):
    network = city["t"].network
    client = as_user(admin)
    page = text(client.get(allocation_url(network)))
    assert "nothing is committed" in page.lower() or "Nothing is committed" in page
    response = client.post(allocation_url(network), {"school_year": city["year"].pk})
    run = AllocationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == review_url(run)
    assert run.created_by == admin and run.status == RunStatus.DRAFT
    assert not Partnership.objects.exists()
    listing = text(client.get(allocation_url(network)))
    assert review_url(run) in listing and "2026-27" in listing


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "network_admin"])
def test_nobody_else_runs_it(city, as_user, persona):
    response = as_user(city["t"].users[persona]).post(
        allocation_url(city["t"].network), {"school_year": city["year"].pk}
    )
    assert response.status_code in (403, 404)
    assert not AllocationRun.objects.exists()


def test_a_year_of_another_network_or_none_is_refused_with_a_message(city, admin, t2, as_user):
    other_year = SchoolYearFactory.create(network=t2.network, end_year=2027)
    client = as_user(admin)
    for data in ({"school_year": other_year.pk}, {"school_year": "x"}, {}):
        response = client.post(allocation_url(city["t"].network), data)
        assert response.status_code == 400
        assert response.context["form"].errors["school_year"]
    assert not AllocationRun.objects.exists()


# --- the allocation: review ----------------------------------------------------------------------


def test_the_review_shows_reasons_unmet_needs_and_the_greedy_plan(city, run, admin, as_user):
    t = city["t"]
    response = as_user(admin).get(review_url(run))
    page = text(response)
    assert response.status_code == 200
    # Optimal beside greedy, and the coverage by quintile.
    assert "Equity-weighted coverage" in page and "Greedy (schools in turn)" in page
    assert "1 (least need)" in page and "5 (most need)" in page
    assert 'id="coverage-chart"' in page and "chart.umd.min.js" in page
    # The reasons of an assignment, in words.
    assert f"Serves {t.communities[0].name}" in page
    assert "places left" in page
    # Unmet needs and why.
    assert "No eligible service in the community" in page
    assert "Capacity taken by higher-weight needs" in page
    # Per school: optimal and greedy.
    plans = {p.school.pk: p for p in response.context["review"].schools}
    high = plans[t.schools[0].pk]
    assert (high.asked, high.optimal, high.greedy) == (13, 8, 8)
    assert high.greedy_items
    assert plans[t.schools[1].pk].optimal == 2
    assert list(plans) == [t.schools[0].pk, t.schools[1].pk]  # highest need index first
    assert "Accept the plan" in page and "Discard it" in page


def test_an_empty_plan_says_why(t1, as_user):
    year = SchoolYearFactory.create(network=t1.network, end_year=2027)
    admin = t1.users["network_admin"]
    run = allocation_run_create(actor=admin, network=t1.network, school_year=year)
    page = text(as_user(admin).get(review_url(run)))
    assert "No school has a submitted assessment with open needs for this year." in page


def test_no_services_says_why(city, as_user):
    t = city["t"]
    city["tutor"].capacities.update(available=0)
    run = allocation_run_create(
        actor=t.users["network_admin"], network=t.network, school_year=city["year"]
    )
    page = text(as_user(t.users["network_admin"]).get(review_url(run)))
    assert "No service has capacity left." in page


def test_the_review_costs_a_bounded_number_of_queries(
    city, admin, as_user, django_assert_max_num_queries
):
    t = city["t"]
    client = as_user(admin)
    first = allocation_run_create(actor=admin, network=t.network, school_year=city["year"])
    with CaptureQueriesContext(connection) as small:
        client.get(review_url(first))
    tutoring = term(t.network, "tutoring")
    for _ in range(10):
        school = SchoolFactory.create(community=t.communities[0])
        need_at(school, city["year"], tutoring, students=3)
        service_for(t.network, t.communities[0], tutoring, capacity=2)
    bigger = allocation_run_create(actor=admin, network=t.network, school_year=city["year"])
    assert bigger.items.filter(strategy=Strategy.OPTIMAL).count() > 5
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(review_url(bigger))
    assert len(response.context["review"].schools) == 12
    assert len(small.captured_queries) <= 35


# --- the allocation: editing ---------------------------------------------------------------------


def test_the_admin_edits_units_with_a_plain_post(city, run, admin, as_user):
    client = as_user(admin)
    high = optimal_item(run, city["high"])
    response = client.post(item_url(high), {f"item-{high.pk}-units": "6", "page": "1"})
    assert response.status_code == 302
    school_id = city["t"].schools[0].pk
    assert response["Location"] == f"{review_url(run)}#school-{school_id}"
    high.refresh_from_db()
    assert high.units == 6 and high.kept and high.proposed_units == 8
    page = text(client.get(review_url(run)))
    assert "The solver proposed 8." in page
    assert AuditEvent.objects.filter(action="allocation.edit").count() == 1


def test_units_above_the_limit_are_refused_beside_the_row_and_nothing_is_saved(
    city, run, admin, as_user
):
    client = as_user(admin)
    low = optimal_item(run, city["low"])
    response = client.post(item_url(low), {f"item-{low.pk}-units": "5"})
    assert response.status_code == 400
    page = text(response)
    assert "At most 2" in page
    assert f'id="id_item-{low.pk}-units" value="5"' in page  # what was typed is kept
    low.refresh_from_db()
    assert low.units == 2
    assert not AuditEvent.objects.filter(action="allocation.edit").exists()
    for bad in ("", "-1", "many"):
        response = client.post(item_url(low), {f"item-{low.pk}-units": bad})
        assert response.status_code == 400, bad
    low.refresh_from_db()
    assert low.units == 2


def test_htmx_edits_answer_the_schools_section(city, run, admin, as_user):
    client = as_user(admin)
    low = optimal_item(run, city["low"])
    headers = {"HX-Request": "true"}
    response = client.post(item_url(low), {f"item-{low.pk}-units": "9"}, headers=headers)
    assert response.status_code == 400
    page = text(response)
    assert "At most 2" in page and "<html" not in page
    assert f'id="school-{city["t"].schools[1].pk}"' in page
    response = client.post(
        item_url(low),
        {f"item-{low.pk}-units": "2", f"item-{low.pk}-leave_out": "on"},
        headers=headers,
    )
    assert response.status_code == 200
    assert "Assignment saved." in text(response)
    low.refresh_from_db()
    assert not low.kept
    assert f'id="id_item-{low.pk}-leave_out" checked' in text(response)
    # And back in.
    response = client.post(item_url(low), {f"item-{low.pk}-units": "1"}, headers=headers)
    low.refresh_from_db()
    assert response.status_code == 200 and low.kept and low.units == 1


def test_only_the_optimal_plans_items_of_this_run_are_edited(city, run, admin, as_user):
    client = as_user(admin)
    greedy = run.items.filter(strategy=Strategy.GREEDY).first()
    assert greedy is not None
    url = reverse("allocation_item_update", args=[run.network.slug, run.pk, greedy.pk])
    assert client.post(url, {f"item-{greedy.pk}-units": "1"}).status_code == 404
    assert client.get(item_url(optimal_item(run, city["high"]))).status_code == 405


@pytest.mark.parametrize("persona", ["evaluator", "coordinator", "principal", "partner_admin"])
def test_nobody_else_edits(city, run, as_user, persona):
    high = optimal_item(run, city["high"])
    response = as_user(city["t"].users[persona]).post(
        item_url(high), {f"item-{high.pk}-units": "1"}
    )
    assert response.status_code == 403
    high.refresh_from_db()
    assert high.units == 8


# --- the allocation: accepting and discarding -------------------------------------------------


def test_accepting_proposes_partnerships_and_links_them(city, run, admin, as_user):
    client = as_user(admin)
    response = client.post(reverse("allocation_accept", args=[run.network.slug, run.pk]))
    assert response.status_code == 302 and response["Location"] == review_url(run)
    partnerships = Partnership.objects.filter(allocation_run=run)
    assert partnerships.count() == 2
    assert {p.status for p in partnerships} == {PartnershipStatus.PROPOSED}
    assert {p.source for p in partnerships} == {PartnershipSource.ALLOCATION}
    run.refresh_from_db()
    assert run.status == RunStatus.ACCEPTED
    page = text(client.get(review_url(run)))
    assert "2 partnerships were proposed, for 10 students." in page
    for school in city["t"].schools[:2]:
        assert reverse("school_partnerships", args=[school.pk]) in page
    assert "Accept the plan" not in page
    assert 'type="number"' not in page  # an accepted plan is no longer edited
    # Twice is refused with the reason, never a 500.
    again = client.post(reverse("allocation_accept", args=[run.network.slug, run.pk]))
    assert again.status_code == 400 and "already" in text(again)
    assert Partnership.objects.filter(allocation_run=run).count() == 2


def test_accepting_a_plan_that_no_longer_fits_lists_the_problems(city, run, admin, as_user):
    PartnershipFactory.create(
        school=city["t"].schools[2],
        school_year=city["year"],
        service=city["tutor"],
        units=5,
        status=PartnershipStatus.ACTIVE,
    )
    response = as_user(admin).post(reverse("allocation_accept", args=[run.network.slug, run.pk]))
    assert response.status_code == 400
    page = text(response)
    assert "The plan was not accepted" in page and "places left" in page
    assert not Partnership.objects.filter(allocation_run=run).exists()
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT


def test_the_admin_discards_a_run(city, run, admin, as_user):
    client = as_user(admin)
    assert (
        as_user(city["t"].users["evaluator"])
        .post(reverse("allocation_discard", args=[run.network.slug, run.pk]))
        .status_code
        == 403
    )
    client = as_user(admin)
    response = client.post(reverse("allocation_discard", args=[run.network.slug, run.pk]))
    assert response.status_code == 302 and response["Location"] == allocation_url(run.network)
    run.refresh_from_db()
    assert run.status == RunStatus.DISCARDED
    page = text(client.get(review_url(run)))
    assert "nothing was proposed" in page and "Accept the plan" not in page
    # Discarding again: the reason, on the review.
    response = client.post(
        reverse("allocation_discard", args=[run.network.slug, run.pk]), follow=True
    )
    assert response.status_code == 200 and "already" in text(response)


@pytest.mark.parametrize("persona", ["evaluator", "network_supervisor", "coordinator"])
def test_nobody_else_accepts(city, run, as_user, persona):
    response = as_user(city["t"].users[persona]).post(
        reverse("allocation_accept", args=[run.network.slug, run.pk])
    )
    assert response.status_code == 403
    assert not Partnership.objects.exists()


# --- the matching settings -----------------------------------------------------------------------


def weights_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "economically_disadvantaged": "1",
        "english_learners": "0",
        "students_with_disabilities": "0",
        "chronic_absenteeism": "0",
        "distance_km": "5.5",
    }
    data.update(overrides)
    return data


def test_the_admin_saves_the_weights_and_the_distance(city, admin, as_user):
    network = city["t"].network
    client = as_user(admin)
    page = text(client.get(settings_url(network)))
    assert city["t"].schools[0].name in page  # the preview: top schools by need index
    response = client.post(settings_url(network), weights_data())
    assert response.status_code == 302
    network.refresh_from_db()
    assert network.need_index_weights == {
        "economically_disadvantaged": 1.0,
        "english_learners": 0.0,
        "students_with_disabilities": 0.0,
        "chronic_absenteeism": 0.0,
    }
    assert network.match_distance_km == Decimal("5.5")
    event = AuditEvent.objects.get(action="network.matching_settings")
    assert event.data["after"]["distance_km"] == "5.5"
    # The preview follows the saved weights: economically disadvantaged share alone.
    preview = client.get(settings_url(network)).context["preview"]
    assert preview[0].school == city["t"].schools[0]
    assert preview[0].index == pytest.approx(0.95)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"economically_disadvantaged": "0"}, "at least one share a weight above 0"),
        ({"english_learners": "-1"}, "greater than or equal to 0"),
        ({"chronic_absenteeism": "lots"}, "Enter a number"),
        ({"distance_km": "150"}, "less than or equal to 100"),
        ({"distance_km": ""}, "required"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_saved(city, admin, as_user, overrides, message):
    network = city["t"].network
    before = (network.need_index_weights, network.match_distance_km)
    response = as_user(admin).post(settings_url(network), weights_data(**overrides))
    assert response.status_code == 400
    assert message in text(response)
    network.refresh_from_db()
    assert (network.need_index_weights, network.match_distance_km) == before
    assert not AuditEvent.objects.filter(action="network.matching_settings").exists()


@pytest.mark.parametrize("persona", ["evaluator", "network_supervisor", "principal"])
def test_nobody_else_changes_the_settings(city, as_user, persona):
    network = city["t"].network
    response = as_user(city["t"].users[persona]).post(settings_url(network), weights_data())
    assert response.status_code == 403
    network.refresh_from_db()
    assert network.match_distance_km == Decimal("3.0")


def test_the_settings_service_validates_on_its_own(city, admin):
    from django.core.exceptions import PermissionDenied, ValidationError

    from wraparound.matching.services import network_matching_update

    network = city["t"].network
    with pytest.raises(ValidationError) as refused:
        network_matching_update(
            actor=admin,
            network=network,
            weights={"economically_disadvantaged": float("nan"), "shoe_size": 1},
            distance_km="2.25",
        )
    assert set(refused.value.message_dict) == {
        "weights",
        "economically_disadvantaged",
        "distance_km",
    }
    with pytest.raises(PermissionDenied):
        network_matching_update(
            actor=city["t"].users["evaluator"],
            network=network,
            weights={"economically_disadvantaged": 1},
            distance_km="2",
        )
    network_matching_update(
        actor=admin, network=network, weights={"english_learners": 2}, distance_km=Decimal("0")
    )
    network.refresh_from_db()
    assert network.need_index_weights["english_learners"] == 2.0
    assert network.need_index_weights["economically_disadvantaged"] == 0.0
    assert network.match_distance_km == Decimal("0.0")
