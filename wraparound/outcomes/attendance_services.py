"""Attendance imports: run one and record it (`AttendanceImport`), with an audit event.

The check-and-write core is `attendance.importer.run_attendance_import` (a source, a network,
dry_run → errors and summary), callable as it is from a future Celery task."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from wraparound.core.models import Network
from wraparound.core.services import audit_record

from .attendance.importer import run_attendance_import
from .attendance.source import AttendanceSource
from .models import AttendanceImport, AttendanceImportStatus

logger = logging.getLogger(__name__)


def attendance_import_execute(
    *,
    source: AttendanceSource,
    network: Network,
    dry_run: bool,
    source_name: str = "",
    user: Any = None,
) -> AttendanceImport:
    """Check and (unless a dry run) write `source`, recording the run and its outcome.
    The caller (the command line, later a task) has decided the user may import."""
    run = AttendanceImport.objects.create(
        network=network,
        created_by=user if user is not None and user.is_authenticated else None,
        source_name=source_name[:255],
        dry_run=dry_run,
        status=AttendanceImportStatus.RUNNING,
    )
    try:
        outcome = run_attendance_import(source=source, network=network, dry_run=dry_run)
    except Exception:
        logger.exception("attendance import %s failed", run.pk)
        _finish(run, status=AttendanceImportStatus.FAILED, errors=[], error_count=0, summary={})
        raise
    if not outcome.ok:
        status = AttendanceImportStatus.INVALID
    elif dry_run:
        status = AttendanceImportStatus.CHECKED
    else:
        status = AttendanceImportStatus.DONE
    return _finish(
        run,
        status=status,
        errors=list(outcome.errors),
        error_count=outcome.error_count,
        summary=outcome.summary,
    )


def _finish(
    run: AttendanceImport,
    *,
    status: str,
    errors: list[Any],
    error_count: int,
    summary: dict[str, Any],
) -> AttendanceImport:
    run.status = status
    run.errors = errors
    run.error_count = error_count
    run.summary = summary
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "errors", "error_count", "summary", "finished_at"])
    audit_record(
        actor=run.created_by,
        action="attendance_import.run",
        target=run,
        network=run.network_id,
        data={"status": status, "dry_run": run.dry_run, "errors": error_count, **summary},
    )
    return run
