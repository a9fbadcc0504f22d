"""Thin, idempotent Celery tasks of the referrals app (scheduled daily in config/celery.py)."""

from celery import shared_task


@shared_task
def overdue_referrals_remind_task() -> int:
    """Remind referrers (and alert coordinators) of referrals not answered in time. Running it
    twice sends nothing twice (`referral_reminders.overdue_referrals_remind` claims each)."""
    from .referral_reminders import overdue_referrals_remind

    return overdue_referrals_remind()
