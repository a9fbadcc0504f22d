"""Private files nobody can reach are deleted: the uploads of imports past their retention,
and files no row refers to any more (older than a day) — never a file a row still refers to."""

from __future__ import annotations

import copy
import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from wraparound.agreements.tests.factories import ClearanceRecordFactory
from wraparound.core.private_files import orphaned_files_purge, private_storage, referenced_names
from wraparound.outcomes.attendance_services import attendance_uploads_purge
from wraparound.outcomes.models import AttendanceImport, AttendanceImportStatus
from wraparound.students.models import ImportStatus, RosterImport
from wraparound.students.roster_services import roster_uploads_purge

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def private_dir(settings: Any, tmp_path: Path) -> Path:
    storages = copy.deepcopy(settings.STORAGES)
    storages["private"]["OPTIONS"]["location"] = str(tmp_path / "private")
    settings.STORAGES = storages
    return tmp_path / "private"


def _age(path: Path, days: float) -> None:
    moment = (NOW - dt.timedelta(days=days)).timestamp()
    os.utime(path, (moment, moment))


def test_orphans_older_than_a_day_go_and_referred_files_stay(private_dir: Path) -> None:
    storage = private_storage()
    record = ClearanceRecordFactory()
    record.document = storage.save("clearance/1/1/check.pdf", ContentFile(b"%PDF-1.7"))
    record.save()
    old_orphan = storage.save("clearance/9/9/left-behind.pdf", ContentFile(b"%PDF"))
    young_orphan = storage.save("rosters/9/just-uploaded.zip", ContentFile(b"PK"))
    for name, days in ((record.document.name, 40), (old_orphan, 3), (young_orphan, 0.1)):
        _age(private_dir / name, days)
    assert record.document.name in referenced_names()
    assert orphaned_files_purge(now=NOW) == 1
    assert not storage.exists(old_orphan)
    assert storage.exists(record.document.name) and storage.exists(young_orphan)
    assert orphaned_files_purge(now=NOW) == 0
    # Its row deleted, the record's document is an orphan too.
    name = record.document.name
    record.delete()
    assert orphaned_files_purge(now=NOW) == 1 and not storage.exists(name)


def test_nothing_uploaded_yet_is_nothing_to_do(private_dir: Path) -> None:
    assert orphaned_files_purge(now=NOW) == 0


@pytest.mark.parametrize("kind", ["roster", "attendance"])
def test_import_uploads_are_deleted_after_their_retention(
    private_dir: Path, settings: Any, t1: Any, kind: str
) -> None:
    settings.WRAPAROUND_IMPORT_UPLOAD_RETENTION_DAYS = 30
    if kind == "roster":
        model: Any = RosterImport
        purge: Any = roster_uploads_purge
        done, running = str(ImportStatus.DONE), str(ImportStatus.RUNNING)
    else:
        model, purge = AttendanceImport, attendance_uploads_purge
        done, running = str(AttendanceImportStatus.DONE), str(AttendanceImportStatus.RUNNING)

    def run(status: str, finished_days_ago: float | None) -> Any:
        finished = None if finished_days_ago is None else NOW - dt.timedelta(days=finished_days_ago)
        name = private_storage().save(f"{kind}s/export.zip", ContentFile(b"PK\x03\x04"))
        return model.objects.create(
            network=t1.network, status=status, finished_at=finished, file=name
        )

    old = run(done, 31)
    recent = run(done, 29)
    still_running = run(running, None)
    assert purge(now=NOW) == 1
    old.refresh_from_db()
    assert old.file.name == "" and old.file_deleted_at == NOW
    assert len(list(private_dir.rglob("export*.zip"))) == 2
    for kept in (recent, still_running):
        kept.refresh_from_db()
        assert kept.file.name and private_storage().exists(kept.file.name)
        assert kept.file_deleted_at is None
    assert purge(now=NOW) == 0
    assert purge(now=NOW + dt.timedelta(days=2)) == 1  # the recent one's turn
    assert timezone.is_aware(NOW)


def test_the_purges_are_on_the_beat_schedule_and_run_as_tasks(private_dir: Path) -> None:
    from config.celery import app
    from wraparound.core.tasks import private_orphans_purge_task
    from wraparound.outcomes.tasks import attendance_uploads_purge_task
    from wraparound.students.tasks import roster_uploads_purge_task

    scheduled = {e["task"] for e in app.conf.beat_schedule.values()}
    for task in (
        roster_uploads_purge_task,
        attendance_uploads_purge_task,
        private_orphans_purge_task,
    ):
        assert task.name in scheduled
        assert task.apply().get() == 0
