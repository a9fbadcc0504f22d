"""The XLSX report: a sheet per section, header rows, numbers as numbers (shares formatted as
percentages), "fewer than 10" as text where a figure is suppressed."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from wraparound.core.tests.personas import make_tenant

from ..dashboard_data import school_dashboard
from ..indicators import Scope
from ..models import Indicator
from ..reports.build import build_report
from ..reports.xlsx import render_report_xlsx, sheet_title
from .dashboard_world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world(make_tenant("North"))


def _workbook(world, scope):
    report = build_report(scope, world.year, today=world.today)
    return report, load_workbook(io.BytesIO(render_report_xlsx(report)))


def test_one_sheet_per_section_with_the_dashboards_numbers(world):
    report, wb = _workbook(world, Scope(network=world.network, school=world.school))
    assert wb.sheetnames == ["About"] + [s.title[:31] for s in report.sections]
    about = wb["About"]
    assert about["A1"].value == "Outcomes report"
    assert about["B2"].value == str(world.school)
    ws = wb["Indicators"]
    rows = {r[0].value: r for r in ws.iter_rows() if r[0].value}
    header = next(r for r in ws.iter_rows() if r[0].value == "Indicator")
    assert [c.value for c in header] == ["Indicator", "Value", "Students"]
    dash = school_dashboard(world.school, world.year, today=world.today)
    attendance = next(r for r in dash.indicators if r.indicator == Indicator.ATTENDANCE_RATE)
    value, students = rows["attendance rate"][1], rows["attendance rate"][2]
    assert value.value == pytest.approx(float(attendance.overall.value))
    assert value.number_format == "0.0%"
    assert students.value == attendance.overall.n and isinstance(students.value, int)
    # A suppressed figure is text, never a number.
    tier3 = rows["share of tier-3 students receiving a service"]
    assert tier3[1].value == "fewer than 10" and tier3[2].value == "fewer than 10"


def test_the_split_tables_and_the_trend(world):
    _report, wb = _workbook(world, Scope(network=world.network, school=world.school))
    groups = wb["By student group"]
    values = {r[0]: r[1:] for r in groups.iter_rows(values_only=True) if r and r[0]}
    # 3 Asian and 9 Black students: hidden, in every column.
    for name in ("Asian", "Black or African American"):
        assert all(v == "fewer than 10" for v in values[name] if v is not None), values[name]
    assert isinstance(values["Hispanic or Latino"][0], float)
    trend = wb["Attendance trend"]
    months = [r for r in trend.iter_rows(values_only=True) if r and isinstance(r[1], float)]
    assert months and all(0 <= r[1] <= 1 for r in months)


def test_network_and_partner_workbooks(world):
    _r, wb = _workbook(world, Scope(network=world.network))
    assert "Schools" in wb.sheetnames
    codes = [r[0] for r in wb["Schools"].iter_rows(values_only=True)]
    assert world.school.code in codes
    _r, wb = _workbook(world, Scope(network=world.network, organization=world.organization))
    assert wb["About"]["B2"].value == str(world.organization)
    assert "Referrals received" in wb.sheetnames


def test_sheet_titles_follow_excels_rules():
    taken: set[str] = set()
    assert sheet_title("a/b: c?", taken) == "a b  c"
    long = "x" * 40
    assert sheet_title(long, taken) == "x" * 31
    assert sheet_title(long, taken) == "x" * 27 + " (2)"
