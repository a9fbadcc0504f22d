"""A partner admin edits a vetted organization's service; a network admin reviews the diff and
approves it; the service shows the new values and "verified on" today. axe-core finds no serious
or critical violation on any page on the way."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.core.models import VettingStatus
from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant
from wraparound.directory.models import ChangeRequest, ChangeStatus, Service
from wraparound.directory.tests.factories import (
    LanguageFactory,
    ScheduleFactory,
    ServiceAreaFactory,
    ServiceCapacityFactory,
    ServiceCategoryFactory,
    ServiceFactory,
)

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def directory(transactional_db: None) -> dict[str, Any]:
    tenant = make_tenant("North")
    tenant.org_a.vetting_status = VettingStatus.VETTED
    tenant.org_a.confirmed_at = timezone.now()
    tenant.org_a.save()
    service = ServiceFactory(
        organization=tenant.org_a,
        name="After-school homework club",
        description="Homework help after school.",
        verified_on=None,
    )
    ServiceCapacityFactory(service=service, available=10, maximum=40, unit="students")
    ScheduleFactory(service_at_location__service=service)
    LanguageFactory(service=service)
    ServiceAreaFactory(service=service, community=tenant.communities[0])
    ServiceCategoryFactory(
        service=service,
        taxonomy_term__name="Tutoring",
        taxonomy_term__taxonomy_ref__network=tenant.network,
    )
    return {"tenant": tenant, "service": service}


def check(page: Page, problems: PageProblems, where: str) -> None:
    page.wait_for_load_state("networkidle")
    assert not problems.failed, f"{where}: requests failed: {problems.failed}"
    assert not problems.errors, f"{where}: script errors: {problems.errors}"
    assert_no_serious_violations(page, where)


def test_partner_edit_is_reviewed_and_published(
    directory: dict[str, Any], live_server: LiveServer, page: Page, page_problems: PageProblems
) -> None:
    base = live_server.url
    tenant, service = directory["tenant"], directory["service"]
    org = tenant.org_a

    # The partner admin edits the service: description and capacity.
    sign_in(page, base, tenant.users["partner_admin"].username, TEST_PASSWORD)
    page.goto(f"{base}/directory/organizations/{org.pk}/")
    expect(page.locator("h1")).to_have_text(org.name)
    check(page, page_problems, "the organization's profile")
    page.get_by_role("link", name=service.name).click()
    expect(page.locator("h1")).to_have_text(service.name)
    check(page, page_problems, "the service page")
    page.get_by_role("link", name="Edit this service").click()
    expect(page.get_by_text("the network reviews your changes")).to_be_visible()
    check(page, page_problems, "the service form")
    page.get_by_label("Description").fill("Homework help and reading tutors, Monday to Friday.")
    page.get_by_label("Places available now").fill("7")
    page.get_by_role("button", name="Send for review").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status")).to_contain_text("Sent for review")
    check(page, page_problems, "the service page after sending for review")
    page.goto(f"{base}/directory/organizations/{org.pk}/")
    expect(page.get_by_role("heading", name="Waiting for review")).to_be_visible()
    check(page, page_problems, "the profile with a pending change")
    service.refresh_from_db()
    assert service.description == "Homework help after school."

    # A network admin reviews the diff and approves it.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    sign_in(page, base, tenant.users["network_admin"].username, TEST_PASSWORD)
    page.goto(f"{base}/directory/review/")
    expect(page.locator("h1")).to_have_text("Review changes")
    check(page, page_problems, "the review queue")
    page.get_by_role("link", name=re.compile(f"Review {service.name}")).click()
    diff_table = page.locator("table.diff")
    expect(diff_table).to_contain_text("Homework help after school.")
    expect(diff_table).to_contain_text("Homework help and reading tutors, Monday to Friday.")
    expect(diff_table.locator("tr", has_text="Places available")).to_contain_text("10")
    expect(diff_table.locator("tr", has_text="Places available")).to_contain_text("7")
    check(page, page_problems, "the review of the change")
    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status")).to_contain_text("Approved")
    expect(page.get_by_text("Nothing is waiting for review.")).to_be_visible()
    check(page, page_problems, "the review queue after approval")

    # The service shows the new values and that it was verified today.
    page.goto(f"{base}/directory/organizations/{org.pk}/services/{service.pk}/")
    expect(page.locator("#service-description")).to_have_text(
        "Homework help and reading tutors, Monday to Friday."
    )
    expect(page.locator("#service-capacity")).to_contain_text("7 students available")
    today = timezone.localdate().isoformat()
    expect(page.locator("main")).to_contain_text(f"Verified on {today}")
    check(page, page_problems, "the published service")
    assert ChangeRequest.objects.get().status == ChangeStatus.APPROVED
    assert Service.objects.get(pk=service.pk).verified_on == timezone.localdate()
