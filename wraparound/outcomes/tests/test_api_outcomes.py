"""The outcomes API: who may read each dashboard (every persona, both tenants), bad input is a
400 with a clear message, and no answer reveals a cell under ten."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wraparound.core import services as core_services
from wraparound.core.tests.personas import PERSONAS, Tenant

from ..subgroups import SPLITS
from .dashboard_world import SMALL_GROUPS, assert_no_small_cell, build_world
from .test_views_dashboards import NETWORK_VIEWERS, ORGANIZATION_VIEWERS, SCHOOL_VIEWERS

pytestmark = pytest.mark.django_db


def bearer(user: Any) -> Client:
    _token, raw = core_services.api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def world(t1: Tenant):
    return build_world(t1)


def _paths(t: Tenant) -> dict[str, str]:
    return {
        "school": f"/api/v1/outcomes/schools/{t.schools[0].pk}",
        "network": f"/api/v1/outcomes/networks/{t.network.slug}",
        "organization": f"/api/v1/outcomes/organizations/{t.org_a.pk}",
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_each_dashboard(world, t1, t2, persona):
    client = bearer(t1.users[persona])
    allowed = {
        "school": SCHOOL_VIEWERS,
        "network": NETWORK_VIEWERS,
        "organization": ORGANIZATION_VIEWERS,
    }
    for kind, path in _paths(t1).items():
        expected = 200 if persona in allowed[kind] else 404
        assert client.get(path).status_code == expected, (kind, persona)
    for kind, path in _paths(t2).items():
        assert client.get(path).status_code == 404, (kind, persona)


def test_anonymous_is_401(world, t1):
    for path in _paths(t1).values():
        assert Client().get(path).status_code == 401


@pytest.mark.parametrize("split", ["", *SPLITS], ids=["all", *SPLITS])
def test_no_answer_reveals_a_cell_under_ten(world, t1, split):
    client = bearer(t1.users["network_admin"])
    for kind, path in _paths(t1).items():
        response = client.get(path, {"split": split, "year": world.year} if split else {})
        assert response.status_code == 200, response.content
        assert assert_no_small_cell(response.json()) > 10, kind


def test_small_groups_are_null_and_suppressed(world, t1):
    client = bearer(t1.users["evaluator"])
    body = client.get(_paths(t1)["school"], {"split": "race_ethnicity"}).json()
    groups = [g for r in body["indicators"] for g in r["groups"] if g["key"] in SMALL_GROUPS]
    assert groups
    for g in groups:
        assert g["suppressed"] is True and g["value"] is None and g["n"] is None


def test_school_answer_has_every_part(world, t1):
    body = bearer(t1.users["coordinator"]).get(_paths(t1)["school"]).json()
    assert set(body) >= {
        "needs",
        "tiers",
        "funnel",
        "dosage",
        "attendance_trend",
        "indicators",
        "goals",
    }
    assert body["dosage"]["students"] == {
        "key": "students",
        "label": "students served",
        "n": 12,
        "value": 12,
        "suppressed": False,
    }


def test_network_answer_lists_every_school_with_its_need_index(world, t1):
    body = bearer(t1.users["evaluator"]).get(_paths(t1)["network"]).json()
    assert len(body["schools"]) == len(t1.schools)
    assert all("need_index" in s for s in body["schools"])
    assert body["as_of"]
    assert body["scatter"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"split": "hair"}, "split"),
        ({"year": "abc"}, "year"),
        ({"year": 1900}, "year"),
        ({"order": "worst"}, "order"),
    ],
    ids=["split", "year-text", "year-range", "order"],
)
def test_bad_input_is_400_with_the_field(world, t1, params, field):
    response = bearer(t1.users["network_admin"]).get(_paths(t1)["network"], params)
    assert response.status_code == 400
    body = response.json()
    assert any(e["field"] == field for e in body["errors"]), body


def test_bad_ids_are_400_or_404(world, t1):
    client = bearer(t1.users["network_admin"])
    assert client.get("/api/v1/outcomes/schools/0").status_code == 400
    assert client.get("/api/v1/outcomes/schools/999999").status_code == 404
    assert client.get("/api/v1/outcomes/networks/nope").status_code == 404
    assert client.get("/api/v1/outcomes/organizations/999999").status_code == 404


@pytest.mark.parametrize("kind", ["school", "network", "organization"])
def test_query_counts(world, t1, django_assert_max_num_queries, kind):
    client = bearer(t1.users["network_admin"])
    path = _paths(t1)[kind]
    client.get(path)
    with django_assert_max_num_queries({"school": 21, "network": 11, "organization": 18}[kind]):
        assert client.get(path, {"split": "grade"}).status_code == 200
