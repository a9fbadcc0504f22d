"""The commitments and entered-measures API: every endpoint for every persona (network admins
for any member agency or the whole coalition, a contact for their own agency, 403 for another
agency, 404 for everyone else and every other tenant), bad input a 400 naming the body's field
with nothing written, and bounded queries on the lists."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from wraparound.coalitions.api import CommitmentKindName
from wraparound.coalitions.models import Commitment, CommitmentKind, MeasureEntry, MemberContact
from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS, Tenant

from .world import World

READERS = {"network_admin", "coalition_member"}
PERIOD = {"starts_on": "2026-09-01", "ends_on": "2026-09-30"}


def _send(client: Any, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
    call = getattr(client, method)
    if data is None:
        return call(url)
    return call(url, json.dumps(data), content_type="application/json")


def _base(w: World) -> str:
    return f"/api/v1/coalitions/{w.t.coalition.pk}"


def _commitment(w: World, member: Any, **extra: Any) -> Commitment:
    fields: dict[str, Any] = {
        "kind": CommitmentKind.STAFF_HOURS,
        "quantity": Decimal(40),
        "unit": "hours",
        "starts_on": dt.date(2026, 9, 1),
        "ends_on": dt.date(2027, 6, 30),
        **extra,
    }
    return Commitment.objects.create(coalition=w.t.coalition, member=member, **fields)


def _entry(w: World, member: Any, name: str = "Hours", **extra: Any) -> MeasureEntry:
    fields: dict[str, Any] = {
        "value": Decimal(3),
        "starts_on": dt.date(2026, 9, 1),
        "ends_on": dt.date(2026, 9, 30),
        **extra,
    }
    return MeasureEntry.objects.create(coalition=w.t.coalition, member=member, name=name, **fields)


def _state(w: World) -> tuple[Any, ...]:
    c = w.t.coalition
    return (
        sorted(
            Commitment.objects.filter(coalition=c).values_list(
                "pk", "member_id", "kind", "quantity", "description", "starts_on", "ends_on"
            )
        ),
        sorted(
            MeasureEntry.objects.filter(coalition=c).values_list(
                "pk", "member_id", "commitment_id", "name", "value", "unit", "note", "ends_on"
            )
        ),
        AuditEvent.objects.count(),
    )


def _commitment_body(**over: Any) -> dict[str, Any]:
    return {"kind": "slots", "quantity": 5, "unit": "slots", **PERIOD, **over}


def _entry_body(member: Any, **over: Any) -> dict[str, Any]:
    return {
        "member_id": member.pk if member else None,
        "name": "Volunteer hours",
        "value": "12.5",
        "unit": "hours",
        **PERIOD,
        **over,
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_endpoints_by_persona(t1: Tenant, w1: World, w2: World, as_user: Any, persona: str) -> None:
    client = as_user(t1.users[persona])
    admin, reader = persona == "network_admin", persona in READERS
    base = _base(w1)
    c_a, c_b = _commitment(w1, w1.member_a), _commitment(w1, w1.member_b)
    e_a, e_b, e_all = _entry(w1, w1.member_a), _entry(w1, w1.member_b), _entry(w1, None, "All")

    def expect(ok: int, as_member: int) -> int:
        return ok if admin else as_member if reader else 404

    r = client.get(f"{base}/commitments")
    assert r.status_code == expect(200, 200)
    if reader:
        assert {x["id"] for x in r.json()["items"]} == {c_a.pk, c_b.pk}
    r = client.get(f"{base}/measures/entries")
    assert r.status_code == expect(200, 200)
    if reader:
        assert {x["id"] for x in r.json()["items"]} == {e_a.pk, e_b.pk, e_all.pk}

    before = _state(w1)
    # (method, url, body, admin's status, the contact of org A's status)
    refused: list[tuple[str, str, dict[str, Any] | None, int, int]] = [
        ("post", f"{base}/commitments", _commitment_body(member_id=w1.member_b.pk), 201, 403),
        ("put", f"{base}/commitments/{c_b.pk}", _commitment_body(), 200, 403),
        ("delete", f"{base}/commitments/{c_b.pk}", None, 204, 403),
        ("post", f"{base}/measures/entries", _entry_body(w1.member_b), 201, 403),
        ("post", f"{base}/measures/entries", _entry_body(None), 201, 403),
        ("put", f"{base}/measures/entries/{e_b.pk}", _entry_body(w1.member_b), 200, 403),
        ("put", f"{base}/measures/entries/{e_all.pk}", _entry_body(None), 200, 403),
        # Moving their own entry to another agency, or to the whole coalition.
        ("put", f"{base}/measures/entries/{e_a.pk}", _entry_body(w1.member_b), 200, 403),
        ("put", f"{base}/measures/entries/{e_a.pk}", _entry_body(None), 200, 403),
        ("delete", f"{base}/measures/entries/{e_b.pk}", None, 204, 403),
        ("delete", f"{base}/measures/entries/{e_all.pk}", None, 204, 403),
    ]
    for method, url, data, ok, as_member in refused:
        r = _send(client, method, url, data)
        assert r.status_code == expect(ok, as_member), (method, url, data, r.content)
        if r.status_code in (403, 404):
            assert r.json()["detail"]
    if not admin:
        assert _state(w1) == before

    # What is their own agency's: the admin and the contact of org A.
    allowed: list[tuple[str, str, dict[str, Any] | None, int]] = [
        ("post", f"{base}/commitments", _commitment_body(member_id=w1.member_a.pk), 201),
        ("put", f"{base}/commitments/{c_a.pk}", _commitment_body(quantity=9), 200),
        ("post", f"{base}/measures/entries", _entry_body(w1.member_a), 201),
        ("put", f"{base}/measures/entries/{e_a.pk}", _entry_body(w1.member_a, value=8), 200),
        ("delete", f"{base}/measures/entries/{e_a.pk}", None, 204),
        ("delete", f"{base}/commitments/{c_a.pk}", None, 204),
    ]
    for method, url, data, ok in allowed:
        r = _send(client, method, url, data)
        assert r.status_code == expect(ok, ok), (method, url, data, r.content)

    # Another tenant's coalition, commitment or entry: 404 for everyone, nothing written.
    other = _base(w2)
    tc, te = _commitment(w2, w2.member_a), _entry(w2, w2.member_a)
    before = _state(w2)
    for method, url, data in [
        ("get", f"{other}/commitments", None),
        ("get", f"{other}/measures/entries", None),
        ("post", f"{other}/commitments", _commitment_body(member_id=w2.member_a.pk)),
        ("put", f"{other}/commitments/{tc.pk}", _commitment_body()),
        ("put", f"{base}/commitments/{tc.pk}", _commitment_body()),
        ("delete", f"{other}/commitments/{tc.pk}", None),
        ("delete", f"{base}/commitments/{tc.pk}", None),
        ("post", f"{other}/measures/entries", _entry_body(w2.member_a)),
        ("put", f"{other}/measures/entries/{te.pk}", _entry_body(w2.member_a)),
        ("put", f"{base}/measures/entries/{te.pk}", _entry_body(w2.member_a)),
        ("delete", f"{other}/measures/entries/{te.pk}", None),
        ("delete", f"{base}/measures/entries/{te.pk}", None),
    ]:
        assert _send(client, method, url, data).status_code == 404, (method, url)
    assert _state(w2) == before


def test_the_second_coalition_member_acts_for_org_b_only(w1: World, as_user: Any) -> None:
    client = as_user(w1.other)
    base = _base(w1)
    c_a = _commitment(w1, w1.member_a)
    r = _send(client, "post", f"{base}/commitments", _commitment_body(member_id=w1.member_b.pk))
    assert r.status_code == 201 and r.json()["member_id"] == w1.member_b.pk
    assert (
        _send(client, "put", f"{base}/commitments/{c_a.pk}", _commitment_body()).status_code == 403
    )
    assert _send(client, "delete", f"{base}/commitments/{c_a.pk}").status_code == 403
    r = _send(client, "post", f"{base}/measures/entries", _entry_body(w1.member_a))
    assert r.status_code == 403


def test_a_member_of_no_agency_is_refused(t1: Tenant, w1: World, as_user: Any) -> None:
    """One who still holds the coalition member role but is a contact of no active agency reads
    the coalition and records nothing (the pages' rule)."""
    MemberContact.objects.filter(user=w1.other).update(member=w1.member_agency)
    w1.member_agency.is_active = False
    w1.member_agency.save(update_fields=["is_active"])
    client = as_user(w1.other)  # still holds the role, acts for no active agency
    base = _base(w1)
    assert client.get(f"{base}/commitments").status_code == 200
    before = _state(w1)
    body = _commitment_body(member_id=w1.member_agency.pk)
    assert _send(client, "post", f"{base}/commitments", body).status_code == 403
    body = _entry_body(w1.member_agency)
    assert _send(client, "post", f"{base}/measures/entries", body).status_code == 403
    assert _state(w1) == before


def test_commitments_walkthrough(t1: Tenant, w1: World, as_user: Any) -> None:
    client = as_user(w1.poster)
    base = _base(w1)
    r = _send(
        client,
        "post",
        f"{base}/commitments",
        {
            "member_id": w1.member_a.pk,
            "kind": "referrals_accepted",
            "quantity": "25",
            "description": " Tutoring referrals ",
            **PERIOD,
        },
    )
    assert r.status_code == 201, r.content
    made = r.json()
    assert (made["member_name"], made["quantity"], made["description"]) == (
        t1.org_a.name,
        "25.00",
        "Tutoring referrals",
    )
    assert made["created_by_id"] == w1.poster.pk
    # The member agency stays whatever the body says.
    r = _send(
        client,
        "put",
        f"{base}/commitments/{made['id']}",
        {"member_id": w1.member_b.pk, "kind": "staff_hours", "quantity": 10, **PERIOD},
    )
    assert r.status_code == 200
    assert (r.json()["member_id"], r.json()["kind"], r.json()["quantity"]) == (
        w1.member_a.pk,
        "staff_hours",
        "10.00",
    )
    _commitment(w1, w1.member_b)
    listing = client.get(f"{base}/commitments", {"member_id": w1.member_a.pk}).json()
    assert [c["id"] for c in listing["items"]] == [made["id"]]
    assert len(client.get(f"{base}/commitments").json()["items"]) == 2
    assert _send(client, "delete", f"{base}/commitments/{made['id']}").status_code == 204
    assert not Commitment.objects.filter(pk=made["id"]).exists()
    assert AuditEvent.objects.filter(action="coalition.commitment_delete").exists()


def test_entries_walkthrough(t1: Tenant, w1: World, as_user: Any) -> None:
    client = as_user(w1.poster)
    base = _base(w1)
    commitment = _commitment(w1, w1.member_a)
    # A commitment without a member agency stands for its agency.
    r = _send(
        client,
        "post",
        f"{base}/measures/entries",
        _entry_body(None, commitment_id=commitment.pk, note="Sign-in sheets"),
    )
    assert r.status_code == 201, r.content
    made = r.json()
    assert (made["member_id"], made["commitment_id"], made["value"]) == (
        w1.member_a.pk,
        commitment.pk,
        "12.50",
    )
    assert (made["member_name"], made["entered_by_id"]) == (t1.org_a.name, w1.poster.pk)
    r = _send(
        client,
        "put",
        f"{base}/measures/entries/{made['id']}",
        _entry_body(w1.member_a, value="14", note=""),
    )
    assert r.status_code == 200
    assert (r.json()["value"], r.json()["commitment_id"], r.json()["note"]) == ("14.00", None, "")
    assert AuditEvent.objects.filter(
        action="coalition.measure_update", target_id=str(made["id"])
    ).exists()
    _entry(
        w1, w1.member_b, "October", starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2026, 10, 31)
    )
    entries = f"{base}/measures/entries"
    assert len(client.get(entries).json()["items"]) == 2
    september = client.get(entries, {"from": "2026-09-01", "to": "2026-09-30"}).json()
    assert [e["id"] for e in september["items"]] == [made["id"]]
    only_b = client.get(entries, {"member_id": w1.member_b.pk}).json()
    assert [e["name"] for e in only_b["items"]] == ["October"]
    later = client.get(entries, {"from": "2026-09-15"}).json()
    assert len(later["items"]) == 2
    assert _send(client, "delete", f"{entries}/{made['id']}").status_code == 204
    assert _send(client, "delete", f"{entries}/{made['id']}").status_code == 404


