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


class KeyedRows:
    """Rows of one table with keys handed out here (from the table's current maximum), so that
    rows of other tables can refer to them before anything is written, and millions of rows go
    out in chunks without reading keys back. `finish()` moves PostgreSQL's sequence past them."""

    def __init__(self, model: type[Model], chunk: int = 50_000) -> None:
        from django.db.models import Max

        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.position = {f.attname: i for i, f in enumerate(self.fields)}
        self.pk_index = self.position[str(model._meta.pk.attname)]
        self.next_id = (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1
        self.defaults: list[Any] = []
        for f in self.fields:
            if f.has_default():
                self.defaults.append(None if callable(f.default) else f.default)
            else:
                self.defaults.append(None if f.null else "")
        # Values the driver cannot take as they are, converted once per distinct value.
        self.prepared = [
            (i, f)
            for i, f in enumerate(self.fields)
            if f.get_internal_type()
            in ("DateTimeField", "DateField", "TimeField", "DecimalField", "JSONField")
        ]
        self.cache: dict[tuple[int, Any], Any] = {}
        self.rows: list[list[Any]] = []
        self.chunk = chunk
        self.written = 0

    def add(self, **values: Any) -> int:
        row = list(self.defaults)
        pk = self.next_id
        self.next_id += 1
        row[self.pk_index] = pk
        for name, value in values.items():
            row[self.position[name]] = value
        self.rows.append(row)
        if len(self.rows) >= self.chunk:
            self.flush()
        return pk

    def flush(self) -> None:
        if not self.rows:
            return
        for i, f in self.prepared:
            for row in self.rows:
                value = row[i]
                if value is None:
                    continue
                key = (i, tuple(value) if isinstance(value, list) else value)
                prepared = self.cache.get(key)
                if prepared is None:
                    prepared = f.get_db_prep_save(value, connection)
                    if len(self.cache) < 200_000:
                        self.cache[key] = prepared
                row[i] = prepared
        insert_rows(self.model, self.fields, self.rows)
        self.written += len(self.rows)
        self.rows = []

    def finish(self) -> int:
        from django.core.management.color import no_style

        self.flush()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [self.model]):
                    cursor.execute(sql)
        return self.written
