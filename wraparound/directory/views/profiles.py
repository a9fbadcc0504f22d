"""Partner profiles (organization and services), the network admin's review of their changes,
and freshness. Thin: parse → selector/service → render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wraparound.core import access
from wraparound.core.models import Organization

from .. import diff, selectors, services
from ..forms import ApproveForm, OrganizationForm, RejectForm, ServiceEditForm, VettingForm
from ..models import ChangeRequest, ChangeStatus, Service


def _editable_organization(request: HttpRequest, pk: int) -> Organization:
    organization = selectors.get_organization_for_profile(request.user, pk)
    if not access.can_edit_organization(request.user, organization):
        raise PermissionDenied
    return organization


def _validation_messages(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


def _result_message(request: HttpRequest, result: services.EditResult) -> None:
    if result.applied:
        messages.success(request, _("Saved."))
    elif result.change is not None:
        messages.success(
            request,
            _("Sent for review. The network will check your change before it is published."),
        )
    else:
        messages.info(request, _("Nothing changed."))


# --- the organization's profile -------------------------------------------------------------------


@login_required
def organization_profile(request: HttpRequest, pk: int) -> HttpResponse:
    organization = selectors.get_organization_for_profile(request.user, pk)
    cutoff = selectors.stale_cutoff(organization.network)
    services_list = list(selectors.organization_services(organization))
    for service in services_list:
        service.is_stale = selectors.is_stale(service.confirmed_at, cutoff)  # type: ignore[attr-defined]
    is_admin = access.is_network_admin(request.user, organization.network_id)
    return render(
        request,
        "directory/profile.html",
        {
            "organization": organization,
            "services": services_list,
            "pending": list(selectors.organization_pending_changes(organization)),
            "recent_reviews": selectors.organization_recent_reviews(organization),
            "can_edit": access.can_edit_organization(request.user, organization),
            "needs_review": selectors.edits_need_review(request.user, organization),
            "is_network_admin": is_admin,
            "organization_stale": selectors.is_stale(organization.confirmed_at, cutoff),
            "any_stale": selectors.is_stale(organization.confirmed_at, cutoff)
            or any(s.is_stale and s.status != "defunct" for s in services_list),  # type: ignore[attr-defined]
            "stale_months": organization.network.directory_stale_months,
            "vetting_form": VettingForm(initial={"status": organization.vetting_status})
            if is_admin
            else None,
        },
    )


@login_required
def organization_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _editable_organization(request, pk)
    needs_review = selectors.edits_need_review(request.user, organization)
    pending = (
        ChangeRequest.objects.filter(
            organization=organization,
            kind=services.KIND_ORGANIZATION,
            status=ChangeStatus.PENDING,
        )
        .order_by("submitted_at")
        .first()
    )
    # A partner with a change waiting for review edits that change, not the live record.
    basis = (
        pending.after if needs_review and pending else selectors.organization_snapshot(organization)
    )
    base_hash = diff.snapshot_hash(basis)
    if request.method == "POST":
        form = OrganizationForm(request.POST)
        if form.is_valid():
            try:
                result = services.organization_update(
                    actor=request.user,
                    organization=organization,
                    data=form.snapshot(),
                    base_hash=form.cleaned_data["base_hash"],
                )
            except ValidationError as error:
                data = request.POST.copy()
                data["base_hash"] = base_hash
                form = OrganizationForm(data)
                form.is_valid()
                for message in _validation_messages(error):
                    form.add_error(None, message)
            else:
                _result_message(request, result)
                return redirect("directory_organization", pk=organization.pk)
    else:
        form = OrganizationForm(initial={**basis, "base_hash": base_hash})
    return render(
        request,
        "directory/organization_form.html",
        {
            "organization": organization,
            "form": form,
            "needs_review": needs_review,
            "pending": pending,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def organization_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _editable_organization(request, pk)
    count = services.organization_confirm_current(actor=request.user, organization=organization)
    messages.success(
        request,
        _("Thank you: the profile and its %(count)d services are confirmed as current.")
        % {"count": count},
    )
    return redirect("directory_organization", pk=organization.pk)


@login_required
@require_POST
def organization_vetting(request: HttpRequest, pk: int) -> HttpResponse:
    organization = selectors.get_organization_for_profile(request.user, pk)
    if not access.is_network_admin(request.user, organization.network_id):
        raise PermissionDenied
    form = VettingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose vetted, not yet vetted or suspended."))
    else:
        services.organization_set_vetting(
            actor=request.user, organization=organization, status=form.cleaned_data["status"]
        )
        messages.success(request, _("Vetting status saved."))
    return redirect("directory_organization", pk=organization.pk)


@login_required
@require_POST
def change_withdraw(request: HttpRequest, pk: int, change_pk: int) -> HttpResponse:
    organization = _editable_organization(request, pk)
    change = selectors.get_change_for_partner(request.user, organization, change_pk)
    try:
        services.change_withdraw(actor=request.user, change=change)
    except ValidationError as error:
        for message in _validation_messages(error):
            messages.error(request, message)
    else:
        messages.success(request, _("Your change was withdrawn."))
    return redirect("directory_organization", pk=organization.pk)


# --- services -------------------------------------------------------------------------------------


def _service_form(
    organization: Organization, data: Any, initial: diff.Snapshot | None, base_hash: str
) -> ServiceEditForm:
    return ServiceEditForm(
        data,
        initial=initial,
        category_groups=selectors.category_groups(organization.network),
        communities=selectors.community_choices(organization.network),
        locations=selectors.location_choices(organization),
        base_hash=base_hash,
    )


def _render_service_form(
    request: HttpRequest,
    organization: Organization,
    form: ServiceEditForm,
    service: Service | None,
    pending: ChangeRequest | None,
) -> HttpResponse:
    return render(
        request,
        "directory/service_form.html",
        {
            "organization": organization,
            "service": service,
            "form": form,
            "needs_review": selectors.edits_need_review(request.user, organization),
            "pending": pending,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def service_detail(request: HttpRequest, pk: int, service_pk: int) -> HttpResponse:
    organization = selectors.get_organization_for_profile(request.user, pk)
    service = selectors.service_detail(
        selectors.get_service_for_user(request.user, organization, service_pk)
    )
    cutoff = selectors.stale_cutoff(organization.network)
    capacity = next(iter(sorted(service.capacities.all(), key=lambda c: c.pk)), None)
    locations = []
    for sal in service.at_locations.all():
        schedules = sorted(sal.schedules.all(), key=lambda s: s.pk)
        schedule = schedules[0] if schedules else None
        locations.append(
            {
                "location": sal.location,
                "address": next(iter(sal.location.addresses.all()), None),
                "schedule": schedule,
                "days": diff.display("days", schedule.byday.split(",") if schedule else []),
            }
        )
    return render(
        request,
        "directory/profile_service.html",
        {
            "organization": organization,
            "service": service,
            "capacity": capacity,
            "locations": locations,
            "categories": [a.taxonomy_term for a in service.attributes.all()],
            "is_stale": selectors.is_stale(service.confirmed_at, cutoff),
            "can_edit": access.can_edit_organization(request.user, organization),
            "pending": ChangeRequest.objects.filter(
                service=service, status=ChangeStatus.PENDING
            ).first(),
        },
    )


@login_required
def service_new(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _editable_organization(request, pk)
    if request.method == "POST":
        form = _service_form(organization, request.POST, None, "")
        if form.is_valid():
            try:
                result = services.service_create(
                    actor=request.user, organization=organization, data=form.snapshot()
                )
            except ValidationError as error:
                for message in _validation_messages(error):
                    form.main.add_error(None, message)
            else:
                _result_message(request, result)
                if result.service is not None:
                    return redirect(
                        "directory_service", pk=organization.pk, service_pk=result.service.pk
                    )
                return redirect("directory_organization", pk=organization.pk)
    else:
        form = _service_form(organization, None, None, "")
    return _render_service_form(request, organization, form, None, None)


@login_required
def service_edit(request: HttpRequest, pk: int, service_pk: int) -> HttpResponse:
    organization = _editable_organization(request, pk)
    service = selectors.get_service_for_user(request.user, organization, service_pk)
    needs_review = selectors.edits_need_review(request.user, organization)
    pending = (
        ChangeRequest.objects.filter(service=service, status=ChangeStatus.PENDING)
        .order_by("submitted_at")
        .first()
    )
    basis = pending.after if needs_review and pending else selectors.service_snapshot(service)
    base_hash = diff.snapshot_hash(basis)
    if request.method == "POST":
        form = _service_form(organization, request.POST, basis, base_hash)
        if form.is_valid():
            try:
                result = services.service_update(
                    actor=request.user,
                    service=service,
                    data=form.snapshot(),
                    base_hash=form.main.cleaned_data["base_hash"],
                )
            except ValidationError as error:
                data = request.POST.copy()
                data["base_hash"] = base_hash
                form = _service_form(organization, data, basis, base_hash)
                form.is_valid()
                for message in _validation_messages(error):
                    form.main.add_error(None, message)
            else:
                _result_message(request, result)
                return redirect("directory_service", pk=organization.pk, service_pk=service.pk)
    else:
        form = _service_form(organization, None, basis, base_hash)
    return _render_service_form(request, organization, form, service, pending)


# --- review ---------------------------------------------------------------------------------------


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    if not access.is_directory_reviewer(request.user):
        raise PermissionDenied
    now = timezone.now()
    changes = list(selectors.review_queue(request.user))
    cutoffs: dict[int, Any] = {}
    for change in changes:
        if change.network_id not in cutoffs:
            cutoffs[change.network_id] = selectors.stale_cutoff(change.network, now)
        change.is_stale = selectors.change_is_stale(change, cutoffs[change.network_id])  # type: ignore[attr-defined]
    return render(request, "directory/review_queue.html", {"changes": changes})


def _review_context(change: ChangeRequest) -> dict[str, Any]:
    live = services.change_live_snapshot(change)
    names = selectors.names_for(change.network_id, change.before, change.after, live)
    clashes = services.change_conflicts(change) if change.status == ChangeStatus.PENDING else []
    three_way = [
        {
            "label": diff.label_for(key, change.kind),
            "was": diff.readable(key, change.before.get(key), names),
            "now": diff.readable(key, live.get(key), names),
            "proposed": diff.readable(key, change.after.get(key), names),
        }
        for key in clashes
    ]
    cutoff = selectors.stale_cutoff(change.network)
    return {
        "change": change,
        "diff": diff.diff_snapshots(change.before, change.after, kind=change.kind, names=names),
        "conflicts": three_way,
        "is_stale": selectors.change_is_stale(change, cutoff),
    }


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    change = selectors.get_change_for_reviewer(request.user, pk)
    context = _review_context(change)
    context.update({"approve_form": ApproveForm(), "reject_form": RejectForm()})
    return render(request, "directory/review_detail.html", context)


@login_required
@require_POST
def review_approve(request: HttpRequest, pk: int) -> HttpResponse:
    change = selectors.get_change_for_reviewer(request.user, pk)
    form = ApproveForm(request.POST)
    force = form.is_valid() and form.cleaned_data["force"]
    try:
        services.change_approve(actor=request.user, change=change, force=force)
    except ValidationError as error:
        context = _review_context(change)
        context.update(
            {
                "approve_form": form,
                "reject_form": RejectForm(),
                "approve_errors": _validation_messages(error),
            }
        )
        return render(request, "directory/review_detail.html", context, status=409)
    messages.success(request, _("Approved and published."))
    return redirect("directory_review_queue")


@login_required
@require_POST
def review_reject(request: HttpRequest, pk: int) -> HttpResponse:
    change = selectors.get_change_for_reviewer(request.user, pk)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.change_reject(
                actor=request.user, change=change, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            for message in _validation_messages(error):
                form.add_error(None, message)
        else:
            messages.success(request, _("Rejected. The partner has been told why."))
            return redirect("directory_review_queue")
    context = _review_context(change)
    context.update({"approve_form": ApproveForm(), "reject_form": form})
    return render(request, "directory/review_detail.html", context, status=400)


urlpatterns = [
    path(
        "directory/organizations/<int:pk>/",
        organization_profile,
        name="directory_organization",
    ),
    path(
        "directory/organizations/<int:pk>/edit/",
        organization_edit,
        name="directory_organization_edit",
    ),
    path(
        "directory/organizations/<int:pk>/confirm/",
        organization_confirm,
        name="directory_organization_confirm",
    ),
    path(
        "directory/organizations/<int:pk>/vetting/",
        organization_vetting,
        name="directory_organization_vetting",
    ),
    path(
        "directory/organizations/<int:pk>/changes/<int:change_pk>/withdraw/",
        change_withdraw,
        name="directory_change_withdraw",
    ),
    path(
        "directory/organizations/<int:pk>/services/new/",
        service_new,
        name="directory_service_new",
    ),
    path(
        "directory/organizations/<int:pk>/services/<int:service_pk>/",
        service_detail,
        name="directory_service",
    ),
    path(
        "directory/organizations/<int:pk>/services/<int:service_pk>/edit/",
        service_edit,
        name="directory_service_edit",
    ),
    path("directory/review/", review_queue, name="directory_review_queue"),
    path("directory/review/<int:pk>/", review_detail, name="directory_review_detail"),
    path("directory/review/<int:pk>/approve/", review_approve, name="directory_review_approve"),
    path("directory/review/<int:pk>/reject/", review_reject, name="directory_review_reject"),
]
