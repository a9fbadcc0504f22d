"""manage.py attendance_summary --school CODE --year YYYY --out FILE.csv [--network SLUG]

Writes one row per student enrolled at the school in the school year ending in YYYY:
`student_id,enrolled_days,absent_days,tardies,attendance_rate,chronically_absent` (the rate to
4 decimals; chronically_absent `true`, `false`, or empty when the student is not classified)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wraparound.core.models import School

from ...selectors import attendance_summary_rows

HEADER = (
    "student_id",
    "enrolled_days",
    "absent_days",
    "tardies",
    "attendance_rate",
    "chronically_absent",
)
CHRONIC = {True: "true", False: "false", None: ""}


class Command(BaseCommand):
    help = "Write a school's per-student attendance summary for a school year as CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help="the school's code")
        parser.add_argument(
            "--year", required=True, type=int, help="the calendar year the school year ends in"
        )
        parser.add_argument("--out", required=True, type=Path, help="the CSV file to write")
        parser.add_argument("--network", help="the network's slug, when codes are ambiguous")

    def handle(self, *args: Any, **options: Any) -> None:
        schools = School.objects.filter(code=options["school"])
        if options["network"]:
            schools = schools.filter(network__slug=options["network"])
        found = list(schools[:2])
        if not found:
            raise CommandError(f"No school has the code {options['school']!r}.")
        if len(found) > 1:
            raise CommandError(
                f"Several networks have a school {options['school']!r}: give --network."
            )
        rows = attendance_summary_rows(found[0], int(options["year"]))
        out = Path(options["out"])
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(HEADER)
            for row in rows:
                writer.writerow(
                    (
                        row.sourced_id,
                        row.enrolled_days,
                        row.absent_days,
                        row.tardies,
                        f"{row.attendance_rate:.4f}",
                        CHRONIC[row.chronically_absent],
                    )
                )
        self.stdout.write(f"{len(rows)} students written to {out}.")
