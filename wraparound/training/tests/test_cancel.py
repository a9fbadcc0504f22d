"""Cancelling a training: who may, when, what the registered are told, and what it refuses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wraparound.core.models import AuditEvent, Notification
from wraparound.core.tests.personas import PERSONAS
from wraparound.training import selectors, services
from wraparound.training.models import Training

from .world import World

AUDIENCE = {
    "coordinator",
    "staff",
    "supervisor",
    "principal",
    "partner_admin",
    "partner_staff_a",
    "partner_staff_b",
}


def _register_two(w: World) -> None:
    services.registration_add(user=w.users["staff"], training=w.upcoming)
    services.registration_add(user=w.users["partner_staff_a"], training=w.upcoming)


def test_cancel_page_for_every_persona(w1: World, w2: World, client: Client) -> None:
    url = reverse("training_cancel", args=[w1.upcoming.pk])
    for persona in PERSONAS:
        client.force_login(w1.users[persona])
        expected = 200 if persona == "network_admin" else 403 if persona in AUDIENCE else 404
        assert client.get(url).status_code == expected, persona
        # An empty reason: the admin gets the form back (400), everyone else the same refusal.
        posted = 400 if expected == 200 else expected
        assert client.post(url, {"reason": ""}).status_code == posted, persona
    client.force_login(w2.users["network_admin"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "x"}).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
    assert not Training.objects.get(pk=w1.upcoming.pk).is_cancelled


def test_admin_cancels_and_the_registered_are_told_once(w1: World, as_user: Any) -> None:
    _register_two(w1)
    client = as_user(w1.users["network_admin"])
    url = reverse("training_cancel", args=[w1.upcoming.pk])
    # No reason: refused, nothing written.
    empty = client.post(url, {"reason": "  "})
    assert empty.status_code == 400 and "This field is required." in empty.content.decode()
    response = client.post(url, {"reason": "Trainer is ill"})
    assert response.status_code == 302
    training = Training.objects.get(pk=w1.upcoming.pk)
    assert training.is_cancelled and training.cancel_reason == "Trainer is ill"
    told = Notification.objects.filter(url=reverse("training_detail", args=[training.pk]))
    assert {n.user_id for n in told} == {w1.users["staff"].pk, w1.users["partner_staff_a"].pk}
    assert all("Trainer is ill" in n.message for n in told)
    assert AuditEvent.objects.filter(action="training.cancel").count() == 1
    # Twice: refused with a clear message, nobody told again.
    again = client.post(url, {"reason": "Again"})
    assert again.status_code == 400 and "already cancelled" in again.content.decode()
    assert told.count() == 2
    # Registrations are kept.
    assert training.attendances.filter(status="registered").count() == 2


def test_trainer_cancels_their_own_training(w1: World, as_user: Any) -> None:
    Training.objects.filter(pk=w1.upcoming.pk).update(trainer=w1.users["partner_staff_b"])
    client = as_user(w1.users["partner_staff_b"])
    url = reverse("training_cancel", args=[w1.upcoming.pk])
    assert client.get(url).status_code == 200
    detail = client.get(reverse("training_detail", args=[w1.upcoming.pk])).content.decode()
    assert url in detail
    assert client.post(url, {"reason": "Room flooded"}).status_code == 302
    assert Training.objects.get(pk=w1.upcoming.pk).is_cancelled


def test_started_or_past_training_is_not_cancelled(w1: World) -> None:
    admin = w1.users["network_admin"]
    with pytest.raises(ValidationError, match="already started"):
        services.training_cancel(user=admin, training=w1.past, reason="Too late")
    Training.objects.filter(pk=w1.upcoming.pk).update(
        starts_at=timezone.now() - dt.timedelta(minutes=5)
    )
    with pytest.raises(ValidationError, match="already started"):
        services.training_cancel(user=admin, training=w1.upcoming, reason="Too late")
    assert not Training.objects.filter(cancelled_at__isnull=False).exists()
    with pytest.raises(PermissionDenied):
        services.training_cancel(user=w1.users["staff"], training=w1.past, reason="x")


def test_cancelled_training_refuses_registration_and_attendance(w1: World, as_user: Any) -> None:
    services.registration_add(user=w1.users["staff"], training=w1.upcoming)
    services.training_cancel(user=w1.users["network_admin"], training=w1.upcoming, reason="Snow")
    training = Training.objects.get(pk=w1.upcoming.pk)
    with pytest.raises(ValidationError, match="was cancelled"):
        services.registration_add(user=w1.users["partner_staff_a"], training=training)
    response = as_user(w1.users["partner_staff_a"]).post(
        reverse("training_register", args=[training.pk])
    )
    assert response.status_code == 400 and "was cancelled" in response.content.decode()
    with pytest.raises(ValidationError, match="was cancelled"):
        services.attendance_record(
            user=w1.users["network_admin"],
            training=training,
            entries=[services.Entry(status="registered", staff_member_id=w1.tutor_a.pk)],
        )


def test_a_registration_of_a_cancelled_training_is_not_withdrawn(w1: World) -> None:
    registered = services.registration_add(user=w1.users["staff"], training=w1.upcoming)
    services.training_cancel(user=w1.users["network_admin"], training=w1.upcoming, reason="Snow")
    registered.refresh_from_db()
    for who in ("staff", "network_admin"):
        with pytest.raises(ValidationError, match="was cancelled: its registrations stay"):
            services.registration_cancel(user=w1.users[who], attendance=registered)
    registered.refresh_from_db()
    assert registered.status == "registered"
    assert not AuditEvent.objects.filter(action="training.unregister").exists()


def test_cancelled_training_shows_why_and_leaves_upcoming_lists(w1: World, as_user: Any) -> None:
    staff = w1.users["staff"]
    services.registration_add(user=staff, training=w1.upcoming)
    [record] = selectors.user_record(staff)
    assert [a.training_id for a in record.upcoming] == [w1.upcoming.pk]
    services.training_cancel(user=w1.users["network_admin"], training=w1.upcoming, reason="Snow")
    client = as_user(staff)
    detail = client.get(reverse("training_detail", args=[w1.upcoming.pk])).content.decode()
    assert "Cancelled: Snow" in detail and "Withdraw my registration" not in detail
    listing = client.get(reverse("training_list")).content.decode()
    upcoming_part, _, rest = listing.partition('id="cancelled-heading"')
    assert "FERPA refresher" not in upcoming_part and "Cancelled: Snow" in rest
    [record] = selectors.user_record(staff)
    assert record.upcoming == []
    assert "No upcoming registration." in client.get(reverse("training_me")).content.decode()
    schedule = as_user(w1.users["network_admin"]).get(
        reverse("network_trainings", args=[w1.tenant.network.slug])
    )
    assert "Cancelled: Snow" in schedule.content.decode()


def test_api_lists_cancelled_training_but_not_as_upcoming(w1: World, client: Client) -> None:
    services.training_cancel(user=w1.users["network_admin"], training=w1.upcoming, reason="Snow")
    client.force_login(w1.users["staff"])
    upcoming = client.get("/api/v1/trainings?upcoming=true").json()["items"]
    assert w1.upcoming.pk not in [t["id"] for t in upcoming]
    everything = client.get("/api/v1/trainings").json()["items"]
    [shown] = [t for t in everything if t["id"] == w1.upcoming.pk]
    assert shown["cancel_reason"] == "Snow" and shown["cancelled_at"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_cancel_through_the_api(w1: World, w2: World, client: Client, persona: str) -> None:
    url = f"/api/v1/trainings/{w1.upcoming.pk}/cancel"
    client.force_login(w1.users[persona])
    got = client.post(url, {"reason": "Snow"}, content_type="application/json")
    expected = 200 if persona == "network_admin" else 403 if persona in AUDIENCE else 404
    assert got.status_code == expected, persona
    if expected == 200:
        assert got.json()["cancelled_at"] and got.json()["cancel_reason"] == "Snow"
        again = client.post(url, {"reason": "Snow"}, content_type="application/json")
        assert again.status_code == 400 and "already cancelled" in str(again.json())
    else:
        assert not Training.objects.get(pk=w1.upcoming.pk).is_cancelled
    client.force_login(w2.users[persona])
    assert client.post(url, {"reason": "x"}, content_type="application/json").status_code == 404


def test_cancel_api_needs_a_reason(w1: World, client: Client) -> None:
    client.force_login(w1.users["network_admin"])
    url = f"/api/v1/trainings/{w1.upcoming.pk}/cancel"
    got = client.post(url, {"reason": "  "}, content_type="application/json")
    assert got.status_code == 400
    assert not Training.objects.get(pk=w1.upcoming.pk).is_cancelled
    assert client.post(url, {}, content_type="application/json").status_code == 400
