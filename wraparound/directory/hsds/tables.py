"""The HSDS 3.0 tables and how each maps onto a directory model: the one mapping that import,
export and the HSDS API share.

Field names are HSDS's and, except for ids, the models' own: HSDS `id` is `hsds_id`, and a
reference column `<thing>_id` is a foreign key whose value is the related record's `hsds_id`.
`tests/test_hsds_tables.py` checks this against the official `datapackage.json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

from wraparound.directory import models as m


@dataclass(frozen=True)
class Reference:
    column: str  # the HSDS column, e.g. "organization_id"
    model_field: str  # the foreign key on the model, e.g. "organization"
    table: str  # the HSDS table it points at, e.g. "organization"


@dataclass(frozen=True)
class HsdsTable:
    name: str  # HSDS object name: "service"
    path: str  # CSV file in a tabular data package: "services.csv"
    model: type[models.Model]
    columns: tuple[str, ...]  # HSDS fields, in datapackage.json order
    required: frozenset[str]
    references: tuple[Reference, ...] = field(default=())

    def reference(self, column: str) -> Reference | None:
        return next((r for r in self.references if r.column == column), None)

    def model_field(self, column: str) -> str:
        """The model attribute an HSDS column is stored in (for references: the `<fk>_id`
        attribute holds the database id; the HSDS value is the target's hsds_id)."""
        if column == "id":
            return "hsds_id"
        ref = self.reference(column)
        return ref.model_field if ref else column


# In dependency order: a table only references tables before it, except the self-references
# (organization → parent organization, taxonomy term → parent term).
TABLES: tuple[HsdsTable, ...] = (
    HsdsTable(
        name="organization",
        path="organizations.csv",
        model=m.Organization,
        columns=(
            "id",
            "name",
            "alternate_name",
            "description",
            "email",
            "website",
            "tax_status",
            "tax_id",
            "year_incorporated",
            "legal_status",
            "logo",
            "uri",
            "parent_organization_id",
        ),
        required=frozenset({"id", "name", "description"}),
        references=(Reference("parent_organization_id", "parent_organization", "organization"),),
    ),
    HsdsTable(
        name="program",
        path="programs.csv",
        model=m.Program,
        columns=(
            "id",
            "organization_id",
            "name",
            "alternate_name",
            "description",
        ),
        required=frozenset({"id", "organization_id", "name", "description"}),
        references=(Reference("organization_id", "organization", "organization"),),
    ),
    HsdsTable(
        name="taxonomy",
        path="taxonomies.csv",
        model=m.Taxonomy,
        columns=(
            "id",
            "name",
            "description",
            "uri",
            "version",
        ),
        required=frozenset({"id", "name", "description"}),
    ),
    HsdsTable(
        name="taxonomy_term",
        path="taxonomy_terms.csv",
        model=m.TaxonomyTerm,
        columns=(
            "id",
            "code",
            "name",
            "description",
            "parent_id",
            "taxonomy",
            "language",
            "taxonomy_id",
            "term_uri",
        ),
        required=frozenset({"id", "name", "description"}),
        references=(
            Reference("taxonomy_id", "taxonomy_ref", "taxonomy"),
            Reference("parent_id", "parent", "taxonomy_term"),
        ),
    ),
    HsdsTable(
        name="service",
        path="services.csv",
        model=m.Service,
        columns=(
            "id",
            "organization_id",
            "program_id",
            "name",
            "alternate_name",
            "description",
            "url",
            "email",
            "status",
            "interpretation_services",
            "application_process",
            "fees_description",
            "wait_time",
            "fees",
            "accreditations",
            "eligibility_description",
            "minimum_age",
            "maximum_age",
            "assured_date",
            "assurer_email",
            "licenses",
            "alert",
            "last_modified",
        ),
        required=frozenset({"id", "organization_id", "name", "status"}),
        references=(
            Reference("organization_id", "organization", "organization"),
            Reference("program_id", "program", "program"),
        ),
    ),
    HsdsTable(
        name="location",
        path="locations.csv",
        model=m.Location,
        columns=(
            "id",
            "location_type",
            "url",
            "organization_id",
            "name",
            "alternate_name",
            "description",
            "transportation",
            "latitude",
            "longitude",
            "external_identifier",
            "external_identifier_type",
        ),
        required=frozenset({"id", "location_type"}),
        references=(Reference("organization_id", "organization", "organization"),),
    ),
    HsdsTable(
        name="service_at_location",
        path="service_at_location.csv",
        model=m.ServiceAtLocation,
        columns=(
            "id",
            "service_id",
            "location_id",
            "description",
        ),
        required=frozenset({"id", "service_id", "location_id"}),
        references=(
            Reference("service_id", "service", "service"),
            Reference("location_id", "location", "location"),
        ),
    ),
    HsdsTable(
        name="address",
        path="addresses.csv",
        model=m.Address,
        columns=(
            "id",
            "location_id",
            "attention",
            "address_1",
            "address_2",
            "city",
            "region",
            "state_province",
            "postal_code",
            "country",
            "address_type",
        ),
        required=frozenset(
            {"id", "address_1", "city", "state_province", "postal_code", "country", "address_type"}
        ),
        references=(Reference("location_id", "location", "location"),),
    ),
    HsdsTable(
        name="accessibility",
        path="accessibility.csv",
        model=m.Accessibility,
        columns=(
            "id",
            "location_id",
            "description",
            "details",
            "url",
        ),
        required=frozenset({"id"}),
        references=(Reference("location_id", "location", "location"),),
    ),
    HsdsTable(
        name="contact",
        path="contacts.csv",
        model=m.Contact,
        columns=(
            "id",
            "organization_id",
            "service_id",
            "service_at_location_id",
            "location_id",
            "name",
            "title",
            "department",
            "email",
        ),
        required=frozenset({"id"}),
        references=(
            Reference("location_id", "location", "location"),
            Reference("organization_id", "organization", "organization"),
            Reference("service_id", "service", "service"),
            Reference("service_at_location_id", "service_at_location", "service_at_location"),
        ),
    ),
    HsdsTable(
        name="phone",
        path="phones.csv",
        model=m.Phone,
        columns=(
            "id",
            "location_id",
            "service_id",
            "organization_id",
            "contact_id",
            "service_at_location_id",
            "number",
            "extension",
            "type",
            "description",
        ),
        required=frozenset({"id", "number"}),
        references=(
            Reference("contact_id", "contact", "contact"),
            Reference("location_id", "location", "location"),
            Reference("organization_id", "organization", "organization"),
            Reference("service_id", "service", "service"),
            Reference("service_at_location_id", "service_at_location", "service_at_location"),
        ),
    ),
    HsdsTable(
        name="schedule",
        path="schedules.csv",
        model=m.Schedule,
        columns=(
            "id",
            "service_id",
            "location_id",
            "service_at_location_id",
            "valid_from",
            "valid_to",
            "dtstart",
            "timezone",
            "until",
            "count",
            "wkst",
            "freq",
            "interval",
            "byday",
            "byweekno",
            "bymonthday",
            "byyearday",
            "description",
            "opens_at",
            "closes_at",
            "schedule_link",
            "attending_type",
            "notes",
        ),
        required=frozenset({"id"}),
        references=(
            Reference("location_id", "location", "location"),
            Reference("service_id", "service", "service"),
            Reference("service_at_location_id", "service_at_location", "service_at_location"),
        ),
    ),
    HsdsTable(
        name="language",
        path="languages.csv",
        model=m.Language,
        columns=(
            "id",
            "service_id",
            "location_id",
            "phone_id",
            "name",
            "code",
            "note",
        ),
        required=frozenset({"id"}),
        references=(
            Reference("location_id", "location", "location"),
            Reference("phone_id", "phone", "phone"),
            Reference("service_id", "service", "service"),
        ),
    ),
    HsdsTable(
        name="service_area",
        path="service_areas.csv",
        model=m.ServiceArea,
        columns=(
            "id",
            "service_id",
            "name",
            "description",
            "extent",
            "extent_type",
            "uri",
        ),
        required=frozenset({"id"}),
        references=(Reference("service_id", "service", "service"),),
    ),
    HsdsTable(
        name="cost_option",
        path="cost_options.csv",
        model=m.CostOption,
        columns=(
            "id",
            "service_id",
            "valid_from",
            "valid_to",
            "option",
            "currency",
            "amount",
            "amount_description",
        ),
        required=frozenset({"id", "service_id"}),
        references=(Reference("service_id", "service", "service"),),
    ),
    HsdsTable(
        name="funding",
        path="funding.csv",
        model=m.Funding,
        columns=(
            "id",
            "organization_id",
            "service_id",
            "source",
        ),
        required=frozenset({"id"}),
        references=(
            Reference("organization_id", "organization", "organization"),
            Reference("service_id", "service", "service"),
        ),
    ),
    HsdsTable(
        name="required_document",
        path="required_documents.csv",
        model=m.RequiredDocument,
        columns=(
            "id",
            "service_id",
            "document",
            "uri",
        ),
        required=frozenset({"id"}),
        references=(Reference("service_id", "service", "service"),),
    ),
    HsdsTable(
        name="organization_identifier",
        path="organization_identifiers.csv",
        model=m.OrganizationIdentifier,
        columns=(
            "id",
            "organization_id",
            "identifier_scheme",
            "identifier_type",
            "identifier",
        ),
        required=frozenset({"id", "organization_id", "identifier_type", "identifier"}),
        references=(Reference("organization_id", "organization", "organization"),),
    ),
    HsdsTable(
        name="attribute",
        path="attributes.csv",
        model=m.Attribute,
        columns=(
            "id",
            "link_id",
            "taxonomy_term_id",
            "link_type",
            "link_entity",
            "value",
        ),
        required=frozenset({"id", "link_id", "taxonomy_term_id", "link_entity"}),
        references=(Reference("taxonomy_term_id", "taxonomy_term", "taxonomy_term"),),
    ),
    HsdsTable(
        name="metadata",
        path="metadata.csv",
        model=m.Metadata,
        columns=(
            "id",
            "resource_id",
            "resource_type",
            "last_action_date",
            "last_action_type",
            "field_name",
            "previous_value",
            "replacement_value",
            "updated_by",
        ),
        required=frozenset(
            {
                "id",
                "resource_id",
                "resource_type",
                "last_action_date",
                "last_action_type",
                "field_name",
                "previous_value",
                "replacement_value",
                "updated_by",
            }
        ),
    ),
    HsdsTable(
        name="meta_table_description",
        path="meta_table_descriptions.csv",
        model=m.MetaTableDescription,
        columns=(
            "id",
            "name",
            "language",
            "character_set",
        ),
        required=frozenset({"id"}),
    ),
)

BY_NAME: dict[str, HsdsTable] = {table.name: table for table in TABLES}
BY_PATH: dict[str, HsdsTable] = {table.path: table for table in TABLES}
