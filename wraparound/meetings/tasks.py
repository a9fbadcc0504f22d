"""Thin, idempotent Celery tasks of the meetings app (scheduled daily in config/celery.py)."""

from celery import shared_task


@shared_task
def meeting_series_extend_task() -> int:
    """Keep every active series' meetings three months ahead. Running it twice creates nothing
    twice (`services.series_extend` never makes a slot that exists)."""
    from .services import series_extend_all

    return series_extend_all()


@shared_task
def overdue_action_items_notify_task() -> int:
    """Tell owners of action items that became overdue, once per item."""
    from .reminders import overdue_action_items_notify

    return overdue_action_items_notify()
