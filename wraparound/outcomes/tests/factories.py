"""Factories and small builders for the outcomes tests (the shared factories have no
enrollment or calendar)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any, cast

import factory

from wraparound.core.models import School
from wraparound.core.tests.factories import SchoolFactory
from wraparound.students.models import StudentEnrollment
from wraparound.students.tests.factories import StudentFactory

from ..models import AttendanceEvent, InstructionalDay

# The last day the tests' attendance covers, when they call the importer or the summaries
# directly: every day they name has been taken.
TAKEN_THROUGH = dt.date(2099, 12, 31)


class EnrollmentFactory(factory.django.DjangoModelFactory[StudentEnrollment]):
    class Meta:
        model = StudentEnrollment

    student = factory.SubFactory(StudentFactory)
    school = factory.SelfAttribute("student.school")
    network = factory.SelfAttribute("student.network")
    sourced_id = factory.Sequence(lambda n: f"enr-{n:06d}")
    begin_date = None
    end_date = None


def make_school(**kwargs: Any) -> School:
    """A school, typed as one (factory_boy's stubs type a factory call as the factory)."""
    return cast(School, SchoolFactory(**kwargs))


def make_enrollment(**kwargs: Any) -> StudentEnrollment:
    return cast(StudentEnrollment, EnrollmentFactory(**kwargs))


def weekdays(start: dt.date, count: int) -> list[dt.date]:
    """`count` weekdays from `start` (included when a weekday)."""
    days: list[dt.date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def add_days(school: School, days: list[dt.date]) -> None:
    InstructionalDay.objects.bulk_create(
        [InstructionalDay(network_id=school.network_id, school=school, date=d) for d in days]
    )


def add_events(enrollment: StudentEnrollment, events: dict[dt.date, str]) -> None:
    AttendanceEvent.objects.bulk_create(
        [
            AttendanceEvent(
                network_id=enrollment.network_id,
                student_id=enrollment.student_id,
                school_id=enrollment.school_id,
                date=d,
                category=category,
            )
            for d, category in events.items()
        ]
    )


def write_files(folder: Path, **files: str | bytes) -> Path:
    """Write `calendar="..."`, `attendance="..."` as calendar.csv, attendance.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = folder / f"{name}.csv"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", newline="")
    return folder


def zip_bytes(**files: str) -> bytes:
    """A zip archive holding `calendar="..."`, `attendance="..."` as calendar.csv, ..."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(f"{name}.csv", text)
    return buffer.getvalue()
