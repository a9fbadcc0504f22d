"""Directory records → HSDS JSON: values, nested records, conformance with the official compiled
schemas, and a constant number of queries however many records.

The helpers here (`hsds_validator`, `assert_valid`, `rich_service`) are shared by the other HSDS
test modules."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from wraparound.core.models import Organization, VettingStatus
from wraparound.directory import models as m
from wraparound.directory.hsds import serialize
from wraparound.directory.hsds.tables import BY_NAME, TABLES
from wraparound.directory.tests.factories import (
    AddressFactory,
    LanguageFactory,
    PhoneFactory,
    ScheduleFactory,
    ServiceAreaFactory,
    ServiceAtLocationFactory,
    ServiceCapacityFactory,
    ServiceCategoryFactory,
    ServiceFactory,
    TaxonomyTermFactory,
    VettedOrganizationFactory,
)

SPEC_BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"


@cache
def _registry() -> Registry:
    root = settings.HSDS_STANDARD_DIR / "schema"
    resources = [
        (
            SPEC_BASE + path.relative_to(root).as_posix(),
            Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT202012),
        )
        for path in root.rglob("*.json")
    ]
    return Registry().with_resources(resources)


def hsds_validator(ref: str) -> Draft202012Validator:
    """A validator for an official schema, by its path under `schema/` (with an optional JSON
    pointer, e.g. "openapi.json#/paths/..."); `$ref`s resolve to the shared files."""
    return Draft202012Validator(
        {"$ref": SPEC_BASE + ref},
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def assert_valid(instance: Any, ref: str) -> None:
    errors = sorted(hsds_validator(ref).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def rich_service(network: Any = None, **kwargs: Any) -> Any:
    """A service with a record in every HSDS table that hangs on it."""
    org_kwargs = {"network": network} if network is not None else {}
    organization = kwargs.pop("organization", None) or VettedOrganizationFactory(
        **org_kwargs,
        email="info@example.org",
        website="https://example.org",
        year_incorporated=1999,
    )
    net = organization.network
    program = m.Program.objects.create(
        network=net, organization=organization, name="After-school", description="Programs."
    )
    service = ServiceFactory(
        organization=organization,
        program=program,
        minimum_age=Decimal("5.00"),
        maximum_age=Decimal("13.50"),
        assured_date=dt.date(2024, 9, 1),
        email="help@example.org",
        **kwargs,
    )
    sal = ServiceAtLocationFactory(service=service, description="At the main site")
    AddressFactory(location=sal.location)
    ScheduleFactory(service_at_location=sal)
    ScheduleFactory(service_at_location=None, service=service, network=net)
    phone = PhoneFactory(service=service, organization=organization, extension=12)
    LanguageFactory(service=None, phone=phone, network=net)
    LanguageFactory(service=service)
    ServiceAreaFactory(service=service, community=None, name="The Bronx", extent_type="geojson")
    ServiceCapacityFactory(service=service)
    category = ServiceCategoryFactory(service=service, value="yes")
    TaxonomyTermFactory(
        taxonomy_ref=category.taxonomy_term.taxonomy_ref, parent=category.taxonomy_term
    )
    contact = m.Contact.objects.create(
        network=net, service=service, name="Ana Ruiz", email="ana@example.org"
    )
    PhoneFactory(service=None, contact=contact, network=net)
    m.CostOption.objects.create(
        network=net, service=service, amount=Decimal("35.00"), currency="USD", option="Per term"
    )
    m.Funding.objects.create(network=net, service=service, source="City grant")
    m.RequiredDocument.objects.create(network=net, service=service, document="Proof of address")
    m.OrganizationIdentifier.objects.create(
        network=net, organization=organization, identifier_type="EIN", identifier="12-3456789"
    )
    m.Metadata.objects.create(
        network=net,
        resource_id=service.hsds_id,
        resource_type="service",
        last_action_date=dt.date(2025, 1, 2),
        last_action_type="update",
        field_name="name",
        previous_value="Old",
        replacement_value=service.name,
        updated_by="admin",
    )
    return service


def full(service: Any) -> dict[str, Any]:
    return serialize.service_full(
        serialize.service_queryset(m.Service.objects.filter(pk=service.pk)).get()
    )


# --- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "as_json", "as_csv"),
    [
        (None, None, ""),
        ("", None, ""),
        ("text", "text", "text"),
        (Decimal("12.00"), 12, "12"),
        (Decimal("40.816000"), 40.816, "40.816"),
        (Decimal("100"), 100, "100"),
        (Decimal("0.00"), 0, "0"),
        (7, 7, "7"),
        (dt.date(2005, 1, 1), "2005-01-01", "2005-01-01"),
        (dt.time(10, 0), "10:00:00", "10:00:00"),
        (
            dt.datetime(2023, 3, 15, 10, 30, 45, 123000, tzinfo=dt.UTC),
            "2023-03-15T10:30:45.123Z",
            "2023-03-15T10:30:45.123Z",
        ),
        (
            dt.datetime(2023, 3, 15, 6, 30, tzinfo=dt.timezone(dt.timedelta(hours=-4))),
            "2023-03-15T10:30:00Z",
            "2023-03-15T10:30:00Z",
        ),
    ],
)
def test_values_are_written_as_the_hsds_field_types_read_them(value, as_json, as_csv):
    assert serialize.json_value(value) == as_json
    assert serialize.csv_value(value) == as_csv


def test_field_specs_follow_the_models_and_the_standard():
    service = BY_NAME["service"]
    assert serialize.field_spec(service, "id").format == "uuid"
    assert serialize.field_spec(service, "organization_id").format == "uuid"
    assert serialize.field_spec(service, "minimum_age").type == "number"
    assert serialize.field_spec(service, "assured_date").type == "date"
    assert serialize.field_spec(service, "last_modified").type == "datetime"
    assert serialize.field_spec(service, "email").format == "email"
    assert serialize.field_spec(service, "status").enum == (
        "active",
        "inactive",
        "defunct",
        "temporarily closed",
    )
    assert serialize.field_spec(BY_NAME["schedule"], "opens_at").type == "time"
    assert serialize.field_spec(BY_NAME["program"], "organization_id").unique


# --- records ------------------------------------------------------------------------------------


def test_service_full_carries_every_nested_record_and_validates(db):
    service = rich_service()
    out = full(service)
    assert_valid(out, "compiled/service.json")
    assert out["id"] == service.hsds_id
    assert out["organization_id"] == service.organization.hsds_id
    assert out["minimum_age"] == 5 and out["maximum_age"] == 13.5
    assert out["assured_date"] == "2024-09-01"
    assert out["last_modified"] == serialize.iso_datetime(service.updated_at)
    assert out["program"]["name"] == "After-school"
    assert [p["extension"] for p in out["phones"]] == [12]
    assert out["phones"][0]["languages"][0]["code"] == "es"
    assert len(out["languages"]) == 1
    assert len(out["schedules"]) == 1 and out["schedules"][0]["opens_at"] == "15:00:00"
    (sal,) = out["service_at_locations"]
    assert sal["location"]["addresses"][0]["city"] == "Bronx"
    assert sal["location"]["latitude"] == 40.816
    assert sal["schedules"][0]["byday"] == "MO,WE,FR"
    assert out["contacts"][0]["phones"][0]["number"]
    assert out["cost_options"][0]["amount"] == 35
    (attribute,) = out["attributes"]
    assert attribute["link_id"] == service.hsds_id and attribute["value"] == "yes"
    assert attribute["taxonomy_term"]["taxonomy_detail"]["name"]
    assert out["metadata"][0]["field_name"] == "name"
    organization = out["organization"]
    assert organization["organization_identifiers"][0]["identifier"] == "12-3456789"
    assert organization["phones"][0]["id"] == out["phones"][0]["id"]
    assert "services" not in organization
    # HSDS 3.1 service_capacity rides along as `capacities` (3.0 allows extra properties).
    (capacity,) = out["capacities"]
    assert capacity["available"] == 10 and capacity["unit"]["name"] == "students"


def test_empty_fields_are_left_out_not_null(db):
    service = ServiceFactory(alternate_name="", minimum_age=None)
    out = full(service)
    assert "alternate_name" not in out and "minimum_age" not in out
    assert "program" not in out
    assert None not in out.values()
    assert_valid(out, "compiled/service.json")


def test_a_stored_last_modified_wins_over_the_change_time(db):
    stamp = dt.datetime(2023, 3, 15, 10, 30, 45, 123000, tzinfo=dt.UTC)
    service = ServiceFactory(last_modified=stamp)
    assert full(service)["last_modified"] == "2023-03-15T10:30:45.123Z"


def test_organization_and_service_at_location_records_validate(db):
    service = rich_service()
    org = serialize.organization_queryset(
        Organization.objects.filter(pk=service.organization_id)
    ).get()
    out = serialize.organization_full(org)
    assert_valid(out, "compiled/organization.json")
    assert [s["id"] for s in out["services"]] == [service.hsds_id]
    assert "phones" not in out["services"][0]

    org = serialize.organization_queryset(
        Organization.objects.filter(pk=service.organization_id), full_services=True
    ).get()
    out = serialize.organization_full(org, full_services=True)
    assert_valid(out, "compiled/organization.json")
    assert out["services"][0]["service_at_locations"][0]["location"]["addresses"]

    sal = serialize.service_at_location_queryset(
        m.ServiceAtLocation.objects.filter(service=service)
    ).get()
    out = serialize.service_at_location_full(sal)
    assert_valid(out, "compiled/service_at_location.json")
    assert out["service"]["organization"]["id"] == service.organization.hsds_id
    assert out["location"]["addresses"]


def test_taxonomy_term_names_its_parent_and_taxonomy(db):
    parent = TaxonomyTermFactory()
    child = TaxonomyTermFactory(taxonomy_ref=parent.taxonomy_ref, parent=parent, language="en")
    term = m.TaxonomyTerm.objects.select_related("taxonomy_ref", "parent").get(pk=child.pk)
    out = serialize.taxonomy_term_dict(term)
    assert out["parent_id"] == parent.hsds_id
    assert out["taxonomy_id"] == parent.taxonomy_ref.hsds_id
    assert out["taxonomy_detail"]["id"] == parent.taxonomy_ref.hsds_id
    assert_valid(out, "taxonomy_term.json")


def test_iter_services_full_queries_do_not_grow_with_rows(
    db, django_assert_max_num_queries, django_assert_num_queries
):
    first = rich_service()
    network = first.network
    base = m.Service.objects.filter(network=network)
    with django_assert_max_num_queries(60) as few:
        one = list(serialize.iter_services_full(base))
    assert len(one) == 1
    for _ in range(4):
        rich_service(organization=VettedOrganizationFactory(network=network))
    rich_service(organization=first.organization)
    with django_assert_num_queries(len(few.captured_queries)):
        many = list(serialize.iter_services_full(base))
    assert len(many) == 6
    for item in many:
        assert_valid(item, "compiled/service.json")


def test_iter_services_full_chunks_give_the_same_records(db):
    network = rich_service().network
    for _ in range(3):
        rich_service(organization=VettedOrganizationFactory(network=network))
    services = m.Service.objects.filter(network=network)
    assert list(serialize.iter_services_full(services, chunk_size=2)) == list(
        serialize.iter_services_full(services)
    )


def test_links_are_scoped_by_network(db):
    """The same HSDS id in two networks: each service gets its own network's attributes."""
    a = rich_service()
    b = rich_service(hsds_id=a.hsds_id)
    assert a.network_id != b.network_id
    out_a, out_b = full(a), full(b)
    assert [x["id"] for x in out_a["attributes"]] == [
        x.hsds_id for x in m.Attribute.objects.filter(network=a.network)
    ]
    assert out_a["attributes"][0]["id"] != out_b["attributes"][0]["id"]


def test_unvetted_flag_does_not_leak_into_records(db):
    service = ServiceFactory(organization__vetting_status=VettingStatus.UNVETTED)
    out = full(service)
    assert "vetting_status" not in out["organization"]
    assert set(out["organization"]) <= set(BY_NAME["organization"].columns) | {
        "funding",
        "contacts",
        "phones",
        "locations",
        "programs",
        "organization_identifiers",
        "attributes",
        "metadata",
    }


def test_every_table_has_a_json_schema(db):
    for table in TABLES:
        schema = serialize.json_schema_for(table)
        assert set(schema["properties"]) == set(table.columns)
        Draft202012Validator.check_schema(schema)
    assert timezone.now()
