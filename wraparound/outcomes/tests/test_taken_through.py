"""Days not yet taken are not counted: a calendar.csv runs to June, but the summaries count the
instructional days up to the last day the attendance files cover (`taken_through`), so that a
mid-year import does not count the rest of the year as present days."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from wraparound.core.models import SchoolYear
from wraparound.core.tests.factories import SchoolFactory
from wraparound.students.tests.factories import StudentFactory

from .. import attendance_services
from ..attendance.source import FolderSource
from ..attendance.summaries import recompute_months
from ..attendance_services import attendance_import_execute, attendance_taken_through
from ..models import AttendanceCategory as C
from ..models import AttendanceImport, AttendanceImportStatus, AttendanceMonth
from .factories import (
    EnrollmentFactory,
    add_days,
    add_events,
    make_enrollment,
    make_school,
    weekdays,
    write_files,
    zip_bytes,
)

pytestmark = pytest.mark.django_db

SEPT = dt.date(2026, 9, 1)
OCT = dt.date(2026, 10, 1)


def _counts():
    return {
        r.month: (r.enrolled_days, r.absent_days, r.tardies)
        for r in AttendanceMonth.objects.order_by("month")
    }


def test_days_after_through_are_neither_enrolled_nor_present():
    school = make_school()
    days = weekdays(SEPT, 30)  # 22 in September, 8 in October
    add_days(school, days)
    enrollment = make_enrollment(student__school=school)
    add_events(enrollment, {days[0]: C.UNEXCUSED, days[9]: C.TARDY, days[10]: C.EXCUSED})
    # Taken through the 10th instructional day: the 11th's absence is not counted either.
    recompute_months({(school.pk, SEPT), (school.pk, OCT)}, through=days[9])
    assert _counts() == {SEPT: (10, 1, 1)}


def test_a_later_through_extends_the_month_and_an_earlier_one_removes_it():
    school = make_school()
    days = weekdays(SEPT, 30)
    add_days(school, days)
    make_enrollment(student__school=school)
    recompute_months({(school.pk, SEPT), (school.pk, OCT)}, through=days[-1])
    assert _counts() == {SEPT: (22, 0, 0), OCT: (8, 0, 0)}
    # A correction: the October files were not taken after all.
    recompute_months({(school.pk, SEPT), (school.pk, OCT)}, through=dt.date(2026, 9, 30))
    assert _counts() == {SEPT: (22, 0, 0)}


@pytest.fixture
def school():
    school = SchoolFactory(code="02M475")
    EnrollmentFactory(student=StudentFactory(school=school, sourced_id="s-ana"), school=school)
    return school


def _calendar_around(today: dt.date) -> tuple[list[dt.date], list[dt.date]]:
    """Ten weekdays up to today (today included when a weekday), ten after it."""
    past = [d for d in weekdays(today - dt.timedelta(days=20), 15) if d <= today][-10:]
    future = weekdays(today + dt.timedelta(days=1), 10)
    return past, future


def _files(tmp_path, school, days, absent):
    calendar = "school_code,date\n" + "".join(f"{school.code},{d}\n" for d in days)
    attendance = (
        f"student_id,school_code,date,category\ns-ana,{school.code},{absent},Excused Absence\n"
    )
    return write_files(tmp_path, calendar=calendar, attendance=attendance)


def test_an_import_counts_the_days_up_to_today_by_default(school, tmp_path):
    today = school.network.today()
    past, future = _calendar_around(today)
    run = attendance_import_execute(
        source=FolderSource(_files(tmp_path, school, past + future, past[0])),
        network=school.network,
        dry_run=False,
    )
    assert run.status == AttendanceImportStatus.DONE, run.errors
    assert run.taken_through == today
    months = AttendanceMonth.objects.filter(school=school)
    assert sum(m.enrolled_days for m in months) == len(past)
    assert sum(m.absent_days for m in months) == 1


def test_an_import_counts_up_to_the_day_it_is_given(school, tmp_path):
    past, future = _calendar_around(school.network.today())
    run = attendance_import_execute(
        source=FolderSource(_files(tmp_path, school, past + future, past[0])),
        network=school.network,
        dry_run=False,
        through=past[4],
    )
    assert run.taken_through == past[4]
    assert sum(m.enrolled_days for m in AttendanceMonth.objects.filter(school=school)) == 5


def test_a_day_after_today_is_refused_and_nothing_is_recorded(school, tmp_path):
    past, future = _calendar_around(school.network.today())
    with pytest.raises(ValidationError) as refused:
        attendance_import_execute(
            source=FolderSource(_files(tmp_path, school, past + future, past[0])),
            network=school.network,
            dry_run=False,
            through=future[0],
        )
    assert "after today" in str(refused.value.message_dict["taken_through"])
    assert not AttendanceImport.objects.exists() and not AttendanceMonth.objects.exists()


def test_the_command_takes_through_and_refuses_a_future_day(school, tmp_path):
    past, future = _calendar_around(school.network.today())
    path = str(_files(tmp_path, school, past + future, past[0]))
    with pytest.raises(CommandError) as refused:
        call_command("import_attendance", path, network=school.network.slug, through=future[0])
    assert refused.value.returncode == 2 and "after today" in str(refused.value)
    out = StringIO()
    call_command(
        "import_attendance",
        path,
        "--through",
        past[1].isoformat(),
        "--network",
        school.network.slug,
        stdout=out,
    )
    assert "imported" in out.getvalue()
    assert AttendanceImport.objects.get().taken_through == past[1]
    assert sum(m.enrolled_days for m in AttendanceMonth.objects.filter(school=school)) == 2


def test_the_command_names_a_malformed_date(school, tmp_path):
    with pytest.raises(CommandError, match="not a date"):
        call_command("import_attendance", str(tmp_path), "--through", "5 Dec", "--network", "x")


def test_the_network_is_covered_through_its_latest_import(school):
    network = school.network
    today = network.today()
    assert attendance_taken_through(network) == today  # no import yet
    for through, status, dry_run in (
        (today - dt.timedelta(days=9), AttendanceImportStatus.DONE, False),
        (today - dt.timedelta(days=3), AttendanceImportStatus.DONE, False),
        (today - dt.timedelta(days=1), AttendanceImportStatus.CHECKED, True),
        (today, AttendanceImportStatus.INVALID, False),
    ):
        AttendanceImport.objects.create(
            network=network, taken_through=through, status=status, dry_run=dry_run
        )
    assert attendance_taken_through(network) == today - dt.timedelta(days=3)


def test_after_a_roster_import_the_summaries_stop_at_the_last_import(school):
    network = school.network
    today = network.today()
    past, future = _calendar_around(today)
    SchoolYear.objects.create(
        network=network,
        end_year=today.year + 1,
        start_date=past[0] - dt.timedelta(days=1),
        end_date=future[-1] + dt.timedelta(days=1),
        is_current=True,
    )
    add_days(school, past + future)
    AttendanceImport.objects.create(
        network=network,
        taken_through=past[2],
        status=AttendanceImportStatus.DONE,
        dry_run=False,
    )
    assert attendance_services.attendance_recompute_after_roster(network.pk) >= 1
    months = AttendanceMonth.objects.filter(school=school)
    assert sum(m.enrolled_days for m in months) == 3


def test_the_upload_form_keeps_what_was_typed_when_the_day_is_in_the_future(client, t1):
    admin = t1.users["network_admin"]
    client.force_login(admin)
    tomorrow = t1.network.today() + dt.timedelta(days=1)
    code = t1.schools[0].code
    upload = zip_bytes(calendar=f"school_code,date\n{code},2026-09-01\n")
    url = reverse("attendance_import_list", args=[t1.network.slug])
    response = client.post(
        url,
        {
            "file": SimpleUploadedFile("a.zip", upload, content_type="application/zip"),
            "taken_through": tomorrow.isoformat(),
            "dry_run": "on",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "after today" in " ".join(form.errors["taken_through"])
    assert form["taken_through"].value() == tomorrow.isoformat()
    assert not AttendanceImport.objects.exists()
    response = client.post(
        url,
        {
            "file": SimpleUploadedFile("a.zip", upload, content_type="application/zip"),
            "taken_through": "2026-09-30",
        },
    )
    assert response.status_code == 302
    assert AttendanceImport.objects.get().taken_through == dt.date(2026, 9, 30)
