"""Snapshots of directory records and the differences between them.

A snapshot is the edit form's fields as plain JSON (`selectors.organization_snapshot`,
`selectors.service_snapshot`): scalars, sets of ids (categories, communities) and lists of rows
(languages, locations with their schedule, contacts). A `ChangeRequest` keeps two of them; this
module turns a pair into what a reviewer reads (labelled, field by field, rows added, removed and
changed) and decides what approving a change does when the live record moved meanwhile.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from wraparound.core.grades import Grade

from .models import ServiceStatus

Snapshot = dict[str, Any]

ORGANIZATION_FIELDS: list[tuple[str, StrOrPromise]] = [
    ("name", _("Name")),
    ("alternate_name", _("Alternate name")),
    ("description", _("Description")),
    ("email", _("E-mail")),
    ("website", _("Website")),
    ("phone", _("Phone")),
    ("tax_status", _("Tax status")),
    ("tax_id", _("Tax id")),
    ("year_incorporated", _("Year incorporated")),
    ("legal_status", _("Legal status")),
    ("logo", _("Logo URL")),
]

SERVICE_FIELDS: list[tuple[str, StrOrPromise]] = [
    ("name", _("Name")),
    ("description", _("Description")),
    ("status", _("Status")),
    ("eligibility_description", _("Eligibility")),
    ("grade_low", _("Lowest grade served")),
    ("grade_high", _("Highest grade served")),
    ("during_school_day", _("During the school day")),
    ("after_school", _("After school")),
    ("weekend", _("Weekends")),
    ("summer", _("Summer")),
    ("virtual", _("Virtual")),
    ("cost_to_school", _("Cost to the school (USD per year)")),
    ("cost_to_families", _("Cost to families (USD)")),
    ("capacity_available", _("Places available")),
    ("capacity_maximum", _("Places in all")),
    ("capacity_unit", _("Capacity counted in")),
]

SERVICE_SETS: list[tuple[str, StrOrPromise]] = [
    ("categories", _("Categories")),
    ("communities", _("Communities served")),
]

DAYS: list[tuple[str, StrOrPromise]] = [
    ("MO", _("Monday")),
    ("TU", _("Tuesday")),
    ("WE", _("Wednesday")),
    ("TH", _("Thursday")),
    ("FR", _("Friday")),
    ("SA", _("Saturday")),
    ("SU", _("Sunday")),
]
DAY_CODES = [code for code, _label in DAYS]

LOCATION_FIELDS: list[tuple[str, StrOrPromise]] = [
    ("name", _("Location name")),
    ("address_1", _("Address")),
    ("city", _("City")),
    ("state_province", _("State")),
    ("postal_code", _("Postal code")),
    ("latitude", _("Latitude")),
    ("longitude", _("Longitude")),
    ("days", _("Days")),
    ("opens_at", _("Opens at")),
    ("closes_at", _("Closes at")),
    ("schedule_description", _("About the hours")),
]
LANGUAGE_FIELDS: list[tuple[str, StrOrPromise]] = [("code", _("Code")), ("name", _("Language"))]
CONTACT_FIELDS: list[tuple[str, StrOrPromise]] = [
    ("name", _("Name")),
    ("title", _("Title")),
    ("email", _("E-mail")),
    ("phone", _("Phone")),
]


@dataclass(frozen=True)
class RowSpec:
    label: StrOrPromise
    key: str  # the field that identifies a row across snapshots (None: a row not saved yet)
    fields: list[tuple[str, StrOrPromise]]


SERVICE_ROWS: dict[str, RowSpec] = {
    "languages": RowSpec(_("Languages"), "code", LANGUAGE_FIELDS),
    "locations": RowSpec(_("Locations and hours"), "location", LOCATION_FIELDS),
    "contacts": RowSpec(_("Contacts"), "id", CONTACT_FIELDS),
}


def snapshot_hash(snapshot: Mapping[str, Any]) -> str:
    """A fingerprint of a snapshot: tells whether a record changed since a form was opened."""
    encoded = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]


# --- how values read -----------------------------------------------------------------------------


@dataclass
class Names:
    """Names for the ids a snapshot holds, loaded once for a page (selectors.names_for)."""

    terms: dict[int, str] = field(default_factory=dict)
    communities: dict[int, str] = field(default_factory=dict)
    locations: dict[int, str] = field(default_factory=dict)


_CHOICES: dict[str, Mapping[str, StrOrPromise]] = {
    "status": dict(ServiceStatus.choices),
    "grade_low": dict(Grade.choices),
    "grade_high": dict(Grade.choices),
}
_DAY_LABELS: dict[str, StrOrPromise] = dict(DAYS)


def display(key: str, value: Any) -> str:
    """A value as a reviewer reads it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if key in _CHOICES:
        return str(_CHOICES[key].get(value, value))
    if key == "days":
        return ", ".join(str(_DAY_LABELS.get(d, d)) for d in value)
    return str(value)


# --- differences --------------------------------------------------------------------------------


