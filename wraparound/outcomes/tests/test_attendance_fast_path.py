"""The PostgreSQL import's first-import path (`sqlcheck._insert_first_events`): when no event
is stored in the months attendance.csv covers, the events are typed, checked and inserted by
one statement and counted for the summaries as they are written. It must write exactly what
the row-by-row reader writes, name the same errors and write nothing when a row is bad."""

from __future__ import annotations

import datetime as dt

import pytest

from wraparound.core.tests.factories import SchoolFactory
from wraparound.students.tests.factories import StudentFactory

from ..attendance import importer, sqlcheck
from ..attendance.importer import run_attendance_import
from ..attendance.source import FolderSource
from ..models import AttendanceEvent, AttendanceMonth, InstructionalDay
from .factories import TAKEN_THROUGH, EnrollmentFactory, weekdays, write_files

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

SEPT = weekdays(dt.date(2026, 9, 1), 22)
OCT = weekdays(dt.date(2026, 10, 1), 22)


@pytest.fixture
def world():
    school = SchoolFactory(code="01M001")
    other = SchoolFactory(code="01M002", network=school.network, community=school.community)
    ana = StudentFactory(school=school, sourced_id="s-ana")
    ben = StudentFactory(school=school, sourced_id="s-ben")
    cy = StudentFactory(school=other, sourced_id="s-cy")
    EnrollmentFactory(student=ana, school=school)
    # Ben joins on October 1st; Cy is at the other school, and at the first one too from
    # September 15th to October 9th.
    EnrollmentFactory(student=ben, school=school, begin_date=dt.date(2026, 10, 1))
    EnrollmentFactory(student=cy, school=other)
    EnrollmentFactory(
        student=cy, school=school, begin_date=dt.date(2026, 9, 15), end_date=dt.date(2026, 10, 9)
    )
    return {"network": school.network, "ana": ana, "ben": ben, "cy": cy}


def calendar_csv():
    return "school_code,date\n" + "".join(
        f"{code},{d.isoformat()}\n" for code in ("01M001", "01M002") for d in SEPT + OCT
    )


def attendance_csv(*rows):
    return "student_id,school_code,date,category,minutes\n" + "".join(f"{r}\n" for r in rows)


GOOD = attendance_csv(
    "s-ana,01M001,2026-09-01,Excused Absence,",
    "s-ana,01M001,2026-09-02,Tardy,15",
    "s-ana,01M001,2026-09-03,In Attendance,",
    "s-ana,01M001,2026-10-01,Unexcused Absence,",
    "s-ana,01M001,2026-10-20,Early departure,30",
    "s-ben,01M001,2026-10-02,Partial,120",
    "s-cy,01M001,2026-09-16,Unexcused Absence,",
    "s-cy,01M001,2026-10-09,Excused Absence,",
    "s-cy,01M002,2026-09-01, unexcused absence ,",
    "s-cy,01M002,2026-10-30,Tardy,0",
)


def run(folder, world, through=TAKEN_THROUGH, dry_run=False):
    return run_attendance_import(
        source=FolderSource(folder), network=world["network"], dry_run=dry_run, through=through
    )


def state():
    """Everything the import writes, ids left out (they differ between two runs)."""
    return (
        sorted(
            AttendanceEvent.objects.values_list(
                "network_id", "student_id", "school_id", "date", "category", "minutes"
            )
        ),
        sorted(InstructionalDay.objects.values_list("network_id", "school_id", "date")),
        sorted(
            AttendanceMonth.objects.values_list(
                "network_id",
                "student_id",
                "school_id",
                "month",
                "enrolled_days",
                "absent_days",
                "excused_days",
                "unexcused_days",
                "tardies",
                "early_departures",
                "partial_days",
            )
        ),
    )


def wipe():
    AttendanceMonth.objects.all().delete()
    AttendanceEvent.objects.all().delete()
    InstructionalDay.objects.all().delete()


@pytest.fixture
def first_inserts(monkeypatch):
    """How often the first-import statement ran."""
    calls: list[bool] = []
    real = sqlcheck._insert_first_events

    def spy(*args, **kwargs):
        calls.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(sqlcheck, "_insert_first_events", spy)
    return calls


def row_by_row_only(monkeypatch):
    monkeypatch.setattr(importer, "_postgres", lambda **kwargs: None)


@pytest.mark.parametrize(
    "through", [TAKEN_THROUGH, dt.date(2026, 10, 9)], ids=["all-days", "mid-october"]
)
def test_a_first_import_writes_what_the_reader_writes(
    world, tmp_path, monkeypatch, first_inserts, through
):
    folder = write_files(tmp_path, calendar=calendar_csv(), attendance=GOOD)
    outcome = run(folder, world, through)
    assert outcome.ok, outcome.errors
    assert first_inserts == [True]
    fast = state()
    assert len(fast[0]) == 10
    assert outcome.summary["months_recomputed"] == 4
    # A re-import of the same files finds the stored events (not a first import) and
    # rewrites nothing.
    ids = sorted(AttendanceEvent.objects.values_list("id", flat=True))
    months = sorted(AttendanceMonth.objects.values_list("id", flat=True))
    again = run(folder, world, through)
    assert again.ok and first_inserts == [True]
    assert state() == fast
    assert sorted(AttendanceEvent.objects.values_list("id", flat=True)) == ids
    assert sorted(AttendanceMonth.objects.values_list("id", flat=True)) == months
    wipe()
    row_by_row_only(monkeypatch)
    slow = run(folder, world, through)
    assert slow.ok
    assert state() == fast
    assert slow.summary["months_recomputed"] == outcome.summary["months_recomputed"]


