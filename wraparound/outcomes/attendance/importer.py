"""Check and write an attendance import (calendar.csv, attendance.csv, course_results.csv) for
one network.

Every row of every file is checked first and every problem is reported with its file, row and
column; then, unless it is a dry run or a problem was found, everything is written in one
transaction: calendar days are added (never deleted), events are upserted on (student, school,
date) — so the same files twice change nothing and a re-import may change a day's category —
course results are upserted on (student, school, school year, term, course), and the student ×
month summaries of the school-months touched are recomputed.

On PostgreSQL the server reads and checks calendar.csv and attendance.csv itself (`sqlcheck`:
COPY into temporary tables, set-based checks, `INSERT … SELECT`), in the transaction that then
writes them; when the SQL finds anything, that transaction is rolled back and the files are read
again row by row (below) to name every problem. Elsewhere (SQLite), and in that case, the rows
are read and checked in Python and held in memory between the check and the write."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from wraparound.core.bulk_writes import bulk_transaction
from wraparound.core.models import Network, School
from wraparound.students.models import Student, StudentEnrollment
from wraparound.students.oneroster.errors import MAX_ERRORS, ErrorList, RowError

from ..models import EDFI_LABELS, AttendanceCategory, AttendanceEvent, InstructionalDay
from . import courses, sqlcheck
from . import source as files
from .summaries import month_start, recompute_first_months, recompute_months

CALENDAR_COLUMNS = ("school_code", "date")
ATTENDANCE_COLUMNS = ("student_id", "school_code", "date", "category")
LOOKUP_CHUNK = 900
WRITE_BATCH = 2000
MAX_MINUTES = 24 * 60


@dataclass
class AttendanceOutcome:
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_count == 0


@dataclass(slots=True)
class _Event:
    row: int
    student: str
    school_id: int
    date: dt.date
    category: str
    minutes: int | None


def _rows(
    source: files.AttendanceSource, name: str, required: tuple[str, ...], errors: ErrorList
) -> Iterator[tuple[int, dict[str, int], list[str]]]:
    """(spreadsheet row, column positions, cells) for each data row; a file whose header lacks
    a required column yields nothing and reports the missing columns."""
    with source.open(name) as raw:
        # utf-8-sig drops a byte order mark; newline="" lets csv handle CRLF.
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        try:
            reader = csv.reader(text)
            header = next(reader, None)
            if header is None:
                errors.add(name, 0, "", _("The file is empty: it has no header row."))
                return
            positions: dict[str, int] = {}
            for i, title in enumerate(header):
                column = title.strip().lower()
                if column in positions:
                    errors.add(
                        name, 1, column, _("The column %(c)s appears twice.") % {"c": column}
                    )
                positions[column] = i
            missing = [c for c in required if c not in positions]
            for column in missing:
                errors.add(
                    name,
                    1,
                    column,
                    _("The required column %(c)s is missing from the header.") % {"c": column},
                )
            if missing or len(positions) < len(header):
                return
            for number, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) < len(header):
                    cells = cells + [""] * (len(header) - len(cells))
                yield number, positions, cells
        except UnicodeDecodeError:
            errors.add(
                name, 0, "", _("The file is not UTF-8 text (the problem is at or after this row).")
            )
        except csv.Error as error:
            errors.add(name, 0, "", _("The CSV is malformed: %(error)s") % {"error": error})


def _date(value: str) -> dt.date | None:
    """A YYYY-MM-DD date (Python 3.11's fromisoformat alone would also take 20260901 and
    2026-W36-2)."""
    value = value.strip()
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _read_calendar(
    source: files.AttendanceSource,
    schools: dict[str, int],
    errors: ErrorList,
) -> set[tuple[int, dt.date]]:
    days: set[tuple[int, dt.date]] = set()
    for number, pos, cells in _rows(source, files.CALENDAR, CALENDAR_COLUMNS, errors):
        code = cells[pos["school_code"]].strip()
        school_id = schools.get(code)
        if school_id is None:
            errors.add(
                files.CALENDAR,
                number,
                "school_code",
                _("No school has the code %(v)s.") % {"v": code},
            )
        day = _date(cells[pos["date"]])
        if day is None:
            errors.add(
                files.CALENDAR,
                number,
                "date",
                _("%(c)s %(v)s is not a date (YYYY-MM-DD).")
                % {"c": "date", "v": cells[pos["date"]]},
            )
        if school_id is not None and day is not None:
            days.add((school_id, day))
    return days


def _read_attendance(
    source: files.AttendanceSource, schools: dict[str, int], errors: ErrorList
) -> list[_Event]:
    events: list[_Event] = []
    name = files.ATTENDANCE
    for number, pos, cells in _rows(source, name, ATTENDANCE_COLUMNS, errors):
        good = True
        student = cells[pos["student_id"]].strip()
        if not student:
            errors.add(name, number, "student_id", _("%(c)s is required.") % {"c": "student_id"})
            good = False
        code = cells[pos["school_code"]].strip()
        school_id = schools.get(code)
        if school_id is None:
            errors.add(
                name, number, "school_code", _("No school has the code %(v)s.") % {"v": code}
            )
            good = False
        day = _date(cells[pos["date"]])
        if day is None:
            errors.add(
                name,
                number,
                "date",
                _("%(c)s %(v)s is not a date (YYYY-MM-DD).")
                % {"c": "date", "v": cells[pos["date"]]},
            )
            good = False
        label = cells[pos["category"]]
        category = EDFI_LABELS.get(label.strip().lower())
        if category is None:
            errors.add(
                name,
                number,
                "category",
                _("%(v)s is not an Ed-Fi attendance category (%(known)s).")
                % {"v": label, "known": ", ".join(_label_list())},
            )
            good = False
        minutes: int | None = None
        if "minutes" in pos and cells[pos["minutes"]].strip():
            raw = cells[pos["minutes"]].strip()
            try:
                minutes = int(raw)
            except ValueError:
                minutes = -1
            if not 0 <= minutes <= MAX_MINUTES:
                errors.add(
                    name,
                    number,
                    "minutes",
                    _("minutes must be a whole number from 0 to %(max)d, not %(v)s.")
                    % {"max": MAX_MINUTES, "v": raw},
                )
                good = False
        if good:
            assert school_id is not None and day is not None and category is not None
            events.append(_Event(number, student, school_id, day, category, minutes))
    return events


def _label_list() -> list[str]:
    return [str(label) for label in AttendanceCategory.labels]


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(items), LOOKUP_CHUNK):
        yield items[i : i + LOOKUP_CHUNK]


def _check_events(
    events: list[_Event],
    network: Network,
    calendar_days: set[tuple[int, dt.date]],
    errors: ErrorList,
) -> list[tuple[int, _Event]]:
    """The events whose student, day and enrollment check out, with the student's id."""
    name = files.ATTENDANCE
    sourced = sorted({e.student for e in events})
    students: dict[str, int] = {}
    for chunk in _chunks(sourced):
        students.update(
            Student.objects.filter(network=network, sourced_id__in=chunk).values_list(
                "sourced_id", "pk"
            )
        )
    enrollments: dict[tuple[int, int], list[tuple[dt.date | None, dt.date | None]]] = {}
    for chunk in _chunks(sorted(set(students.values()))):
        for pk, school_id, begin, end in StudentEnrollment.objects.filter(
            student_id__in=chunk
        ).values_list("student_id", "school_id", "begin_date", "end_date"):
            enrollments.setdefault((pk, school_id), []).append((begin, end))
    days = set(calendar_days)
    if events:
        school_ids = sorted({e.school_id for e in events})
        first = min(e.date for e in events)
        last = max(e.date for e in events)
        for chunk in _chunks(school_ids):
            days.update(
                InstructionalDay.objects.filter(
                    school_id__in=chunk, date__gte=first, date__lte=last
                ).values_list("school_id", "date")
            )
    seen: dict[tuple[str, int, dt.date], int] = {}
    checked: list[tuple[int, _Event]] = []
    for event in events:
        key = (event.student, event.school_id, event.date)
        if key in seen:
            errors.add(
                name,
                event.row,
                "date",
                _("Duplicate of row %(row)d (same student, school and date).") % {"row": seen[key]},
            )
            continue
        seen[key] = event.row
        student_id = students.get(event.student)
        if student_id is None:
            errors.add(
                name,
                event.row,
                "student_id",
                _("No student has sourcedId %(id)s.") % {"id": event.student},
            )
            continue
        if (event.school_id, event.date) not in days:
            errors.add(
                name,
                event.row,
                "date",
                _("%(date)s is not an instructional day of this school.")
                % {"date": event.date.isoformat()},
            )
            continue
        spans = enrollments.get((student_id, event.school_id), [])
        if not any(
            (begin is None or begin <= event.date) and (end is None or event.date <= end)
            for begin, end in spans
        ):
            errors.add(
                name,
                event.row,
                "student_id",
                _("The student is not enrolled at this school on %(date)s.")
                % {"date": event.date.isoformat()},
            )
            continue
        checked.append((student_id, event))
    return checked


