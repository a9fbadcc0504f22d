"""A coordinator sets a goal for the school — a mistake first, which the form reports while
keeping what was typed — and sees its progress computed from the school's attendance; a figure
about fewer than ten students is never shown. axe-core finds no serious or critical violation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant
from wraparound.outcomes.models import AttendanceMonth, Goal
from wraparound.students.tests.factories import StudentFactory

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]


def _check(page: Page, problems: PageProblems) -> None:
    assert_no_serious_violations(page)
    assert not problems.errors and not problems.failed, (problems.errors, problems.failed)


def test_coordinator_sets_a_goal_and_sees_its_progress(
    page: Page, live_server: LiveServer, page_problems: PageProblems, transactional_db: Any
) -> None:
    tenant = make_tenant("North")
    school = tenant.schools[0]
    today = tenant.network.today()
    year_start = dt.date(today.year if today.month >= 7 else today.year - 1, 9, 1)
    # Twelve students present 18 days of 20 this school year: 90 %.
    for _ in range(12):
        AttendanceMonth.objects.create(
            network=tenant.network,
            student=StudentFactory(school=school),
            school=school,
            month=year_start,
            enrolled_days=20,
            absent_days=2,
        )
    base = live_server.url
    sign_in(page, base, tenant.users["coordinator"].username, TEST_PASSWORD)
    page.goto(f"{base}/schools/{school.pk}/")
    page.get_by_role("link", name="Goals", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Goals")
    _check(page, page_problems)

    form = page.locator("form.card")
    form.get_by_label("Indicator").select_option(label="attendance rate")
    form.get_by_label("Title").fill("Every day counts")
    form.get_by_label("Baseline", exact=True).fill("88")
    form.get_by_label("Baseline date").fill(f"{year_start:%Y-%m-%d}")
    form.get_by_label("Target", exact=True).fill("88")
    form.get_by_label("Target date").fill(f"{year_start.year + 1}-06-30")
    form.get_by_role("button", name="Set the goal").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("The target must differ from the baseline.")
    expect(form.get_by_label("Title")).to_have_value("Every day counts")
    assert not Goal.objects.exists()
    _check(page, page_problems)

    form.get_by_label("Target", exact=True).fill("92")
    form.get_by_role("button", name="Set the goal").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Every day counts")
    expect(page.locator("#goal-now")).to_contain_text("90.0%")
    expect(page.locator("#goal-now")).to_contain_text("12 students")
    expect(page.locator("#goal-status")).to_contain_text("on track")
    _check(page, page_problems)

    page.get_by_role("link", name=school.name).first.click()
    page.wait_for_load_state()
    row = page.locator(f"#goal-{Goal.objects.get().pk}")
    expect(row).to_contain_text("Every day counts")
    expect(row).to_contain_text("90.0%")
    expect(row).to_contain_text("on track")
