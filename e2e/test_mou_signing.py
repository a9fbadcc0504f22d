"""A coordinator drafts the MOU of an active partnership from the school's partnerships page,
edits its purpose and sends it; the principal signs for the school and the partner admin for the
organization; the MOU is active and its PDF downloads with the terms and both signers in it.
axe-core finds no serious or critical violation on any page on the way."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from pytest_django.live_server_helper import LiveServer

from wraparound.agreements.models import Agreement, AgreementStatus, Signature
from wraparound.assessments.tests.factories import PartnershipFactory, SchoolYearFactory
from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant
from wraparound.directory.tests.factories import ServiceFactory

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]

PURPOSE = "Small-group reading tutoring for the students the school refers."


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def _check(page: Page, problems: PageProblems) -> None:
    assert_no_serious_violations(page)
    assert not problems.errors and not problems.failed, (problems.errors, problems.failed)


def test_draft_sign_and_download_an_mou(
    page: Page, live_server: LiveServer, page_problems: PageProblems, transactional_db: Any
) -> None:
    tenant = make_tenant("North")
    school = tenant.schools[0]
    year = SchoolYearFactory(network=tenant.network, end_year=2027, is_current=True)
    service = ServiceFactory(organization=tenant.org_a, name="Reading Buddies")
    partnership = PartnershipFactory(
        school=school, service=service, school_year=year, units=12, network=tenant.network
    )
    users = tenant.users
    for name, full in (("principal", "Rosa Principal"), ("partner_admin", "Ari Partner")):
        first, last = full.split()
        users[name].first_name, users[name].last_name = first, last
        users[name].save(update_fields=["first_name", "last_name"])
    base = live_server.url

    # The coordinator drafts the MOU from the school's partnerships page.
    sign_in(page, base, users["coordinator"].username, TEST_PASSWORD)
    page.goto(f"{base}/schools/{school.pk}/partnerships/")
    _check(page, page_problems)
    page.get_by_role("button", name=re.compile("^Draft MOU")).first.click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit the draft: version 1")
    _check(page, page_problems)
    page.get_by_label("Purpose of the partnership").fill(PURPOSE)
    page.get_by_role("button", name="Save the draft", exact=True).click()
    page.wait_for_load_state()
    agreement = Agreement.objects.get(partnership=partnership)
    assert page.url.endswith(f"/agreements/{agreement.pk}/")
    expect(page.locator("main")).to_contain_text(PURPOSE)
    _check(page, page_problems)
    page.get_by_role("button", name="Send version 1 for signature").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("awaiting signatures")
    _sign_out(page)

    # The principal and the partner admin each read and sign version 1.
    for persona, full_name in (("principal", "Rosa Principal"), ("partner_admin", "Ari Partner")):
        sign_in(page, base, users[persona].username, TEST_PASSWORD)
        page.goto(f"{base}/agreements/{agreement.pk}/")
        page.get_by_role("link", name="Read and sign version 1").click()
        page.wait_for_load_state()
        expect(page.locator("main")).to_contain_text(PURPOSE)
        _check(page, page_problems)
        # Signing without typing a name is refused, and the page says why.
        page.get_by_role("button", name="Sign version 1").click()
        page.wait_for_load_state()
        expect(page.locator(".error").first).to_be_visible()
        _check(page, page_problems)
        page.get_by_label("Full name").fill(full_name)
        page.locator("input[name=confirm]").check()
        page.get_by_role("button", name="Sign version 1").click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/agreements/{agreement.pk}/")
        expect(page.locator("main")).to_contain_text(full_name)
        _sign_out(page)

    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE
    assert agreement.signed_version_id == agreement.current_version_id
    signatures = Signature.objects.filter(version_id=agreement.signed_version_id)
    assert {s.signer_name for s in signatures} == {"Rosa Principal", "Ari Partner"}
    assert {s.ip_address for s in signatures} == {"127.0.0.1"}

    # The coordinator downloads the signed MOU as a PDF.
    sign_in(page, base, users["coordinator"].username, TEST_PASSWORD)
    page.goto(f"{base}/agreements/{agreement.pk}/")
    expect(page.locator("main")).to_contain_text("active")
    _check(page, page_problems)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF (version 1)").first.click()
    download = info.value
    assert download.suggested_filename.endswith("-v1.pdf")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    text = " ".join(text.split())
    for expected in (tenant.org_a.name, school.name, "Rosa Principal", "Ari Partner"):
        assert expected in text, expected
    assert agreement.signed_version is not None
    assert agreement.signed_version.content_hash in text.replace(" ", "")
