"""Thin, idempotent Celery tasks of the directory."""

from celery import shared_task

from . import services


@shared_task
def stale_reminders_send() -> int:
    """Once a day (config/celery.py beat): remind partners whose records went stale. Running it
    twice sends nothing twice (services.stale_reminders_send claims each reminder first)."""
    return services.stale_reminders_send()
