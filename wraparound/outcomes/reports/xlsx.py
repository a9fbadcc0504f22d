"""The report as an XLSX workbook (openpyxl): a first sheet saying what the workbook is, then
one sheet per section, its tables one under the other, each with a title row and a header row.
Numbers are numbers (shares as fractions with a percentage format), so a reader can chart and
sum them; a suppressed cell is the text "fewer than 10", never a number."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import Cell as XCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..suppression import FEWER_THAN, Cell
from .content import Entry, Report

FORMATS = {"pct": "0.0%", "int": "#,##0", "n": "#,##0", "1": "0.0"}
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)
SHEET_NAME_MAX = 31


def sheet_title(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    name = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:SHEET_NAME_MAX] or "Sheet"
    candidate, i = name, 2
    while candidate.lower() in taken:
        suffix = f" ({i})"
        candidate = name[: SHEET_NAME_MAX - len(suffix)] + suffix
        i += 1
    taken.add(candidate.lower())
    return candidate


def write_entry(target: XCell, entry: Entry) -> None:
    value = entry.value
    if isinstance(value, Cell):
        if value.suppressed:
            target.value = str(FEWER_THAN)
            target.alignment = Alignment(horizontal="right")
            return
        value = value.n if entry.fmt == "n" else value.value
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, int | float):
        target.value = value
        if entry.fmt in FORMATS:
            target.number_format = FORMATS[entry.fmt]
        return
    if isinstance(value, dt.date):
        target.value = value
        target.number_format = "yyyy-mm-dd"
        return
    target.value = "" if value is None else str(value)


def _cover(ws: Worksheet, report: Report) -> None:
    ws.append([report.title])
    ws["A1"].font = TITLE
    ws.append([report.scope_label, str(report.scope)])
    ws.append([_("Network"), report.scope.network.name])
    ws.append([_("School year"), f"{report.year_label} ({report.year})"])
    ws.append([_("Generated on"), report.generated_on.isoformat()])
    ws.append([])
    ws.append([_("About these figures")])
    ws.cell(row=ws.max_row, column=1).font = BOLD
    for term, definition in report.about:
        ws.append([term, definition])
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 100
    for row in ws.iter_rows(min_row=2, max_col=1):
        row[0].font = BOLD


def render_report_xlsx(report: Report) -> bytes:
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    taken: set[str] = set()
    cover.title = sheet_title(_("About"), taken)
    _cover(cover, report)
    for section in report.sections:
        ws = wb.create_sheet(sheet_title(section.title, taken))
        ws.append([section.title])
        ws["A1"].font = TITLE
        if section.intro:
            ws.append([section.intro])
        if not section.tables:
            ws.append([section.empty])
        for table in section.tables:
            ws.append([])
            ws.append([table.title])
            ws.cell(row=ws.max_row, column=1).font = BOLD
            header = [table.row_header, *table.columns]
            ws.append(header)
            for col in range(1, len(header) + 1):
                ws.cell(row=ws.max_row, column=col).font = BOLD
            for label, entries in table.rows:
                ws.append([label])
                r = ws.max_row
                for i, entry in enumerate(entries, start=2):
                    write_entry(ws.cell(row=r, column=i), entry)
        labels = [len(label) for t in section.tables for label, _e in t.rows]
        ws.column_dimensions["A"].width = min(max([18, *labels]) + 2, 45)
        for i in range(2, ws.max_column + 1):
            ws.column_dimensions[get_column_letter(i)].width = 16
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
