"""manage.py import_attendance PATH --network SLUG [--dry-run] [--through YYYY-MM-DD]

Imports a school calendar, attendance events and course results (a folder or a zip holding any
of calendar.csv, attendance.csv and course_results.csv) into a network. Calendar days are added,
never removed; events and course results are upserted, so a re-import may change a day's
category or a course's grade. `--through` is the last day the files cover (default: the
network's today): the summaries count the calendar's instructional days up to it. Exit
status: 0 imported (or checked), 2 when the files have errors — printed one a line as
`file:row:column: message` — and nothing was written."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wraparound.core.models import Network
from wraparound.students.oneroster.errors import format_error

from ...attendance.source import open_source
from ...attendance_services import attendance_import_execute
from ...models import AttendanceImportStatus


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from error


class Command(BaseCommand):
    help = (
        "Import a school calendar, attendance events and course results (folder or zip) into "
        "a network."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="a folder or a .zip of the CSV files")
        parser.add_argument("--network", required=True, help="the network's slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every file and write nothing"
        )
        parser.add_argument(
            "--through",
            type=_day,
            default=None,
            metavar="YYYY-MM-DD",
            help="the last day the files cover (default: today); later calendar days are not "
            "counted",
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
        started = time.perf_counter()
        try:
            run = attendance_import_execute(
                source=source,
                network=network,
                dry_run=options["dry_run"],
                source_name=path.name,
                through=options["through"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=2) from error
        finally:
            source.close()
        seconds = time.perf_counter() - started
        if run.status == AttendanceImportStatus.INVALID:
            for problem in run.errors:
                self.stdout.write(format_error(problem))
            more = run.error_count - len(run.errors)
            if more:
                self.stdout.write(f"… and {more} more errors.")
            raise CommandError(
                f"The attendance files have {run.error_count} errors; nothing was written.",
                returncode=2,
            )
        for key, value in run.summary.items():
            self.stdout.write(f"{key}: {value}")
        verb = "checked (dry run, nothing written)" if run.dry_run else "imported"
        self.stdout.write(self.style.SUCCESS(f"Attendance {verb} in {seconds:.1f} s."))
