"""A school with a group of three students (and one of twelve, hidden with it as its
complement): no PDF text, XLSX cell or extract row reveals their figures."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from wraparound.core.models import SchoolYear
from wraparound.students.models import RaceEthnicity
from wraparound.students.tests.factories import StudentFactory

from ..indicators import Scope
from ..models import AttendanceMonth
from ..reports.build import build_report
from ..reports.extract import build_extract
from ..reports.pdf import render_report_pdf
from ..reports.xlsx import render_report_xlsx
from .factories import make_school

pytestmark = pytest.mark.django_db

YEAR = 2027
TODAY = dt.date(2027, 6, 30)
OCT = dt.date(2026, 10, 1)
# Hispanic: 20 students never absent (100.0 %). Black: 12 students, six absent 1 day of 20 and
# six 4 days (87.5 %, half chronically absent). Asian: 3 students absent 13 days of 20 (35.0 %).
HIDDEN_FIGURES = ("87.5%", "35.0%", "87.5 %", "35.0 %")
HIDDEN_VALUES = (0.875, 0.35)


@pytest.fixture
def school():
    school = make_school(code="01M300", name="Small Groups School")
    SchoolYear.objects.create(
        network=school.network,
        end_year=YEAR,
        start_date=dt.date(2026, 9, 1),
        end_date=dt.date(2027, 6, 25),
        is_current=True,
    )

    def month(race, absent):
        s = StudentFactory(school=school, race_ethnicity=race)
        AttendanceMonth.objects.create(
            network_id=s.network_id,
            student=s,
            school=school,
            month=OCT,
            enrolled_days=20,
            absent_days=absent,
        )

    for _ in range(20):
        month(RaceEthnicity.HISPANIC, 0)
    for i in range(12):
        month(RaceEthnicity.BLACK, 1 if i < 6 else 4)
    for _ in range(3):
        month(RaceEthnicity.ASIAN, 13)
    return school


def _report(school):
    return build_report(Scope(network=school.network, school=school), YEAR, today=TODAY)


def test_the_pdf_shows_fewer_than_10_for_the_small_groups_and_never_their_figures(school):
    reader = PdfReader(io.BytesIO(render_report_pdf(_report(school))))
    text = " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())
    assert "Small Groups School" in text
    assert "100.0%" in text  # the Hispanic students' rate is shown
    for figure in HIDDEN_FIGURES:
        assert figure not in text, figure
    # The race/ethnicity table's rows of the two hidden groups read "fewer than 10" throughout.
    asian = text.split("Asian", 1)[1][:80]
    assert asian.lstrip().startswith("fewer than 10"), asian


def test_no_xlsx_cell_holds_a_small_groups_figure(school):
    workbook = load_workbook(io.BytesIO(render_report_xlsx(_report(school))))
    seen_rows = []
    for ws in workbook.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, float):
                    assert round(value, 4) not in HIDDEN_VALUES, (ws.title, row)
                assert value != 3, (ws.title, row)  # the group's size
            if row and row[0] in ("Asian", "Black or African American"):
                seen_rows.append(row)
    assert seen_rows
    for row in seen_rows:
        assert all(v in ("fewer than 10", None, "") for v in row[1:]), row


def test_no_extract_row_reveals_the_group_of_three(school):
    rows = list(csv.DictReader(io.StringIO(build_extract(school.network, YEAR).csv_text())))
    assert "asian" not in {r["race_ethnicity"] for r in rows}
    # Their attendance (13 absent days) is not in the extract under any group.
    assert "13" not in {r["absent_days"] for r in rows}
