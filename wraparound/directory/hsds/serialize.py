"""Directory models → HSDS 3.0: field types, values, and the nested JSON records.

One place says what each HSDS column is (type, format, enum, uniqueness: `field_spec`), how a
stored value is written in JSON (`json_value`) and in CSV (`csv_value`), and how the nested
records of `schema/compiled/*.json` are built (`service_full`, `organization_full`,
`service_at_location_full` and the one-to-one "list" forms the HSDS API pages).

Nested records are built from prefetched querysets (`service_queryset`, `organization_queryset`,
`service_at_location_queryset`): a constant number of queries for any number of records, so
callers page or chunk the outer queryset and never query per row. Reference columns come from
annotations (`hsds_queryset`), so a phone knows its service's HSDS id without loading it.

JSON leaves out empty values: the official schemas type every field as a plain string or number,
so `null` (and "" for a `uri` or `email`) would not validate; an absent field is HSDS's "unknown".
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import F, Prefetch, QuerySet

from wraparound.directory import models as m

from .tables import BY_NAME, HsdsTable

HSDS_VERSION = "3.0"

# --- what each column is -------------------------------------------------------------------------

# Formats the official datapackage.json gives beyond "every id and reference is a uuid".
_FORMATS: dict[tuple[str, str], str] = {
    ("organization", "email"): "email",
    ("organization", "website"): "uri",
    ("organization", "uri"): "uri",
    ("service", "url"): "uri",
    ("service", "email"): "email",
    ("service", "assurer_email"): "email",
    ("location", "url"): "uri",
    ("contact", "email"): "email",
    ("schedule", "schedule_link"): "uri",
    ("required_document", "uri"): "uri",
    ("accessibility", "url"): "uri",
    ("taxonomy_term", "term_uri"): "uri",
    ("taxonomy", "uri"): "uri",
}
# Columns that hold an HSDS id without being a foreign key in the package.
_UUID_COLUMNS = {("attribute", "link_id"), ("metadata", "resource_id")}
# Enumerations the models do not carry as choices.
_ENUMS: dict[tuple[str, str], list[str]] = {
    ("address", "address_type"): ["physical", "postal", "virtual"],
    ("schedule", "wkst"): ["MO", "TU", "WE", "TH", "FR", "SA", "SU"],
    ("schedule", "freq"): ["WEEKLY", "MONTHLY"],
}
# What the compiled JSON schemas require beyond `id` (the CSV `required` flags differ: nested
# JSON records leave out the reference to their parent). Required text is written even when
# empty, so a record stays valid; the CSV package's `required` check still reports it.
JSON_REQUIRED: dict[str, frozenset[str]] = {
    "organization": frozenset({"name", "description"}),
    "service": frozenset({"name", "status"}),
    "location": frozenset({"location_type"}),
    "phone": frozenset({"number"}),
    "program": frozenset({"name", "description"}),
    "taxonomy": frozenset({"name", "description"}),
    "taxonomy_term": frozenset({"name", "description"}),
    "organization_identifier": frozenset({"identifier_type", "identifier"}),
    "metadata": frozenset(
        {
            "last_action_date",
            "last_action_type",
            "field_name",
            "previous_value",
            "replacement_value",
            "updated_by",
        }
    ),
}
# Beyond `id`. (HSDS 3.0 says one program per organization and a code names one term.)
_UNIQUE = {("program", "organization_id"), ("taxonomy_term", "code")}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # Table Schema type: string, number, date, datetime, time
    format: str | None = None
    enum: tuple[str, ...] | None = None
    required: bool = False
    unique: bool = False


def _model_field(table: HsdsTable, column: str) -> models.Field[Any, Any]:
    return table.model._meta.get_field(table.model_field(column))  # type: ignore[return-value]


def field_spec(table: HsdsTable, column: str) -> FieldSpec:
    key = (table.name, column)
    model_field = _model_field(table, column)
    is_id = column == "id" or table.reference(column) is not None or key in _UUID_COLUMNS
    if is_id:
        type_, format_ = "string", "uuid"
    elif isinstance(model_field, models.DateTimeField):
        type_, format_ = "datetime", None
    elif isinstance(model_field, models.DateField):
        type_, format_ = "date", None
    elif isinstance(model_field, models.TimeField):
        type_, format_ = "time", None
    elif isinstance(model_field, models.DecimalField | models.IntegerField | models.FloatField):
        type_, format_ = "number", None
    else:
        type_, format_ = "string", _FORMATS.get(key)
    enum: tuple[str, ...] | None = None
    if key in _ENUMS:
        enum = tuple(_ENUMS[key])
    elif model_field.choices and not is_id:
        enum = tuple(str(value) for value, _label in model_field.flatchoices)
    return FieldSpec(
        name=column,
        type=type_,
        format=format_,
        enum=enum,
        required=column in table.required,
        unique=column == "id" or key in _UNIQUE,
    )


def json_schema_for(table: HsdsTable) -> dict[str, Any]:
    """A JSON Schema for one flat HSDS record (what the API publishes; the official compiled
    schemas are what the tests validate against)."""
    properties: dict[str, Any] = {}
    for column in table.columns:
        spec = field_spec(table, column)
        prop: dict[str, Any] = {"type": "number" if spec.type == "number" else "string"}
        if spec.format:
            prop["format"] = spec.format
        elif spec.type == "datetime":
            prop["format"] = "date-time"
        elif spec.type in ("date", "time"):
            prop["format"] = spec.type
        if spec.enum:
            prop["enum"] = list(spec.enum)
        properties[column] = prop
    required = JSON_REQUIRED.get(table.name, frozenset())
    return {
        "type": "object",
        "properties": properties,
        "required": [c for c in table.columns if c == "id" or c in required],
    }


# --- values ---------------------------------------------------------------------------------------


def iso_datetime(value: dt.datetime) -> str:
    """UTC, with "Z", and only as many fraction digits as the value has (the official examples
    write "2023-03-15T10:30:45.123Z"; a round trip gives back the same text)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    value = value.astimezone(dt.UTC)
    if not value.microsecond:
        timespec = "seconds"
    elif value.microsecond % 1000 == 0:
        timespec = "milliseconds"
    else:
        timespec = "microseconds"
    return value.isoformat(timespec=timespec).replace("+00:00", "Z")


