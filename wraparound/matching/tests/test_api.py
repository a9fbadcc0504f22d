"""The matching API (/api/v1/): a school's gaps, one need's recommendations and the network
allocation runs, for every role (as the HTML pages: 200, 403, 404), other tenants (404),
anonymous callers (401), bad input (400 with the field and the words, nothing written) and a
bounded number of queries on the lists."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wraparound.agreements.models import Partnership, PartnershipSource, PartnershipStatus
from wraparound.assessments.models import AssessmentStatus
from wraparound.assessments.tests.factories import (
    AssetFactory,
    NeedFactory,
    PartnershipFactory,
    SchoolYearFactory,
)
from wraparound.core import services as core_services
from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.models import ServiceStatus
from wraparound.matching.models import AllocationRun, RunStatus, Strategy
from wraparound.matching.services import allocation_run_create
from wraparound.matching.tests.conftest import need_at, service_for, term

# Who reads a school's gaps and recommendations: as the school's gaps page.
READERS = {
    "network_admin",
    "evaluator",
    "coordinator",
    "staff",
    "supervisor",
    "network_supervisor",
    "principal",
}


def bearer(user: Any) -> Client:
    _token, raw = core_services.api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def as_member(persona: str) -> int:
    """The allocation's answer to a persona of the network (as the allocation page)."""
    if persona == "network_admin":
        return 200
    return 404 if persona == "outsider" else 403


