"""The partner directory as Open Referral HSDS 3.0 tables, one model per HSDS object.

Field names are HSDS's, so import, export and the HSDS API map one to one; `hsds_id` is the HSDS
`id` (a UUID for records made here, whatever the source used for imported ones), unique per
network. Every table carries its network, so scoping and export are one indexed filter.

wraparound's own fields — grade band, timing, cost to the school and to families, vetting and
freshness — sit beside the HSDS ones on `Service` (and on `core.Organization`); HSDS 3.1's
`service_capacity` is `ServiceCapacity`. Service categories are HSDS `attribute` rows linking a
service to a taxonomy term, with a direct foreign key for fast filtering.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from wraparound.core.grades import Grade
from wraparound.core.models import (
    Community,
    Network,
    Organization,
    VettingStatus,
    new_hsds_id,
)

__all__ = ["Organization", "VettingStatus"]  # re-exported: the directory's organization


class HsdsRecord(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    hsds_id = models.CharField(_("HSDS id"), max_length=100, default=new_hsds_id)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["network", "hsds_id"], name="%(app_label)s_%(class)s_hsds_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.model_name} {self.hsds_id}"


# --- taxonomy ---------------------------------------------------------------------------------


class Taxonomy(HsdsRecord):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    uri = models.CharField(_("URI"), max_length=500, blank=True)
    version = models.CharField(_("version"), max_length=50, blank=True)

    class Meta(HsdsRecord.Meta):
        verbose_name_plural = _("taxonomies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(HsdsRecord):
    """A category. The network's default taxonomy has the four community-school pillars as top
    terms and service categories (tutoring, mentoring, counseling…) beneath them."""

    taxonomy_ref = models.ForeignKey(
        Taxonomy,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="terms",
    )
    code = models.CharField(_("code"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.RESTRICT, null=True, blank=True, related_name="children"
    )
    # HSDS `taxonomy`: the free-text name of the taxonomy, kept as given.
    taxonomy = models.CharField(_("taxonomy name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=20, blank=True)
    term_uri = models.CharField(_("term URI"), max_length=500, blank=True)
    name_es = models.CharField(_("name in Spanish"), max_length=200, blank=True)

    class Meta(HsdsRecord.Meta):
        ordering = ["name"]
        indexes = [models.Index(fields=["network", "code"])]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the active language: Spanish pages show `name_es` when there is one."""
        if self.name_es and (translation.get_language() or "").startswith("es"):
            return self.name_es
        return self.name


# --- services, programs, locations ------------------------------------------------------------