def json_value(value: Any) -> Any:
    """The JSON form of a stored value; None means "leave the field out"."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        return iso_datetime(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def csv_value(value: Any) -> str:
    """The CSV form of a stored value as the datapackage's field types read it: "" for null,
    ISO dates and times, numbers without exponent or trailing zeros."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        return iso_datetime(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


# --- querysets ------------------------------------------------------------------------------------


def _ref_attr(column: str) -> str:
    return f"hsds_{column}"


def hsds_queryset(table_name: str) -> QuerySet[Any]:
    """The table's rows with every reference column annotated as the target's HSDS id."""
    table = BY_NAME[table_name]
    annotations: dict[str, Any] = {
        _ref_attr(ref.column): F(f"{ref.model_field}__hsds_id") for ref in table.references
    }
    return table.model._default_manager.annotate(**annotations).order_by("pk")


def _p(lookup: str, table_name: str, queryset: QuerySet[Any] | None = None) -> Prefetch:
    return Prefetch(
        lookup, queryset=queryset if queryset is not None else hsds_queryset(table_name)
    )


def _phones(prefix: str) -> list[Prefetch]:
    return [_p(f"{prefix}phones", "phone"), _p(f"{prefix}phones__languages", "language")]


def _contacts(prefix: str) -> list[Prefetch]:
    return [_p(f"{prefix}contacts", "contact"), *_phones(f"{prefix}contacts__")]


def _location_details(prefix: str) -> list[Prefetch]:
    return [
        _p(f"{prefix}languages", "language"),
        _p(f"{prefix}addresses", "address"),
        *_contacts(prefix),
        _p(f"{prefix}accessibility", "accessibility"),
        *_phones(prefix),
        _p(f"{prefix}schedules", "schedule"),
    ]


