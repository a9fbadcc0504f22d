"""Template helpers for outcome figures: a suppressed cell reads "fewer than 10"."""

from __future__ import annotations

from typing import Any

from django import template

from wraparound.outcomes.suppression import FEWER_THAN, Cell, is_small

register = template.Library()


@register.filter
def cell_value(cell: Cell | None, fmt: str = "") -> str:
    """The cell's value formatted (`pct` for a share as a percentage, `int`, or plain), or
    "fewer than 10" when suppressed; an empty string when there is no figure."""
    if cell is None:
        return ""
    if cell.suppressed:
        return str(FEWER_THAN)
    value: Any = cell.value
    if value is None:
        return "—"
    if fmt == "pct":
        return f"{float(value) * 100:.1f}%"
    if fmt == "int":
        return f"{int(value):,}"
    if fmt == "1":
        return f"{float(value):.1f}"
    return str(value)


@register.filter
def cell_n(cell: Cell | None) -> str:
    """The number of students behind the cell, or "fewer than 10"."""
    if cell is None:
        return ""
    if cell.suppressed or is_small(cell.n):
        return str(FEWER_THAN)
    return f"{cell.n:,}"


@register.filter
def goal_value(progress: Any, value: Any) -> str:
    """A goal's value in its indicator's unit (a rate as a percentage, days as days)."""
    return str(progress.display(value))


@register.simple_tag(takes_context=True)
def may_view_school_outcomes(context: Any, school: Any) -> bool:
    from wraparound.core import access

    return access.can_view_school_outcomes(context["request"].user, school)


@register.simple_tag(takes_context=True)
def may_view_network_outcomes(context: Any, network: Any) -> bool:
    from wraparound.core import access

    return access.can_view_network_outcomes(context["request"].user, network.pk)
