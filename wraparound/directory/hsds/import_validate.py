"""Checking every row of an HSDS source before anything is written: types (as the standard's
datapackage.json gives them), required columns, enums (from the standard's JSON schemas),
lengths the database holds, duplicate ids, and references — each `<x>_id` must name a row of
the source or a record of the same network. Each failure is a problem naming the file, row,
field and value, in words a network admin can act on.

Two lenient cases, reported as warnings and documented in docs/directory-import.md: a parent
(`parent_organization_id`, taxonomy term `parent_id`) that is nowhere is left empty — HSDS's own
datapackage.json declares no foreign key for them — and an attribute whose `link_entity` is not
an HSDS table is kept as given, without a link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from wraparound.core.models import Network

from .import_schema import column_enums, column_types
from .reader import Problem, RawRecord, problem
from .tables import BY_NAME, TABLES, HsdsTable, Reference

# Attributes whose link is a foreign key on the model, besides the generic link_entity/link_id.
ATTRIBUTE_LINKS = ("service", "organization", "location")
SELF_REFERENCES = {("organization", "parent_organization_id"), ("taxonomy_term", "parent_id")}
_INT_LIMITS = {
    models.PositiveSmallIntegerField: 32767,
    models.PositiveIntegerField: 2147483647,
    models.SmallIntegerField: 32767,
    models.IntegerField: 2147483647,
}


@dataclass
class Row:
    table: HsdsTable
    file: str
    row: int | str
    id: str
    given: tuple[str, ...]  # the columns the source gave (an update touches only these)
    values: dict[str, Any]  # python values by HSDS column; None when empty
    problems: list[Problem] = field(default_factory=list)
    first: bool = True  # the first row with its id (a repeated id is a problem of the later)

    @property
    def key(self) -> tuple[str, str]:
        return (self.table.name, self.id)

    def dependencies(self) -> Iterable[tuple[str, str]]:
        for ref in self.table.references:
            value = self.values.get(ref.column)
            if value:
                yield (ref.table, value)
        if self.table.name == "attribute":
            entity, link_id = self.values.get("link_entity"), self.values.get("link_id")
            if entity in BY_NAME and link_id:
                yield (entity, link_id)


@dataclass
class Checked:
    rows: list[Row]
    warnings: list[Problem]
    known: dict[str, dict[str, int]]  # table → hsds_id → pk of the network's existing records

    @property
    def problems(self) -> list[Problem]:
        return [p for row in self.rows for p in row.problems]


class KnownIds:
    """The network's existing records by table: hsds_id → primary key, read once per table."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.by_table: dict[str, dict[str, int]] = {}

    def __call__(self, table: str) -> dict[str, int]:
        if table not in self.by_table:
            model = BY_NAME[table].model
            self.by_table[table] = dict(
                model._default_manager.filter(network=self.network).values_list("hsds_id", "pk")
            )
        return self.by_table[table]


def check(records: list[RawRecord], *, network: Network, known: KnownIds | None = None) -> Checked:
    known = known or KnownIds(network)
    warnings: list[Problem] = []
    order = {table.name: i for i, table in enumerate(TABLES)}
    rows = [_convert(record) for record in records]
    rows.sort(key=lambda r: order[r.table.name])  # stable: source order within a table

    package_ids: dict[str, set[str]] = {table.name: set() for table in TABLES}
    for row in rows:
        if not row.id:
            continue
        if row.id in package_ids[row.table.name]:
            row.first = False
            row.problems.append(
                problem(
                    row.file,
                    row.row,
                    "id",
                    row.id,
                    f"Another {row.table.name} in the source has this id; ids must be unique.",
                )
            )
        package_ids[row.table.name].add(row.id)

    def exists(table: str, hsds_id: str) -> bool:
        return hsds_id in package_ids[table] or hsds_id in known(table)

    unknown_entities: set[str] = set()
    for row in rows:
        for ref in row.table.references:
            value = row.values.get(ref.column)
            if value is None or exists(ref.table, value):
                continue
            if (row.table.name, ref.column) in SELF_REFERENCES:
                row.values[ref.column] = None
                warnings.append(
                    problem(
                        row.file,
                        row.row,
                        ref.column,
                        value,
                        f"No {ref.table} with this id in the source or the directory; "
                        "imported without a parent.",
                    )
                )
                continue
            row.problems.append(
                problem(
                    row.file,
                    row.row,
                    ref.column,
                    value,
                    f"No {ref.table} with this id in the source or in the network's directory.",
                )
            )
        if row.table.name == "attribute":
            entity, link_id = row.values.get("link_entity"), row.values.get("link_id")
            if entity and entity not in BY_NAME:
                if entity not in unknown_entities:
                    unknown_entities.add(entity)
                    warnings.append(
                        problem(
                            row.file,
                            row.row,
                            "link_entity",
                            entity,
                            "Not an HSDS table; the attribute is kept without a link.",
                        )
                    )
            elif entity and link_id and not exists(entity, link_id):
                row.problems.append(
                    problem(
                        row.file,
                        row.row,
                        "link_id",
                        link_id,
                        f"No {entity} with this id in the source or in the network's directory.",
                    )
                )
    return Checked(rows=rows, warnings=warnings, known=known.by_table)


