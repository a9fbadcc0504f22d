"""Report pages and downloads (issue 7). Thin: parse → access check → build → render.

Who may download what (tests/test_reports_views.py), the same rules as the dashboards:
- the network's reports page, its PDF/XLSX and every school's and partner's report linked from
  it: network admins and evaluators (`access.can_view_network_outcomes`); the network's other
  members get a 403, anyone else a 404;
- a school's report: whoever may see the school's outcomes (`access.can_view_school_outcomes`:
  its coordinators, staff, supervisors and principal, and network-wide roles); others who see
  the school get a 403, the rest a 404;
- a partner's report: its own admins and staff, and the network's admins and evaluators
  (`access.can_view_organization_outcomes`); anyone else a 404;
- the de-identified extract: `access.can_evaluate` (network admins and evaluators).

A report downloaded directly is built in the request: a network's PDF can take some seconds
(docs/outcomes.md). The "Prepare" buttons ask for it in the background instead (`reports.jobs`,
tests/test_report_jobs.py): the POST follows the rules of the direct download of the same report
(403/404 alike); a job's page, status fragment and file are a 404 to anyone who may not download
its report directly, checked again at every request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wraparound.core import access
from wraparound.core.models import Network, Organization, School, SchoolYear

from .dashboard_data import default_year
from .indicators import Scope
from .models import ReportJob
from .reports import jobs, services
from .reports.build import build_report
from .reports.extract import build_extract
from .reports.job_selectors import get_report_job_for_user, job_key, recent_report_jobs
from .reports.pdf import render_report_pdf
from .reports.xlsx import render_report_xlsx

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MIN_YEAR, MAX_YEAR = 2000, 2100


class BadYear(ValueError):
    pass


def _year(request: HttpRequest, network: Network, data: QueryDict | None = None) -> int:
    raw = (request.GET if data is None else data).get("year", "").strip()
    if not raw:
        return default_year(network)
    if not raw.isdigit() or not MIN_YEAR <= int(raw) <= MAX_YEAR:
        raise BadYear(raw)
    return int(raw)


def _bad_year() -> HttpResponse:
    return HttpResponseBadRequest(
        _("The school year must be a year such as 2027 (the year in which it ends).")
    )


def _network(request: HttpRequest, slug: str) -> Network:
    network = access.get_network_for_user(request.user, slug)
    if not access.can_view_network_outcomes(request.user, network.pk):
        raise PermissionDenied
    return network


def _school(request: HttpRequest, pk: int) -> School:
    school = access.get_school_for_user(request.user, pk)
    if not access.can_view_school_outcomes(request.user, school):
        raise PermissionDenied
    return school


def _organization(request: HttpRequest, pk: int) -> Organization:
    organization = Organization.objects.select_related("network").filter(pk=pk).first()
    if organization is None or not access.can_view_organization_outcomes(
        request.user, organization
    ):
        raise Http404
    return organization


def _download(request: HttpRequest, scope: Scope, target: Any, fmt: str) -> HttpResponse:
    try:
        year = _year(request, scope.network)
    except BadYear:
        return _bad_year()
    if fmt not in CONTENT_TYPES:
        raise Http404
    report = build_report(scope, year, today=scope.network.today())
    body = render_report_pdf(report) if fmt == "pdf" else render_report_xlsx(report)
    services.report_downloaded(
        user=request.user, network=scope.network, kind=scope.kind, target=target, year=year, fmt=fmt
    )
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{report.filename_stem}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _year_choices(network: Network, chosen: int) -> list[int]:
    years = set(SchoolYear.objects.filter(network=network).values_list("end_year", flat=True))
    years |= {chosen, default_year(network)}
    return sorted(years, reverse=True)


@login_required
@require_GET
def network_reports(request: HttpRequest, slug: str) -> HttpResponse:
    network = _network(request, slug)
    try:
        year = _year(request, network)
    except BadYear:
        return _bad_year()
    recent = recent_report_jobs(network, year, language=translation.get_language() or "")

    def row(target: Any) -> tuple[Any, ReportJob | None, ReportJob | None]:
        kind = jobs.target_kind(target)
        return target, recent.get((kind, target.pk, "pdf")), recent.get((kind, target.pk, "xlsx"))

    context = {
        "network": network,
        "year": year,
        "years": _year_choices(network, year),
        "network_row": row(network),
        "school_rows": [row(s) for s in School.objects.filter(network=network).order_by("code")],
        "organization_rows": [
            row(o) for o in Organization.objects.filter(network=network).order_by("name")
        ],
        "can_evaluate": access.can_evaluate(request.user, network.pk),
    }
    return render(request, "outcomes/reports/network_reports.html", context)


@login_required
@require_GET
def network_report(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    network = _network(request, slug)
    return _download(request, Scope(network=network), network, fmt)


@login_required
@require_GET
def school_report(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    school = _school(request, pk)
    return _download(request, Scope(network=school.network, school=school), school, fmt)


@login_required
@require_GET
def organization_report(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    organization = _organization(request, pk)
    scope = Scope(network=organization.network, organization=organization)
    return _download(request, scope, organization, fmt)


@login_required
@require_GET
def network_extract(request: HttpRequest, slug: str) -> HttpResponse | StreamingHttpResponse:
    network = access.get_network_for_user(request.user, slug)
    if not access.can_evaluate(request.user, network.pk):
        raise PermissionDenied
    try:
        year = _year(request, network)
    except BadYear:
        return _bad_year()
    extract = build_extract(network, year)
    services.extract_downloaded(
        user=request.user,
        network=network,
        year=year,
        rows=len(extract.rows),
        dropped=extract.dropped,
    )
    response = StreamingHttpResponse(extract.csv_lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="extract-{network.slug}-{year}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- reports prepared in the background -------------------------------------------------------


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _slot_context(job: ReportJob) -> dict[str, Any]:
    """What the status fragment (`reports/job_slot.html`) needs of a job."""
    kind, target_pk, fmt = job_key(job)
    return {
        "job": job,
        "network": job.network,
        "kind": kind,
        "target_pk": target_pk,
        "fmt": fmt,
        "year": job.year,
        "name": str(jobs.job_target(job)),
    }


def _prepare(request: HttpRequest, target: Any, fmt: str) -> HttpResponse:
    network = target if isinstance(target, Network) else target.network
    try:
        year = _year(request, network, request.POST)
    except BadYear:
        return _bad_year()
    try:
        job = jobs.report_job_request(user=request.user, target=target, year=year, fmt=fmt)
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    if _is_htmx(request):
        # The button's slot on the page becomes the job's status, polled until it is done.
        return render(request, "outcomes/reports/job_slot.html", _slot_context(job))
    return redirect("report_job_detail", pk=job.pk)


@login_required
@require_POST
def network_report_prepare(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    return _prepare(request, _network(request, slug), fmt)


@login_required
@require_POST
def school_report_prepare(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    return _prepare(request, _school(request, pk), fmt)


@login_required
@require_POST
def organization_report_prepare(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    return _prepare(request, _organization(request, pk), fmt)


@login_required
@require_GET
def report_job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's own page: where the "Prepare" button leads without JavaScript (its "Check
    again" link reloads it)."""
    job = get_report_job_for_user(request.user, pk)
    return render(request, "outcomes/reports/job.html", _slot_context(job))


@login_required
@require_GET
def report_job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The fragment htmx swaps in every two seconds while the job is queued or running."""
    job = get_report_job_for_user(request.user, pk)
    return render(request, "outcomes/reports/job_slot.html", _slot_context(job))


@login_required
@require_GET
def report_job_download(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    job = get_report_job_for_user(request.user, pk)
    try:
        handle = jobs.report_job_open(user=request.user, job=job)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError:
        # Not ready yet, or its file was deleted: its page says which.
        return redirect("report_job_detail", pk=job.pk)
    except OSError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=job.filename or f"report.{job.format}",
        content_type=CONTENT_TYPES[job.format],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
