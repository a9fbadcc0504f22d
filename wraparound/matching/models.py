"""A network allocation run: the plan the solver proposed for a school year, kept so that a
network admin can review it (with the greedy plan beside it), edit it, and accept it. Accepting
turns the kept assignments into *proposed* partnerships; nothing is committed by the solver."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wraparound.core.models import Network, SchoolYear
from wraparound.directory.models import Service


class RunStatus(models.TextChoices):
    RUNNING = "running", _("running")
    FAILED = "failed", _("failed")
    DRAFT = "draft", _("under review")
    ACCEPTED = "accepted", _("accepted")
    DISCARDED = "discarded", _("discarded")


class Strategy(models.TextChoices):
    OPTIMAL = "optimal", _("optimal (equity-weighted)")
    GREEDY = "greedy", _("greedy (schools in turn)")


class UnmetReason(models.TextChoices):
    NO_ELIGIBLE_SERVICE = "no_eligible_service", _("no eligible service in the community")
    CAPACITY_TAKEN = "capacity_taken", _("capacity taken by higher-weight needs")
    DIMINISHING_RETURNS = (
        "diminishing_returns",
        _("the school already has much of this category; other schools' needs weigh more"),
    )


class AllocationRun(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="allocation_runs")
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.PROTECT, related_name="allocation_runs"
    )
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.DRAFT)
    # Both plans are kept: the optimal one is reviewed and accepted, the greedy one compared.
    objective = models.FloatField(default=0)
    greedy_objective = models.FloatField(default=0)
    # Totals, coverage by need-index quintile, timings, the empty-plan reason, for both plans.
    stats = models.JSONField(default=dict)
    # Why a run failed (the solver's or the database's words), for the admin and the logs.
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.network} {self.school_year} #{self.pk}"


class AllocationItem(models.Model):
    """One assignment of a plan: units of a service for a need. The admin's edits change
    `units` or clear `kept`; accepting creates a partnership for each kept optimal item."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="items")
    strategy = models.CharField(max_length=16, choices=Strategy.choices)
    need = models.ForeignKey("assessments.Need", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    units = models.PositiveIntegerField(_("units"))
    proposed_units = models.PositiveIntegerField()
    benefit = models.FloatField()
    kept = models.BooleanField(_("keep"), default=True)
    partnership = models.ForeignKey(
        "agreements.Partnership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["run", "strategy", "need", "-benefit"]
        indexes = [models.Index(fields=["run", "strategy"])]

    def __str__(self) -> str:
        return f"{self.units} × service {self.service_id} → need {self.need_id}"


class AllocationUnmet(models.Model):
    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="unmet")
    strategy = models.CharField(max_length=16, choices=Strategy.choices)
    need = models.ForeignKey("assessments.Need", on_delete=models.CASCADE, related_name="+")
    units = models.PositiveIntegerField()
    reason = models.CharField(max_length=32, choices=UnmetReason.choices)

    class Meta:
        ordering = ["run", "strategy", "need"]

    def __str__(self) -> str:
        return f"need {self.need_id}: {self.units} unmet ({self.reason})"
