"""Reads of the reports prepared in the background (`ReportJob`, see `reports.jobs`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from django.utils import timezone

from wraparound.core.models import Network

from ..models import ReportJob
from .jobs import can_view_report, job_target

# How long the reports page keeps showing a job (its status, its file, why it failed).
SHOWN_FOR = dt.timedelta(days=1)

JobKey = tuple[str, int, str]  # (kind, the school's, organization's or network's id, format)


def get_report_job_for_user(user: Any, pk: int) -> ReportJob:
    """A job whose report the user may download directly; else a 404, whoever they are (a job
    id tells nothing about the report, and a 403 would confirm the id exists)."""
    job = (
        ReportJob.objects.select_related("network", "school__network", "organization__network")
        .filter(pk=pk)
        .first()
    )
    if job is None or not can_view_report(user, job_target(job)):
        raise Http404
    return job


def job_key(job: ReportJob) -> JobKey:
    return (job.kind, job.school_id or job.organization_id or job.network_id, job.format)


def recent_report_jobs(
    network: Network, year: int, *, language: str, now: dt.datetime | None = None
) -> dict[JobKey, ReportJob]:
    """The latest job of each report of the network's school year asked for in the last day,
    in the language of the page (one query). The caller has checked the user may see every
    report of the network."""
    since = (now or timezone.now()) - SHOWN_FOR
    jobs = ReportJob.objects.filter(
        network=network, year=year, language=language, created_at__gte=since
    ).order_by("created_at", "pk")
    latest: dict[JobKey, ReportJob] = {}
    for job in jobs:
        latest[job_key(job)] = job
    return latest
