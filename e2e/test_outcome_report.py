"""A network admin opens the network's outcome reports page (axe-clean), chooses the school
year, downloads the network's PDF report and finds in its text the network, the year, the
indicators with the dashboard's figures, and "fewer than 10" where a group is too small."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from pytest_django.live_server_helper import LiveServer

from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant
from wraparound.outcomes.dashboard_data import network_dashboard
from wraparound.outcomes.models import Indicator
from wraparound.outcomes.reports.charts import format_value
from wraparound.outcomes.tests.dashboard_world import build_world

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]


def test_network_admin_downloads_the_network_pdf_report(
    page: Page,
    live_server: LiveServer,
    page_problems: PageProblems,
    transactional_db: Any,
    settings: Any,
) -> None:
    tenant = make_tenant("North")
    world = build_world(tenant)
    network = world.network
    base = live_server.url

    sign_in(page, base, tenant.users["network_admin"].username, TEST_PASSWORD)
    page.goto(f"{base}/networks/{network.slug}/outcomes/reports/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Outcome reports")
    page.get_by_label("School year").select_option(str(world.year))
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert_no_serious_violations(page)
    assert not page_problems.errors and not page_problems.failed, (
        page_problems.errors,
        page_problems.failed,
    )

    with page.expect_download() as info:
        page.get_by_role("link", name=f"PDF report of {network.name}").click()
    download = info.value
    assert download.suggested_filename == f"outcomes-network-{network.slug}-{world.year}.pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    text = " ".join(
        " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages).split()
    )

    dashboard = network_dashboard(network, world.year, today=world.today)
    attendance = next(r for r in dashboard.indicators if r.indicator == Indicator.ATTENDANCE_RATE)
    expected = [
        network.name,
        f"{world.year - 1}–{str(world.year)[-2:]}",
        "Outcomes report",
        "attendance rate",
        "chronic absence rate",
        format_value(attendance.overall.value, "pct"),
        world.school.code,
        "fewer than 10",
        "About these figures",
    ]
    for piece in expected:
        assert piece in text, piece