def _organization_details(prefix: str) -> list[Prefetch]:
    return [
        _p(f"{prefix}funding", "funding"),
        *_contacts(prefix),
        *_phones(prefix),
        _p(f"{prefix}locations", "location"),
        *_location_details(f"{prefix}locations__"),
        _p(f"{prefix}programs", "program"),
        _p(f"{prefix}identifiers", "organization_identifier"),
    ]


def _service_details(prefix: str, *, organization: bool, at_locations: bool) -> list[Prefetch]:
    lookups = [
        *_phones(prefix),
        _p(f"{prefix}schedules", "schedule"),
        _p(f"{prefix}service_areas", "service_area"),
        _p(f"{prefix}languages", "language"),
        _p(f"{prefix}funding", "funding"),
        _p(f"{prefix}cost_options", "cost_option"),
        _p(f"{prefix}program", "program"),
        _p(f"{prefix}required_documents", "required_document"),
        *_contacts(prefix),
        Prefetch(f"{prefix}capacities", queryset=m.ServiceCapacity.objects.order_by("pk")),
    ]
    if at_locations:
        lookups += [
            _p(f"{prefix}at_locations", "service_at_location"),
            *_contacts(f"{prefix}at_locations__"),
            *_phones(f"{prefix}at_locations__"),
            _p(f"{prefix}at_locations__schedules", "schedule"),
            _p(f"{prefix}at_locations__location", "location"),
            *_location_details(f"{prefix}at_locations__location__"),
        ]
    if organization:
        lookups += [
            _p(f"{prefix}organization", "organization"),
            *_organization_details(f"{prefix}organization__"),
        ]
    return lookups


def service_queryset(services: QuerySet[m.Service]) -> QuerySet[m.Service]:
    """Services ready for `service_full` (with their organization, locations and the rest)."""
    return services.annotate(
        **{
            _ref_attr(r.column): F(f"{r.model_field}__hsds_id")
            for r in BY_NAME["service"].references
        }
    ).prefetch_related(*_service_details("", organization=True, at_locations=True))


def organization_queryset(
    organizations: QuerySet[m.Organization],
    *,
    services: QuerySet[m.Service] | None = None,
    full_services: bool = False,
) -> QuerySet[m.Organization]:
    """Organizations ready for `organization_full`; `services` limits which of their services
    are listed (the public API lists active ones only)."""
    services_qs = hsds_queryset("service")
    if services is not None:
        services_qs = services_qs.filter(pk__in=services.values("pk"))
    lookups: list[Prefetch] = [
        *_organization_details(""),
        Prefetch("services", queryset=services_qs),
    ]
    if full_services:
        lookups += _service_details("services__", organization=False, at_locations=True)
    else:
        lookups.append(_p("services__program", "program"))
    return organizations.annotate(
        hsds_parent_organization_id=F("parent_organization__hsds_id")
    ).prefetch_related(*lookups)


def service_at_location_queryset(
    sals: QuerySet[m.ServiceAtLocation],
) -> QuerySet[m.ServiceAtLocation]:
    return sals.annotate(
        hsds_service_id=F("service__hsds_id"), hsds_location_id=F("location__hsds_id")
    ).prefetch_related(
        *_contacts(""),
        *_phones(""),
        _p("schedules", "schedule"),
        _p("location", "location"),
        *_location_details("location__"),
        Prefetch(
            "service",
            queryset=hsds_queryset("service").prefetch_related(
                *_service_details("", organization=True, at_locations=False)
            ),
        ),
    )


# --- flat records ---------------------------------------------------------------------------------


def _column_value(obj: Any, table: HsdsTable, column: str) -> Any:
    if column == "id":
        return obj.hsds_id
    ref = table.reference(column)
    if ref is not None:
        if getattr(obj, f"{ref.model_field}_id") is None:
            return None
        annotated = getattr(obj, _ref_attr(column), None)
        if annotated is not None:
            return annotated
        return getattr(obj, ref.model_field).hsds_id
    if table.name == "service" and column == "last_modified":
        # Records made here carry no HSDS last_modified; their own change time stands in.
        return obj.last_modified or obj.updated_at
    return getattr(obj, column)


