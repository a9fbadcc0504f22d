"""manage.py import_oneroster PATH --network SLUG [--dry-run]

Imports a OneRoster 1.2 CSV roster (a folder or a zip) into a network, synchronously, printing
the progress and then the summary. Exit status: 0 imported (or checked), 2 when the roster has
errors — printed one a line as `file:row:column: message` — and nothing was written."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from wraparound.core.models import Network

from ...models import ImportStatus, RosterImport
from ...oneroster.errors import format_error
from ...oneroster.source import open_source
from ...roster_services import roster_import_execute


class Command(BaseCommand):
    help = "Import a OneRoster 1.2 CSV roster (folder or zip) into a network."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="a folder or a .zip of OneRoster CSV files")
        parser.add_argument("--network", required=True, help="the network's slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every file and write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        network = Network.objects.filter(slug=options["network"]).first()
        if network is None:
            raise CommandError(f"No network has the slug {options['network']!r}.")
        path: Path = options["path"]
        try:
            source = open_source(path)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=2) from error
        roster_import = RosterImport.objects.create(
            network=network,
            source_name=path.name[:255],
            dry_run=options["dry_run"],
            status=ImportStatus.RUNNING,
            started_at=timezone.now(),
        )
        last = [0.0]

        def echo(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] < 2 and done < total:
                return
            last[0] = now
            self.stdout.write(f"{stage or 'start'}: {int(100 * done / max(total, 1))}%")

        started = time.perf_counter()
        try:
            roster_import = roster_import_execute(
                roster_import=roster_import, source=source, echo=echo
            )
        finally:
            source.close()
        seconds = time.perf_counter() - started
        summary = roster_import.summary
        if roster_import.status == ImportStatus.INVALID:
            for problem in roster_import.errors:
                self.stdout.write(format_error(problem))
            more = int(summary.get("more_errors", 0))
            if more:
                self.stdout.write(f"… and {more} more errors.")
            raise CommandError(
                f"The roster has {len(roster_import.errors) + more} errors; nothing was written.",
                returncode=2,
            )
        for key, value in summary.items():
            if key not in ("more_errors", "errors"):
                self.stdout.write(f"{key}: {value}")
        verb = "checked (dry run, nothing written)" if roster_import.dry_run else "imported"
        self.stdout.write(self.style.SUCCESS(f"Roster {verb} in {seconds:.1f} s."))
