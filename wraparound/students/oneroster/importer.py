"""An import from start to end: check everything, then write everything or nothing.

On PostgreSQL the server reads and checks the files itself (`sqlcheck`: COPY into temporary
tables, set-based checks, staging built in SQL) and the merge follows in the same transaction
(a network's first import of bulk users and roles skips the staging tables: `sqlcheck` writes
the rows straight from the raw tables and checks what it wrote);
when the SQL finds anything, that transaction is rolled back and the roster is read again row by
row (below) to name every problem. In that row-by-row reading on PostgreSQL the checking pass
streams the rows it keeps into temporary staging tables inside the import's one transaction
(COPY is cheap to throw away, and the server stores while Python checks); when any problem is
found the transaction is rolled back and nothing — staging included — remains. Only once the
checks have passed do the staged rows reach the network's tables. On SQLite the checking pass
holds no transaction (one writer at a time: the progress row must stay writable), keeps the rows
in memory, and the write transaction follows it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from wraparound.core.bulk_writes import bulk_transaction
from wraparound.core.models import Network

from . import spec, sqlcheck, staging
from .errors import RowError
from .progress import Progress
from .reader import RosterReader
from .source import RosterSource

WRITE_STEPS = ("write:students", "write:guardians", "write:enrollments", "write:links")


@dataclass
class Outcome:
    errors: list[RowError]
    error_count: int
    modes: dict[str, str]
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def mode(self) -> str:
        """bulk or delta, as users.csv (else roles.csv) says; "mixed" when files differ."""
        used = {m for m in self.modes.values() if m != spec.ABSENT}
        if len(used) > 1:
            return "mixed"
        return used.pop() if used else ""


class _Invalid(Exception):
    """Rolls the import's transaction back when the checks found problems."""


class _Checked(Exception):
    """Rolls a dry run's transaction back once the SQL has checked the roster."""

    def __init__(self, checked: sqlcheck.Checked) -> None:
        self.checked = checked


def _postgres(
    *, source: RosterSource, network: Network, dry_run: bool, progress: Progress
) -> Outcome | None:
    """The PostgreSQL path; None when the roster must be read row by row (it has problems, or
    may have)."""
    reader = RosterReader(source, network, progress)
    reader.read_manifest()
    if reader.errors:
        return None
    present = [n for n in spec.READ_ORDER if reader.modes.get(n, spec.ABSENT) != spec.ABSENT]
    progress.start(sum(source.size(name) for name in present))
    counts: dict[str, int] = {}
    try:
        with (
            transaction.atomic(),
            connection.cursor() as wrapper,
            _bulk_transaction(wrapper, network),
        ):
            # A network's first import (the bulk of what a district ever sends) is written by
            # the checking SQL itself, without staging tables; a dry run writes nothing.
            first = (
                None
                if dry_run or not staging.is_first_import(wrapper.cursor, network.pk)
                else sqlcheck.FirstImport(now=_now(), step=_steps(progress))
            )
            checked = sqlcheck.check_and_stage(
                wrapper.cursor,
                source=source,
                network_id=network.pk,
                modes=reader.modes,
                progress=progress,
                first=first,
            )
            if dry_run:
                raise _Checked(checked)
            if checked.written is not None:
                counts = checked.written
                progress.set_stage("write:done", done=progress.total)
            else:
                counts = _merge(wrapper, reader.modes, checked.staged, network, progress)
            sqlcheck.drop_tables(wrapper)
    except sqlcheck.Unclean:
        return None
    except _Checked as done:
        checked = done.checked
    summary: dict[str, Any] = {**checked.counts, **counts}
    summary["modes"] = {k: v for k, v in reader.modes.items() if v != spec.ABSENT}
    return Outcome(errors=[], error_count=0, modes=reader.modes, summary=summary)


def _bulk_transaction(cursor: Any, network: Network) -> AbstractContextManager[None]:
    """The import's one big transaction (ADR 0006, `core.bulk_writes`): its commit not waited
    for, and, where the role may, no per-row foreign-key checks. They cannot fail here: every
    school id comes from core_school, every student and guardian id from a join with the rows
    just written. What they would also do — keep the referenced rows from being deleted before
    the import commits — the locks do instead: the network and its schools FOR KEY SHARE, and
    the students and guardians tables against every other writer (an import's links and
    enrollments point at students and guardians it did not write). Readers, and writers of
    tables that refer to students (referrals, consents), are not held up; a second import waits
    for the first."""
    return bulk_transaction(cursor, network.pk, [staging.STUDENT, staging.GUARDIAN])


def run_import(
    *, source: RosterSource, network: Network, dry_run: bool, progress: Progress
) -> Outcome:
    progress.writing = not dry_run
    if connection.vendor == "postgresql":
        outcome = _postgres(source=source, network=network, dry_run=dry_run, progress=progress)
        if outcome is not None:
            return outcome
    reader = RosterReader(source, network, progress)
    counts: dict[str, int] = {}
    if dry_run:
        reader.read()
    elif connection.vendor == "postgresql":
        try:
            with (
                transaction.atomic(),
                connection.cursor() as wrapper,
                _bulk_transaction(wrapper, network),
            ):
                staging.create_stage_tables(wrapper)
                sink = staging.CopySink(wrapper.cursor)
                try:
                    reader.read(sink)
                finally:
                    sink.end()
                if reader.errors:
                    raise _Invalid
                staging.analyze(wrapper)
                counts = _merge(wrapper, reader.modes, reader.staged, network, progress)
                staging.drop_stage_tables(wrapper)
        except _Invalid:
            pass
    else:
        buffer = staging.ListSink()
        reader.read(buffer)
        if not reader.errors:
            with transaction.atomic(), connection.cursor() as cursor:
                progress.set_stage("write:stage")
                staging.create_stage_tables(cursor)
                buffer.load(cursor)
                counts = _merge(cursor, reader.modes, reader.staged, network, progress)
                staging.drop_stage_tables(cursor)
    summary: dict[str, Any] = {**reader.counts, **counts}
    summary["modes"] = {k: v for k, v in reader.modes.items() if v != spec.ABSENT}
    return Outcome(
        errors=reader.errors.items,
        error_count=reader.errors.count,
        modes=reader.modes,
        summary=summary,
    )


def _now() -> Any:
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _steps(progress: Progress) -> Callable[[str], None]:
    """Reports the write steps, each a quarter of the writing's share of the progress bar."""
    share = progress.checking // len(WRITE_STEPS)
    position = {step: progress.checking + i * share for i, step in enumerate(WRITE_STEPS)}

    def step(name: str) -> None:
        progress.set_stage(name, done=position[name])

    return step


def _merge(
    cursor: Any,
    modes: dict[str, str],
    staged: dict[str, int],
    network: Network,
    progress: Progress,
) -> dict[str, int]:
    counts = staging.merge(
        cursor,
        network_id=network.pk,
        now=_now(),
        modes=modes,
        staged=staged,
        step=_steps(progress),
    )
    progress.set_stage("write:done", done=progress.total)
    return counts
