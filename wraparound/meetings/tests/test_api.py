"""The meetings API: every persona on a body's list, one meeting, my action items and marking
one done; other network 404; bad input 400 with a message; query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from wraparound.core import services as core_services
from wraparound.core.tests.personas import PERSONAS

from ..models import ActionItemStatus
from .factories import make_item, make_meeting
from .test_views import COALITION_RUNNERS, SCHOOL_FORBIDDEN, SCHOOL_READERS, _expected

pytestmark = pytest.mark.django_db


def bearer(user: Any) -> Client:
    _token, raw = core_services.api_token_create(user=user, name="test")
    return Client(headers={"authorization": f"Bearer {raw}"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_meetings(t1, t2, persona) -> None:
    school, coalition = t1.schools[0], t1.coalition
    sm = make_meeting(school=school)
    cm = make_meeting(coalition=coalition)
    client = bearer(t1.users[persona])
    got = client.get(f"/api/v1/meetings?school={school.pk}")
    assert got.status_code == _expected(persona, SCHOOL_READERS, SCHOOL_FORBIDDEN)
    if got.status_code == 200:
        assert [m["id"] for m in got.json()["items"]] == [sm.pk]
    got = client.get(f"/api/v1/meetings?coalition={coalition.pk}")
    assert got.status_code == _expected(persona, COALITION_RUNNERS)
    if got.status_code == 200:
        assert [m["id"] for m in got.json()["items"]] == [cm.pk]
    assert client.get(f"/api/v1/meetings/{sm.pk}").status_code == _expected(persona, SCHOOL_READERS)
    assert client.get(f"/api/v1/meetings/{cm.pk}").status_code == _expected(
        persona, COALITION_RUNNERS
    )
    other = bearer(t2.users[persona])
    assert other.get(f"/api/v1/meetings?school={school.pk}").status_code == 404
    assert other.get(f"/api/v1/meetings/{sm.pk}").status_code == 404


def test_meeting_list_needs_one_body(t1) -> None:
    client = bearer(t1.users["network_admin"])
    for query in ("", f"?school={t1.schools[0].pk}&coalition={t1.coalition.pk}"):
        got = client.get(f"/api/v1/meetings{query}")
        assert got.status_code == 400
        assert "either coalition or school" in got.json()["errors"][0]["message"]
    assert client.get("/api/v1/meetings?school=0").status_code == 400


def test_meeting_detail_shape(t1) -> None:
    meeting = make_meeting(school=t1.schools[0], decisions="One\nTwo")
    meeting.attendees.create(name="Rosa", kind="family", affiliation="parent")
    make_item(meeting, t1.users["staff"], due_on=t1.network.today() - dt.timedelta(days=1))
    got = bearer(t1.users["coordinator"]).get(f"/api/v1/meetings/{meeting.pk}").json()
    assert got["decisions"] == ["One", "Two"]
    assert got["attendees"][0]["kind"] == "family"
    assert got["action_items"][0]["overdue"] is True


@pytest.mark.parametrize("persona", PERSONAS)
def test_my_action_items_and_marking_done(t1, t2, persona, django_assert_max_num_queries) -> None:
    meeting = make_meeting(school=t1.schools[0])
    user = t1.users[persona]
    mine = make_item(meeting, user, title="Mine", due_on=t1.network.today() - dt.timedelta(days=1))
    theirs = make_item(
        meeting,
        t1.users["principal"] if persona != "principal" else t1.users["staff"],
        title="Theirs",
    )
    client = bearer(user)
    with django_assert_max_num_queries(8):
        got = client.get("/api/v1/action-items")
    assert got.status_code == 200
    items = got.json()["items"]
    assert [i["title"] for i in items] == ["Mine"] and items[0]["overdue"] is True
    assert client.get("/api/v1/action-items?show=done").json()["items"] == []
    assert client.get("/api/v1/action-items?show=later").status_code == 400
    # Someone else's item: the school's organizers may close it, readers may not, others 404.
    got = client.post(
        f"/api/v1/action-items/{theirs.pk}/status",
        {"status": "done"},
        content_type="application/json",
    )
    runners = {"network_admin", "coordinator", "principal"}
    assert got.status_code == (
        200 if persona in runners else 403 if persona in SCHOOL_READERS else 404
    )
    assert (
        bearer(t2.users[persona])
        .post(
            f"/api/v1/action-items/{mine.pk}/status",
            {"status": "done"},
            content_type="application/json",
        )
        .status_code
        == 404
    )
    bad = client.post(
        f"/api/v1/action-items/{mine.pk}/status",
        {"status": "dropped"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "why" in bad.json()["detail"]
    assert (
        client.post(
            f"/api/v1/action-items/{mine.pk}/status",
            {"status": "later"},
            content_type="application/json",
        ).status_code
        == 400
    )
    ok = client.post(
        f"/api/v1/action-items/{mine.pk}/status",
        {"status": "done"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == ActionItemStatus.DONE
    assert client.get("/api/v1/action-items").json()["items"] == []


def test_anonymous_is_401() -> None:
    assert Client().get("/api/v1/action-items").status_code == 401


SCHOOL_RUNNERS = {"network_admin", "coordinator", "principal"}


def _post(client: Client, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data, content_type="application/json")


@pytest.mark.parametrize("persona", PERSONAS)
def test_schedule_and_record_through_the_api(t1, t2, persona) -> None:
    school = t1.schools[0]
    client = bearer(t1.users[persona])
    starts = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)).isoformat()
    new = {"school": school.pk, "title": "Leadership team", "starts_at": starts}
    got = _post(client, "/api/v1/meetings", new)
    want = _expected(persona, SCHOOL_RUNNERS, SCHOOL_FORBIDDEN | SCHOOL_READERS)
    assert got.status_code == (201 if want == 200 else want)
    assert _post(bearer(t2.users[persona]), "/api/v1/meetings", new).status_code == 404
    meeting = make_meeting(school=school)
    record = {
        "expected_version": 1,
        "minutes": "Notes",
        "decisions": ["One", "Two"],
        "present": [f"u{t1.users['staff'].pk}"],
        "guests": [{"name": "Rosa", "kind": "family", "affiliation": "parent"}],
        "new_items": [
            {
                "title": "Call",
                "owner_id": t1.users["principal"].pk,
                "due_on": str(t1.network.today() + dt.timedelta(days=3)),
            }
        ],
    }
    got = _post(client, f"/api/v1/meetings/{meeting.pk}/record", record)
    assert got.status_code == _expected(persona, SCHOOL_RUNNERS, SCHOOL_READERS)
    if got.status_code == 200:
        body = got.json()
        assert body["status"] == "held" and body["version"] == 2
        assert body["decisions"] == ["One", "Two"] and len(body["attendees"]) == 2
        assert body["action_items"][0]["owner_id"] == t1.users["principal"].pk
        stale = _post(client, f"/api/v1/meetings/{meeting.pk}/record", record)
        assert stale.status_code == 409 and "expected_version" in stale.json()["detail"]


def test_api_record_bad_input(t1) -> None:
    meeting = make_meeting(school=t1.schools[0])
    client = bearer(t1.users["coordinator"])
    got = _post(
        client,
        f"/api/v1/meetings/{meeting.pk}/record",
        {"expected_version": 1, "present": ["u0"], "guests": [{"name": "X", "kind": "alien"}]},
    )
    assert got.status_code == 400
    assert any(e["field"].startswith("guests") for e in got.json()["errors"])
    got = _post(
        client,
        f"/api/v1/meetings/{meeting.pk}/record",
        {
            "expected_version": 1,
            "new_items": [
                {"title": "x", "owner_id": t1.users["outsider"].pk, "due_on": "2030-01-01"}
            ],
        },
    )
    assert got.status_code == 400
    assert got.json()["errors"] == [
        {"field": "items", "message": "Choose each action item's owner from the people listed."}
    ]
    got = _post(client, "/api/v1/meetings", {"title": "", "starts_at": "2030-01-01T10:00:00Z"})
    assert got.status_code == 400
    got = _post(
        client,
        "/api/v1/meetings",
        {"school": t1.schools[0].pk, "title": "Team", "starts_at": "2030-01-07T16:00:00"},
    )
    assert got.status_code == 201
    when = dt.datetime.fromisoformat(got.json()["starts_at"]).astimezone(t1.network.tzinfo)
    assert (when.hour, when.minute) == (16, 0)


@pytest.mark.parametrize("persona", PERSONAS)
def test_change_a_meeting_through_the_api(t1, t2, persona) -> None:
    meeting = make_meeting(school=t1.schools[0])
    url = f"/api/v1/meetings/{meeting.pk}"
    later = (meeting.starts_at + dt.timedelta(days=1)).isoformat()
    change = {"expected_version": 1, "starts_at": later, "location": "Room 204"}
    got = bearer(t1.users[persona]).patch(url, change, content_type="application/json")
    assert got.status_code == _expected(persona, SCHOOL_RUNNERS, SCHOOL_READERS)
    assert (
        bearer(t2.users[persona]).patch(url, change, content_type="application/json").status_code
        == 404
    )
    if got.status_code == 200:
        body = got.json()
        assert body["version"] == 2 and body["location"] == "Room 204"
        assert body["title"] == meeting.title  # left out: unchanged
        stale = bearer(t1.users[persona]).patch(url, change, content_type="application/json")
        assert stale.status_code == 409 and "expected_version" in stale.json()["detail"]


def test_api_change_bad_input(t1) -> None:
    meeting = make_meeting(school=t1.schools[0])
    client = bearer(t1.users["coordinator"])
    url = f"/api/v1/meetings/{meeting.pk}"
    got = client.patch(
        url, {"expected_version": 1, "duration_minutes": 2}, content_type="application/json"
    )
    assert got.status_code == 400
    assert got.json()["errors"] == [
        {"field": "duration_minutes", "message": "A meeting lasts between 5 minutes and 24 hours."}
    ]
    got = client.patch(url, {"starts_at": "soon"}, content_type="application/json")
    assert got.status_code == 400
