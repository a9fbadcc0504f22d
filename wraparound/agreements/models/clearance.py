"""Clearance: what a network requires before a partner (the organization, or each person who works
with students) may be on campus, and the records that show each requirement met.

A requirement is met on a day by a *cleared* record whose validity covers that day. Records are
never edited into another meaning: a renewal is a new record, a rejection keeps its reason. The
"signed MOU" kind has no records: it is met by an agreement in force for the school
(agreements.clearance).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _

from wraparound.core.models import Network, Organization, School


class RequirementKind(models.TextChoices):
    BACKGROUND_CHECK = "background_check", _("background check")
    FINGERPRINTING = "fingerprinting", _("fingerprinting")
    TB_TEST = "tb_test", _("TB test")
    LIABILITY_INSURANCE = "liability_insurance", _("liability insurance")
    CHILD_ABUSE_TRAINING = "child_abuse_training", _("child-abuse-prevention training")
    FERPA_TRAINING = "ferpa_training", _("FERPA training")
    MANDATED_REPORTER_TRAINING = "mandated_reporter_training", _("mandated-reporter training")
    SIGNED_MOU = "signed_mou", _("signed MOU with the school")
    OTHER = "other", _("other")


class RequirementSubject(models.TextChoices):
    ORGANIZATION = "organization", _("each organization")
    PERSON = "person", _("each person who works with students")


class ClearanceRequirement(models.Model):
    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="clearance_requirements"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=RequirementKind.choices)
    applies_to = models.CharField(
        _("applies to"), max_length=16, choices=RequirementSubject.choices
    )
    description = models.TextField(_("what is needed"), blank=True)
    validity_months = models.PositiveSmallIntegerField(
        _("valid for (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Empty when it does not expire (or the document carries its own end date)."),
    )
    document_required = models.BooleanField(_("a document is required"), default=True)
    minimum_coverage = models.DecimalField(
        _("minimum coverage (USD)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("For insurance: the least coverage per occurrence that is accepted."),
    )
    is_active = models.BooleanField(_("in effect"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["network", "applies_to", "name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "name"], name="requirement_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_records(self) -> bool:
        """Met by documents and reviews (every kind but the signed MOU)."""
        return self.kind != RequirementKind.SIGNED_MOU


class StaffMember(models.Model):
    """A person of a partner organization who will work on campus (a login is optional: many
    tutors and mentors never use the app, but still need clearing)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="staff_members"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    title = models.CharField(_("role"), max_length=100, blank=True, help_text=_("e.g. tutor"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The schools the person will work at; empty = wherever the organization has a partnership.
    schools = models.ManyToManyField(School, blank=True, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organization", "last_name", "first_name"]
        indexes = [models.Index(fields=["organization", "is_active"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class RecordStatus(models.TextChoices):
    SUBMITTED = "submitted", _("waiting for review")
    CLEARED = "cleared", _("cleared")
    REJECTED = "rejected", _("rejected")


def private_storage() -> Storage:
    # Clearance documents live outside MEDIA_ROOT, with no URL: they are served only by the view
    # that checks who is asking (agreements.views_clearance.record_document).
    return storages["private"]


def document_path(record: ClearanceRecord, filename: str) -> str:
    # The stored name is ours, never the uploader's: no path from outside reaches the disk.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"clearance/{record.network_id}/{record.organization_id}/{get_random_string(24)}{suffix}"


class ClearanceRecord(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    requirement = models.ForeignKey(
        ClearanceRequirement, on_delete=models.PROTECT, related_name="records"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="clearance_records"
    )
    # Empty for an organization requirement.
    person = models.ForeignKey(
        StaffMember,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="clearance_records",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RecordStatus.choices, default=RecordStatus.SUBMITTED
    )
    issued_on = models.DateField(_("issued or completed on"))
    expires_on = models.DateField(
        _("valid through"),
        null=True,
        blank=True,
        help_text=_("The last day it is valid; empty when it does not expire."),
    )
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("Policy or certificate number.")
    )
    coverage_amount = models.DecimalField(
        _("coverage (USD)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    document = models.FileField(
        _("document"), storage=private_storage, upload_to=document_path, blank=True
    )
    document_name = models.CharField(_("file name"), max_length=200, blank=True)
    document_type = models.CharField(max_length=100, blank=True)
    document_size = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rejection_reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["network", "status"]),
            models.Index(fields=["organization", "requirement", "status"]),
            models.Index(fields=["person", "requirement", "status"]),
            models.Index(fields=["network", "expires_on"]),
        ]

    def __str__(self) -> str:
        who = self.person.full_name if self.person_id and self.person else str(self.organization)
        return f"{self.requirement} · {who} · {self.get_status_display()}"

    def valid_on(self, day: dt.date) -> bool:
        if self.status != RecordStatus.CLEARED or day < self.issued_on:
            return False
        return self.expires_on is None or day <= self.expires_on
