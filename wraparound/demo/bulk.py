"""Multi-row INSERTs of prepared values: the demo's city profile writes millions of values, and
`bulk_create` spends most of its time preparing them one by one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

from .directory import _max_query_params


def insert_rows(
    model: type[Model], fields: Sequence[Field[Any, Any]], rows: list[list[Any]]
) -> None:
    """Insert `rows` (values already prepared for the database, in the order of `fields`)."""
    ops = connection.ops
    table = ops.quote_name(str(model._meta.db_table))
    columns = ", ".join(ops.quote_name(str(f.column)) for f in fields)
    width = len(fields)
    per_statement = max(1, min(1000, _max_query_params() // width))
    one = "(" + ", ".join(["%s"] * width) + ")"
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # below Django's debug wrapper, as in directory._Table
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            # Table and column names come from the model's metadata, never from input.
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))}"  # noqa: S608
            cursor.execute(sql, [v for row in chunk for v in row])
