"""manage.py report --scope school:CODE|network:SLUG|organization:ID --year YYYY
--format pdf|xlsx --out FILE [--network SLUG]

Writes the outcomes report of a school, a network or a partner organization for the school year
ending in YYYY, as the report pages do (docs/outcomes.md). School codes are unique within a
network: `--network SLUG` picks the network when several have the code. Exit status 2, with a
message saying what is wrong, on a bad scope, year or format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wraparound.core.models import Network, Organization, School

from ...indicators import Scope
from ...reports.build import build_report
from ...reports.pdf import render_report_pdf
from ...reports.xlsx import render_report_xlsx

FORMATS = ("pdf", "xlsx")
MIN_YEAR, MAX_YEAR = 2000, 2100
USAGE = 2


def fail(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE)


def parse_scope(value: str, network_slug: str | None) -> Scope:
    kind, sep, key = value.partition(":")
    key = key.strip()
    if not sep or not key or kind not in ("school", "network", "organization"):
        raise fail(
            f"--scope {value!r}: give school:CODE, network:SLUG or organization:ID "
            "(e.g. school:02M475)."
        )
    if kind == "network":
        network = Network.objects.filter(slug=key).first()
        if network is None:
            raise fail(f"No network has the slug {key!r}.")
        return Scope(network=network)
    if kind == "organization":
        if not key.isdigit():
            raise fail(f"--scope organization:{key}: the organization's id is a number.")
        organization = Organization.objects.select_related("network").filter(pk=key).first()
        if organization is None:
            raise fail(f"No organization has the id {key}.")
        return Scope(network=organization.network, organization=organization)
    schools = School.objects.select_related("network").filter(code=key)
    if network_slug:
        schools = schools.filter(network__slug=network_slug)
    found = list(schools[:2])
    if not found:
        raise fail(f"No school has the code {key!r}.")
    if len(found) > 1:
        raise fail(f"Several networks have a school {key!r}: give --network SLUG.")
    return Scope(network=found[0].network, school=found[0])


class Command(BaseCommand):
    help = "Write the outcomes report of a school, a network or a partner as PDF or XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scope", required=True, help="school:CODE, network:SLUG or organization:ID"
        )
        parser.add_argument(
            "--year", required=True, help="the calendar year the school year ends in (2027)"
        )
        parser.add_argument("--format", required=True, dest="fmt", help="pdf or xlsx")
        parser.add_argument("--out", required=True, type=Path, help="the file to write")
        parser.add_argument("--network", help="the network's slug, when school codes clash")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = str(options["fmt"]).lower()
        if fmt not in FORMATS:
            raise fail(f"--format {options['fmt']!r}: give pdf or xlsx.")
        year_text = str(options["year"]).strip()
        if not year_text.isdigit() or not MIN_YEAR <= int(year_text) <= MAX_YEAR:
            raise fail(
                f"--year {options['year']!r}: give the calendar year in which the school year "
                "ends, e.g. 2027 for 2026-27."
            )
        scope = parse_scope(options["scope"], options.get("network"))
        report = build_report(scope, int(year_text), today=scope.network.today())
        body = render_report_pdf(report) if fmt == "pdf" else render_report_xlsx(report)
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise fail(f"--out {out}: the folder {out.parent} does not exist.")
        out.write_bytes(body)
        self.stdout.write(f"{report.title} of {scope} ({report.year_label}) written to {out}.")
