"""Reading an HSDS 3.0 source into flat table rows, before any validation of values.

A source is a tabular data package (a directory, or a `.zip` of one, holding CSVs named as in
`datapackage.json`), or HSDS JSON (one service, organization, service_at_location, location,
taxonomy or taxonomy term object; a list of them; an HSDS `Page` with `contents`; or the
"tabular JSON" form keyed by CSV file name). Nested JSON objects become rows of their own
tables, linked to their parent by the reference column the nesting implies.

Everything that makes a source unreadable as a whole (too large, unsafe zip, not UTF-8, not CSV,
no records) is a *fatal* problem: nothing is imported, with or without `skip_invalid`. A
malformed row (wrong number of columns) only invalidates that row.
"""

from __future__ import annotations

import csv
import io
import json
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .tables import BY_NAME, BY_PATH

# One limit for everything a network admin can hand in: the uploaded file, every file of a
# package, and the total a zip unpacks to (so a zip bomb is refused before it is inflated).
MAX_IMPORT_BYTES = 50 * 1024 * 1024

DATAPACKAGE = "datapackage.json"

Problem = dict[str, Any]


def problem(file: str, row: int | str | None, field: str, value: Any, message: str) -> Problem:
    if value is not None and not isinstance(value, str | int | float | bool):
        value = json.dumps(value)[:200]
    elif isinstance(value, str) and len(value) > 200:
        value = value[:200] + "…"
    return {"file": file, "row": row, "field": field, "value": value, "message": message}


@dataclass
class RawRecord:
    """One row of one HSDS table as given: CSV strings or JSON values, by HSDS column."""

    table: str
    file: str
    row: int | str  # CSV: the row number, the header being row 1; JSON: a JSON pointer
    values: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)  # the row could not be read whole


