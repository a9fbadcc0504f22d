"""A real Celery worker on the configured broker runs our task (DESIGN.md §5: Celery 5 on Redis).

Marked ``broker``: deselected unless CELERY_BROKER_URL is set (see the repository's conftest.py).
The worker is a separate process on a queue of its own, so nothing else consumes the message and
a worker left over from elsewhere cannot take it; it writes e-mail to files in a temporary
directory, which proves that the worker, not this process, sent it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from kombu import Exchange, Queue

from config.celery import app
from wraparound.core.tasks import send_email

pytestmark = pytest.mark.broker

WORKER_START_TIMEOUT = 90.0  # seconds for the worker to boot and run one task


@dataclass
class Worker:
    queue: str
    mail_dir: Path
    log: Path
    process: subprocess.Popen[bytes]

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Worker]:
    queue = f"test-worker-{uuid.uuid4().hex}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DEBUG": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Worker(queue=queue, mail_dir=mail_dir, log=log, process=process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        _forget_queue(queue)


def _forget_queue(queue: str) -> None:
    """Remove what the broker keeps about the throw-away queue (best effort)."""
    try:
        with app.connection_for_write() as connection:
            bound = Queue(queue, Exchange(queue), routing_key=queue)(connection.default_channel)
            bound.declare()  # the binding is known to this channel only once declared here
            bound.delete()
    except Exception:  # noqa: S110 — cleanup must not hide the test's own result
        pass


def test_a_real_worker_sends_the_email(worker: Worker) -> None:
    assert not settings.CELERY_TASK_ALWAYS_EAGER, (
        "CELERY_BROKER_URL is set: tasks must not be eager"
    )
    subject = f"Worker check {uuid.uuid4().hex}"

    result = send_email.apply_async(
        kwargs={"subject": subject, "body": "Sent by a Celery worker.", "to": ["ops@example.org"]},
        queue=worker.queue,
    )
    try:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while not result.ready():
            if worker.process.poll() is not None:
                pytest.fail(
                    f"The worker exited with {worker.process.returncode}:\n{worker.output()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"No result after {WORKER_START_TIMEOUT:.0f} s:\n{worker.output()}")
            time.sleep(0.2)
        value = result.get(timeout=10)
    finally:
        result.forget()

    assert value == 1, worker.output()
    sent = [path.read_text(errors="replace") for path in worker.mail_dir.iterdir()]
    assert len(sent) == 1, f"expected one e-mail file in {worker.mail_dir}, got {len(sent)}"
    assert subject in sent[0]
    assert "ops@example.org" in sent[0]