def record(obj: Any, table_name: str) -> dict[str, Any]:
    """The object's own HSDS fields (no nested records), empty ones left out."""
    table = BY_NAME[table_name]
    required = JSON_REQUIRED.get(table_name, frozenset())
    out: dict[str, Any] = {}
    for column in table.columns:
        value = json_value(_column_value(obj, table, column))
        if value is not None:
            out[column] = value
        elif column in required:
            out[column] = ""
    return out


def taxonomy_dict(taxonomy: m.Taxonomy) -> dict[str, Any]:
    return record(taxonomy, "taxonomy")


def taxonomy_term_dict(term: m.TaxonomyTerm) -> dict[str, Any]:
    """A term with its taxonomy as `taxonomy_detail` (select_related `taxonomy_ref` and
    `parent`, or annotate through `hsds_queryset`)."""
    out = record(term, "taxonomy_term")
    if term.taxonomy_ref_id is not None:
        out["taxonomy_detail"] = taxonomy_dict(term.taxonomy_ref)  # type: ignore[arg-type]
    return out


# --- attributes and metadata: linked by HSDS id, not by foreign key -------------------------------


@dataclass
class Links:
    """Attributes (by `link_id`) and metadata (by `resource_id`) of a batch of records, loaded
    in two queries. HSDS links them to any record by id, and imported data does not always say
    which table (`link_entity`), so the id is the key; ids are per network."""

    attributes: dict[tuple[int, str], list[dict[str, Any]]] = field(default_factory=dict)
    metadata: dict[tuple[int, str], list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def load(cls, keys: Iterable[tuple[int, str]]) -> Links:
        by_network: dict[int, set[str]] = defaultdict(set)
        for network_id, hsds_id in keys:
            by_network[network_id].add(hsds_id)
        links = cls(defaultdict(list), defaultdict(list))
        if not by_network:
            return links
        query = models.Q()
        for network_id, ids in by_network.items():
            query |= models.Q(network_id=network_id, link_id__in=ids)
        attributes = (
            m.Attribute.objects.filter(query)
            .select_related("taxonomy_term__taxonomy_ref", "taxonomy_term__parent")
            .order_by("pk")
        )
        for attribute in attributes:
            item = record(attribute, "attribute")
            item["taxonomy_term"] = taxonomy_term_dict(attribute.taxonomy_term)
            links.attributes[(attribute.network_id, attribute.link_id)].append(item)
        query = models.Q()
        for network_id, ids in by_network.items():
            query |= models.Q(network_id=network_id, resource_id__in=ids)
        for row in m.Metadata.objects.filter(query).order_by("pk"):
            links.metadata[(row.network_id, row.resource_id)].append(record(row, "metadata"))
        return links

    def add(self, out: dict[str, Any], obj: Any) -> dict[str, Any]:
        key = (obj.network_id, obj.hsds_id)
        out["attributes"] = self.attributes.get(key, [])
        out["metadata"] = self.metadata.get(key, [])
        return out


def _keys_of_services(
    services: Iterable[m.Service], *, organization: bool = True
) -> Iterator[tuple[int, str]]:
    for service in services:
        yield service.network_id, service.hsds_id
        if organization:
            yield from _keys_of_organizations([service.organization], services=False)
        if "at_locations" in getattr(service, "_prefetched_objects_cache", {}):
            yield from _keys_of_sals(service.at_locations.all(), service=False)


def _keys_of_organizations(
    organizations: Iterable[m.Organization], *, services: bool = True
) -> Iterator[tuple[int, str]]:
    for organization in organizations:
        yield organization.network_id, organization.hsds_id
        for location in organization.locations.all():
            yield location.network_id, location.hsds_id
        if services:
            yield from _keys_of_services(organization.services.all(), organization=False)


def _keys_of_sals(
    sals: Iterable[m.ServiceAtLocation], *, service: bool = True
) -> Iterator[tuple[int, str]]:
    for sal in sals:
        yield sal.network_id, sal.hsds_id
        yield sal.location.network_id, sal.location.hsds_id
        if service:
            yield from _keys_of_services([sal.service])


# --- nested records -------------------------------------------------------------------------------


def _phone(phone: m.Phone) -> dict[str, Any]:
    out = record(phone, "phone")
    out["languages"] = [record(lang, "language") for lang in phone.languages.all()]
    return out


def _contact(contact: m.Contact) -> dict[str, Any]:
    out = record(contact, "contact")
    out["phones"] = [_phone(p) for p in contact.phones.all()]
    return out


def location_full(location: m.Location, links: Links) -> dict[str, Any]:
    out = record(location, "location")
    out["languages"] = [record(lang, "language") for lang in location.languages.all()]
    out["addresses"] = [record(a, "address") for a in location.addresses.all()]
    out["contacts"] = [_contact(c) for c in location.contacts.all()]
    out["accessibility"] = [record(a, "accessibility") for a in location.accessibility.all()]
    out["phones"] = [_phone(p) for p in location.phones.all()]
    out["schedules"] = [record(s, "schedule") for s in location.schedules.all()]
    return links.add(out, location)


def _capacity(capacity: m.ServiceCapacity, service: m.Service) -> dict[str, Any]:
    """HSDS 3.1 `service_capacity`. Not part of HSDS 3.0, whose schemas allow extra properties:
    3.1 readers find it under `capacities`, 3.0 readers ignore it. (The 3.0 CSV package has no
    table for it and leaves it out.) 3.1's `unit` is an object with an id; ours is a name, so
    its id is derived from the name."""
    values = {
        "id": capacity.hsds_id,
        "service_id": service.hsds_id,
        "available": capacity.available,
        "maximum": capacity.maximum,
        "description": capacity.description,
        "updated": capacity.updated,
    }
    out = {k: json_value(v) for k, v in values.items() if json_value(v) is not None}
    out["unit"] = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"wraparound:unit:{capacity.unit}")),
        "name": capacity.unit,
    }
    return out