@dataclass
class ReadResult:
    records: list[RawRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # fatal: the source as a whole
    warnings: list[Problem] = field(default_factory=list)


class _Fatal(Exception):
    def __init__(self, file: str, message: str, row: int | str | None = None, value: Any = None):
        super().__init__(message)
        self.problem = problem(file, row, "", value, message)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def read_source(source: Path) -> ReadResult:
    result = ReadResult()
    try:
        if source.is_dir():
            files = _directory_files(source)
            _read_csv_package(files, result)
        elif source.suffix.lower() == ".zip":
            files = _zip_files(source)
            jsons = [n for n in files if n.lower().endswith(".json") and n != DATAPACKAGE]
            if jsons and not any(n.lower().endswith(".csv") for n in files):
                if len(jsons) > 1:
                    raise _Fatal(source.name, "The zip holds several JSON files; import one.")
                _read_json(jsons[0], files[jsons[0]], result)
            else:
                _read_csv_package(files, result)
        elif source.suffix.lower() == ".json":
            _check_size(source.name, source.stat().st_size)
            _read_json(source.name, source.read_bytes(), result)
        elif not source.exists():
            raise _Fatal(source.name, "There is no file or directory at this path.")
        else:
            raise _Fatal(
                source.name,
                "Import a .zip of a tabular data package, a directory holding one, "
                "or a .json file.",
            )
    except _Fatal as fatal:
        result.problems.append(fatal.problem)
    if not result.problems and not result.records:
        result.problems.append(
            problem(source.name, None, "", None, "The source holds no HSDS records.")
        )
    return result


# --- getting the files ----------------------------------------------------------------------------


def _check_size(name: str, size: int) -> None:
    if size > MAX_IMPORT_BYTES:
        raise _Fatal(
            name,
            f"The file is {_mb(size)}; the limit is {_mb(MAX_IMPORT_BYTES)}. "
            "Split the directory into smaller imports.",
        )


def _directory_files(directory: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        size = path.stat().st_size
        _check_size(path.name, size)
        total += size
        _check_size(directory.name, total)
        files[path.name] = path.read_bytes()
    return files


def _zip_files(path: Path) -> dict[str, bytes]:
    _check_size(path.name, path.stat().st_size)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise _Fatal(path.name, f"This is not a readable zip file ({e}).") from None
    with archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir() and not info.filename.startswith("__MACOSX/")
        ]
        for info in members:
            name = info.filename
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if (
                name.startswith(("/", "\\"))
                or (len(name) > 1 and name[1] == ":")
                or ".." in parts
                or stat.S_ISLNK(info.external_attr >> 16)
            ):
                raise _Fatal(
                    path.name,
                    "The zip holds a file whose path leads outside it (absolute, '..' or a "
                    "link); nothing was read.",
                    value=name,
                )
        declared = sum(info.file_size for info in members)
        if declared > MAX_IMPORT_BYTES:
            raise _Fatal(
                path.name,
                f"The zip unpacks to {_mb(declared)}; the limit is {_mb(MAX_IMPORT_BYTES)}.",
            )
        # A package zipped as its folder ("pkg/services.csv") is read as if zipped flat.
        tops = {PurePosixPath(info.filename).parts[0] for info in members}
        strip = len(tops) == 1 and all(len(PurePosixPath(i.filename).parts) == 2 for i in members)
        files: dict[str, bytes] = {}
        total = 0
        for info in members:
            parts = PurePosixPath(info.filename).parts
            if len(parts) > (2 if strip else 1):
                raise _Fatal(
                    path.name,
                    "The zip holds folders; put the CSV files and datapackage.json at its top.",
                    value=info.filename,
                )
            name = parts[-1]
            # The sizes in a zip's directory are the sender's word: count what really comes out.
            with archive.open(info) as member:
                data = member.read(MAX_IMPORT_BYTES - total + 1)
            total += len(data)
            if total > MAX_IMPORT_BYTES:
                raise _Fatal(
                    path.name, f"The zip unpacks to more than {_mb(MAX_IMPORT_BYTES)}; the limit."
                )
            files[name] = data
        return files


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise _Fatal(
            name,
            f"The file is not UTF-8 text (byte {data[e.start]:#04x} on line {line}). "
            "Save it as UTF-8 and import it again.",
            row=line,
        ) from None


# --- the tabular data package ---------------------------------------------------------------------


def _read_csv_package(files: dict[str, bytes], result: ReadResult) -> None:
    if DATAPACKAGE not in files:
        raise _Fatal(
            DATAPACKAGE,
            "The package has no datapackage.json. An HSDS tabular data package holds "
            "datapackage.json beside its CSV files.",
        )
    _check_datapackage(files, result)
    for name in files:
        if name != DATAPACKAGE and name not in BY_PATH:
            result.warnings.append(
                problem(name, None, "", None, "Not an HSDS 3.0 file name; ignored.")
            )
    fatal: list[Problem] = []
    for name, data in files.items():
        if name in BY_PATH:
            try:
                _read_csv(name, data, result)
            except _Fatal as e:
                fatal.append(e.problem)
    if fatal:
        result.problems.extend(fatal)
        result.records.clear()


def _check_datapackage(files: dict[str, bytes], result: ReadResult) -> None:
    text = _decode(DATAPACKAGE, files[DATAPACKAGE]).strip()
    try:
        descriptor = json.loads(text)
    except json.JSONDecodeError:
        # The official examples ship it as a link to the standard's own; the types we check are
        # always the standard's, so a descriptor that is not JSON only loses the file list.
        result.warnings.append(
            problem(
                DATAPACKAGE,
                None,
                "",
                text[:100],
                "Not a JSON descriptor; the files were checked against the HSDS 3.0 one.",
            )
        )
        return
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list):
        return
    for resource in resources:
        path = resource.get("path") if isinstance(resource, dict) else None
        if isinstance(path, str) and path in BY_PATH and path not in files:
            raise _Fatal(path, "datapackage.json lists this file but the package does not hold it.")


