"""Thin, idempotent Celery tasks of the students app."""

from celery import shared_task


@shared_task
def roster_import_run_task(roster_import_id: int) -> str:
    """Run a queued roster import. Delivered twice, it runs once: `roster_import_run` claims
    the import (queued → running) before it reads a byte, and leaves a running or finished one
    alone."""
    from .roster_services import roster_import_run

    return roster_import_run(roster_import_id=roster_import_id).status


@shared_task
def roster_imports_fail_stalled_task() -> int:
    """Mark imports whose worker or task was lost as failed (idempotent: each once)."""
    from .roster_services import roster_imports_fail_stalled

    return roster_imports_fail_stalled()


@shared_task
def roster_uploads_purge_task() -> int:
    """Delete uploaded roster zips past their retention (idempotent)."""
    from .roster_services import roster_uploads_purge

    return roster_uploads_purge()
