from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wraparound.core.tests.personas import PERSONAS
from wraparound.training import services
from wraparound.training.services import Entry

from .world import World

AUDIENCE = {
    "network_admin", "coordinator", "staff", "supervisor", "principal",
    "partner_admin", "partner_staff_a", "partner_staff_b",
}  # fmt: skip
PARTNER_SIDE = {"network_admin", "partner_admin", "partner_staff_a", "partner_staff_b"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_detail_and_record_per_persona(
    persona: str, w1: World, w2: World, client: Client
) -> None:
    client.force_login(w1.users[persona])
    listing = client.get("/api/v1/trainings")
    me = client.get("/api/v1/trainings/me")
    past = client.get(f"/api/v1/trainings/{w1.past.pk}")
    other = client.get(f"/api/v1/trainings/{w2.past.pk}")
    assert other.status_code == 404
    if persona not in AUDIENCE:
        assert listing.status_code == 403 and me.status_code == 403
        assert listing.json()["detail"]
        assert past.status_code == 404
        return
    assert listing.status_code == 200 and me.status_code == 200
    ids = {t["id"] for t in listing.json()["items"]}
    assert w2.past.pk not in ids and w2.upcoming.pk not in ids
    assert w1.upcoming.pk in ids  # for school and partner staff both
    assert (w1.past.pk in ids) == (persona in PARTNER_SIDE)
    assert past.status_code == (200 if persona in PARTNER_SIDE else 404)


def test_my_record_shows_completion_and_required_topics(w1: World, as_user: Any) -> None:
    user = w1.users["partner_staff_a"]
    services.attendance_record(
        user=w1.users["network_admin"],
        training=w1.past,
        entries=[Entry(status="completed", user_id=user.pk)],
    )
    services.registration_add(user=user, training=w1.upcoming)
    [record] = as_user(user).get("/api/v1/trainings/me").json()
    assert record["network"]["slug"] == w1.tenant.network.slug
    [done] = record["completed"]
    assert done["title"] == "FERPA basics" and done["certificate_number"]
    assert [u["title"] for u in record["upcoming"]] == ["FERPA refresher"]
    [ferpa] = record["required"]
    assert ferpa["state"] == "ok" and ferpa["valid_through"]


def test_bad_ids_and_anonymous(w1: World, client: Client, as_user: Any) -> None:
    assert client.get("/api/v1/trainings").status_code == 401
    api = as_user(w1.users["network_admin"])
    assert api.get("/api/v1/trainings/0").status_code == 400
    assert api.get("/api/v1/trainings/abc").status_code == 400
    assert api.get("/api/v1/trainings?upcoming=maybe").status_code == 400


def test_list_query_count(w1: World, as_user: Any, django_assert_max_num_queries: Any) -> None:
    api = as_user(w1.users["network_admin"])
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/trainings").status_code == 200
