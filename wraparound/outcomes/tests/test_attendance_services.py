"""attendance_import_execute records the run, its errors and an audit event."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from wraparound.core.models import AuditEvent
from wraparound.core.tests.factories import UserFactory

from ..attendance.source import FolderSource
from ..attendance_services import attendance_import_execute
from ..models import AttendanceImport, AttendanceImportStatus, InstructionalDay
from .factories import make_school, write_files

pytestmark = pytest.mark.django_db


def test_a_good_run_is_recorded_done_with_its_summary(tmp_path):
    school = make_school(code="03K001")
    user = UserFactory()
    folder = write_files(tmp_path, calendar="school_code,date\n03K001,2026-09-01\n")
    run = attendance_import_execute(
        source=FolderSource(folder),
        network=school.network,
        dry_run=False,
        source_name="sept",
        user=user,
    )
    run.refresh_from_db()
    assert run.status == AttendanceImportStatus.DONE
    assert (run.created_by, run.source_name, run.error_count) == (user, "sept", 0)
    assert run.summary["calendar_days_added"] == 1
    assert run.finished_at is not None
    assert InstructionalDay.objects.get().date == dt.date(2026, 9, 1)
    audit = AuditEvent.objects.get(action="attendance_import.run")
    assert audit.data["status"] == AttendanceImportStatus.DONE


def test_an_invalid_run_keeps_its_errors(tmp_path):
    school = make_school(code="03K001")
    folder = write_files(tmp_path, calendar="school_code,date\n03K999,2026-09-01\n")
    run = attendance_import_execute(
        source=FolderSource(folder), network=school.network, dry_run=False
    )
    assert run.status == AttendanceImportStatus.INVALID
    assert run.error_count == 1
    assert run.errors[0]["column"] == "school_code"


def test_a_crash_is_recorded_failed_and_raised(tmp_path):
    school = make_school()
    folder = write_files(tmp_path, calendar="school_code,date\n")
    with (
        mock.patch(
            "wraparound.outcomes.attendance_services.run_attendance_import",
            side_effect=RuntimeError("disk"),
        ),
        pytest.raises(RuntimeError),
    ):
        attendance_import_execute(
            source=FolderSource(folder), network=school.network, dry_run=False
        )
    assert AttendanceImport.objects.get().status == AttendanceImportStatus.FAILED
