"""What the HSDS 3.0 standard says about each column — its type and its allowed values — as the
import checks them. Taken from `serialize.field_spec`, the project's own statement of the
standard (the export's datapackage.json is built from it), so an import in production needs no
copy of the standard's files; `tests/test_hsds_import.py` checks it against the official
`datapackage.json` and `schema/<table>.json` enums."""

from __future__ import annotations

from functools import cache

from .serialize import field_spec
from .tables import TABLES


@cache
def column_types() -> dict[str, dict[str, str]]:
    """table → column → Table Schema type (string, number, date, datetime, time)."""
    return {t.name: {c: field_spec(t, c).type for c in t.columns} for t in TABLES}


@cache
def column_enums() -> dict[str, dict[str, tuple[str, ...]]]:
    """table → column → allowed values, for the columns the standard enumerates."""
    enums: dict[str, dict[str, tuple[str, ...]]] = {}
    for table in TABLES:
        for column in table.columns:
            spec = field_spec(table, column)
            if spec.enum:
                enums.setdefault(table.name, {})[column] = spec.enum
    return enums