def problems(response: Any) -> dict[str | None, str]:
    """A 400's errors by field."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "The request is not valid."
    return {e["field"]: e["message"] for e in body["errors"]}


def gaps_path(school: Any) -> str:
    return f"/api/v1/schools/{school.pk}/gaps"


def recs_path(need: Any) -> str:
    return f"/api/v1/needs/{need.pk}/recommendations"


@pytest.fixture
def admin(city: dict[str, Any]) -> Any:
    return city["t"].users["network_admin"]


@pytest.fixture
def run(city: dict[str, Any], admin: Any) -> AllocationRun:
    return allocation_run_create(actor=admin, network=city["t"].network, school_year=city["year"])


# --- a school's gaps ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_a_schools_gaps(city: dict[str, Any], persona: str) -> None:
    response = bearer(city["t"].users[persona]).get(gaps_path(city["t"].schools[0]))
    if persona in READERS:
        assert response.status_code == 200
        assert len(response.json()["needs"]) == 2
    else:
        assert response.status_code == 404


def test_gaps_of_another_tenant_or_another_school_are_404(city: dict[str, Any], t2: Any) -> None:
    assert bearer(t2.users["network_admin"]).get(gaps_path(city["t"].schools[0])).status_code == (
        404
    )
    # The coordinator's schools are schools[0] and schools[1].
    coordinator = bearer(city["t"].users["coordinator"])
    assert coordinator.get(gaps_path(city["t"].schools[3])).status_code == 404
    assert coordinator.get(gaps_path(t2.schools[0])).status_code == 404


def test_the_gap_arithmetic_per_need(city: dict[str, Any]) -> None:
    t, year, high = city["t"], city["year"], city["high"]
    tutoring = term(t.network, "tutoring")
    AssetFactory.create(assessment=high.assessment, category=tutoring, students=2)
    PartnershipFactory.create(
        school=t.schools[0],
        school_year=year,
        service=city["tutor"],
        need=high,
        units=3,
        status=PartnershipStatus.ACTIVE,
    )
    other = service_for(t.network, t.communities[0], tutoring, capacity=5)
    PartnershipFactory.create(
        school=t.schools[0],
        school_year=year,
        service=other,
        need=high,
        units=1,
        status=PartnershipStatus.PROPOSED,
    )
    body = bearer(t.users["principal"]).get(gaps_path(t.schools[0]), {"year": 2027}).json()
    assert body["school_id"] == t.schools[0].pk
    assert body["school_year"] == {"end_year": 2027, "label": "2026-27"}
    assert body["assessment"]["status"] == AssessmentStatus.SUBMITTED
    needs = {n["id"]: n for n in body["needs"]}
    assert [n["id"] for n in body["needs"]] == [high.pk, city["mentoring"].pk]  # most severe first
    tutor_need = needs[high.pk]
    assert tutor_need["category"] == {"id": tutoring.pk, "code": "tutoring", "name": "Tutoring"}
    assert (tutor_need["severity"], tutor_need["tier"]) == (4, high.tier)
    # 8 students − 2 assets − 3 active = 3 open; 1 proposed; 2 unplanned.
    assert {k: tutor_need[k] for k in ("students", "assets", "active", "proposed")} == {
        "students": 8,
        "assets": 2,
        "active": 3,
        "proposed": 1,
    }
    assert (tutor_need["gap"], tutor_need["unplanned"]) == (3, 2)
    assert needs[city["mentoring"].pk]["gap"] == 5
    assert body["totals"] == {
        "students": 13,
        "assets": 2,
        "active": 3,
        "proposed": 1,
        "gap": 8,
        "unplanned": 7,
    }


def test_gaps_without_assessment_or_year(city: dict[str, Any], t1: Any) -> None:
    SchoolYearFactory.create(network=t1.network, end_year=2026)
    client = bearer(t1.users["network_admin"])
    body = client.get(gaps_path(t1.schools[2]), {"year": 2027}).json()
    assert body["assessment"] is None and body["needs"] == []
    assert body["totals"]["gap"] == 0
    # Without ?year, the current year, else the latest (as the page).
    assert client.get(gaps_path(t1.schools[0])).json()["school_year"]["end_year"] == 2027


def test_gaps_of_a_network_without_school_years(t1: Any) -> None:
    body = bearer(t1.users["coordinator"]).get(gaps_path(t1.schools[0])).json()
    assert body["school_year"] is None and body["needs"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"year": 1999}, "year"), ({"year": 2101}, "year"), ({"year": "abc"}, "year")],
)
def test_gaps_bad_year_is_400(city: dict[str, Any], params: dict[str, Any], field: str) -> None:
    response = bearer(city["t"].users["coordinator"]).get(gaps_path(city["t"].schools[0]), params)
    assert field in problems(response)


def test_gaps_of_a_year_the_network_does_not_have_is_404(city: dict[str, Any]) -> None:
    response = bearer(city["t"].users["coordinator"]).get(
        gaps_path(city["t"].schools[0]), {"year": 2030}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("school_id", ["abc", "0", str(2**70)])
def test_gaps_bad_school_id_is_400(city: dict[str, Any], school_id: str) -> None:
    response = bearer(city["t"].users["coordinator"]).get(f"/api/v1/schools/{school_id}/gaps")
    assert response.status_code == 400


def test_gaps_cost_a_bounded_number_of_queries(
    city: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    t = city["t"]
    client = bearer(t.users["coordinator"])
    client.get(gaps_path(t.schools[0]))
    with CaptureQueriesContext(connection) as few:
        client.get(gaps_path(t.schools[0]))
    for code in ("literacy", "arts", "sports", "stem", "food", "housing", "counseling"):
        NeedFactory.create(assessment=city["high"].assessment, category=term(t.network, code))
        AssetFactory.create(assessment=city["high"].assessment, category=term(t.network, code))
    with django_assert_max_num_queries(len(few)):
        body = client.get(gaps_path(t.schools[0])).json()
    assert len(body["needs"]) == 9
    assert len(few) <= 12


# --- one need's recommendations ------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_a_needs_recommendations(city: dict[str, Any], persona: str) -> None:
    response = bearer(city["t"].users[persona]).get(recs_path(city["high"]))
    if persona in READERS:
        assert response.status_code == 200
        assert [r["service"]["id"] for r in response.json()["eligible"]] == [city["tutor"].pk]
    else:
        assert response.status_code == 404


def test_recommendations_of_another_tenant_or_school_are_404(city: dict[str, Any], t2: Any) -> None:
    assert bearer(t2.users["network_admin"]).get(recs_path(city["high"])).status_code == 404
    elsewhere = need_at(
        city["t"].schools[3], city["year"], term(city["t"].network, "tutoring"), students=4
    )
    assert bearer(city["t"].users["coordinator"]).get(recs_path(elsewhere)).status_code == 404
    assert bearer(city["t"].users["principal"]).get(recs_path(city["low"])).status_code == 404


def test_recommendations_with_score_reasons_and_the_excluded(city: dict[str, Any]) -> None:
    t = city["t"]
    tutoring = term(t.network, "tutoring")
    service_for(
        t.network, t.communities[0], tutoring, name="Closed club", status=ServiceStatus.INACTIVE
    )
    # Serves the other community, no location, not virtual: out of reach, counted only.
    service_for(t.network, t.communities[1], tutoring, name="Far tutors")
    client = bearer(t.users["coordinator"])
    body = client.get(recs_path(city["high"])).json()
    assert body["need"] == {
        "id": city["high"].pk,
        "school_id": t.schools[0].pk,
        "school_year": 2027,
        "category": {"id": tutoring.pk, "code": "tutoring", "name": "Tutoring"},
        "severity": 4,
        "students": 8,
        "gap": 8,
        "unplanned": 8,
    }
    [best] = body["eligible"]
    tutor = city["tutor"]
    assert best["service"] == {
        "id": tutor.pk,
        "name": tutor.name,
        "organization_id": tutor.organization_id,
        "organization_name": tutor.organization.name,
    }
    assert 0 < best["score"] <= 1
    assert f"Serves {t.communities[0].name}" in best["reasons"]
    assert "10 places left" in best["reasons"]
    assert (best["capacity_left"], best["sustained"], best["distance_km"]) == (10, False, None)
    assert body["excluded_count"] == 1 and body["excluded"] is None
    assert body["out_of_reach"] == 1
    body = client.get(recs_path(city["high"]), {"excluded": "true"}).json()
    [left_out] = body["excluded"]
    assert left_out["service"]["name"] == "Closed club"
    assert left_out["codes"] == ["active"]
    assert left_out["failed"] == [{"code": "active", "why": "The service is not active."}]


def test_recommendations_of_a_need_with_no_service(city: dict[str, Any]) -> None:
    body = bearer(city["t"].users["staff"]).get(recs_path(city["mentoring"])).json()
    assert body["eligible"] == [] and body["excluded_count"] == 0


def test_recommendations_limit(city: dict[str, Any]) -> None:
    t = city["t"]
    for n in range(4):
        service_for(t.network, t.communities[0], term(t.network, "tutoring"), name=f"Extra {n}")
    client = bearer(t.users["coordinator"])
    assert len(client.get(recs_path(city["high"])).json()["eligible"]) == 5
    assert len(client.get(recs_path(city["high"]), {"limit": 2}).json()["eligible"]) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"excluded": "perhaps"}, "excluded"),
    ],
)
def test_recommendations_bad_input_is_400(
    city: dict[str, Any], params: dict[str, Any], field: str
) -> None:
    response = bearer(city["t"].users["coordinator"]).get(recs_path(city["high"]), params)
    assert field in problems(response)


def test_recommendations_of_an_unknown_need_is_404_and_a_bad_id_400(city: dict[str, Any]) -> None:
    client = bearer(city["t"].users["network_admin"])
    assert client.get("/api/v1/needs/999999/recommendations").status_code == 404
    assert client.get(f"/api/v1/needs/{2**70}/recommendations").status_code == 400


def test_recommendations_cost_a_bounded_number_of_queries(
    city: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    t = city["t"]
    client = bearer(t.users["coordinator"])
    client.get(recs_path(city["high"]), {"excluded": "true"})
    with CaptureQueriesContext(connection) as few:
        client.get(recs_path(city["high"]), {"excluded": "true"})
    for n in range(8):
        service_for(t.network, t.communities[0], term(t.network, "tutoring"), name=f"More {n}")
    with django_assert_max_num_queries(len(few)):
        body = client.get(recs_path(city["high"]), {"excluded": "true"}).json()
    assert len(body["eligible"]) == 9


# --- allocation runs: who ------------------------------------------------------------------


def runs_path(network: Any) -> str:
    return f"/api/v1/networks/{network.slug}/allocation-runs"


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_the_allocation_runs(city: dict[str, Any], run: Any, persona: str) -> None:
    client = bearer(city["t"].users[persona])
    listing = client.get(runs_path(city["t"].network))
    detail = client.get(f"/api/v1/allocation-runs/{run.pk}")
    assert listing.status_code == detail.status_code == as_member(persona)
    if persona == "network_admin":
        assert [r["id"] for r in listing.json()["items"]] == [run.pk]
        assert detail.json()["id"] == run.pk


def test_another_networks_admin_gets_404_on_every_run_endpoint(
    city: dict[str, Any], run: Any, t2: Any
) -> None:
    client = bearer(t2.users["network_admin"])
    assert client.get(runs_path(city["t"].network)).status_code == 404
    assert client.post(
        runs_path(city["t"].network), {"year": 2027}, "application/json"
    ).status_code == (404)
    for suffix in ("", "/accept", "/discard"):
        method = client.get if not suffix else client.post
        assert method(f"/api/v1/allocation-runs/{run.pk}{suffix}").status_code == 404, suffix
    assert AllocationRun.objects.count() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT and not Partnership.objects.exists()


def test_a_members_403_says_nothing_of_which_runs_exist(city: dict[str, Any]) -> None:
    client = bearer(city["t"].users["evaluator"])
    assert client.get("/api/v1/allocation-runs/999999").status_code == 403


def test_an_unknown_run_is_404_for_an_admin(city: dict[str, Any], admin: Any) -> None:
    assert bearer(admin).get("/api/v1/allocation-runs/999999").status_code == 404
    assert bearer(admin).get("/api/v1/networks/nowhere/allocation-runs").status_code == 404


def test_the_run_summary(city: dict[str, Any], run: Any, admin: Any) -> None:
    body = bearer(admin).get(f"/api/v1/allocation-runs/{run.pk}").json()
    assert body["status"] == "draft" and body["status_label"] == "under review"
    assert body["school_year"] == {"end_year": 2027, "label": "2026-27"}
    assert body["objective"] == pytest.approx(run.objective)
    assert body["objective"] >= body["greedy_objective"]
    assert set(body["stats"]) >= {"optimal", "greedy"}
    # The review page's figures: high gets 8, low 2 of the tutor's 10; mentoring is unmet.
    assert body["counts"] == {
        "assignments": 2,
        "kept": 2,
        "kept_units": 10,
        "greedy_assignments": run.items.filter(strategy=Strategy.GREEDY).count(),
        "unmet": 2,
        "unmet_units": 11,
        "partnerships": 0,
    }


def test_the_runs_list_is_paginated_in_a_bounded_number_of_queries(
    city: dict[str, Any], admin: Any, django_assert_max_num_queries: Any
) -> None:
    t = city["t"]
    client = bearer(admin)
    allocation_run_create(actor=admin, network=t.network, school_year=city["year"])
    client.get(runs_path(t.network))
    with CaptureQueriesContext(connection) as few:
        client.get(runs_path(t.network))
    other_year = SchoolYearFactory.create(network=t.network, end_year=2026)
    for n in range(30):
        allocation_run_create(
            actor=admin, network=t.network, school_year=other_year if n % 2 else city["year"]
        )
    with django_assert_max_num_queries(len(few)):
        body = client.get(runs_path(t.network)).json()
    assert body["count"] == 31 and len(body["items"]) == 25
    second = client.get(runs_path(t.network), {"page": 2}).json()
    assert len(second["items"]) == 6
    newest = AllocationRun.objects.order_by("-created_at", "-pk").first()
    assert newest is not None and body["items"][0]["id"] == newest.pk
    assert len(few) <= 8


# --- allocation runs: start, accept, discard -------------------------------------------------


def test_the_admin_starts_a_run(city: dict[str, Any], admin: Any) -> None:
    response = bearer(admin).post(runs_path(city["t"].network), {"year": 2027}, "application/json")
    assert response.status_code == 202
    run = AllocationRun.objects.get()
    body = response.json()
    assert body["id"] == run.pk and body["status"] == RunStatus.DRAFT  # inline in the tests
    assert body["counts"]["assignments"] == 2
    assert run.created_by == admin
    assert not Partnership.objects.exists()  # nothing is proposed until accepted
    assert AuditEvent.objects.filter(action="allocation.start").count() == 1


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "network_admin"])
def test_nobody_else_starts_a_run(city: dict[str, Any], persona: str) -> None:
    response = bearer(city["t"].users[persona]).post(
        runs_path(city["t"].network), {"year": 2027}, "application/json"
    )
    assert response.status_code == as_member(persona)
    assert not AllocationRun.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"year": 2030}, "year", "Choose a school year of this network."),
        ({"year": 1999}, "year", "greater than or equal to 2000"),
        ({"year": "soon"}, "year", "valid integer"),
        ({}, "year", "required"),
    ],
)
def test_starting_with_a_bad_year_is_400_and_writes_nothing(
    city: dict[str, Any], admin: Any, body: dict[str, Any], field: str, words: str
) -> None:
    client = bearer(admin)
    events = AuditEvent.objects.count()
    response = client.post(runs_path(city["t"].network), body, "application/json")
    assert words in problems(response)[field]
    assert not AllocationRun.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_year_of_another_network_is_not_this_networks(
    city: dict[str, Any], admin: Any, t2: Any
) -> None:
    SchoolYearFactory.create(network=t2.network, end_year=2031)
    response = bearer(admin).post(runs_path(city["t"].network), {"year": 2031}, "application/json")
    assert problems(response)["year"] == "Choose a school year of this network."
    assert not AllocationRun.objects.exists()


def test_one_run_at_a_time(city: dict[str, Any], admin: Any) -> None:
    AllocationRun.objects.create(
        network=city["t"].network, school_year=city["year"], status=RunStatus.RUNNING
    )
    response = bearer(admin).post(runs_path(city["t"].network), {"year": 2027}, "application/json")
    assert "already running" in problems(response)["__all__"]
    assert AllocationRun.objects.count() == 1


def test_a_bad_slug_is_400(city: dict[str, Any], admin: Any) -> None:
    assert bearer(admin).get("/api/v1/networks/no%20such/allocation-runs").status_code == 400


def test_accepting_proposes_the_partnerships(city: dict[str, Any], run: Any, admin: Any) -> None:
    client = bearer(admin)
    response = client.post(f"/api/v1/allocation-runs/{run.pk}/accept")
    assert response.status_code == 200
    body = response.json()
    made = Partnership.objects.filter(allocation_run=run)
    assert body["partnerships"] == 2 and body["units"] == 10
    assert sorted(body["partnership_ids"]) == sorted(made.values_list("pk", flat=True))
    assert {(p.status, p.source) for p in made} == {
        (PartnershipStatus.PROPOSED, PartnershipSource.ALLOCATION)
    }
    assert body["run"]["status"] == RunStatus.ACCEPTED
    assert body["run"]["counts"]["partnerships"] == 2
    # Twice: a 400 with the reason, nothing more written.
    again = client.post(f"/api/v1/allocation-runs/{run.pk}/accept")
    assert "already accepted" in problems(again)["__all__"]
    assert made.count() == 2


def test_accepting_a_plan_that_no_longer_fits_is_400_and_writes_nothing(
    city: dict[str, Any], run: Any, admin: Any
) -> None:
    PartnershipFactory.create(
        school=city["t"].schools[2],
        school_year=city["year"],
        service=city["tutor"],
        units=5,
        status=PartnershipStatus.ACTIVE,
    )
    response = bearer(admin).post(f"/api/v1/allocation-runs/{run.pk}/accept")
    assert "places left" in problems(response)["__all__"]
    assert not Partnership.objects.filter(allocation_run=run).exists()
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "network_admin"])
def test_nobody_else_accepts_or_discards(city: dict[str, Any], run: Any, persona: str) -> None:
    client = bearer(city["t"].users[persona])
    for action in ("accept", "discard"):
        response = client.post(f"/api/v1/allocation-runs/{run.pk}/{action}")
        assert response.status_code == as_member(persona), action
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT and not Partnership.objects.exists()


def test_the_admin_discards_a_run(city: dict[str, Any], run: Any, admin: Any) -> None:
    client = bearer(admin)
    response = client.post(f"/api/v1/allocation-runs/{run.pk}/discard")
    assert response.status_code == 200
    assert response.json()["status"] == RunStatus.DISCARDED
    run.refresh_from_db()
    assert run.status == RunStatus.DISCARDED and run.decided_by == admin
    assert (
        "already discarded"
        in problems(client.post(f"/api/v1/allocation-runs/{run.pk}/discard"))["__all__"]
    )
    assert (
        "already discarded"
        in problems(client.post(f"/api/v1/allocation-runs/{run.pk}/accept"))["__all__"]
    )
    assert not Partnership.objects.exists()


def test_an_empty_run_says_why(t1: Any) -> None:
    SchoolYearFactory.create(network=t1.network, end_year=2027)
    response = bearer(t1.users["network_admin"]).post(
        runs_path(t1.network), {"year": 2027}, "application/json"
    )
    assert response.status_code == 202
    assert response.json()["stats"]["empty_reason"] == "no_needs"
    assert response.json()["counts"]["assignments"] == 0


# --- anonymous -----------------------------------------------------------------------------


def test_every_matching_endpoint_needs_authentication(
    client: Client, city: dict[str, Any], run: Any
) -> None:
    t = city["t"]
    for path in (
        gaps_path(t.schools[0]),
        recs_path(city["high"]),
        runs_path(t.network),
        f"/api/v1/allocation-runs/{run.pk}",
    ):
        response = client.get(path)
        assert response.status_code == 401, path
        assert "Bearer" in response.json()["detail"]
    for path in (
        runs_path(t.network),
        f"/api/v1/allocation-runs/{run.pk}/accept",
        f"/api/v1/allocation-runs/{run.pk}/discard",
    ):
        assert client.post(path, {"year": 2027}, "application/json").status_code == 401, path
    assert AllocationRun.objects.count() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT


def test_the_api_guide_and_the_openapi_list_the_matching_endpoints(
    t1: Any, client: Client, as_user: Any
) -> None:
    paths = {
        "/api/v1/schools/{school_id}/gaps",
        "/api/v1/needs/{need_id}/recommendations",
        "/api/v1/networks/{slug}/allocation-runs",
        "/api/v1/allocation-runs/{run_id}",
        "/api/v1/allocation-runs/{run_id}/accept",
        "/api/v1/allocation-runs/{run_id}/discard",
    }
    assert paths <= set(client.get("/api/v1/openapi.json").json()["paths"])
    page = as_user(t1.users["coordinator"]).get(reverse("api_guide")).content.decode()
    for path in paths:
        assert f"<code>{path}</code>" in page
