"""Partnership pages: a school's (by year) and an organization's (proposals to answer, active
partnerships to end). Thin: parse → selector/service → render.

Who may see them: a school's page, whoever sees the school (network-wide roles, the school's
roles); an organization's, its partner users and the network admins. Anyone else gets a 404.
Who may act: the organization's partner admins (or a network admin) accept, decline and end;
the school's coordinators (or a network admin) end from the school's side."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wraparound.core import access
from wraparound.core.models import Organization, School

from . import mou_selectors, selectors, services
from .models import Partnership, PartnershipStatus


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why you decline"),
        max_length=services.REASON_MAX_LENGTH,
        help_text=gettext_lazy("The school sees this."),
    )


class EndForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why it ends"), max_length=services.REASON_MAX_LENGTH
    )


def _errors_into(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _problems(bound: dict[int, forms.Form] | None) -> list[str]:
    """Every error of the bound forms, for the summary at the top of the page (the partnership
    may have left the list it was in, e.g. when someone else answered it first)."""
    return [
        str(e) for form in (bound or {}).values() for errs in form.errors.values() for e in errs
    ]


def _label(partnership: Partnership) -> str:
    school = partnership.school.name if partnership.school else _("the network")
    service = partnership.service.name if partnership.service else partnership.organization.name
    return _("%(service)s at %(school)s") % {"service": service, "school": school}


# --- a school's partnerships ------------------------------------------------------------------


def _render_school(
    request: HttpRequest,
    school: School,
    *,
    bound: dict[int, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    can_end = access.can_propose_partnership(request.user, school)
    years = []
    groups = selectors.partnerships_by_year(selectors.school_partnerships(school))
    mous = mou_selectors.agreements_by_partnership(
        request.user, [p.pk for _year, partnerships in groups for p in partnerships]
    )
    for year, partnerships in groups:
        rows = []
        for p in partnerships:
            form = None
            if can_end and p.status == PartnershipStatus.ACTIVE:
                form = (bound or {}).get(p.pk) or EndForm(prefix=f"p{p.pk}")
            rows.append({"partnership": p, "end_form": form, "agreement": mous.get(p.pk)})
        years.append({"year": year, "rows": rows})
    return render(
        request,
        "agreements/school_partnerships.html",
        {"school": school, "years": years, "can_end": can_end, "problems": _problems(bound)},
        status=status,
    )


@login_required
def school_partnerships(request: HttpRequest, school_pk: int) -> HttpResponse:
    school = access.get_school_for_user(request.user, school_pk)
    return _render_school(request, school)


@login_required
@require_POST
def school_partnership_end(request: HttpRequest, school_pk: int, pk: int) -> HttpResponse:
    school = access.get_school_for_user(request.user, school_pk)
    partnership = selectors.get_school_partnership(school, pk)
    if not access.can_end_partnership(request.user, partnership):
        raise PermissionDenied
    form = EndForm(request.POST, prefix=f"p{pk}")
    if form.is_valid():
        try:
            services.partnership_end(
                actor=request.user, partnership=partnership, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Ended: %(what)s.") % {"what": _label(partnership)})
            return redirect("school_partnerships", school_pk=school.pk)
    return _render_school(request, school, bound={pk: form}, status=400)


# --- an organization's partnerships -----------------------------------------------------------


def _render_organization(
    request: HttpRequest,
    organization: Organization,
    *,
    bound: dict[int, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    can_act = access.can_act_for_organization(request.user, organization)
    by_status = selectors.organization_partnerships(organization)
    bound = bound or {}
    open_ones = [*by_status[PartnershipStatus.PROPOSED], *by_status[PartnershipStatus.ACTIVE]]
    mous = mou_selectors.agreements_by_partnership(request.user, [p.pk for p in open_ones])

    def rows(partnerships: list[Partnership], form_class: Any) -> list[dict[str, Any]]:
        return [
            {
                "partnership": p,
                "form": (bound.get(p.pk) or form_class(prefix=f"p{p.pk}")) if can_act else None,
                "agreement": mous.get(p.pk),
                "can_draft": access.can_draft_agreement(request.user, p),
            }
            for p in partnerships
        ]

    return render(
        request,
        "agreements/organization_partnerships.html",
        {
            "organization": organization,
            "can_act": can_act,
            "proposed": rows(by_status[PartnershipStatus.PROPOSED], DeclineForm),
            "active": rows(by_status[PartnershipStatus.ACTIVE], EndForm),
            "ended": by_status[PartnershipStatus.ENDED],
            "problems": _problems(bound),
        },
        status=status,
    )


def _organization_and_partnership(
    request: HttpRequest, org_pk: int, pk: int
) -> tuple[Organization, Partnership]:
    organization = access.get_organization_for_user(request.user, org_pk)
    partnership = selectors.get_organization_partnership(organization, pk)
    return organization, partnership


@login_required
def organization_partnerships(request: HttpRequest, org_pk: int) -> HttpResponse:
    organization = access.get_organization_for_user(request.user, org_pk)
    return _render_organization(request, organization)


@login_required
@require_POST
def organization_partnership_accept(request: HttpRequest, org_pk: int, pk: int) -> HttpResponse:
    organization, partnership = _organization_and_partnership(request, org_pk, pk)
    if not access.can_respond_to_partnership(request.user, partnership):
        raise PermissionDenied
    try:
        services.partnership_accept(actor=request.user, partnership=partnership)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Accepted: %(what)s. The partnership is active.") % {"what": _label(partnership)},
        )
    return redirect("organization_partnerships", org_pk=organization.pk)


@login_required
@require_POST
def organization_partnership_decline(request: HttpRequest, org_pk: int, pk: int) -> HttpResponse:
    organization, partnership = _organization_and_partnership(request, org_pk, pk)
    if not access.can_respond_to_partnership(request.user, partnership):
        raise PermissionDenied
    form = DeclineForm(request.POST, prefix=f"p{pk}")
    if form.is_valid():
        try:
            services.partnership_decline(
                actor=request.user, partnership=partnership, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Declined: %(what)s.") % {"what": _label(partnership)})
            return redirect("organization_partnerships", org_pk=organization.pk)
    return _render_organization(request, organization, bound={pk: form}, status=400)


@login_required
@require_POST
def organization_partnership_end(request: HttpRequest, org_pk: int, pk: int) -> HttpResponse:
    organization, partnership = _organization_and_partnership(request, org_pk, pk)
    if not access.can_end_partnership(request.user, partnership):
        raise PermissionDenied
    form = EndForm(request.POST, prefix=f"p{pk}")
    if form.is_valid():
        try:
            services.partnership_end(
                actor=request.user, partnership=partnership, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Ended: %(what)s.") % {"what": _label(partnership)})
            return redirect("organization_partnerships", org_pk=organization.pk)
    return _render_organization(request, organization, bound={pk: form}, status=400)
