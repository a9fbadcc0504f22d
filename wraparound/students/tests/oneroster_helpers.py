"""Shared by the OneRoster tests: the hand-written roster folder, copies of it to spoil, and a
run of the importer on a folder."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

from wraparound.students.models import ImportStatus, RosterImport
from wraparound.students.oneroster.source import FolderSource
from wraparound.students.roster_services import roster_import_execute

DATA = Path(__file__).parent / "oneroster_data"
BULK = DATA / "bulk"


def copy_bulk(tmp_path: Path) -> Path:
    folder = tmp_path / "roster"
    shutil.copytree(BULK, folder)
    return folder


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]], *, bom: bool = False, crlf: bool = False) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    path.write_bytes(("\ufeff" if bom else "").encode() + buffer.getvalue().encode())


def edit(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell (row as a spreadsheet counts it: the header is row 1)."""
    rows = read_rows(path)
    rows[row - 1][rows[0].index(column)] = value
    write_rows(path, rows)


def set_manifest(folder: Path, **modes: str) -> None:
    rows = read_rows(folder / "manifest.csv")
    for row in rows:
        key = row[0].removeprefix("file.")
        if key in modes:
            row[1] = modes[key]
    write_rows(folder / "manifest.csv", rows)


def zip_folder(folder: Path, target: Path, *, nested: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{nested}{path.name}")
    return target


def run_folder(network: Any, folder: Path, *, dry_run: bool = False) -> RosterImport:
    roster_import = RosterImport.objects.create(
        network=network, dry_run=dry_run, status=ImportStatus.RUNNING, source_name=folder.name
    )
    return roster_import_execute(roster_import=roster_import, source=FolderSource(folder))
