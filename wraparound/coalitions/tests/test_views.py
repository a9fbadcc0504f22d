"""Coalition pages: every page and action for every persona (success, other tenant 404, wrong
role 403/404), bad input re-rendered with what was typed, query counts on list pages, and a
walk through the board."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from wraparound.coalitions.models import (
    CoalitionMember,
    Commitment,
    CommitmentKind,
    MeasureEntry,
    MemberContact,
    PostKind,
    ResourcePost,
)
from wraparound.core.models import Notification
from wraparound.core.tests.factories import CoalitionFactory
from wraparound.core.tests.personas import PERSONAS

from .world import World

READERS = {"network_admin", "coalition_member"}


def _objects(w: World) -> dict[str, Any]:
    c = w.t.coalition
    commitment_a = Commitment.objects.create(
        coalition=c,
        member=w.member_a,
        kind=CommitmentKind.SLOTS,
        quantity=Decimal(5),
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2027, 6, 30),
    )
    commitment_b = Commitment.objects.create(
        coalition=c,
        member=w.member_b,
        kind=CommitmentKind.SPACE,
        description="Gym",
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2027, 6, 30),
    )
    entry = MeasureEntry.objects.create(
        coalition=c,
        member=w.member_b,
        name="Hours",
        value=Decimal(3),
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2026, 9, 30),
    )
    post = ResourcePost.objects.create(
        coalition=c, member=w.member_b, kind=PostKind.OFFER, title="Coats", posted_by=w.other
    )
    contact = MemberContact.objects.get(member=w.member_b)
    return {
        "c": c,
        "commitment_a": commitment_a,
        "commitment_b": commitment_b,
        "entry": entry,
        "post": post,
        "contact": contact,
    }


def _gets(w: World, o: dict[str, Any]) -> dict[str, str]:
    c = o["c"].pk
    return {
        "detail": reverse("coalition_detail", args=[c]),
        "member": reverse("coalition_member_detail", args=[c, w.member_b.pk]),
        "measures": reverse("coalition_measures", args=[c]),
        "board": reverse("coalition_board", args=[c]),
        "post": reverse("coalition_post_detail", args=[c, o["post"].pk]),
        "edit": reverse("coalition_edit", args=[c]),
        "member_add": reverse("coalition_member_add", args=[c]),
        "contact_edit": reverse("coalition_contact_edit", args=[c, o["contact"].pk]),
        "commitment_create": reverse("coalition_commitment_create", args=[c]),
        "commitment_edit_b": reverse("coalition_commitment_edit", args=[c, o["commitment_b"].pk]),
        "commitment_edit_a": reverse("coalition_commitment_edit", args=[c, o["commitment_a"].pk]),
    }


def _expected_get(persona: str, page: str) -> int:
    if persona not in READERS:
        return 404
    if persona == "network_admin":
        return 200
    # The coalition_member persona is the contact of org A (not of org B).
    return {
        "edit": 403,
        "member_add": 403,
        "contact_edit": 403,
        "commitment_edit_b": 403,
    }.get(page, 200)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_by_persona(
    t1: Any, t2: Any, w1: World, w2: World, as_user: Any, persona: str
) -> None:
    client = as_user(t1.users[persona])
    mine, theirs = _gets(w1, _objects(w1)), _gets(w2, _objects(w2))
    for page, url in mine.items():
        assert client.get(url).status_code == _expected_get(persona, page), (page, url)
    for page, url in theirs.items():
        assert client.get(url).status_code == 404, (page, url)
    listing = client.get(reverse("coalition_list"))
    assert listing.status_code == (200 if persona in READERS else 403)
    if persona in READERS:
        assert t1.coalition.name in listing.content.decode()
        assert t2.coalition.name not in listing.content.decode()
    create = client.get(reverse("coalition_create"))
    assert create.status_code == (200 if persona == "network_admin" else 403)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_action_by_persona(
    t1: Any, t2: Any, w1: World, w2: World, as_user: Any, persona: str
) -> None:
    """POSTs: the admin succeeds everywhere; the contact of org A on what is theirs or
    everyone's; the rest get 404 (they do not see the coalition); other tenants' are 404."""
    client = as_user(t1.users[persona])
    o, other = _objects(w1), _objects(w2)
    c = o["c"].pk
    admin, member = persona == "network_admin", persona == "coalition_member"

    def post(url: str, data: dict[str, Any], ok: int, as_member: int) -> None:
        expected = ok if admin else as_member if member else 404
        assert client.post(url, data).status_code == expected, url

    post(
        reverse("coalition_member_set_active", args=[c, w1.member_agency.pk]),
        {"active": "0"},
        302,
        403,
    )
    post(
        reverse("coalition_contact_add", args=[c, w1.member_agency.pk]),
        {"name": "New person"},
        302,
        403,
    )
    post(reverse("coalition_contact_remove", args=[c, o["contact"].pk]), {}, 302, 403)
    post(reverse("coalition_commitment_delete", args=[c, o["commitment_b"].pk]), {}, 302, 403)
    post(reverse("coalition_measure_entry_delete", args=[c, o["entry"].pk]), {}, 302, 403)
    post(
        reverse("coalition_measure_entry_create", args=[c]),
        {
            "member": w1.member_a.pk,
            "name": "Hours",
            "value": "4",
            "starts_on": "2026-09-01",
            "ends_on": "2026-09-30",
        },
        302,
        302,
    )
    post(
        reverse("coalition_post_create", args=[c]),
        {"kind": "request", "title": "Room", "member": w1.member_a.pk},
        302,
        302,
    )
    post(reverse("coalition_post_respond", args=[c, o["post"].pk]), {"message": "Yes"}, 302, 302)
    post(
        reverse("coalition_post_close", args=[c, o["post"].pk]),
        {"status": "fulfilled", "version": "1"},
        302,
        403,
    )
    # Other tenant: nothing is found.
    oc = other["c"].pk
    for url in (
        reverse("coalition_member_set_active", args=[oc, w2.member_agency.pk]),
        reverse("coalition_post_create", args=[oc]),
        reverse("coalition_post_respond", args=[oc, other["post"].pk]),
        reverse("coalition_post_close", args=[oc, other["post"].pk]),
        reverse("coalition_measure_entry_create", args=[oc]),
    ):
        assert client.post(url, {"message": "x", "title": "x", "kind": "offer"}).status_code == 404
    assert ResourcePost.objects.filter(coalition=other["c"]).count() == 1


def test_a_member_sees_only_their_coalitions(t1: Any, w1: World, as_user: Any) -> None:
    elsewhere = CoalitionFactory(network=t1.network, community=t1.communities[1], name="Else")
    client = as_user(w1.poster)
    assert client.get(reverse("coalition_detail", args=[elsewhere.pk])).status_code == 404
    assert client.get(reverse("coalition_board", args=[elsewhere.pk])).status_code == 404
    assert "Else" not in client.get(reverse("coalition_list")).content.decode()
    admin = as_user(t1.users["network_admin"])
    assert admin.get(reverse("coalition_detail", args=[elsewhere.pk])).status_code == 200


def test_home_page_shows_members_contacts_and_commitments(w1: World, as_user: Any) -> None:
    _objects(w1)
    html = as_user(w1.poster).get(reverse("coalition_detail", args=[w1.t.coalition.pk]))
    text = html.content.decode()
    for expected in (w1.t.org_a.name, "Pat Poster", "ACS office", "Gym", "Coats"):
        assert expected in text
    assert reverse("coalition_board", args=[w1.t.coalition.pk]) in text


# --- creating and editing ---------------------------------------------------------------------


def test_admin_creates_a_coalition_and_adds_members(t1: Any, as_user: Any) -> None:
    client = as_user(t1.users["network_admin"])
    response = client.post(
        reverse("coalition_create"),
        {
            "network": t1.network.pk,
            "name": "CD 2 Coalition",
            "community": t1.communities[1].pk,
            "focus": "SEL",
            "principles": "Families first",
        },
    )
    coalition = t1.network.coalitions.get(name="CD 2 Coalition")
    assert response.status_code == 302
    assert response["Location"] == reverse("coalition_detail", args=[coalition.pk])
    add = reverse("coalition_member_add", args=[coalition.pk])
    assert client.post(add, {"organization": t1.org_a.pk, "kind": "child_care"}).status_code == 302
    assert client.post(add, {"school": t1.schools[3].pk, "kind": "other"}).status_code == 302
    assert client.post(add, {"name": "Head Start on 5th", "kind": "head_start"}).status_code == 302
    assert sorted(
        CoalitionMember.objects.filter(coalition=coalition).values_list("kind", flat=True)
    ) == ["child_care", "head_start", "school"]
    # Contact linked to an account of the network: the user now sees the coalition.
    member = CoalitionMember.objects.get(coalition=coalition, kind="head_start")
    staff = t1.users["staff"]
    response = client.post(
        reverse("coalition_contact_add", args=[coalition.pk, member.pk]),
        {
            "name": "Dana",
            "email": "dana@example.org",
            "account": staff.username,
            "is_primary": "on",
        },
    )
    assert response.status_code == 302
    assert as_user(staff).get(reverse("coalition_detail", args=[coalition.pk])).status_code == 200


def test_bad_input_keeps_what_was_typed(t1: Any, t2: Any, w1: World, as_user: Any) -> None:
    client = as_user(t1.users["network_admin"])
    c = t1.coalition.pk
    r = client.post(
        reverse("coalition_create"),
        {"network": t1.network.pk, "name": "", "focus": "Literacy first"},
    )
    assert r.status_code == 400
    assert "This field is required." in r.content.decode()
    assert "Literacy first" in r.content.decode()
    r = client.post(
        reverse("coalition_member_add", args=[c]), {"organization": t1.org_a.pk, "kind": "other"}
    )
    assert r.status_code == 400 and "Choose an organization of the network" in r.content.decode()
    r = client.post(reverse("coalition_member_add", args=[c]), {"kind": "other"})
    assert r.status_code == 400 and "one of them" in r.content.decode()
    r = client.post(
        reverse("coalition_contact_add", args=[c, w1.member_agency.pk]),
        {"name": "Kim", "account": t2.users["staff"].username},
    )
    assert r.status_code == 400
    assert "has a role in the network" in r.content.decode() and "Kim" in r.content.decode()
    r = client.post(
        reverse("coalition_commitment_create", args=[c]),
        {
            "member": w1.member_a.pk,
            "kind": "referrals_accepted",
            "quantity": "",
            "description": "Our pledge",
            "starts_on": "2026-09-01",
            "ends_on": "2026-08-01",
        },
    )
    assert r.status_code == 400
    text = r.content.decode()
    assert "Enter a number." in text and "end on or after" in text and "Our pledge" in text
    r = client.get(reverse("coalition_measures", args=[c]), {"from": "2026-13-01"})
    assert r.status_code == 400 and "YYYY-MM-DD" in r.content.decode()
    r = client.get(
        reverse("coalition_measures", args=[c]), {"from": "2026-10-01", "to": "2026-09-01"}
    )
    assert r.status_code == 400 and "end on or after" in r.content.decode()
    r = client.post(
        reverse("coalition_measure_entry_create", args=[c]),
        {"name": "Meals", "value": "many", "starts_on": "2026-09-01", "ends_on": "2026-09-30"},
    )
    assert r.status_code == 400 and "Enter a number." in r.content.decode()
    assert 'value="Meals"' in r.content.decode()
    r = client.get(reverse("coalition_board", args=[c]), {"status": "nope"})
    assert r.status_code == 400 and "Choose a status" in r.content.decode()
    r = client.post(
        reverse("coalition_post_create", args=[c]),
        {"kind": "offer", "title": "", "body": "Thirty coats, sizes 4-12"},
    )
    assert r.status_code == 400 and "Thirty coats, sizes 4-12" in r.content.decode()


def test_commitment_edit_keeps_its_member(t1: Any, w1: World, as_user: Any) -> None:
    o = _objects(w1)
    client = as_user(w1.poster)
    url = reverse("coalition_commitment_edit", args=[t1.coalition.pk, o["commitment_a"].pk])
    response = client.post(
        url,
        {
            "member": w1.member_b.pk,
            "kind": "slots",
            "quantity": "9",
            "starts_on": "2026-09-01",
            "ends_on": "2027-06-30",
        },
    )
    assert response.status_code == 302
    o["commitment_a"].refresh_from_db()
    assert (o["commitment_a"].member, o["commitment_a"].quantity) == (w1.member_a, Decimal(9))


# --- the board, end to end ------------------------------------------------------------------


def test_board_walkthrough(t1: Any, w1: World, as_user: Any) -> None:
    c = t1.coalition.pk
    client = as_user(w1.poster)
    r = client.post(
        reverse("coalition_post_create", args=[c]),
        {
            "kind": "offer",
            "title": "30 winter coats",
            "body": "Sizes 4-12",
            "member": w1.member_a.pk,
        },
    )
    post = ResourcePost.objects.get(title="30 winter coats")
    assert r["Location"] == reverse("coalition_post_detail", args=[c, post.pk])
    other = as_user(w1.other)
    r = other.post(reverse("coalition_post_respond", args=[c, post.pk]), {"message": ""})
    assert r.status_code == 400
    other.post(
        reverse("coalition_post_respond", args=[c, post.pk]), {"message": "We can use twelve."}
    )
    assert Notification.objects.filter(user=w1.poster, url__contains=f"/board/{post.pk}/").exists()
    client = as_user(w1.poster)
    assert (
        "We can use twelve."
        in client.get(reverse("coalition_post_detail", args=[c, post.pk])).content.decode()
    )
    close = reverse("coalition_post_close", args=[c, post.pk])
    assert client.post(close, {"status": "bogus", "version": "1"}).status_code == 400
    assert client.post(close, {"status": "fulfilled", "version": "x"}).status_code == 400
    assert client.post(close, {"status": "fulfilled", "version": "1"}).status_code == 302
    r = client.post(close, {"status": "withdrawn", "version": "1"})
    assert r.status_code == 409 and "already closed" in r.content.decode()
    r = as_user(w1.other).post(
        reverse("coalition_post_respond", args=[c, post.pk]), {"message": "More?"}
    )
    assert r.status_code == 400 and "takes no more responses" in r.content.decode()
    board = as_user(w1.other).get(reverse("coalition_board", args=[c])).content.decode()
    link = reverse("coalition_post_detail", args=[c, post.pk])
    assert link not in board  # open posts by default
    board = (
        as_user(w1.other)
        .get(reverse("coalition_board", args=[c]), {"status": "fulfilled", "kind": "offer"})
        .content.decode()
    )
    assert link in board


def test_list_pages_query_counts(
    t1: Any, w1: World, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    c = t1.coalition
    for i in range(15):
        ResourcePost.objects.create(
            coalition=c, member=w1.member_a, kind="offer", title=f"Post {i}", posted_by=w1.poster
        )
        CoalitionFactory(network=t1.network, name=f"Coalition {i}")
    client = as_user(t1.users["network_admin"])
    with django_assert_max_num_queries(12):
        assert client.get(reverse("coalition_list")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("coalition_board", args=[c.pk])).status_code == 200
    with django_assert_max_num_queries(22):
        assert client.get(reverse("coalition_detail", args=[c.pk])).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("coalition_measures", args=[c.pk])).status_code == 200


def test_board_pages(t1: Any, w1: World, as_user: Any) -> None:
    for i in range(25):
        ResourcePost.objects.create(
            coalition=t1.coalition, member=w1.member_a, kind="offer", title=f"Post {i}"
        )
    client = as_user(w1.other)
    url = reverse("coalition_board", args=[t1.coalition.pk])
    first = client.get(url)
    assert len(first.context["posts"]) == 20 and "Page 1 of 2" in first.content.decode()
    second = client.get(url, {"page": "2", "status": "open"})
    assert len(second.context["posts"]) == 5


def test_openapi_lists_the_board(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert "/api/v1/coalitions/{coalition_id}/posts/{post_id}/close" in paths
    params = [
        p["name"] for p in paths["/api/v1/coalitions/{coalition_id}/measures"]["get"]["parameters"]
    ]
    assert "from" in params
