"""A network admin imports attendance from the network's page: a dry run of files with a
mistake lists it by file, row and column and writes nothing; the corrected files are imported
and the import's page gives the counts; the student's month summary follows. axe-core finds no
serious or critical violation on the way."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant
from wraparound.outcomes.models import AttendanceEvent, AttendanceMonth, InstructionalDay
from wraparound.outcomes.tests.factories import make_enrollment, weekdays, zip_bytes
from wraparound.students.tests.factories import StudentFactory

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]


def _check(page: Page, problems: PageProblems) -> None:
    assert_no_serious_violations(page)
    assert not problems.errors and not problems.failed, (problems.errors, problems.failed)


def test_network_admin_imports_attendance_after_a_dry_run_finds_a_mistake(
    page: Page,
    live_server: LiveServer,
    page_problems: PageProblems,
    transactional_db: Any,
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    tenant = make_tenant("North")
    school = tenant.schools[0]
    student = StudentFactory(school=school, sourced_id="stu-1")
    make_enrollment(student=student, school=school, network=tenant.network)
    days = weekdays(dt.date(2026, 9, 8), 10)
    calendar = "school_code,date\n" + "".join(f"{school.code},{d}\n" for d in days)
    saturday = dt.date(2026, 9, 12)
    wrong = (
        "student_id,school_code,date,category\n"
        f"stu-1,{school.code},{days[1]},Unexcused Absence\n"
        f"stu-1,{school.code},{saturday},Tardy\n"
    )
    right = (
        "student_id,school_code,date,category\n"
        f"stu-1,{school.code},{days[1]},Unexcused Absence\n"
        f"stu-1,{school.code},{days[2]},Tardy\n"
    )
    first = tmp_path / "attendance-wrong.zip"
    first.write_bytes(zip_bytes(calendar=calendar, attendance=wrong))
    second = tmp_path / "attendance.zip"
    second.write_bytes(zip_bytes(calendar=calendar, attendance=right))
    base = live_server.url

    with override_settings(STORAGES=settings.STORAGES):
        sign_in(page, base, tenant.users["network_admin"].username, TEST_PASSWORD)
        page.goto(f"{base}/networks/{tenant.network.slug}/")
        page.get_by_role("link", name="Import attendance").click()
        page.wait_for_load_state()
        _check(page, page_problems)

        # A dry run (ticked by default) of files with a day that is not an instructional day.
        page.get_by_label("Attendance zip").set_input_files(str(first))
        page.get_by_role("button", name="Upload and check").click()
        page.wait_for_load_state()
        main = page.locator("main")
        expect(main).to_contain_text("attendance.csv")
        expect(main).to_contain_text(f"{saturday} is not an instructional day of this school")
        assert not InstructionalDay.objects.exists() and not AttendanceEvent.objects.exists()
        _check(page, page_problems)

        page.goto(f"{base}/networks/{tenant.network.slug}/attendance/imports/")
        page.get_by_label("Attendance zip").set_input_files(str(second))
        page.get_by_label("Dry run: check every file and write nothing").uncheck()
        page.get_by_role("button", name="Upload and check").click()
        page.wait_for_load_state()
        expect(page.locator("main")).to_contain_text("imported")
        _check(page, page_problems)

    assert InstructionalDay.objects.filter(school=school).count() == 10
    assert AttendanceEvent.objects.filter(student=student).count() == 2
    month = AttendanceMonth.objects.get(student=student, school=school, month=dt.date(2026, 9, 1))
    assert (month.enrolled_days, month.absent_days, month.tardies) == (10, 1, 1)
