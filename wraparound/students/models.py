"""Students and families: the roster (OneRoster 1.2 users, roles and demographics), guardians,
FERPA consent (34 CFR 99.30), tiered supports (MTSS) and roster imports.

Identifiable fields are never read from these models directly by partner-facing code: the
selectors in `visibility.py` decide which of them a viewer may see and log the disclosure."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wraparound.agreements.models.clearance import private_storage
from wraparound.core.grades import Grade
from wraparound.core.models import Network, Organization, School


class Sex(models.TextChoices):
    """OneRoster 1.2 demographics `sex`."""

    FEMALE = "female", _("female")
    MALE = "male", _("male")
    OTHER = "other", _("other")
    UNSPECIFIED = "unspecified", _("unspecified")


class RaceEthnicity(models.TextChoices):
    """One reporting category derived from OneRoster's race flags the way federal reporting does:
    Hispanic/Latino of any race first, then two or more races, then the single race flagged."""

    HISPANIC = "hispanic", _("Hispanic or Latino")
    AMERICAN_INDIAN = "american_indian", _("American Indian or Alaska Native")
    ASIAN = "asian", _("Asian")
    BLACK = "black", _("Black or African American")
    PACIFIC_ISLANDER = "pacific_islander", _("Native Hawaiian or Other Pacific Islander")
    WHITE = "white", _("White")
    TWO_OR_MORE = "two_or_more", _("Two or more races")
    UNKNOWN = "unknown", _("Not reported")


class Student(models.Model):
    """A student of the network, keyed by the roster's OneRoster `sourcedId`."""

    # Foreign keys whose columns lead a composite index or unique constraint below get no index
    # of their own: a roster import writes these tables by the hundred thousand rows, and every
    # index is written for each of them.
    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="students", db_index=False
    )
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        related_name="students",
        help_text=_("The school of the student's current primary enrollment."),
    )
    sourced_id = models.CharField(_("OneRoster sourcedId"), max_length=255)
    identifier = models.CharField(_("student id"), max_length=64, blank=True)
    given_name = models.CharField(_("first name"), max_length=100)
    family_name = models.CharField(_("last name"), max_length=100)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    preferred_name = models.CharField(_("preferred first name"), max_length=100, blank=True)
    grade = models.CharField(_("grade"), max_length=5, choices=Grade.choices, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    sms = models.CharField(_("text message number"), max_length=40, blank=True)
    sex = models.CharField(_("sex"), max_length=12, choices=Sex.choices, blank=True)
    race_ethnicity = models.CharField(
        _("race/ethnicity"),
        max_length=20,
        choices=RaceEthnicity.choices,
        default=RaceEthnicity.UNKNOWN,
    )
    # Not in OneRoster's core demographics: read from the `metadata.*` extension columns
    # documented in docs/students.md (null = not reported).
    english_learner = models.BooleanField(_("English learner"), null=True, blank=True)
    disability = models.BooleanField(_("student with a disability (IEP/504)"), null=True)
    economically_disadvantaged = models.BooleanField(_("economically disadvantaged"), null=True)
    home_language = models.CharField(_("home language"), max_length=20, blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("False once the roster marks it tobedeleted.")
    )
    source_modified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["family_name", "given_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "sourced_id"], name="student_unique_sourced_id"
            )
        ]
        indexes = [models.Index(fields=["school", "family_name", "given_name"])]

    def __str__(self) -> str:
        # Deliberately not the name: str() ends up in logs and admin messages.
        return f"student {self.pk}"

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.given_name
        return f"{first} {self.family_name}".strip()


class StudentEnrollment(models.Model):
    """A student's enrollment at a school between two dates (OneRoster roles.csv): transfers
    are several rows. Attendance and outcomes count enrolled days from these."""

    # No index of their own (see Student): the constraint and index below lead with them.
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+", db_index=False)
    sourced_id = models.CharField(max_length=255)
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="enrollments")
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="enrollments", db_index=False
    )
    begin_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    is_primary = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "sourced_id"], name="enrollment_unique_sourced_id"
            )
        ]
        indexes = [models.Index(fields=["school", "student"])]

    def __str__(self) -> str:
        return f"enrollment {self.sourced_id}"


class Guardian(models.Model):
    """A parent, guardian or relative (OneRoster users with those roles)."""

    # No index of its own (see Student): the unique constraint leads with it.
    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="guardians", db_index=False
    )
    sourced_id = models.CharField(_("OneRoster sourcedId"), max_length=255)
    given_name = models.CharField(_("first name"), max_length=100)
    family_name = models.CharField(_("last name"), max_length=100)
    email = models.CharField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    sms = models.CharField(_("text message number"), max_length=40, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, blank=True, help_text=_("e.g. en, es")
    )
    is_active = models.BooleanField(_("active"), default=True)
    source_modified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        ordering = ["family_name", "given_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "sourced_id"], name="guardian_unique_sourced_id"
            )
        ]

    def __str__(self) -> str:
        return f"guardian {self.pk}"

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class GuardianRelationship(models.TextChoices):
    """OneRoster 1.2 roles for a student's agents."""

    PARENT = "parent", _("parent")
    GUARDIAN = "guardian", _("guardian")
    RELATIVE = "relative", _("relative")


class StudentGuardian(models.Model):
    # No index of its own (see Student): the unique constraint leads with it.
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="guardian_links", db_index=False
    )
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="student_links")
    relationship = models.CharField(
        _("relationship"),
        max_length=12,
        choices=GuardianRelationship.choices,
        default=GuardianRelationship.PARENT,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "guardian"], name="student_guardian_once")
        ]

    def __str__(self) -> str:
        return f"{self.guardian_id} → {self.student_id}"


