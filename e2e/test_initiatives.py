"""A network admin opens the arts initiative's feeder-pattern view and sees, per pattern, the
grades reached and the gap named; a coordinator adds grades to their school's plan — a grade the
school does not teach first, which the form refuses while keeping what was typed — and the view
shows the sequence mended. axe-core finds no serious or critical violation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant
from wraparound.initiatives.models import SchoolPlan
from wraparound.initiatives.tests.world import arts_initiative

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]


def _check(page: Page, problems: PageProblems) -> None:
    assert_no_serious_violations(page)
    assert not problems.errors and not problems.failed, (problems.errors, problems.failed)


def test_feeder_pattern_view_and_a_coordinator_mends_a_gap(
    page: Page, live_server: LiveServer, page_problems: PageProblems, transactional_db: Any
) -> None:
    tenant = make_tenant("North")
    initiative = arts_initiative(tenant)
    # The coordinator's second school (K-5) has started a plan reaching kindergarten only.
    second = tenant.schools[1]
    SchoolPlan.objects.create(initiative=initiative, school=second, status="active", grades=["KG"])
    base = live_server.url

    sign_in(page, base, tenant.users["network_admin"].username, TEST_PASSWORD)
    page.goto(f"{base}/networks/{tenant.network.slug}/initiatives/")
    expect(page.locator("h1")).to_have_text("Initiatives")
    _check(page, page_problems)
    page.get_by_role("link", name=initiative.name).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(initiative.name)
    _check(page, page_problems)
    page.get_by_role("link", name="Feeder-pattern view", exact=False).first.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Feeder patterns")

    high = tenant.schools[3]
    pattern = page.locator(f"#pattern-{high.pk}")
    expect(pattern.locator("h2")).to_have_text(f"{high.name} pattern")
    expect(pattern.locator(".first-break")).to_have_text(
        f"Grades 1–5 at {second.name}: not in the plan"
    )
    expect(pattern.locator(".gaps")).to_contain_text("Grades 6–8 at North Network Middle: no plan")
    expect(pattern.locator(".reached")).to_have_text("Kindergarten, Grades 9–12")
    grade_7 = pattern.locator("tr[data-grade='07']")
    expect(grade_7).to_contain_text("GAP")
    expect(grade_7).to_contain_text("no plan")
    lone = page.locator(f"#pattern-{tenant.schools[4].pk}")
    expect(lone.locator(".coverage")).to_contain_text("0%")
    _check(page, page_problems)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()

    sign_in(page, base, tenant.users["coordinator"].username, TEST_PASSWORD)
    page.goto(f"{base}/schools/{second.pk}/initiatives/")
    expect(page.locator("h1")).to_have_text("Initiatives")
    _check(page, page_problems)
    page.get_by_role("link", name="Active").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(f"{second.name}'s plan")
    _check(page, page_problems)

    form = page.locator("form.card").filter(has=page.get_by_role("button", name="Save the plan"))
    form.get_by_label("Owner's title").fill("Arts Lead")
    for grade in ("Grade 1", "Grade 2", "Grade 3", "Grade 4", "Grade 5"):
        form.get_by_label(grade, exact=True).check()
    # A grade the school does not teach, slipped in as a browser with a stale page would.
    page.evaluate(
        "() => { const box = document.querySelector('input[name=grades]');"
        " const extra = box.cloneNode(); extra.value = '09'; extra.checked = true;"
        " extra.id = 'stale'; box.parentNode.appendChild(extra); }"
    )
    form.get_by_role("button", name="Save the plan").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("09 is not taught at this school (grades K–5).")
    form = page.locator("form.card").filter(has=page.get_by_role("button", name="Save the plan"))
    expect(form.get_by_label("Owner's title")).to_have_value("Arts Lead")
    expect(form.get_by_label("Grade 3", exact=True)).to_be_checked()
    _check(page, page_problems)

    form.get_by_role("button", name="Save the plan").click()
    page.wait_for_load_state()
    expect(page.locator("#plan-grades")).to_have_text("Grades K–5")
    page.get_by_role("link", name="Feeder patterns").click()
    page.wait_for_load_state()
    pattern = page.locator(f"#pattern-{high.pk}")
    expect(pattern.locator(".first-break")).to_have_text(
        "Grades 6–8 at North Network Middle: no plan"
    )
    expect(pattern.locator(".gaps")).not_to_contain_text(second.name)
    expect(pattern.locator(".reached")).to_have_text("Grades K–5, Grades 9–12")
    _check(page, page_problems)
