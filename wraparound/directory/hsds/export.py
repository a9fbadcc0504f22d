"""Export a network's directory as HSDS 3.0: the tabular data package (one CSV per table and
`datapackage.json`, as a folder or a zip) and the JSON form (a list of full service records,
`schema/compiled/service.json`).

The whole directory of the network goes out, every organization whatever its vetting: this is
the network admin's own data (the public HSDS API shows vetted records only).

Rows stream: each CSV is one query (`values_list(...).iterator()`, references joined to the
target's `hsds_id`), and the JSON walks the services in chunks with prefetching, so memory and
query count do not grow per row. HSDS 3.1 `service_capacity` is not an HSDS 3.0 table: the CSV
package leaves it out; the JSON carries it as 3.1's `capacities` (serialize.py says why).

`datapackage.json` is generated from `tables.py` and `serialize.field_spec` (the official
descriptor lives outside the project); `tests/test_hsds_export.py` checks it against the
official one.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from django.db.models import F
from django.db.models.functions import Coalesce

from wraparound.core.models import Network
from wraparound.directory import models as m

from .serialize import HSDS_VERSION, csv_value, field_spec, iter_services_full
from .tables import TABLES, HsdsTable

CHUNK_SIZE = 2000


def datapackage_descriptor() -> dict[str, Any]:
    """The Tabular Data Package descriptor of an HSDS 3.0 export: every table, its fields with
    their types, formats and constraints, primary and foreign keys."""
    resources = []
    for table in TABLES:
        fields = []
        for column in table.columns:
            spec = field_spec(table, column)
            constraints: dict[str, Any] = {"required": spec.required, "unique": spec.unique}
            if spec.enum:
                constraints["enum"] = list(spec.enum)
            item: dict[str, Any] = {"name": column, "type": spec.type}
            if spec.format:
                item["format"] = spec.format
            item["constraints"] = constraints
            fields.append(item)
        schema: dict[str, Any] = {"fields": fields, "primaryKey": "id"}
        # As the official descriptor: self-references (parent organization, parent term) are
        # not declared, so a package may carry a parent that is not in it.
        foreign_keys = [
            {"fields": ref.column, "reference": {"resource": ref.table, "fields": "id"}}
            for ref in table.references
            if ref.table != table.name
        ]
        if foreign_keys:
            schema["foreignKeys"] = foreign_keys
        resources.append(
            {
                "name": table.name,
                "path": table.path,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "profile": "tabular-data-resource",
                "schema": schema,
            }
        )
    return {
        "name": "human_services_data",
        "title": "Human Services Data Specification",
        "profile": "tabular-data-package",
        "version": f"{HSDS_VERSION}.0",
        "homepage": "http://docs.openreferral.org",
        "license": {
            "url": "https://creativecommons.org/licenses/by-sa/4.0/",
            "type": "CC-BY-SA-4.0",
            "name": "Creative Commons Attribution-ShareAlike 4.0",
        },
        "resources": resources,
    }


def _table_rows(table: HsdsTable, network: Network) -> Iterator[list[str]]:
    """One table's rows as CSV cells, in one streamed query."""
    expressions: dict[str, Any] = {}
    for column in table.columns:
        ref = table.reference(column)
        if column == "id":
            expressions[column] = F("hsds_id")
        elif ref is not None:
            expressions[column] = F(f"{ref.model_field}__hsds_id")
        elif table.name == "service" and column == "last_modified":
            # As in the JSON: records made here have no HSDS last_modified; their change time.
            expressions[column] = Coalesce("last_modified", "updated_at")
        else:
            expressions[column] = F(column)
    # Aliased names ("hsds_x_") so an annotation never collides with a model field name.
    aliases = {f"hsds_{c}_": e for c, e in expressions.items()}
    rows = (
        table.model._default_manager.filter(network=network)
        .order_by("pk")
        .annotate(**aliases)
        .values_list(*aliases)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for row in rows:
        yield [csv_value(v) for v in row]


def _write_package(network: Network, open_member: Callable[[str], IO[str]]) -> None:
    for table in TABLES:
        with open_member(table.path) as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(table.columns)
            writer.writerows(_table_rows(table, network))
    with open_member("datapackage.json") as handle:
        json.dump(datapackage_descriptor(), handle, indent=2, ensure_ascii=False)
        handle.write("\n")


def hsds_export_csv(*, network: Network, out_dir: Path) -> Path:
    """Write the network's directory as an HSDS tabular data package into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)

    def open_member(name: str) -> IO[str]:
        return (out_dir / name).open("w", encoding="utf-8", newline="")

    _write_package(network, open_member)
    return out_dir


def hsds_export_zip(*, network: Network, out_file: Path) -> Path:
    """The tabular data package, zipped (members at the top level of the archive)."""
    with ExitStack() as stack:
        archive = stack.enter_context(
            zipfile.ZipFile(out_file, "w", compression=zipfile.ZIP_DEFLATED)
        )

        def open_member(name: str) -> IO[str]:
            binary = archive.open(name, "w", force_zip64=True)
            return io.TextIOWrapper(binary, encoding="utf-8", newline="")

        _write_package(network, open_member)
    return out_file


def hsds_export_json(*, network: Network, out_file: Path) -> Path:
    """The network's services as a JSON list of full HSDS service records, written one record
    at a time."""
    services = m.Service.objects.filter(network=network)
    with out_file.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for n, item in enumerate(iter_services_full(services)):
            handle.write(",\n" if n else "\n")
            json.dump(item, handle, ensure_ascii=False)
        handle.write("\n]\n")
    return out_file
