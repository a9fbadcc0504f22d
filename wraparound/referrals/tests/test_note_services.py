from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS
from wraparound.referrals import note_selectors as selectors
from wraparound.referrals import note_services as services
from wraparound.referrals.models import CaseNote
from wraparound.students.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def student(t1: Any) -> Any:
    return StudentFactory(school=t1.schools[0], given_name="Ana", family_name="Own")


@pytest.mark.parametrize("persona", ["staff", "supervisor"])
def test_clinical_staff_write_notes(t1: Any, student: Any, persona: str) -> None:
    note = services.case_note_write(user=t1.users[persona], student=student, body="  Met.  ")
    assert (note.body, note.author, note.school) == ("Met.", t1.users[persona], t1.schools[0])
    event = AuditEvent.objects.get(action="case_note.write")
    assert event.data == {"student_id": student.pk}  # never the words


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - {"staff", "supervisor"}))
def test_nobody_else_writes_notes(t1: Any, student: Any, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        services.case_note_write(user=t1.users[persona], student=student, body="Met.")
    assert not CaseNote.objects.exists()


def test_staff_of_another_school_may_not_write(t1: Any) -> None:
    elsewhere: Any = StudentFactory(school=t1.schools[1])
    with pytest.raises(PermissionDenied):
        services.case_note_write(user=t1.users["staff"], student=elsewhere, body="Met.")


def test_an_empty_or_huge_note_is_refused(t1: Any, student: Any) -> None:
    with pytest.raises(ValidationError, match="Write the note"):
        services.case_note_write(user=t1.users["staff"], student=student, body="   ")
    with pytest.raises(ValidationError, match="at most"):
        services.case_note_write(user=t1.users["staff"], student=student, body="x" * 20_001)
    assert not CaseNote.objects.exists()


def test_only_the_author_edits(t1: Any, student: Any) -> None:
    note = services.case_note_write(user=t1.users["staff"], student=student, body="First.")
    for persona in ("supervisor", "network_supervisor", "network_admin", "coordinator"):
        with pytest.raises(PermissionDenied):
            services.case_note_edit(user=t1.users[persona], note=note, body="Changed.")
    services.case_note_edit(user=t1.users["staff"], note=note, body="Second.")
    note.refresh_from_db()
    assert note.body == "Second."
    assert AuditEvent.objects.filter(action="case_note.edit").count() == 1


def test_who_reads_which_notes(t1: Any, t2: Any, student: Any) -> None:
    mine = services.case_note_write(user=t1.users["staff"], student=student, body="Staff's.")
    theirs = services.case_note_write(user=t1.users["supervisor"], student=student, body="Sup's.")
    reads = {p: set(selectors.student_notes(t1.users[p], student)) for p in PERSONAS}
    assert reads["staff"] == {mine}
    assert reads["supervisor"] == {mine, theirs}
    assert reads["network_supervisor"] == {mine, theirs}
    for persona in set(PERSONAS) - {"staff", "supervisor", "network_supervisor"}:
        assert reads[persona] == set(), persona
    assert not set(selectors.student_notes(t2.users["network_supervisor"], student))


def test_an_author_who_left_the_network_reads_their_notes_no_more(t1: Any, student: Any) -> None:
    from wraparound.core import access
    from wraparound.core.models import Membership

    author = t1.users["staff"]
    note = services.case_note_write(user=author, student=student, body="Before leaving.")
    assert set(selectors.student_notes(author, student)) == {note}
    Membership.objects.filter(user=author).update(is_active=False)
    access.forget(author)
    assert not CaseNote.objects.filter(access.case_note_filter(author)).exists()