# The steps an import reports to `on_stage`, in order (the page shows "step n of N").
STAGES = ("check:calendar", "check:attendance", "check:records", "write")

Stage = Callable[[str], object]


class _Checked(Exception):
    """Rolls a dry run's transaction back once the SQL has checked the files."""

    def __init__(self, summary: dict[str, Any]) -> None:
        self.summary = summary


def run_attendance_import(
    *,
    source: files.AttendanceSource,
    network: Network,
    dry_run: bool,
    through: dt.date,
    on_stage: Stage | None = None,
) -> AttendanceOutcome:
    """Check `source` and, unless `dry_run` or a problem was found, write it all at once.
    `through` is the last day the files cover: the summaries count instructional days up to it
    (`summaries.recompute_months`). `on_stage` is told each step of `STAGES` as it starts (on
    PostgreSQL from inside the import's transaction: the caller makes it visible)."""

    def stage(name: str) -> None:
        if on_stage is not None:
            on_stage(name)

    if not source.names & {files.CALENDAR, files.ATTENDANCE, files.COURSE_RESULTS}:
        errors = ErrorList(cap=MAX_ERRORS)
        errors.add(
            files.ATTENDANCE,
            0,
            "",
            _("None of calendar.csv, attendance.csv and course_results.csv was found."),
        )
        return AttendanceOutcome(errors.items, errors.count, {})
    if connection.vendor == "postgresql":
        outcome = _postgres(
            source=source, network=network, dry_run=dry_run, through=through, stage=stage
        )
        if outcome is not None:
            return outcome
    return _row_by_row(
        source=source, network=network, dry_run=dry_run, through=through, stage=stage
    )


