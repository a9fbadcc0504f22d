"""Importing an HSDS 3.0 dataset into a network's directory (issue 3).

`hsds_import` reads the source (reader.py), checks every row (import_validate.py), works out
what is skipped (with `skip_invalid`: every invalid row and, transitively, every row that
references one) and what is held as a possible duplicate of an existing organization
(duplicates.py: the organization and every row that depends on it), then writes the rest in
one transaction (import_write.py) — or nothing, when there are problems and `skip_invalid` is
off. Every run, dry or not, leaves an `HsdsImport` with its report.

`possible_duplicate_resolve` carries out a network admin's decision on a held organization.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.db import analyze
from wraparound.core.models import Network, Organization
from wraparound.core.services import audit_record
from wraparound.directory import search
from wraparound.directory.models import (
    DuplicateStatus,
    HsdsImport,
    ImportStatus,
    PossibleDuplicate,
)

from .duplicates import Match, PostalAddress, find_duplicates
from .import_schema import column_enums, column_types
from .import_validate import Checked, KnownIds, Row, check, convert_value
from .import_write import Written, write_rows
from .reader import MAX_IMPORT_BYTES, RawRecord, read_source
from .tables import BY_NAME, TABLES

__all__ = ["MAX_IMPORT_BYTES", "hsds_import", "possible_duplicate_resolve"]

logger = logging.getLogger(__name__)

DECISIONS = {
    "merge": DuplicateStatus.MERGED,
    "create": DuplicateStatus.CREATED,
    "discard": DuplicateStatus.DISCARDED,
}


@dataclass
class Plan:
    checked: Checked
    known: KnownIds
    skipped: dict[int, str] = field(default_factory=dict)  # id(row) → reason
    held: dict[str, list[Row]] = field(default_factory=dict)  # organization id → its rows
    matches: dict[str, Match] = field(default_factory=dict)

    @property
    def rows_to_write(self) -> list[Row]:
        held = {id(r) for rows in self.held.values() for r in rows}
        return [
            r
            for r in self.checked.rows
            if not r.problems and id(r) not in self.skipped and id(r) not in held
        ]


def hsds_import(
    *,
    network: Network,
    source: Path,
    user: User | None,
    dry_run: bool,
    skip_invalid: bool = False,
    source_name: str | None = None,
) -> HsdsImport:
    if user is not None and not access.is_network_admin(user, network.pk):
        raise PermissionDenied
    name = (source_name or source.name)[:250]
    report: dict[str, Any] = _empty_report()

    def record(status: str) -> HsdsImport:
        hsds_import = HsdsImport.objects.create(
            network=network,
            created_by=user,
            source_name=name,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            status=status,
            report=report,
        )
        audit_record(
            actor=user,
            action="directory.hsds_import",
            target=hsds_import,
            network=network,
            data={
                "status": status,
                "dry_run": dry_run,
                "problems": len(report["problems"]),
                "created": report["created"],
                "updated": report["updated"],
            },
        )
        return hsds_import

    try:
        read = read_source(source)
        report["warnings"] = read.warnings
        if read.problems:
            report["problems"] = read.problems
            return record(ImportStatus.INVALID)
        plan = _plan(network, read.records, skip_invalid=skip_invalid)
        _fill_report(report, plan, skip_invalid=skip_invalid)
        if report["problems"] and not skip_invalid:
            return record(ImportStatus.INVALID)
        if dry_run:
            return record(ImportStatus.CHECKED)
        with transaction.atomic():
            written = write_rows(network=network, rows=plan.rows_to_write, known=plan.known)
            report["created"] = _counts(written.created)
            report["updated"] = _counts(written.updated)
            report["unchanged"] = _counts(written.unchanged)
            status = ImportStatus.IMPORTED_PARTLY if report["skipped"] else ImportStatus.IMPORTED
            hsds_import = record(status)
            _hold(hsds_import, plan)
            _refresh_search(written)
        analyze(*{table.model for table in TABLES})
        return hsds_import
    except Exception as e:  # the run is recorded whatever went wrong; the cause goes to the log
        logger.exception("HSDS import of %s into %s failed", name, network.slug)
        report["error"] = f"{type(e).__name__}: {e}"
        report["created"], report["updated"] = {}, {}
        return record(ImportStatus.FAILED)


def _empty_report() -> dict[str, Any]:
    return {
        "problems": [],
        "warnings": [],
        "skipped": [],
        "held": [],
        "created": {},
        "updated": {},
        "unchanged": {},
        "planned": {"create": {}, "update": {}},
        "held_duplicates": 0,
        "duplicates": [],
        "rows": 0,
    }


def _counts(counter: Counter[str]) -> dict[str, int]:
    return {table.name: counter[table.name] for table in TABLES if counter[table.name]}


# --- planning -----------------------------------------------------------------------------------


def _plan(network: Network, records: list[RawRecord], *, skip_invalid: bool) -> Plan:
    known = KnownIds(network)
    checked = check(records, network=network, known=known)
    plan = Plan(checked=checked, known=known)
    dependents: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in checked.rows:
        for dependency in row.dependencies():
            dependents[dependency].append(row)

    # Skipped: every invalid row, then whatever depends on a skipped row, to the end.
    queue: list[Row] = []
    for row in checked.rows:
        if row.problems:
            plan.skipped[id(row)] = " ".join(
                f"{p['field'] or 'row'}: {p['message']}" for p in row.problems
            )
            if row.id and row.first:
                queue.append(row)
    while queue:
        row = queue.pop()
        for dependent in dependents.get(row.key, []):
            if id(dependent) in plan.skipped:
                continue
            plan.skipped[id(dependent)] = (
                f"It depends on {row.table.name} {row.id}, which is skipped."
            )
            if dependent.id and dependent.first:
                queue.append(dependent)

    # Held: organizations new to the network that look like one it has, with their dependents.
    organizations = [
        r
        for r in checked.rows
        if r.table.name == "organization"
        and id(r) not in plan.skipped
        and r.id not in known("organization")
    ]
    if organizations:
        addresses = _addresses(checked.rows)
        incoming = {
            r.id: (str(r.values.get("name") or ""), addresses.get(r.id, [])) for r in organizations
        }
        plan.matches = find_duplicates(network, incoming)
    by_id = {r.id: r for r in organizations}
    for org_id in plan.matches:
        held = [by_id[org_id]]
        seen = {id(by_id[org_id])}
        stack = [by_id[org_id].key]
        while stack:
            key = stack.pop()
            for dependent in dependents.get(key, []):
                if id(dependent) in seen or id(dependent) in plan.skipped:
                    continue
                seen.add(id(dependent))
                held.append(dependent)
                if dependent.id and dependent.first:
                    stack.append(dependent.key)
        plan.held[org_id] = held
    return plan


def _addresses(rows: list[Row]) -> dict[str, list[PostalAddress]]:
    """organization id → the addresses of its locations, among the rows of the source."""
    location_org: dict[Any, str] = {
        r.id: r.values["organization_id"]
        for r in rows
        if r.table.name == "location" and r.values.get("organization_id")
    }
    found: dict[str, list[PostalAddress]] = defaultdict(list)
    for r in rows:
        if r.table.name == "address" and (org_id := location_org.get(r.values.get("location_id"))):
            found[org_id].append(
                PostalAddress(
                    str(r.values.get("address_1") or ""),
                    str(r.values.get("city") or ""),
                    str(r.values.get("postal_code") or ""),
                )
            )
    return found


def _fill_report(report: dict[str, Any], plan: Plan, *, skip_invalid: bool) -> None:
    rows = plan.checked.rows
    report["rows"] = len(rows)
    report["problems"] = plan.checked.problems
    report["warnings"] = report["warnings"] + plan.checked.warnings
    if skip_invalid:
        report["skipped"] = [
            {"file": r.file, "row": r.row, "table": r.table.name, "id": r.id, "reason": reason}
            for r in rows
            if (reason := plan.skipped.get(id(r)))
        ]
    for org_id, held in plan.held.items():
        match = plan.matches[org_id]
        report["duplicates"].append(
            {
                "incoming_id": org_id,
                "incoming_name": held[0].values.get("name"),
                "existing_id": match.existing_id,
                "existing_name": match.existing_name,
                "score": match.score,
                "reasons": match.reasons,
                "records": len(held),
            }
        )
        reason = f"Held for review: possibly the same as “{match.existing_name}”."
        report["held"].extend(
            {"file": r.file, "row": r.row, "table": r.table.name, "id": r.id, "reason": reason}
            for r in held
        )
    report["held_duplicates"] = len(plan.held)
    create: Counter[str] = Counter()
    update: Counter[str] = Counter()
    for r in plan.rows_to_write:
        (update if r.id in plan.checked.known.get(r.table.name, {}) else create)[r.table.name] += 1
    report["planned"] = {"create": _counts(create), "update": _counts(update)}


def _hold(hsds_import: HsdsImport, plan: Plan) -> None:
    for org_id, held in plan.held.items():
        match = plan.matches[org_id]
        incoming = _bundle(held)
        # Importing the same file again refreshes the pending review instead of adding another.
        pending = PossibleDuplicate.objects.filter(
            network=hsds_import.network,
            existing_id=match.existing_id,
            status=DuplicateStatus.PENDING,
            incoming__organization__id=org_id,
        ).first()
        if pending is None:
            pending = PossibleDuplicate(network=hsds_import.network, existing_id=match.existing_id)
        pending.hsds_import = hsds_import
        pending.incoming = incoming
        pending.score = match.score
        pending.reasons = match.reasons
        pending.save()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    return value


def _bundle(rows: list[Row]) -> dict[str, Any]:
    """The held organization and its records as HSDS fields, with where each came from."""

    def one(r: Row) -> dict[str, Any]:
        values = {"id": r.id} | {c: _jsonable(r.values.get(c)) for c in r.given}
        return {"file": r.file, "row": r.row, "values": values}

    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows[1:]:
        records[r.table.name].append(one(r))
    return {"organization": one(rows[0])["values"], "source": one(rows[0]), "records": records}


def _refresh_search(written: Written) -> None:
    if written.service_ids:
        search.service_search_text_refresh(service_ids=sorted(written.service_ids))


# --- possible duplicates --------------------------------------------------------------------------


@transaction.atomic
def possible_duplicate_resolve(
    *, duplicate: PossibleDuplicate, user: User, decision: str
) -> PossibleDuplicate:
    """*merge*: the incoming records join the existing organization, whose fields are kept
    unless empty; *create*: the incoming organization is a different one and is created with its
    records; *discard*: nothing is written. The incoming records are checked again against the
    directory as it is now; a problem stops the decision with nothing written."""
    if not access.is_network_admin(user, duplicate.network_id):
        raise PermissionDenied
    if decision not in DECISIONS:
        raise ValidationError(
            _("Choose one of: same organization, different organization, discard.")
        )
    duplicate = PossibleDuplicate.objects.select_for_update().get(pk=duplicate.pk)
    if duplicate.status != DuplicateStatus.PENDING:
        raise ValidationError(_("This possible duplicate has already been resolved."))
    network = duplicate.network
    data: dict[str, Any] = {"decision": decision, "existing": duplicate.existing_id}
    if decision != "discard":
        records = _unbundle(duplicate)
        existing = duplicate.existing
        if decision == "merge":
            records, filled = _merge_into(existing, records)
            data["filled"] = filled
        known = KnownIds(network)
        checked = check(records, network=network, known=known)
        if checked.problems:
            raise ValidationError(
                [
                    _("%(file)s row %(row)s, %(field)s: %(message)s") % p
                    for p in checked.problems[:20]
                ]
            )
        written = write_rows(network=network, rows=checked.rows, known=known)
        data["created"] = _counts(written.created)
        data["updated"] = _counts(written.updated)
        data["unchanged"] = _counts(written.unchanged)
        _refresh_search(written)
    duplicate.status = DECISIONS[decision]
    duplicate.resolved_by = user
    duplicate.resolved_at = timezone.now()
    duplicate.save(update_fields=["status", "resolved_by", "resolved_at"])
    audit_record(
        actor=user,
        action=f"directory.possible_duplicate.{decision}",
        target=duplicate,
        network=network,
        data=data,
    )
    return duplicate


def _unbundle(duplicate: PossibleDuplicate) -> list[RawRecord]:
    incoming = duplicate.incoming
    file = _("possible duplicate %(n)s") % {"n": duplicate.pk}
    source = incoming.get("source", {})
    records = [
        RawRecord(
            "organization",
            source.get("file", file),
            source.get("row", "/"),
            dict(incoming["organization"]),
        )
    ]
    for table, items in incoming.get("records", {}).items():
        for item in items:
            records.append(
                RawRecord(table, item.get("file", file), item.get("row", ""), dict(item["values"]))
            )
    return records


def _merge_into(
    existing: Organization, records: list[RawRecord]
) -> tuple[list[RawRecord], list[str]]:
    """Point the incoming records at the existing organization and fill its empty fields."""
    incoming_org, rest = records[0], records[1:]
    incoming_id = incoming_org.values["id"]
    table = BY_NAME["organization"]
    types, enums = column_types()["organization"], column_enums().get("organization", {})
    filled: list[str] = []
    for column, raw in incoming_org.values.items():
        if column == "id" or table.reference(column):
            continue
        attname = table.model_field(column)
        if getattr(existing, attname) not in (None, ""):
            continue
        value, error = convert_value(
            table, column, raw, types.get(column, "string"), enums.get(column)
        )
        if value is not None and error is None:
            setattr(existing, attname, value)
            filled.append(column)
    if filled:
        existing.save(update_fields=[*(table.model_field(c) for c in filled), "updated_at"])
    for record in rest:
        ref_table = BY_NAME[record.table]
        for ref in ref_table.references:
            if ref.table == "organization" and record.values.get(ref.column) == incoming_id:
                record.values[ref.column] = existing.hsds_id
        if (
            record.table == "attribute"
            and record.values.get("link_entity") == "organization"
            and record.values.get("link_id") == incoming_id
        ):
            record.values["link_id"] = existing.hsds_id
    return rest, filled
