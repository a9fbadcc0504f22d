"""Writes of case notes: written by the school's clinical staff (`access.can_write_case_note`),
changed by their author only. The audit trail records who wrote or changed which note, never
its words."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.services import audit_record
from wraparound.students.models import Student

from .models import CaseNote

MAX_BODY = 20_000


def _clean(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write the note.")]})
    if len(body) > MAX_BODY:
        raise ValidationError(
            {"body": [_("A note is at most %(n)s characters.") % {"n": MAX_BODY}]}
        )
    return body


@transaction.atomic
def case_note_write(*, user: Any, student: Student, body: str) -> CaseNote:
    school = student.school
    if school is None or not access.can_write_case_note(user, school):
        raise PermissionDenied
    note = CaseNote.objects.create(
        network_id=student.network_id,
        school=school,
        student=student,
        author=user,
        body=_clean(body),
    )
    audit_record(
        actor=user,
        action="case_note.write",
        target=note,
        network=student.network_id,
        data={"student_id": student.pk},
    )
    return note


@transaction.atomic
def case_note_edit(*, user: Any, note: CaseNote, body: str) -> CaseNote:
    locked = CaseNote.objects.select_for_update(of=("self",)).get(pk=note.pk)
    if locked.author_id != user.pk:
        raise PermissionDenied
    locked.body = _clean(body)
    locked.save(update_fields=["body", "updated_at"])
    audit_record(
        actor=user,
        action="case_note.edit",
        target=locked,
        network=locked.network_id,
        data={"student_id": locked.student_id},
    )
    return locked
