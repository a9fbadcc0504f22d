"""Charts for the PDF report, drawn on the server as small SVG documents (WeasyPrint renders
inline SVG; no charting library). They are drawn from `suppression.Cell`s only: a suppressed
cell is a labelled gap reading "fewer than 10", never a bar or a point, so a chart cannot show
what the tables hide.

Every chart is a `<svg role="img">` with a `<title>`; the numbers are in the tables beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..suppression import FEWER_THAN, Cell

WIDTH = 480
LABEL_WIDTH = 150
BAR = 14
GAP = 6
FONT = "DejaVu Sans, sans-serif"
INK = "#222"
MUTED = "#666"
GRID = "#ccc"
# Series colours: distinguishable in greyscale print as well (dark, mid, light).
COLOURS = ("#1f4e79", "#6a9fd4", "#b5cde6", "#7f6000", "#c9a227")


@dataclass(frozen=True)
class Series:
    name: str
    cells: Sequence[Cell]


def format_value(value: object, fmt: str) -> str:
    """A figure as the tables show it: `pct` a share as a percentage, `int`, `1` one decimal."""
    if value is None:
        return "—"
    number = float(value) if isinstance(value, int | float | Decimal) else None
    if number is None:
        return str(value)
    if fmt == "pct":
        return f"{number * 100:.1f}%"
    if fmt == "int":
        return f"{int(number):,}"
    if fmt == "1":
        return f"{number:.1f}"
    return f"{number:g}"


def _scale_max(values: Sequence[float], fmt: str) -> float:
    if fmt == "pct":
        return 1.0
    top = max(values, default=0.0)
    return top * 1.1 if top > 0 else 1.0


def _number(cell: Cell) -> float | None:
    if cell.suppressed or cell.value is None:
        return None
    return float(cell.value)


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="9">'
        f"<title>{escape(title)}</title>"
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every text escaped above


def _text(x: float, y: float, text: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(text)}</text>'


def bar_chart(cells: Sequence[Cell], *, title: str, fmt: str = "") -> SafeString:
    """Horizontal bars, one per cell, labelled by the cell's label."""
    return grouped_bar_chart(
        [c.label for c in cells], [Series("", cells)], title=title, fmt=fmt, legend=False
    )


def grouped_bar_chart(
    groups: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    fmt: str = "",
    legend: bool = True,
) -> SafeString:
    """Horizontal bars grouped by row (a student group), one bar per series (an indicator or
    a school) in each group."""
    values = [v for s in series for c in s.cells if (v := _number(c)) is not None]
    top = _scale_max(values, fmt)
    plot = WIDTH - LABEL_WIDTH - 70
    per_group = len(series) * (BAR + 2) + GAP
    legend_h = 16 if legend and len(series) > 1 else 0
    height = legend_h + len(groups) * per_group + 8
    body: list[str] = []
    if legend_h:
        x = float(LABEL_WIDTH)
        for i, s in enumerate(series):
            colour = COLOURS[i % len(COLOURS)]
            body.append(f'<rect x="{x:.1f}" y="2" width="10" height="10" fill="{colour}"/>')
            body.append(_text(x + 14, 11, s.name, fill=INK))
            x += 24 + 6 * len(s.name)
    body.append(
        f'<line x1="{LABEL_WIDTH}" y1="{legend_h}" x2="{LABEL_WIDTH}" y2="{height - 4}" '
        f'stroke="{GRID}"/>'
    )
    for g, group in enumerate(groups):
        y0 = legend_h + g * per_group + 4
        mid = y0 + (len(series) * (BAR + 2)) / 2 + 3
        body.append(_text(LABEL_WIDTH - 6, mid, str(group), fill=INK, text_anchor="end"))
        for i, s in enumerate(series):
            y = y0 + i * (BAR + 2)
            c = s.cells[g] if g < len(s.cells) else None
            number = _number(c) if c is not None else None
            if c is not None and c.suppressed:
                body.append(
                    f'<rect x="{LABEL_WIDTH}" y="{y}" width="{plot}" height="{BAR}" '
                    f'fill="none" stroke="{GRID}" stroke-dasharray="3 2"/>'
                )
                body.append(
                    _text(
                        LABEL_WIDTH + 6,
                        y + BAR - 4,
                        str(FEWER_THAN),
                        fill=MUTED,
                        font_style="italic",
                    )
                )
                continue
            if number is None:
                body.append(_text(LABEL_WIDTH + 6, y + BAR - 4, "—", fill=MUTED))
                continue
            width = max(plot * min(number / top, 1.0), 1.0)
            colour = COLOURS[i % len(COLOURS)]
            body.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR}" '
                f'fill="{colour}"/>'
            )
            body.append(
                _text(LABEL_WIDTH + width + 4, y + BAR - 4, format_value(number, fmt), fill=INK)
            )
    return _svg(WIDTH, height, title, body)


def line_chart(cells: Sequence[Cell], *, title: str, fmt: str = "pct") -> SafeString:
    """A line through the cells in order (months); a suppressed month breaks the line and reads
    "fewer than 10" at its place on the axis."""
    height, left, right, top_pad, bottom = 220, 46, 16, 12, 48
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    values = [v for c in cells if (v := _number(c)) is not None]
    if fmt == "pct" and values:
        # Attendance lives near the top: start the axis at a round share below the lowest month.
        low = max(0.0, (int(min(values) * 10) - 1) / 10)
        high = 1.0
    else:
        low, high = 0.0, _scale_max(values, fmt)
    span = (high - low) or 1.0
    step = plot_w / max(len(cells) - 1, 1)

    def y_of(v: float) -> float:
        return top_pad + plot_h * (1 - (v - low) / span)

    body: list[str] = []
    for k in range(5):
        v = low + span * k / 4
        y = y_of(v)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        body.append(_text(left - 4, y + 3, format_value(v, fmt), fill=MUTED, text_anchor="end"))
    segments: list[list[tuple[float, float]]] = [[]]
    for i, c in enumerate(cells):
        x = left + i * step
        label_y = height - bottom + 14
        body.append(
            _text(
                x,
                label_y,
                c.label,
                fill=INK,
                text_anchor="end",
                transform=f"rotate(-40 {x:.1f} {label_y:.1f})",
            )
        )
        number = _number(c)
        if number is None:
            if segments[-1]:
                segments.append([])
            if c.suppressed:
                body.append(
                    _text(
                        x,
                        height - bottom - 4,
                        str(FEWER_THAN),
                        fill=MUTED,
                        font_style="italic",
                        text_anchor="middle",
                        font_size="7",
                    )
                )
            continue
        segments[-1].append((x, y_of(number)))
    for seg in segments:
        if len(seg) > 1:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
            body.append(
                f'<polyline points="{points}" fill="none" stroke="{COLOURS[0]}" stroke-width="2"/>'
            )
        for x, y in seg:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{COLOURS[0]}"/>')
    return _svg(WIDTH, height, title, body)