def test_bad_input(t1: Tenant, w1: World, w2: World, as_user: Any) -> None:
    client = as_user(w1.poster)
    base = _base(w1)
    c_a, c_b = _commitment(w1, w1.member_a), _commitment(w1, w1.member_b)
    theirs = _commitment(w2, w2.member_a)
    e_a = _entry(w1, w1.member_a)

    def bad(method: str, url: str, data: dict[str, Any], field: str) -> None:
        before = _state(w1)
        r = _send(client, method, url, data)
        assert r.status_code == 400, (data, r.content)
        body = r.json()
        assert body["detail"]
        assert field in [e["field"] for e in body["errors"]], (data, body)
        assert _state(w1) == before, data

    commitments = f"{base}/commitments"
    a = w1.member_a.pk
    bad("post", commitments, _commitment_body(member_id=a, kind="gift"), "kind")
    bad("post", commitments, _commitment_body(), "member_id")
    bad("post", commitments, _commitment_body(member_id=w2.member_a.pk), "member_id")
    bad("post", commitments, _commitment_body(member_id=a, quantity="lots"), "quantity")
    bad("post", commitments, _commitment_body(member_id=a, quantity=-1), "quantity")
    bad("post", commitments, _commitment_body(member_id=a, quantity="1e30"), "quantity")
    bad(
        "post",
        commitments,
        _commitment_body(member_id=a, kind="referrals_accepted", quantity=None),
        "quantity",
    )
    bad("post", commitments, _commitment_body(member_id=a, kind="other"), "description")
    bad("post", commitments, _commitment_body(member_id=a, description="d" * 501), "description")
    bad("post", commitments, _commitment_body(member_id=a, unit="u" * 51), "unit")
    bad("post", commitments, _commitment_body(member_id=a, ends_on="2026-08-01"), "ends_on")
    bad("post", commitments, _commitment_body(member_id=a, starts_on="2026-02-30"), "starts_on")
    bad("post", commitments, {"member_id": a, "kind": "slots"}, "starts_on")
    edit = f"{commitments}/{c_a.pk}"
    bad("put", edit, _commitment_body(kind="gift"), "kind")
    bad("put", edit, _commitment_body(ends_on="2026-08-01"), "ends_on")
    bad("put", edit, _commitment_body(quantity="NaN"), "quantity")

    entries = f"{base}/measures/entries"
    bad("post", entries, _entry_body(w1.member_a, name=" "), "name")
    bad("post", entries, _entry_body(w1.member_a, name="n" * 201), "name")
    bad("post", entries, _entry_body(w1.member_a, value="many"), "value")
    bad("post", entries, _entry_body(w1.member_a, value="Infinity"), "value")
    bad("post", entries, _entry_body(w1.member_a, unit="u" * 51), "unit")
    bad("post", entries, _entry_body(w1.member_a, note="n" * 501), "note")
    bad("post", entries, _entry_body(w1.member_a, ends_on="2026-08-01"), "ends_on")
    bad("post", entries, _entry_body(w2.member_a), "member_id")
    bad("post", entries, _entry_body(w1.member_a, commitment_id=theirs.pk), "commitment_id")
    bad("post", entries, _entry_body(w1.member_a, commitment_id=c_b.pk), "commitment_id")
    bad("post", entries, _entry_body(w1.member_a, commitment_id=0), "commitment_id")
    edit = f"{entries}/{e_a.pk}"
    bad("put", edit, _entry_body(w1.member_a, value=""), "value")
    bad("put", edit, _entry_body(w1.member_a, commitment_id=c_b.pk), "commitment_id")
    bad("put", edit, _entry_body(w1.member_a, starts_on=None), "starts_on")
    e_a.refresh_from_db()
    assert (e_a.name, e_a.value) == ("Hours", Decimal(3))

    r = client.get(entries, {"from": "2026-10-01", "to": "2026-09-01"})
    assert r.status_code == 400 and "to" in [e["field"] for e in r.json()["errors"]]
    assert client.get(entries, {"from": "yesterday"}).status_code == 400
    assert client.get(commitments, {"member_id": "x"}).status_code == 400
    assert client.get(f"{entries}", {"page_size": 0}).status_code == 400


