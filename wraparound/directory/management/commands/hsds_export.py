"""`manage.py hsds_export --network SLUG --format csv|json OUT`: a network's directory as HSDS 3.0.

csv: OUT is a directory (the CSVs and datapackage.json are written into it), or a path ending
in .zip (the same, zipped). json: OUT is the file to write (a list of full service records).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wraparound.core.models import Network
from wraparound.directory.hsds.export import hsds_export_csv, hsds_export_json, hsds_export_zip

FORMATS = ("csv", "json")


class Command(BaseCommand):
    help = (
        "Export a network's directory as HSDS 3.0: --format csv writes the tabular data package "
        "into OUT (a directory, or a .zip file); --format json writes a JSON list of full "
        "service records to OUT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="where to write: a directory, a .zip or a .json file")
        parser.add_argument("--network", required=True, help="the network's slug")
        parser.add_argument(
            "--format", choices=FORMATS, default="csv", help="csv (default) or json"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options["format"]
        # call_command() does not run argparse's choices check, so check here as well.
        if fmt not in FORMATS:
            raise CommandError(f"Unknown format {fmt!r}: choose csv or json.")
        network = Network.objects.filter(slug=options["network"]).first()
        if network is None:
            raise CommandError(f"No network with the slug {options['network']!r}.")
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"The folder {out.parent} does not exist.")
        started = time.monotonic()
        if fmt == "json":
            if out.is_dir():
                raise CommandError(f"{out} is a directory: give the JSON file to write.")
            hsds_export_json(network=network, out_file=out)
        elif out.suffix.lower() == ".zip":
            hsds_export_zip(network=network, out_file=out)
        else:
            if out.exists() and not out.is_dir():
                raise CommandError(f"{out} is a file: give a directory or a .zip path.")
            hsds_export_csv(network=network, out_dir=out)
        self.stdout.write(
            f"Exported the directory of {network.name} as HSDS 3.0 {fmt} to {out} "
            f"in {time.monotonic() - started:.1f} s."
        )
