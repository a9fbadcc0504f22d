"""MOU pages: the list, one agreement (its terms, data-sharing terms, signatures, history and
the actions the user may take), the draft editor, signing, and one version with its diff.
Thin: parse → selector/service → render.

Who reads an agreement: `core.access.agreement_filter` (anyone else: 404). Who acts: the
school's coordinators (a network admin for a network-wide partnership, or on any) draft, edit,
send, revise, renew and terminate; the principal (a network admin, network-wide) and the
partner admin sign; either signing party may terminate; the partner admin certifies that the
shared data was destroyed. A user who reads the agreement but may not act gets a 403."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wraparound.core import access
from wraparound.core.client_address import client_address
from wraparound.core.roles import PARTNER_ROLES, SCHOOL_ROLES, Role
from wraparound.directory.models import Service

from . import mou_selectors, mou_services, selectors
from .forms_mou import (
    DataSharingForm,
    DeliverableFormSet,
    DestructionForm,
    ResponsibilityFormSet,
    ReviseForm,
    SignForm,
    StatusFilterForm,
    TerminateForm,
    VersionForm,
)
from .models import (
    Agreement,
    DataDestruction,
    DataSharingAgreement,
    Partnership,
    Party,
    VersionStatus,
)
from .models.mou import FINAL_STATUSES
from .mou_content import DiffLine

PAGE_SIZE = 50


def _can_list(user: Any) -> bool:
    g = access.grants(user)
    return bool(
        g.networks_with(Role.NETWORK_ADMIN)
        or g.schools_with(*SCHOOL_ROLES)
        or g.organizations_with(*PARTNER_ROLES)
    )


def _agreement(request: HttpRequest, pk: int) -> Agreement:
    return mou_selectors.get_agreement_for_user(request.user, pk)


def _detail(agreement: Agreement) -> HttpResponse:
    return redirect("agreement_detail", pk=agreement.pk)


def _errors_into(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


# --- the list -----------------------------------------------------------------------------------


@login_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    if not _can_list(request.user):
        raise PermissionDenied
    form = StatusFilterForm(request.GET if "status" in request.GET else None)
    status, code = "", 200
    if form.is_bound:
        if form.is_valid():
            status = form.cleaned_data["status"]
        else:
            code = 400
    page = Paginator(mou_selectors.agreement_list(request.user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "agreements/mou/agreement_list.html",
        {
            "form": form,
            "page": page,
            "rows": mou_selectors.agreement_rows(list(page.object_list)),
            "querystring": urlencode({"status": status}) if status else "",
        },
        status=code,
    )


# --- draft from a partnership -------------------------------------------------------------------


def _partnership_page(partnership: Partnership) -> str:
    if partnership.school_id is not None:
        return reverse("school_partnerships", args=[partnership.school_id])
    return reverse("organization_partnerships", args=[partnership.organization_id])


@login_required
@require_POST
def agreement_create(request: HttpRequest, partnership_pk: int) -> HttpResponse:
    partnership = selectors.get_partnership_for_user(request.user, partnership_pk)
    if not access.can_draft_agreement(request.user, partnership):
        raise PermissionDenied
    try:
        agreement = mou_services.agreement_draft(user=request.user, partnership=partnership)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(_partnership_page(partnership))
    messages.success(
        request,
        _("The MOU is drafted from the partnership. Check and complete its terms, then send it."),
    )
    return redirect("agreement_edit", pk=agreement.pk)


# --- one agreement ------------------------------------------------------------------------------


def _render_detail(
    request: HttpRequest,
    agreement: Agreement,
    *,
    bound: dict[str, forms.Form] | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    user = request.user
    actions = mou_selectors.agreement_actions(user, agreement)
    shown_id = agreement.signed_version_id or agreement.current_version_id
    shown = mou_selectors.version_with_terms(shown_id)
    pending = None
    if (
        agreement.signed_version_id is not None
        and agreement.current_version_id != agreement.signed_version_id
        and agreement.status not in FINAL_STATUSES
    ):
        pending = agreement.current_version
    try:
        destruction = agreement.destruction
    except DataDestruction.DoesNotExist:
        destruction = None
    missing: list[str] = []
    current = agreement.current_version
    if actions.send and current is not None:
        missing = mou_services.missing_terms(agreement, current)
    today = agreement.network.today()
    history = mou_selectors.agreement_history(agreement)
    return render(
        request,
        "agreements/mou/agreement_detail.html",
        {
            "agreement": agreement,
            "shown": shown,
            "pending": pending,
            "current": current,
            "awaiting": [Party(p).label for p in mou_selectors.awaiting_parties(agreement)]
            if current is not None and current.status == VersionStatus.SENT
            else [],
            "history": history,
            "signatures": [(v, s) for v in history for s in v.signatures.all()],
            "sharing": mou_selectors.sharing_view(shown),
            "actions": actions,
            "missing": missing,
            "destruction": destruction,
            "renewals": list(agreement.renewals.order_by("-created_at")),
            "today": today,
            "problems": [
                *(problems or []),
                *(str(e) for form in bound.values() for errs in form.errors.values() for e in errs),
            ],
            "revise_form": bound.get("revise") or ReviseForm(),
            "terminate_form": bound.get("terminate") or TerminateForm(),
            "destruction_form": bound.get("destruction")
            or DestructionForm(initial={"destroyed_on": today}),
            "open_form": next(iter(bound), ""),
        },
        status=status,
    )


@login_required
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _agreement(request, pk))


@login_required
def agreement_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    version = mou_selectors.get_version(agreement, number)
    version.agreement = agreement
    previous = mou_selectors.previous_version(version)
    diff: list[DiffLine] = mou_selectors.version_diff(version)
    return render(
        request,
        "agreements/mou/agreement_version.html",
        {
            "agreement": agreement,
            "version": version,
            "previous": previous,
            "diff": diff,
            "sharing": mou_selectors.sharing_view(version),
            "changed": any(line.op != "same" for line in diff),
        },
    )


# --- edit the draft -----------------------------------------------------------------------------


def _edit_forms(
    agreement: Agreement, data: Any = None
) -> tuple[VersionForm, Any, Any, DataSharingForm]:
    version = agreement.current_version
    assert version is not None
    parties = [(p, str(Party(p).label)) for p in (agreement.school_party, Party.PARTNER)]
    services = Service.objects.filter(organization_id=agreement.organization_id).order_by("name")
    title_editable = mou_services.title_editable(agreement)
    if data is None:
        initial = {name: getattr(version, name) for name in mou_services.VERSION_FIELDS}
        initial["title"] = agreement.title
        try:
            sharing = version.data_sharing
        except DataSharingAgreement.DoesNotExist:
            sharing = None
        sharing_initial = (
            {name: getattr(sharing, name) for name in mou_services.SHARING_FIELDS}
            if sharing is not None
            else {}
        )
        return (
            VersionForm(
                initial=initial, title_editable=title_editable, amendment=version.number > 1
            ),
            ResponsibilityFormSet(
                prefix="responsibilities",
                initial=[
                    {"party": r.party, "description": r.description}
                    for r in version.responsibilities.order_by("position", "pk")
                ],
                form_kwargs={"parties": parties},
            ),
            DeliverableFormSet(
                prefix="deliverables",
                initial=[
                    {
                        "service": d.service_id,
                        "description": d.description,
                        "tier": d.tier,
                        "quantity": d.quantity,
                        "unit": d.unit,
                        "frequency": d.frequency,
                        "target_students": d.target_students,
                    }
                    for d in version.deliverables.order_by("position", "pk")
                ],
                form_kwargs={"services": services},
            ),
            DataSharingForm(prefix="data_sharing", initial=sharing_initial),
        )
    return (
        VersionForm(data, title_editable=title_editable, amendment=version.number > 1),
        ResponsibilityFormSet(data, prefix="responsibilities", form_kwargs={"parties": parties}),
        DeliverableFormSet(data, prefix="deliverables", form_kwargs={"services": services}),
        DataSharingForm(data, prefix="data_sharing"),
    )


def _rows(formset: Any, names: tuple[str, ...]) -> tuple[list[dict[str, Any]], list[int]]:
    """The rows a valid formset keeps (not removed, not blank extras) and where each came from."""
    rows: list[dict[str, Any]] = []
    origins: list[int] = []
    for n, form in enumerate(formset.forms):
        if form.cleaned_data.get("DELETE"):
            continue
        if n >= formset.initial_form_count() and not form.has_changed():
            continue
        rows.append({name: form.cleaned_data.get(name) for name in names})
        origins.append(n)
    return rows, origins


def _place_errors(
    error: ValidationError,
    version_form: VersionForm,
    formsets: dict[str, tuple[Any, list[int]]],
    sharing_form: DataSharingForm,
) -> list[str]:
    """Put each of the service's errors on the field it names; return those that name none."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    loose: list[str] = []
    for key, messages_ in error.message_dict.items():
        form: forms.Form | None = None
        field = key
        prefix, _sep, rest = key.partition("-")
        if prefix in formsets and rest:
            index, _sep, field = rest.partition("-")
            formset, origins = formsets[prefix]
            if index.isdigit() and int(index) < len(origins):
                form = formset.forms[origins[int(index)]]
        elif prefix == "data_sharing" and rest:
            form, field = sharing_form, rest
        elif key != NON_FIELD_ERRORS:
            form = version_form
        for message in messages_:
            if form is not None and field in form.fields:
                form.add_error(field, message)
            elif form is not None and form is not version_form:
                form.add_error(None, message)
            else:
                loose.append(message)
    return loose


