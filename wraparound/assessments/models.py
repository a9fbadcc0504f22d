"""A school's yearly needs-and-assets assessment: what its students and families need (by
category, severity, tier, how many), what the school already has, and who took part.

Gaps (needs minus assets minus active partnerships) and matching read these rows; the form is
organized by the four community-school pillars through the categories' parent terms."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from wraparound.core.grades import GRADE_ORDER, Grade
from wraparound.core.models import School, SchoolYear
from wraparound.directory.models import TIMING_FIELDS, TaxonomyTerm


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")


class NeedsAssessment(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="assessments")
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(
        max_length=16, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.TextField(_("summary"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["school", "-school_year__end_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year"], name="one_assessment_per_school_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.school_year.end_year}"


class Tier(models.IntegerChoices):
    SCHOOL_WIDE = 1, _("Tier 1: school-wide")
    SMALL_GROUP = 2, _("Tier 2: small group")
    INDIVIDUAL = 3, _("Tier 3: individual")


class Need(models.Model):
    assessment = models.ForeignKey(NeedsAssessment, on_delete=models.CASCADE, related_name="needs")
    category = models.ForeignKey(TaxonomyTerm, on_delete=models.PROTECT, related_name="+")
    severity = models.PositiveSmallIntegerField(
        _("severity"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (minor) to 5 (critical)."),
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices)
    students = models.PositiveIntegerField(
        _("students to serve"), validators=[MinValueValidator(1), MaxValueValidator(100_000)]
    )
    grade_low = models.CharField(_("lowest grade"), max_length=5, choices=Grade.choices, blank=True)
    grade_high = models.CharField(
        _("highest grade"), max_length=5, choices=Grade.choices, blank=True
    )
    # ISO 639-1 codes, comma-separated ("es,zh"): the languages services must offer.
    languages = models.CharField(_("languages"), max_length=100, blank=True)
    during_school_day = models.BooleanField(_("during the school day"), default=False)
    after_school = models.BooleanField(_("after school"), default=False)
    weekend = models.BooleanField(_("weekends"), default=False)
    summer = models.BooleanField(_("summer"), default=False)
    virtual = models.BooleanField(_("virtual"), default=False)
    evidence_source = models.CharField(_("evidence: data source"), max_length=200, blank=True)
    evidence_figure = models.CharField(_("evidence: figure"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["assessment", "-severity", "category__name"]

    def __str__(self) -> str:
        return f"{self.category} (severity {self.severity}, tier {self.tier})"

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if self.grade_low and self.grade_high:
            low, high = GRADE_ORDER.get(self.grade_low), GRADE_ORDER.get(self.grade_high)
            if low is not None and high is not None and high < low:
                errors["grade_high"] = _("The highest grade comes before the lowest grade.")
        if (
            self.category_id
            and self.assessment_id
            and self.category.network_id != self.assessment.school.network_id
        ):
            errors["category"] = _("Choose a category of this network.")
        if errors:
            raise ValidationError(errors)

    @property
    def timings(self) -> list[str]:
        return [name for name in TIMING_FIELDS if getattr(self, name)]


class AssetKind(models.TextChoices):
    STAFF = "staff", _("staff")
    PROGRAM = "program", _("program")
    PARTNER = "partner", _("partner")


class Asset(models.Model):
    """What the school already has toward a category: a counselor, a reading program, a partner
    not (yet) in the directory. `students` is how many it serves, which a gap subtracts."""

    assessment = models.ForeignKey(NeedsAssessment, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(_("kind"), max_length=16, choices=AssetKind.choices)
    category = models.ForeignKey(TaxonomyTerm, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    students = models.PositiveIntegerField(
        _("students served"), default=0, validators=[MaxValueValidator(100_000)]
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["assessment", "category__name", "name"]

    def __str__(self) -> str:
        return self.name


class ParticipantRole(models.TextChoices):
    PRINCIPAL = "principal", _("principal")
    STAFF = "staff", _("school staff")
    FAMILY = "family", _("family member")
    STUDENT = "student", _("student")
    COMMUNITY = "community", _("community member")
    PARTNER = "partner", _("community partner")


class Participant(models.Model):
    """Who took part in the assessment (the leadership team): a name and a role; how many, for
    groups such as a family survey."""

    assessment = models.ForeignKey(
        NeedsAssessment, on_delete=models.CASCADE, related_name="participants"
    )
    role = models.CharField(_("role"), max_length=16, choices=ParticipantRole.choices)
    name = models.CharField(_("name or group"), max_length=200)
    count = models.PositiveIntegerField(_("how many"), default=1, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["assessment", "role", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"
