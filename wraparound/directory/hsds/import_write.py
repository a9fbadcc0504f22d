"""Writing checked HSDS rows: table by table in dependency order, new records with
`bulk_create` and existing ones (same `hsds_id` in the network) with `bulk_update`, in batches.
An update touches only the columns the source gave. Called inside the import's transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone

from wraparound.core.models import Network
from wraparound.directory.models import Attribute, Service

from .import_validate import (
    ATTRIBUTE_LINKS,
    SELF_REFERENCES,
    KnownIds,
    Row,
    model_field,
    reference,
)
from .tables import TABLES, HsdsTable

BATCH_SIZE = 500
# bulk_update writes one CASE per field over the whole batch: cost grows with its square.
UPDATE_BATCH_SIZE = 100


@dataclass
class Written:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    service_ids: set[int] = field(default_factory=set)  # whose search text needs refreshing


def _chunks(items: list[Any], size: int = BATCH_SIZE) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Communities:
    """A service area that names a community of the network (by name or code) serves it."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self._by_word: dict[str, int] | None = None

    def match(self, *words: str | None) -> int | None:
        if self._by_word is None:
            self._by_word = {}
            for pk, code, name in network_communities(self.network):
                self._by_word[code.strip().lower()] = pk
                self._by_word[name.strip().lower()] = pk
        for word in words:
            if word and word.strip().lower() in self._by_word:
                return self._by_word[word.strip().lower()]
        return None


def network_communities(network: Network) -> list[tuple[int, str, str]]:
    return list(network.communities.values_list("pk", "code", "name"))


def write_rows(*, network: Network, rows: list[Row], known: KnownIds) -> Written:
    written = Written()
    communities = _Communities(network)
    now = timezone.now()
    by_table: dict[str, list[Row]] = {}
    for row in rows:
        by_table.setdefault(row.table.name, []).append(row)
    for table in TABLES:
        table_rows = by_table.get(table.name)
        if not table_rows:
            continue
        ids = known(table.name)
        model = table.model
        has_updated_at = any(f.name == "updated_at" for f in model._meta.get_fields())

        new = [r for r in table_rows if r.id not in ids]
        new_ids = {r.id for r in new}
        old = [r for r in table_rows if r.id not in new_ids]
        objects = []
        for row in new:
            obj = model(network=network, hsds_id=row.id)
            for attname, value in _values(row, known, communities).items():
                setattr(obj, attname, value)
            objects.append(obj)
        for batch in _chunks(objects):
            model._default_manager.bulk_create(batch)
        for obj in objects:
            ids[obj.hsds_id] = obj.pk  # type: ignore[attr-defined]
        written.created[table.name] += len(objects)

        # Only what differs is written: importing the same data again is cheap and says so.
        changed_ids: list[int] = []
        for batch_rows in _chunks(old, UPDATE_BATCH_SIZE):
            instances = {
                o.hsds_id: o  # type: ignore[attr-defined]
                for o in model._default_manager.filter(
                    network=network, hsds_id__in=[r.id for r in batch_rows]
                )
            }
            fields: set[str] = set()
            changed = []
            for row in batch_rows:
                obj = instances[row.id]
                differs = {
                    attname: value
                    for attname, value in _values(row, known, communities).items()
                    if getattr(obj, attname) != value
                }
                if differs:
                    for attname, value in differs.items():
                        setattr(obj, attname, value)
                    fields |= differs.keys()
                    changed.append(obj)
            if has_updated_at and changed:
                for obj in changed:
                    obj.updated_at = now  # type: ignore[attr-defined]
                fields.add("updated_at")
            if changed:
                model._default_manager.bulk_update(changed, sorted(fields))
                changed_ids.extend(obj.pk for obj in changed)
        written.updated[table.name] += len(changed_ids)
        written.unchanged[table.name] += len(old) - len(changed_ids)

        changed_ids.extend(_write_parents(table, table_rows, network, known))
        created_ids = [obj.pk for obj in objects]
        if table.name == "service":
            written.service_ids |= {*created_ids, *changed_ids}
        elif table.name == "attribute":
            written.service_ids |= set(
                Attribute.objects.filter(
                    pk__in=[*created_ids, *changed_ids], service__isnull=False
                ).values_list("service_id", flat=True)
            )
        elif table.name == "organization" and changed_ids:
            written.service_ids |= set(
                Service.objects.filter(organization_id__in=changed_ids).values_list("pk", flat=True)
            )
    return written


def _values(row: Row, known: KnownIds, communities: _Communities) -> dict[str, Any]:
    """The model attributes the row's given columns set (attname → value)."""
    table = row.table
    values: dict[str, Any] = {}
    for column in row.given:
        if (table.name, column) in SELF_REFERENCES:
            continue  # set once every row of the table exists
        value = row.values.get(column)
        field = model_field(table, column)
        ref = reference(table.name, column)
        if ref is not None:
            values[field.attname] = known(ref.table).get(value) if value else None
        elif value is not None:
            values[field.attname] = value
        elif field.null:
            values[field.attname] = None
        elif isinstance(field, models.CharField | models.TextField):
            values[field.attname] = ""
        # else: the model's default stands
    if table.name == "attribute":
        entity, link_id = row.values.get("link_entity"), row.values.get("link_id")
        for link in ATTRIBUTE_LINKS:
            values[f"{link}_id"] = known(link).get(link_id) if entity == link and link_id else None
    if table.name == "service_area" and {"name", "extent"} & set(row.given):
        values["community_id"] = communities.match(row.values.get("name"), row.values.get("extent"))
    return values


def _write_parents(
    table: HsdsTable, rows: list[Row], network: Network, known: KnownIds
) -> list[int]:
    """Set self-references (parent organization, parent term) once the whole table exists;
    returns the primary keys changed."""
    changed: list[int] = []
    for column in [c for (t, c) in SELF_REFERENCES if t == table.name]:
        given = [r for r in rows if column in r.given]
        if not given:
            continue
        ids = known(table.name)
        attname = model_field(table, column).attname
        wanted = {
            ids[r.id]: (ids.get(r.values[column]) if r.values.get(column) else None) for r in given
        }
        current = dict(
            table.model._default_manager.filter(pk__in=list(wanted)).values_list("pk", attname)
        )
        objects = []
        for pk, parent in wanted.items():
            if current.get(pk) != parent:
                obj = table.model(pk=pk)
                setattr(obj, attname, parent)
                objects.append(obj)
        for batch in _chunks(objects, UPDATE_BATCH_SIZE):
            table.model._default_manager.bulk_update(batch, [attname])
        changed.extend(o.pk for o in objects)
    return changed
