"""Network initiatives (issue 8): an arts-education, literacy, social-emotional-learning or
racial-equity push that a network defines once, with goals, and that each participating school
carries out through its own plan (owner, status, grades reached, activities with partners).

Grades are OneRoster codes (`core.grades`), kept as lists in school order. Whether the plans line
up along the feeder patterns is computed when read (`feeder`), never stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wraparound.core.grades import Grade
from wraparound.core.models import Network, Organization, School

# The grades an initiative may aim at: transitional kindergarten to grade 12.
TARGET_GRADES: tuple[str, ...] = (
    "TK",
    "KG",
    *[f"{n:02d}" for n in range(1, 13)],
)
TARGET_GRADE_CHOICES = [(code, Grade(code).label) for code in TARGET_GRADES]


class InitiativeKind(models.TextChoices):
    ARTS = "arts", _("Arts education")
    LITERACY = "literacy", _("Literacy")
    SEL = "sel", _("Social-emotional learning")
    RACIAL_EQUITY = "racial_equity", _("Racial equity")
    OTHER = "other", _("Other")


class InitiativeStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    COMPLETE = "complete", _("Complete")


class PlanStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    PLANNING = "planning", _("Planning")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    COMPLETE = "complete", _("Complete")


# A plan reaches its grades while it is being planned or carried out.
REACHING_STATUSES = frozenset({PlanStatus.PLANNING, PlanStatus.ACTIVE})


class GoalStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    MET = "met", _("Met")
    NOT_MET = "not_met", _("Not met")


class Initiative(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="initiatives")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=InitiativeKind.choices)
    description = models.TextField(_("description"), blank=True)
    grade_low = models.CharField(
        _("from grade"), max_length=2, choices=TARGET_GRADE_CHOICES, default="TK"
    )
    grade_high = models.CharField(
        _("to grade"), max_length=2, choices=TARGET_GRADE_CHOICES, default="12"
    )
    # School years are named by the calendar year they end in (2027 = 2026-27).
    start_year = models.PositiveSmallIntegerField(_("first school year"))
    end_year = models.PositiveSmallIntegerField(_("last school year"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=InitiativeStatus.choices,
        default=InitiativeStatus.PLANNING,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["network", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_year__isnull=True)
                | models.Q(end_year__gte=models.F("start_year")),
                name="initiative_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def years_label(self) -> str:
        def label(end: int) -> str:
            return f"{end - 1}-{end % 100:02d}"

        if self.end_year is None:
            return str(_("from %(year)s")) % {"year": label(self.start_year)}
        if self.end_year == self.start_year:
            return label(self.start_year)
        return f"{label(self.start_year)} – {label(self.end_year)}"


class InitiativeGoal(models.Model):
    """What the initiative means to achieve, tracked by hand (status); it may point at an
    outcome goal whose progress the system computes."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="goals")
    statement = models.CharField(_("goal"), max_length=300)
    measure = models.CharField(_("measure"), max_length=300, blank=True)
    target = models.CharField(_("target"), max_length=200, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=GoalStatus.choices, default=GoalStatus.NOT_STARTED
    )
    outcome_goal = models.ForeignKey(
        "outcomes.Goal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("outcome goal"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["initiative", "due_on", "pk"]

    def __str__(self) -> str:
        return self.statement


class SchoolPlan(models.Model):
    """One school's part in an initiative."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="plans")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="initiative_plans")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="initiative_plans",
        verbose_name=_("owner"),
    )
    owner_title = models.CharField(_("owner's title"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.NOT_STARTED
    )
    grades = models.JSONField(_("grades reached"), default=list, blank=True)
    partners = models.ManyToManyField(
        Organization, blank=True, related_name="initiative_plans", verbose_name=_("partners")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["initiative", "school__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "school"], name="one_plan_per_school")
        ]

    def __str__(self) -> str:
        return f"{self.initiative} · {self.school}"

    @property
    def grades_label(self) -> str:
        from .feeder import grades_label, runs

        return ", ".join(grades_label(run) for run in runs(self.grades or [])) or "—"


class Activity(models.Model):
    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="activities")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    grades = models.JSONField(_("grades"), default=list, blank=True)
    partners = models.ManyToManyField(
        Organization,
        blank=True,
        related_name="initiative_activities",
        verbose_name=_("partner organizations"),
    )
    schedule = models.CharField(_("schedule"), max_length=200, blank=True)
    minutes_per_week = models.PositiveIntegerField(_("minutes per week"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["plan", "pk"]
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return self.title

    @property
    def grades_label(self) -> str:
        from .feeder import grades_label, runs

        return ", ".join(grades_label(run) for run in runs(self.grades or [])) or "—"
