"""The outcome dashboards (issue 7): a school's, a network's and a partner's, with charts and a
table beside every chart. The figures come from `dashboard_data`; these views read the request,
check who may see the scope, and render.

Who may see what (tests/test_views_dashboards.py): `core.access.can_view_school_outcomes`,
`can_view_network_outcomes`, `can_view_organization_outcomes`; anyone else gets a 404, so that
a page does not confirm what exists. A bad `year`, `split` or `order` is listed as a form error
and the page shows the defaults (never a 500)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from wraparound.core import access
from wraparound.core.models import Network, Organization, School, SchoolYear

from . import dashboard_data as dd
from .indicators import SHARE_INDICATORS, IndicatorResult
from .models import Indicator
from .subgroups import SPLIT_CHOICES, Split, get_split
from .suppression import Cell

SCHOOLS_PER_PAGE = 100


class DashboardForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("School year"), coerce=int, required=False)
    split = forms.ChoiceField(label=gettext_lazy("Split by"), choices=SPLIT_CHOICES, required=False)

    def __init__(self, *args: Any, years: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        year_field = self.fields["year"]
        assert isinstance(year_field, forms.TypedChoiceField)
        year_field.choices = [("", _("current"))] + [(y, label) for y, label in years]


class NetworkDashboardForm(DashboardForm):
    order = forms.ChoiceField(
        label=gettext_lazy("Rank schools by"),
        choices=list(dd.RANKINGS.items()),
        required=False,
    )


# --- presentation ------------------------------------------------------------------------------


def chart_text() -> dict[str, str]:
    return {
        "attendance": _("attendance rate (%)"),
        "percent": _("percent"),
        "students": _("students"),
        "referrals": _("referrals"),
        "schools": _("schools"),
        "need_index": _("need index"),
        "chronic": _("chronic absence rate (%)"),
        "delivered": _("delivered to date (% of promised)"),
    }


def _fmt(indicator: str) -> str:
    return "pct" if indicator in SHARE_INDICATORS else "1"


def _columns(groups: list[list[Cell]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for cells in groups:
        for c in cells:
            seen.setdefault(c.key, c.label)
    return list(seen.items())


def indicator_table(results: list[IndicatorResult]) -> dict[str, Any]:
    """Rows of indicators; with a split, one column per group (a group an indicator has no
    figure for reads "—")."""
    columns = _columns([r.groups for r in results])
    rows = []
    for r in results:
        by_key = {c.key: c for c in r.groups}
        rows.append(
            {
                "label": r.label,
                "fmt": _fmt(r.indicator),
                "overall": r.overall,
                "groups": [by_key.get(key) for key, _label in columns],
            }
        )
    return {"columns": columns, "rows": rows}


def school_rows(rows: list[dd.SchoolRow]) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    columns = _columns([r.chronic_groups for r in rows])
    out = []
    for r in rows:
        by_key = {c.key: c for c in r.chronic_groups}
        out.append(
            {
                "school_id": r.school_id,
                "code": r.code,
                "name": r.name,
                "need_index": r.need_index,
                "students": r.students,
                "attendance": r.figures.get(Indicator.ATTENDANCE_RATE),
                "chronic": r.figures.get(Indicator.CHRONIC_ABSENCE_RATE),
                "completion": r.figures.get(Indicator.REFERRAL_COMPLETION_RATE),
                "needs_covered": r.needs_covered,
                "groups": [by_key.get(key) for key, _label in columns] if columns else [],
            }
        )
    return out, columns


def _years(network: Network) -> list[tuple[int, str]]:
    return [
        (y.end_year, y.label)
        for y in SchoolYear.objects.filter(network=network).order_by("-end_year")
    ]


def _read(
    request: HttpRequest, network: Network, form_class: type[DashboardForm] = DashboardForm
) -> tuple[DashboardForm, int, Split | None, dict[str, Any]]:
    """The form, and the year and split to show: the defaults for whatever is wrong."""
    years = _years(network)
    form = form_class(request.GET or None, years=years)
    year, split, cleaned = dd.default_year(network), None, {}
    if form.is_bound:
        form.is_valid()
        # The fields that are right are kept (a form's cleaned_data holds them even when
        # another field is wrong); the wrong ones are listed and take their defaults.
        cleaned = dict(form.cleaned_data)
        if cleaned.get("year"):
            year = int(cleaned["year"])
        split = get_split(cleaned.get("split") or None)
    return form, year, split, cleaned


def _year_label(network: Network, year: int) -> str:
    return f"{year - 1}-{year % 100:02d}"


def _school(request: HttpRequest, pk: int) -> School:
    school = School.objects.select_related("network").filter(pk=pk).first()
    if school is None or not access.can_view_school_outcomes(request.user, school):
        raise Http404
    return school


def _network(request: HttpRequest, slug: str) -> Network:
    network = Network.objects.filter(slug=slug).first()
    if network is None or not access.can_view_network_outcomes(request.user, network.pk):
        raise Http404
    return network


def _organization(request: HttpRequest, pk: int) -> Organization:
    organization = Organization.objects.select_related("network").filter(pk=pk).first()
    if organization is None or not access.can_view_organization_outcomes(
        request.user, organization
    ):
        raise Http404
    return organization


@login_required
@require_GET
def school_outcomes(request: HttpRequest, pk: int) -> HttpResponse:
    school = _school(request, pk)
    form, year, split, _cleaned = _read(request, school.network)
    data = dd.school_dashboard(school, year, split=split)
    return render(
        request,
        "outcomes/dashboards/school.html",
        {
            "school": school,
            "network": school.network,
            "year": year,
            "form": form,
            "data": data,
            "year_label": _year_label(school.network, year),
            "payload": data.as_dict(),
            "table": indicator_table(data.indicators),
            "chart_text": chart_text(),
        },
    )


@login_required
@require_GET
def network_outcomes(request: HttpRequest, slug: str) -> HttpResponse:
    network = _network(request, slug)
    form, year, split, cleaned = _read(request, network, NetworkDashboardForm)
    order = cleaned.get("order") or "chronic_absence_rate"
    data = dd.network_dashboard(network, year, split=split, order=order)
    page = Paginator(data.schools, SCHOOLS_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    payload = data.as_dict()
    # The page's chart data: the network's figures and the scatter, not every school's row.
    payload["schools"] = [r.as_dict() for r in page.object_list]
    rows, split_columns = school_rows(list(page.object_list))
    return render(
        request,
        "outcomes/dashboards/network.html",
        {
            "network": network,
            "form": form,
            "data": data,
            "page": page,
            "querystring": params.urlencode(),
            "year": year,
            "year_label": _year_label(network, year),
            "order_label": dd.RANKINGS.get(order, ""),
            "payload": payload,
            "table": indicator_table(data.indicators),
            "chart_text": chart_text(),
            "rows": rows,
            "split_columns": split_columns,
            "is_admin": access.is_network_admin(request.user, network.pk),
        },
    )


@login_required
@require_POST
def network_outcomes_refresh(request: HttpRequest, slug: str) -> HttpResponse:
    """A network admin asks for the rollup to be rebuilt now (in the background)."""
    from .tasks import outcome_rollup_refresh_task

    network = _network(request, slug)
    if not access.is_network_admin(request.user, network.pk):
        raise Http404
    try:
        year = int(request.POST.get("year") or dd.default_year(network))
    except ValueError:
        year = dd.default_year(network)
    transaction.on_commit(lambda: outcome_rollup_refresh_task.delay(network.pk, year))
    messages.success(request, _("The figures are being recomputed; reload the page shortly."))
    return redirect(f"{reverse('network_outcomes', args=[network.slug])}?year={year}")


@login_required
@require_GET
def organization_outcomes(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _organization(request, pk)
    form, year, split, _cleaned = _read(request, organization.network)
    data = dd.partner_dashboard(organization, year, split=split)
    return render(
        request,
        "outcomes/dashboards/partner.html",
        {
            "organization": organization,
            "network": organization.network,
            "year": year,
            "form": form,
            "data": data,
            "year_label": _year_label(organization.network, year),
            "payload": data.as_dict(),
            "table": indicator_table(data.indicators),
            "chart_text": chart_text(),
        },
    )
