"""Roster import services and task: permission, audit, the once-only run."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from wraparound.core.models import AuditEvent
from wraparound.students.models import ImportStatus, RosterImport, Student
from wraparound.students.oneroster.progress import Progress
from wraparound.students.roster_services import roster_import_create, roster_import_run
from wraparound.students.tasks import roster_import_run_task

from .oneroster_helpers import BULK, zip_folder

pytestmark = pytest.mark.django_db


def _upload(tmp_path) -> SimpleUploadedFile:
    path = zip_folder(BULK, tmp_path / "roster.zip")
    return SimpleUploadedFile("roster.zip", path.read_bytes(), content_type="application/zip")


def test_create_stores_audits_and_queues(t1, tmp_path, django_capture_on_commit_callbacks):
    admin = t1.users["network_admin"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        roster_import = roster_import_create(
            user=admin, network=t1.network, upload=_upload(tmp_path), dry_run=False
        )
    assert roster_import.status == ImportStatus.QUEUED
    assert str(roster_import.file.name).startswith(f"rosters/{t1.network.pk}/")
    assert AuditEvent.objects.filter(action="roster_import.create", actor=admin).exists()
    assert len(callbacks) == 1
    callbacks[0]()
    roster_import.refresh_from_db()
    assert roster_import.status == ImportStatus.DONE
    assert AuditEvent.objects.filter(action="roster_import.run").exists()


def test_create_refuses_non_admins_and_bad_files(t1, tmp_path):
    with pytest.raises(PermissionDenied):
        roster_import_create(
            user=t1.users["coordinator"], network=t1.network, upload=_upload(tmp_path), dry_run=True
        )
    bad = SimpleUploadedFile("roster.zip", b"PK\x03\x04broken", content_type="application/zip")
    with pytest.raises(ValidationError) as raised:
        roster_import_create(
            user=t1.users["network_admin"], network=t1.network, upload=bad, dry_run=True
        )
    assert "file" in raised.value.message_dict
    assert not RosterImport.objects.exists()


def test_task_runs_an_import_once(t1, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        roster_import = roster_import_create(
            user=t1.users["network_admin"],
            network=t1.network,
            upload=_upload(tmp_path),
            dry_run=False,
        )
    assert roster_import_run_task(roster_import.pk) == ImportStatus.DONE
    first_finish = RosterImport.objects.get(pk=roster_import.pk).finished_at
    Student.objects.all().delete()
    # delivered again: the finished import is not run again
    assert roster_import_run_task(roster_import.pk) == ImportStatus.DONE
    assert not Student.objects.exists()
    assert RosterImport.objects.get(pk=roster_import.pk).finished_at == first_finish


def test_running_import_is_not_run_again(t1):
    roster_import = RosterImport.objects.create(network=t1.network, status=ImportStatus.RUNNING)
    assert roster_import_run(roster_import_id=roster_import.pk).status == ImportStatus.RUNNING


def test_unreadable_stored_file_is_invalid_not_a_crash(t1):
    roster_import = RosterImport.objects.create(network=t1.network, source_name="x.zip")
    roster_import.file.save("x.zip", SimpleUploadedFile("x.zip", b"not a zip"), save=True)
    result = roster_import_run(roster_import_id=roster_import.pk)
    assert result.status == ImportStatus.INVALID
    assert "zip" in result.errors[0]["message"]


def test_progress_row_is_written(t1):
    roster_import = RosterImport.objects.create(network=t1.network, status=ImportStatus.RUNNING)
    seen = []
    progress = Progress(roster_import.pk, echo=lambda s, d, t: seen.append((s, d, t)), every=10)
    progress.writing = True
    progress.start(100)
    progress.set_stage("check:users.csv")
    progress.tick(50)
    progress.flush(force=True)
    progress.close()
    roster_import.refresh_from_db()
    assert seen[-1] == ("check:users.csv", 50, 200)
    if progress._paused:  # PostgreSQL inside the test's transaction: the row is left alone
        return
    assert (roster_import.stage, roster_import.done, roster_import.total) == (
        "check:users.csv",
        50,
        200,
    )


def test_imports_whose_worker_or_task_was_lost_are_marked_failed_once(t1):
    import datetime as dt

    from django.utils import timezone

    from wraparound.students.roster_services import roster_imports_fail_stalled
    from wraparound.students.tasks import roster_imports_fail_stalled_task

    now = timezone.now()
    hours = dt.timedelta(hours=1)

    def make(status: str, age: dt.timedelta) -> RosterImport:
        return RosterImport.objects.create(
            network=t1.network,
            status=status,
            source_name="roster.zip",
            created_at=now - age,
            started_at=now - age if status != ImportStatus.QUEUED else None,
        )

    dead = make(ImportStatus.RUNNING, 3 * hours)
    lost = make(ImportStatus.QUEUED, 3 * hours)
    busy = make(ImportStatus.RUNNING, hours / 6)
    waiting = make(ImportStatus.QUEUED, hours / 6)
    done = make(ImportStatus.DONE, 30 * hours)
    assert roster_imports_fail_stalled(now=now) == 2
    for stalled, words in ((dead, "stopped before it finished"), (lost, "never started")):
        stalled.refresh_from_db()
        assert stalled.status == ImportStatus.FAILED
        assert stalled.finished_at == now
        assert words in stalled.errors[0]["message"]
        assert stalled.errors[0]["file"] == "roster.zip"
    for untouched, status in (
        (busy, ImportStatus.RUNNING),
        (waiting, ImportStatus.QUEUED),
        (done, ImportStatus.DONE),
    ):
        untouched.refresh_from_db()
        assert untouched.status == status
    assert roster_imports_fail_stalled(now=now) == 0
    assert roster_imports_fail_stalled_task.delay().get() == 0


def test_the_stalled_import_sweep_is_on_the_beat_schedule():
    from config.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "wraparound.students.tasks.roster_imports_fail_stalled_task" in tasks