def _service_own(service: m.Service, links: Links) -> dict[str, Any]:
    """A service's fields and the records hanging on it, without organization and locations."""
    out = record(service, "service")
    out["phones"] = [_phone(p) for p in service.phones.all()]
    out["schedules"] = [record(s, "schedule") for s in service.schedules.all()]
    out["service_areas"] = [record(a, "service_area") for a in service.service_areas.all()]
    out["languages"] = [record(lang, "language") for lang in service.languages.all()]
    out["funding"] = [record(f, "funding") for f in service.funding.all()]
    out["cost_options"] = [record(c, "cost_option") for c in service.cost_options.all()]
    if service.program_id is not None and service.program is not None:
        out["program"] = record(service.program, "program")
    out["required_documents"] = [
        record(d, "required_document") for d in service.required_documents.all()
    ]
    out["contacts"] = [_contact(c) for c in service.contacts.all()]
    out["capacities"] = [_capacity(c, service) for c in service.capacities.all()]
    return links.add(out, service)


def _sal_own(sal: m.ServiceAtLocation, links: Links) -> dict[str, Any]:
    out = record(sal, "service_at_location")
    out["contacts"] = [_contact(c) for c in sal.contacts.all()]
    out["phones"] = [_phone(p) for p in sal.phones.all()]
    out["schedules"] = [record(s, "schedule") for s in sal.schedules.all()]
    out["location"] = location_full(sal.location, links)
    return links.add(out, sal)


def _organization_own(organization: m.Organization, links: Links) -> dict[str, Any]:
    out = record(organization, "organization")
    out["funding"] = [record(f, "funding") for f in organization.funding.all()]
    out["contacts"] = [_contact(c) for c in organization.contacts.all()]
    out["phones"] = [_phone(p) for p in organization.phones.all()]
    out["locations"] = [location_full(loc, links) for loc in organization.locations.all()]
    out["programs"] = [record(p, "program") for p in organization.programs.all()]
    out["organization_identifiers"] = [
        record(i, "organization_identifier") for i in organization.identifiers.all()
    ]
    return links.add(out, organization)


