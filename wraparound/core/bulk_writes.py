"""The settings of an import's one big write transaction on PostgreSQL (ADR 0006): its commit
not waited for, and no per-row foreign-key triggers where the database role may skip them, with
explicit locks doing what those triggers would also have done.

Shared by the imports that write millions of rows in one transaction: the OneRoster import and
the attendance import."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import DatabaseError, transaction

from .models import Network, School


def relaxed_commit(cursor: Any) -> None:
    """This transaction's commit does not wait for its WAL to reach the disk. A crash in the
    next fraction of a second can lose the whole import (never part of it: it is one
    transaction), and the files are still there to run again: the imports are idempotent. The
    run row that says the import is done is committed afterwards, synchronously, and flushing
    that commit flushes the WAL before it too."""
    cursor.execute("SET LOCAL synchronous_commit = off")


def without_row_triggers(cursor: Any, network_id: int, lock_tables: Sequence[str]) -> bool:
    """Where the role may (a superuser, or on PostgreSQL 15+ `GRANT SET ON PARAMETER
    session_replication_role`), the transaction fires no row triggers — in this schema only the
    foreign-key checks, one query per written row and foreign key, queued until COMMIT. The
    caller must take every referenced id from the tables it locks here: `lock_tables` against
    every other writer (SHARE ROW EXCLUSIVE: readers go on, a second import waits), the network
    and its schools FOR KEY SHARE. Returns whether triggers are off; without the privilege the
    usual checks run. `cursor` is Django's cursor or the psycopg cursor under it."""
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except (DatabaseError, psycopg.Error):
        return False
    if lock_tables:
        cursor.execute(f"LOCK TABLE {', '.join(lock_tables)} IN SHARE ROW EXCLUSIVE MODE")
    network_t, school_t = Network._meta.db_table, School._meta.db_table
    # Row locks, no rows wanted back: a network has a few thousand schools at most.
    cursor.execute(f"SELECT id FROM {network_t} WHERE id = %s FOR KEY SHARE", [network_id])  # noqa: S608
    cursor.execute(f"SELECT id FROM {school_t} WHERE network_id = %s FOR KEY SHARE", [network_id])  # noqa: S608
    return True


@contextmanager
def bulk_transaction(cursor: Any, network_id: int, lock_tables: Sequence[str]) -> Iterator[None]:
    """Both settings, for the caller's transaction only (SET LOCAL): inside an outer
    transaction the triggers are back on once the block is done; a failed block's savepoint
    rollback undoes them too."""
    relaxed_commit(cursor)
    skipped = without_row_triggers(cursor, network_id, lock_tables)
    yield
    if skipped:
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
