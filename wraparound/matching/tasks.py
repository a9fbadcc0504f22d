"""Thin, idempotent Celery tasks of matching."""

from celery import shared_task

from . import services


@shared_task
def allocation_run_compute(run_id: int) -> str:
    """Solve an allocation run started from the network's allocation page. Running it twice
    solves it once (services.allocation_run_compute skips a run that is no longer running)."""
    return services.allocation_run_compute(run_id=run_id).status