@login_required
@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    if not access.can_draft_agreement(request.user, agreement.partnership):
        raise PermissionDenied
    version = agreement.current_version
    if (
        version is None
        or version.status != VersionStatus.DRAFT
        or agreement.status in FINAL_STATUSES
    ):
        messages.info(
            request,
            _("Only a draft can be edited. Revise the agreement to draft a new version."),
        )
        return _detail(agreement)
    problems: list[str] = []
    code = 200
    if request.method == "POST":
        version_form, resp_fs, deliv_fs, sharing_form = _edit_forms(agreement, request.POST)
        valid = all(
            [
                version_form.is_valid(),
                resp_fs.is_valid(),
                deliv_fs.is_valid(),
                sharing_form.is_valid(),
            ]
        )
        if valid:
            responsibilities, resp_origins = _rows(resp_fs, mou_services.RESPONSIBILITY_FIELDS)
            deliverables, deliv_origins = _rows(deliv_fs, mou_services.DELIVERABLE_FIELDS)
            try:
                mou_services.agreement_version_update(
                    user=request.user,
                    agreement=agreement,
                    fields=dict(version_form.cleaned_data),
                    responsibilities=responsibilities,
                    deliverables=deliverables,
                    data_sharing=dict(sharing_form.cleaned_data),
                )
            except ValidationError as error:
                problems = _place_errors(
                    error,
                    version_form,
                    {
                        "responsibilities": (resp_fs, resp_origins),
                        "deliverables": (deliv_fs, deliv_origins),
                    },
                    sharing_form,
                )
            else:
                messages.success(request, _("Draft saved."))
                if request.POST.get("then") == "edit":
                    return redirect("agreement_edit", pk=agreement.pk)
                return _detail(agreement)
        code = 400
    else:
        version_form, resp_fs, deliv_fs, sharing_form = _edit_forms(agreement)
    error_count = (
        len(version_form.errors)
        + sum(len(f.errors) for f in resp_fs.forms)
        + sum(len(f.errors) for f in deliv_fs.forms)
        + len(resp_fs.non_form_errors())
        + len(deliv_fs.non_form_errors())
        + len(sharing_form.errors)
        + len(problems)
        if code == 400
        else 0
    )
    return render(
        request,
        "agreements/mou/agreement_edit.html",
        {
            "agreement": agreement,
            "version": version,
            "form": version_form,
            "responsibilities": resp_fs,
            "deliverables": deliv_fs,
            "sharing": sharing_form,
            "problems": problems,
            "error_count": error_count,
        },
        status=code,
    )