# --- consent (34 CFR 99.30) -------------------------------------------------------------------


class ConsentStatus(models.TextChoices):
    REQUESTED = "requested", _("awaiting signature")
    SIGNED = "signed", _("signed")
    DECLINED = "declined", _("declined")
    REVOKED = "revoked", _("revoked")


class ConsentMethod(models.TextChoices):
    PAPER = "paper", _("paper form (scanned)")
    IN_APP = "in_app", _("signed in wraparound")


class SignerRelationship(models.TextChoices):
    PARENT = "parent", _("parent")
    GUARDIAN = "guardian", _("legal guardian")
    ELIGIBLE_STUDENT = "eligible_student", _("eligible student (18 or older)")


def consent_scan_path(instance: Consent, filename: str) -> str:
    return f"consents/{instance.network_id}/{instance.student_id}/{filename}"


class Consent(models.Model):
    """Written consent to disclose a student's records (34 CFR 99.30): which records, for what
    purpose, to whom (one organization, or a described class of parties), signed by whom, when and
    how; until when; and its revocation. A consent covers a partner only while signed, not
    expired and not revoked (`in_force`)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="consents")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="consents")
    guardian = models.ForeignKey(
        Guardian,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consents",
        help_text=_("Empty when the student signs as an eligible student."),
    )
    data_elements = models.JSONField(_("records that may be disclosed"), default=list)
    purpose = models.TextField(_("purpose of the disclosure"))
    recipient_organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="consents",
        help_text=_("The party the records may go to; empty for a class of parties."),
    )
    recipient_description = models.CharField(
        _("party or class of parties"),
        max_length=300,
        blank=True,
        help_text=_("e.g. community partners with an active partnership with the school"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ConsentStatus.choices, default=ConsentStatus.REQUESTED
    )
    method = models.CharField(_("how it was given"), max_length=10, choices=ConsentMethod.choices)
    signed_by_name = models.CharField(_("signed by"), max_length=200, blank=True)
    signer_relationship = models.CharField(
        _("signer is the student's"), max_length=20, choices=SignerRelationship.choices, blank=True
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signature_ip = models.GenericIPAddressField(null=True, blank=True)
    scan = models.FileField(
        _("scan of the signed form"),
        storage=private_storage,
        upload_to=consent_scan_path,
        blank=True,
    )
    effective_on = models.DateField(_("effective from"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revocation_reason = models.TextField(_("reason for revocation"), blank=True)
    language = models.CharField(_("language of the form"), max_length=5, default="en")
    # The guardian's one-time link: only its hash is kept; used once, then cleared by use.
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    token_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["student", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient_organization__isnull=False) | ~Q(recipient_description=""),
                name="consent_names_a_recipient",
            )
        ]

    def __str__(self) -> str:
        return f"consent {self.pk} ({self.status})"

    @staticmethod
    def hash_token(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    def in_force(self, day: object) -> bool:
        """Signed, not revoked, and `day` (a date) inside its term."""
        return (
            self.status == ConsentStatus.SIGNED
            and self.effective_on <= day  # type: ignore[operator]
            and (self.expires_on is None or day <= self.expires_on)  # type: ignore[operator]
        )

    def covers(self, organization_id: int) -> bool:
        """A named recipient covers only itself; a class of parties covers the organizations in
        an open partnership with the school (checked by the caller, which knows them)."""
        return self.recipient_organization_id in (None, organization_id)


# --- tiered supports (MTSS) -------------------------------------------------------------------


class TierDomain(models.TextChoices):
    ATTENDANCE = "attendance", _("attendance")
    BEHAVIOUR = "behaviour", _("behaviour")
    ACADEMICS = "academics", _("academics")
    SOCIAL_EMOTIONAL = "social_emotional", _("social-emotional")
    HEALTH = "health", _("health")
    BASIC_NEEDS = "basic_needs", _("basic needs")


class Tier(models.IntegerChoices):
    UNIVERSAL = 1, _("Tier 1 (universal)")
    TARGETED = 2, _("Tier 2 (targeted)")
    INTENSIVE = 3, _("Tier 3 (intensive)")


class TierAssignment(models.Model):
    """A student's tier in one domain for a period, with the reason and the staff member whose
    caseload it puts the student on. Open while `ends_on` is empty or in the future."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="tier_assignments")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="tiers")
    domain = models.CharField(_("domain"), max_length=20, choices=TierDomain.choices)
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices)
    reason = models.TextField(_("reason"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="caseload",
        verbose_name=_("case manager"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("tier assignment")
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(fields=["school", "domain", "tier"]),
            models.Index(fields=["case_manager", "ends_on"]),
            models.Index(fields=["student", "domain"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="tier_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"tier {self.tier} {self.domain} for student {self.student_id}"


# --- roster imports -----------------------------------------------------------------------


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    INVALID = "invalid", _("rejected: errors found")
    CHECKED = "checked", _("dry run passed")
    DONE = "done", _("imported")
    FAILED = "failed", _("failed")


def roster_upload_path(instance: RosterImport, filename: str) -> str:
    return f"rosters/{instance.network_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class RosterImport(models.Model):
    """One OneRoster upload and its run: progress for the live bar, row-level errors, counts."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="roster_imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    file = models.FileField(storage=private_storage, upload_to=roster_upload_path, blank=True)
    # When the uploaded file was deleted (`WRAPAROUND_IMPORT_UPLOAD_RETENTION_DAYS` after the run).
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    source_name = models.CharField(max_length=255, blank=True)
    dry_run = models.BooleanField(default=False)
    mode = models.CharField(max_length=10, blank=True, help_text=_("bulk or delta"))
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    stage = models.CharField(max_length=100, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"roster import {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0
