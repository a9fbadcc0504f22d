"""course_results.csv: the pass rules, every problem reported by file, row and column with
nothing written (attendance included), idempotent re-import, dry run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from wraparound.core.tests.factories import SchoolFactory
from wraparound.students.tests.factories import StudentFactory

from ..attendance.courses import passed
from ..attendance.importer import run_attendance_import
from ..attendance.source import FolderSource
from ..models import AttendanceEvent, CourseResult
from .factories import TAKEN_THROUGH, EnrollmentFactory, weekdays, write_files

pytestmark = pytest.mark.django_db

HEADER = (
    "student_id,school_code,school_year,term,course_code,course_title,credits_attempted,"
    "credits_earned,grade\n"
)


def courses_csv(*rows: str) -> str:
    return HEADER + "".join(f"{r}\n" for r in rows)


GOOD = courses_csv(
    "s-ana,09X100,2027,Fall,ENG9,English 9,1.0,1.0,B+",
    "s-ana,09X100,2027,Fall,ALG1,Algebra I,1,0,F",
    "s-ana,09X100,2027,Fall,ART,Studio Art,,,P",
    "s-ana,09X100,2027,Fall,PE,Physical Education,,,nc",
    "s-ben,09X100,2027,Fall,ENG9,English 9,,,",
)


@pytest.fixture
def world():
    school = SchoolFactory(code="09X100")
    ana = StudentFactory(school=school, sourced_id="s-ana")
    ben = StudentFactory(school=school, sourced_id="s-ben")
    for student in (ana, ben):
        EnrollmentFactory(student=student, school=school)
    return {"school": school, "network": school.network, "ana": ana, "ben": ben}


def run(folder, world, dry_run=False):
    return run_attendance_import(
        source=FolderSource(folder),
        network=world["network"],
        dry_run=dry_run,
        through=TAKEN_THROUGH,
    )


def results():
    return sorted(
        CourseResult.objects.values_list(
            "id",
            "student__sourced_id",
            "school_year",
            "term",
            "course_code",
            "course_title",
            "credits_attempted",
            "credits_earned",
            "grade",
            "passed",
        )
    )


@pytest.mark.parametrize(
    ("attempted", "earned", "grade", "expected"),
    [
        ("1", "1", "", True),
        ("1", "0.5", "D", True),
        ("1", "0", "", False),
        ("1", "0", "A", False),  # credits decide when attempted
        ("0", "0", "A", True),  # nothing attempted: the grade decides
        ("0", None, "", None),
        ("1", None, "C", True),  # attempted, no credits earned given: the grade decides
        (None, None, "F", False),
        (None, None, "fail", False),
        (None, None, " np ", False),
        (None, None, "NC", False),
        (None, None, "u", False),
        (None, None, "E", False),
        (None, None, "P", True),
        (None, None, "65", True),
        (None, None, "", None),
    ],
    ids=[
        "earned",
        "partly-earned",
        "none-earned",
        "credits-over-grade",
        "zero-attempted-grade",
        "zero-attempted-nothing",
        "attempted-no-earned-grade",
        "F",
        "fail-lower",
        "np-padded",
        "NC",
        "u-lower",
        "E",
        "P",
        "numeric-grade",
        "nothing",
    ],
)
def test_pass_rules(attempted, earned, grade, expected):
    def amount(value):
        return None if value is None else Decimal(value)

    assert passed(amount(attempted), amount(earned), grade) is expected


def test_imports_course_results_with_their_pass_decision(world, tmp_path):
    outcome = run(write_files(tmp_path, course_results=GOOD), world)
    assert outcome.ok, outcome.errors
    assert outcome.summary["course_results"] == 5
    by_course = {
        (r.student.sourced_id, r.course_code): r
        for r in CourseResult.objects.select_related("student")
    }
    english = by_course[("s-ana", "ENG9")]
    assert (english.school_year, english.term, english.course_title) == (2027, "Fall", "English 9")
    assert (english.credits_attempted, english.credits_earned, english.grade) == (
        Decimal("1.00"),
        Decimal("1.00"),
        "B+",
    )
    assert english.network == world["network"]
    assert {k: r.passed for k, r in by_course.items()} == {
        ("s-ana", "ENG9"): True,
        ("s-ana", "ALG1"): False,
        ("s-ana", "ART"): True,
        ("s-ana", "PE"): False,
        ("s-ben", "ENG9"): None,
    }


def test_optional_columns_may_be_left_out(world, tmp_path):
    text = "student_id,school_code,school_year,term,course_code\ns-ana,09X100,2027,S1,BIO\n"
    assert run(write_files(tmp_path, course_results=text), world).ok
    result = CourseResult.objects.get()
    assert (result.grade, result.credits_attempted, result.passed) == ("", None, None)


def test_same_file_twice_changes_nothing_and_a_correction_replaces_the_row(world, tmp_path):
    folder = write_files(tmp_path / "a", course_results=GOOD)
    assert run(folder, world).ok
    before = results()
    assert run(folder, world).ok
    assert results() == before
    fix = courses_csv("s-ana,09X100,2027,Fall,ALG1,Algebra I,1,1,D")
    assert run(write_files(tmp_path / "b", course_results=fix), world).ok
    after = {r[4]: r for r in results() if r[1] == "s-ana"}
    assert after["ALG1"][0] == {r[4]: r for r in before if r[1] == "s-ana"}["ALG1"][0]
    assert after["ALG1"][-2:] == ("D", True)
    assert CourseResult.objects.count() == 5


def test_dry_run_writes_nothing(world, tmp_path):
    outcome = run(write_files(tmp_path, course_results=GOOD), world, dry_run=True)
    assert outcome.ok
    assert outcome.summary["course_results"] == 5
    assert not CourseResult.objects.exists()


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (",09X100,2027,Fall,ENG9,,,,", ("student_id",)),
        ("s-ana,09X100,2027,,ENG9,,,,", ("term",)),
        ("s-ana,09X100,2027,Fall,,,,,", ("course_code",)),
        ("s-zed,09X100,2027,Fall,ENG9,,,,", ("student_id",)),
        ("s-ana,99Z999,2027,Fall,ENG9,,,,", ("school_code",)),
        ("s-ana,09X100,2026-27,Fall,ENG9,,,,", ("school_year",)),
        ("s-ana,09X100,27,Fall,ENG9,,,,", ("school_year",)),
        ("s-ana,09X100,2027,Fall,ENG9,,one,,", ("credits_attempted",)),
        ("s-ana,09X100,2027,Fall,ENG9,,-1,,", ("credits_attempted",)),
        ("s-ana,09X100,2027,Fall,ENG9,,1,0.125,", ("credits_earned",)),
        ("s-ana,09X100,2027,Fall,ENG9,,1,1000,", ("credits_earned",)),
        ("s-ana,09X100,2027,Fall,ENG9,,,," + "A" * 17, ("grade",)),
        ("s-ana,09X100,2027,Fall," + "C" * 65 + ",,,,", ("course_code",)),
        ("s-ana,09X100,nope,Fall,ENG9,,x,,", ("school_year", "credits_attempted")),
    ],
    ids=[
        "no-student",
        "no-term",
        "no-course",
        "unknown-student",
        "unknown-school",
        "year-range",
        "two-digit-year",
        "credits-text",
        "credits-negative",
        "credits-three-decimals",
        "credits-too-large",
        "grade-too-long",
        "course-code-too-long",
        "two-problems",
    ],
)
def test_bad_rows_are_reported_where_they_are_and_nothing_is_written(
    world, tmp_path, row, expected
):
    day = weekdays(dt.date(2026, 9, 1), 1)[0].isoformat()
    folder = write_files(
        tmp_path,
        calendar=f"school_code,date\n09X100,{day}\n",
        attendance=f"student_id,school_code,date,category\ns-ana,09X100,{day},Tardy\n",
        course_results=courses_csv("s-ben,09X100,2027,Fall,ENG9,,,,", row),
    )
    outcome = run(folder, world)
    assert not outcome.ok
    found = [(e["file"], e["row"], e["column"]) for e in outcome.errors]
    assert found == [("course_results.csv", 3, column) for column in expected], outcome.errors
    assert all(e["message"] for e in outcome.errors)
    assert not CourseResult.objects.exists()
    assert not AttendanceEvent.objects.exists()


def test_a_duplicate_names_the_first_row(world, tmp_path):
    text = courses_csv("s-ana,09X100,2027,Fall,ENG9,,,,A", "s-ana,09X100,2027,Fall,ENG9,,,,B")
    outcome = run(write_files(tmp_path, course_results=text), world)
    assert [(e["row"], e["column"]) for e in outcome.errors] == [(3, "course_code")]
    assert "row 2" in outcome.errors[0]["message"]


def test_a_missing_column_is_reported_in_the_header(world, tmp_path):
    text = "student_id,school_code,term,course_code\ns-ana,09X100,Fall,ENG9\n"
    outcome = run(write_files(tmp_path, course_results=text), world)
    assert [(e["file"], e["row"], e["column"]) for e in outcome.errors] == [
        ("course_results.csv", 1, "school_year")
    ]


def test_students_of_another_network_are_unknown(world, tmp_path):
    StudentFactory(sourced_id="s-far")
    text = courses_csv("s-far,09X100,2027,Fall,ENG9,,,,A")
    outcome = run(write_files(tmp_path, course_results=text), world)
    assert [(e["row"], e["column"]) for e in outcome.errors] == [(2, "student_id")]
