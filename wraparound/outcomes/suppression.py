"""Small-cell suppression: no figure about fewer than `MIN_CELL` students leaves the server.

Every page, chart, export and API answer built from student outcomes passes its cells through
`cell()` / `suppress_split()`. A suppressed cell carries neither its count nor its value, so a
template or serializer cannot show them by mistake.

Zero is suppressed too ("fewer than 10" includes none): showing 0 would tell a reader that a
group is empty. Within a split whose total is shown elsewhere, one suppressed cell could be
recovered by subtraction, so `suppress_split` hides the next smallest cell as well
(complementary suppression)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.utils.translation import gettext_lazy as _

MIN_CELL = 10
FEWER_THAN = _("fewer than 10")


@dataclass(frozen=True)
class Cell:
    """One figure about a group of students: `n` students, `value` the figure (a rate, a
    median, a count...). When suppressed both are None."""

    n: int | None
    value: Any
    suppressed: bool = False
    label: str = ""
    key: str = ""

    def as_dict(self) -> dict[str, Any]:
        if self.suppressed:
            return {
                "key": self.key,
                "label": str(self.label),
                "n": None,
                "value": None,
                "suppressed": True,
            }
        value = self.value
        if value is not None and not isinstance(value, int | float | str | bool):
            value = float(value)
        return {
            "key": self.key,
            "label": str(self.label),
            "n": self.n,
            "value": value,
            "suppressed": False,
        }

    def __str__(self) -> str:
        if self.suppressed:
            return str(FEWER_THAN)
        return "" if self.value is None else str(self.value)


def is_small(n: int | None) -> bool:
    return n is None or n < MIN_CELL


def cell(n: int | None, value: Any, *, label: str = "", key: str = "") -> Cell:
    """A cell about `n` students; suppressed when there are fewer than `MIN_CELL`."""
    if is_small(n):
        return Cell(n=None, value=None, suppressed=True, label=label, key=key)
    return Cell(n=n, value=value, label=label, key=key)


def suppress_split(cells: Sequence[Cell], *, counts: Sequence[int] | None = None) -> list[Cell]:
    """Cells of one split (e.g. attendance by race/ethnicity) with complementary suppression:
    when exactly one cell is suppressed and others are shown, the smallest shown cell is
    suppressed too, so the hidden one cannot be recovered from the total. `counts` are the
    true group sizes when `cells` were built before suppression (same order)."""
    out = list(cells)
    hidden = [i for i, c in enumerate(out) if c.suppressed]
    if len(hidden) != 1:
        return out
    sizes = counts or [c.n or 0 for c in out]
    shown = [i for i, c in enumerate(out) if not c.suppressed]
    if not shown:
        return out
    smallest = min(shown, key=lambda i: (sizes[i], i))
    victim = out[smallest]
    out[smallest] = replace(victim, n=None, value=None, suppressed=True)
    return out


def public_count(n: int) -> int | None:
    """A head count safe to show: itself, or None when it is under `MIN_CELL`."""
    return None if is_small(n) else n