def test_a_later_month_is_a_first_import_and_sums_as_the_reader_does(
    world, tmp_path, monkeypatch, first_inserts
):
    september = attendance_csv(*GOOD.splitlines()[1:4])
    october = attendance_csv(*GOOD.splitlines()[4:7])
    assert run(write_files(tmp_path / "c", calendar=calendar_csv()), world).ok
    assert run(write_files(tmp_path / "s", attendance=september), world).ok
    assert run(write_files(tmp_path / "o", attendance=october), world).ok
    assert first_inserts == [True, True]
    fast = state()
    wipe()
    row_by_row_only(monkeypatch)
    for name in ("c", "s", "o"):
        assert run(tmp_path / name, world).ok
    assert state() == fast


def test_a_stored_event_in_the_same_month_takes_the_usual_path(world, tmp_path, first_inserts):
    one = attendance_csv("s-ana,01M001,2026-09-01,Tardy,")
    assert run(write_files(tmp_path / "a", calendar=calendar_csv(), attendance=one), world).ok
    other = attendance_csv("s-ana,01M001,2026-09-30,Tardy,")
    assert run(write_files(tmp_path / "b", attendance=other), world).ok
    assert first_inserts == [True]
    assert AttendanceMonth.objects.get(month=dt.date(2026, 9, 1), student=world["ana"]).tardies == 2


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("s-ben,01M001,2026-09-01,Tardy,", "student_id"),  # not enrolled yet
        ("s-nobody,01M001,2026-09-01,Tardy,", "student_id"),
        ("s-ana,01M001,2026-09-05,Tardy,", "date"),  # a Saturday
        ("s-ana,01M001,2026-09-04,Tardy,1441", "minutes"),
        ("s-ana,01M001,2026-09-04,Sick,", "category"),
        ("s-ana,01M001,2026-09-01,Tardy,", "date"),  # twice in the file
    ],
)
def test_one_bad_row_is_named_and_nothing_is_written(world, tmp_path, first_inserts, row, column):
    text = GOOD + row + "\n"
    outcome = run(write_files(tmp_path, calendar=calendar_csv(), attendance=text), world)
    assert [(e["row"], e["column"]) for e in outcome.errors] == [(12, column)]
    # A label that is no category is seen among the file's spellings, before any insert.
    assert first_inserts == ([] if column == "category" else [True])
    assert state() == ([], [], [])


@pytest.fixture
def statements(monkeypatch):
    """Which first-import statements ran: on cells as they are, or trimmed."""
    ran: list[str] = []
    real = sqlcheck._first_events_sql

    def spy(columns, trimmed):
        ran.append("trimmed" if trimmed else "as is")
        return real(columns, trimmed)

    monkeypatch.setattr(sqlcheck, "_first_events_sql", spy)
    return ran


def test_padded_cells_are_trimmed_as_the_reader_strips_them(
    world, tmp_path, monkeypatch, statements
):
    """The first statement matches cells as they are; a padded one falls short, and the
    statement runs again on trimmed cells — still in SQL, writing what the reader writes."""
    padded = attendance_csv(
        *GOOD.splitlines()[1:6],
        " s-ben ,01M001,2026-10-02,Partial, 120",
        "s-cy,\t01M001,2026-09-16 ,Unexcused Absence,",
        *GOOD.splitlines()[8:],
    )
    readers: list[bool] = []
    real_reader = importer._row_by_row

    def reader(**kwargs):
        readers.append(True)
        return real_reader(**kwargs)

    monkeypatch.setattr(importer, "_row_by_row", reader)
    folder = write_files(tmp_path, calendar=calendar_csv(), attendance=padded)
    outcome = run(folder, world)
    assert outcome.ok, outcome.errors
    assert statements == ["as is", "trimmed"]
    assert readers == []
    fast = state()
    assert len(fast[0]) == 10
    wipe()
    row_by_row_only(monkeypatch)
    assert run(folder, world).ok
    assert state() == fast


def test_clean_cells_are_matched_once(world, tmp_path, statements):
    assert run(write_files(tmp_path, calendar=calendar_csv(), attendance=GOOD), world).ok
    assert statements == ["as is"]


def test_a_bad_row_is_looked_for_in_trimmed_cells_before_the_reader(world, tmp_path, statements):
    text = GOOD + "s-nobody,01M001,2026-09-01,Tardy,\n"
    outcome = run(write_files(tmp_path, calendar=calendar_csv(), attendance=text), world)
    assert [(e["row"], e["column"]) for e in outcome.errors] == [(12, "student_id")]
    assert statements == ["as is", "trimmed"]
    assert state() == ([], [], [])
