"""A roster import that changes enrollment dates brings the attendance summaries along: the
outcomes app recomputes the current school year's months when the students app says a roster
was imported."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from wraparound.core.models import SchoolYear
from wraparound.students.tests.oneroster_helpers import BULK, edit, run_folder

from .. import attendance_services
from ..models import AttendanceMonth
from .factories import add_days, weekdays

pytestmark = pytest.mark.django_db

SEPT = dt.date(2026, 9, 1)


def _year(network) -> None:
    SchoolYear.objects.create(
        network=network,
        end_year=2027,
        start_date=SEPT,
        end_date=dt.date(2027, 6, 30),
        is_current=True,
    )


def test_a_changed_enrollment_end_recomputes_the_month(
    t1, tmp_path, django_capture_on_commit_callbacks
):
    _year(t1.network)
    school = t1.schools[0]  # 01M010, org-s0 in the roster
    add_days(school, weekdays(SEPT, 22))  # the weekdays of September 2026
    folder = tmp_path / "roster"
    shutil.copytree(BULK, folder)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_folder(t1.network, folder).status == "done"
    month = AttendanceMonth.objects.get(student__sourced_id="stu-1", school=school, month=SEPT)
    assert month.enrolled_days == 15  # from 10 September (role r-stu-1)
    edit(folder / "roles.csv", 2, "endDate", "2026-09-18")  # r-stu-1
    with django_capture_on_commit_callbacks(execute=True):
        assert run_folder(t1.network, folder).status == "done"
    month.refresh_from_db()
    assert month.enrolled_days == 7  # 10, 11, 14–18 September


def test_nothing_to_do_without_a_current_year_or_a_calendar(t1):
    assert attendance_services.attendance_recompute_after_roster(t1.network.pk) == 0
    _year(t1.network)
    assert attendance_services.attendance_recompute_after_roster(t1.network.pk) == 0


def test_a_dry_run_recomputes_nothing(t1, tmp_path, django_capture_on_commit_callbacks):
    _year(t1.network)
    add_days(t1.schools[0], weekdays(SEPT, 22))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_folder(t1.network, BULK, dry_run=True)
    assert not callbacks and not AttendanceMonth.objects.exists()


def test_without_a_worker_a_large_network_waits_for_its_next_attendance_import(
    t1, tmp_path, monkeypatch, settings, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(attendance_services, "INLINE_REFRESH_MAX_STUDENTS", 1)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    _year(t1.network)
    add_days(t1.schools[0], weekdays(SEPT, 22))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_folder(t1.network, BULK)
    assert not callbacks and not AttendanceMonth.objects.exists()
