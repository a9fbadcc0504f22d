"""A network admin reads the network's outcome dashboard, goes to a school's, splits it by
race/ethnicity (the small groups read "fewer than 10"), then reads a partner's; the charts draw
without an error and axe-core finds no serious or critical violation on any of them."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant
from wraparound.outcomes.tests.dashboard_world import build_world

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [
    pytest.mark.e2e,
]


def _check(page: Page, problems: PageProblems) -> None:
    # The charts are drawn (Chart.js loaded, a canvas sized) before axe looks.
    page.wait_for_function("typeof Chart !== 'undefined'")
    assert_no_serious_violations(page)
    assert not problems.errors and not problems.failed, (problems.errors, problems.failed)


def test_admin_reads_the_network_school_and_partner_dashboards(
    page: Page, live_server: LiveServer, page_problems: PageProblems, transactional_db: Any
) -> None:
    tenant = make_tenant("North")
    world = build_world(tenant)
    base = live_server.url
    sign_in(page, base, tenant.users["network_admin"].username, TEST_PASSWORD)

    page.goto(f"{base}/networks/{tenant.network.slug}/")
    page.get_by_role("link", name="Outcome dashboard").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("Outcomes across the schools")
    expect(page.locator("#as-of")).to_contain_text("Figures as of")
    expect(page.locator("#schools-table tbody tr").first).to_contain_text(world.other_school.code)
    _check(page, page_problems)

    page.locator("#schools-table").get_by_role("link", name=world.school.name).click()
    page.wait_for_load_state()
    expect(page.locator(".eyebrow")).to_contain_text(world.school.name)
    page.get_by_label("Split by").select_option(label="race/ethnicity")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    table = page.locator("#indicators-table")
    expect(table).to_contain_text("Hispanic")
    expect(table).to_contain_text("fewer than 10")
    _check(page, page_problems)

    page.goto(f"{base}/organizations/{tenant.org_a.pk}/outcomes/?split=nonsense")
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Referrals received this year")
    _check(page, page_problems)
