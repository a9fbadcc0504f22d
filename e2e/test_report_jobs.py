"""A network admin prepares the network's PDF report in the background from the reports page
(htmx: the button becomes the job's status, then a download link), downloads it, and the page
stays axe-clean throughout. Without a broker the task runs at the request's commit, so the
report is ready by the time the fragment comes back; the polling is tested in the unit tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.core.models import AuditEvent
from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant
from wraparound.outcomes.models import ReportJob

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]


def test_network_admin_prepares_the_network_pdf_in_the_background(
    page: Page,
    live_server: LiveServer,
    page_problems: PageProblems,
    transactional_db: Any,
) -> None:
    tenant = make_tenant("North")
    network = tenant.network
    base = live_server.url

    sign_in(page, base, tenant.users["network_admin"].username, TEST_PASSWORD)
    page.goto(f"{base}/networks/{network.slug}/outcomes/reports/?year=2027")
    page.get_by_role("button", name=f"Prepare PDF ({network.name})").click()
    link = page.get_by_role("link", name="Download the PDF prepared at")
    expect(link).to_be_visible()
    assert_no_serious_violations(page)
    assert not page_problems.errors and not page_problems.failed, (
        page_problems.errors,
        page_problems.failed,
    )

    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"outcomes-network-{network.slug}-2027.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")
    job = ReportJob.objects.get()
    assert job.status == "done" and job.requested_by == tenant.users["network_admin"]
    assert AuditEvent.objects.filter(action="outcomes.report", data__format="pdf").count() == 1
