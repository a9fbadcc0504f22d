"""The board and measures API: every endpoint for every persona, other tenants 404, bad input
400 with `detail`, conflicts 409, and a bounded number of queries on the list."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wraparound.coalitions.models import PostKind, ResourcePost
from wraparound.core.models import Notification
from wraparound.core.tests.personas import PERSONAS

from .world import World

READERS = {"network_admin", "coalition_member"}


def _post_json(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def _base(w: World) -> str:
    return f"/api/v1/coalitions/{w.t.coalition.pk}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_endpoints_by_persona(w1: World, w2: World, as_user: Any, persona: str) -> None:
    client = as_user(w1.t.users[persona])
    post = ResourcePost.objects.create(
        coalition=w1.t.coalition,
        member=w1.member_b,
        kind=PostKind.OFFER,
        title="Coats",
        posted_by=w1.other,
    )
    theirs = ResourcePost.objects.create(
        coalition=w2.t.coalition,
        member=w2.member_b,
        kind=PostKind.OFFER,
        title="Theirs",
        posted_by=w2.other,
    )
    base = _base(w1)
    reader = persona in READERS
    admin = persona == "network_admin"

    listing = client.get(f"{base}/posts")
    assert listing.status_code == (200 if reader else 404)
    if reader:
        assert [p["title"] for p in listing.json()["items"]] == ["Coats"]
    assert client.get(f"{base}/posts/{post.pk}").status_code == (200 if reader else 404)
    assert client.get(f"{base}/measures").status_code == (200 if reader else 404)

    created = _post_json(
        client, f"{base}/posts", {"kind": "request", "title": "Room", "member_id": w1.member_a.pk}
    )
    assert created.status_code == (201 if reader else 404)
    responded = _post_json(client, f"{base}/posts/{post.pk}/responses", {"message": "Yes"})
    assert responded.status_code == (201 if reader else 404)
    closed = _post_json(
        client, f"{base}/posts/{post.pk}/close", {"status": "fulfilled", "expected_version": 1}
    )
    assert closed.status_code == (200 if admin else 403 if reader else 404)
    if closed.status_code == 403:
        assert closed.json()["detail"]

    # Another tenant's coalition and post: 404 for everyone.
    other = _base(w2)
    assert client.get(f"{other}/posts").status_code == 404
    assert client.get(f"{other}/posts/{theirs.pk}").status_code == 404
    assert client.get(f"{base}/posts/{theirs.pk}").status_code == 404
    assert _post_json(client, f"{other}/posts", {"kind": "offer", "title": "X"}).status_code == 404
    assert (
        _post_json(client, f"{other}/posts/{theirs.pk}/responses", {"message": "x"}).status_code
        == 404
    )
    assert (
        _post_json(
            client,
            f"{other}/posts/{theirs.pk}/close",
            {"status": "fulfilled", "expected_version": 1},
        ).status_code
        == 404
    )
    assert client.get(f"{other}/measures").status_code == 404


def test_post_respond_close_through_the_api(w1: World, as_user: Any) -> None:
    base = _base(w1)
    poster = as_user(w1.poster)
    r = _post_json(
        poster,
        f"{base}/posts",
        {
            "kind": "offer",
            "title": "30 winter coats",
            "body": "Sizes 4-12",
            "member_id": w1.member_a.pk,
        },
    )
    assert r.status_code == 201
    post = r.json()
    assert (post["status"], post["version"], post["member_name"]) == ("open", 1, w1.t.org_a.name)
    other = as_user(w1.other)
    r = _post_json(other, f"{base}/posts/{post['id']}/responses", {"message": "Twelve, please"})
    assert r.status_code == 201 and r.json()["member_id"] == w1.member_b.pk
    assert Notification.objects.filter(user=w1.poster).count() == 1
    poster = as_user(w1.poster)
    detail = poster.get(f"{base}/posts/{post['id']}").json()
    assert [x["message"] for x in detail["responses"]] == ["Twelve, please"]
    assert detail["response_count"] == 1
    r = _post_json(
        poster, f"{base}/posts/{post['id']}/close", {"status": "fulfilled", "expected_version": 1}
    )
    assert r.status_code == 200 and (r.json()["status"], r.json()["version"]) == ("fulfilled", 2)
    r = _post_json(
        poster, f"{base}/posts/{post['id']}/close", {"status": "withdrawn", "expected_version": 2}
    )
    assert r.status_code == 409 and "already closed" in r.json()["detail"]
    r = _post_json(as_user(w1.other), f"{base}/posts/{post['id']}/responses", {"message": "More"})
    assert r.status_code == 400 and "takes no more responses" in json.dumps(r.json())
    listing = poster.get(f"{base}/posts", {"status": "fulfilled", "kind": "offer"}).json()
    assert [p["title"] for p in listing["items"]] == ["30 winter coats"]
    assert poster.get(f"{base}/posts").json()["items"] == []


def test_stale_version_is_a_conflict(w1: World, as_user: Any) -> None:
    post = ResourcePost.objects.create(
        coalition=w1.t.coalition,
        member=w1.member_a,
        kind="offer",
        title="X",
        posted_by=w1.poster,
        version=3,
    )
    r = _post_json(
        as_user(w1.poster),
        f"{_base(w1)}/posts/{post.pk}/close",
        {"status": "fulfilled", "expected_version": 2},
    )
    assert r.status_code == 409 and "changed" in r.json()["detail"]


def test_bad_input(w1: World, w2: World, as_user: Any) -> None:
    client = as_user(w1.poster)
    base = _base(w1)

    def bad(response: Any, field: str | None = None) -> None:
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["detail"]
        if field:
            assert field in [e["field"] for e in body["errors"]], body

    bad(_post_json(client, f"{base}/posts", {"kind": "swap", "title": "X"}), "kind")
    bad(
        _post_json(
            client, f"{base}/posts", {"kind": "offer", "title": " ", "member_id": w1.member_a.pk}
        ),
        "title",
    )
    bad(_post_json(client, f"{base}/posts", {"kind": "offer", "title": "X"}), "member")
    bad(
        _post_json(
            client, f"{base}/posts", {"kind": "offer", "title": "X", "member_id": w2.member_a.pk}
        ),
        "member_id",
    )
    bad(_post_json(client, f"{base}/posts", {"kind": "offer", "title": "x" * 201}), "title")
    post = ResourcePost.objects.create(
        coalition=w1.t.coalition, member=w1.member_a, kind="offer", title="X", posted_by=w1.poster
    )
    bad(_post_json(client, f"{base}/posts/{post.pk}/responses", {"message": ""}), "message")
    bad(
        _post_json(
            client, f"{base}/posts/{post.pk}/close", {"status": "open", "expected_version": 1}
        ),
        "status",
    )
    bad(
        _post_json(client, f"{base}/posts/{post.pk}/close", {"status": "fulfilled"}),
        "expected_version",
    )
    bad(client.get(f"{base}/posts", {"status": "nope"}), "status")
    bad(client.get(f"{base}/measures", {"from": "2026-10-01", "to": "2026-09-01"}), "to")
    bad(client.get(f"{base}/measures", {"from": "yesterday"}))
    assert client.get("/api/v1/coalitions/99999999999999999999/posts").status_code in (400, 404)


def test_measures_api_gives_counts_only(w1: World, as_user: Any) -> None:
    body = (
        as_user(w1.poster)
        .get(f"{_base(w1)}/measures", {"from": "2026-09-01", "to": "2026-12-31"})
        .json()
    )
    assert body["from"] == "2026-09-01" and body["meetings_held"] == 0
    assert {m["name"] for m in body["members"]} >= {w1.t.org_a.name, w1.t.org_b.name}
    assert body["totals"]["sent"] == 0


def test_list_query_count(w1: World, as_user: Any, django_assert_max_num_queries: Any) -> None:
    for i in range(25):
        ResourcePost.objects.create(
            coalition=w1.t.coalition,
            member=w1.member_a,
            kind="offer",
            title=f"P{i}",
            posted_by=w1.poster,
        )
    client = as_user(w1.poster)
    with django_assert_max_num_queries(10):
        r = client.get(f"{_base(w1)}/posts", {"page_size": 25})
    assert r.status_code == 200 and len(r.json()["items"]) == 25