def _read_csv(name: str, data: bytes, result: ReadResult) -> None:
    table = BY_PATH[name]
    text = _decode(name, data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    row_number = 1
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise _Fatal(name, "The file is empty: it needs a header row naming its columns.", 1)
        header = [h.strip() for h in header]
        duplicated = sorted({h for h in header if header.count(h) > 1})
        if duplicated:
            raise _Fatal(name, "The header names a column twice.", 1, ", ".join(duplicated))
        missing = sorted(table.required - set(header))
        if missing:
            raise _Fatal(
                name, "Required columns are missing from the header.", 1, ", ".join(missing)
            )
        unknown = [h for h in header if h not in table.columns]
        if unknown:
            result.warnings.append(
                problem(
                    name, 1, ", ".join(unknown), None, "Not HSDS 3.0 columns of this file; ignored."
                )
            )
        for cells in reader:
            row_number += 1
            if not cells:  # a blank line
                continue
            record = RawRecord(table.name, name, row_number, {})
            if len(cells) != len(header):
                record.problems.append(
                    problem(
                        name,
                        row_number,
                        "",
                        len(cells),
                        f"The row has {len(cells)} columns; the header has {len(header)}.",
                    )
                )
            for column, cell in zip(header, cells, strict=False):
                if column in table.columns:
                    record.values[column] = cell
            result.records.append(record)
    except csv.Error as e:
        raise _Fatal(
            name, f"The CSV is malformed near row {row_number + 1}: {e}.", row_number + 1
        ) from None


# --- HSDS JSON ------------------------------------------------------------------------------------

# Nested lists: key in the parent object → (child table, child column that points at the parent).
_NESTED_LISTS: dict[str, dict[str, tuple[str, str]]] = {
    "organization": {
        "funding": ("funding", "organization_id"),
        "contacts": ("contact", "organization_id"),
        "phones": ("phone", "organization_id"),
        "locations": ("location", "organization_id"),
        "programs": ("program", "organization_id"),
        "organization_identifiers": ("organization_identifier", "organization_id"),
        "services": ("service", "organization_id"),
    },
    "service": {
        "phones": ("phone", "service_id"),
        "schedules": ("schedule", "service_id"),
        "service_areas": ("service_area", "service_id"),
        "service_at_locations": ("service_at_location", "service_id"),
        "languages": ("language", "service_id"),
        "funding": ("funding", "service_id"),
        "cost_options": ("cost_option", "service_id"),
        "required_documents": ("required_document", "service_id"),
        "contacts": ("contact", "service_id"),
    },
    "service_at_location": {
        "contacts": ("contact", "service_at_location_id"),
        "phones": ("phone", "service_at_location_id"),
        "schedules": ("schedule", "service_at_location_id"),
    },
    "location": {
        "languages": ("language", "location_id"),
        "addresses": ("address", "location_id"),
        "contacts": ("contact", "location_id"),
        "accessibility": ("accessibility", "location_id"),
        "phones": ("phone", "location_id"),
        "schedules": ("schedule", "location_id"),
    },
    "contact": {"phones": ("phone", "contact_id")},
    "phone": {"languages": ("language", "phone_id")},
    "program": {"services": ("service", "program_id")},
}
# Nested single objects: key → (its table, the parent's column that points at it).
_NESTED_OBJECTS: dict[str, dict[str, tuple[str, str]]] = {
    "service": {
        "organization": ("organization", "organization_id"),
        "program": ("program", "program_id"),
    },
    "service_at_location": {
        "service": ("service", "service_id"),
        "location": ("location", "location_id"),
    },
    "attribute": {"taxonomy_term": ("taxonomy_term", "taxonomy_term_id")},
    "taxonomy_term": {"taxonomy_detail": ("taxonomy", "taxonomy_id")},
}
_PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page"}


def _read_json(name: str, data: bytes, result: ReadResult) -> None:
    _check_size(name, len(data))
    text = _decode(name, data)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise _Fatal(
            name, f"The JSON is malformed: {e.msg} (line {e.lineno}, column {e.colno}).", e.lineno
        ) from None
    walker = _JsonWalker(name, result)
    if (
        isinstance(document, dict)
        and "contents" in document
        and (_PAGE_KEYS & document.keys() or len(document) == 1)
    ):
        contents = document["contents"]
        if not isinstance(contents, list):
            raise _Fatal(name, "A Page's contents must be a list of records.", "/contents")
        for i, item in enumerate(contents):
            walker.top(item, f"/contents/{i}")
    elif isinstance(document, dict) and document and set(document) <= set(BY_PATH):
        for path, rows in document.items():
            if not isinstance(rows, list):
                raise _Fatal(name, f"{path} must be a list of records.", f"/{path}")
            for i, item in enumerate(rows):
                walker.record(BY_PATH[path].name, item, f"/{path}/{i}", {})
    elif isinstance(document, list):
        for i, item in enumerate(document):
            walker.top(item, f"/{i}")
    elif isinstance(document, dict):
        walker.top(document, "")
    else:
        raise _Fatal(name, "The JSON must be an HSDS object, a list of them or a Page.")


def json_kind(obj: dict[str, Any]) -> str | None:
    """Which HSDS object a top-level JSON object is, judged by its fields."""
    keys = set(obj)
    if "id" not in keys:
        return None
    if keys & {"service", "location", "service_id", "location_id"} and not keys & {
        "status",
        "location_type",
    }:
        return "service_at_location"
    if keys & {"status", "service_at_locations", "service_areas", "cost_options", "program_id"}:
        return "service"
    if "location_type" in keys or keys & {"addresses", "accessibility", "latitude"}:
        return "location"
    if keys & {"taxonomy_detail", "term_uri", "parent_id", "taxonomy_id", "code", "taxonomy"}:
        return "taxonomy_term"
    if keys & {
        "services",
        "locations",
        "programs",
        "website",
        "tax_status",
        "organization_identifiers",
        "year_incorporated",
        "legal_status",
        "parent_organization_id",
    }:
        return "organization"
    if "version" in keys:
        return "taxonomy"
    if {"id", "name", "description"} <= keys:
        return "organization"
    return None


class _JsonWalker:
    def __init__(self, file: str, result: ReadResult) -> None:
        self.file = file
        self.result = result
        self.seen: dict[tuple[str, str], RawRecord] = {}
        self.unknown: set[tuple[str, str]] = set()

    def top(self, obj: Any, pointer: str) -> None:
        if not isinstance(obj, dict):
            self.result.records.append(
                RawRecord(
                    "organization",
                    self.file,
                    pointer or "/",
                    {},
                    [problem(self.file, pointer or "/", "", obj, "Not an HSDS object.")],
                )
            )
            return
        kind = json_kind(obj)
        if kind is None:
            raise _Fatal(
                self.file,
                "Cannot tell which HSDS object this is (a service, organization, "
                "service_at_location, location, taxonomy or taxonomy term).",
                pointer or "/",
            )
        self.record(kind, obj, pointer, {})

    def record(self, table_name: str, obj: Any, pointer: str, inherited: dict[str, Any]) -> str:
        row = pointer or "/"
        table = BY_NAME[table_name]
        if not isinstance(obj, dict):
            self.result.records.append(
                RawRecord(
                    table_name,
                    self.file,
                    row,
                    {},
                    [problem(self.file, row, "", obj, f"A {table_name} must be a JSON object.")],
                )
            )
            return ""
        values: dict[str, Any] = {}
        lists = _NESTED_LISTS.get(table_name, {})
        objects = _NESTED_OBJECTS.get(table_name, {})
        nested: list[tuple[str, Any]] = []
        for key, value in obj.items():
            if key in lists or key in objects or key in ("attributes", "metadata"):
                nested.append((key, value))
            elif key in table.columns:
                values[key] = value
            elif (table_name, key) not in self.unknown:
                self.unknown.add((table_name, key))
                self.result.warnings.append(
                    problem(
                        self.file,
                        row,
                        key,
                        None,
                        f"Not an HSDS 3.0 field of {table_name}; ignored.",
                    )
                )
        for column, value in inherited.items():
            if values.get(column) in (None, ""):
                values[column] = value
        own_id = values.get("id")
        own_id = own_id if isinstance(own_id, str) else ""
        # Objects nested first (organization, location…) so this row can point at them.
        for key, value in nested:
            if key in objects and value is not None:
                child_table, column = objects[key]
                child_inherited: dict[str, Any] = {}
                if table_name == "service" and key == "program" and values.get("organization_id"):
                    child_inherited["organization_id"] = values["organization_id"]
                child_id = self.record(child_table, value, f"{pointer}/{key}", child_inherited)
                if child_id and values.get(column) in (None, ""):
                    values[column] = child_id
        self._add(RawRecord(table_name, self.file, row, values))
        for key, value in nested:
            if key in objects or value is None:
                continue
            if not isinstance(value, list):
                self.result.records.append(
                    RawRecord(
                        table_name,
                        self.file,
                        f"{pointer}/{key}",
                        {},
                        [problem(self.file, f"{pointer}/{key}", key, value, "Must be a list.")],
                    )
                )
                continue
            if key == "attributes":
                child_table, link = "attribute", {"link_id": own_id, "link_entity": table_name}
            elif key == "metadata":
                child_table, link = "metadata", {"resource_id": own_id, "resource_type": table_name}
            else:
                child_table, column = lists[key]
                link = {column: own_id}
            for i, item in enumerate(value):
                self.record(child_table, item, f"{pointer}/{key}/{i}", link if own_id else {})
        return own_id

    def _add(self, record: RawRecord) -> None:
        record_id = record.values.get("id")
        if not isinstance(record_id, str) or not record_id:
            self.result.records.append(record)
            return
        key = (record.table, record_id)
        first = self.seen.get(key)
        if first is None:
            self.seen[key] = record
            self.result.records.append(record)
            return
        # Denormalized JSON repeats a record wherever it is nested (an organization under each
        # of its services): one record, the fields of all its copies.
        for column, value in record.values.items():
            if first.values.get(column) in (None, ""):
                first.values[column] = value
            elif value not in (None, "") and value != first.values[column]:
                first.problems.append(
                    problem(
                        self.file,
                        record.row,
                        column,
                        value,
                        f"The same {record.table} ({record_id}) appears at {first.row} with "
                        f"{column} {first.values[column]!r}.",
                    )
                )
