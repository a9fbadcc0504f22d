"""The network admin's matching pages: the gap map, the network allocation (run, review with the
reasons, compare with the greedy plan, edit, accept or discard) and the matching settings.

Who: the gap map is read by the network's admins, evaluators and network supervisors; the
allocation and the settings are its admins'. Other members of the network get a 403, anyone
else a 404 (`selectors.network_for_*`). Thin: parse → selector/service → render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from wraparound.core import access
from wraparound.core.models import NEED_INDEX_SHARES, Network

from . import selectors, services
from .forms import GapMapFilterForm, ItemForm, MatchingSettingsForm, RunForm
from .models import AllocationItem, AllocationRun, RunStatus


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _add_errors(form: Form, error: ValidationError, default: str | None = None) -> None:
    """A service's refusal, beside the fields it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else default, errors)
    else:
        form.add_error(default, error.messages)


def _querystring(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- the gap map ---------------------------------------------------------------------------------


@login_required
def network_gaps(request: HttpRequest, slug: str) -> HttpResponse:
    network = selectors.network_for_gap_map(request.user, slug)
    years = selectors.school_years(network)
    year = selectors.school_year_for(years, request.GET.get("year"))
    communities = selectors.community_choices(network)
    data = request.GET.copy()
    if year is not None:
        data["year"] = str(year.end_year)
    form = GapMapFilterForm(data, years=years, communities=communities)
    community_id = form.cleaned_data.get("community") if form.is_valid() else None
    gap_map = selectors.gap_map(
        network, year, community_id=community_id, page_number=request.GET.get("page")
    )
    return render(
        request,
        "matching/network_gaps.html",
        {
            "network": network,
            "form": form,
            "year": year,
            "map": gap_map,
            "page": gap_map.page,
            "querystring": _querystring(request),
            "is_admin": access.is_network_admin(request.user, network.pk),
        },
    )


# --- the allocation: runs ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def network_allocation(request: HttpRequest, slug: str) -> HttpResponse:
    network = selectors.network_for_allocation(request.user, slug)
    years = selectors.school_years(network)
    current = selectors.school_year_for(years, None)
    form = RunForm(
        request.POST if request.method == "POST" else None,
        years=years,
        initial={"school_year": current.pk if current else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = services.allocation_run_start(
                actor=request.user, network=network, school_year=form.cleaned_data["school_year"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if run.status == RunStatus.DRAFT:
                messages.success(
                    request,
                    _(
                        "The allocation was run. Review it: nothing is proposed until you "
                        "accept it."
                    ),
                )
            return redirect("allocation_review", slug=network.slug, pk=run.pk)
    page = Paginator(selectors.allocation_runs(network), selectors.RUNS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "matching/allocation_list.html",
        {
            "network": network,
            "form": form,
            "has_years": bool(years),
            "page": page,
            "querystring": "",
        },
        status=400 if request.method == "POST" else 200,
    )


# --- the allocation: review ----------------------------------------------------------------------


def _item_forms(
    plans: list[selectors.SchoolPlan], bound: dict[int, ItemForm] | None = None
) -> dict[int, ItemForm]:
    forms: dict[int, ItemForm] = {}
    for plan in plans:
        for row in plan.rows:
            item = row.item
            forms[item.pk] = (bound or {}).get(item.pk) or ItemForm(
                prefix=f"item-{item.pk}",
                initial={"units": item.units, "leave_out": not item.kept},
            )
    return forms


def _attach_forms(plans: list[selectors.SchoolPlan], forms: dict[int, ItemForm]) -> None:
    for plan in plans:
        for row in plan.rows:
            row.form = forms.get(row.item.pk)


def _render_review(
    request: HttpRequest,
    network: Network,
    run: AllocationRun,
    *,
    page_number: Any = None,
    bound: dict[int, ItemForm] | None = None,
    accept_problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    review = selectors.run_review(
        run, page_number=page_number if page_number is not None else request.GET.get("page")
    )
    _attach_forms(review.schools, _item_forms(review.schools, bound))
    chart = {
        "labels": [str(q.label) for q in review.quintiles],
        "optimal": [round((q.optimal or 0) * 100, 1) for q in review.quintiles],
        "greedy": [round((q.greedy or 0) * 100, 1) for q in review.quintiles],
        "names": [_("Optimal (equity-weighted)"), _("Greedy (schools in turn)")],
        "axis": _("Coverage (%)"),
    }
    return render(
        request,
        "matching/allocation_review.html",
        {
            "network": network,
            "run": run,
            "review": review,
            "page": review.page,
            "querystring": "",
            "editable": run.status == RunStatus.DRAFT,
            "empty_reason_text": selectors.empty_reason_text(review.empty_reason),
            "accept_problems": accept_problems or [],
            "chart": chart,
        },
        status=status,
    )


@login_required
def allocation_review(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network = selectors.network_for_allocation(request.user, slug)
    run = selectors.get_run(network, pk)
    polled = request.headers.get("HX-Request") and request.GET.get("poll")
    if polled and run.status != RunStatus.RUNNING:
        # Solved (or failed) while the page waited: reload it whole.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    if run.status in (RunStatus.RUNNING, RunStatus.FAILED):
        # Solved by a task: the page asks every few seconds and reloads once it is done.
        return render(
            request,
            "matching/allocation_running.html",
            {"network": network, "run": run},
            status=200,
        )
    return _render_review(request, network, run)


def _review_url(network: Network, run: AllocationRun, page: Any = None, anchor: str = "") -> str:
    url = reverse("allocation_review", args=[network.slug, run.pk])
    if page not in (None, "", "1", 1):
        url += f"?page={page}"
    return f"{url}#{anchor}" if anchor else url


@login_required
@require_POST
def allocation_item_update(request: HttpRequest, slug: str, pk: int, item_pk: int) -> HttpResponse:
    network = selectors.network_for_allocation(request.user, slug)
    run = selectors.get_run(network, pk)
    item = selectors.get_optimal_item(run, item_pk)
    form = ItemForm(request.POST, prefix=f"item-{item.pk}")
    saved = False
    if form.is_valid():
        leave_out = form.cleaned_data["leave_out"]
        units = form.cleaned_data["units"]
        try:
            services.allocation_item_update(
                actor=request.user,
                item=item,
                units=item.units if leave_out or units is None else units,
                kept=not leave_out,
            )
        except ValidationError as error:
            _add_errors(form, error, default="units")
        else:
            saved = True
    school_id = item.need.assessment.school_id
    page = request.POST.get("page")
    if _is_htmx(request):
        return _render_school(request, network, run, item, school_id, form, saved)
    if saved:
        messages.success(request, _("Assignment saved."))
        return redirect(_review_url(network, run, page, f"school-{school_id}"))
    return _render_review(
        request, network, run, page_number=page, bound={item.pk: form}, status=400
    )


def _render_school(
    request: HttpRequest,
    network: Network,
    run: AllocationRun,
    item: AllocationItem,
    school_id: int,
    form: ItemForm,
    saved: bool,
) -> HttpResponse:
    """The school's section again, for htmx to put in place (errors beside the row)."""
    plan = selectors.school_plan(run, school_id)
    plans = [plan] if plan is not None else []
    _attach_forms(plans, _item_forms(plans, None if saved else {item.pk: form}))
    response = render(
        request,
        "matching/allocation_school.html",
        {
            "network": network,
            "run": run,
            "plan": plan,
            "editable": run.status == RunStatus.DRAFT,
            "page_number": request.POST.get("page") or "",
            "saved_item": item.pk if saved else None,
        },
        status=200 if saved else 400,
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def allocation_accept(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network = selectors.network_for_allocation(request.user, slug)
    run = selectors.get_run(network, pk)
    try:
        created = services.allocation_run_accept(actor=request.user, run=run)
    except ValidationError as error:
        run.refresh_from_db()
        return _render_review(
            request, network, run, accept_problems=list(error.messages), status=400
        )
    messages.success(
        request,
        ngettext(
            "Accepted: %(n)s partnership proposed to its organization.",
            "Accepted: %(n)s partnerships proposed to their organizations.",
            len(created),
        )
        % {"n": len(created)},
    )
    return redirect(_review_url(network, run))


@login_required
@require_POST
def allocation_discard(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network = selectors.network_for_allocation(request.user, slug)
    run = selectors.get_run(network, pk)
    try:
        services.allocation_run_discard(actor=request.user, run=run)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(_review_url(network, run))
    messages.success(request, _("The allocation was discarded; nothing was proposed."))
    return redirect("network_allocation", slug=network.slug)


# --- the matching settings -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def network_matching_settings(request: HttpRequest, slug: str) -> HttpResponse:
    network = selectors.network_for_allocation(request.user, slug)
    saved_weights = (
        network.need_index_weights if isinstance(network.need_index_weights, dict) else {}
    )
    initial = {key: saved_weights.get(key, 0) for key in NEED_INDEX_SHARES}
    initial["distance_km"] = network.match_distance_km
    initial["uncleared_services"] = network.uncleared_services
    form = MatchingSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.network_matching_update(
                actor=request.user,
                network=network,
                weights=form.weights(),
                distance_km=form.cleaned_data["distance_km"],
                uncleared_services=form.cleaned_data.get("uncleared_services") or None,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Matching settings saved."))
            return redirect("network_matching_settings", slug=network.slug)
        network.refresh_from_db()
    return render(
        request,
        "matching/network_matching_settings.html",
        {
            "network": network,
            "form": form,
            "weight_fields": [form[name] for name in MatchingSettingsForm.WEIGHT_FIELDS],
            "preview": selectors.need_index_preview(network),
        },
        status=400 if request.method == "POST" else 200,
    )