def service_full(
    service: m.Service,
    links: Links | None = None,
    *,
    organizations: dict[int, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`schema/compiled/service.json`: the service with its organization (without the
    organization's services) and its locations. `service` comes from `service_queryset`;
    `organizations` caches organization records across a batch."""
    if links is None:
        links = Links.load(_keys_of_services([service]))
    out = _service_own(service, links)
    out["service_at_locations"] = [_sal_own(sal, links) for sal in service.at_locations.all()]
    cache = organizations if organizations is not None else {}
    if service.organization_id not in cache:
        cache[service.organization_id] = _organization_own(service.organization, links)
    out["organization"] = cache[service.organization_id]
    return out


def services_full(services: Iterable[m.Service]) -> list[dict[str, Any]]:
    """`service_full` for a batch from `service_queryset`, with one load of links."""
    batch = list(services)
    links = Links.load(_keys_of_services(batch))
    organizations: dict[int, dict[str, Any]] = {}
    return [service_full(s, links, organizations=organizations) for s in batch]


def iter_services_full(
    services: QuerySet[m.Service], *, chunk_size: int = 500
) -> Iterator[dict[str, Any]]:
    """`service_full` for every service of the queryset, in chunks of `chunk_size`: memory and
    the size of each query's id list stay bounded however large the directory."""
    pks = list(services.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), chunk_size):
        chunk = m.Service.objects.filter(pk__in=pks[start : start + chunk_size]).order_by("pk")
        yield from services_full(service_queryset(chunk))


def organization_full(
    organization: m.Organization, links: Links | None = None, *, full_services: bool = False
) -> dict[str, Any]:
    """`schema/compiled/organization.json`: the organization with its locations and its services
    (one-to-one fields only, or full but without the organization again). `organization` comes
    from `organization_queryset(..., full_services=...)`."""
    if links is None:
        links = Links.load(_keys_of_organizations([organization]))
    out = _organization_own(organization, links)
    services = []
    for service in organization.services.all():
        if full_services:
            item = _service_own(service, links)
            item["service_at_locations"] = [
                _sal_own(sal, links) for sal in service.at_locations.all()
            ]
        else:
            item = service_list_item(service, organization=False)
        services.append(item)
    out["services"] = services
    return out


def service_at_location_full(
    sal: m.ServiceAtLocation, links: Links | None = None
) -> dict[str, Any]:
    """`schema/compiled/service_at_location.json`: the link with its location and its service
    (with the service's organization). `sal` comes from `service_at_location_queryset`."""
    if links is None:
        links = Links.load(_keys_of_sals([sal]))
    out = _sal_own(sal, links)
    service = _service_own(sal.service, links)
    service["organization"] = _organization_own(sal.service.organization, links)
    out["service"] = service
    return out


def organizations_full(
    organizations: Iterable[m.Organization], *, full_services: bool = False
) -> list[dict[str, Any]]:
    batch = list(organizations)
    links = Links.load(_keys_of_organizations(batch))
    return [organization_full(o, links, full_services=full_services) for o in batch]


def service_at_locations_full(sals: Iterable[m.ServiceAtLocation]) -> list[dict[str, Any]]:
    batch = list(sals)
    links = Links.load(_keys_of_sals(batch))
    return [service_at_location_full(sal, links) for sal in batch]


# --- list forms (one-to-one fields only) ----------------------------------------------------------


def organization_list_item(organization: m.Organization) -> dict[str, Any]:
    return record(organization, "organization")


def service_list_item(service: m.Service, *, organization: bool = True) -> dict[str, Any]:
    """`schema/compiled/service_list.json` (select_related `organization`, `program`)."""
    out = record(service, "service")
    if organization:
        out["organization"] = record(service.organization, "organization")
    if service.program_id is not None and service.program is not None:
        out["program"] = record(service.program, "program")
    return out


def service_at_location_list_item(sal: m.ServiceAtLocation) -> dict[str, Any]:
    """`schema/compiled/service_at_location_list.json` (select_related `location`,
    `service__organization`, `service__program`)."""
    out = record(sal, "service_at_location")
    out["location"] = record(sal.location, "location")
    out["service"] = service_list_item(sal.service)
    return out
