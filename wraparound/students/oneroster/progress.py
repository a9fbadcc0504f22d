"""The live progress of an import (RosterImport.stage / done / total), for the polling page.

Where the progress row is written matters, because the import writes everything in one
transaction and the page must see the bar move while that transaction is open:

- on PostgreSQL the updates go through a second connection of their own, in autocommit: each is
  committed at once and visible to the page, and it touches only the RosterImport row, which
  the import's transaction never locks (the run marks the import running *before* it opens its
  transaction and writes the outcome *after* it closes);
- on SQLite there is one writer at a time: a second connection would wait for the import's
  transaction (busy_timeout) and fail. The reader's checking pass holds no transaction there, so
  its updates go through the main connection in autocommit; during the write transaction they
  go through the same connection (no second writer, so no waiting) and show when it commits;
- when the caller already holds a transaction (tests, a caller's atomic block) nobody else can
  see the row anyway: on SQLite updates go through the same connection; on PostgreSQL, whose
  connection may be in the middle of a COPY, the row is left alone until the end.

Progress is counted in bytes of CSV read (then in shares of the writing work): counting bytes
costs one addition per megabyte read, where counting rows would cost one per row. Updates are
throttled (at most a few per second): one short UPDATE each.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, connection, connections

from ..models import RosterImport

Echo = Callable[[str, int, int], None]


class Progress:
    """Counts rows; `tick()` is cheap and called per row, the row is written now and then."""

    def __init__(
        self,
        roster_import_id: int | None = None,
        *,
        echo: Echo | None = None,
        every: int = 1 << 20,
        min_interval: float = 0.5,
    ) -> None:
        self.id = roster_import_id
        self.echo = echo
        self.every = every
        self.min_interval = min_interval
        self.stage = ""
        self.writing = False
        self.checking = 0
        self.done = 0
        self.total = 0
        self._next = every
        self._last = 0.0
        self._side: Any = None
        self._paused = False
        if roster_import_id is not None and connection.vendor == "postgresql":
            if connection.in_atomic_block:
                # Nobody could see the row, and the main connection may be busy with a COPY.
                self._paused = True
            else:
                self._side = connections.create_connection("default")

    def start(self, total: int) -> None:
        """`total` bytes to check; as many units again follow for writing, unless a dry run."""
        self.checking = total
        self.total = max(total * (2 if self.writing else 1), 1)
        self.done = 0
        self._next = self.every
        self.flush(force=True)

    def set_stage(self, stage: str, done: int | None = None) -> None:
        self.stage = stage
        if done is not None:
            self.done = min(done, self.total)
        self.flush(force=True)

    def tick(self, rows: int = 1) -> None:
        self.done += rows
        if self.done >= self._next:
            self._next = self.done + self.every
            self.flush()

    def flush(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.min_interval:
            return
        self._last = now
        done = min(self.done, self.total)
        if self.echo is not None:
            self.echo(self.stage, done, self.total)
        if self.id is None or self._paused:
            return
        values = {"stage": self.stage[:100], "done": done, "total": self.total}
        if self._side is None:
            RosterImport.objects.filter(pk=self.id).update(**values)
            return
        try:
            with self._side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {RosterImport._meta.db_table} SET stage = %s, done = %s, total = %s "  # noqa: S608
                    "WHERE id = %s",
                    [values["stage"], done, self.total, self.id],
                )
        except DatabaseError:
            # The bar is a courtesy: an import never fails because its progress could not be shown.
            self._side.close()
            self._side = None
            self._paused = True

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
