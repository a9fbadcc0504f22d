"""The PDF report: its text names the scope, the year, the indicators and their figures, draws
the charts, and never shows a figure about fewer than ten students."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from wraparound.core.tests.personas import make_tenant

from ..dashboard_data import school_dashboard
from ..indicators import Scope
from ..models import Indicator
from ..reports.build import build_report
from ..reports.charts import format_value
from ..reports.pdf import render_report_pdf, report_context
from .dashboard_world import build_world

pytestmark = pytest.mark.django_db


def pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


@pytest.fixture
def world():
    return build_world(make_tenant("North"))


def test_school_pdf_names_the_scope_year_indicators_and_figures(world):
    scope = Scope(network=world.network, school=world.school)
    report = build_report(scope, world.year, today=world.today)
    body = render_report_pdf(report)
    assert body.startswith(b"%PDF")
    text = pdf_text(body)
    flat = " ".join(text.split())
    assert world.school.name in flat
    assert f"{world.year - 1}–{str(world.year)[-2:]}" in flat
    assert world.today.isoformat() in flat
    for label in ("attendance rate", "chronic absence rate", "referral completion rate"):
        assert label in flat
    # The figures are the school dashboard's, as its pages print them.
    dash = school_dashboard(world.school, world.year, today=world.today)
    attendance = next(r for r in dash.indicators if r.indicator == Indicator.ATTENDANCE_RATE)
    assert not attendance.overall.suppressed
    assert format_value(attendance.overall.value, "pct") in flat
    assert "About these figures" in flat
    for title in ("Attendance trend", "Referrals", "Dosage", "Goals", "Tiers of support"):
        assert title in flat


def test_the_charts_are_inline_svg_and_a_hidden_group_is_a_labelled_gap(world):
    scope = Scope(network=world.network, school=world.school)
    context = report_context(build_report(scope, world.year, today=world.today))
    charts = [svg for section in context["sections"] for _t, svg in section["charts"]]
    assert charts and all(svg.startswith("<svg") for svg in charts)
    groups = next(s for s in context["sections"] if s["key"] == "groups")
    race_chart = next(svg for title, svg in groups["charts"] if "race/ethnicity" in title)
    assert "fewer than 10" in race_chart


def test_the_network_and_partner_reports_render(world):
    for scope in (
        Scope(network=world.network),
        Scope(network=world.network, organization=world.organization),
    ):
        flat = " ".join(
            pdf_text(render_report_pdf(build_report(scope, world.year, today=world.today))).split()
        )
        assert str(scope.organization or scope.network) in flat
        assert "attendance rate" in flat
