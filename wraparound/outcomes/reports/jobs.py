"""Reports prepared in the background (`ReportJob`): request one, build it, open it, purge it.

A network's PDF can take many seconds to build (docs/outcomes.md), too long for a web request.
The reports page asks for a job (`report_job_request`), a Celery task builds it after the
commit (`report_job_run`, inline without a broker) and stores the file in the private storage;
the page polls the job and, once done, offers its file (`report_job_open`, audited as the
direct downloads are). The files are deleted after `WRAPAROUND_REPORT_FILE_RETENTION_DAYS`
(`report_files_purge`); a job whose worker was lost is marked failed
(`report_jobs_fail_stalled`).

A job is the report of a scope, the same whoever asked for it: anyone who may download the
report directly may follow and download a job of it, so a second request of the same report
(a double click, a colleague) reuses the job under way, or one done a few minutes ago."""

from __future__ import annotations

import datetime as dt
import logging
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.models import Network, Organization, School
from wraparound.core.private_files import delete_file, private_storage
from wraparound.core.services import audit_record

from ..indicators import Scope
from ..models import (
    REPORT_JOB_ACTIVE,
    ReportFormat,
    ReportJob,
    ReportJobStatus,
    ReportScopeKind,
)
from . import services
from .build import build_report
from .pdf import render_report_pdf
from .xlsx import render_report_xlsx

logger = logging.getLogger(__name__)

MIN_YEAR, MAX_YEAR = 2000, 2100
# A report done this recently is offered again rather than built again: the figures behind it
# change with an import, not from one minute to the next.
REUSE_DONE_FOR = dt.timedelta(minutes=10)
# The largest network's PDF builds in well under a minute; a job still queued or running after
# this long has lost its task or its worker.
STALLED_AFTER = dt.timedelta(hours=1)

Target = Network | School | Organization


def target_kind(target: Target) -> str:
    if isinstance(target, School):
        return ReportScopeKind.SCHOOL
    if isinstance(target, Organization):
        return ReportScopeKind.ORGANIZATION
    return ReportScopeKind.NETWORK


def job_target(job: ReportJob) -> Target:
    if job.kind == ReportScopeKind.SCHOOL and job.school is not None:
        return job.school
    if job.kind == ReportScopeKind.ORGANIZATION and job.organization is not None:
        return job.organization
    return job.network


def job_scope(job: ReportJob) -> Scope:
    if job.kind == ReportScopeKind.SCHOOL:
        return Scope(network=job.network, school=job.school)
    if job.kind == ReportScopeKind.ORGANIZATION:
        return Scope(network=job.network, organization=job.organization)
    return Scope(network=job.network)


def can_view_report(user: Any, target: Target) -> bool:
    """The rules of the direct downloads (views_reports): the outcomes of the scope."""
    if isinstance(target, School):
        return access.can_view_school_outcomes(user, target)
    if isinstance(target, Organization):
        return access.can_view_organization_outcomes(user, target)
    return access.can_view_network_outcomes(user, target.pk)


def _key(target: Target, year: int, fmt: str, language: str) -> dict[str, Any]:
    kind = target_kind(target)
    return {
        "network_id": target.pk if kind == ReportScopeKind.NETWORK else target.network_id,  # type: ignore[union-attr]
        "kind": kind,
        "school_id": target.pk if kind == ReportScopeKind.SCHOOL else None,
        "organization_id": target.pk if kind == ReportScopeKind.ORGANIZATION else None,
        "year": year,
        "format": fmt,
        "language": language,
    }


def _stalled_message(status: str) -> str:
    if status == ReportJobStatus.RUNNING:
        return _("The report stopped before it was ready (its worker ended). Prepare it again.")
    return _("The report never started (its task was lost). Prepare it again.")


def _fail_stalled(jobs: Any, now: dt.datetime) -> int:
    """Mark the given jobs failed if they were queued or running for too long. Claimed by a
    conditional UPDATE: a sweep and a request racing mark each job once."""
    cutoff = now - STALLED_AFTER
    marked = 0
    for status, since in (
        (ReportJobStatus.RUNNING, "started_at__lt"),
        (ReportJobStatus.QUEUED, "created_at__lt"),
    ):
        marked += jobs.filter(status=status, **{since: cutoff}).update(
            status=ReportJobStatus.FAILED, finished_at=now, error=_stalled_message(status)
        )
    return marked