def _read_courses(
    source: files.AttendanceSource,
    schools: dict[str, int],
    network: Network,
    errors: ErrorList,
) -> list[tuple[int, courses.CourseRow]]:
    if files.COURSE_RESULTS not in source.names:
        return []
    rows = _rows(source, files.COURSE_RESULTS, courses.REQUIRED, errors)
    return courses.read_course_results(rows, schools, network, errors)


def _postgres(
    *,
    source: files.AttendanceSource,
    network: Network,
    dry_run: bool,
    through: dt.date,
    stage: Stage,
) -> AttendanceOutcome | None:
    """The PostgreSQL path; None when the files must be read row by row (they have problems,
    or may have)."""
    schools = dict(School.objects.filter(network=network).values_list("code", "pk"))
    summary: dict[str, Any] = {}
    try:
        with transaction.atomic(), connection.cursor() as wrapper:
            cursor = wrapper.cursor
            settings = (
                contextlib.nullcontext()
                if dry_run
                else bulk_transaction(wrapper, network.pk, [Student._meta.db_table])
            )
            with settings:
                loaded = sqlcheck.load_and_check(
                    cursor, source=source, network_id=network.pk, stage=stage, dry_run=dry_run
                )
                errors = ErrorList(cap=MAX_ERRORS)
                course_rows = _read_courses(source, schools, network, errors)
                if errors:
                    raise sqlcheck.Unclean
                summary["calendar_days"] = loaded.calendar_days
                summary["events"] = loaded.events
                if files.COURSE_RESULTS in source.names:
                    summary["course_results"] = len(course_rows)
                if dry_run:
                    raise _Checked(summary)
                stage("write")
                added, scope = sqlcheck.write(
                    cursor,
                    source=source,
                    network_id=network.pk,
                    loaded=loaded,
                    through=through,
                )
                courses.write_course_results(course_rows, network)
                summary["calendar_days_added"] = added
                # A first import counted its events as it wrote them (`sqlcheck.write`).
                summary["months_recomputed"] = (
                    recompute_first_months(scope, through=through, counted=sqlcheck.COUNTED)
                    if loaded.first
                    else recompute_months(scope, through=through)
                )
                sqlcheck.drop_tables(cursor)
    except sqlcheck.Unclean:
        return None
    except _Checked as done:
        summary = done.summary
    return AttendanceOutcome([], 0, summary)


