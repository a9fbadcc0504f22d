"""Partnerships: a school (or the whole network) working with an organization's service in a
school year, for a number of students or slots. Issue 5 builds MOUs, data-sharing agreements and
clearance on this row; matching reads it (active and proposed partnerships cover needs and use
capacity; a partnership kept from last year is a sustained relationship, which ranks higher).

Nothing becomes a commitment by itself: recommendations and the network allocation only ever
create *proposed* partnerships; the organization accepts (active) or declines (ended)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from wraparound.core.models import Network, Organization, School, SchoolYear
from wraparound.directory.models import Service


class PartnershipStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    ACTIVE = "active", _("active")
    ENDED = "ended", _("ended")


# Proposed and active partnerships hold a service's capacity and cover a school's need.
OPEN_STATUSES = (PartnershipStatus.PROPOSED, PartnershipStatus.ACTIVE)


class PartnershipSource(models.TextChoices):
    RECOMMENDATION = "recommendation", _("from a recommendation")
    ALLOCATION = "allocation", _("from the network allocation")
    DIRECT = "direct", _("entered directly")


class Partnership(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="partnerships")
    # Empty for a network-wide partnership (DESIGN.md §2: school | network).
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="partnerships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="partnerships"
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="partnerships"
    )
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.PROTECT, related_name="partnerships"
    )
    # The need it answers, when it came from the assessment (gaps subtract it from that need).
    need = models.ForeignKey(
        "assessments.Need",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partnerships",
    )
    units = models.PositiveIntegerField(
        _("students or slots committed"),
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=PartnershipStatus.choices,
        default=PartnershipStatus.PROPOSED,
    )
    source = models.CharField(
        _("source"), max_length=16, choices=PartnershipSource.choices, default="direct"
    )
    allocation_run = models.ForeignKey(
        "matching.AllocationRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partnerships",
    )
    notes = models.TextField(_("notes"), blank=True)
    ended_reason = models.CharField(_("reason it ended"), max_length=300, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the organization accepts: a partnership that was ever active is a working
    # relationship (matching prefers to sustain it).
    activated_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-school_year__end_year", "school__code", "organization__name"]
        constraints = [
            # One open partnership per school, service and year: proposing twice is refused.
            models.UniqueConstraint(
                fields=["school", "service", "school_year"],
                condition=models.Q(status__in=["proposed", "active"]),
                name="one_open_partnership_per_school_service_year",
            )
        ]
        indexes = [
            models.Index(fields=["network", "school_year", "status"]),
            models.Index(fields=["organization", "status"]),
        ]

    def __str__(self) -> str:
        where = self.school.name if self.school_id and self.school else _("network-wide")
        return f"{self.organization} — {where} ({self.school_year})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
