"""The daily stale-record reminder: who gets it, how often, and never twice for one state."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from wraparound.core.models import AuditEvent, VettingStatus
from wraparound.core.roles import Role
from wraparound.core.tests.factories import MembershipFactory, UserFactory
from wraparound.directory import services, tasks
from wraparound.directory.models import Service, ServiceStatus
from wraparound.directory.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stale(t1: Any) -> Service:
    """Org A is current, one of its services is not (confirmed 7 months ago; the limit is 6)."""
    now = timezone.now()
    t1.org_a.confirmed_at = now
    t1.org_a.save()
    t1.org_b.confirmed_at = now
    t1.org_b.save()
    ServiceFactory.create(organization=t1.org_a, name="Fresh", confirmed_at=now)
    return ServiceFactory.create(
        organization=t1.org_a, name="Old homework club", confirmed_at=now - dt.timedelta(days=212)
    )


def send(django_capture_on_commit_callbacks: Any, now: dt.datetime | None = None) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return services.stale_reminders_send(now=now)


def test_partner_admins_of_an_organization_with_stale_records_are_reminded(
    t1: Any, stale: Service, django_capture_on_commit_callbacks: Any
) -> None:
    second_admin = UserFactory()
    MembershipFactory(
        user=second_admin, role=Role.PARTNER_ADMIN, network=t1.network, organization=t1.org_a
    )

    assert send(django_capture_on_commit_callbacks) == 1

    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([t1.users["partner_admin"].email, second_admin.email])
    message = mail.outbox[0]
    assert t1.org_a.name in message.subject
    assert "Old homework club" in message.body and "Fresh" not in message.body
    assert f"/directory/organizations/{t1.org_a.pk}/" in message.body
    t1.org_a.refresh_from_db()
    assert t1.org_a.stale_reminder_sent_at is not None
    assert AuditEvent.objects.filter(action="directory.organization.stale_reminder").count() == 1


def test_running_twice_sends_once_and_again_only_after_the_interval(
    t1: Any, stale: Service, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    send(django_capture_on_commit_callbacks, now)
    assert send(django_capture_on_commit_callbacks, now) == 0
    assert send(django_capture_on_commit_callbacks, now + dt.timedelta(days=3)) == 0
    assert len(mail.outbox) == 1

    later = now + dt.timedelta(days=services.STALE_REMINDER_INTERVAL_DAYS, minutes=1)
    assert send(django_capture_on_commit_callbacks, later) == 1
    assert len(mail.outbox) == 2


def test_nothing_is_sent_once_confirmed(
    t1: Any, stale: Service, django_capture_on_commit_callbacks: Any
) -> None:
    services.organization_confirm_current(actor=t1.users["partner_admin"], organization=t1.org_a)
    assert send(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_an_organization_never_confirmed_is_stale(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    t1.org_a.confirmed_at = None
    t1.org_a.save()
    t1.org_b.confirmed_at = timezone.now()
    t1.org_b.save()
    assert send(django_capture_on_commit_callbacks) == 1
    assert "The organization's profile" in mail.outbox[0].body


def test_the_networks_own_limit_applies(
    t1: Any, stale: Service, django_capture_on_commit_callbacks: Any
) -> None:
    t1.network.directory_stale_months = 12
    t1.network.save()
    assert send(django_capture_on_commit_callbacks) == 0


def test_defunct_services_suspended_organizations_and_admin_less_ones_are_skipped(
    t1: Any, stale: Service, django_capture_on_commit_callbacks: Any
) -> None:
    Service.objects.filter(pk=stale.pk).update(status=ServiceStatus.DEFUNCT)
    assert send(django_capture_on_commit_callbacks) == 0

    Service.objects.filter(pk=stale.pk).update(status=ServiceStatus.ACTIVE)
    t1.org_a.vetting_status = VettingStatus.SUSPENDED
    t1.org_a.save()
    assert send(django_capture_on_commit_callbacks) == 0

    # Org B has a stale service but no partner admin: nobody to tell, and nothing is claimed.
    ServiceFactory.create(organization=t1.org_b, confirmed_at=None)
    assert send(django_capture_on_commit_callbacks) == 0
    t1.org_b.refresh_from_db()
    assert t1.org_b.stale_reminder_sent_at is None


def test_the_task_calls_the_service(
    t1: Any, stale: Service, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.stale_reminders_send.delay()
    assert result.get() == 1
    assert len(mail.outbox) == 1


def test_the_reminder_is_on_the_beat_schedule() -> None:
    from config.celery import app

    entries = [e["task"] for e in app.conf.beat_schedule.values()]
    assert "wraparound.directory.tasks.stale_reminders_send" in entries
