"""A partner admin uploads the organization's liability insurance certificate from the
organization's page; a file of the wrong type is refused first, with what was typed kept. A
network admin opens the review queue, reads the certificate and clears it; the organization's
clearance shows it cleared. axe-core finds no serious or critical violation on the way."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.agreements.models import (
    ClearanceRecord,
    ClearanceRequirement,
    RecordStatus,
    RequirementKind,
    RequirementSubject,
)
from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]

# A one-page PDF, small and valid enough for the content check (it starts with %PDF-).
CERTIFICATE = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _check(page: Page, problems: PageProblems) -> None:
    assert_no_serious_violations(page)
    assert not problems.errors and not problems.failed, (problems.errors, problems.failed)


def test_partner_uploads_insurance_and_admin_clears_it(
    page: Page,
    live_server: LiveServer,
    page_problems: PageProblems,
    transactional_db: Any,
    tmp_path: Path,
    settings: Any,
) -> None:
    private = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(private), "base_url": None},
        },
    }
    tenant = make_tenant("North")
    insurance = ClearanceRequirement.objects.create(
        network=tenant.network,
        name="General liability insurance",
        kind=RequirementKind.LIABILITY_INSURANCE,
        applies_to=RequirementSubject.ORGANIZATION,
        validity_months=12,
        document_required=True,
        minimum_coverage=Decimal("1000000"),
    )
    org = tenant.org_a
    base = live_server.url
    certificate = tmp_path / "certificate.pdf"
    certificate.write_bytes(CERTIFICATE)
    not_a_pdf = tmp_path / "certificate.exe"
    not_a_pdf.write_bytes(b"MZ\x90\x00 not a certificate")
    issued = dt.date.today() - dt.timedelta(days=20)

    with override_settings(STORAGES=settings.STORAGES):
        sign_in(page, base, tenant.users["partner_admin"].username, TEST_PASSWORD)
        page.goto(f"{base}/organizations/{org.pk}/")
        page.get_by_role("link", name="Submit a clearance document").click()
        page.wait_for_load_state()
        _check(page, page_problems)
        page.get_by_label("Requirement").select_option(value=str(insurance.pk))
        page.get_by_label("Issued or completed on").fill(issued.isoformat())
        page.get_by_label("Reference").fill("POL-2026-118")
        page.get_by_label("Coverage (USD)").fill("2000000")

        # The wrong type first: refused with a reason, nothing stored, the typed values kept.
        page.get_by_label("Document").set_input_files(str(not_a_pdf))
        page.get_by_role("button", name="Send for review").click()
        page.wait_for_load_state()
        expect(page.locator(".error").first).to_be_visible()
        expect(page.get_by_label("Reference")).to_have_value("POL-2026-118")
        assert not ClearanceRecord.objects.exists()
        assert not private.exists() or not any(p.is_file() for p in private.rglob("*"))
        _check(page, page_problems)

        page.get_by_label("Document").set_input_files(str(certificate))
        page.get_by_role("button", name="Send for review").click()
        page.wait_for_load_state()
        record = ClearanceRecord.objects.get()
        assert record.status == RecordStatus.SUBMITTED
        assert record.requirement == insurance and record.coverage_amount == Decimal("2000000")
        assert record.document_type == "application/pdf"
        expect(page.locator("main")).to_contain_text("General liability insurance")
        _check(page, page_problems)
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()

        # The network admin reviews it: reads the certificate, then clears it.
        sign_in(page, base, tenant.users["network_admin"].username, TEST_PASSWORD)
        page.goto(f"{base}/networks/{tenant.network.slug}/")
        page.get_by_role("link", name="Clearance documents to review").click()
        page.wait_for_load_state()
        expect(page.locator("main")).to_contain_text(org.name)
        _check(page, page_problems)
        document = page.request.get(f"{base}/clearance/records/{record.pk}/document/")
        assert document.status == 200 and document.body() == CERTIFICATE
        assert document.headers["x-content-type-options"] == "nosniff"
        page.get_by_role("button", name=re.compile("^Clear")).first.click()
        page.wait_for_load_state()
        record.refresh_from_db()
        assert record.status == RecordStatus.CLEARED and record.reviewed_at is not None
        _check(page, page_problems)

        page.goto(f"{base}/organizations/{org.pk}/staff/")
        expect(page.locator("main")).to_contain_text("General liability insurance")
        expect(page.locator("main")).to_contain_text("cleared")
        _check(page, page_problems)
