"""Tier (MTSS) pages. Thin: parse → selector/service → render.

Who may see what (tests in tests/test_tier_views.py):

- a student's tiers: whoever sees the student whole (`access.student_filter`), else a 404
  (partner users and evaluators included); assigning and ending: `access.can_assign_tier`
  (coordinators, staff, clinical supervisors, network admins); other officials get a 403;
- my caseload: any user with a school role (else a 403: the page names nobody);
- a school's distribution: its school officials (`access.is_school_official`); others who see
  the school get a 403, anyone else a 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from wraparound.core import access
from wraparound.core.roles import SCHOOL_ROLES

from . import tier_selectors as selectors
from . import tier_services as services
from .consent_selectors import get_student_for_user
from .forms_tiers import TierAssignForm, TierEndForm
from .models import Student, TierDomain


def _errors_into(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _assign_form(student: Student, data: Any = None, **kwargs: Any) -> TierAssignForm:
    assert student.school is not None
    return TierAssignForm(
        data, people=services.case_manager_choices(student.school.pk), prefix="assign", **kwargs
    )


def _render_list(
    request: HttpRequest, student: Student, form: TierAssignForm | None, status: int = 200
) -> HttpResponse:
    can_write = student.school is not None and access.can_assign_tier(request.user, student.school)
    if can_write and form is None:
        form = _assign_form(student, initial={"starts_on": student.network.today()})
    return render(
        request,
        "students/tier_list.html",
        {
            "student": student,
            "domains": selectors.student_tiers(student),
            "can_write": can_write,
            "form": form if can_write else None,
            "today": student.network.today(),
        },
        status=status,
    )


@login_required
@require_GET
def tier_list(request: HttpRequest, student_pk: int) -> HttpResponse:
    student = get_student_for_user(request.user, student_pk)
    return _render_list(request, student, None)


@login_required
@require_http_methods(["POST"])
def tier_assign(request: HttpRequest, student_pk: int) -> HttpResponse:
    student = get_student_for_user(request.user, student_pk)
    if student.school is None or not access.can_assign_tier(request.user, student.school):
        raise PermissionDenied
    form = _assign_form(student, request.POST)
    if form.is_valid():
        try:
            assignment = services.tier_assign(user=request.user, student=student, **form.values())
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(
                request,
                _("%(student)s is at %(tier)s in %(domain)s from %(day)s.")
                % {
                    "student": student.display_name,
                    "tier": assignment.get_tier_display(),
                    "domain": TierDomain(assignment.domain).label,
                    "day": assignment.starts_on.isoformat(),
                },
            )
            return redirect("tier_list", student_pk=student.pk)
    return _render_list(request, student, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def tier_end(request: HttpRequest, student_pk: int, pk: int) -> HttpResponse:
    student = get_student_for_user(request.user, student_pk)
    assignment = selectors.get_assignment_for_user(request.user, student, pk)
    if not access.can_assign_tier(request.user, assignment.school):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = TierEndForm(request.POST)
        if form.is_valid():
            try:
                services.tier_end(
                    user=request.user,
                    assignment=assignment,
                    ends_on=form.cleaned_data["ends_on"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Tier assignment ended."))
                return redirect("tier_list", student_pk=student.pk)
        status = 400
    else:
        form = TierEndForm(initial={"ends_on": student.network.today()})
    return render(
        request,
        "students/tier_end.html",
        {"student": student, "assignment": assignment, "form": form},
        status=status,
    )


@login_required
@require_GET
def caseload(request: HttpRequest) -> HttpResponse:
    if not access.grants(request.user).schools_with(*SCHOOL_ROLES):
        raise PermissionDenied
    return render(request, "students/caseload.html", {"rows": selectors.caseload(request.user)})


@login_required
@require_GET
def tier_distribution(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = access.get_school_for_user(request.user, school_pk)
    if not access.is_school_official(request.user, school):
        raise PermissionDenied
    day = school.network.today()
    return render(
        request,
        "students/tier_distribution.html",
        {"school": school, "dist": selectors.tier_distribution(school=school, day=day)},
    )
