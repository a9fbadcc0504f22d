"""Thin, idempotent Celery tasks of the core app."""

from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email(
    self: object,
    *,
    subject: str,
    body: str,
    to: list[str],
    html: str | None = None,
    from_email: str | None = None,
) -> int:
    """Send one e-mail off the request thread (password resets, reminders)."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to, from_email=from_email)
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()


@shared_task
def private_orphans_purge_task() -> int:
    """Delete private files no row refers to any more (idempotent)."""
    from .private_files import orphaned_files_purge

    return orphaned_files_purge()
