"""An evaluator asks what helped: picks a service, sees the estimate, the numbers behind it, the
dosage table and chart, and the caveats. axe-core finds no serious or critical violation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant
from wraparound.outcomes.tests.test_views_evaluation import _world

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]


def test_an_evaluator_asks_what_helped(
    page: Page, live_server: LiveServer, page_problems: PageProblems, transactional_db: Any
) -> None:
    tenant = make_tenant("North")
    query = _world(tenant, served=40)
    base = live_server.url
    sign_in(page, base, tenant.users["evaluator"].username, TEST_PASSWORD)
    page.goto(f"{base}/networks/{tenant.network.slug}/outcomes/what-helped/")
    assert_no_serious_violations(page)
    page.get_by_label("What to evaluate", exact=True).select_option(query["treatment"])
    page.get_by_label("Minimum hours attended").fill("3")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_load_state()
    main = page.locator("main")
    expect(main).to_contain_text("Estimated difference: 5.0 percentage points")
    expect(main).to_contain_text("not proof")
    expect(page.locator("#dosage-chart")).to_be_visible()
    assert page.evaluate("typeof Chart !== 'undefined' && !!Chart.getChart('dosage-chart')")
    assert_no_serious_violations(page)
    assert not page_problems.errors and not page_problems.failed, (
        page_problems.errors,
        page_problems.failed,
    )

    page.goto(f"{base}/networks/{tenant.network.slug}/outcomes/what-helped/?treatment=bogus")
    expect(main).to_contain_text("Select a valid choice")
    assert_no_serious_violations(page)
