"""The agreements app's daily tasks: thin, run inline without a broker, scheduled in beat."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from config.celery import app
from wraparound.agreements import tasks
from wraparound.agreements.models import AgreementStatus, RequirementSubject
from wraparound.agreements.tests.factories import (
    ClearanceRecordFactory,
    ClearanceRequirementFactory,
    signed_agreement,
)
from wraparound.assessments.tests.factories import PartnershipFactory, SchoolYearFactory
from wraparound.core.models import Notification
from wraparound.directory.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_both_tasks_are_scheduled_daily() -> None:
    entries = {e["task"]: e["schedule"] for e in app.conf.beat_schedule.values()}
    refresh = entries["wraparound.agreements.tasks.agreement_statuses_refresh"]
    remind = entries["wraparound.agreements.tasks.expiry_reminders_send"]
    for schedule in (refresh, remind):
        assert schedule.day_of_month == set(range(1, 32))
        assert len(schedule.hour) == 1 and len(schedule.minute) == 1
    # Statuses are refreshed before the reminders read them.
    assert (min(refresh.hour), min(refresh.minute)) < (min(remind.hour), min(remind.minute))


def test_the_reminder_task_runs_inline_and_twice_sends_once(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    today = t1.network.today()
    requirement = ClearanceRequirementFactory(
        network=t1.network, applies_to=RequirementSubject.ORGANIZATION
    )
    ClearanceRecordFactory(
        person=None, organization=t1.org_a, network=t1.network, requirement=requirement,
        issued_on=today - dt.timedelta(days=300), expires_on=today + dt.timedelta(days=20),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expiry_reminders_send.delay().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expiry_reminders_send.delay().get() == 0
    assert len(mail.outbox) == 2  # the partner admin and the network admin, once each
    assert Notification.objects.count() == 2


def test_the_status_task_runs_inline(t1: Any) -> None:
    partnership = PartnershipFactory(
        school=t1.schools[0],
        service=ServiceFactory(organization=t1.org_a),
        school_year=SchoolYearFactory(network=t1.network),
    )
    agreement = signed_agreement(partnership=partnership)
    version: Any = agreement.signed_version
    today = t1.network.today(timezone.now())
    version.term_start = today - dt.timedelta(days=400)
    version.term_end = today - dt.timedelta(days=1)
    version.save(update_fields=["term_start", "term_end"])
    assert tasks.agreement_statuses_refresh.delay().get() == 1
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.EXPIRED
    assert tasks.agreement_statuses_refresh.delay().get() == 0
