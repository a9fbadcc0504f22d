from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from wraparound.core import services
from wraparound.core.models import ApiToken

from .factories import SchoolFactory

NETWORK_WIDE = {"network_admin", "evaluator", "network_supervisor"}
SCHOOL_ROLES = {"coordinator", "staff", "supervisor", "principal"}
ALL = [
    "network_admin",
    "evaluator",
    "coordinator",
    "staff",
    "supervisor",
    "network_supervisor",
    "principal",
    "partner_admin",
    "partner_staff_a",
    "partner_staff_b",
    "coalition_member",
    "outsider",
]


def bearer(user, name="test"):
    _token, raw = services.api_token_create(user=user, name=name)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.mark.parametrize(
    "path", ["/api/v1/me", "/api/v1/networks", "/api/v1/schools", "/api/v1/schools/1"]
)
def test_api_needs_authentication(client, db, path):
    response = client.get(path)
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_openapi_and_docs_are_published(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    assert {
        "/api/v1/me",
        "/api/v1/networks",
        "/api/v1/schools",
        "/api/v1/schools/{school_id}",
    } <= set(spec["paths"])
    assert client.get("/api/v1/docs").status_code == 200


def test_me_lists_memberships(t1):
    body = bearer(t1.users["coordinator"]).get("/api/v1/me").json()
    assert body["username"] == t1.users["coordinator"].username
    assert [(m["role"], m["scope"], m["school_id"]) for m in body["memberships"]] == [
        ("school_coordinator", "school", t1.schools[0].id),
        ("school_coordinator", "school", t1.schools[1].id),
    ]
    assert body["memberships"][0]["network"]["slug"] == t1.network.slug


@pytest.mark.parametrize("persona", ALL)
def test_networks_are_those_the_caller_belongs_to(t1, t2, persona):
    body = bearer(t1.users[persona]).get("/api/v1/networks").json()
    expected = [] if persona == "outsider" else [t1.network.slug]
    assert [n["slug"] for n in body] == expected


@pytest.mark.parametrize("persona", ALL)
def test_schools_are_scoped_to_the_caller(t1, t2, persona):
    response = bearer(t1.users[persona]).get("/api/v1/schools")
    assert response.status_code == 200
    ids = {s["id"] for s in response.json()["items"]}
    if persona in NETWORK_WIDE:
        assert ids == {s.id for s in t1.schools}
    elif persona == "coordinator":
        assert ids == {t1.schools[0].id, t1.schools[1].id}
    elif persona in SCHOOL_ROLES:
        assert ids == {t1.schools[0].id}
    else:
        assert ids == set()


@pytest.mark.parametrize("persona", ALL)
def test_school_detail_by_role_and_tenant(t1, t2, persona):
    client = bearer(t1.users[persona])
    response = client.get(f"/api/v1/schools/{t1.schools[0].id}")
    if persona in NETWORK_WIDE | SCHOOL_ROLES:
        assert response.status_code == 200
        body = response.json()
        assert body["code"] == t1.schools[0].code
        assert body["community"]["id"] == t1.communities[0].id
        assert body["share_economically_disadvantaged"] == pytest.approx(0.81)
    else:
        assert response.status_code == 404
    assert client.get(f"/api/v1/schools/{t2.schools[0].id}").status_code == 404


def test_schools_filter_by_community_and_paginate(t1, t2):
    client = bearer(t1.users["network_admin"])
    body = client.get("/api/v1/schools", {"community": t1.communities[1].id}).json()
    assert body["count"] == 2
    assert {s["id"] for s in body["items"]} == {t1.schools[3].id, t1.schools[4].id}
    # another network's community filters to nothing rather than leaking
    assert client.get("/api/v1/schools", {"community": t2.communities[0].id}).json()["count"] == 0
    for i in range(55):
        SchoolFactory(community=t1.communities[0], code=f"07X{i:03d}")
    first = client.get("/api/v1/schools").json()
    second = client.get("/api/v1/schools", {"page": 2}).json()
    assert first["count"] == 60 and len(first["items"]) == 50 and len(second["items"]) == 10
    assert not {s["id"] for s in first["items"]} & {s["id"] for s in second["items"]}


@pytest.mark.parametrize(
    ("params", "field"),
    [({"community": "bronx"}, "community"), ({"page": "zero"}, "page"), ({"page": 0}, "page")],
)
def test_bad_query_parameters_are_400_with_the_field_named(t1, params, field):
    response = bearer(t1.users["network_admin"]).get("/api/v1/schools", params)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The request is not valid."
    assert any(field in (e["field"] or "") for e in body["errors"])


def test_bad_path_parameter_is_400(t1):
    response = bearer(t1.users["network_admin"]).get("/api/v1/schools/abc")
    assert response.status_code == 400


def test_list_endpoint_query_count_does_not_grow_with_rows(t1):
    client = bearer(t1.users["network_admin"])
    client.get("/api/v1/schools")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/schools")
    for i in range(30):
        SchoolFactory(community=t1.communities[i % 2], code=f"08Q{i:03d}")
    with CaptureQueriesContext(connection) as many:
        body = client.get("/api/v1/schools").json()
    assert body["count"] == 35
    assert len(many) == len(few)


def test_revoked_expired_and_unknown_tokens_are_refused(t1):
    user = t1.users["network_admin"]
    token, raw = services.api_token_create(user=user, name="soon revoked")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me").status_code == 200
    services.api_token_revoke(user=user, token_id=token.pk)
    assert client.get("/api/v1/me").status_code == 401
    token, raw = services.api_token_create(
        user=user, name="expiring", expires_at=timezone.now() + timedelta(hours=1)
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer wrp_nothing_here").get("/api/v1/me").status_code == 401


def test_inactive_user_token_is_refused(t1):
    user = t1.users["coordinator"]
    client = bearer(user)
    user.is_active = False
    user.save()
    assert client.get("/api/v1/me").status_code == 401


def test_session_auth_works_for_the_browser(t1, as_user):
    assert as_user(t1.users["principal"]).get("/api/v1/me").status_code == 200


@override_settings(WRAPAROUND_REQUIRE_2FA=True)
def test_session_without_second_factor_is_refused_when_2fa_is_required(t1, as_user):
    assert as_user(t1.users["principal"]).get("/api/v1/me").status_code == 401
    # evaluators see no student data: no second factor needed
    assert as_user(t1.users["evaluator"]).get("/api/v1/me").status_code == 200


@pytest.mark.parametrize(
    "params",
    [{"page": 10**20}, {"community": 2**70}, {"network": -1}, {"q": "x" * 500}],
)
def test_out_of_range_input_is_a_400_not_a_server_error(t1, params):
    response = bearer(t1.users["network_admin"]).get("/api/v1/schools", params)
    assert response.status_code == 400, response.content


def test_out_of_range_path_id_is_a_400(t1):
    response = bearer(t1.users["network_admin"]).get(f"/api/v1/schools/{2**70}")
    assert response.status_code == 400
