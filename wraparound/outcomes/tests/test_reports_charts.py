"""The server-side SVG charts: drawn from cells, a suppressed cell a labelled gap (never a bar,
a point or its value), every label escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from ..reports.charts import Series, bar_chart, format_value, grouped_bar_chart, line_chart
from ..suppression import Cell, cell

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def _texts(svg: str) -> list[str]:
    return [t.text or "" for t in _parse(svg).iter(f"{SVG}text")]


def test_a_bar_chart_draws_shown_cells_and_labels_hidden_ones():
    cells = [
        cell(20, Decimal("0.9500"), label="Hispanic or Latino"),
        cell(3, Decimal("0.3500"), label="Asian"),
    ]
    svg = bar_chart(cells, title="Attendance rate by race/ethnicity", fmt="pct")
    root = _parse(svg)
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Attendance rate by race/ethnicity"
    texts = _texts(svg)
    assert "95.0%" in texts and "fewer than 10" in texts
    assert "35.0%" not in svg
    filled = [r for r in root.iter(f"{SVG}rect") if r.get("fill") not in (None, "none")]
    assert len(filled) == 1  # one bar: the hidden group has only a dashed outline


def test_a_line_chart_breaks_at_a_hidden_month():
    months = [
        cell(30, Decimal("0.93"), label="Sep 2026"),
        cell(4, Decimal("0.50"), label="Oct 2026"),
        cell(30, Decimal("0.91"), label="Nov 2026"),
        cell(30, Decimal("0.92"), label="Dec 2026"),
    ]
    svg = line_chart(months, title="Attendance rate by month")
    root = _parse(svg)
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    # Sep alone, then Nov–Dec: one polyline of two points (a lone point is a dot).
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 1 and len((lines[0].get("points") or "").split()) == 2
    assert "fewer than 10" in _texts(svg) and "50.0%" not in svg


def test_grouped_bars_have_a_legend_and_escape_labels():
    tiers = [
        Series("Tier 1", [cell(12, 12), cell(2, 2)]),
        Series("Tier 2", [cell(11, 11), Cell(None, None, True)]),
    ]
    svg = grouped_bar_chart(["attendance", "<b>health</b>"], tiers, title="Tiers & more", fmt="int")
    _parse(svg)  # well-formed: labels escaped
    assert "<b>" not in svg and "&lt;b&gt;health&lt;/b&gt;" in svg
    texts = _texts(svg)
    assert {"Tier 1", "Tier 2", "12", "11"} <= set(texts)
    assert texts.count("fewer than 10") == 2
    assert not re.search(r">2<", svg)


def test_format_value():
    assert format_value(Decimal("0.12345"), "pct") == "12.3%"
    assert format_value(1234, "int") == "1,234"
    assert format_value(Decimal("2.26"), "1") == "2.3"
    assert format_value(None, "pct") == "—"
