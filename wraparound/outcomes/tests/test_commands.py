"""manage.py import_attendance and attendance_summary: exit codes, printed errors, CSV."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from wraparound.core.tests.factories import SchoolFactory
from wraparound.students.tests.factories import StudentFactory

from ..models import AttendanceEvent, AttendanceImport, AttendanceImportStatus, CourseResult
from .factories import EnrollmentFactory, weekdays, write_files

pytestmark = pytest.mark.django_db

DAYS = weekdays(dt.date(2026, 9, 1), 12)


@pytest.fixture
def school():
    school = SchoolFactory(code="02M475")
    ana = StudentFactory(school=school, sourced_id="s-ana")
    ben = StudentFactory(school=school, sourced_id="s-ben")
    cleo = StudentFactory(school=school, sourced_id="s-cleo")
    EnrollmentFactory(student=ana, school=school)
    EnrollmentFactory(student=ben, school=school)
    # Cleo arrives for the last 3 days: not classified.
    EnrollmentFactory(student=cleo, school=school, begin_date=DAYS[9])
    return school


def folder(tmp_path, attendance):
    calendar = "school_code,date\n" + "".join(f"02M475,{d}\n" for d in DAYS)
    return write_files(tmp_path, calendar=calendar, attendance=attendance)


ATTENDANCE = (
    "student_id,school_code,date,category\n"
    "s-ana,02M475,2026-09-01,Unexcused Absence\n"
    "s-ana,02M475,2026-09-02,Tardy\n"
    "s-ben,02M475,2026-09-03,Tardy\n"
    "s-cleo,02M475,2026-09-16,Excused Absence\n"
)


def test_import_then_summary_csv(school, tmp_path):
    out = StringIO()
    call_command(
        "import_attendance",
        str(folder(tmp_path, ATTENDANCE)),
        network=school.network.slug,
        stdout=out,
    )
    assert "events: 4" in out.getvalue()
    assert "Attendance imported" in out.getvalue()
    assert AttendanceImport.objects.get().status == AttendanceImportStatus.DONE
    target = tmp_path / "summary.csv"
    call_command(
        "attendance_summary", school="02M475", year=2027, out=str(target), stdout=StringIO()
    )
    # Ana: 1 absent of 12 (8.3 %), 11/12 = 0.91666… Ben: none absent. Cleo: 3 days, 1 absent.
    assert target.read_text() == (
        "student_id,enrolled_days,absent_days,tardies,attendance_rate,chronically_absent\n"
        "s-ana,12,1,1,0.9167,false\n"
        "s-ben,12,0,1,1.0000,false\n"
        "s-cleo,3,1,0,0.6667,\n"
    )


def test_dry_run_writes_nothing(school, tmp_path):
    out = StringIO()
    call_command(
        "import_attendance",
        str(folder(tmp_path, ATTENDANCE)),
        network=school.network.slug,
        dry_run=True,
        stdout=out,
    )
    assert "dry run" in out.getvalue()
    assert not AttendanceEvent.objects.exists()
    assert AttendanceImport.objects.get().status == AttendanceImportStatus.CHECKED


def test_errors_exit_2_and_are_printed_file_row_column(school, tmp_path):
    bad = ATTENDANCE + "s-ana,02M475,2026-09-04,Sick\ns-zed,02M475,2026-09-04,Tardy\n"
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "import_attendance",
            str(folder(tmp_path, bad)),
            network=school.network.slug,
            stdout=out,
        )
    assert caught.value.returncode == 2
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(
        "attendance.csv:6:category: Sick is not an Ed-Fi attendance category"
    )
    assert lines[1].startswith("attendance.csv:7:student_id: No student has sourcedId s-zed.")
    assert "2 errors" in str(caught.value)
    assert not AttendanceEvent.objects.exists()
    run = AttendanceImport.objects.get()
    assert (run.status, run.error_count) == (AttendanceImportStatus.INVALID, 2)


COURSES = (
    "student_id,school_code,school_year,term,course_code,course_title,credits_attempted,"
    "credits_earned,grade\n"
    "s-ana,02M475,2027,Fall,ENG9,English 9,1,1,B\n"
)


def test_course_results_are_imported_and_counted(school, tmp_path):
    out = StringIO()
    call_command(
        "import_attendance",
        str(write_files(tmp_path, course_results=COURSES)),
        network=school.network.slug,
        stdout=out,
    )
    assert "course_results: 1" in out.getvalue()
    assert CourseResult.objects.get().passed is True


def test_course_result_errors_exit_2_and_nothing_is_written(school, tmp_path):
    bad = COURSES + "s-ana,02M475,27,Fall,ALG1,,,,\n"
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "import_attendance",
            str(write_files(folder(tmp_path, ATTENDANCE), course_results=bad)),
            network=school.network.slug,
            stdout=out,
        )
    assert caught.value.returncode == 2
    assert out.getvalue().splitlines()[0].startswith("course_results.csv:3:school_year:")
    assert not CourseResult.objects.exists()
    assert not AttendanceEvent.objects.exists()


def test_missing_path_exits_2(school, tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("import_attendance", str(tmp_path / "nope.zip"), network=school.network.slug)
    assert caught.value.returncode == 2


def test_unknown_network_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="slug"):
        call_command("import_attendance", str(tmp_path), network="nowhere")


def test_summary_needs_network_when_a_code_is_ambiguous(school, tmp_path):
    twin = SchoolFactory(code="02M475")
    target = tmp_path / "s.csv"
    with pytest.raises(CommandError, match="--network"):
        call_command("attendance_summary", school="02M475", year=2027, out=str(target))
    call_command(
        "attendance_summary",
        school="02M475",
        year=2027,
        out=str(target),
        network=twin.network.slug,
        stdout=StringIO(),
    )
    assert target.read_text().count("\n") == 1  # the header only: no student at the twin


def test_summary_unknown_school(tmp_path):
    with pytest.raises(CommandError, match="No school"):
        call_command("attendance_summary", school="00X000", year=2027, out=str(tmp_path / "x"))