@dataclass
class FieldChange:
    key: str
    label: str
    before: str
    after: str


@dataclass
class SetChange:
    key: str
    label: str
    added: list[str]
    removed: list[str]


@dataclass
class RowChange:
    section: str
    action: str  # "added" | "removed" | "changed"
    title: str
    fields: list[FieldChange]


@dataclass
class Diff:
    fields: list[FieldChange] = field(default_factory=list)
    sets: list[SetChange] = field(default_factory=list)
    rows: list[RowChange] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.sets or self.rows)

    @property
    def count(self) -> int:
        return len(self.fields) + len(self.sets) + len(self.rows)


def _field_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], spec: list[tuple[str, StrOrPromise]]
) -> list[FieldChange]:
    return [
        FieldChange(key, str(label), display(key, before.get(key)), display(key, after.get(key)))
        for key, label in spec
        if before.get(key) != after.get(key)
    ]


def _set_name(key: str, names: Names) -> Callable[[Any], str]:
    table: dict[int, str] = names.terms if key == "categories" else names.communities
    return lambda i: table.get(i, str(_("(removed since: #%(id)s)") % {"id": i}))


def row_title(section: str, row: Mapping[str, Any], names: Names) -> str:
    if section == "locations":
        if row.get("location"):
            return names.locations.get(row["location"], row.get("name") or f"#{row['location']}")
        return str(row.get("name") or row.get("address_1") or _("New location"))
    if section == "languages":
        return str(row.get("name") or row.get("code"))
    return str(row.get("name") or row.get("email") or _("Contact"))


def diff_snapshots(
    before: Mapping[str, Any], after: Mapping[str, Any], *, kind: str, names: Names | None = None
) -> Diff:
    """What changes from `before` to `after`, labelled for a reviewer."""
    names = names or Names()
    if kind == "organization":
        return Diff(fields=_field_changes(before, after, ORGANIZATION_FIELDS))
    result = Diff(fields=_field_changes(before, after, SERVICE_FIELDS))
    for key, label in SERVICE_SETS:
        old_ids, new_ids = set(before.get(key) or []), set(after.get(key) or [])
        if old_ids != new_ids:
            name = _set_name(key, names)
            result.sets.append(
                SetChange(
                    key,
                    str(label),
                    added=sorted(name(i) for i in new_ids - old_ids),
                    removed=sorted(name(i) for i in old_ids - new_ids),
                )
            )
    for section, spec in SERVICE_ROWS.items():
        old_rows = list(before.get(section) or [])
        new_rows = list(after.get(section) or [])
        old_by_key = {r.get(spec.key): r for r in old_rows if r.get(spec.key) not in (None, "")}
        matched: set[Any] = set()
        for row in new_rows:
            key = row.get(spec.key)
            old = old_by_key.get(key) if key not in (None, "") else None
            title = row_title(section, row, names)
            if old is None:
                changes = _field_changes({}, row, spec.fields)
                result.rows.append(RowChange(str(spec.label), "added", title, changes))
                continue
            matched.add(key)
            changes = _field_changes(old, row, spec.fields)
            if changes:
                result.rows.append(RowChange(str(spec.label), "changed", title, changes))
        for key, old in old_by_key.items():
            if key not in matched:
                title = row_title(section, old, names)
                result.rows.append(RowChange(str(spec.label), "removed", title, []))
    return result


# --- approving over a record that moved -----------------------------------------------------------


def changed_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
    return {k for k in set(before) | set(after) if before.get(k) != after.get(k)}


def conflicts(
    before: Mapping[str, Any], live: Mapping[str, Any], after: Mapping[str, Any]
) -> list[str]:
    """Keys both the partner (before → after) and someone else (before → live) changed, to
    different values: approving would overwrite the other change."""
    return sorted(
        k
        for k in changed_keys(before, after) & changed_keys(before, live)
        if live.get(k) != after.get(k)
    )


def merge(before: Mapping[str, Any], live: Mapping[str, Any], after: Mapping[str, Any]) -> Snapshot:
    """The live record with the partner's changes laid over it: what the partner did not touch
    keeps any newer value."""
    result = dict(live)
    for key in changed_keys(before, after):
        if key in after:
            result[key] = after[key]
    return result


def readable(key: str, value: Any, names: Names) -> str:
    """A whole snapshot value (a scalar, a set of ids, a list of rows) in one line."""
    if key == "categories":
        return ", ".join(names.terms.get(i, f"#{i}") for i in value or []) or "—"
    if key == "communities":
        return ", ".join(names.communities.get(i, f"#{i}") for i in value or []) or "—"
    if key in SERVICE_ROWS:
        return "; ".join(row_title(key, row, names) for row in value or []) or "—"
    return display(key, value)


def label_for(key: str, kind: str) -> str:
    spec = ORGANIZATION_FIELDS if kind == "organization" else SERVICE_FIELDS + SERVICE_SETS
    for k, label in spec:
        if k == key:
            return str(label)
    if key in SERVICE_ROWS:
        return str(SERVICE_ROWS[key].label)
    return key