def _row_by_row(
    *,
    source: files.AttendanceSource,
    network: Network,
    dry_run: bool,
    through: dt.date,
    stage: Stage,
) -> AttendanceOutcome:
    errors = ErrorList(cap=MAX_ERRORS)
    summary: dict[str, Any] = {}
    schools = dict(School.objects.filter(network=network).values_list("code", "pk"))
    calendar_days: set[tuple[int, dt.date]] = set()
    if files.CALENDAR in source.names:
        stage("check:calendar")
        calendar_days = _read_calendar(source, schools, errors)
    events: list[_Event] = []
    if files.ATTENDANCE in source.names:
        stage("check:attendance")
        events = _read_attendance(source, schools, errors)
    stage("check:records")
    checked = _check_events(events, network, calendar_days, errors)
    course_rows = _read_courses(source, schools, network, errors)
    summary["calendar_days"] = len(calendar_days)
    summary["events"] = len(checked)
    if files.COURSE_RESULTS in source.names:
        summary["course_results"] = len(course_rows)
    if errors or dry_run:
        return AttendanceOutcome(errors.items, errors.count, summary)
    stage("write")
    with transaction.atomic():
        new_days = _new_days(calendar_days)
        InstructionalDay.objects.bulk_create(
            [InstructionalDay(network=network, school_id=s, date=d) for s, d in sorted(new_days)],
            batch_size=WRITE_BATCH,
            ignore_conflicts=True,
        )
        AttendanceEvent.objects.bulk_create(
            [
                AttendanceEvent(
                    network=network,
                    student_id=student_id,
                    school_id=e.school_id,
                    date=e.date,
                    category=e.category,
                    minutes=e.minutes,
                )
                for student_id, e in checked
            ],
            batch_size=WRITE_BATCH,
            update_conflicts=True,
            unique_fields=["student", "school", "date"],
            update_fields=["category", "minutes"],
        )
        courses.write_course_results(course_rows, network)
        scope = {(s, month_start(d)) for s, d in new_days}
        scope.update((e.school_id, month_start(e.date)) for __, e in checked)
        summary["calendar_days_added"] = len(new_days)
        summary["months_recomputed"] = recompute_months(scope, through=through)
    return AttendanceOutcome(errors.items, errors.count, summary)


def _new_days(days: set[tuple[int, dt.date]]) -> set[tuple[int, dt.date]]:
    """The calendar days not yet recorded."""
    if not days:
        return set()
    first = min(d for __, d in days)
    last = max(d for __, d in days)
    existing: set[tuple[int, dt.date]] = set()
    for chunk in _chunks(sorted({s for s, __ in days})):
        existing.update(
            InstructionalDay.objects.filter(
                school_id__in=chunk, date__gte=first, date__lte=last
            ).values_list("school_id", "date")
        )
    return days - existing
