"""Referral pages. Thin: parse → selector/service → render.

Who may see what (authorization tests in tests/test_referral_views.py):

- a school's referrals and the new-referral form: school officials of the school (its roles,
  network admins, network clinical supervisors); making a referral needs `access.can_refer`
  (a principal reads, 403 on the form); other readers of the school (evaluators) a 403; anyone
  who may not see the school a 404;
- a referral: school officials of its school, and partner users of its organization once sent
  (students through `visibility.partner_views`, which logs each read); anyone else a 404;
- a draft's edit form: those of its readers who may refer for its school (`access.can_refer`);
  its other readers a 403; anyone else a 404; a referral no longer a draft a 403 saying so
  (tests/test_referral_drafts.py);
- an organization's inbox: its partner users; a network admin (who knows the organization) a
  403; anyone else a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wraparound.agreements.models import DataElement
from wraparound.core import access
from wraparound.core.models import Coalition, Organization, School
from wraparound.students import visibility
from wraparound.students.models import Guardian, Student

from . import referral_selectors as selectors
from . import referral_services as services
from .forms_referrals import (
    CrossAgencyReferralForm,
    ReferralDraftForm,
    ReferralForm,
    subject_students,
    transition_form,
)
from .models import PARTNER_VISIBLE_STATUSES, CloseReason, Referral, ReferralStatus

PAGE_SIZE = 50


def _errors_into(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _official_school(request: HttpRequest, school_pk: int) -> School:
    school = access.get_school_for_user(request.user, school_pk)
    if not access.is_school_official(request.user, school):
        raise PermissionDenied
    return school


def _status_param(request: HttpRequest, allowed: Any) -> str:
    status = request.GET.get("status", "")
    return status if status in allowed else ""


# --- the school's referrals -----------------------------------------------------------------------


@login_required
@require_GET
def referral_school_list(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = _official_school(request, school_pk)
    status = _status_param(request, ReferralStatus.values)
    page = Paginator(selectors.school_referrals(request.user, school, status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    funnel = selectors.school_funnel(request.user, school)
    return render(
        request,
        "referrals/referral_school_list.html",
        {
            "school": school,
            "page": page,
            "status": status,
            "funnel": [(s, ReferralStatus(s).label, funnel[s]) for s in ReferralStatus.values],
            "total": sum(funnel.values()),
            "can_refer": access.can_refer(request.user, school),
        },
    )


@login_required
@require_GET
def referrals_made(request: HttpRequest) -> HttpResponse:
    """The referrals the user made as a school official, every school at once, with the answers
    overdue: what a coordinator follows up on."""
    if not selectors.makes_school_referrals(request.user):
        raise PermissionDenied
    status = _status_param(request, ReferralStatus.values)
    page = Paginator(selectors.referrals_made_by(request.user, status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    funnel, overdue = selectors.made_by_funnel(request.user)
    return render(
        request,
        "referrals/referrals_made.html",
        {
            "page": page,
            "status": status,
            "funnel": [(s, ReferralStatus(s).label, funnel[s]) for s in ReferralStatus.values],
            "total": sum(funnel.values()),
            "overdue": overdue,
        },
    )


# --- a new referral -------------------------------------------------------------------------------


def _render_new(
    request: HttpRequest,
    school: School,
    form: ReferralForm,
    query: str,
    duplicates: list[Referral],
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "referrals/referral_new.html",
        {"school": school, "form": form, "query": query, "duplicates": duplicates},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def referral_new(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = _official_school(request, school_pk)
    if not access.can_refer(request.user, school):
        raise PermissionDenied
    services_qs = selectors.referable_services(school)
    query = request.GET.get("q", "").strip()[:100]
    if request.method != "POST":
        students: list[Any] = []
        if request.GET.get("student", "").isdigit():
            students = subject_students(school, f"s{request.GET['student']}")
        elif query:
            students = selectors.school_students(school, query)
        form = ReferralForm(school=school, services=services_qs, students=students)
        return _render_new(request, school, form, query, [])
    students = subject_students(school, request.POST.get("subject", ""))
    form = ReferralForm(request.POST, school=school, services=services_qs, students=students)
    duplicates: list[Referral] = []
    if form.is_valid():
        student, guardian = form.subject_objects()
        service = form.cleaned_data["service"]
        duplicates = selectors.open_duplicates(student=student, service=service)
        if duplicates and not form.cleaned_data["confirm_duplicate"]:
            form.add_error(
                "confirm_duplicate",
                _(
                    "This student already has an open referral to this service. Open it, or "
                    "tick “Refer again anyway” to make another."
                ),
            )
        else:
            send = request.POST.get("action") == "send"
            try:
                referral = services.referral_create(
                    user=request.user,
                    school=school,
                    student=student,
                    guardian=guardian,
                    service=service,
                    reason=form.cleaned_data["reason"],
                    urgent=form.cleaned_data["urgent"],
                    shared_elements=form.cleaned_data["shared_elements"],
                    send=send,
                )
            except visibility.SharingRefused as refused:
                form.add_error("shared_elements", str(refused))
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(
                    request, _("Referral sent.") if send else _("Referral saved as a draft.")
                )
                return redirect("referral_detail", pk=referral.pk)
    return _render_new(request, school, form, query, duplicates, status=400)


# --- editing a draft ------------------------------------------------------------------------------


def _editable_draft(request: HttpRequest, pk: int) -> tuple[Referral, HttpResponse | None]:
    """The draft the user may edit; or, when it is visible and theirs to refer but no longer a
    draft, the 403 page that says why."""
    referral = selectors.get_referral_for_user(request.user, pk)
    if not services.may_refer_for(request.user, referral):
        raise PermissionDenied
    if referral.status != ReferralStatus.DRAFT:
        reason = _("Only a draft can be edited; this referral is %(status)s.") % {
            "status": ReferralStatus(referral.status).label
        }
        return referral, render(
            request,
            "referrals/referral_not_editable.html",
            {"referral": referral, "reason": reason},
            status=403,
        )
    return referral, None


def _render_edit(
    request: HttpRequest,
    referral: Referral,
    form: ReferralDraftForm,
    duplicates: list[Referral],
    status: int = 200,
    conflict: str = "",
) -> HttpResponse:
    return render(
        request,
        "referrals/referral_edit.html",
        {"referral": referral, "form": form, "duplicates": duplicates, "conflict": conflict},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def referral_edit(request: HttpRequest, pk: int) -> HttpResponse:
    referral, refused = _editable_draft(request, pk)
    if refused is not None:
        return refused
    services_qs = (
        selectors.cross_agency_services(referral.referring_organization)
        if referral.referring_organization is not None
        and not access.can_refer(request.user, referral.school)
        else selectors.referable_services(referral.school)
    )
    if request.method != "POST":
        form = ReferralDraftForm(
            school=referral.school,
            services=services_qs,
            initial={
                "service": referral.service_id,
                "reason": referral.reason,
                "urgent": referral.urgent,
                "shared_elements": list(referral.shared_elements),
                "expected_version": referral.version,
            },
        )
        return _render_edit(request, referral, form, [])
    form = ReferralDraftForm(request.POST, school=referral.school, services=services_qs)
    duplicates: list[Referral] = []
    status, conflict = 400, ""
    if form.is_valid():
        service = form.cleaned_data["service"]
        # Warn as the new-referral form does, of a service the draft is not already for.
        if service.pk != referral.service_id:
            duplicates = selectors.open_duplicates(student=referral.student, service=service)
        if duplicates and not form.cleaned_data["confirm_duplicate"]:
            form.add_error(
                "confirm_duplicate",
                _(
                    "This student already has an open referral to this service. Open it, or "
                    "tick “Refer again anyway” to make another."
                ),
            )
        else:
            send = request.POST.get("action") == "send"
            try:
                services.referral_update_draft(
                    user=request.user,
                    referral=referral,
                    expected_version=form.cleaned_data["expected_version"],
                    service=service,
                    reason=form.cleaned_data["reason"],
                    urgent=form.cleaned_data["urgent"],
                    shared_elements=form.cleaned_data["shared_elements"],
                    send=send,
                )
            except services.ReferralConflict as error:
                status, conflict = 409, error.messages[0]
            except visibility.SharingRefused as refused_share:
                form.add_error("shared_elements", str(refused_share))
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(request, _("Referral sent.") if send else _("Draft saved."))
                return redirect("referral_detail", pk=referral.pk)
    return _render_edit(request, referral, form, duplicates, status=status, conflict=conflict)


# --- one referral ---------------------------------------------------------------------------------


def _student_fields(view: visibility.StudentView | None) -> list[tuple[str, Any]]:
    if view is None:
        return []
    rows = []
    for name, value in view.as_dict().items():
        if name in ("id", "referral_reason"):
            continue
        field = Student._meta.get_field(name) if name != "school" else None
        label = str(getattr(field, "verbose_name", name)) if field is not None else _("school")
        if field is not None and getattr(field, "choices", None):
            value = dict(field.choices or ()).get(value, value)  # type: ignore[union-attr]
        elif isinstance(value, bool):
            value = _("yes") if value else _("no")
        rows.append((label, value))
    return rows


def _family_fields(user: Any, referral: Referral, official: bool) -> list[tuple[str, Any]]:
    guardian = referral.guardian
    if guardian is None:
        return []
    if not official and not selectors.partner_family_contact(
        user=user, referral=referral, purpose="referral detail"
    ):
        return []
    rows = [(_("name"), guardian.display_name), (_("email"), guardian.email)]
    rows += [(_("phone"), guardian.phone), (_("preferred language"), guardian.preferred_language)]
    return rows


def _detail_context(request: HttpRequest, referral: Referral) -> dict[str, Any]:
    user = request.user
    official = selectors.is_official_for(user, referral)
    view = None
    if official:
        if referral.student is not None:
            view = visibility.whole_view(referral.student)
    else:
        reads = visibility.partner_views(user=user, referrals=[referral], purpose="referral detail")
        if not reads:
            # The referring agency sees whom it referred as it sees them under its own referral.
            source = selectors.source_referral(user, referral)
            if source is not None:
                reads = visibility.partner_views(
                    user=user, referrals=[source], purpose="cross-agency referral detail"
                )
        view = reads[0].view if reads else None
    events = selectors.referral_events(referral)
    close_labels = dict(CloseReason.choices)
    for event in events:
        event.reason_label = close_labels.get(event.reason, event.reason)
    return {
        "referral": referral,
        "official": official,
        "view": view,
        "student_fields": _student_fields(view) or _family_fields(user, referral, official),
        # The referring agency wrote the reason; a receiving partner reads it only if shared.
        "reason": (
            referral.reason
            if official
            or (referral.referring_organization_id and services.may_refer_for(user, referral))
            else (view.referral_reason if view else None)
        ),
        "shared_labels": [
            DataElement(e).label for e in referral.shared_elements if e in DataElement.values
        ],
        "events": events,
        "can_edit": referral.status == ReferralStatus.DRAFT
        and services.may_refer_for(user, referral),
        "cross_agency_url": _cross_agency_url(user, referral),
        "actions": [
            (to, ReferralStatus(to).label, transition_form(referral, to))
            for to in services.allowed_targets(user, referral)
        ],
    }


@login_required
@require_GET
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.get_referral_for_user(request.user, pk)
    return render(request, "referrals/referral_detail.html", _detail_context(request, referral))


@login_required
@require_POST
def referral_transition(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.get_referral_for_user(request.user, pk)
    to = request.POST.get("to", "")
    if to not in ReferralStatus.values:
        messages.error(request, _("Choose one of the actions offered."))
        return redirect("referral_detail", pk=referral.pk)
    form = transition_form(referral, to, request.POST)
    status = 400
    if form.is_valid():
        try:
            services.referral_transition(
                user=request.user,
                referral=referral,
                to=to,
                expected_version=form.cleaned_data["expected_version"],
                reason=form.cleaned_data.get("reason", "") or "",
                note=form.cleaned_data["note"],
            )
        except services.ReferralConflict as conflict:
            form.add_error(None, conflict.messages[0])
            status = 409
        except visibility.SharingRefused as refused:
            form.add_error(None, str(refused))
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(
                request,
                _("The referral is now %(status)s.") % {"status": ReferralStatus(to).label},
            )
            return redirect("referral_detail", pk=referral.pk)
    context = _detail_context(request, selectors.get_referral_for_user(request.user, pk))
    if status == 409:
        context["conflict"] = form.non_field_errors()[0]
    else:
        # The failed form replaces its fresh twin, so what was typed stays beside its errors.
        context["actions"] = [
            (t, label, form if t == to else f) for (t, label, f) in context["actions"]
        ]
        context["failed"] = to
    return render(request, "referrals/referral_detail.html", context, status=status)


# --- the partner's inbox --------------------------------------------------------------------------


def _grade(view: visibility.StudentView | None) -> str | None:
    """The grade's label when the view shows it (partner templates read only the view)."""
    value = view.value("grade") if view is not None else None
    if not value:
        return None
    return str(dict(Student._meta.get_field("grade").choices or ()).get(value, value))


