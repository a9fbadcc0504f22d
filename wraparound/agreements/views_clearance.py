"""Clearance pages. Thin: parse → selector/service → render.

Who may see what (authorization tests in tests/test_clearance_views.py):

- requirements and the review queue: the network's admins (`access.can_manage_clearance`);
  the network's other roles get a 403, anyone outside the network a 404;
- an organization's campus staff and the submit form: its partner admins and the network's
  admins (`access.can_manage_staff`); the organization's partner staff get a 403 (they know the
  organization; its staff list and documents are its admins' business), anyone else a 404;
- a record's document: `access.can_read_clearance_documents`; everyone else a 404;
- the check: network admins, school roles and partner users (`access.can_check_clearance`), for
  people and schools they may see (others: 404);
- the front desk's week: the school's roles and the network's admins; other readers of the
  school get a 403, anyone who may not see the school a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wraparound.core import access
from wraparound.core.models import Network, Organization

from . import clearance_selectors as selectors
from . import clearance_services as services
from .forms_clearance import CheckForm, RecordForm, RequirementForm, ReviewForm, StaffMemberForm
from .models import ClearanceRequirement, StaffMember


def _errors_into(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal, beside the fields it names (or at the top of the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _managed_network(request: HttpRequest, slug: str) -> Network:
    network = access.get_network_for_user(request.user, slug)
    if not access.can_manage_clearance(request.user, network.pk):
        raise PermissionDenied
    return network


def _staff_organization(request: HttpRequest, org_pk: int) -> Organization:
    organization = access.get_organization_for_user(request.user, org_pk)
    if not access.can_manage_staff(request.user, organization):
        raise PermissionDenied
    return organization


# --- requirements ------------------------------------------------------------------------------


def _new_requirement_form(data: Any = None) -> RequirementForm:
    form = RequirementForm(data, prefix="new")
    del form.fields["is_active"]
    return form


def _render_requirements(
    request: HttpRequest, network: Network, form: RequirementForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "agreements/clearance/requirements.html",
        {
            "network": network,
            "requirements": list(selectors.network_requirements(network)),
            "form": form,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def clearance_requirements(request: HttpRequest, slug: str) -> HttpResponse:
    network = _managed_network(request, slug)
    if request.method != "POST":
        return _render_requirements(request, network, _new_requirement_form())
    form = _new_requirement_form(request.POST)
    if form.is_valid():
        try:
            requirement = services.requirement_create(
                user=request.user, network=network, **form.values()
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(
                request, _("Requirement added: %(name)s.") % {"name": requirement.name}
            )
            return redirect("clearance_requirements", slug=network.slug)
    return _render_requirements(request, network, form, status=400)


def _requirement_initial(requirement: ClearanceRequirement) -> dict[str, Any]:
    return {f: getattr(requirement, f) for f in services.REQUIREMENT_FIELDS}


@login_required
@require_http_methods(["GET", "POST"])
def clearance_requirement_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network = _managed_network(request, slug)
    requirement = selectors.get_network_requirement(network, pk)
    status = 200
    if request.method == "POST":
        form = RequirementForm(request.POST)
        if form.is_valid():
            try:
                requirement = services.requirement_update(
                    user=request.user, requirement=requirement, **form.values()
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(
                    request, _("Requirement saved: %(name)s.") % {"name": requirement.name}
                )
                return redirect("clearance_requirements", slug=network.slug)
        status = 400
    else:
        form = RequirementForm(initial=_requirement_initial(requirement))
    return render(
        request,
        "agreements/clearance/requirement_form.html",
        {"network": network, "requirement": requirement, "form": form},
        status=status,
    )


# --- an organization's campus staff ------------------------------------------------------------


def _staff_form(organization: Organization, data: Any = None, **kwargs: Any) -> StaffMemberForm:
    schools = list(selectors.organization_partner_schools(organization))
    person = kwargs.pop("person", None)
    if person is not None:  # keep schools already assigned offered, partnership or not
        known = {s.pk for s in schools}
        schools += [s for s in person.schools.all() if s.pk not in known]
    return StaffMemberForm(data, schools=schools, **kwargs)


def _render_staff(
    request: HttpRequest, organization: Organization, form: StaffMemberForm, status: int = 200
) -> HttpResponse:
    page = selectors.organization_staff(organization)
    return render(
        request,
        "agreements/clearance/staff.html",
        {
            "organization": organization,
            "page": page,
            "form": form,
        },
        status=status,
    )


@login_required
@require_GET
def organization_staff(request: HttpRequest, org_pk: int) -> HttpResponse:
    organization = _staff_organization(request, org_pk)
    return _render_staff(request, organization, _staff_form(organization, prefix="new"))


@login_required
@require_POST
def organization_staff_add(request: HttpRequest, org_pk: int) -> HttpResponse:
    organization = _staff_organization(request, org_pk)
    form = _staff_form(organization, request.POST, prefix="new")
    if form.is_valid():
        try:
            person = services.staff_member_add(
                user=request.user, organization=organization, **form.values()
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(
                request, _("%(name)s is on the staff list.") % {"name": person.full_name}
            )
            return redirect("organization_staff", org_pk=organization.pk)
    return _render_staff(request, organization, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def organization_staff_edit(request: HttpRequest, org_pk: int, pk: int) -> HttpResponse:
    organization = _staff_organization(request, org_pk)
    person = selectors.get_organization_person(organization, pk)
    status = 200
    if request.method == "POST":
        form = _staff_form(organization, request.POST, person=person)
        if form.is_valid():
            try:
                person = services.staff_member_update(
                    user=request.user, person=person, **form.values()
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Saved: %(name)s.") % {"name": person.full_name})
                return redirect("organization_staff", org_pk=organization.pk)
        status = 400
    else:
        initial = {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "title": person.title,
            "email": person.email,
            "phone": person.phone,
            "schools": [s.pk for s in person.schools.all()],
        }
        form = _staff_form(organization, initial=initial, person=person)
    return render(
        request,
        "agreements/clearance/staff_form.html",
        {"organization": organization, "person": person, "form": form},
        status=status,
    )


def _toggle(request: HttpRequest, org_pk: int, pk: int, service: Any, message: str) -> HttpResponse:
    organization = _staff_organization(request, org_pk)
    person: StaffMember = selectors.get_organization_person(organization, pk)
    try:
        service(user=request.user, person=person)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, message % {"name": person.full_name})
    return redirect("organization_staff", org_pk=organization.pk)


@login_required
@require_POST
def organization_staff_deactivate(request: HttpRequest, org_pk: int, pk: int) -> HttpResponse:
    return _toggle(
        request, org_pk, pk, services.staff_member_deactivate, _("%(name)s is off the staff list.")
    )


@login_required
@require_POST
def organization_staff_reactivate(request: HttpRequest, org_pk: int, pk: int) -> HttpResponse:
    return _toggle(
        request,
        org_pk,
        pk,
        services.staff_member_reactivate,
        _("%(name)s is back on the staff list."),
    )


# --- submitting a record -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def organization_clearance_submit(request: HttpRequest, org_pk: int) -> HttpResponse:
    organization = _staff_organization(request, org_pk)
    requirements = selectors.submittable_requirements(organization.network)
    people = [p for p in selectors.organization_people(organization) if p.is_active]
    status = 200
    if request.method == "POST":
        form = RecordForm(request.POST, request.FILES, requirements=requirements, people=people)
        if form.is_valid():
            try:
                record = services.record_submit(
                    user=request.user, organization=organization, **form.values()
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                who = record.person.full_name if record.person else organization.name
                messages.success(
                    request,
                    _("Sent for review: %(requirement)s for %(who)s.")
                    % {"requirement": record.requirement.name, "who": who},
                )
                return redirect("organization_staff", org_pk=organization.pk)
        status = 400
    else:
        initial = {
            key: request.GET[key]
            for key in ("requirement", "person")
            if request.GET.get(key, "").isdigit()
        }
        form = RecordForm(initial=initial, requirements=requirements, people=people)
    return render(
        request,
        "agreements/clearance/submit.html",
        {"organization": organization, "form": form, "requirements": requirements},
        status=status,
    )


# --- a record's document -----------------------------------------------------------------------


@login_required
@require_GET
def clearance_record_document(request: HttpRequest, pk: int) -> FileResponse:
    record = selectors.get_record_document_for_user(request.user, pk)
    try:
        handle = services.record_document_open(user=request.user, record=record)
    except (OSError, ValidationError, PermissionDenied):
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=record.document_name or "document",
        content_type=record.document_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- the review queue --------------------------------------------------------------------------


def _render_review(
    request: HttpRequest,
    network: Network,
    bound: dict[int, ReviewForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    queue = selectors.review_queue(network)
    rows = [{"record": r, "form": bound.get(r.pk) or ReviewForm(prefix=f"r{r.pk}")} for r in queue]
    shown = {r.pk for r in queue}
    # Errors beside a reason field show there; the rest (and those of a record that left the
    # queue, e.g. reviewed by someone else meanwhile) at the top of the page.
    problems = [
        str(e)
        for pk, form in bound.items()
        for name, errors in form.errors.items()
        for e in errors
        if pk not in shown or name != "reason"
    ]
    return render(
        request,
        "agreements/clearance/review.html",
        {"network": network, "rows": rows, "problems": problems},
        status=status,
    )


@login_required
@require_GET
def clearance_review(request: HttpRequest, slug: str) -> HttpResponse:
    network = _managed_network(request, slug)
    return _render_review(request, network)


@login_required
@require_POST
def clearance_review_decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network = _managed_network(request, slug)
    record = selectors.get_network_record(network, pk)
    form = ReviewForm(request.POST, prefix=f"r{pk}")
    if form.is_valid():
        try:
            record = services.record_review(
                user=request.user,
                record=record,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            text = (
                _("Cleared: %(record)s.")
                if form.cleaned_data["decision"] == "clear"
                else _("Rejected: %(record)s.")
            )
            messages.success(request, text % {"record": record})
            return redirect("clearance_review", slug=network.slug)
    return _render_review(request, network, bound={pk: form}, status=400)


# --- the check ---------------------------------------------------------------------------------


@login_required
@require_GET
def clearance_check(request: HttpRequest) -> HttpResponse:
    if not access.can_check_clearance(request.user):
        raise PermissionDenied
    people = [
        (p.pk, f"{p.full_name} — {p.organization.name}")
        for p in selectors.visible_people(request.user)
        .filter(is_active=True)
        .select_related("organization")
        .order_by("organization__name", "last_name", "first_name", "pk")
    ]
    schools = [(s.pk, s.name) for s in selectors.check_schools(request.user).order_by("name")]
    asked = any(key in request.GET for key in ("person", "school", "date"))
    form = CheckForm(request.GET if asked else None, people=people, schools=schools)
    context: dict[str, Any] = {"form": form, "answer": None}
    status = 200
    if asked and form.is_valid():
        try:
            person, school, day = selectors.resolve_check(
                request.user,
                form.cleaned_data["person"],
                form.cleaned_data["school"],
                form.cleaned_data["date"],
            )
        except ValidationError as error:
            _errors_into(form, error)
            status = 400
        else:
            context |= {
                "answer": selectors.check(person, school, day),
                "person": person,
                "school": school,
                "day": day,
            }
    return render(request, "agreements/clearance/check.html", context, status=status)


# --- the front desk's week ---------------------------------------------------------------------


@login_required
@require_GET
def school_campus_list(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = access.get_school_for_user(request.user, school_pk)
    if not selectors.can_see_campus_list(request.user, school):
        raise PermissionDenied
    today = school.network.today()
    day, error, status = today, "", 200
    raw = request.GET.get("week", "").strip()
    if raw:
        parsed = selectors.parse_day(raw)
        if parsed is None:
            error = _("%(value)s is not a date: enter it as YYYY-MM-DD. Showing this week.") % {
                "value": raw[:40]
            }
            status = 400
        else:
            day = parsed
    days = selectors.week_of(day)
    monday = days[0]
    return render(
        request,
        "agreements/clearance/campus.html",
        {
            "school": school,
            "days": days,
            "rows": selectors.campus_week(school, days),
            "today": today,
            "error": error,
            "previous_week": monday - dt.timedelta(days=7),
            "next_week": monday + dt.timedelta(days=7),
            "this_week": selectors.week_of(today)[0],
        },
        status=status,
    )
