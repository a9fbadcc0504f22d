"""The member agencies and contacts API: every endpoint for every persona (network admins
manage, coalition members read and get 403 on changes, everyone else and every other tenant
404), bad input a 400 naming the body's field with nothing written, and bounded queries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wraparound.coalitions.api import MemberKindName
from wraparound.coalitions.models import CoalitionMember, MemberContact, MemberKind
from wraparound.core.models import AuditEvent, Membership
from wraparound.core.roles import Role
from wraparound.core.tests.personas import PERSONAS, Tenant

from .world import World

READERS = {"network_admin", "coalition_member"}


def _send(client: Any, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
    call = getattr(client, method)
    if data is None:
        return call(url)
    return call(url, json.dumps(data), content_type="application/json")


def _base(w: World) -> str:
    return f"/api/v1/coalitions/{w.t.coalition.pk}"


def _state(w: World) -> tuple[Any, ...]:
    """Everything these endpoints may write, to check that a refusal wrote nothing."""
    c = w.t.coalition
    return (
        sorted(CoalitionMember.objects.filter(coalition=c).values_list("pk", "is_active", "name")),
        sorted(
            MemberContact.objects.filter(member__coalition=c).values_list(
                "pk", "name", "email", "user_id", "is_primary"
            )
        ),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_endpoints_by_persona(t1: Tenant, w1: World, w2: World, as_user: Any, persona: str) -> None:
    client = as_user(t1.users[persona])
    admin, reader = persona == "network_admin", persona in READERS
    base = _base(w1)
    contact_b = MemberContact.objects.get(member=w1.member_b)

    def expect(ok: int, as_member: int = 403) -> int:
        return ok if admin else as_member if reader else 404

    listing = client.get(f"{base}/members")
    assert listing.status_code == expect(200, 200)
    if reader:
        names = [m["name"] for m in listing.json()["items"]]
        assert set(names) == {
            m.display_name for m in (w1.member_a, w1.member_b, w1.member_school, w1.member_agency)
        }
    contacts = client.get(f"{base}/members/{w1.member_b.pk}/contacts")
    assert contacts.status_code == expect(200, 200)
    if reader:
        assert [c["name"] for c in contacts.json()] == ["Oli Other"]

    before = _state(w1)
    calls: list[tuple[str, str, dict[str, Any] | None, int]] = [
        ("post", f"{base}/members", {"kind": "head_start", "name": "Head Start on 5th"}, 201),
        ("post", f"{base}/members/{w1.member_agency.pk}/deactivate", None, 200),
        ("post", f"{base}/members/{w1.member_agency.pk}/activate", None, 200),
        (
            "post",
            f"{base}/members/{w1.member_agency.pk}/contacts",
            {"name": "Dana", "account": t1.users["staff"].username},
            201,
        ),
        ("put", f"{base}/contacts/{contact_b.pk}", {"name": "Oli Renamed"}, 200),
        ("delete", f"{base}/contacts/{contact_b.pk}", None, 204),
    ]
    for method, url, data, ok in calls:
        r = _send(client, method, url, data)
        assert r.status_code == expect(ok), (method, url, r.content)
        if r.status_code in (403, 404):
            assert r.json()["detail"]
    if not admin:
        assert _state(w1) == before

    # Another tenant's coalition, member agency or contact: 404 for everyone, nothing written.
    other, theirs = _base(w2), MemberContact.objects.get(member=w2.member_b)
    before = _state(w2)
    for method, url, data in [
        ("get", f"{other}/members", None),
        ("get", f"{other}/members/{w2.member_b.pk}/contacts", None),
        ("get", f"{base}/members/{w2.member_b.pk}/contacts", None),
        ("post", f"{other}/members", {"kind": "other", "name": "X"}),
        ("post", f"{other}/members/{w2.member_b.pk}/deactivate", None),
        ("post", f"{base}/members/{w2.member_b.pk}/deactivate", None),
        ("post", f"{other}/members/{w2.member_b.pk}/activate", None),
        ("post", f"{other}/members/{w2.member_b.pk}/contacts", {"name": "X"}),
        ("post", f"{base}/members/{w2.member_b.pk}/contacts", {"name": "X"}),
        ("put", f"{other}/contacts/{theirs.pk}", {"name": "X"}),
        ("put", f"{base}/contacts/{theirs.pk}", {"name": "X"}),
        ("delete", f"{other}/contacts/{theirs.pk}", None),
        ("delete", f"{base}/contacts/{theirs.pk}", None),
    ]:
        assert _send(client, method, url, data).status_code == 404, (method, url)
    assert _state(w2) == before


def test_the_second_coalition_member_is_refused_like_the_first(w1: World, as_user: Any) -> None:
    client = as_user(w1.other)
    base = _base(w1)
    assert client.get(f"{base}/members").status_code == 200
    r = _send(client, "post", f"{base}/members/{w1.member_b.pk}/contacts", {"name": "Mine?"})
    assert r.status_code == 403
    r = _send(client, "post", f"{base}/members/{w1.member_b.pk}/deactivate")
    assert r.status_code == 403
    assert CoalitionMember.objects.get(pk=w1.member_b.pk).is_active


def test_admin_manages_members_and_contacts(t1: Tenant, w1: World, as_user: Any) -> None:
    client = as_user(t1.users["network_admin"])
    base = _base(w1)
    # A school needs no kind; a named agency has one.
    r = _send(client, "post", f"{base}/members", {"school_id": t1.schools[3].pk})
    assert r.status_code == 201
    assert (r.json()["kind"], r.json()["school_id"]) == ("school", t1.schools[3].pk)
    r = _send(
        client,
        "post",
        f"{base}/members",
        {"kind": "head_start", "name": " Head Start on 5th ", "joined_on": "2026-09-01"},
    )
    assert r.status_code == 201
    head_start = r.json()
    assert (head_start["name"], head_start["joined_on"], head_start["is_active"]) == (
        "Head Start on 5th",
        "2026-09-01",
        True,
    )
    assert head_start["contacts"] == []

    # A contact linked to a user of the network gives that user the coalition role.
    staff = t1.users["staff"]
    r = _send(
        client,
        "post",
        f"{base}/members/{head_start['id']}/contacts",
        {
            "name": "Dana",
            "email": "dana@example.org",
            "account": staff.email or staff.username,
            "is_primary": True,
        },
    )
    assert r.status_code == 201, r.content
    dana = r.json()
    assert (dana["account"], dana["user_id"], dana["is_primary"]) == (
        staff.username,
        staff.pk,
        True,
    )
    assert Membership.objects.filter(
        user=staff, role=Role.COALITION_MEMBER, coalition=t1.coalition, is_active=True
    ).exists()
    assert as_user(staff).get(f"{base}/members").status_code == 200

    client = as_user(t1.users["network_admin"])
    r = _send(
        client,
        "put",
        f"{base}/contacts/{dana['id']}",
        {"name": "Dana Diaz", "title": "Director", "phone": "555-0100"},
    )
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["title"], r.json()["account"]) == (
        "Dana Diaz",
        "Director",
        None,
    )
    # Unlinked, the user no longer takes part.
    assert as_user(staff).get(f"{base}/members").status_code == 404

    client = as_user(t1.users["network_admin"])
    r = _send(client, "post", f"{base}/members/{head_start['id']}/deactivate")
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert AuditEvent.objects.filter(action="coalition.member_deactivate").exists()
    listing = client.get(f"{base}/members").json()["items"]
    assert listing[-1]["id"] == head_start["id"]  # inactive last
    r = _send(client, "post", f"{base}/members/{head_start['id']}/activate")
    assert r.status_code == 200 and r.json()["is_active"] is True
    contacts = client.get(f"{base}/members/{head_start['id']}/contacts").json()
    assert [c["name"] for c in contacts] == ["Dana Diaz"]
    assert _send(client, "delete", f"{base}/contacts/{dana['id']}").status_code == 204
    assert not MemberContact.objects.filter(pk=dana["id"]).exists()
    assert _send(client, "delete", f"{base}/contacts/{dana['id']}").status_code == 404


def test_deactivating_takes_the_contacts_role_away(t1: Tenant, w1: World, as_user: Any) -> None:
    admin = as_user(t1.users["network_admin"])
    r = _send(admin, "post", f"{_base(w1)}/members/{w1.member_b.pk}/deactivate")
    assert r.status_code == 200
    assert as_user(w1.other).get(f"{_base(w1)}/members").status_code == 404


def test_bad_input(t1: Tenant, t2: Tenant, w1: World, w2: World, as_user: Any) -> None:
    client = as_user(t1.users["network_admin"])
    base = _base(w1)
    contact = MemberContact.objects.get(member=w1.member_b)

    def bad(method: str, url: str, data: dict[str, Any], field: str) -> None:
        before = _state(w1)
        r = _send(client, method, url, data)
        assert r.status_code == 400, (data, r.content)
        body = r.json()
        assert body["detail"]
        assert field in [e["field"] for e in body["errors"]], (data, body)
        assert _state(w1) == before, data

    members = f"{base}/members"
    bad("post", members, {"kind": "club", "name": "X"}, "kind")
    bad("post", members, {"name": "X"}, "kind")
    bad("post", members, {"kind": "school", "name": "X"}, "kind")
    bad("post", members, {"kind": "other"}, "__all__")
    bad("post", members, {"kind": "other", "name": "X", "organization_id": t1.org_a.pk}, "__all__")
    bad("post", members, {"kind": "other", "name": "x" * 251}, "name")
    bad("post", members, {"kind": "other", "organization_id": t1.org_a.pk}, "organization_id")
    bad("post", members, {"kind": "other", "organization_id": t2.org_a.pk}, "organization_id")
    bad("post", members, {"kind": "other", "organization_id": 0}, "organization_id")
    bad("post", members, {"school_id": t1.schools[0].pk}, "school_id")  # already a member
    bad("post", members, {"school_id": t2.schools[3].pk}, "school_id")
    bad("post", members, {"kind": "other", "name": "X", "joined_on": "soon"}, "joined_on")

    contacts = f"{base}/members/{w1.member_agency.pk}/contacts"
    bad("post", contacts, {"name": " "}, "name")
    bad("post", contacts, {}, "name")
    bad("post", contacts, {"name": "Kim", "email": "not-an-address"}, "email")
    bad("post", contacts, {"name": "Kim", "phone": "5" * 41}, "phone")
    bad("post", contacts, {"name": "Kim", "account": t2.users["staff"].username}, "account")
    bad("post", contacts, {"name": "Kim", "account": "nobody-at-all"}, "account")
    bad("post", contacts, {"name": "Kim", "is_primary": "maybe"}, "is_primary")
    edit = f"{base}/contacts/{contact.pk}"
    bad("put", edit, {"name": ""}, "name")
    bad("put", edit, {"name": "Oli", "account": "nobody-at-all"}, "account")
    bad("put", edit, {"name": "Oli", "email": "x@"}, "email")
    contact.refresh_from_db()
    assert (contact.name, contact.user) == ("Oli Other", w1.other)

    for url in (
        "/api/v1/coalitions/99999999999999999999/members",
        f"{base}/members/0/contacts",
        f"{base}/members/abc/contacts",
    ):
        assert client.get(url).status_code in (400, 404)


def test_kinds_match_the_model() -> None:
    assert set(MemberKindName.__args__) == set(MemberKind.values)


def test_list_query_counts(
    t1: Tenant, w1: World, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(20):
        member = CoalitionMember.objects.create(
            coalition=t1.coalition, kind=MemberKind.OTHER, name=f"Agency {i}"
        )
        MemberContact.objects.create(member=member, name=f"Contact {i}", user=t1.users["staff"])
        MemberContact.objects.create(member=member, name=f"Second {i}")
    client = as_user(w1.poster)
    with django_assert_max_num_queries(10):
        r = client.get(f"{_base(w1)}/members", {"page_size": 30})
    assert r.status_code == 200 and len(r.json()["items"]) == 24
    with django_assert_max_num_queries(10):
        r = client.get(f"{_base(w1)}/members/{w1.member_a.pk}/contacts")
    assert r.status_code == 200


def test_openapi_lists_the_endpoints(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/coalitions/{coalition_id}/members",
        "/api/v1/coalitions/{coalition_id}/members/{member_id}/activate",
        "/api/v1/coalitions/{coalition_id}/members/{member_id}/deactivate",
        "/api/v1/coalitions/{coalition_id}/members/{member_id}/contacts",
        "/api/v1/coalitions/{coalition_id}/contacts/{contact_id}",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/coalitions/{coalition_id}/contacts/{contact_id}"]) >= {
        "put",
        "delete",
    }
