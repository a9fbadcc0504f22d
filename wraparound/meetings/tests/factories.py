"""Meetings and action items for tests, made directly (the services are what the tests test)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ..models import ActionItem, Meeting, MeetingStatus


def make_meeting(*, school: Any = None, coalition: Any = None, **fields: Any) -> Meeting:
    body = school or coalition
    defaults: dict[str, Any] = {
        "title": "Leadership team" if school else "Coalition meeting",
        "starts_at": timezone.now() - dt.timedelta(days=1),
        "status": MeetingStatus.SCHEDULED,
    }
    defaults.update(fields)
    return Meeting.objects.create(
        network_id=body.network_id, school=school, coalition=coalition, **defaults
    )


def make_item(meeting: Meeting, owner: Any, **fields: Any) -> ActionItem:
    defaults: dict[str, Any] = {
        "title": "Call the housing office",
        "due_on": meeting.network.today() + dt.timedelta(days=7),
    }
    defaults.update(fields)
    return ActionItem.objects.create(
        network_id=meeting.network_id,
        meeting=meeting,
        coalition_id=meeting.coalition_id,
        school_id=meeting.school_id,
        owner=owner,
        **defaults,
    )
