"""The initiatives API: every persona of both networks on every endpoint, the same gap
computation as the page, bad input a 400 with a clear message, conflicts a 409."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from wraparound.core import services as core_services
from wraparound.core.tests.personas import PERSONAS
from wraparound.initiatives.models import Initiative, SchoolPlan

from .test_views import NETWORK_WIDE, PLAN_EDITORS, READERS
from .world import arts_initiative

pytestmark = pytest.mark.django_db


def bearer(user: Any) -> Client:
    _token, raw = core_services.api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def world(t1: Any, t2: Any) -> Any:
    return t1, t2, arts_initiative(t1), arts_initiative(t2, name="South arts")


def _put(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.put(path, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_what(world: Any, persona: str) -> None:
    t1, _t2, mine, theirs = world
    client = bearer(t1.users[persona])
    listed = client.get("/api/v1/initiatives")
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()] == ([mine.pk] if persona in READERS else [])
    for path in (
        f"/api/v1/initiatives/{mine.pk}",
        f"/api/v1/initiatives/{mine.pk}/feeder-patterns",
    ):
        assert client.get(path).status_code == (200 if persona in READERS else 404), path
    for path in (
        f"/api/v1/initiatives/{theirs.pk}",
        f"/api/v1/initiatives/{theirs.pk}/feeder-patterns",
    ):
        assert client.get(path).status_code == 404, path
    if persona in READERS:
        detail = client.get(f"/api/v1/initiatives/{mine.pk}").json()
        schools = {p["school_id"] for p in detail["plans"]}
        expected = (
            {t1.schools[0].pk, t1.schools[3].pk} if persona in NETWORK_WIDE else {t1.schools[0].pk}
        )
        assert schools == expected


def test_anonymous_is_401(world: Any) -> None:
    _t1, _t2, mine, _theirs = world
    assert Client().get("/api/v1/initiatives").status_code == 401
    assert Client().get(f"/api/v1/initiatives/{mine.pk}/feeder-patterns").status_code == 401


def test_feeder_patterns_name_the_gaps(world: Any) -> None:
    t1, _t2, mine, _theirs = world
    body = (
        bearer(t1.users["network_admin"])
        .get(f"/api/v1/initiatives/{mine.pk}/feeder-patterns")
        .json()
    )
    assert body["target_grades"][0] == "TK" and body["target_grades"][-1] == "12"
    by_top = {p["top_school_id"]: p for p in body["patterns"]}
    pattern = by_top[t1.schools[3].pk]
    assert pattern["first_break"]["text"] == f"Grades K–5 at {t1.schools[1].name}: no plan"
    assert [g["text"] for g in pattern["gaps"]] == [
        f"Grades K–5 at {t1.schools[1].name}: no plan",
        "Grades 6–8 at North Network Middle: no plan",
    ]
    # K-5 twice, 6-8 and 9-12: 6 + 6 + 3 + 4 pairs; school 0 (K-5) and the high school reached.
    assert (pattern["reached"], pattern["total"], pattern["coverage_percent"]) == (10, 19, 53)
    grade_6 = next(g for g in pattern["grades"] if g["grade"] == "06")
    assert grade_6["status"] == "gap"
    lone = by_top[t1.schools[4].pk]
    assert lone["coverage_percent"] == 0
    # a school role sees only the pattern its school is in
    staff = bearer(t1.users["staff"]).get(f"/api/v1/initiatives/{mine.pk}/feeder-patterns")
    assert [p["top_school_id"] for p in staff.json()["patterns"]] == [t1.schools[3].pk]


@pytest.mark.parametrize("persona", PERSONAS)
def test_create_initiative(world: Any, persona: str) -> None:
    t1, t2, _mine, _theirs = world
    client = bearer(t1.users[persona])
    body = {"network": t1.network.slug, "name": "SEL", "kind": "sel", "start_year": 2027}
    response = client.post("/api/v1/initiatives", json.dumps(body), content_type="application/json")
    if persona == "network_admin":
        assert response.status_code == 201
        assert response.json()["name"] == "SEL"
    else:
        assert response.status_code == (404 if persona == "outsider" else 403)
    other = {**body, "network": t2.network.slug}
    response = client.post(
        "/api/v1/initiatives", json.dumps(other), content_type="application/json"
    )
    assert response.status_code == 404
    assert Initiative.objects.filter(name="SEL").count() == (persona == "network_admin")


def test_create_initiative_bad_input(world: Any) -> None:
    t1 = world[0]
    client = bearer(t1.users["network_admin"])
    body = {
        "network": t1.network.slug,
        "name": "SEL",
        "kind": "sel",
        "start_year": 2028,
        "end_year": 2027,
    }
    response = client.post("/api/v1/initiatives", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "end_year", "message": "The last school year cannot come before the first."}
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_put_plan(world: Any, persona: str) -> None:
    t1, _t2, mine, theirs = world
    plan = SchoolPlan.objects.get(initiative=mine, school=t1.schools[0])
    client = bearer(t1.users[persona])
    path = f"/api/v1/initiatives/{mine.pk}/schools/{t1.schools[0].pk}/plan"
    body = {
        "version": plan.version,
        "status": "active",
        "owner": t1.users["staff"].pk,
        "grades": ["KG", "01"],
        "partners": [t1.org_a.pk],
    }
    response = _put(client, path, body)
    if persona in PLAN_EDITORS:
        assert response.status_code == 200, response.content
        assert response.json()["grades"] == ["KG", "01"]
        assert response.json()["version"] == 2
    else:
        assert response.status_code == (403 if persona in READERS else 404)
    foreign = f"/api/v1/initiatives/{theirs.pk}/schools/{t1.schools[0].pk}/plan"
    assert _put(client, foreign, body).status_code == 404


def test_put_plan_bad_input_and_conflict(world: Any) -> None:
    t1, t2, mine, _theirs = world
    client = bearer(t1.users["coordinator"])
    path = f"/api/v1/initiatives/{mine.pk}/schools/{t1.schools[0].pk}/plan"
    response = _put(client, path, {"version": 1, "grades": ["KG", "09"]})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "grades"
    assert "Grade 9: not taught at" in error["message"]
    response = _put(client, path, {"version": 1, "partners": [t2.org_a.pk]})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "partners"
    response = _put(client, path, {"version": 1, "owner": t1.users["partner_admin"].pk})
    assert response.status_code == 400
    response = _put(client, path, {"version": 9, "grades": ["KG"]})
    assert response.status_code == 409
    assert "changed since you read it" in response.json()["detail"]
    response = _put(client, path, {"version": 1, "grades": ["not a grade" * 3]})
    assert response.status_code == 400


def test_list_query_count(world: Any, django_assert_max_num_queries: Any) -> None:
    t1 = world[0]
    for n in range(5):
        Initiative.objects.create(network=t1.network, name=f"E{n}", kind="sel", start_year=2027)
    client = bearer(t1.users["network_admin"])
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/v1/initiatives").json()) == 6