@login_required
@require_GET
def referral_partner_inbox(request: HttpRequest, org_pk: int) -> HttpResponse:
    organization = access.get_organization_for_user(request.user, org_pk)
    if organization.pk not in access.partner_organizations(request.user):
        raise PermissionDenied
    status = _status_param(request, PARTNER_VISIBLE_STATUSES)
    page = Paginator(
        selectors.partner_referrals(request.user, organization, status), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    reads = visibility.partner_views(
        user=request.user, referrals=list(page.object_list), purpose="referral list"
    )
    views = {read.referral.pk: read.view for read in reads}
    funnel = selectors.partner_funnel(request.user, organization)
    return render(
        request,
        "referrals/referral_partner_inbox.html",
        {
            "organization": organization,
            "page": page,
            "rows": [(r, views.get(r.pk), _grade(views.get(r.pk))) for r in page.object_list],
            "status": status,
            "funnel": [(s, ReferralStatus(s).label, funnel[s]) for s in PARTNER_VISIBLE_STATUSES],
            "total": sum(funnel.values()),
        },
    )


# --- cross-agency referrals (coalition member agencies) -------------------------------------------


def _cross_agency_url(user: Any, referral: Referral) -> str:
    """On a referral the user's agency received and serves: the link to refer onward to another
    member agency of its coalitions ("" when it does not apply)."""
    if referral.status not in selectors.SERVING_STATUSES or not access.can_refer_across_agencies(
        user, referral.organization_id
    ):
        return ""
    query = (
        {"student": str(referral.student_id)}
        if referral.student_id is not None
        else {"guardian": str(referral.guardian_id)}
    )
    return (
        reverse("referral_cross_agency_new", args=[referral.organization_id])
        + "?"
        + urlencode(query)
    )


def _agency_for(request: HttpRequest, org_pk: int) -> Organization:
    """The user's own agency (partner staff); 404 for any other organization or role."""
    if not access.can_refer_across_agencies(request.user, org_pk):
        raise Http404
    return Organization.objects.select_related("network").get(pk=org_pk)


def _ids(request: HttpRequest) -> tuple[int | None, int | None]:
    student, guardian = request.GET.get("student", ""), request.GET.get("guardian", "")
    if student.isdigit():
        return int(student), None
    if guardian.isdigit():
        return None, int(guardian)
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def referral_cross_agency_new(request: HttpRequest, org_pk: int) -> HttpResponse:
    user = request.user
    organization = _agency_for(request, org_pk)
    student_id, guardian_id = _ids(request)
    source = selectors.serving_referral(
        user, organization, student_id=student_id, guardian_id=guardian_id
    )
    reads = visibility.partner_views(
        user=user, referrals=[source], purpose="cross-agency referral form"
    )
    view = reads[0].view if reads else None
    subject_label = (
        view.display_name
        if view is not None
        else _("The family referred to you in referral %(id)s") % {"id": source.pk}
    )
    services_qs = selectors.cross_agency_services(organization)
    school = source.school
    form = CrossAgencyReferralForm(
        request.POST if request.method == "POST" else None, school=school, services=services_qs
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            send = request.POST.get("action") == "send"
            student = Student.objects.filter(pk=student_id).first() if student_id else None
            guardian = Guardian.objects.filter(pk=guardian_id).first() if guardian_id else None
            try:
                referral = services.referral_create_cross_agency(
                    user=user,
                    referring_organization=organization,
                    student=student,
                    guardian=guardian,
                    service=form.cleaned_data["service"],
                    reason=form.cleaned_data["reason"],
                    urgent=form.cleaned_data["urgent"],
                    shared_elements=form.cleaned_data["shared_elements"],
                    send=send,
                )
            except visibility.SharingRefused as refused:
                form.add_error("shared_elements", str(refused))
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(
                    request, _("Referral sent.") if send else _("Referral saved as a draft.")
                )
                return redirect("referral_detail", pk=referral.pk)
    return render(
        request,
        "referrals/referral_cross_agency_new.html",
        {
            "organization": organization,
            "form": form,
            "subject_label": subject_label,
            "source": source,
            "has_services": services_qs.exists(),
            "made": selectors.agency_referrals_made(user, organization)[:20],
        },
        status=status,
    )


@login_required
@require_GET
def referral_coalition_list(request: HttpRequest, coalition_pk: int) -> HttpResponse:
    coalition = Coalition.objects.filter(pk=coalition_pk).select_related("network").first()
    if coalition is None or not access.can_view_coalition_referrals(request.user, coalition):
        raise Http404
    funnel, rows = selectors.coalition_referrals(request.user, coalition)
    return render(
        request,
        "referrals/referral_coalition_list.html",
        {
            "coalition": coalition,
            "funnel": [(s, ReferralStatus(s).label, funnel[s]) for s in PARTNER_VISIBLE_STATUSES],
            "total": sum(funnel.values()),
            "rows": rows,
            "status": "",
            # The coalition's own pages are for its members and the network's admins; member
            # agencies' staff see these counts without them.
            "coalition_nav": access.visible_coalitions(request.user)
            .filter(pk=coalition.pk)
            .exists(),
        },
    )