# --- one row ------------------------------------------------------------------------------------


def _convert(record: RawRecord) -> Row:
    table = BY_NAME[record.table]
    types = column_types()[table.name]
    enums = column_enums().get(table.name, {})
    problems = list(record.problems)
    values: dict[str, Any] = {}
    for column in table.columns:
        if column not in record.values:
            if column in table.required:
                problems.append(
                    problem(record.file, record.row, column, None, "Required; it is missing.")
                )
            continue
        value, error = convert_value(
            table, column, record.values[column], types.get(column, "string"), enums.get(column)
        )
        if error:
            problems.append(problem(record.file, record.row, column, record.values[column], error))
            value = None
        elif value is None and column in table.required:
            problems.append(problem(record.file, record.row, column, "", "Required; it is empty."))
        values[column] = value
    row_id = values.get("id") if isinstance(values.get("id"), str) else ""
    given = tuple(c for c in table.columns if c in record.values and c != "id")
    return Row(table, record.file, record.row, row_id or "", given, values, problems)


def model_field(table: HsdsTable, column: str) -> models.Field[Any, Any]:
    return _model_field(table.name, column)


@cache
def _model_field(table_name: str, column: str) -> models.Field[Any, Any]:
    table = BY_NAME[table_name]
    return table.model._meta.get_field(table.model_field(column))  # type: ignore[return-value]


@cache
def reference(table_name: str, column: str) -> Reference | None:
    return BY_NAME[table_name].reference(column)


def convert_value(
    table: HsdsTable,
    column: str,
    raw: Any,
    kind: str,
    enum: tuple[str, ...] | None,
) -> tuple[Any, str | None]:
    """The python value of one cell, or the reason it is not acceptable."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if isinstance(raw, bool | dict | list):
        return None, f"Expected a {kind}, not {type(raw).__name__}."
    target = model_field(table, column)
    if column == "id" or reference(table.name, column) or column in ("link_id", "link_entity"):
        value = str(raw).strip()
        if len(value) > 100:
            return None, "An id is at most 100 characters."
        return value, None
    try:
        if kind == "number":
            return _number(raw, target)
        if kind == "date":
            return _iso(raw, dt.date), None
        if kind == "datetime":
            moment = _iso(raw, dt.datetime)
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            return moment, None
        if kind == "time":
            return _iso(raw, dt.time).replace(tzinfo=None), None
    except (ValueError, TypeError):
        formats = {
            "date": "a date as YYYY-MM-DD",
            "datetime": "a date and time as YYYY-MM-DDTHH:MM:SS (ISO 8601)",
            "time": "a time as HH:MM or HH:MM:SS",
        }
        return None, f"Expected {formats[kind]}."
    value = raw if isinstance(raw, str) else str(raw)
    if enum is not None and value not in enum:
        return None, "Not an allowed value; use one of: " + ", ".join(enum) + "."
    max_length = getattr(target, "max_length", None)
    if max_length and len(value) > max_length:
        return None, f"Too long: {len(value)} characters; at most {max_length}."
    if isinstance(target, models.URLField | models.EmailField):
        try:
            for validator in target.validators:
                validator(value)
        except ValidationError as e:
            return None, " ".join(str(m) for m in e.messages)
    return value, None


def _iso(raw: Any, kind: type) -> Any:
    if not isinstance(raw, str):
        raise TypeError
    return kind.fromisoformat(raw.strip())  # type: ignore[attr-defined]


def _number(raw: Any, target: models.Field[Any, Any]) -> tuple[Any, str | None]:
    try:
        number = Decimal(raw.strip() if isinstance(raw, str) else str(raw))
    except InvalidOperation:
        return None, "Expected a number."
    if not number.is_finite():
        return None, "Expected a number."
    for kind, limit in _INT_LIMITS.items():
        if isinstance(target, kind):
            if number != number.to_integral_value():
                return None, "Expected a whole number."
            low = 0 if "Positive" in type(target).__name__ else -limit - 1
            if not low <= number <= limit:
                return None, f"Expected a whole number from {low} to {limit}."
            return int(number), None
    if isinstance(target, models.DecimalField):
        places = target.decimal_places or 0
        digits = target.max_digits or 0
        if abs(number) >= Decimal(10) ** (digits - places):
            return None, f"Too large: at most {digits - places} digits before the decimal point."
        return number.quantize(Decimal(1).scaleb(-places)), None
    return number, None
