"""Bulk writes of prepared values: the demo's city profile writes millions of values, and
`bulk_create` spends most of its time preparing them one by one.

On PostgreSQL rows go out through COPY: a multi-row INSERT of 1,000 rows carries some 20,000
placeholders, which psycopg's client-side binding parses again for every statement (too long
for its cache) — at the city's scale that parsing, not the database, took most of the seed.
Elsewhere (SQLite) they go out as multi-row INSERTs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Field, ForeignKey, Model

from .directory import _max_query_params


def insert_rows(
    model: type[Model], fields: Sequence[Field[Any, Any]], rows: list[list[Any]]
) -> None:
    """Insert `rows` (values already prepared for the database, in the order of `fields`)."""
    ops = connection.ops
    table = ops.quote_name(str(model._meta.db_table))
    columns = ", ".join(ops.quote_name(str(f.column)) for f in fields)
    if connection.vendor == "postgresql":
        with connection.cursor() as wrapper:
            # Table and column names come from the model's metadata, never from input.
            statement = f"COPY {table} ({columns}) FROM STDIN"
            with wrapper.cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        return
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


@contextmanager
def foreign_keys_checked_at_end(models: Sequence[type[Model]]) -> Iterator[None]:
    """Write the rows of `models` inside the block with their foreign keys checked once at its
    end, a query a table, instead of row by row.

    On PostgreSQL each foreign key of each row written queues a check (a query and a row lock)
    for COMMIT: some 80 million of them for the city's students, sessions and attendance. For a
    tenth of the city they took 20 s at COMMIT; the queries here take 1 s (14 s for the whole
    city). Where the database role may (a superuser, or
    `GRANT SET ON PARAMETER session_replication_role`), the block runs without row triggers —
    in this schema only those checks — and its end looks for rows of `models` written in it
    (keys above the largest before it) that refer to no row, raising IntegrityError if any
    does. What the row-by-row checks would add, locks that keep the referenced rows from being
    deleted before COMMIT, the caller must not need: it refers only to rows its transaction
    wrote itself, which no other can delete. Every table written in the block must be in
    `models`. Elsewhere, or without the privilege, the usual checks run."""
    if connection.vendor != "postgresql":
        yield
        return
    # Leaving the block by an exception rolls this savepoint back, and the SET with it.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('session_replication_role')")
        role = cursor.fetchone()[0]
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            unchecked = False
        else:
            unchecked = True
        before: dict[type[Model], int] = {}
        if unchecked:
            ops = connection.ops
            for model in models:
                table = ops.quote_name(str(model._meta.db_table))
                pk = ops.quote_name(str(model._meta.pk.column))
                cursor.execute(f"SELECT max({pk}) FROM {table}")  # noqa: S608 (names from metadata)
                before[model] = cursor.fetchone()[0] or 0
        yield
        if unchecked:
            cursor.execute("SELECT set_config('session_replication_role', %s, true)", [role])
            for model in models:
                _check_foreign_keys(cursor, model, before[model])


def _check_foreign_keys(cursor: Any, model: type[Model], above: int) -> None:
    """Raise IntegrityError if a row of `model` with a key above `above` refers to no row."""
    ops = connection.ops
    keys = [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, ForeignKey) and getattr(f, "db_constraint", True)
    ]
    if not keys:
        return
    counts = []
    joins = []
    for n, f in enumerate(keys):
        target = f.related_model
        assert not isinstance(target, str)
        column = ops.quote_name(str(f.column))
        joins.append(
            f"LEFT JOIN {ops.quote_name(str(target._meta.db_table))} AS t{n} "
            f"ON t{n}.{ops.quote_name(str(f.target_field.column))} = c.{column}"
        )
        counts.append(
            f"count(*) FILTER (WHERE c.{column} IS NOT NULL "
            f"AND t{n}.{ops.quote_name(str(f.target_field.column))} IS NULL)"
        )
    table = ops.quote_name(str(model._meta.db_table))
    pk = ops.quote_name(str(model._meta.pk.column))
    # Table and column names come from the model's metadata, never from input.
    sql = f"SELECT {', '.join(counts)} FROM {table} AS c {' '.join(joins)} WHERE c.{pk} > %s"  # noqa: S608
    cursor.execute(sql, [above])
    dangling = [
        f"{n:,} rows of {model._meta.db_table} refer by {f.column} to no row"
        for f, n in zip(keys, cursor.fetchone(), strict=True)
        if n
    ]
    if dangling:
        raise IntegrityError("; ".join(dangling))
