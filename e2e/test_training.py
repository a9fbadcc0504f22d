"""A network admin schedules a FERPA training that took place yesterday, records that a partner's
campus-staff person completed it, sees in the compliance view that this person is no longer
missing FERPA training (and that the clearance requirement is met), and downloads the person's
certificate: a PDF with their name. axe-core finds no serious or critical violation."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from pytest_django.live_server_helper import LiveServer

from wraparound.agreements.models import ClearanceRecord, RecordStatus
from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant
from wraparound.training.models import Attendance
from wraparound.training.tests.world import make_world

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]


def _check(page: Page, problems: PageProblems) -> None:
    assert_no_serious_violations(page)
    assert not problems.errors and not problems.failed, (problems.errors, problems.failed)


def test_admin_records_a_ferpa_completion_and_the_person_is_no_longer_missing(
    page: Page, live_server: LiveServer, page_problems: PageProblems, transactional_db: Any
) -> None:
    tenant = make_tenant("North")
    world = make_world(tenant)
    network = tenant.network
    yesterday = network.today() - dt.timedelta(days=1)
    base = live_server.url
    sign_in(page, base, tenant.users["network_admin"].username, TEST_PASSWORD)

    page.goto(f"{base}/training/")
    expect(page.locator("h1")).to_have_text("Training")
    _check(page, page_problems)

    page.goto(f"{base}/networks/{network.slug}/training/compliance/")
    expect(page.locator("#missing")).to_contain_text("Tess Tutor")
    _check(page, page_problems)

    page.goto(f"{base}/networks/{network.slug}/training/")
    expect(page.locator("h1")).to_have_text("Training schedule")
    _check(page, page_problems)
    form = page.locator("form.card")
    form.get_by_label("Topic").select_option(label=world.ferpa.name)
    form.get_by_label("Title").fill("FERPA for tutors")
    form.get_by_label("Starts at").fill(f"{yesterday:%Y-%m-%d}T15:00")
    form.get_by_role("button", name="Schedule").click()
    page.wait_for_load_state()
    # No place and no link: the form says so and keeps what was typed.
    expect(page.locator("main")).to_contain_text("Give the place, the virtual link, or both.")
    expect(form.get_by_label("Title")).to_have_value("FERPA for tutors")
    _check(page, page_problems)
    form.get_by_label("Place").fill("Library, 2nd floor")
    form.get_by_role("button", name="Schedule").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("FERPA for tutors")
    _check(page, page_problems)

    page.get_by_role("link", name="Take attendance").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Attendance")
    _check(page, page_problems)
    page.get_by_label("Partner campus staff").select_option(
        label=f"Tess Tutor — {tenant.org_a.name}"
    )
    page.get_by_label("Mark those added as").select_option("completed")
    page.get_by_role("button", name="Save attendance").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("Attendance saved.")
    _check(page, page_problems)
    attendance = Attendance.objects.get(staff_member=world.tutor_a)
    assert attendance.status == "completed"
    record = ClearanceRecord.objects.get(person=world.tutor_a)
    assert record.status == RecordStatus.CLEARED

    page.goto(f"{base}/networks/{network.slug}/training/compliance/")
    table = page.locator("#missing")
    expect(table).to_contain_text("Max Mentor")
    expect(table).not_to_contain_text("Tess Tutor")
    _check(page, page_problems)

    page.goto(f"{base}/training/{attendance.training_id}/attendance/")
    with page.expect_download() as info:
        page.get_by_role("link", name=attendance.certificate_number).click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
    assert "Tess Tutor" in text and attendance.certificate_number in text
    page_problems.clear()  # a download is an aborted navigation for the browser

    page.goto(f"{base}/training/certificates/{attendance.certificate_id}/verify/")
    expect(page.locator("main")).to_contain_text("is genuine")
    _check(page, page_problems)


def test_topics_records_and_registration_pages_pass_axe(
    page: Page, live_server: LiveServer, page_problems: PageProblems, transactional_db: Any
) -> None:
    tenant = make_tenant("North")
    world = make_world(tenant)
    network = tenant.network
    base = live_server.url
    sign_in(page, base, tenant.users["network_admin"].username, TEST_PASSWORD)
    page.goto(f"{base}/networks/{network.slug}/training/topics/")
    expect(page.locator("h1")).to_have_text("Training topics")
    _check(page, page_problems)
    form = page.locator("form.card")
    form.get_by_label("Name").fill("Anti-bias practice")
    form.get_by_label("Default hours").fill("2")
    form.get_by_role("button", name="Add the topic").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("already has a topic named")
    expect(form.get_by_label("Default hours")).to_have_value("2")
    _check(page, page_problems)
    page.goto(f"{base}/networks/{network.slug}/training/topics/{world.ferpa.pk}/")
    _check(page, page_problems)
    page.goto(f"{base}/networks/{network.slug}/training/{world.upcoming.pk}/edit/")
    _check(page, page_problems)
    page.goto(f"{base}/training/staff/{world.tutor_a.pk}/")
    expect(page.locator("h1")).to_contain_text("Tess Tutor")
    _check(page, page_problems)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page_problems.clear()
    sign_in(page, base, tenant.users["partner_admin"].username, TEST_PASSWORD)
    page.goto(f"{base}/training/{world.upcoming.pk}/")
    page.get_by_label("Register a person of the campus staff").select_option(
        label=f"Tess Tutor — {tenant.org_a.name}"
    )
    page.get_by_role("button", name="Register", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("Tess Tutor is registered.")
    _check(page, page_problems)
    page.get_by_role("button", name="Register me").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("You are registered.")
    _check(page, page_problems)
    page.goto(f"{base}/training/me/")
    expect(page.locator("main")).to_contain_text("FERPA refresher")
    _check(page, page_problems)
    page.goto(f"{base}/organizations/{tenant.org_a.pk}/training/compliance/")
    expect(page.locator("#missing")).to_contain_text("Tess Tutor")
    _check(page, page_problems)
