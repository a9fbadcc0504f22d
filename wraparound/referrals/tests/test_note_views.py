from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS
from wraparound.referrals import note_services as services
from wraparound.referrals.models import CaseNote
from wraparound.students.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

READERS = {"staff", "supervisor", "network_supervisor"}


@pytest.fixture
def student(t1: Any) -> Any:
    return StudentFactory(school=t1.schools[0], given_name="Ana", family_name="Own")


@pytest.fixture
def notes(t1: Any, student: Any) -> dict[str, CaseNote]:
    return {
        "staff": services.case_note_write(user=t1.users["staff"], student=student, body="Sleep."),
        "supervisor": services.case_note_write(
            user=t1.users["supervisor"], student=student, body="Plan reviewed."
        ),
    }


def test_the_notes_page_opens_to_clinical_readers_only(
    t1: Any, t2: Any, as_user: Any, student: Any, notes: Any
) -> None:
    url = reverse("case_note_list", args=[student.pk])
    got = {p: as_user(t1.users[p]).get(url).status_code for p in PERSONAS}
    assert got == {p: 200 if p in READERS else 404 for p in PERSONAS}
    assert as_user(t2.users["network_supervisor"]).get(url).status_code == 404
    assert as_user(t2.users["network_admin"]).get(url).status_code == 404
    assert (
        as_user(t1.users["staff"]).get(reverse("case_note_list", args=[999999])).status_code == 404
    )


def test_each_reader_sees_only_the_notes_they_may(
    t1: Any, as_user: Any, student: Any, notes: Any
) -> None:
    url = reverse("case_note_list", args=[student.pk])
    staff_page = as_user(t1.users["staff"]).get(url).content.decode()
    assert "Sleep." in staff_page and "Plan reviewed." not in staff_page
    sup_page = as_user(t1.users["network_supervisor"]).get(url).content.decode()
    assert "Sleep." in sup_page and "Plan reviewed." in sup_page
    assert 'name="body"' not in sup_page  # a network supervisor reads, does not write


def test_reading_is_audited(t1: Any, as_user: Any, student: Any, notes: Any) -> None:
    as_user(t1.users["supervisor"]).get(reverse("case_note_list", args=[student.pk]))
    event = AuditEvent.objects.get(action="case_note.read")
    assert event.actor == t1.users["supervisor"]
    assert sorted(event.data["notes"]) == sorted(n.pk for n in notes.values())
    assert event.target_id == str(student.pk)


def test_writing_a_note(t1: Any, as_user: Any, student: Any) -> None:
    client = as_user(t1.users["staff"])
    url = reverse("case_note_list", args=[student.pk])
    response = client.post(url, {"body": "Talked about exams."})
    assert response.status_code == 302
    assert CaseNote.objects.get().body == "Talked about exams."
    response = client.post(url, {"body": "   "})
    assert response.status_code == 400
    assert CaseNote.objects.count() == 1
    # Readers who do not write are refused; others never see the page.
    assert as_user(t1.users["network_supervisor"]).post(url, {"body": "x"}).status_code == 403
    assert as_user(t1.users["network_admin"]).post(url, {"body": "x"}).status_code == 404
    assert as_user(t1.users["partner_staff_a"]).post(url, {"body": "x"}).status_code == 404
    assert CaseNote.objects.count() == 1


def test_editing_is_for_the_author(t1: Any, as_user: Any, student: Any, notes: Any) -> None:
    note = notes["staff"]
    url = reverse("case_note_edit", args=[student.pk, note.pk])
    got = {p: as_user(t1.users[p]).get(url).status_code for p in PERSONAS}
    assert got == {
        p: 200 if p == "staff" else 403 if p in {"supervisor", "network_supervisor"} else 404
        for p in PERSONAS
    }
    client = as_user(t1.users["staff"])
    assert client.post(url, {"body": ""}).status_code == 400
    assert client.post(url, {"body": "Sleep better."}).status_code == 302
    note.refresh_from_db()
    assert note.body == "Sleep better."
    other = reverse("case_note_edit", args=[student.pk, notes["supervisor"].pk])
    assert client.get(other).status_code == 404  # staff cannot read the supervisor's note


def test_the_notes_page_does_not_query_per_note(
    t1: Any, as_user: Any, student: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        services.case_note_write(user=t1.users["staff"], student=student, body=f"Note {i}.")
    client = as_user(t1.users["supervisor"])
    with django_assert_max_num_queries(12):
        body = client.get(reverse("case_note_list", args=[student.pk])).content.decode()
    assert "Note 29." in body
