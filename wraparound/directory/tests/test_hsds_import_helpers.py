"""Helpers shared by the HSDS import tests (no tests here): small packages built in tmp_path."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings

from wraparound.directory.hsds.tables import BY_NAME

OFFICIAL = settings.HSDS_STANDARD_DIR / "examples"
OFFICIAL_CSV = OFFICIAL / "csv"


def csv_text(table: str, rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    columns = columns or list(BY_NAME[table].columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def write_package(directory: Path, tables: dict[str, list[dict[str, Any]]]) -> Path:
    """A tabular data package: one CSV per table (HSDS columns, in order) and datapackage.json."""
    directory.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        (directory / BY_NAME[table].path).write_text(csv_text(table, rows), encoding="utf-8")
    (directory / "datapackage.json").write_text(
        json.dumps(
            {
                "name": "test",
                "resources": [
                    {"name": t, "path": BY_NAME[t].path, "profile": "tabular-data-resource"}
                    for t in tables
                ],
            }
        )
    )
    return directory


def zip_directory(directory: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.iterdir()):
            archive.write(path, path.name)
    return target


def organization(i: int | str, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"org-{i}",
        "name": f"Organization {i}",
        "description": f"What organization {i} does.",
        **fields,
    }


def service(i: int | str, org: int | str, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"svc-{i}",
        "organization_id": f"org-{org}",
        "name": f"Service {i}",
        "status": "active",
        **fields,
    }


def location(i: int | str, org: int | str, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"loc-{i}",
        "organization_id": f"org-{org}",
        "location_type": "physical",
        "name": f"Site {i}",
        **fields,
    }


def address(i: int | str, loc: int | str, address_1: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"adr-{i}",
        "location_id": f"loc-{loc}",
        "address_1": address_1,
        "city": "Bronx",
        "state_province": "NY",
        "postal_code": "10451",
        "country": "US",
        "address_type": "physical",
        **fields,
    }
