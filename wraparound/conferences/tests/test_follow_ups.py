"""Follow-up actions on their owner's home page and "My action items" — only while the owner may
read the conference — and marking one done from the conference page (every persona)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from wraparound.conferences import conference_services as services
from wraparound.conferences.conference_selectors import my_follow_ups
from wraparound.conferences.models import ActionStatus, FamilyTeamConference, FollowUpAction
from wraparound.conferences.tests.world import conference_in, conference_world
from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS

pytestmark = pytest.mark.django_db

ACTION = "Call the family after the first week"


@pytest.fixture
def cw(t1: Any, t2: Any) -> Any:
    return conference_world(t1, t2)


def _pages(client: Any) -> list[str]:
    return [
        client.get(reverse("home")).content.decode(),
        client.get(reverse("my_action_items")).content.decode(),
    ]


def test_owner_sees_open_follow_up_on_home_and_my_action_items(cw: Any, as_user: Any) -> None:
    action = cw.conference.actions.get()
    conference_url = reverse("conference_detail", args=[cw.conference.pk])
    for page in _pages(as_user(cw.users["staff"])):
        assert "Follow-ups from family team conferences" in page
        assert ACTION in page and conference_url in page
        assert "goal-off_track" not in page
        # Only the action, its due date and the link: not the family.
        assert "Rosa Own" not in page and "Ana" not in page
    FollowUpAction.objects.filter(pk=action.pk).update(
        due_on=cw.w.t1.network.today() - dt.timedelta(days=2)
    )
    for page in _pages(as_user(cw.users["staff"])):
        assert 'goal-off_track">Overdue' in page
    overdue = as_user(cw.users["staff"]).get(reverse("my_action_items") + "?show=overdue")
    assert ACTION in overdue.content.decode()
    # Nobody else sees it on their pages.
    for persona in PERSONAS:
        if persona == "staff":
            continue
        for page in _pages(as_user(cw.users[persona])):
            assert ACTION not in page, persona


def test_absent_owner_sees_nothing_of_the_conference(cw: Any, as_user: Any) -> None:
    data = conference_in(
        cw.w,
        actions=[
            services.ActionIn(
                description="Coordinator books the room",
                owner=cw.users["coordinator"],
                due_on=cw.w.t1.network.today() + dt.timedelta(days=3),
            )
        ],
    )
    services.conference_create(
        user=cw.users["staff"], school=cw.w.t1.schools[0], student=cw.w.own, data=data
    )
    # The coordinator was invited but absent: owner of the action, not a reader.
    assert my_follow_ups(cw.users["coordinator"]) == []
    for page in _pages(as_user(cw.users["coordinator"])):
        assert "Coordinator books the room" not in page
        assert "Follow-ups from family team conferences" not in page


def test_done_follow_ups_disappear(cw: Any, as_user: Any) -> None:
    action = cw.conference.actions.get()
    client = as_user(cw.users["staff"])
    url = reverse("conference_follow_up_status", args=[cw.conference.pk, action.pk])
    detail = client.get(reverse("conference_detail", args=[cw.conference.pk])).content.decode()
    assert url in detail
    assert client.post(url, {"status": "done"}).status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE
    assert AuditEvent.objects.filter(action="conferences.follow_up.done").count() == 1
    for page in _pages(client):
        assert f'id="follow-up-{action.pk}"' not in page
    again = client.post(url, {"status": "done"}, follow=True)
    assert "already done" in again.content.decode()
    # The edit form opened before the change would put the old status back: it is refused.
    assert FamilyTeamConference.objects.get(pk=cw.conference.pk).version == 2


# The conference: staff facilitated (and owns the action); partner_staff_a present; supervisors
# read it; everyone else 404.
MARK = {p: 404 for p in PERSONAS} | {
    "staff": 302,
    "partner_staff_a": 302,
    "supervisor": 403,
    "network_supervisor": 403,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_mark_follow_up_for_every_persona(cw: Any, t2: Any, as_user: Any, persona: str) -> None:
    action = cw.conference.actions.get()
    url = reverse("conference_follow_up_status", args=[cw.conference.pk, action.pk])
    assert as_user(cw.users[persona]).post(url, {"status": "done"}).status_code == MARK[persona]
    action.refresh_from_db()
    assert (action.status == ActionStatus.DONE) == (MARK[persona] == 302)
    assert as_user(t2.users[persona]).post(url, {"status": "open"}).status_code == 404


def test_bad_status_is_refused(cw: Any, as_user: Any) -> None:
    action = cw.conference.actions.get()
    url = reverse("conference_follow_up_status", args=[cw.conference.pk, action.pk])
    response = as_user(cw.users["staff"]).post(url, {"status": "later"}, follow=True)
    assert "Choose done or open." in response.content.decode()
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN
    missing = reverse("conference_follow_up_status", args=[cw.conference.pk, action.pk + 999])
    assert as_user(cw.users["staff"]).post(missing, {"status": "done"}).status_code == 404
