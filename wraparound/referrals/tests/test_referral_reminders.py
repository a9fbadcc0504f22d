"""Overdue referrals: the referrer is told and the school's coordinators alerted, once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from wraparound.core.models import AuditEvent, Notification
from wraparound.referrals import tasks
from wraparound.referrals.models import Referral, ReferralStatus
from wraparound.referrals.referral_reminders import overdue_referrals_remind
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students.tests.world import student_world

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 10, 15, 0, tzinfo=dt.UTC)  # 10:00 on Thursday in New York


def _overdue(w: Any, **kw: Any) -> Referral:
    defaults: dict[str, Any] = {
        "student": w.own,
        "service": w.service_a,
        "referred_by": w.users["staff"],
        "status": ReferralStatus.SENT,
        "response_due_on": dt.date(2026, 12, 9),
    }
    defaults.update(kw)
    referral: Any = ReferralFactory(**defaults)
    return referral


def test_an_overdue_referral_is_reminded_once(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    w = student_world(t1)
    w.users["staff"].email = "staff@example.org"
    w.users["staff"].save()
    Referral.objects.update(response_due_on=dt.date(2026, 12, 31))  # the world's: not due
    referral = _overdue(w)
    with django_capture_on_commit_callbacks(execute=True):
        assert overdue_referrals_remind(now=NOW) == 1
    referral.refresh_from_db()
    assert referral.overdue_reminded_at == NOW
    notes = Notification.objects.filter(url=f"/referrals/{referral.pk}/")
    assert {n.user for n in notes} == {w.users["staff"], w.users["coordinator"]}
    assert all(w.own.given_name not in n.message for n in notes)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["staff@example.org"]
    assert f"/referrals/{referral.pk}/" in mail.outbox[0].body
    assert "\n" not in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="referrals.referral.overdue_reminder").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert overdue_referrals_remind(now=NOW + dt.timedelta(days=1)) == 0
    assert len(mail.outbox) == 1
    assert notes.count() == 2


def test_due_today_answered_or_elsewhere_is_not_reminded(t1: Any) -> None:
    w = student_world(t1)
    Referral.objects.update(response_due_on=dt.date(2026, 12, 31))
    _overdue(w, response_due_on=dt.date(2026, 12, 10))  # due today: still time
    _overdue(w, status=ReferralStatus.ACCEPTED)
    _overdue(w, status=ReferralStatus.DRAFT)
    _overdue(w, overdue_reminded_at=timezone.now())
    assert overdue_referrals_remind(now=NOW) == 0
    assert not Notification.objects.exists()


def test_days_are_counted_on_the_networks_clock(t1: Any) -> None:
    w = student_world(t1)
    Referral.objects.update(response_due_on=dt.date(2026, 12, 31))
    _overdue(w)
    t1.network.time_zone = "America/New_York"
    t1.network.save()
    # 03:00 UTC on the 10th is still the 9th in New York: the due day itself, not yet overdue.
    assert overdue_referrals_remind(now=dt.datetime(2026, 12, 10, 3, 0, tzinfo=dt.UTC)) == 0
    assert overdue_referrals_remind(now=dt.datetime(2026, 12, 10, 6, 0, tzinfo=dt.UTC)) == 1


def test_a_claimed_referral_is_not_sent_again_by_a_second_run(t1: Any) -> None:
    """The second of two simultaneous runs read the referral before the first claimed it: its
    conditional update touches nothing, so it sends nothing."""
    from wraparound.referrals import referral_reminders

    w = student_world(t1)
    Referral.objects.update(response_due_on=dt.date(2026, 12, 31))
    _overdue(w)
    stale = referral_reminders.overdue_referrals(t1.network, dt.date(2026, 12, 10))
    assert overdue_referrals_remind(now=NOW) == 1
    assert referral_reminders._remind(stale[0], [w.users["coordinator"]], NOW) is False
    assert Notification.objects.count() == 2


def test_the_task_runs_the_job(t1: Any) -> None:
    w = student_world(t1)
    Referral.objects.update(response_due_on=dt.date(2026, 12, 31))
    _overdue(w, response_due_on=dt.date(2020, 1, 1))
    assert tasks.overdue_referrals_remind_task.delay().get() == 1
    assert tasks.overdue_referrals_remind_task.delay().get() == 0


def test_the_overdue_reminder_is_on_the_beat_schedule() -> None:
    from config.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "wraparound.referrals.tasks.overdue_referrals_remind_task" in tasks
