"""Thin, idempotent Celery tasks of the agreements app (scheduled daily in config/celery.py)."""

from celery import shared_task


@shared_task
def expiry_reminders_send() -> int:
    """Remind clearance and MOU expiries at 60, 30 and 7 days, and retention ends. Running it
    twice sends nothing twice (`reminders.expiry_reminders_send` claims each reminder first)."""
    from . import reminders

    return reminders.expiry_reminders_send()


@shared_task
def agreement_statuses_refresh() -> int:
    """Move agreements between active, expiring and expired as their terms run, on each network's
    clock. Idempotent: an agreement already in the right status is left alone."""
    from .mou_services import agreement_statuses_refresh as refresh

    return refresh(now=None)
