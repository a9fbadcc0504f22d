"""The directory's staff pages on the demo network, in a real browser, each checked by axe-core:
a coordinator searches and opens a service; a network admin checks an HSDS file (dry run) and
opens the export page; a partner admin opens the profile and a service's edit form."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.core.models import Organization
from wraparound.demo.logins import DEMO_PASSWORD
from wraparound.directory.models import HsdsImport, ImportStatus, Service

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import path_of, sign_in

pytestmark = [pytest.mark.e2e]


def test_a_coordinator_searches_the_directory_and_opens_a_service(
    demo: None, live_server: LiveServer, page: Page, page_problems: PageProblems
) -> None:
    sign_in(page, live_server.url, "coordinator", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/directory/")
    assert_no_serious_violations(page, "the directory search page")
    # The results follow what is typed (htmx, after a pause) and the address keeps the query.
    # (Clicking Search right after typing races the live update: the click's change event
    # starts an htmx request that the form's own navigation then aborts.)
    page.get_by_label("Words").press_sequentially("tutoring")
    expect(page).to_have_url(re.compile(r"[?&]q=tutoring"))
    page.wait_for_load_state("networkidle")
    first = page.locator("main h3 a").first
    expect(first).to_be_visible()
    name = (first.text_content() or "").strip()
    assert_no_serious_violations(page, "the directory search results")
    first.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text(name)
    assert Service.objects.filter(name=name, network__slug="demo").exists()
    assert_no_serious_violations(page, "a service in the directory")
    assert not page_problems.failed, page_problems.failed


def test_a_network_admin_checks_an_hsds_file_and_opens_the_export(
    demo: None, live_server: LiveServer, page: Page, page_problems: PageProblems
) -> None:
    sign_in(page, live_server.url, "admin", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/directory/imports/demo/new/")
    assert_no_serious_violations(page, "the import page")
    page.set_input_files(
        'input[type="file"]', str(settings.HSDS_STANDARD_DIR / "examples" / "service_full.json")
    )
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_load_state()
    assert re.fullmatch(r"/directory/imports/demo/\d+/", path_of(page)), page.url
    run = HsdsImport.objects.get()
    assert run.dry_run and run.status == ImportStatus.CHECKED
    example = json.loads(
        (settings.HSDS_STANDARD_DIR / "examples" / "service_full.json").read_text()
    )
    assert not Service.objects.filter(network__slug="demo", hsds_id=example["id"]).exists()
    assert_no_serious_violations(page, "an import report")
    page.goto(f"{live_server.url}/directory/imports/demo/")
    assert_no_serious_violations(page, "the import history")
    page.goto(f"{live_server.url}/directory/exports/demo/")
    expect(page.get_by_role("link", name=re.compile("data package", re.I))).to_be_visible()
    assert_no_serious_violations(page, "the export page")
    page.goto(f"{live_server.url}/directory/review/")
    assert_no_serious_violations(page, "the review queue")
    assert not page_problems.failed, page_problems.failed


def test_a_partner_admin_opens_the_profile_and_a_service_form(
    demo: None, live_server: LiveServer, page: Page, page_problems: PageProblems
) -> None:
    sign_in(page, live_server.url, "partneradmin", DEMO_PASSWORD)
    organization = Organization.objects.get(memberships__user__username="partneradmin")
    page.goto(f"{live_server.url}/organizations/{organization.pk}/")
    page.get_by_role("link", name="Profile and services in the directory").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text(organization.name)
    assert_no_serious_violations(page, "the directory profile")
    service = organization.services.order_by("name").first()
    assert service is not None
    page.goto(
        f"{live_server.url}/directory/organizations/{organization.pk}/services/{service.pk}/edit/"
    )
    expect(page.get_by_role("button").last).to_be_visible()
    assert_no_serious_violations(page, "a service's edit form")
    assert not page_problems.failed, page_problems.failed
