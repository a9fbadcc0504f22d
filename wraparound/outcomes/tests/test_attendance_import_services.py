"""Attendance imports from an upload: permission, bad uploads, queued once, run once, and the
sweep of imports whose worker or task was lost."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wraparound.core.models import AuditEvent

from ..attendance.importer import AttendanceOutcome, run_attendance_import
from ..attendance.source import ZipSource
from ..attendance_services import (
    attendance_import_create,
    attendance_import_run,
    attendance_imports_fail_stalled,
)
from ..models import AttendanceEvent, AttendanceImport, AttendanceImportStatus, InstructionalDay
from ..tasks import attendance_import_run_task, attendance_imports_fail_stalled_task
from .factories import TAKEN_THROUGH, zip_bytes

pytestmark = pytest.mark.django_db


def _upload(t, name: str = "attendance.zip") -> SimpleUploadedFile:
    code = t.schools[0].code
    data = zip_bytes(calendar=f"school_code,date\n{code},2026-09-01\n{code},2026-09-02\n")
    return SimpleUploadedFile(name, data, content_type="application/zip")


def test_create_stores_audits_and_queues_one_run(t1, django_capture_on_commit_callbacks):
    admin = t1.users["network_admin"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = attendance_import_create(
            user=admin, network=t1.network, upload=_upload(t1), dry_run=False
        )
    assert run.status == AttendanceImportStatus.QUEUED
    assert (run.created_by, run.source_name) == (admin, "attendance.zip")
    assert str(run.file.name).startswith(f"attendance/{t1.network.pk}/")
    assert AuditEvent.objects.filter(action="attendance_import.create", actor=admin).exists()
    assert len(callbacks) == 1
    assert not InstructionalDay.objects.exists()  # nothing before the commit
    callbacks[0]()
    run.refresh_from_db()
    assert run.status == AttendanceImportStatus.DONE, run.errors
    assert run.started_at is not None and run.finished_at is not None
    assert InstructionalDay.objects.filter(school=t1.schools[0]).count() == 2
    assert AuditEvent.objects.filter(action="attendance_import.run").exists()


@pytest.mark.parametrize("persona", ["coordinator", "evaluator", "principal", "outsider"])
def test_create_refuses_everyone_but_network_admins(t1, persona):
    with pytest.raises(PermissionDenied):
        attendance_import_create(
            user=t1.users[persona], network=t1.network, upload=_upload(t1), dry_run=True
        )
    assert not AttendanceImport.objects.exists()


def test_admin_of_another_network_is_refused(t1, t2):
    with pytest.raises(PermissionDenied):
        attendance_import_create(
            user=t2.users["network_admin"], network=t1.network, upload=_upload(t1), dry_run=True
        )


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("attendance.csv", b"school_code,date\n", "not a .zip file"),
        ("attendance.zip", b"", "is empty"),
        ("attendance.zip", b"school_code,date\n", "not a zip archive"),
        ("attendance.zip", b"PK\x03\x04broken", "zip archive that can be read"),
        ("attendance.zip", zip_bytes(users="sourcedId\n"), "none of calendar.csv, attendance.csv"),
    ],
    # Named, not derived from the bytes: a zip carries its build time, and every xdist worker
    # must collect the same test ids.
    ids=["extension", "empty", "not-zip", "broken-zip", "no-wanted-file"],
)
def test_bad_uploads_are_refused_before_anything_is_stored(t1, name, data, words):
    upload = SimpleUploadedFile(name, data, content_type="application/zip")
    with pytest.raises(ValidationError) as raised:
        attendance_import_create(
            user=t1.users["network_admin"], network=t1.network, upload=upload, dry_run=True
        )
    assert words in " ".join(raised.value.message_dict["file"])
    assert not AttendanceImport.objects.exists()


def test_the_task_runs_an_import_once(t1, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run = attendance_import_create(
            user=t1.users["network_admin"], network=t1.network, upload=_upload(t1), dry_run=False
        )
    assert attendance_import_run_task(run.pk) == AttendanceImportStatus.DONE
    first_finish = AttendanceImport.objects.get(pk=run.pk).finished_at
    InstructionalDay.objects.all().delete()
    # delivered again: the finished import is not run again
    assert attendance_import_run_task(run.pk) == AttendanceImportStatus.DONE
    assert not InstructionalDay.objects.exists()
    assert AttendanceImport.objects.get(pk=run.pk).finished_at == first_finish


def test_a_dry_run_writes_nothing(t1, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = attendance_import_create(
            user=t1.users["network_admin"], network=t1.network, upload=_upload(t1), dry_run=True
        )
    run.refresh_from_db()
    assert run.status == AttendanceImportStatus.CHECKED
    assert run.summary["calendar_days"] == 2
    assert not InstructionalDay.objects.exists()


@pytest.mark.parametrize(
    ("dry_run", "stages"),
    [
        (False, ["check:calendar", "check:records", "write"]),
        (True, ["check:calendar", "check:records"]),
    ],
)
def test_the_importer_reports_each_step(t1, dry_run, stages):
    seen: list[str] = []
    source = ZipSource(_upload(t1))
    outcome = run_attendance_import(
        source=source,
        network=t1.network,
        dry_run=dry_run,
        through=TAKEN_THROUGH,
        on_stage=seen.append,
    )
    assert outcome.ok
    assert seen == stages


def test_the_run_stores_its_step_for_the_page_and_clears_it_at_the_end(t1):
    run = AttendanceImport.objects.create(network=t1.network, status=AttendanceImportStatus.QUEUED)
    run.file.save("a.zip", _upload(t1), save=True)
    stored: list[str] = []

    def importer(*, on_stage, **kwargs):
        on_stage("check:records")
        stored.append(AttendanceImport.objects.get(pk=run.pk).stage)
        return AttendanceOutcome(summary={"events": 0})

    with mock.patch(
        "wraparound.outcomes.attendance_services.run_attendance_import", side_effect=importer
    ):
        result = attendance_import_run(attendance_import_id=run.pk)
    assert stored == ["check:records"]
    result.refresh_from_db()
    assert (result.status, result.stage) == (AttendanceImportStatus.DONE, "")


def test_a_running_import_is_not_run_again(t1):
    run = AttendanceImport.objects.create(network=t1.network, status=AttendanceImportStatus.RUNNING)
    assert attendance_import_run(attendance_import_id=run.pk).status == "running"


def test_an_unreadable_stored_file_is_invalid_not_a_crash(t1):
    run = AttendanceImport.objects.create(
        network=t1.network, source_name="x.zip", status=AttendanceImportStatus.QUEUED
    )
    run.file.save("x.zip", SimpleUploadedFile("x.zip", b"not a zip"), save=True)
    result = attendance_import_run(attendance_import_id=run.pk)
    assert result.status == AttendanceImportStatus.INVALID
    assert result.error_count == 1
    assert "zip" in result.errors[0]["message"]
    assert result.errors[0]["file"] == "x.zip"


def test_row_errors_are_kept_and_nothing_is_written(t1, django_capture_on_commit_callbacks):
    code = t1.schools[0].code
    data = zip_bytes(
        calendar=f"school_code,date\n{code},2026-09-01\n",
        attendance=f"student_id,school_code,date,category\nnobody,{code},2026-09-01,Tardy\n",
    )
    upload = SimpleUploadedFile("a.zip", data, content_type="application/zip")
    with django_capture_on_commit_callbacks(execute=True):
        run = attendance_import_create(
            user=t1.users["network_admin"], network=t1.network, upload=upload, dry_run=False
        )
    run.refresh_from_db()
    assert run.status == AttendanceImportStatus.INVALID
    assert [(e["file"], e["row"], e["column"]) for e in run.errors] == [
        ("attendance.csv", 2, "student_id")
    ]
    assert not InstructionalDay.objects.exists() and not AttendanceEvent.objects.exists()


def test_imports_whose_worker_or_task_was_lost_are_marked_failed_once(t1):
    now = timezone.now()
    hours = dt.timedelta(hours=1)

    def make(status: str, age: dt.timedelta) -> AttendanceImport:
        return AttendanceImport.objects.create(
            network=t1.network,
            status=status,
            source_name="attendance.zip",
            created_at=now - age,
            started_at=now - age if status != AttendanceImportStatus.QUEUED else None,
        )

    dead = make(AttendanceImportStatus.RUNNING, 3 * hours)
    lost = make(AttendanceImportStatus.QUEUED, 3 * hours)
    busy = make(AttendanceImportStatus.RUNNING, hours / 6)
    waiting = make(AttendanceImportStatus.QUEUED, hours / 6)
    done = make(AttendanceImportStatus.DONE, 30 * hours)
    assert attendance_imports_fail_stalled(now=now) == 2
    for stalled, words in ((dead, "stopped before it finished"), (lost, "never started")):
        stalled.refresh_from_db()
        assert stalled.status == AttendanceImportStatus.FAILED
        assert (stalled.finished_at, stalled.error_count) == (now, 1)
        assert words in stalled.errors[0]["message"]
        assert stalled.errors[0]["file"] == "attendance.zip"
    for untouched, status in (
        (busy, AttendanceImportStatus.RUNNING),
        (waiting, AttendanceImportStatus.QUEUED),
        (done, AttendanceImportStatus.DONE),
    ):
        untouched.refresh_from_db()
        assert untouched.status == status
    assert attendance_imports_fail_stalled(now=now) == 0
    assert attendance_imports_fail_stalled_task.delay().get() == 0


def test_the_stalled_import_sweep_is_on_the_beat_schedule():
    from config.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "wraparound.outcomes.tasks.attendance_imports_fail_stalled_task" in tasks