def test_kinds_match_the_model() -> None:
    assert set(CommitmentKindName.__args__) == set(CommitmentKind.values)


def test_list_query_counts(
    t1: Tenant, w1: World, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(15):
        for member in (w1.member_a, w1.member_b, w1.member_school):
            commitment = _commitment(w1, member, description=f"C{i}")
            _entry(w1, member, f"E{i}", commitment=commitment)
    client = as_user(w1.poster)
    with django_assert_max_num_queries(10):
        r = client.get(f"{_base(w1)}/commitments", {"page_size": 50})
    assert r.status_code == 200 and len(r.json()["items"]) == 45
    with django_assert_max_num_queries(10):
        r = client.get(f"{_base(w1)}/measures/entries", {"page_size": 50})
    assert r.status_code == 200 and len(r.json()["items"]) == 45


def test_openapi_lists_the_endpoints(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/coalitions/{coalition_id}/commitments"]) == {"get", "post"}
    assert set(paths["/api/v1/coalitions/{coalition_id}/commitments/{commitment_id}"]) == {
        "put",
        "delete",
    }
    assert set(paths["/api/v1/coalitions/{coalition_id}/measures/entries"]) == {"get", "post"}
    assert set(paths["/api/v1/coalitions/{coalition_id}/measures/entries/{entry_id}"]) == {
        "put",
        "delete",
    }