def report_job_request(
    *, user: Any, target: Target, year: int, fmt: str, language: str | None = None
) -> ReportJob:
    """Ask for the report of `target` (a network, a school or a partner organization) for the
    school year ending in `year`, as `fmt` ("pdf" or "xlsx"), in `language` (default: the
    active one). Returns the job preparing it: the one already queued or running, or one done
    in the last few minutes, else a new one queued for its task after the commit.
    PermissionDenied unless the user may download the report directly; ValidationError (under
    "year" or "format") for a bad year or format."""
    if not can_view_report(user, target):
        raise PermissionDenied
    if fmt not in ReportFormat.values:
        raise ValidationError({"format": _("A report is prepared as PDF or XLSX.")})
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(
            {"year": _("The school year must be a year such as 2027 (the year in which it ends).")}
        )
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    key = _key(target, year, fmt, language)
    now = timezone.now()
    with transaction.atomic():
        same = ReportJob.objects.filter(**key)
        _fail_stalled(same, now)
        existing = (
            same.filter(status__in=REPORT_JOB_ACTIVE).first()
            or same.filter(
                status=ReportJobStatus.DONE,
                finished_at__gte=now - REUSE_DONE_FOR,
                file_deleted_at__isnull=True,
            )
            .exclude(file="")
            .order_by("-finished_at")
            .first()
        )
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                job = ReportJob.objects.create(
                    **key, requested_by=user, status=ReportJobStatus.QUEUED, created_at=now
                )
        except IntegrityError:
            # Another request queued the same report between our read and our write (the
            # constraint allows one queued or running job per report): follow that one.
            return ReportJob.objects.get(**key, status__in=REPORT_JOB_ACTIVE)
        audit_record(
            actor=user,
            action="outcomes.report.prepare",
            target=target,
            network=key["network_id"],
            data={"scope": key["kind"], "year": year, "format": fmt, "job": job.pk},
        )
        pk = job.pk

        def enqueue() -> None:
            from ..tasks import report_job_run_task

            report_job_run_task.delay(pk)

        transaction.on_commit(enqueue)
    return job


def _claim(report_job_id: int) -> bool:
    """Queued → running, once: two deliveries of the same task cannot both build it."""
    return bool(
        ReportJob.objects.filter(pk=report_job_id, status=ReportJobStatus.QUEUED).update(
            status=ReportJobStatus.RUNNING, started_at=timezone.now()
        )
    )


def _render(job: ReportJob) -> tuple[str, bytes]:
    with translation.override(job.language or settings.LANGUAGE_CODE):
        report = build_report(job_scope(job), job.year, today=job.network.today())
        body = render_report_pdf(report) if job.format == "pdf" else render_report_xlsx(report)
    return f"{report.filename_stem}.{job.format}", body


def report_job_run(*, report_job_id: int) -> ReportJob | None:
    """Build a queued job's report and store its file. A job running, done or failed is
    returned as it is (a task delivered twice builds once); a deleted job is None. A failure
    is recorded on the job, with a message its page shows."""
    if not _claim(report_job_id):
        return ReportJob.objects.filter(pk=report_job_id).first()
    job = ReportJob.objects.select_related("network", "school", "organization").get(
        pk=report_job_id
    )
    try:
        filename, body = _render(job)
    except Exception as error:  # any failure must end the job, not leave it running
        logger.exception("report job %s failed", job.pk)
        ReportJob.objects.filter(pk=job.pk, status=ReportJobStatus.RUNNING).update(
            status=ReportJobStatus.FAILED,
            finished_at=timezone.now(),
            error=_(
                "The report could not be prepared (%(error)s). Prepare it again; if it fails "
                "again, tell the network's administrators."
            )
            % {"error": type(error).__name__},
        )
        job.refresh_from_db()
        return job
    path = job.file.field.generate_filename(job, filename)
    name = private_storage().save(path, ContentFile(body))
    done = ReportJob.objects.filter(pk=job.pk, status=ReportJobStatus.RUNNING).update(
        status=ReportJobStatus.DONE,
        file=name,
        filename=filename,
        finished_at=timezone.now(),
        error="",
    )
    if not done:
        # Marked failed as stalled (or deleted) while it was being built: keep no file that
        # no job offers.
        private_storage().delete(name)
    job.refresh_from_db()
    return job


def report_jobs_fail_stalled(*, now: dt.datetime | None = None) -> int:
    """Mark the jobs whose task or worker was lost as failed, saying so, so that their page
    stops polling and the report can be asked for again. Idempotent: returns how many."""
    marked = _fail_stalled(ReportJob.objects.all(), now or timezone.now())
    if marked:
        logger.warning("%s report jobs marked failed: stalled", marked)
    return marked


def report_files_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the files of reports made more than the retention period ago (figures about the
    students of a scope); the job's row stays, marked deleted. Idempotent: returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.WRAPAROUND_REPORT_FILE_RETENTION_DAYS)
    purged = 0
    for job in ReportJob.objects.filter(finished_at__lt=cutoff).exclude(file=""):
        delete_file(job.file)
        job.file_deleted_at = now
        job.save(update_fields=["file", "file_deleted_at"])
        purged += 1
    return purged


def report_job_open(*, user: Any, job: ReportJob) -> IO[bytes]:
    """Open a done job's file for the user, checking again that they may see its report, and
    record the download as the direct downloads do (`outcomes.report`). PermissionDenied when
    they may not; ValidationError when the job has no file (not done, or its file deleted).
    The caller closes the file."""
    target = job_target(job)
    if not can_view_report(user, target):
        raise PermissionDenied
    if job.status != ReportJobStatus.DONE or not job.file.name:
        raise ValidationError(_("This report is not ready, or its file was deleted."))
    handle = private_storage().open(job.file.name, "rb")
    services.report_downloaded(
        user=user,
        network=job.network,
        kind=job.kind,
        target=target,
        year=job.year,
        fmt=job.format,
    )
    return handle
