"""Thin, idempotent Celery tasks of the outcomes app."""

from celery import shared_task


@shared_task
def attendance_import_run_task(attendance_import_id: int) -> str:
    """Run a queued attendance import. Delivered twice, it runs once: `attendance_import_run`
    claims the import (queued → running) before it reads a byte, and leaves a running or
    finished one alone."""
    from .attendance_services import attendance_import_run

    return attendance_import_run(attendance_import_id=attendance_import_id).status


@shared_task
def attendance_imports_fail_stalled_task() -> int:
    """Mark attendance imports whose worker or task was lost as failed (each once)."""
    from .attendance_services import attendance_imports_fail_stalled

    return attendance_imports_fail_stalled()


@shared_task
def outcome_rollup_refresh_task(network_id: int, year: int) -> float:
    """Rebuild one network's outcome rollup of a school year (after an attendance import, or
    asked for from the network page). Rebuilding twice gives the same figures."""
    from wraparound.core.models import Network

    from .rollup import refresh

    network = Network.objects.filter(pk=network_id).first()
    if network is None:
        return 0.0
    return refresh(network, year).seconds


@shared_task
def outcome_rollups_refresh_task() -> int:
    """Nightly: rebuild every network's rollup of its current school year."""
    from .rollup import refresh_all

    return refresh_all()


@shared_task
def attendance_after_roster_import_task(network_id: int) -> int:
    """A roster import may have changed enrollment dates: recompute the network's attendance
    summaries of the current school year (and its outcome rollups). Idempotent."""
    from .attendance_services import attendance_recompute_after_roster

    return attendance_recompute_after_roster(network_id)


@shared_task
def attendance_uploads_purge_task() -> int:
    """Delete uploaded attendance zips past their retention (idempotent)."""
    from .attendance_services import attendance_uploads_purge

    return attendance_uploads_purge()


@shared_task
def report_job_run_task(report_job_id: int) -> str:
    """Build a report asked for from the reports page. Delivered twice, it builds once:
    `report_job_run` claims the job (queued → running) and leaves a running or finished one
    alone."""
    from .reports.jobs import report_job_run

    job = report_job_run(report_job_id=report_job_id)
    return job.status if job is not None else "deleted"


@shared_task
def report_jobs_fail_stalled_task() -> int:
    """Mark report jobs whose worker or task was lost as failed (each once)."""
    from .reports.jobs import report_jobs_fail_stalled

    return report_jobs_fail_stalled()


@shared_task
def report_files_purge_task() -> int:
    """Delete prepared report files past their retention (idempotent)."""
    from .reports.jobs import report_files_purge

    return report_files_purge()
