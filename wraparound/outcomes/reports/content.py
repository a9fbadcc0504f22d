"""What a funder/board report holds, independent of its format: titled sections of tables and
charts whose figures are `suppression.Cell`s. `pdf` and `xlsx` render the same `Report`, so the
two formats cannot disagree, and neither can reveal a cell the dashboards hide: the figures come
from the dashboards' builders (`outcomes.dashboard_data`), never computed a second time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from ..indicators import Scope
from ..suppression import FEWER_THAN, Cell
from .charts import Series, format_value

# A value in a table: a Cell (a figure about students, maybe suppressed) or a plain value that
# is not about students (a goal's target, a date, a label).
Value = Cell | Decimal | int | float | str | dt.date | None


@dataclass(frozen=True)
class Entry:
    value: Value
    # "pct" a share shown as a percentage, "int" a count, "1" one decimal, "n" the cell's number
    # of students, "" as is.
    fmt: str = ""


@dataclass
class Table:
    title: str
    row_header: str
    columns: list[str]
    rows: list[tuple[str, list[Entry]]]
    note: str = ""


@dataclass
class Chart:
    kind: Literal["bar", "line", "grouped"]
    title: str
    fmt: str
    # bar, line: one series; grouped: one series per bar colour, `groups` the rows.
    series: list[Series]
    groups: list[str] = field(default_factory=list)


@dataclass
class Section:
    key: str  # stable: the XLSX sheet is named after the title, tests find sections by key
    title: str
    intro: str = ""
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    empty: str = ""  # what to say when there is nothing to show


@dataclass
class Report:
    scope: Scope
    title: str
    scope_label: str  # "School", "Network", "Partner organization"
    year: int
    generated_on: dt.date
    sections: list[Section]
    about: list[tuple[str, str]]  # (term, definition) for "About these figures"

    @property
    def year_label(self) -> str:
        return f"{self.year - 1}–{str(self.year)[-2:]}"

    @property
    def filename_stem(self) -> str:
        target = self.scope.organization or self.scope.school or self.scope.network
        code = getattr(target, "code", "") or getattr(target, "slug", "") or str(target.pk)
        return f"outcomes-{self.scope.kind}-{code}-{self.year}"


def display(entry: Entry) -> str:
    """An entry as text, as the PDF prints it: a suppressed cell reads "fewer than 10"."""
    value = entry.value
    if isinstance(value, Cell):
        if value.suppressed:
            return str(FEWER_THAN)
        if entry.fmt == "n":
            return "—" if value.n is None else f"{value.n:,}"
        return format_value(value.value, entry.fmt)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | int | float):
        return format_value(value, entry.fmt)
    return "—" if value is None or value == "" else str(value)
