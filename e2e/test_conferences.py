"""A social worker records a family team conference with the family's consent and a follow-up
action — a mistake first (a verbal consent without its witness), which the form reports while
keeping what was typed; the coordinator, invited but absent, cannot open it (404). axe-core finds
no serious or critical violation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.conferences.models import FamilyTeamConference
from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant
from wraparound.students.tests.world import student_world

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]


def _check(page: Page, problems: PageProblems) -> None:
    assert_no_serious_violations(page)
    assert not problems.errors and not problems.failed, (problems.errors, problems.failed)


def test_social_worker_records_a_conference(
    page: Page, live_server: LiveServer, page_problems: PageProblems, transactional_db: Any
) -> None:
    tenant = make_tenant("North")
    w = student_world(tenant)
    coordinator = tenant.users["coordinator"]
    coordinator.first_name, coordinator.last_name = "Carmen", "Diaz"
    coordinator.save()
    base = live_server.url
    today = tenant.network.today()

    sign_in(page, base, tenant.users["staff"].username, TEST_PASSWORD)
    page.goto(f"{base}/conferences/new/?student={w.own.pk}")
    expect(page.locator("h1")).to_contain_text("Ana Own")
    _check(page, page_problems)

    page.fill("#id_held_on", f"{today:%Y-%m-%d}")
    page.fill("#id_place", "Family room")
    page.fill("#id_consent_given_by", "Rosa Own (mother)")
    page.select_option("#id_consent_method", "verbal_witnessed")
    page.fill("#id_consent_given_at", f"{today:%Y-%m-%d}T09:30")
    page.fill("#id_strengths", "Ana loves drawing; her grandmother walks her to school.")
    page.select_option("#id_p-0-kind", "family")
    page.fill("#id_p-0-name", "Rosa Own")
    page.fill("#id_p-0-role", "mother")
    page.select_option("#id_p-1-kind", "staff")
    page.select_option("#id_p-1-user", label="Carmen Diaz")
    page.uncheck("#id_p-1-present")
    page.select_option("#id_n-0-domain", "academics")
    page.fill("#id_n-0-description", "Reading a year behind")
    page.fill("#id_decisions", "Start the homework club.")
    page.fill("#id_a-0-description", "Call the family after the first week")
    page.fill("#id_a-0-owner_name", "Rosa Own")
    page.fill("#id_a-0-due_on", f"{today:%Y-%m-%d}")
    page.get_by_role("button", name="Save the conference").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("A verbal consent needs the name of its witness.")
    expect(page.locator("#id_place")).to_have_value("Family room")
    expect(page.locator("#id_a-0-description")).to_have_value(
        "Call the family after the first week"
    )
    assert not FamilyTeamConference.objects.exists()
    _check(page, page_problems)

    page.fill("#id_consent_witness", "Ms. Lee, counselor")
    page.get_by_role("button", name="Save the conference").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("Family team conference: Ana Own")
    expect(page.locator("#conference-consent")).to_contain_text("Rosa Own (mother)")
    expect(page.locator("main")).to_contain_text("Call the family after the first week")
    expect(page.locator("main")).to_contain_text("absent")
    _check(page, page_problems)
    conference = FamilyTeamConference.objects.get()
    assert conference.actions.get().owner_name == "Rosa Own"

    # The coordinator was invited but absent: the conference does not exist for them.
    page.context.clear_cookies()
    sign_in(page, base, coordinator.username, TEST_PASSWORD)
    response = page.goto(f"{base}/conferences/{conference.pk}/")
    assert response is not None and response.status == 404
    page.goto(f"{base}/conferences/")
    expect(page.locator("main")).not_to_contain_text("Ana Own")
    _check(page, page_problems)
