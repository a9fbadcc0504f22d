"""An import from start to end: check everything, then write everything or nothing.

On PostgreSQL the checking pass already streams the rows it keeps into temporary staging tables
inside the import's one transaction (COPY is cheap to throw away, and the server stores while
Python checks); when any problem is found the transaction is rolled back and nothing — staging
included — remains. Only once the checks have passed do the staged rows reach the network's
tables. On SQLite the checking pass holds no transaction (one writer at a time: the progress
row must stay writable), keeps the rows in memory, and the write transaction follows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from wraparound.core.models import Network

from . import spec, staging
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


def run_import(
    *, source: RosterSource, network: Network, dry_run: bool, progress: Progress
) -> Outcome:
    reader = RosterReader(source, network, progress)
    progress.writing = not dry_run
    counts: dict[str, int] = {}
    if dry_run:
        reader.read()
    elif connection.vendor == "postgresql":
        try:
            with transaction.atomic(), connection.cursor() as wrapper:
                staging.create_stage_tables(wrapper)
                sink = staging.CopySink(wrapper.cursor)
                try:
                    reader.read(sink)
                finally:
                    sink.end()
                if reader.errors:
                    raise _Invalid
                staging.analyze(wrapper)
                counts = _merge(wrapper, reader, network, progress)
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
                counts = _merge(cursor, reader, network, progress)
                staging.drop_stage_tables(cursor)
    summary: dict[str, Any] = {**reader.counts, **counts}
    summary["modes"] = {k: v for k, v in reader.modes.items() if v != spec.ABSENT}
    return Outcome(
        errors=reader.errors.items,
        error_count=reader.errors.count,
        modes=reader.modes,
        summary=summary,
    )


def _merge(
    cursor: Any, reader: RosterReader, network: Network, progress: Progress
) -> dict[str, int]:
    share = progress.checking // len(WRITE_STEPS)
    position = {step: progress.checking + i * share for i, step in enumerate(WRITE_STEPS)}

    def step(name: str) -> None:
        progress.set_stage(name, done=position[name])

    counts = staging.merge(
        cursor,
        network_id=network.pk,
        now=connection.ops.adapt_datetimefield_value(timezone.now()),
        modes=reader.modes,
        staged=reader.staged,
        step=step,
    )
    progress.set_stage("write:done", done=progress.total)
    return counts
