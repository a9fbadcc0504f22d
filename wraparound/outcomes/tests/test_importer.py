"""The attendance import: every problem reported by file, row and column with nothing written;
dry run; all or nothing; idempotent re-import; summaries recomputed for what changed only."""

from __future__ import annotations

import datetime as dt
import os
import zipfile

import pytest
from django.db import connection

from wraparound.core.tests.factories import SchoolFactory
from wraparound.students.tests.factories import StudentFactory

from ..attendance import importer
from ..attendance.importer import run_attendance_import
from ..attendance.source import FolderSource, ZipSource
from ..models import AttendanceCategory as C
from ..models import AttendanceEvent, AttendanceMonth, InstructionalDay
from .factories import TAKEN_THROUGH, EnrollmentFactory, weekdays, write_files

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
        source=FolderSource(folder),
        network=world["network"],
        dry_run=dry_run,
        through=TAKEN_THROUGH,
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
        outcome = run_attendance_import(
            source=source, network=world["network"], dry_run=False, through=TAKEN_THROUGH
        )
    finally:
        source.close()
    assert outcome.ok
    assert AttendanceEvent.objects.count() == 4


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


def test_where_the_sql_is_stricter_the_reader_decides(world, tmp_path, monkeypatch):
    """`+5` minutes and a category padded with a no-break space: the server's checks refuse
    them, the row-by-row reader accepts them (on SQLite it is the only path)."""
    calls: list[bool] = []
    row_by_row = importer._row_by_row

    def counted(**kwargs):
        calls.append(True)
        return row_by_row(**kwargs)

    monkeypatch.setattr(importer, "_row_by_row", counted)
    text = attendance_csv("s-ana,01M001,2026-09-01,Tardy,+5", "s-ana,01M001,2026-09-02,\xa0Tardy,")
    outcome = run(write_files(tmp_path, calendar=calendar_csv(), attendance=text), world)
    assert outcome.ok, outcome.errors
    assert calls == [True]
    assert sorted(AttendanceEvent.objects.values_list("date", "category", "minutes")) == [
        (dt.date(2026, 9, 1), C.TARDY, 5),
        (dt.date(2026, 9, 2), C.TARDY, None),
    ]


@pytest.mark.postgresql
@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "import"])
def test_clean_files_are_checked_and_written_by_the_server(world, tmp_path, monkeypatch, dry_run):
    def row_by_row(**kwargs):
        raise AssertionError("clean files were read row by row")

    monkeypatch.setattr(importer, "_row_by_row", row_by_row)
    seen: list[str] = []
    folder = write_files(tmp_path, calendar=calendar_csv(), attendance=GOOD)
    outcome = run_attendance_import(
        source=FolderSource(folder),
        network=world["network"],
        dry_run=dry_run,
        through=TAKEN_THROUGH,
        on_stage=seen.append,
    )
    assert outcome.ok
    assert outcome.summary["events"] == 4
    assert outcome.summary["calendar_days"] == 44
    if dry_run:
        assert seen == ["check:calendar", "check:attendance", "check:records"]
        assert snapshot() == ([], [], [])
        return
    assert seen == list(importer.STAGES)
    assert outcome.summary["calendar_days_added"] == 44
    assert months(world["ana"]) == {
        dt.date(2026, 9, 1): (22, 1, 1, 0, 1, 0, 0),
        dt.date(2026, 10, 1): (22, 1, 0, 1, 0, 0, 0),
    }
    # A second run with one day changed: only that row is rewritten.
    before = {e.pk: e for e in AttendanceEvent.objects.all()}
    fix = attendance_csv(
        "s-ana,01M001,2026-09-01,In Attendance,", "s-ana,01M001,2026-09-02,Tardy,15"
    )
    assert run(write_files(tmp_path / "fix", attendance=fix), world).ok
    after = {e.pk: e for e in AttendanceEvent.objects.all()}
    assert set(after) == set(before)
    assert [pk for pk in after if after[pk].category != before[pk].category] == [
        AttendanceEvent.objects.get(student=world["ana"], date=dt.date(2026, 9, 1)).pk
    ]
    assert months(world["ana"])[dt.date(2026, 9, 1)] == (22, 0, 0, 0, 1, 0, 0)


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "import"])
def test_a_duplicate_of_a_stored_event_is_reported(world, tmp_path, dry_run):
    assert run(write_files(tmp_path / "a", calendar=calendar_csv(), attendance=GOOD), world).ok
    before = snapshot()
    twice = attendance_csv(
        "s-ana,01M001,2026-09-01,Tardy,", "s-ana,01M001,2026-09-01,Excused Absence,"
    )
    outcome = run(write_files(tmp_path / "b", attendance=twice), world, dry_run)
    assert [(e["row"], e["column"]) for e in outcome.errors] == [(3, "date")]
    assert snapshot() == before


def test_a_duplicate_is_reported_by_a_dry_run(world, tmp_path):
    twice = attendance_csv("s-ana,01M001,2026-09-03,Tardy,", "s-ana,01M001,2026-09-03,Tardy,")
    folder = write_files(tmp_path, calendar=calendar_csv(), attendance=twice)
    outcome = run(folder, world, dry_run=True)
    assert [(e["row"], e["column"]) for e in outcome.errors] == [(3, "date")]


def _setting(name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return cursor.fetchone()[0]


def _spy_on_writes(monkeypatch):
    seen: list[str] = []
    real = importer.sqlcheck.write

    def spy(cursor, **kwargs):
        seen.append(_setting("session_replication_role"))
        return real(cursor, **kwargs)

    monkeypatch.setattr(importer.sqlcheck, "write", spy)
    return seen


@pytest.mark.postgresql
def test_the_server_path_writes_without_row_triggers_and_turns_them_back_on(
    world, tmp_path, monkeypatch
):
    seen = _spy_on_writes(monkeypatch)
    assert run(write_files(tmp_path, calendar=calendar_csv(), attendance=GOOD), world).ok
    assert seen == ["replica"]  # the test runs as a superuser: the privilege is there
    assert _setting("session_replication_role") == "origin"
    assert AttendanceEvent.objects.count() == 4


@pytest.mark.postgresql
def test_without_the_privilege_the_server_path_runs_with_its_foreign_key_checks(
    world, tmp_path, monkeypatch
):
    role = f"attendance_no_privilege_{os.getpid()}"  # the test's transaction rolls it back
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role}")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
    seen = _spy_on_writes(monkeypatch)
    outcome = run(write_files(tmp_path, calendar=calendar_csv(), attendance=GOOD), world)
    assert outcome.ok, outcome.errors
    assert seen == ["origin"]
    assert AttendanceEvent.objects.count() == 4
