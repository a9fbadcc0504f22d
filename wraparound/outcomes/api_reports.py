"""The JSON API of the reports prepared in the background (/api/v1/outcomes/…/reports and
/api/v1/outcomes/report-jobs/…): the pages' "Prepare" and download (`reports.jobs`), with the
outcomes API's rule that a scope or job the caller may not see is a 404 — a job is seen by whoever
may download its report directly, whoever asked for it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from wraparound.core.api import Id
from wraparound.core.models import Network, Organization, School

from .api import Slug, Year
from .dashboard_data import default_year
from .models import ReportJob, ReportJobStatus
from .reports import jobs
from .reports.job_selectors import get_report_job_for_user
from .views_reports import CONTENT_TYPES

router = Router(tags=["outcomes"])


class PrepareIn(Schema):
    format: Literal["pdf", "xlsx"]
    year: Annotated[Year | None, Field(None, description="Default: the current school year")]


class ErrorOut(Schema):
    detail: str


class ReportJobOut(Schema):
    id: int
    kind: str
    network: str
    school_id: int | None
    organization_id: int | None
    year: int
    format: str
    language: str
    status: str
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    file_available: bool
    file_deleted_at: dt.datetime | None
    download_url: str | None

    @staticmethod
    def resolve_network(obj: ReportJob) -> str:
        return obj.network.slug

    @staticmethod
    def resolve_file_available(obj: ReportJob) -> bool:
        return _ready(obj)

    @staticmethod
    def resolve_download_url(obj: ReportJob) -> str | None:
        return reverse("api-v1:report_job_file", args=[obj.pk]) if _ready(obj) else None


def _ready(job: ReportJob) -> bool:
    return job.status == ReportJobStatus.DONE and bool(job.file.name)


def _prepare(request: HttpRequest, target: Any, network: Network, payload: PrepareIn) -> Any:
    if not jobs.can_view_report(request.user, target):
        raise Http404
    job = jobs.report_job_request(
        user=request.user,
        target=target,
        year=payload.year or default_year(network),
        fmt=payload.format,
    )
    return Status(202, ReportJob.objects.select_related("network").get(pk=job.pk))


PREPARED = {202: ReportJobOut, 400: ErrorOut, 404: ErrorOut}
PREPARE_HELP = (
    "Ask for the report to be prepared in the background: the job already under way (or done in "
    "the last ten minutes) for the same report, or a new one. Follow it at its `id`."
)


@router.post(
    "/outcomes/networks/{slug}/reports",
    response=PREPARED,
    summary="Prepare a network's funder/board report",
    description=PREPARE_HELP,
)
def network_report_prepare(request: HttpRequest, slug: Slug, payload: PrepareIn) -> Any:
    network = Network.objects.filter(slug=slug).first()
    if network is None:
        raise Http404
    return _prepare(request, network, network, payload)


@router.post(
    "/outcomes/schools/{school_id}/reports",
    response=PREPARED,
    summary="Prepare a school's funder/board report",
    description=PREPARE_HELP,
)
def school_report_prepare(request: HttpRequest, school_id: Id, payload: PrepareIn) -> Any:
    school = School.objects.select_related("network").filter(pk=school_id).first()
    if school is None:
        raise Http404
    return _prepare(request, school, school.network, payload)


@router.post(
    "/outcomes/organizations/{organization_id}/reports",
    response=PREPARED,
    summary="Prepare a partner's funder/board report",
    description=PREPARE_HELP,
)
def organization_report_prepare(
    request: HttpRequest, organization_id: Id, payload: PrepareIn
) -> Any:
    organization = Organization.objects.select_related("network").filter(pk=organization_id).first()
    if organization is None:
        raise Http404
    return _prepare(request, organization, organization.network, payload)


@router.get(
    "/outcomes/report-jobs/{job_id}",
    response={200: ReportJobOut, 404: ErrorOut},
    summary="A report job: its status and, once done, where to download its file",
)
def report_job_detail(request: HttpRequest, job_id: Id) -> Any:
    return get_report_job_for_user(request.user, job_id)


@router.get(
    "/outcomes/report-jobs/{job_id}/file",
    response={200: None, 404: ErrorOut, 409: ErrorOut},
    url_name="report_job_file",
    summary="A done job's PDF or XLSX (409 while it is being prepared, or once its file was "
    "deleted)",
)
def report_job_file(request: HttpRequest, job_id: Id) -> Any:
    job = get_report_job_for_user(request.user, job_id)
    if not _ready(job):
        return Status(
            409,
            {
                "detail": "The report is not ready, or its file was deleted: see its status "
                "and prepare it again if need be."
            },
        )
    try:
        handle = jobs.report_job_open(user=request.user, job=job)
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
