"""Every training page × every persona: success, other tenant 404, wrong role 403/404, bad input
400 with the message and what was typed kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from wraparound.agreements.models import ClearanceRecord
from wraparound.agreements.tests.factories import StaffMemberFactory
from wraparound.core.roles import Role
from wraparound.core.tests.factories import MembershipFactory, UserFactory
from wraparound.core.tests.personas import PERSONAS
from wraparound.training import services
from wraparound.training.models import Attendance, AttendanceStatus
from wraparound.training.services import Entry

from .world import World

SCHOOL = {"coordinator", "staff", "supervisor", "principal"}
PARTNER = {"partner_admin", "partner_staff_a", "partner_staff_b"}
AUDIENCE = SCHOOL | PARTNER
ADMIN_ONLY = {"network_admin"}


def _expect(persona: str, ok: set[str], forbidden: set[str]) -> int:
    if persona in ok:
        return 200
    return 403 if persona in forbidden else 404


def _complete(world: World) -> Attendance:
    [attendance] = services.attendance_record(
        user=world.users["network_admin"],
        training=world.past,
        entries=[Entry(status="completed", staff_member_id=world.tutor_a.pk)],
    )
    return attendance


# Page → (persons who get 200, persons who get 403; everyone else 404).
def _pages(w: World) -> dict[str, tuple[str, set[str], set[str]]]:
    slug = w.tenant.network.slug
    in_network = set(PERSONAS) - {"outsider", "network_admin"}
    return {
        "list": (reverse("training_list"), {"network_admin"} | AUDIENCE, set(PERSONAS)),
        "me": (reverse("training_me"), {"network_admin"} | AUDIENCE, set(PERSONAS)),
        "past": (reverse("training_detail", args=[w.past.pk]), {"network_admin"} | PARTNER, set()),
        "upcoming": (
            reverse("training_detail", args=[w.upcoming.pk]),
            {"network_admin"} | AUDIENCE,
            set(),
        ),
        "attendance": (reverse("training_attendance", args=[w.past.pk]), ADMIN_ONLY, PARTNER),
        "schedule": (reverse("network_trainings", args=[slug]), ADMIN_ONLY, in_network),
        "edit": (reverse("training_edit", args=[slug, w.upcoming.pk]), ADMIN_ONLY, in_network),
        "topics": (reverse("training_topics", args=[slug]), ADMIN_ONLY, in_network),
        "topic": (reverse("training_topic_edit", args=[slug, w.ferpa.pk]), ADMIN_ONLY, in_network),
        "compliance": (reverse("training_compliance", args=[slug]), ADMIN_ONLY, in_network),
        "person": (
            reverse("training_person_record", args=[slug, w.users["partner_staff_a"].pk]),
            ADMIN_ONLY,
            in_network,
        ),
        "org_compliance": (
            reverse("organization_training_compliance", args=[w.tenant.org_a.pk]),
            {"network_admin", "partner_admin"},
            {"partner_staff_a"},
        ),
        "staff_a": (
            reverse("training_staff_record", args=[w.tutor_a.pk]),
            {"network_admin", "partner_admin"},
            set(),
        ),
        "staff_b": (reverse("training_staff_record", args=[w.mentor_b.pk]), ADMIN_ONLY, set()),
    }


PAGE_NAMES = [
    "list", "me", "past", "upcoming", "attendance", "schedule", "edit", "topics", "topic",
    "compliance", "person", "org_compliance", "staff_a", "staff_b",
]  # fmt: skip


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_every_page_for_every_persona(page: str, w1: World, w2: World, client: Client) -> None:
    url, ok, forbidden = _pages(w1)[page]
    for persona in PERSONAS:
        client.force_login(w1.users[persona])
        assert client.get(url).status_code == _expect(persona, ok, forbidden), (page, persona)
    # The other network's people: its admin sees nothing of this network's objects.
    client.force_login(w2.users["network_admin"])
    expected = 200 if page in ("list", "me") else 404
    assert client.get(url).status_code == expected, page
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page


def test_certificate_download_and_public_verification(w1: World, client: Client) -> None:
    attendance = _complete(w1)
    url = reverse("training_certificate", args=[attendance.certificate_id])
    for persona in PERSONAS:
        client.force_login(w1.users[persona])
        response = client.get(url)
        ok = persona in ("network_admin", "partner_admin")
        assert response.status_code == (200 if ok else 404), persona
        if ok:
            assert response["Content-Type"] == "application/pdf"
            assert response.content.startswith(b"%PDF")
    client.logout()
    verify = client.get(reverse("training_certificate_verify", args=[attendance.certificate_id]))
    assert verify.status_code == 200
    body = verify.content.decode()
    assert attendance.certificate_number in body and "Tess Tutor" in body
    assert w1.tutor_a.email not in body
    assert client.get(reverse("training_certificate_verify", args=["nonsense"])).status_code == 404


def test_certificate_text_names_the_person(w1: World, as_user: Any) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    attendance = _complete(w1)
    response = as_user(w1.users["partner_admin"]).get(
        reverse("training_certificate", args=[attendance.certificate_id])
    )
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(response.content)).pages)
    assert "Tess Tutor" in text and attendance.certificate_number in text


def test_the_person_downloads_their_own_certificate(w1: World, as_user: Any) -> None:
    user = w1.users["partner_staff_a"]
    [attendance] = services.attendance_record(
        user=w1.users["network_admin"],
        training=w1.past,
        entries=[Entry(status="completed", user_id=user.pk)],
    )
    client = as_user(user)
    assert (
        client.get(reverse("training_certificate", args=[attendance.certificate_id])).status_code
        == 200
    )
    me = client.get(reverse("training_me")).content.decode()
    assert attendance.certificate_number in me


def test_withdrawn_completion_is_no_longer_verifiable(w1: World, client: Client) -> None:
    attendance = _complete(w1)
    services.attendance_record(
        user=w1.users["network_admin"],
        training=w1.past,
        entries=[Entry(status="absent", staff_member_id=w1.tutor_a.pk)],
    )
    url = reverse("training_certificate_verify", args=[attendance.certificate_id])
    assert client.get(url).status_code == 404


def test_attendance_form_records_and_clears(w1: World, as_user: Any) -> None:
    client = as_user(w1.users["network_admin"])
    url = reverse("training_attendance", args=[w1.past.pk])
    response = client.post(url, {"add_staff": [w1.tutor_a.pk], "add_status": "completed"})
    assert response.status_code == 302
    attendance = Attendance.objects.get(staff_member=w1.tutor_a)
    assert attendance.status == AttendanceStatus.COMPLETED
    assert ClearanceRecord.objects.filter(person=w1.tutor_a).count() == 1
    # Re-saving the same attendance changes nothing.
    client.post(url, {f"status_{attendance.pk}": "completed", f"hours_{attendance.pk}": ""})
    assert ClearanceRecord.objects.filter(person=w1.tutor_a).count() == 1


def test_attendance_form_keeps_what_was_typed(w1: World, as_user: Any) -> None:
    client = as_user(w1.users["network_admin"])
    attendance = _complete(w1)
    url = reverse("training_attendance", args=[w1.past.pk])
    response = client.post(
        url, {f"status_{attendance.pk}": "attended", f"hours_{attendance.pk}": "7"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter between 0.5 and 1.5 hours." in body
    assert 'value="7"' in body and '<option value="attended" selected>' in body
    attendance.refresh_from_db()
    assert attendance.status == "completed"


def test_future_training_completion_refused_in_the_form(w1: World, as_user: Any) -> None:
    client = as_user(w1.users["network_admin"])
    url = reverse("training_attendance", args=[w1.upcoming.pk])
    response = client.post(url, {"add_staff": [w1.tutor_a.pk], "add_status": "completed"})
    assert response.status_code == 400
    assert "has not taken place yet" in response.content.decode()
    assert not Attendance.objects.exists()


def test_register_self_and_staff_and_full(w1: World, as_user: Any) -> None:
    url = reverse("training_register", args=[w1.upcoming.pk])
    assert as_user(w1.users["staff"]).post(url).status_code == 302
    client = as_user(w1.users["partner_admin"])
    # Org B's person is not theirs to register.
    response = client.post(url, {"staff_member": w1.mentor_b.pk})
    assert response.status_code == 400
    assert "Choose a person of your organization" in response.content.decode()
    assert client.post(url, {"staff_member": w1.tutor_a.pk}).status_code == 302
    response = as_user(w1.users["partner_staff_b"]).post(url)
    assert response.status_code == 400 and "is full" in response.content.decode()
    assert as_user(w1.users["evaluator"]).post(url).status_code == 404


def test_schedule_form_keeps_values_and_names_errors(w1: World, as_user: Any) -> None:
    client = as_user(w1.users["network_admin"])
    url = reverse("network_trainings", args=[w1.tenant.network.slug])
    response = client.post(
        url,
        {
            "topic": w1.ferpa.pk,
            "title": "Spring FERPA",
            "starts_at": "2027-13-01T10:00",
            "capacity": "x",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter the day and time as YYYY-MM-DD HH:MM." in body
    assert "Enter a whole number." in body
    assert 'value="Spring FERPA"' in body
    response = client.post(
        url,
        {
            "topic": w1.ferpa.pk,
            "title": "Spring FERPA",
            "starts_at": "2030-03-01T10:00",
            "location": "Hall",
        },
    )
    assert response.status_code == 302


def test_topic_form(w1: World, as_user: Any) -> None:
    client = as_user(w1.users["network_admin"])
    url = reverse("training_topics", args=[w1.tenant.network.slug])
    response = client.post(
        url, {"name": "Anti-bias practice", "default_hours": "2", "audience": "both"}
    )
    assert response.status_code == 400
    assert "already has a topic named" in response.content.decode()
    response = client.post(
        url,
        {
            "name": "Mandated reporting",
            "default_hours": "2",
            "audience": "both",
            "is_required": "on",
            "renewal_months": "24",
            "is_active": "on",
        },
    )
    assert response.status_code == 302


def test_compliance_lists_the_missing_and_exports_csv(
    w1: World, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    client = as_user(w1.users["network_admin"])
    url = reverse("training_compliance", args=[w1.tenant.network.slug])
    with django_assert_max_num_queries(16):
        body = client.get(url).content.decode()
    assert "Tess Tutor" in body and "Max Mentor" in body
    # More people, more schools' staff: the same number of queries.
    for n in range(8):
        StaffMemberFactory(organization=w1.tenant.org_b)
        MembershipFactory(
            user=UserFactory(), role=Role.SCHOOL_STAFF, network=w1.tenant.network,
            school=w1.tenant.schools[n % 3],
        )  # fmt: skip
    with django_assert_max_num_queries(16):
        client.get(url)
    _complete(w1)
    body = client.get(url, {"topic": w1.ferpa.pk}).content.decode()
    assert "Tess Tutor" not in body and "Max Mentor" in body
    csv = client.get(url, {"topic": w1.ferpa.pk, "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert "Max Mentor" in csv.content.decode() and "Tess Tutor" not in csv.content.decode()
    assert client.get(url, {"topic": "999999"}).status_code == 400
    # The partner admin sees only their organization.
    org_url = reverse("organization_training_compliance", args=[w1.tenant.org_a.pk])
    body = as_user(w1.users["partner_admin"]).get(org_url).content.decode()
    assert "Max Mentor" not in body


def test_a_trainer_with_an_account_takes_attendance(w1: World, as_user: Any) -> None:
    client = as_user(w1.users["network_admin"])
    url = reverse("training_edit", args=[w1.tenant.network.slug, w1.past.pk])
    form = {
        "topic": w1.ferpa.pk,
        "title": w1.past.title,
        "starts_at": "2026-01-05T10:00",
        "hours": "1.5",
        "location": "Room 101",
        "trainer": w1.users["partner_staff_b"].pk,
        "audience": "partner",
        "version": w1.past.version,
    }
    assert client.post(url, form).status_code == 302
    # The same form again: the version moved on, the change is refused and the form kept.
    stale = client.post(url, {**form, "title": "Renamed"})
    assert stale.status_code == 400
    assert "Someone else changed this training" in stale.content.decode()
    assert 'value="Renamed"' in stale.content.decode()
    trainer = as_user(w1.users["partner_staff_b"])
    attendance_url = reverse("training_attendance", args=[w1.past.pk])
    assert trainer.get(attendance_url).status_code == 200
    response = trainer.post(
        attendance_url, {"add_staff": [w1.tutor_a.pk], "add_status": "completed"}
    )
    assert response.status_code == 302
    assert (
        Attendance.objects.get(staff_member=w1.tutor_a).recorded_by == w1.users["partner_staff_b"]
    )


def test_withdraw_a_registration(w1: World, as_user: Any) -> None:
    attendance = services.registration_add(
        user=w1.users["partner_admin"], training=w1.upcoming, staff_member=w1.tutor_a
    )
    url = reverse("training_unregister", args=[w1.upcoming.pk, attendance.pk])
    assert as_user(w1.users["partner_staff_b"]).post(url).status_code == 404
    assert as_user(w1.users["staff"]).post(url).status_code == 404
    assert as_user(w1.users["partner_admin"]).post(url).status_code == 302
    attendance.refresh_from_db()
    assert attendance.status == AttendanceStatus.ABSENT
    again = as_user(w1.users["partner_admin"]).post(url)
    assert again.status_code == 400 and "already withdrawn" in again.content.decode()
