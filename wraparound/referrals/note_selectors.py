"""Reads of case notes. A note is read by its author and by the clinical supervisors of the
school (or network) it was written at — `access.case_note_filter` — and by nobody else: not
network admins, coordinators, principals or partners. Notes are never exported nor in the API.

The notes page of a student opens to whoever may write notes at the student's school
(`access.can_write_case_note`) or supervises its network clinically; anyone else gets a 404,
which says nothing about the student or their notes."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from wraparound.core import access
from wraparound.core.roles import Role
from wraparound.students.models import Student

from .models import CaseNote


def opens_notes(user: Any, student: Student) -> bool:
    school = student.school
    if school is None:
        return False
    return access.can_write_case_note(user, school) or student.network_id in access.grants(
        user
    ).networks_with(Role.CLINICAL_SUPERVISOR)


def get_student_for_notes(user: Any, pk: Any) -> Student:
    try:
        student = Student.objects.select_related("school").get(pk=pk)
    except (Student.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not opens_notes(user, student):
        raise Http404
    return student


def visible_notes(user: Any) -> QuerySet[CaseNote]:
    return CaseNote.objects.filter(access.case_note_filter(user))


def student_notes(user: Any, student: Student) -> QuerySet[CaseNote]:
    """The student's notes the user reads, newest first."""
    return visible_notes(user).filter(student_id=student.pk).select_related("author")


def get_note_for_user(user: Any, student: Student, pk: Any) -> CaseNote:
    try:
        return student_notes(user, student).get(pk=pk)
    except (CaseNote.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
