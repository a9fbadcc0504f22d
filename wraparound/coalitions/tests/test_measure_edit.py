"""Correcting an entered measure: the service's rules (the same as entering one, for the member
agency the entry is for and the one it will be for), and the edit page reached from the
measures page, for every persona, with bad input re-rendered as typed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from wraparound.coalitions import services
from wraparound.coalitions.models import Commitment, CommitmentKind, MeasureEntry
from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS, Tenant

from .world import World

SEPT = {"starts_on": dt.date(2026, 9, 1), "ends_on": dt.date(2026, 9, 30)}


def _entry(w: World, member: Any, name: str = "Hours", **extra: Any) -> MeasureEntry:
    return MeasureEntry.objects.create(
        coalition=w.t.coalition, member=member, name=name, value=Decimal(3), **SEPT, **extra
    )


def _commitment(w: World, member: Any) -> Commitment:
    return Commitment.objects.create(
        coalition=w.t.coalition,
        member=member,
        kind=CommitmentKind.STAFF_HOURS,
        quantity=Decimal(40),
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2027, 6, 30),
    )


def _fields(member_: Any, **over: Any) -> dict[str, Any]:
    return {
        "member": member_,
        "commitment": None,
        "name": "Volunteer hours",
        "value": "12.5",
        "unit": "hours",
        "note": "Sign-in sheets",
        **SEPT,
        **over,
    }


def _snapshot(entry: MeasureEntry) -> tuple[Any, ...]:
    entry.refresh_from_db()
    return (
        entry.member_id,
        entry.commitment_id,
        entry.name,
        entry.value,
        entry.unit,
        entry.starts_on,
        entry.ends_on,
        entry.note,
    )


# --- the service --------------------------------------------------------------------------------


def test_a_contact_corrects_their_agencys_entry(w1: World) -> None:
    entry = _entry(w1, w1.member_a)
    commitment = _commitment(w1, w1.member_a)
    entered_at = entry.entered_at
    services.measure_entry_update(
        user=w1.poster,
        entry=entry,
        **_fields(None, commitment=commitment, value=Decimal("12.555")),
    )
    entry.refresh_from_db()
    # A commitment without a member agency stands for its agency, as when entering.
    assert (entry.member, entry.commitment, entry.name) == (
        w1.member_a,
        commitment,
        "Volunteer hours",
    )
    assert (entry.value, entry.unit, entry.note) == (Decimal("12.56"), "hours", "Sign-in sheets")
    assert entry.entered_at == entered_at  # who entered it and when stay
    event = AuditEvent.objects.get(action="coalition.measure_update", target_id=str(entry.pk))
    assert event.data["before"] == {"member": w1.member_a.pk, "name": "Hours", "value": "3.00"}


def test_an_admin_moves_an_entry_to_the_whole_coalition(t1: Tenant, w1: World) -> None:
    entry = _entry(w1, w1.member_b)
    services.measure_entry_update(
        user=t1.users["network_admin"], entry=entry, **_fields(None, value="7")
    )
    entry.refresh_from_db()
    assert (entry.member, entry.value) == (None, Decimal(7))


@pytest.mark.parametrize(
    ("entry_for", "moved_to"),
    [
        ("member_b", "member_b"),  # not their agency
        ("member_a", "member_b"),  # to an agency they are not a contact of
        ("member_a", None),  # to the coalition as a whole: admins only
        (None, "member_a"),  # an entry for the whole coalition
    ],
)
def test_a_contact_changes_nothing_outside_their_agency(
    w1: World, entry_for: str | None, moved_to: str | None
) -> None:
    entry = _entry(w1, getattr(w1, entry_for) if entry_for else None)
    before = _snapshot(entry)
    with pytest.raises(PermissionDenied):
        services.measure_entry_update(
            user=w1.poster, entry=entry, **_fields(getattr(w1, moved_to) if moved_to else None)
        )
    assert _snapshot(entry) == before
    assert not AuditEvent.objects.filter(action="coalition.measure_update").exists()


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "network_admin"])
def test_no_other_persona_corrects_an_entry(t1: Tenant, w1: World, persona: str) -> None:
    entry = _entry(w1, w1.member_a if persona != "coalition_member" else w1.member_b)
    with pytest.raises(PermissionDenied):
        services.measure_entry_update(user=t1.users[persona], entry=entry, **_fields(entry.member))


def test_bad_input_is_refused_field_by_field(t1: Tenant, w1: World, w2: World) -> None:
    admin = t1.users["network_admin"]
    entry = _entry(w1, w1.member_a)
    before = _snapshot(entry)
    theirs = _commitment(w2, w2.member_a)
    b_commitment = _commitment(w1, w1.member_b)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"value": "many"}, "value"),
        ({"value": "NaN"}, "value"),
        ({"value": ""}, "value"),
        ({"unit": "u" * 51}, "unit"),
        ({"note": "n" * 501}, "note"),
        ({"starts_on": None}, "starts_on"),
        ({"ends_on": dt.date(2026, 8, 1)}, "ends_on"),
        ({"member": w2.member_a}, "member"),
        ({"commitment": theirs}, "commitment"),
        ({"commitment": b_commitment}, "commitment"),
    ]
    for over, field in cases:
        with pytest.raises(ValidationError) as caught:
            services.measure_entry_update(user=admin, entry=entry, **_fields(w1.member_a, **over))
        assert field in caught.value.message_dict, (over, caught.value.message_dict)
        assert _snapshot(entry) == before, over


def test_an_entry_removed_meanwhile_is_not_brought_back(t1: Tenant, w1: World) -> None:
    entry = _entry(w1, w1.member_a)
    MeasureEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(ValidationError) as caught:
        services.measure_entry_update(
            user=t1.users["network_admin"], entry=entry, **_fields(w1.member_a)
        )
    assert "removed" in str(caught.value)
    assert not MeasureEntry.objects.filter(pk=entry.pk).exists()


# --- the page -----------------------------------------------------------------------------------


def _edit_url(entry: MeasureEntry) -> str:
    return reverse("coalition_measure_entry_edit", args=[entry.coalition_id, entry.pk])


def _post_data(member: Any, **over: Any) -> dict[str, Any]:
    return {
        "member": member.pk if member else "",
        "commitment": "",
        "name": "Volunteer hours",
        "value": "12.50",
        "unit": "hours",
        "starts_on": "2026-09-01",
        "ends_on": "2026-09-30",
        "note": "Sign-in sheets",
        **over,
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_edit_page_by_persona(t1: Tenant, w1: World, w2: World, as_user: Any, persona: str) -> None:
    client = as_user(t1.users[persona])
    entry_a, entry_b, entry_all = (
        _entry(w1, w1.member_a),
        _entry(w1, w1.member_b),
        _entry(w1, None, "Families"),
    )
    theirs = _entry(w2, w2.member_a)
    admin, member = persona == "network_admin", persona == "coalition_member"

    def expected(ok: int, as_member: int) -> int:
        return ok if admin else as_member if member else 404

    assert client.get(_edit_url(entry_a)).status_code == expected(200, 200)
    assert client.get(_edit_url(entry_b)).status_code == expected(200, 403)
    assert client.get(_edit_url(entry_all)).status_code == expected(200, 403)
    for entry in (entry_b, entry_all):
        before = _snapshot(entry)
        r = client.post(_edit_url(entry), _post_data(entry.member))
        assert r.status_code == expected(302, 403)
        if not admin:
            assert _snapshot(entry) == before
    r = client.post(_edit_url(entry_a), _post_data(w1.member_a))
    assert r.status_code == expected(302, 302)
    if r.status_code == 302:
        assert r["Location"] == reverse("coalition_measures", args=[t1.coalition.pk])
        entry_a.refresh_from_db()
        assert (entry_a.name, entry_a.value) == ("Volunteer hours", Decimal("12.50"))
    # Another tenant's entry, through either coalition: 404 for everyone.
    assert client.get(_edit_url(theirs)).status_code == 404
    wrong = reverse("coalition_measure_entry_edit", args=[t1.coalition.pk, theirs.pk])
    assert client.get(wrong).status_code == 404
    assert client.post(_edit_url(theirs), _post_data(w2.member_a)).status_code == 404
    assert _snapshot(theirs)[2] == "Hours"


def test_the_measures_page_links_to_the_edit_page(t1: Tenant, w1: World, as_user: Any) -> None:
    mine, not_mine = _entry(w1, w1.member_a), _entry(w1, w1.member_b)
    url = reverse("coalition_measures", args=[t1.coalition.pk])
    period = {"from": "2026-09-01", "to": "2026-09-30"}
    text = as_user(w1.poster).get(url, period).content.decode()
    assert _edit_url(mine) in text and _edit_url(not_mine) not in text
    text = as_user(t1.users["network_admin"]).get(url, period).content.decode()
    assert _edit_url(mine) in text and _edit_url(not_mine) in text


def test_the_edit_page_shows_the_entry(w1: World, as_user: Any) -> None:
    commitment = _commitment(w1, w1.member_a)
    entry = _entry(w1, w1.member_a, commitment=commitment, note="From the sign-in sheets")
    text = as_user(w1.poster).get(_edit_url(entry)).content.decode()
    assert 'value="Hours"' in text and "From the sign-in sheets" in text
    assert f'<option value="{commitment.pk}" selected>' in text


def test_bad_input_keeps_what_was_typed(w1: World, as_user: Any) -> None:
    entry = _entry(w1, w1.member_a)
    before = _snapshot(entry)
    client = as_user(w1.poster)
    r = client.post(_edit_url(entry), _post_data(w1.member_a, value="many", name="Meals served"))
    assert r.status_code == 400
    text = r.content.decode()
    assert "Enter a number." in text and 'value="Meals served"' in text
    r = client.post(_edit_url(entry), _post_data(w1.member_a, ends_on="2026-08-01"))
    assert r.status_code == 400 and "end on or after" in r.content.decode()
    assert 'value="Sign-in sheets"' in r.content.decode()
    # An agency the contact may not act for is not among the choices.
    r = client.post(_edit_url(entry), _post_data(w1.member_b))
    assert r.status_code == 400 and "Choose a member agency you may act for." in r.content.decode()
    # A commitment of another agency: the service's refusal, on the commitment field.
    other = _commitment(w1, w1.member_b)
    r = client.post(_edit_url(entry), _post_data(w1.member_a, commitment=str(other.pk)))
    assert r.status_code == 400
    assert _snapshot(entry) == before


def test_an_admin_corrects_an_entry_of_a_deactivated_agency(
    t1: Tenant, w1: World, as_user: Any
) -> None:
    entry = _entry(w1, w1.member_b)
    admin = t1.users["network_admin"]
    services.member_set_active(user=admin, member=w1.member_b, active=False)
    client = as_user(admin)
    assert client.get(_edit_url(entry)).status_code == 200
    r = client.post(_edit_url(entry), _post_data(w1.member_b, value="4"))
    assert r.status_code == 302
    entry.refresh_from_db()
    assert (entry.member, entry.value) == (w1.member_b, Decimal(4))
    # Its contact no longer takes part in the coalition.
    assert as_user(w1.other).get(_edit_url(entry)).status_code == 404
