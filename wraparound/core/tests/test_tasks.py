"""Celery tasks of the core app, run inline (the embedded default: no broker configured; the
repository conftest makes every non-``broker`` test run them so).

The same task on a real worker and Redis is in test_tasks_worker.py (marked ``broker``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from wraparound.core.tasks import send_email


def test_send_email_runs_inline_without_a_broker(mailoutbox: list) -> None:
    result = send_email.delay(
        subject="Your referral was accepted",
        body="Plain text body.",
        html="<p>HTML body.</p>",
        to=["family@example.org"],
        from_email="wraparound <no-reply@example.org>",
    )

    assert result.get() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert isinstance(message, EmailMultiAlternatives)
    assert message.subject == "Your referral was accepted"
    assert message.to == ["family@example.org"]
    assert message.body == "Plain text body."
    assert message.alternatives[0][0] == "<p>HTML body.</p>"


def test_send_email_without_html_sends_plain_text(mailoutbox: list) -> None:
    send_email.delay(subject="Reminder", body="Session tomorrow.", to=["staff@example.org"])

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert isinstance(message, EmailMultiAlternatives)
    assert message.alternatives == []
    assert message.from_email == settings.DEFAULT_FROM_EMAIL


def _eager_setting(**env: str) -> str:
    """CELERY_TASK_ALWAYS_EAGER as a fresh process computes it from the given environment."""
    unset = {"CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"}
    child_env = {k: v for k, v in os.environ.items() if k not in unset}
    child_env.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_RESULT_BACKEND)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=child_env,
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_tasks_are_inline_exactly_when_no_broker_is_configured() -> None:
    assert _eager_setting() == "True None"
    assert _eager_setting(CELERY_BROKER_URL="redis://127.0.0.1:6379/0") == (
        "False redis://127.0.0.1:6379/0"
    )
