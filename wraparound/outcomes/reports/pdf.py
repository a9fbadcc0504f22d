"""The report as a PDF: an HTML template rendered by WeasyPrint, as the MOUs are
(`agreements.mou_pdf`, docs/decisions/0004): US Letter, the scope in the running header, "Page N
of M" in the footer, the charts inline SVG, nothing fetched while rendering."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from weasyprint import HTML

from wraparound.agreements.mou_pdf import css_page_counter, css_string, refuse_fetch

from .charts import bar_chart, grouped_bar_chart, line_chart
from .content import Chart, Report, display

TEMPLATE = "outcomes/reports/report.html"


def chart_svg(chart: Chart) -> str:
    if chart.kind == "line":
        return line_chart(chart.series[0].cells, title=chart.title, fmt=chart.fmt)
    if chart.kind == "grouped":
        return grouped_bar_chart(chart.groups, chart.series, title=chart.title, fmt=chart.fmt)
    return bar_chart(chart.series[0].cells, title=chart.title, fmt=chart.fmt)


def report_context(report: Report) -> dict[str, Any]:
    sections = []
    for number, section in enumerate(report.sections, start=1):
        sections.append(
            {
                "number": number,
                "key": section.key,
                "title": section.title,
                "intro": section.intro,
                "empty": section.empty,
                "tables": [
                    {
                        "title": t.title,
                        "row_header": t.row_header,
                        "columns": t.columns,
                        "rows": [(label, [display(e) for e in es]) for label, es in t.rows],
                        "note": t.note,
                    }
                    for t in section.tables
                ],
                "charts": [(c.title, chart_svg(c)) for c in section.charts],
            }
        )
    return {
        "report": report,
        "scope_name": str(report.scope),
        "network": report.scope.network,
        "sections": sections,
        "css_header": css_string(report.scope.network.name),
        "css_title": css_string(f"{report.scope} · {report.year_label}"),
        "css_page": css_page_counter(_("Page %(page)s of %(pages)s")),
    }


def render_report_pdf(report: Report) -> bytes:
    html = render_to_string(TEMPLATE, report_context(report))
    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=refuse_fetch).write_pdf()
    return pdf
