"""`manage.py hsds_import PATH --network SLUG [--dry-run] [--skip-invalid]`

Exit 0 when the import (or the dry run) found nothing that stops it, 2 when the source has
problems (the report lists them: nothing was written), 1 on any other failure."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wraparound.core.models import Network
from wraparound.directory.hsds.importer import hsds_import
from wraparound.directory.models import HsdsImport, ImportStatus


class Command(BaseCommand):
    help = (
        "Import an HSDS 3.0 dataset (a tabular data package as a directory or .zip, or HSDS "
        "JSON) into a network's directory. Exit 0 on success, 2 on validation errors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="directory, .zip or .json")
        parser.add_argument("--network", required=True, help="the network's slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report; write nothing"
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="write the valid rows; skip invalid rows and every row depending on them",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        network = Network.objects.filter(slug=options["network"]).first()
        if network is None:
            raise CommandError(f"No network with the slug {options['network']!r}.")
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        result = hsds_import(
            network=network,
            source=path,
            user=None,
            dry_run=options["dry_run"],
            skip_invalid=options["skip_invalid"],
            source_name=path.name,
        )
        self.stdout.write(format_report(result))
        if result.status == ImportStatus.FAILED:
            raise CommandError(f"The import failed: {result.report.get('error', 'unknown error')}")
        if result.status == ImportStatus.INVALID:
            sys.exit(2)


def format_report(result: HsdsImport) -> str:
    report = result.report
    lines = [
        f"HSDS import #{result.pk} of {result.source_name} into {result.network.slug}: "
        f"{result.get_status_display()}" + (" (dry run)" if result.dry_run else ""),
        f"Rows read: {report.get('rows', 0)}",
    ]

    def grouped(title: str, items: list[dict[str, Any]], detail: str) -> None:
        if not items:
            return
        lines.append("")
        lines.append(f"{title} ({len(items)}):")
        by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            by_file[str(item.get("file"))].append(item)
        for file, file_items in by_file.items():
            lines.append(f"  {file}")
            for item in file_items:
                row = item.get("row")
                where = f"row {row}" if row not in (None, "") else "file"
                lines.append("    " + detail.format(where=where, **item))

    grouped(
        "Problems",
        report.get("problems", []),
        "{where}, {field}: {message} (value: {value!r})",
    )
    grouped("Skipped", report.get("skipped", []), "{where}, {table} {id}: {reason}")
    grouped("Held for review", report.get("held", []), "{where}, {table} {id}: {reason}")
    grouped(
        "Warnings", report.get("warnings", []), "{where}, {field}: {message} (value: {value!r})"
    )
    for key, title in (("created", "Created"), ("updated", "Updated"), ("unchanged", "Unchanged")):
        counts = report.get(key) or {}
        if counts:
            lines.append("")
            lines.append(f"{title}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    if result.dry_run:
        planned = report.get("planned", {})
        titles = (("create", "Would create"), ("update", "Would update (if changed)"))
        for key, title in titles:
            if planned.get(key):
                lines.append(f"{title}: " + ", ".join(f"{n} {t}" for t, n in planned[key].items()))
    if report.get("held_duplicates"):
        lines.append("")
        lines.append(f"Possible duplicates held for review: {report['held_duplicates']}")
        for duplicate in report.get("duplicates", []):
            lines.append(
                f"  {duplicate['incoming_name']} ({duplicate['incoming_id']}) ~ "
                f"{duplicate['existing_name']}: " + "; ".join(duplicate["reasons"])
            )
    return "\n".join(lines)
