"""Changing a scheduled meeting: its time, place, length and agenda — a series meeting moved
keeps its slot (the series does not make it again), two users at once cannot both win, bad input
keeps what was typed, and only the body's organisers may."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS

from .. import services
from ..bodies import COALITION, Body
from ..models import Cadence, Meeting, MeetingStatus
from .factories import make_meeting

pytestmark = pytest.mark.django_db

SCHOOL_RUNNERS = {"network_admin", "coordinator", "principal"}
SCHOOL_READERS = SCHOOL_RUNNERS | {"staff", "supervisor"}


def _fields(meeting: Meeting, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": meeting.title,
        "starts_at": meeting.starts_at,
        "duration_minutes": meeting.duration_minutes,
        "location": meeting.location,
        "agenda": meeting.agenda,
    }
    fields.update(changes)
    return fields


def test_a_one_off_meeting_moves_and_is_audited(t1) -> None:
    meeting = make_meeting(school=t1.schools[0], starts_at=timezone.now() + dt.timedelta(days=3))
    later = meeting.starts_at + dt.timedelta(days=1, hours=2)
    moved = services.meeting_update(
        user=t1.users["coordinator"],
        meeting=meeting,
        expected_version=1,
        **_fields(meeting, starts_at=later, location="Library", duration_minutes=90),
    )
    assert (moved.starts_at, moved.location, moved.duration_minutes) == (later, "Library", 90)
    assert moved.version == 2 and moved.moved_from is None
    assert AuditEvent.objects.filter(
        action="meetings.meeting.update", target_id=meeting.pk
    ).exists()


def test_a_series_meeting_moved_keeps_its_slot(t1) -> None:
    now = timezone.now()
    series = services.series_create(
        user=t1.users["coalition_member"],
        body=Body(COALITION, t1.coalition),
        title="Coalition",
        cadence=Cadence.WEEKLY,
        first_starts_at=now + dt.timedelta(days=1),
        now=now,
    )
    count = series.meetings.count()
    first, second = series.meetings.order_by("starts_at")[:2]
    slot = first.starts_at
    services.meeting_update(
        user=t1.users["coalition_member"],
        meeting=first,
        expected_version=1,
        **_fields(first, starts_at=slot + dt.timedelta(days=2)),
    )
    first.refresh_from_db()
    assert first.moved_from == slot and first.series_id == series.pk
    # The daily extension does not make the original slot again.
    assert services.series_extend(series=series, now=now) == 0
    assert series.meetings.count() == count
    # Moved again, it still remembers the slot it was made for.
    services.meeting_update(
        user=t1.users["coalition_member"],
        meeting=first,
        expected_version=2,
        **_fields(first, starts_at=slot + dt.timedelta(hours=3)),
    )
    first.refresh_from_db()
    assert first.moved_from == slot
    # Not onto another meeting of the series.
    with pytest.raises(ValidationError) as refused:
        services.meeting_update(
            user=t1.users["coalition_member"],
            meeting=first,
            expected_version=3,
            **_fields(first, starts_at=second.starts_at),
        )
    assert "starts_at" in refused.value.message_dict


def test_only_a_scheduled_meeting_by_its_organisers_with_the_current_version(t1) -> None:
    meeting = make_meeting(school=t1.schools[0])
    with pytest.raises(PermissionDenied):
        services.meeting_update(
            user=t1.users["staff"], meeting=meeting, expected_version=1, **_fields(meeting)
        )
    with pytest.raises(services.MeetingConflict):
        services.meeting_update(
            user=t1.users["coordinator"], meeting=meeting, expected_version=7, **_fields(meeting)
        )
    with pytest.raises(ValidationError) as refused:
        services.meeting_update(
            user=t1.users["coordinator"],
            meeting=meeting,
            expected_version=1,
            **_fields(meeting, title=" ", duration_minutes=2, starts_at=None),
        )
    assert {"title", "duration_minutes", "starts_at"} <= set(refused.value.message_dict)
    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.HELD)
    meeting.refresh_from_db()
    with pytest.raises(ValidationError):
        services.meeting_update(
            user=t1.users["coordinator"], meeting=meeting, expected_version=1, **_fields(meeting)
        )


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_page_for_every_persona(t1, t2, as_user, persona) -> None:
    meeting = make_meeting(school=t1.schools[0])
    url = reverse("meeting_change", args=[meeting.pk])
    want = 200 if persona in SCHOOL_RUNNERS else 403 if persona in SCHOOL_READERS else 404
    assert as_user(t1.users[persona]).get(url).status_code == want
    assert as_user(t2.users[persona]).get(url).status_code == 404
    detail = as_user(t1.users[persona]).get(reverse("meeting_detail", args=[meeting.pk]))
    if detail.status_code == 200:
        assert (url in detail.content.decode()) == (persona in SCHOOL_RUNNERS)


def test_the_form_moves_the_meeting_and_keeps_typed_values_on_a_mistake(t1, as_user) -> None:
    meeting = make_meeting(school=t1.schools[0], starts_at=timezone.now() + dt.timedelta(days=5))
    client = as_user(t1.users["coordinator"])
    url = reverse("meeting_change", args=[meeting.pk])
    page = client.get(url)
    tz = t1.network.tzinfo
    local = meeting.starts_at.astimezone(tz)
    assert page.context["form"].initial["day"] == local.date()
    data = {
        "version": "1",
        "title": "Leadership team",
        "day": (local.date() + dt.timedelta(days=1)).isoformat(),
        "time": "15:30",
        "duration_minutes": "45",
        "location": "Room 204",
        "agenda": "Attendance plan",
    }
    bad = client.post(url, {**data, "time": "25:99"})
    assert bad.status_code == 400
    assert bad.context["form"]["location"].value() == "Room 204"
    assert client.post(url, data).status_code == 302
    meeting.refresh_from_db()
    moved = meeting.starts_at.astimezone(tz)
    assert (moved.date(), moved.hour, moved.minute) == (local.date() + dt.timedelta(days=1), 15, 30)
    assert (meeting.location, meeting.duration_minutes, meeting.agenda) == (
        "Room 204",
        45,
        "Attendance plan",
    )
    # A stale version: told, what was typed kept, the current version carried for a resubmit.
    stale = client.post(url, {**data, "version": "1", "location": "Gym"})
    assert stale.status_code == 409
    assert "Someone changed this meeting" in stale.content.decode()
    assert stale.context["form"]["location"].value() == "Gym"
    assert stale.context["version"] == 2
    assert client.post(url, {**data, "version": "2", "location": "Gym"}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.location == "Gym"
