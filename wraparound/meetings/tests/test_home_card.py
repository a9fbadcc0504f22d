"""The home page's action items card: days on the item's network's clock (not the server's), and
the overdue count over all the owner's open items, not only the ten shown."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from ..models import Meeting
from .factories import make_item, make_meeting

pytestmark = pytest.mark.django_db


def test_the_meeting_day_is_the_networks_day(t1, as_user, settings) -> None:
    settings.TIME_ZONE = "America/New_York"
    t1.network.time_zone = "America/Los_Angeles"
    t1.network.save(update_fields=["time_zone"])
    # 23:30 in Los Angeles on the 10th is already the 11th in New York.
    late = dt.datetime(2026, 12, 10, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    meeting = make_meeting(school=t1.schools[0], starts_at=late, title="Evening team")
    make_item(meeting, t1.users["coordinator"])
    body = as_user(t1.users["coordinator"]).get(reverse("home")).content.decode()
    assert "Evening team · 2026-12-10" in body
    assert Meeting.objects.get().starts_at.astimezone(ZoneInfo("America/New_York")).day == 11


def test_overdue_counts_every_open_item(t1, as_user) -> None:
    meeting = make_meeting(school=t1.schools[0])
    past = t1.network.today() - dt.timedelta(days=3)
    for i in range(12):
        make_item(meeting, t1.users["coordinator"], title=f"Late {i}", due_on=past)
    make_item(meeting, t1.users["coordinator"], title="Not yet")
    body = as_user(t1.users["coordinator"]).get(reverse("home")).content.decode()
    assert "12 are overdue." in body
    assert "See all 13 open action items" in body
