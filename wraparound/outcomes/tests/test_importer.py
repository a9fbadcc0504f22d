"""The attendance import: every problem reported by file, row and column with nothing written;
dry run; all or nothing; idempotent re-import; summaries recomputed for what changed only."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest

from wraparound.core.tests.factories import SchoolFactory
from wraparound.students.tests.factories import StudentFactory

from ..attendance import importer
from ..attendance.importer import run_attendance_import
from ..attendance.source import FolderSource, ZipSource
from ..models import AttendanceCategory as C
from ..models import AttendanceEvent, AttendanceMonth, InstructionalDay
from .factories import EnrollmentFactory, weekdays, write_files

pytestmark = pytest.mark.django_db

SEPT = weekdays(dt.date(2026, 9, 1), 22)
OCT = weekdays(dt.date(2026, 10, 1), 22)


@pytest.fixture
def world():
    school = SchoolFactory(code="01M001")
    other = SchoolFactory(code="01M002", network=school.network, community=school.community)
    ana = StudentFactory(school=school, sourced_id="s-ana")
    ben = StudentFactory(school=school, sourced_id="s-ben")
    EnrollmentFactory(student=ana, school=school)
    # Ben joins on October 1st.
    EnrollmentFactory(student=ben, school=school, begin_date=dt.date(2026, 10, 1))
    return {"school": school, "other": other, "network": school.network, "ana": ana, "ben": ben}


def calendar_csv(days=SEPT + OCT, code="01M001"):
    return "school_code,date\n" + "".join(f"{code},{d.isoformat()}\n" for d in days)


def attendance_csv(*rows):
    return "student_id,school_code,date,category,minutes\n" + "".join(f"{r}\n" for r in rows)


GOOD = attendance_csv(
    "s-ana,01M001,2026-09-01,Excused Absence,",
    "s-ana,01M001,2026-09-02,Tardy,15",
    "s-ana,01M001,2026-10-01,Unexcused Absence,",
    "s-ben,01M001,2026-10-02,Partial,120",
)


def run(folder, world, dry_run=False):
    return run_attendance_import(
        source=FolderSource(folder), network=world["network"], dry_run=dry_run
    )


def snapshot():
    return (
        sorted(AttendanceEvent.objects.values_list("id", "student_id", "date", "category")),
        sorted(InstructionalDay.objects.values_list("id", "school_id", "date")),
        sorted(
            AttendanceMonth.objects.values_list(
                "id", "student_id", "month", "enrolled_days", "absent_days", "tardies"
            )
        ),
    )


def months(student):
    return {
        m.month: (
            m.enrolled_days,
            m.absent_days,
            m.excused_days,
            m.unexcused_days,
            m.tardies,
            m.early_departures,
            m.partial_days,
        )
        for m in AttendanceMonth.objects.filter(student=student)
    }


def test_imports_calendar_and_events_and_summarizes_months(world, tmp_path):
    outcome = run(write_files(tmp_path, calendar=calendar_csv(), attendance=GOOD), world)
    assert outcome.ok, outcome.errors
    assert outcome.summary["events"] == 4
    assert outcome.summary["calendar_days_added"] == 44
    assert InstructionalDay.objects.count() == 44
    event = AttendanceEvent.objects.get(student=world["ana"], date=dt.date(2026, 9, 2))
    assert (event.category, event.minutes) == (C.TARDY, 15)
    assert months(world["ana"]) == {
        dt.date(2026, 9, 1): (22, 1, 1, 0, 1, 0, 0),
        dt.date(2026, 10, 1): (22, 1, 0, 1, 0, 0, 0),
    }
    # Ben: no row for September, before his enrollment.
    assert months(world["ben"]) == {dt.date(2026, 10, 1): (22, 0, 0, 0, 0, 0, 1)}


def test_dry_run_checks_and_writes_nothing(world, tmp_path):
    outcome = run(write_files(tmp_path, calendar=calendar_csv(), attendance=GOOD), world, True)
    assert outcome.ok
    assert outcome.summary["events"] == 4
    assert snapshot() == ([], [], [])


def test_same_files_twice_change_nothing(world, tmp_path):
    folder = write_files(tmp_path, calendar=calendar_csv(), attendance=GOOD)
    assert run(folder, world).ok
    before = snapshot()
    outcome = run(folder, world)
    assert outcome.ok
    assert outcome.summary["calendar_days_added"] == 0
    assert snapshot() == before


def test_reimport_replaces_a_days_category(world, tmp_path):
    assert run(write_files(tmp_path / "a", calendar=calendar_csv(), attendance=GOOD), world).ok
    fix = attendance_csv("s-ana,01M001,2026-09-01,In Attendance,")
    assert run(write_files(tmp_path / "b", attendance=fix), world).ok
    event = AttendanceEvent.objects.get(student=world["ana"], date=dt.date(2026, 9, 1))
    assert event.category == C.IN_ATTENDANCE
    assert months(world["ana"])[dt.date(2026, 9, 1)] == (22, 0, 0, 0, 1, 0, 0)


def test_summary_is_recomputed_only_for_the_months_touched(world, tmp_path):
    assert run(write_files(tmp_path / "a", calendar=calendar_csv(), attendance=GOOD), world).ok
    september = AttendanceMonth.objects.get(student=world["ana"], month=dt.date(2026, 9, 1))
    october = AttendanceMonth.objects.get(student=world["ana"], month=dt.date(2026, 10, 1))
    # Tamper with September's stored row: a recompute of September would put it back.
    AttendanceMonth.objects.filter(pk=september.pk).update(absent_days=9)
    second = attendance_csv("s-ana,01M001,2026-10-05,Excused Absence,")
    outcome = run(write_files(tmp_path / "b", attendance=second), world)
    assert outcome.ok
    assert outcome.summary["months_recomputed"] == 1
    september.refresh_from_db()
    october.refresh_from_db()
    assert september.absent_days == 9
    assert (october.absent_days, october.excused_days, october.unexcused_days) == (2, 1, 1)


def test_new_calendar_days_recompute_that_schools_months(world, tmp_path):
    assert run(write_files(tmp_path / "a", calendar=calendar_csv(SEPT)), world).ok
    # No events at all: every enrolled day is a present day.
    assert months(world["ana"]) == {dt.date(2026, 9, 1): (22, 0, 0, 0, 0, 0, 0)}
    assert months(world["ben"]) == {}
    assert run(write_files(tmp_path / "b", calendar=calendar_csv(OCT[:5])), world).ok
    assert months(world["ben"]) == {dt.date(2026, 10, 1): (5, 0, 0, 0, 0, 0, 0)}
    assert months(world["ana"])[dt.date(2026, 10, 1)] == (5, 0, 0, 0, 0, 0, 0)


def test_bom_crlf_and_loose_category_labels_are_accepted(world, tmp_path):
    text = (
        "\ufeffStudent_ID, school_code ,date,category\r\n"
        "s-ana,01M001,2026-09-01,  excused ABSENCE \r\n"
        "s-ana,01M001,2026-09-02,early departure\r\n"
    )
    folder = write_files(tmp_path, calendar="\ufeff" + calendar_csv().replace("\n", "\r\n"))
    (folder / "attendance.csv").write_text(text, encoding="utf-8", newline="")
    outcome = run(folder, world)
    assert outcome.ok, outcome.errors
    assert sorted(AttendanceEvent.objects.values_list("category", flat=True)) == [
        C.EARLY_DEPARTURE,
        C.EXCUSED,
    ]


def test_a_zip_with_a_folder_inside(world, tmp_path):
    archive = tmp_path / "attendance.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("export/calendar.csv", calendar_csv())
        z.writestr("export/attendance.csv", GOOD)
    source = ZipSource(archive)
    try:
        outcome = run_attendance_import(source=source, network=world["network"], dry_run=False)
    finally:
        source.close()
    assert outcome.ok
    assert AttendanceEvent.objects.count() == 4


def test_course_results_are_reported_not_yet_supported(world, tmp_path):
    folder = write_files(
        tmp_path, calendar=calendar_csv(), attendance=GOOD, course_results="student_id\n"
    )
    outcome = run(folder, world)
    assert outcome.ok
    assert "not yet supported" in outcome.summary["course_results"]


def test_a_folder_with_neither_file_is_an_error(world, tmp_path):
    outcome = run(write_files(tmp_path, other="x\n"), world)
    assert not outcome.ok


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"attendance": "student_id,school_code,date\ns-ana,01M001,2026-09-01\n"},
            ("attendance.csv", 1, "category"),
            id="missing-column",
        ),
        pytest.param(
            {"attendance": "student_id,school_code,date,category,Date\n"},
            ("attendance.csv", 1, "date"),
            id="column-twice",
        ),
        pytest.param({"attendance": ""}, ("attendance.csv", 0, ""), id="empty-file"),
        pytest.param(
            {
                "attendance": b"student_id,school_code,date,category\n"
                b"s-ana,01M001,2026-09-01,T\xe9\n"
            },
            ("attendance.csv", 0, ""),
            id="not-utf8",
        ),
        pytest.param(
            {"calendar": "school_code\n01M001\n", "attendance": None},
            ("calendar.csv", 1, "date"),
            id="calendar-missing-column",
        ),
        pytest.param(
            {"calendar": calendar_csv() + "99X999,2026-09-01\n"},
            ("calendar.csv", 46, "school_code"),
            id="calendar-unknown-school",
        ),
        pytest.param(
            {"calendar": calendar_csv() + "01M001,2026-09-31\n"},
            ("calendar.csv", 46, "date"),
            id="calendar-bad-date",
        ),
        pytest.param(
            {"attendance": attendance_csv("s-ana,99X999,2026-09-01,Tardy,")},
            ("attendance.csv", 2, "school_code"),
            id="unknown-school",
        ),
        pytest.param(
            {
                "attendance": attendance_csv(
                    "s-ana,01M001,2026-09-01,Tardy,", "s-zed,01M001,2026-09-02,Tardy,"
                )
            },
            ("attendance.csv", 3, "student_id"),
            id="unknown-student",
        ),
        pytest.param(
            {"attendance": attendance_csv("s-ana,01M001,09/01/2026,Tardy,")},
            ("attendance.csv", 2, "date"),
            id="bad-date",
        ),
        pytest.param(
            {"attendance": attendance_csv("s-ana,01M001,20260901,Tardy,")},
            ("attendance.csv", 2, "date"),
            id="compact-date",
        ),
        pytest.param(
            {"attendance": attendance_csv("s-ana,01M001,2026-09-01,Absent,")},
            ("attendance.csv", 2, "category"),
            id="unknown-category",
        ),
        pytest.param(
            {"attendance": attendance_csv("s-ana,01M001,2026-09-01,Tardy,-5")},
            ("attendance.csv", 2, "minutes"),
            id="negative-minutes",
        ),
        pytest.param(
            {"attendance": attendance_csv("s-ana,01M001,2026-09-01,Tardy,12.5")},
            ("attendance.csv", 2, "minutes"),
            id="non-integer-minutes",
        ),
        pytest.param(
            {
                "attendance": attendance_csv(
                    "s-ana,01M001,2026-09-01,Tardy,", "s-ana,01M001,2026-09-01,Excused Absence,"
                )
            },
            ("attendance.csv", 3, "date"),
            id="duplicate",
        ),
        pytest.param(
            {"attendance": attendance_csv("s-ana,01M001,2026-09-05,Tardy,")},
            ("attendance.csv", 2, "date"),
            id="not-instructional (a Saturday)",
        ),
        pytest.param(
            {"attendance": attendance_csv("s-ana,01M002,2026-09-01,Tardy,")},
            ("attendance.csv", 2, "date"),
            id="not-instructional-at-that-school",
        ),
        pytest.param(
            {"attendance": attendance_csv("s-ben,01M001,2026-09-01,Tardy,")},
            ("attendance.csv", 2, "student_id"),
            id="not-enrolled",
        ),
    ],
)
def test_bad_input_is_reported_where_it_is_and_nothing_is_written(world, tmp_path, files, expected):
    files = {"calendar": calendar_csv(), **files}
    good_rows = attendance_csv("s-ana,01M001,2026-09-03,Tardy,")
    files.setdefault("attendance", good_rows)
    outcome = run(write_files(tmp_path, **{k: v for k, v in files.items() if v is not None}), world)
    assert not outcome.ok
    found = [(e["file"], e["row"], e["column"]) for e in outcome.errors]
    assert found == [expected], outcome.errors
    assert outcome.errors[0]["message"]
    assert snapshot() == ([], [], [])


def test_every_problem_is_reported_not_only_the_first(world, tmp_path):
    bad = attendance_csv(
        "s-ana,01M001,2026-09-01,Absent,",
        "s-ana,01M001,nope,Tardy,-1",
        "s-zed,01M001,2026-09-02,Tardy,",
    )
    outcome = run(write_files(tmp_path, calendar=calendar_csv(), attendance=bad), world)
    found = sorted((e["row"], e["column"]) for e in outcome.errors)
    assert found == [(2, "category"), (3, "date"), (3, "minutes"), (4, "student_id")]


def test_students_of_another_network_are_unknown(world, tmp_path):
    stranger = StudentFactory(sourced_id="s-far")
    EnrollmentFactory(student=stranger)
    bad = attendance_csv("s-far,01M001,2026-09-01,Tardy,")
    outcome = run(write_files(tmp_path, calendar=calendar_csv(), attendance=bad), world)
    assert [(e["row"], e["column"]) for e in outcome.errors] == [(2, "student_id")]


def test_errors_are_capped_and_the_rest_counted(world, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ERRORS", 3)
    bad = attendance_csv(*[f"s-ana,01M001,2026-09-0{i},Sick," for i in range(1, 6)])
    outcome = run(write_files(tmp_path, calendar=calendar_csv(), attendance=bad), world)
    assert (len(outcome.errors), outcome.error_count) == (3, 5)