class Program(HsdsRecord):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="programs"
    )
    name = models.CharField(_("name"), max_length=250)
    alternate_name = models.CharField(_("alternate name"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)

    def __str__(self) -> str:
        return self.name


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    INACTIVE = "inactive", _("inactive")
    DEFUNCT = "defunct", _("defunct")
    TEMPORARILY_CLOSED = "temporarily closed", _("temporarily closed")


class Service(HsdsRecord):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="services"
    )
    program = models.ForeignKey(
        Program, on_delete=models.SET_NULL, null=True, blank=True, related_name="services"
    )
    name = models.CharField(_("name"), max_length=250)
    alternate_name = models.CharField(_("alternate name"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)
    url = models.CharField(_("website"), max_length=500, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    interpretation_services = models.TextField(_("interpretation services"), blank=True)
    application_process = models.TextField(_("how to apply"), blank=True)
    fees_description = models.TextField(_("fees"), blank=True)
    wait_time = models.CharField(_("wait time"), max_length=200, blank=True)
    fees = models.TextField(_("fees (deprecated HSDS field)"), blank=True)
    accreditations = models.TextField(_("accreditations"), blank=True)
    eligibility_description = models.TextField(_("eligibility"), blank=True)
    minimum_age = models.DecimalField(
        _("minimum age"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    maximum_age = models.DecimalField(
        _("maximum age"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    assured_date = models.DateField(_("assured on"), null=True, blank=True)
    assurer_email = models.CharField(_("assured by (email)"), max_length=254, blank=True)
    licenses = models.TextField(_("licenses"), blank=True)
    alert = models.TextField(_("alert"), blank=True)
    last_modified = models.DateTimeField(_("last modified"), null=True, blank=True)

    # wraparound's own fields (not in HSDS): what schools and families need to know.
    grade_low = models.CharField(
        _("lowest grade served"), max_length=5, choices=Grade.choices, blank=True
    )
    grade_high = models.CharField(
        _("highest grade served"), max_length=5, choices=Grade.choices, blank=True
    )
    during_school_day = models.BooleanField(_("during the school day"), default=False)
    after_school = models.BooleanField(_("after school"), default=False)
    weekend = models.BooleanField(_("weekends"), default=False)
    summer = models.BooleanField(_("summer"), default=False)
    virtual = models.BooleanField(_("virtual"), default=False)
    cost_to_school = models.DecimalField(
        _("cost to the school (USD per year)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("0 when free; empty when not known."),
    )
    cost_to_families = models.DecimalField(
        _("cost to families (USD)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("0 when free; empty when not known."),
    )
    categories = models.ManyToManyField(
        TaxonomyTerm, through="Attribute", through_fields=("service", "taxonomy_term"), blank=True
    )
    communities = models.ManyToManyField(
        Community, through="ServiceArea", through_fields=("service", "community"), blank=True
    )
    # Vetting and freshness (the organization's vetting status governs edits).
    verified_on = models.DateField(_("verified on"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("last confirmed"), null=True, blank=True)
    # Lowercased words of name, alternate name, description, organization and categories.
    search_text = models.TextField(editable=False, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(HsdsRecord.Meta):
        ordering = ["name"]
        indexes = [
            models.Index(fields=["network", "status"]),
            models.Index(fields=["organization", "name"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def timings(self) -> list[str]:
        return [name for name in TIMING_FIELDS if getattr(self, name)]


TIMING_FIELDS = ("during_school_day", "after_school", "weekend", "summer", "virtual")


class ServiceCapacity(HsdsRecord):
    """HSDS 3.1 `service_capacity`: how many more the service can take, in a unit."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="capacities")
    unit = models.CharField(_("unit"), max_length=100, help_text=_("e.g. students, families"))
    available = models.PositiveIntegerField(_("available"))
    maximum = models.PositiveIntegerField(_("maximum"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    updated = models.DateTimeField(_("updated"))

    class Meta(HsdsRecord.Meta):
        verbose_name_plural = _("service capacities")


class LocationType(models.TextChoices):
    PHYSICAL = "physical", _("physical")
    POSTAL = "postal", _("postal")
    VIRTUAL = "virtual", _("virtual")


class Location(HsdsRecord):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="locations"
    )
    location_type = models.CharField(
        _("type"), max_length=10, choices=LocationType.choices, default=LocationType.PHYSICAL
    )
    url = models.CharField(_("URL"), max_length=500, blank=True)
    name = models.CharField(_("name"), max_length=250, blank=True)
    alternate_name = models.CharField(_("alternate name"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)
    transportation = models.TextField(_("transportation"), blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    external_identifier = models.CharField(max_length=200, blank=True)
    external_identifier_type = models.CharField(max_length=200, blank=True)

    class Meta(HsdsRecord.Meta):
        indexes = [models.Index(fields=["network", "latitude", "longitude"])]

    def __str__(self) -> str:
        return self.name or self.hsds_id


class ServiceAtLocation(HsdsRecord):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="services_here")
    description = models.TextField(_("description"), blank=True)


class Address(HsdsRecord):
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="addresses"
    )
    attention = models.CharField(_("attention"), max_length=200, blank=True)
    address_1 = models.CharField(_("address"), max_length=250)
    address_2 = models.CharField(_("address line 2"), max_length=250, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("region"), max_length=100, blank=True)
    state_province = models.CharField(_("state"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=20)
    country = models.CharField(_("country"), max_length=2, default="US")
    address_type = models.CharField(_("address type"), max_length=20, default="physical")

    class Meta(HsdsRecord.Meta):
        verbose_name_plural = _("addresses")


class Accessibility(HsdsRecord):
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="accessibility"
    )
    description = models.TextField(_("description"), blank=True)
    details = models.TextField(_("details"), blank=True)
    url = models.CharField(_("URL"), max_length=500, blank=True)

    class Meta(HsdsRecord.Meta):
        verbose_name_plural = _("accessibility")


# --- contacts, phones, schedules, languages ---------------------------------------------------


class Contact(HsdsRecord):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=200, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)


class Phone(HsdsRecord):
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    number = models.CharField(_("number"), max_length=50)
    extension = models.PositiveIntegerField(_("extension"), null=True, blank=True)
    type = models.CharField(_("type"), max_length=20, blank=True)
    description = models.TextField(_("description"), blank=True)


class Schedule(HsdsRecord):
    """When a service is open, as HSDS's iCalendar-style recurrence (freq, byday, opens_at…)."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules"
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    dtstart = models.DateField(null=True, blank=True)
    timezone = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    wkst = models.CharField(max_length=2, blank=True)
    freq = models.CharField(max_length=10, blank=True)
    interval = models.PositiveIntegerField(null=True, blank=True)
    byday = models.CharField(max_length=100, blank=True)
    byweekno = models.CharField(max_length=200, blank=True)
    bymonthday = models.CharField(max_length=200, blank=True)
    byyearday = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    schedule_link = models.CharField(max_length=500, blank=True)
    attending_type = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)


class Language(HsdsRecord):
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="languages"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="languages"
    )
    phone = models.ForeignKey(
        Phone, on_delete=models.CASCADE, null=True, blank=True, related_name="languages"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=20, blank=True, help_text=_("ISO 639, e.g. es"))
    note = models.TextField(_("note"), blank=True)

    class Meta(HsdsRecord.Meta):
        indexes = [models.Index(fields=["network", "code"])]


# --- service details ---------------------------------------------------------------------------


class ServiceArea(HsdsRecord):
    """Where a service is offered. `community` links it to a network community when it names one
    (the service area filter reads it); extents from other systems are kept as given."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="service_areas"
    )
    community = models.ForeignKey(
        Community, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)
    extent = models.TextField(_("extent"), blank=True)
    extent_type = models.CharField(_("extent type"), max_length=50, blank=True)
    uri = models.CharField(_("URI"), max_length=500, blank=True)


class CostOption(HsdsRecord):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="cost_options")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    option = models.TextField(blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    amount_description = models.TextField(blank=True)


class Funding(HsdsRecord):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="funding"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="funding"
    )
    source = models.TextField(blank=True)


class RequiredDocument(HsdsRecord):
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="required_documents"
    )
    document = models.TextField(blank=True)
    uri = models.CharField(max_length=500, blank=True)


class OrganizationIdentifier(HsdsRecord):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="identifiers"
    )
    identifier_scheme = models.CharField(max_length=100, blank=True)
    identifier_type = models.CharField(max_length=200)
    identifier = models.CharField(max_length=200)


class Attribute(HsdsRecord):
    """HSDS `attribute`: a taxonomy term attached to any record. `link_entity` + `link_id` are
    HSDS's generic link (kept for every record); when the link is a service, organization or
    location the foreign key is set too, so category filters are a join, not a string match."""

    taxonomy_term = models.ForeignKey(
        TaxonomyTerm, on_delete=models.CASCADE, related_name="attributes"
    )
    link_entity = models.CharField(max_length=50)
    link_id = models.CharField(max_length=100)
    link_type = models.CharField(max_length=100, blank=True)
    value = models.TextField(blank=True)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="attributes"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="attributes"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="attributes"
    )

    class Meta(HsdsRecord.Meta):
        indexes = [models.Index(fields=["network", "link_entity", "link_id"])]


class Metadata(HsdsRecord):
    """HSDS `metadata`: a change log row as another system recorded it (kept for round trips)."""

    resource_id = models.CharField(max_length=100)
    resource_type = models.CharField(max_length=50)
    last_action_date = models.DateField()
    last_action_type = models.CharField(max_length=50)
    field_name = models.CharField(max_length=100)
    previous_value = models.TextField(blank=True)
    replacement_value = models.TextField(blank=True)
    updated_by = models.CharField(max_length=200)

    class Meta(HsdsRecord.Meta):
        verbose_name_plural = _("metadata")


class MetaTableDescription(HsdsRecord):
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=20, blank=True)
    character_set = models.CharField(max_length=50, blank=True)


# --- review of partner edits --------------------------------------------------------------------


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("waiting for review")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


class ChangeRequest(models.Model):
    """A partner's edit to a vetted organization or one of its services, held for a network
    admin. `before` is the record as the partner saw it, `after` what they propose (both as the
    edit form's fields), so the reviewer sees a diff and a stale base is detectable."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="change_requests"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="change_requests"
    )
    kind = models.CharField(max_length=40, help_text=_("e.g. organization, service, new_service"))
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["network", "status", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.kind} change to {self.organization_id} ({self.status})"


# --- imports -------------------------------------------------------------------------------------


class ImportStatus(models.TextChoices):
    CHECKED = "checked", _("dry run")
    INVALID = "invalid", _("problems found, nothing written")
    IMPORTED = "imported", _("imported")
    IMPORTED_PARTLY = "imported_partly", _("imported, invalid rows skipped")
    FAILED = "failed", _("failed")


class HsdsImport(models.Model):
    """One run of an HSDS import, dry or not, with its full report (problems by file, row and
    field; what was skipped; what was created or updated)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    source_name = models.CharField(max_length=250)
    dry_run = models.BooleanField(default=True)
    skip_invalid = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=ImportStatus.choices)
    report = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"HSDS import {self.source_name} ({self.status})"


class DuplicateStatus(models.TextChoices):
    PENDING = "pending", _("waiting for review")
    MERGED = "merged", _("same organization: merged")
    CREATED = "created", _("different organization: created")
    DISCARDED = "discarded", _("discarded")


class PossibleDuplicate(models.Model):
    """An imported organization that looks like one already in the directory (similar name and
    address): held for a network admin instead of being created silently."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    hsds_import = models.ForeignKey(
        HsdsImport, on_delete=models.CASCADE, related_name="possible_duplicates"
    )
    existing = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    incoming = models.JSONField(help_text=_("The incoming organization and its records, as HSDS."))
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    status = models.CharField(
        max_length=16, choices=DuplicateStatus.choices, default=DuplicateStatus.PENDING
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score"]

    def __str__(self) -> str:
        return f"possible duplicate of {self.existing_id} ({self.score:.2f})"
