"""Consent pages. Thin: parse → selector/service → render.

Who may see what (tests in tests/test_consent_views.py):

- a student's consents and a consent's detail: whoever sees the student whole
  (`access.student_filter`); anyone else a 404 (partner users and evaluators included);
- recording, requesting and revoking: `access.can_record_consent` (coordinators, staff, network
  admins); other school officials of the student get a 403 (it reveals nothing they cannot see);
- a scan: school officials of the consent's school (`access.is_school_official`), else a 404;
- the public sign page: anyone holding a live link; a bad, expired or used link shows a page
  that names no student (404 or 410).
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from wraparound.core import access
from wraparound.core.client_address import client_address

from . import consent_selectors as selectors
from . import consent_services as services
from .forms_consent import (
    ConsentRecordForm,
    ConsentRequestForm,
    ConsentRevokeForm,
    ConsentSignForm,
)
from .models import Consent, ConsentStatus, Student

SCAN_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}


def _errors_into(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal, beside the fields it names (or at the top of the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _writable_student(request: HttpRequest, student_pk: int) -> Student:
    student = selectors.get_student_for_user(request.user, student_pk)
    if student.school is None or not access.can_record_consent(request.user, student.school):
        raise PermissionDenied
    return student


def _choices(student: Student) -> dict[str, Any]:
    return {
        "guardians": selectors.student_guardians(student),
        "organizations": selectors.recipient_choices(student),
    }


# --- a student's consents -----------------------------------------------------------------------


@login_required
@require_GET
def consent_list(request: HttpRequest, student_pk: int) -> HttpResponse:
    student = selectors.get_student_for_user(request.user, student_pk)
    can_write = student.school is not None and access.can_record_consent(
        request.user, student.school
    )
    return render(
        request,
        "students/consent_list.html",
        {
            "student": student,
            "rows": selectors.consent_rows(request.user, student),
            "can_write": can_write,
            "can_read_scans": student.school is not None
            and access.is_school_official(request.user, student.school),
        },
    )


@login_required
@require_GET
def consent_detail(request: HttpRequest, student_pk: int, pk: int) -> HttpResponse:
    student = selectors.get_student_for_user(request.user, student_pk)
    consent = selectors.get_consent_for_user(request.user, pk, student=student)
    return render(
        request,
        "students/consent_detail.html",
        {
            "student": student,
            "consent": consent,
            "state": selectors.consent_state(consent, student.network.today()),
            "elements": selectors.element_labels(consent.data_elements),
            "recipient": selectors.recipient_label(consent),
            "can_write": access.can_record_consent(request.user, consent.school),
            "can_read_scan": access.is_school_official(request.user, consent.school),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_record(request: HttpRequest, student_pk: int) -> HttpResponse:
    student = _writable_student(request, student_pk)
    status = 200
    if request.method == "POST":
        form = ConsentRecordForm(request.POST, request.FILES, **_choices(student))
        if form.is_valid():
            try:
                services.consent_record(user=request.user, student=student, **form.values())
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Consent recorded."))
                return redirect("consent_list", student_pk=student.pk)
        status = 400
    else:
        today = student.network.today()
        form = ConsentRecordForm(
            initial={"signed_on": today, "effective_on": today}, **_choices(student)
        )
    return render(
        request,
        "students/consent_form.html",
        {"student": student, "form": form, "mode": "record"},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_request(request: HttpRequest, student_pk: int) -> HttpResponse:
    student = _writable_student(request, student_pk)
    status = 200
    if request.method == "POST":
        form = ConsentRequestForm(request.POST, **_choices(student))
        if form.is_valid():
            try:
                consent, _raw = services.consent_request(
                    user=request.user, student=student, **form.values()
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                guardian = consent.guardian
                messages.success(
                    request,
                    _("A link to sign was e-mailed to %(name)s. It works once, for %(days)d days.")
                    % {
                        "name": guardian.display_name if guardian else "",
                        "days": services.LINK_DAYS,
                    },
                )
                return redirect("consent_list", student_pk=student.pk)
        status = 400
    else:
        form = ConsentRequestForm(**_choices(student))
    return render(
        request,
        "students/consent_form.html",
        {"student": student, "form": form, "mode": "request"},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_revoke(request: HttpRequest, student_pk: int, pk: int) -> HttpResponse:
    student = selectors.get_student_for_user(request.user, student_pk)
    consent = selectors.get_consent_for_user(request.user, pk, student=student)
    if not access.can_record_consent(request.user, consent.school):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = ConsentRevokeForm(request.POST)
        if form.is_valid():
            try:
                services.consent_revoke(
                    user=request.user, consent=consent, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Consent revoked: it covers nothing from now on."))
                return redirect("consent_list", student_pk=student.pk)
        status = 400
    else:
        form = ConsentRevokeForm()
    return render(
        request,
        "students/consent_revoke.html",
        {
            "student": student,
            "consent": consent,
            "form": form,
            "recipient": selectors.recipient_label(consent),
            "revocable": consent.status in (ConsentStatus.SIGNED, ConsentStatus.REQUESTED),
        },
        status=status,
    )


@login_required
@require_GET
def consent_scan(request: HttpRequest, student_pk: int, pk: int) -> FileResponse:
    student = selectors.get_student_for_user(request.user, student_pk)
    consent = selectors.get_consent_for_user(request.user, pk, student=student)
    try:
        handle = services.consent_scan_open(user=request.user, consent=consent)
    except (OSError, ValidationError, PermissionDenied):
        raise Http404 from None
    suffix = PurePath(str(consent.scan.name)).suffix.lower()
    suffix = ".jpg" if suffix == ".jpeg" else suffix
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"consent-{consent.pk}{suffix}",
        content_type=SCAN_TYPES.get(suffix, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- the public sign page -----------------------------------------------------------------------

LINK_PAGES = {
    "unknown": ("students/consent_link_invalid.html", 404),
    "expired": ("students/consent_link_invalid.html", 410),
    "used": ("students/consent_link_used.html", 410),
}


def _link_refused(request: HttpRequest, state: str) -> HttpResponse:
    template, status = LINK_PAGES[state]
    response = render(request, template, {"state": state}, status=status)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _sign_context(consent: Consent) -> dict[str, Any]:
    student = consent.student
    return {
        "consent": consent,
        "first_name": student.preferred_name or student.given_name,
        "school": consent.school,
        "elements": selectors.element_labels(consent.data_elements),
        "recipient": selectors.recipient_label(consent),
        "class_of_parties": consent.recipient_organization_id is None,
        "link_expires_at": consent.token_expires_at,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def consent_sign(request: HttpRequest, token: str) -> HttpResponse:
    """The guardian's page: no login; the whole page speaks the language the school chose."""
    try:
        consent = services.consent_for_token(token)
    except services.ConsentLinkError as refused:
        return _link_refused(request, refused.state)
    with translation.override(consent.language):
        status = 200
        if request.method == "POST":
            form = ConsentSignForm(request.POST)
            decision = request.POST.get("decision")
            if form.is_valid():
                agree = decision == "agree"
                if agree and not form.cleaned_data["agree"]:
                    form.add_error(
                        "agree",
                        _("Tick the box to agree, or choose “I do not agree”."),
                    )
                elif decision not in ("agree", "decline"):
                    form.add_error(None, _("Choose “I agree” or “I do not agree”."))
                else:
                    try:
                        consent = services.consent_sign_by_link(
                            raw_token=token,
                            signer_name=form.cleaned_data["signer_name"],
                            agree=agree,
                            ip_address=client_address(request),
                        )
                    except services.ConsentLinkError as refused:
                        return _link_refused(request, refused.state)
                    except ValidationError as error:
                        _errors_into(form, error)
                    else:
                        response = render(
                            request,
                            "students/consent_sign_done.html",
                            {"consent": consent, "agreed": agree},
                        )
                        response["Referrer-Policy"] = "no-referrer"
                        return response
            status = 400
        else:
            form = ConsentSignForm()
        response = render(
            request,
            "students/consent_sign.html",
            _sign_context(consent) | {"form": form},
            status=status,
        )
    response["Referrer-Policy"] = "no-referrer"
    response["Content-Language"] = consent.language
    return response
