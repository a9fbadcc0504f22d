"""Changing an action item after its meeting: who may (every persona, page and API), what is
refused (an owner who cannot own it, an empty title, a closed item), the new owner told and the
item moved to their home page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from wraparound.core.models import AuditEvent, Notification
from wraparound.core.tests.personas import PERSONAS

from ..models import ActionItem, ActionItemStatus
from .factories import make_item, make_meeting
from .test_api import bearer
from .test_views import COALITION_RUNNERS, SCHOOL_READERS

pytestmark = pytest.mark.django_db

SCHOOL_RUNNERS = {"network_admin", "coordinator", "principal"}


def _form(item: ActionItem, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": item.title,
        "owner": item.owner_id,
        "due_on": item.due_on.isoformat(),
        "note": item.note,
    }
    data.update(extra)
    return data


@pytest.mark.parametrize("persona", PERSONAS)
def test_school_item_edit_page_and_api(t1, t2, as_user, persona) -> None:
    meeting = make_meeting(school=t1.schools[0], status="held")
    # Owned by school staff, who reads the item but does not run the meetings.
    item = make_item(meeting, t1.users["staff"])
    url = reverse("action_item_edit", args=[item.pk])
    want = 200 if persona in SCHOOL_RUNNERS else 403 if persona in SCHOOL_READERS else 404
    client = as_user(t1.users[persona])
    assert client.get(url).status_code == want
    posted = client.post(url, _form(item, title=f"By {persona}"))
    assert posted.status_code == (302 if want == 200 else want)
    api = bearer(t1.users[persona]).patch(
        f"/api/v1/action-items/{item.pk}", {"note": persona}, content_type="application/json"
    )
    assert api.status_code == want
    item.refresh_from_db()
    if want == 200:
        assert item.title == f"By {persona}" and item.note == persona
        assert api.json()["note"] == persona
    else:
        assert item.title == "Call the housing office" and item.note == ""
    # The other network's people: 404 everywhere.
    assert as_user(t2.users[persona]).get(url).status_code == 404
    other_api = bearer(t2.users[persona]).patch(
        f"/api/v1/action-items/{item.pk}", {"note": "x"}, content_type="application/json"
    )
    assert other_api.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_coalition_item_edit_page(t1, as_user, persona) -> None:
    meeting = make_meeting(coalition=t1.coalition, status="held")
    item = make_item(meeting, t1.users["coalition_member"])
    want = 200 if persona in COALITION_RUNNERS else 404
    assert (
        as_user(t1.users[persona]).get(reverse("action_item_edit", args=[item.pk])).status_code
        == want
    )


def test_edit_links_for_those_who_run_the_body(t1, as_user) -> None:
    meeting = make_meeting(school=t1.schools[0], status="held")
    item = make_item(meeting, t1.users["staff"])
    url = reverse("action_item_edit", args=[item.pk])
    pages = [
        reverse("meeting_detail", args=[meeting.pk]),
        reverse("school_action_items", args=[t1.schools[0].pk]) + "?show=open",
    ]
    for page in pages:
        assert url in as_user(t1.users["coordinator"]).get(page).content.decode()
        assert url not in as_user(t1.users["staff"]).get(page).content.decode()


def test_bad_input_keeps_what_was_typed(t1, as_user) -> None:
    meeting = make_meeting(school=t1.schools[0], status="held")
    item = make_item(meeting, t1.users["staff"])
    client = as_user(t1.users["coordinator"])
    url = reverse("action_item_edit", args=[item.pk])
    # Partner staff of another organization cannot own a school's item.
    resp = client.post(url, _form(item, title="Typed title", owner=t1.users["partner_staff_a"].pk))
    body = resp.content.decode()
    assert resp.status_code == 400 and "Choose the owner from the people listed." in body
    assert 'value="Typed title"' in body
    resp = client.post(url, _form(item, title="  "))
    assert resp.status_code == 400
    api = bearer(t1.users["coordinator"]).patch(
        f"/api/v1/action-items/{item.pk}",
        {"owner_id": t1.users["partner_staff_a"].pk},
        content_type="application/json",
    )
    assert api.status_code == 400 and "owner" in api.json()["detail"]
    api = bearer(t1.users["coordinator"]).patch(
        f"/api/v1/action-items/{item.pk}", {"title": " "}, content_type="application/json"
    )
    assert api.status_code == 400 and "Say what is to be done." in api.json()["detail"]
    # A past due date is allowed.
    past = t1.network.today() - dt.timedelta(days=30)
    assert client.post(url, _form(item, due_on=past.isoformat())).status_code == 302
    item.refresh_from_db()
    assert item.due_on == past and item.title == "Call the housing office"


def test_owner_change_moves_the_item_home_and_tells_the_new_owner(t1, as_user) -> None:
    meeting = make_meeting(school=t1.schools[0], status="held")
    item = make_item(meeting, t1.users["staff"], title="Book the gym")
    home = reverse("home")
    row = f'id="item-{item.pk}"'
    assert row in as_user(t1.users["staff"]).get(home).content.decode()
    assert row not in as_user(t1.users["supervisor"]).get(home).content.decode()
    resp = as_user(t1.users["coordinator"]).post(
        reverse("action_item_edit", args=[item.pk]), _form(item, owner=t1.users["supervisor"].pk)
    )
    assert resp.status_code == 302
    assert row not in as_user(t1.users["staff"]).get(home).content.decode()
    assert row in as_user(t1.users["supervisor"]).get(home).content.decode()
    told = Notification.objects.filter(user=t1.users["supervisor"])
    assert told.count() == 1 and "Book the gym" in told.get().message
    assert AuditEvent.objects.filter(action="meetings.action_item.edit").count() == 1


def test_closed_item_is_not_edited(t1, as_user) -> None:
    meeting = make_meeting(school=t1.schools[0], status="held")
    item = make_item(meeting, t1.users["staff"], status=ActionItemStatus.DONE)
    resp = as_user(t1.users["coordinator"]).post(
        reverse("action_item_edit", args=[item.pk]), _form(item, title="Changed")
    )
    assert resp.status_code == 400 and "reopen it" in resp.content.decode()
    api = bearer(t1.users["coordinator"]).patch(
        f"/api/v1/action-items/{item.pk}", {"title": "Changed"}, content_type="application/json"
    )
    assert api.status_code == 400 and "reopen it" in api.json()["detail"]
    item.refresh_from_db()
    assert item.title == "Call the housing office"
