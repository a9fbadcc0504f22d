"""course_results.csv: a student's credits and grade in one course in one term.

Columns: student_id (the OneRoster sourcedId), school_code, school_year (the calendar year in
which the school year ends), term, course_code — required — and course_title,
credits_attempted, credits_earned (decimals, up to 999.99, two decimals; may be empty) and
grade (free text, up to 16 characters), which may be empty or left out.

`passed` is decided here: when credits were attempted (> 0) and credits earned are given, the
course is passed when some were earned; otherwise a grade is passed unless it is a failing mark
(F, NP, NC, U, FAIL, E, in any case); with neither credits nor a grade it is unknown (None).

Rows are matched on (student, school, school_year, term, course_code): the same file twice
changes nothing, a corrected file replaces a row. Course results are few (a student has a dozen
a year) next to attendance events: one path, in Python, on every database."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from wraparound.core.models import Network
from wraparound.students.models import Student
from wraparound.students.oneroster.errors import ErrorList

from ..models import CourseResult
from . import source as files

REQUIRED = ("student_id", "school_code", "school_year", "term", "course_code")
FAILING = frozenset({"F", "NP", "NC", "U", "FAIL", "E"})
CREDITS = re.compile(r"^(\d{1,3}(\.\d{0,2})?|\.\d{1,2})$")
YEAR = re.compile(r"^\d{4}$")
FIRST_YEAR, LAST_YEAR = 1900, 2100
LIMITS = {"term": 64, "course_code": 64, "course_title": 200, "grade": 16}
LOOKUP_CHUNK = 900
WRITE_BATCH = 2000


@dataclass(slots=True)
class CourseRow:
    row: int
    student: str
    school_id: int
    school_year: int
    term: str
    course_code: str
    course_title: str
    credits_attempted: Decimal | None
    credits_earned: Decimal | None
    grade: str

    @property
    def passed(self) -> bool | None:
        return passed(self.credits_attempted, self.credits_earned, self.grade)


def passed(attempted: Decimal | None, earned: Decimal | None, grade: str) -> bool | None:
    """Credits earned when credits were attempted; else a grade that is not a failing mark;
    else unknown."""
    if attempted is not None and attempted > 0 and earned is not None:
        return earned > 0
    if grade.strip():
        return grade.strip().upper() not in FAILING
    return None


def _credits(value: str) -> Decimal | None:
    return Decimal(value) if CREDITS.match(value) else None


class _Row:
    """One data row being checked: its trimmed cells, and its problems (into `errors`)."""

    def __init__(
        self, number: int, pos: dict[str, int], cells: list[str], errors: ErrorList
    ) -> None:
        self.number, self.pos, self.cells, self.errors = number, pos, cells, errors
        self.good = True

    def cell(self, column: str) -> str:
        return self.cells[self.pos[column]].strip() if column in self.pos else ""

    def bad(self, column: str, message: str) -> None:
        self.errors.add(files.COURSE_RESULTS, self.number, column, message)
        self.good = False


def read_course_results(
    rows: Iterable[tuple[int, dict[str, int], list[str]]],
    schools: dict[str, int],
    network: Network,
    errors: ErrorList,
) -> list[tuple[int, CourseRow]]:
    """The checked rows of course_results.csv, with the student's id; every problem in
    `errors`. `rows` are the reader's (row number, column positions, cells)."""
    parsed: list[CourseRow] = []
    for number, pos, cells in rows:
        row = _Row(number, pos, cells, errors)
        for column in REQUIRED:
            if not row.cell(column):
                row.bad(column, _("%(c)s is required.") % {"c": column})
        code = row.cell("school_code")
        school_id = schools.get(code)
        if code and school_id is None:
            row.bad("school_code", _("No school has the code %(v)s.") % {"v": code})
        year = row.cell("school_year")
        if year and not (YEAR.match(year) and FIRST_YEAR <= int(year) <= LAST_YEAR):
            row.bad(
                "school_year",
                _("school_year must be a year (the one in which the school year ends), not %(v)s.")
                % {"v": year},
            )
        for column, limit in LIMITS.items():
            if len(row.cell(column)) > limit:
                row.bad(
                    column,
                    _("%(c)s is longer than %(n)d characters.") % {"c": column, "n": limit},
                )
        amounts: dict[str, Decimal | None] = {}
        for column in ("credits_attempted", "credits_earned"):
            value = row.cell(column)
            amounts[column] = _credits(value) if value else None
            if value and amounts[column] is None:
                row.bad(
                    column,
                    _(
                        "%(c)s must be a number of credits from 0 to 999.99 (two decimals at "
                        "most), not %(v)s."
                    )
                    % {"c": column, "v": value},
                )
        if row.good:
            assert school_id is not None
            parsed.append(
                CourseRow(
                    row=number,
                    student=row.cell("student_id"),
                    school_id=school_id,
                    school_year=int(year),
                    term=row.cell("term"),
                    course_code=row.cell("course_code"),
                    course_title=row.cell("course_title"),
                    credits_attempted=amounts["credits_attempted"],
                    credits_earned=amounts["credits_earned"],
                    grade=row.cell("grade"),
                )
            )
    return _check_references(parsed, network, errors)


def _check_references(
    parsed: list[CourseRow], network: Network, errors: ErrorList
) -> list[tuple[int, CourseRow]]:
    name = files.COURSE_RESULTS
    sourced = sorted({r.student for r in parsed})
    students: dict[str, int] = {}
    for i in range(0, len(sourced), LOOKUP_CHUNK):
        students.update(
            Student.objects.filter(
                network=network, sourced_id__in=sourced[i : i + LOOKUP_CHUNK]
            ).values_list("sourced_id", "pk")
        )
    seen: dict[tuple[str, int, int, str, str], int] = {}
    checked: list[tuple[int, CourseRow]] = []
    for r in parsed:
        key = (r.student, r.school_id, r.school_year, r.term, r.course_code)
        if key in seen:
            errors.add(
                name,
                r.row,
                "course_code",
                _("Duplicate of row %(row)d (same student, school, school year, term and course).")
                % {"row": seen[key]},
            )
            continue
        seen[key] = r.row
        student_id = students.get(r.student)
        if student_id is None:
            errors.add(
                name,
                r.row,
                "student_id",
                _("No student has sourcedId %(id)s.") % {"id": r.student},
            )
            continue
        checked.append((student_id, r))
    return checked


def write_course_results(checked: list[tuple[int, CourseRow]], network: Network) -> int:
    """Upsert the rows on (student, school, school_year, term, course_code), inside the
    caller's transaction."""
    CourseResult.objects.bulk_create(
        [
            CourseResult(
                network=network,
                student_id=student_id,
                school_id=r.school_id,
                school_year=r.school_year,
                term=r.term,
                course_code=r.course_code,
                course_title=r.course_title,
                credits_attempted=r.credits_attempted,
                credits_earned=r.credits_earned,
                grade=r.grade,
                passed=r.passed,
            )
            for student_id, r in checked
        ],
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["student", "school", "school_year", "term", "course_code"],
        update_fields=[
            "course_title",
            "credits_attempted",
            "credits_earned",
            "grade",
            "passed",
        ],
    )
    return len(checked)
