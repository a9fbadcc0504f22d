"""Case note pages: a student's notes (list and form) and changing one's own note.

Who may open them (tests/test_note_views.py): the school's staff and clinical supervisors, and
the network's clinical supervisors (who read but do not write); everyone else — network admins,
coordinators, principals, partners, evaluators — gets a 404. Each notes page read is audited
("case_note.read"). A reader who is not the author asking to change a note gets a 403 (they
can read it already); anyone who cannot read it, a 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from wraparound.core import access
from wraparound.core.services import audit_record

from . import note_selectors as selectors
from . import note_services as services
from .note_services import MAX_BODY


class NoteForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Read only by you and the clinical supervisors of this school."),
    )


def _into(form: NoteForm, error: ValidationError) -> None:
    for name, errors in error.message_dict.items():
        for message in errors:
            form.add_error(name if name in form.fields else None, message)


@login_required
@require_http_methods(["GET", "POST"])
def case_note_list(request: HttpRequest, student_pk: int) -> HttpResponse:
    student = selectors.get_student_for_notes(request.user, student_pk)
    can_write = student.school is not None and access.can_write_case_note(
        request.user, student.school
    )
    status = 200
    form = NoteForm()
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                services.case_note_write(
                    user=request.user, student=student, body=form.cleaned_data["body"]
                )
            except ValidationError as error:
                _into(form, error)
            else:
                messages.success(request, _("Note saved."))
                return redirect("case_note_list", student_pk=student.pk)
        status = 400
    notes = list(selectors.student_notes(request.user, student))
    audit_record(
        actor=request.user,
        action="case_note.read",
        target=student,
        network=student.network_id,
        data={"notes": [n.pk for n in notes]},
    )
    return render(
        request,
        "referrals/case_note_list.html",
        {"student": student, "notes": notes, "form": form, "can_write": can_write},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_note_edit(request: HttpRequest, student_pk: int, pk: int) -> HttpResponse:
    student = selectors.get_student_for_notes(request.user, student_pk)
    note = selectors.get_note_for_user(request.user, student, pk)
    if note.author_id != request.user.pk:
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                services.case_note_edit(
                    user=request.user, note=note, body=form.cleaned_data["body"]
                )
            except ValidationError as error:
                _into(form, error)
            else:
                messages.success(request, _("Note saved."))
                return redirect("case_note_list", student_pk=student.pk)
        status = 400
    else:
        form = NoteForm(initial={"body": note.body})
    return render(
        request,
        "referrals/case_note_edit.html",
        {"student": student, "note": note, "form": form},
        status=status,
    )