# --- send, sign ---------------------------------------------------------------------------------


@login_required
@require_POST
def agreement_send(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    if not access.can_draft_agreement(request.user, agreement.partnership):
        raise PermissionDenied
    try:
        version = mou_services.agreement_send(user=request.user, agreement=agreement)
    except ValidationError as error:
        return _render_detail(request, agreement, problems=error.messages, status=400)
    messages.success(
        request,
        _("Version %(n)d is sent for signature: the two parties can sign it now.")
        % {"n": version.number},
    )
    return _detail(agreement)


@login_required
@require_http_methods(["GET", "POST"])
def agreement_sign(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    party = access.signing_party(request.user, agreement)
    if party is None:
        raise PermissionDenied
    current = agreement.current_version
    if request.method == "GET" and (
        current is None
        or current.status != VersionStatus.SENT
        or agreement.status in FINAL_STATUSES
        or current.signatures.filter(party=party).exists()
    ):
        messages.info(request, _("There is nothing for you to sign on this agreement now."))
        return _detail(agreement)
    assert current is not None
    version = mou_selectors.get_version(agreement, current.number)
    version.agreement = agreement
    code = 200
    if request.method == "POST":
        form = SignForm(request.POST)
        if form.is_valid():
            if form.cleaned_data["content_hash"] != version.content_hash:
                form.add_error(
                    None,
                    _(
                        "The terms changed after you opened this page: read the version below "
                        "again before you sign."
                    ),
                )
            else:
                try:
                    mou_services.agreement_sign(
                        user=request.user,
                        agreement=agreement,
                        signer_name=form.cleaned_data["signer_name"],
                        signer_title=form.cleaned_data["signer_title"],
                        ip_address=client_address(request),
                    )
                except ValidationError as error:
                    _errors_into(form, error)
                else:
                    messages.success(
                        request,
                        _("You signed version %(n)d for the %(party)s.")
                        % {"n": version.number, "party": Party(party).label},
                    )
                    return _detail(agreement)
        code = 400
    else:
        form = SignForm(initial={"content_hash": version.content_hash})
    return render(
        request,
        "agreements/mou/agreement_sign.html",
        {
            "agreement": agreement,
            "version": version,
            "sharing": mou_selectors.sharing_view(version),
            "form": form,
            "party": Party(party).label,
        },
        status=code,
    )


# --- revise, terminate, renew, destruction ------------------------------------------------------


@login_required
@require_POST
def agreement_revise(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    if not access.can_draft_agreement(request.user, agreement.partnership):
        raise PermissionDenied
    form = ReviseForm(request.POST)
    if form.is_valid():
        try:
            version = mou_services.agreement_revise(
                user=request.user, agreement=agreement, change_note=form.cleaned_data["change_note"]
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(
                request,
                _("Version %(n)d is a new draft with the same terms: change what is needed.")
                % {"n": version.number},
            )
            return redirect("agreement_edit", pk=agreement.pk)
    return _render_detail(request, agreement, bound={"revise": form}, status=400)


@login_required
@require_POST
def agreement_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    if not (
        access.can_draft_agreement(request.user, agreement.partnership)
        or access.signing_party(request.user, agreement) is not None
    ):
        raise PermissionDenied
    form = TerminateForm(request.POST)
    if form.is_valid():
        try:
            mou_services.agreement_terminate(
                user=request.user, agreement=agreement, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("The agreement is terminated."))
            return _detail(agreement)
    return _render_detail(request, agreement, bound={"terminate": form}, status=400)


@login_required
@require_POST
def agreement_renew(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    if not access.can_draft_agreement(request.user, agreement.partnership):
        raise PermissionDenied
    try:
        renewal = mou_services.agreement_renew(user=request.user, agreement=agreement)
    except ValidationError as error:
        return _render_detail(request, agreement, problems=error.messages, status=400)
    messages.success(
        request,
        _("Next year’s MOU is drafted from this one, its dates moved on a year. Check its terms."),
    )
    return redirect("agreement_edit", pk=renewal.pk)


@login_required
@require_POST
def agreement_destruction(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    if not access.can_certify_destruction(request.user, agreement):
        raise PermissionDenied
    form = DestructionForm(request.POST)
    if form.is_valid():
        try:
            mou_services.data_destruction_certify(
                user=request.user,
                agreement=agreement,
                destroyed_on=form.cleaned_data["destroyed_on"],
                method=form.cleaned_data["method"],
                details=form.cleaned_data["details"],
                certifier_name=form.cleaned_data["certifier_name"],
                ip_address=client_address(request),
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("The destruction of the shared data is recorded."))
            return _detail(agreement)
    return _render_detail(request, agreement, bound={"destruction": form}, status=400)
