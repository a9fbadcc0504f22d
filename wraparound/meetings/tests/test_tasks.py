"""The daily jobs: thin wrappers, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from wraparound.core.models import Notification
from wraparound.core.tests.personas import PERSONAS

from .. import services
from ..bodies import SCHOOL, Body
from ..models import Cadence, Meeting
from ..tasks import meeting_series_extend_task, overdue_action_items_notify_task
from .factories import make_item, make_meeting
from .test_views import SCHOOL_READERS

pytestmark = pytest.mark.django_db


def test_tasks_are_idempotent(t1) -> None:
    series = services.series_create(
        user=t1.users["principal"],
        body=Body(SCHOOL, t1.schools[0]),
        title="Leadership team",
        cadence=Cadence.BIWEEKLY,
        first_starts_at=timezone.now() + dt.timedelta(hours=2),
    )
    n = series.meetings.count()
    assert meeting_series_extend_task.apply().get() == 0
    assert Meeting.objects.count() == n
    meeting = make_meeting(school=t1.schools[0])
    make_item(meeting, t1.users["principal"], due_on=t1.network.today() - dt.timedelta(days=1))
    assert overdue_action_items_notify_task.apply().get() == 1
    assert overdue_action_items_notify_task.apply().get() == 0
    assert Notification.objects.filter(user=t1.users["principal"]).count() == 1


@pytest.mark.parametrize("persona", PERSONAS)
def test_school_page_link_tag(t1, persona) -> None:
    request = RequestFactory().get("/")
    request.user = t1.users[persona]
    out = Template(
        "{% load action_items %}{% may_read_school_meetings school as ok %}{{ ok }}"
    ).render(Context({"request": request, "school": t1.schools[0]}))
    assert out == str(persona in SCHOOL_READERS)
