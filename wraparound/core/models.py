"""Tenancy (Network → Community → School), who holds which role where, and the two logs:
AuditEvent (who changed what) and Disclosure (FERPA §99.32: who saw which student, on what basis).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
import zoneinfo
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from .grades import GRADE_ORDER, Grade, grade_span_label, grades_in_span
from .roles import ROLE_SCOPES, Role, Scope

SHARE = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


def share_field(verbose_name: StrOrPromise) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        validators=SHARE,
        help_text=_("A share between 0 and 1."),
    )


# The school shares the need index combines, with their default weights.
NEED_INDEX_SHARES: dict[str, str] = {
    "economically_disadvantaged": "share_economically_disadvantaged",
    "english_learners": "share_english_learners",
    "students_with_disabilities": "share_students_with_disabilities",
    "chronic_absenteeism": "chronic_absenteeism_rate",
}


def default_index_weights() -> dict[str, float]:
    return {
        "economically_disadvantaged": 0.4,
        "english_learners": 0.2,
        "students_with_disabilities": 0.2,
        "chronic_absenteeism": 0.2,
    }


def default_time_zone() -> str:
    return str(settings.TIME_ZONE)


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("%(value)s is not a time zone (use an IANA name such as America/New_York)."),
            params={"value": value},
        ) from None


class UnclearedServices(models.TextChoices):
    EXCLUDE = "exclude", _("left out of matching")
    PENDING = "pending", _("shown as pending clearance")


class Network(models.Model):
    """A backbone organization's network of schools: the tenant everything else belongs to."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    directory_stale_months = models.PositiveSmallIntegerField(
        _("directory records go stale after (months)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Partners are reminded to confirm records not confirmed for this long."),
    )
    # How much each school share counts in the need index (core.need_index); weights of 0
    # leave a share out. Keys: NEED_INDEX_SHARES.
    need_index_weights = models.JSONField(_("need index weights"), default=default_index_weights)
    match_distance_km = models.DecimalField(
        _("services serve schools within (km)"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("3.0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "A service with a location this close to a school counts as serving it, even when "
            "it does not name the school's community."
        ),
    )
    # The network's local clock: "today" for expiries, reminders and campus checks is the date
    # here, whatever time zone the server runs in.
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_("An IANA time zone, e.g. America/New_York."),
    )
    agreement_expiring_days = models.PositiveSmallIntegerField(
        _("agreements are expiring this many days before they end"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    uncleared_services = models.CharField(
        _("services of organizations not yet cleared"),
        max_length=16,
        choices=UnclearedServices.choices,
        default=UnclearedServices.PENDING,
        help_text=_("Whether matching leaves them out or shows them as pending clearance."),
    )
    referral_response_days = models.PositiveSmallIntegerField(
        _("partners answer a referral within this many business days"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def today(self, now: dt.datetime | None = None) -> dt.date:
        """The date on the network's own clock (expiries are days there, not on the server)."""
        return (now or timezone.now()).astimezone(self.tzinfo).date()


class Community(models.Model):
    """A neighbourhood or community district (e.g. Bronx CD 203) that schools and services share."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="communities")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    borough = models.CharField(_("borough or area"), max_length=100, blank=True)

    class Meta:
        ordering = ["network", "code"]
        verbose_name_plural = "communities"
        constraints = [
            models.UniqueConstraint(
                fields=["network", "code"], name="community_code_unique_in_network"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class School(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="schools")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="schools")
    code = models.CharField(_("code"), max_length=20, help_text=_("e.g. 02M475"))
    name = models.CharField(_("name"), max_length=200)
    grade_low = models.CharField(_("lowest grade"), max_length=5, choices=Grade.choices)
    grade_high = models.CharField(_("highest grade"), max_length=5, choices=Grade.choices)
    address_1 = models.CharField(_("address"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state_province = models.CharField(_("state"), max_length=50, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    feeder_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feeders",
        verbose_name=_("feeds into"),
    )
    is_community_school = models.BooleanField(_("community school"), default=False)
    enrollment = models.PositiveIntegerField(_("enrollment"), null=True, blank=True)
    # Need-index inputs (shares of enrolled students, 0–1).
    share_economically_disadvantaged = share_field(_("economically disadvantaged"))
    share_english_learners = share_field(_("English learners"))
    share_students_with_disabilities = share_field(_("students with disabilities"))
    chronic_absenteeism_rate = share_field(_("chronic absenteeism rate"))

    class Meta:
        ordering = ["network", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "code"], name="school_code_unique_in_network"
            )
        ]
        indexes = [models.Index(fields=["network", "community"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.community_id and self.network_id and self.community.network_id != self.network_id:
            errors["community"] = _("The community belongs to another network.")
        if self.feeder_to_id:
            if self.feeder_to_id == self.pk:
                errors["feeder_to"] = _("A school cannot feed into itself.")
            elif self.feeder_to is not None and self.feeder_to.network_id != self.network_id:
                errors["feeder_to"] = _("The receiving school belongs to another network.")
        low, high = GRADE_ORDER.get(self.grade_low), GRADE_ORDER.get(self.grade_high)
        if low is not None and high is not None and low > high:
            errors["grade_high"] = _("The highest grade comes before the lowest grade.")
        if errors:
            raise ValidationError(errors)

    @property
    def grade_span(self) -> str:
        return grade_span_label(self.grade_low, self.grade_high)

    @property
    def grades(self) -> list[str]:
        if self.grade_low in GRADE_ORDER and self.grade_high in GRADE_ORDER:
            return grades_in_span(self.grade_low, self.grade_high)
        return [self.grade_low]


class SchoolYear(models.Model):
    """A school year, named by the calendar year in which it ends (2027 = 2026-27)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="school_years")
    end_year = models.PositiveSmallIntegerField(_("ends in"))
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    is_current = models.BooleanField(_("current"), default=False)

    class Meta:
        ordering = ["network", "-end_year"]
        constraints = [
            models.UniqueConstraint(fields=["network", "end_year"], name="school_year_unique"),
            models.UniqueConstraint(
                fields=["network"],
                condition=models.Q(is_current=True),
                name="one_current_school_year",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gt=models.F("start_date")),
                name="school_year_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.end_year - 1}-{self.end_year % 100:02d}"


def new_hsds_id() -> str:
    return str(uuid.uuid4())


class VettingStatus(models.TextChoices):
    # Unvetted records are edited freely by their partner and are not on the public page;
    # once vetted, a partner's edits wait for a network admin (directory.ChangeRequest).
    UNVETTED = "unvetted", _("not yet vetted")
    VETTED = "vetted", _("vetted")
    SUSPENDED = "suspended", _("suspended")


class Organization(models.Model):
    """A community partner: an HSDS 3.0 `organization` (the directory app holds its services,
    locations and the rest of HSDS). Field names follow HSDS where HSDS has the field."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="organizations")
    hsds_id = models.CharField(_("HSDS id"), max_length=100, default=new_hsds_id)
    name = models.CharField(_("name"), max_length=250)
    alternate_name = models.CharField(_("alternate name"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), max_length=500, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    tax_status = models.CharField(_("tax status"), max_length=100, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=100, blank=True)
    year_incorporated = models.PositiveSmallIntegerField(
        _("year incorporated"), null=True, blank=True
    )
    legal_status = models.CharField(_("legal status"), max_length=200, blank=True)
    logo = models.URLField(_("logo"), max_length=500, blank=True)
    uri = models.URLField(_("URI"), max_length=500, blank=True)
    parent_organization = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    vetting_status = models.CharField(
        _("vetting"), max_length=16, choices=VettingStatus.choices, default=VettingStatus.UNVETTED
    )
    verified_on = models.DateField(_("verified on"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(
        _("last confirmed"),
        null=True,
        blank=True,
        help_text=_("When the partner last confirmed the profile is current."),
    )
    stale_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["network", "name"]
        indexes = [models.Index(fields=["network", "name"])]
        constraints = [
            models.UniqueConstraint(fields=["network", "hsds_id"], name="org_hsds_id_per_network")
        ]

    def __str__(self) -> str:
        return self.name


class NetworkHoliday(models.Model):
    """A day the network's partners do not work (a public holiday): not a business day when a
    referral's answer falls due."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["network", "date"], name="network_holiday_once")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Coalition(models.Model):
    """A coalition of agencies in one community; its members, meetings and board are in the
    coalitions and meetings apps."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="coalitions")
    community = models.ForeignKey(
        Community, on_delete=models.SET_NULL, null=True, blank=True, related_name="coalitions"
    )
    name = models.CharField(_("name"), max_length=200)
    focus = models.TextField(_("focus"), blank=True)
    principles = models.TextField(_("shared principles"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["network", "name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role at one scope. Every membership names its network, whatever its scope, so that
    tenancy is one indexed column away from every role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    coalition = models.ForeignKey(
        Coalition, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    title = models.CharField(
        _("title"),
        max_length=100,
        blank=True,
        help_text=_("e.g. social worker, counselor, teacher"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "network", "role"]
        constraints = [
            # At most one scope object, and it decides the scope.
            models.CheckConstraint(
                condition=(
                    models.Q(school__isnull=True, organization__isnull=True, coalition__isnull=True)
                    | models.Q(
                        school__isnull=False, organization__isnull=True, coalition__isnull=True
                    )
                    | models.Q(
                        school__isnull=True, organization__isnull=False, coalition__isnull=True
                    )
                    | models.Q(
                        school__isnull=True, organization__isnull=True, coalition__isnull=False
                    )
                ),
                name="membership_single_scope",
            ),
            # One membership per user, role and scope object (partial indexes work on SQLite too).
            models.UniqueConstraint(
                fields=["user", "role", "network"],
                condition=models.Q(
                    school__isnull=True, organization__isnull=True, coalition__isnull=True
                ),
                name="membership_unique_network",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "school"],
                condition=models.Q(school__isnull=False),
                name="membership_unique_school",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "organization"],
                condition=models.Q(organization__isnull=False),
                name="membership_unique_organization",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "coalition"],
                condition=models.Q(coalition__isnull=False),
                name="membership_unique_coalition",
            ),
        ]
        indexes = [models.Index(fields=["user", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.scope_object}"

    @property
    def scope(self) -> str:
        if self.school_id:
            return Scope.SCHOOL
        if self.organization_id:
            return Scope.ORGANIZATION
        if self.coalition_id:
            return Scope.COALITION
        return Scope.NETWORK

    @property
    def scope_object(self) -> Network | School | Organization | Coalition:
        return self.school or self.organization or self.coalition or self.network

    def clean(self) -> None:
        allowed = ROLE_SCOPES.get(self.role, frozenset())
        if self.scope not in allowed:
            raise ValidationError(
                _("A %(role)s is held at the %(allowed)s level, not the %(scope)s level.")
                % {
                    "role": Role(self.role).label,
                    "allowed": " or ".join(sorted(str(Scope(s).label).lower() for s in allowed)),
                    "scope": str(Scope(self.scope).label).lower(),
                }
            )
        scoped = self.school or self.organization or self.coalition
        if scoped is not None and scoped.network_id != self.network_id:
            raise ValidationError(_("The scope belongs to another network."))


class AuditEvent(models.Model):
    """Who did what, written by services. Append-only."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    network = models.ForeignKey(
        Network, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=80)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["network", "-created_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action}"


class DisclosureBasis(models.TextChoices):
    """The FERPA grounds on which a student's record was disclosed (34 CFR 99.31, 99.30)."""

    SCHOOL_OFFICIAL = "school_official", _("School official with legitimate educational interest")
    CONSENT = "consent", _("Written consent of the parent or eligible student")
    STUDIES = "studies", _("Studies for or on behalf of the school")
    AUDIT_EVALUATION = "audit_evaluation", _("Audit or evaluation")
    HEALTH_SAFETY_EMERGENCY = "health_safety_emergency", _("Health or safety emergency")
    DIRECTORY_INFORMATION = "directory_information", _("Directory information")
    JUDICIAL_ORDER = "judicial_order", _("Judicial order or subpoena")


class Disclosure(models.Model):
    """FERPA §99.32 record of disclosure: who saw which student's record, which fields, on what
    basis and for what purpose. Written by the selectors on every partner read; append-only."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The party the record was disclosed to, when the viewer acts for a partner."),
    )
    basis = models.CharField(max_length=32, choices=DisclosureBasis.choices)
    # The agreement or consent that allowed it (the students issue links the concrete records).
    basis_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    basis_id = models.PositiveBigIntegerField(null=True, blank=True)
    basis_record = GenericForeignKey("basis_type", "basis_id")
    fields = models.JSONField(default=list, help_text=_("The data elements shown."))
    purpose = models.CharField(max_length=200)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "-created_at"])]

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M}"
        return f"{when} {self.viewer} saw {self.subject_type} {self.subject_id}"


def _token_hash(raw: str) -> str:
    # API tokens carry 256 bits of randomness, so a fast digest is enough; no salt or stretching.
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once, at creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """A new (raw token, display prefix, hash)."""
        prefix = secrets.token_hex(4)
        raw = f"{settings.WRAPAROUND_API_TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        return raw, prefix, _token_hash(raw)

    @staticmethod
    def hash(raw: str) -> str:
        return _token_hash(raw)

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class Notification(models.Model):
    """An in-app message on a user's notifications page (reminders also go out by e-mail)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    message = models.CharField(_("message"), max_length=500)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.message


class ReminderSent(models.Model):
    """One row per item, expiry date and threshold reminded: the unique constraint is what keeps
    a reminder job that runs twice from sending twice (the row is claimed before sending)."""

    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    expires_on = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["target_type", "target_id", "expires_on", "days_before"],
                name="reminder_once_per_item_expiry_threshold",
            )
        ]

    def __str__(self) -> str:
        return f"{self.target_type} {self.target_id}: {self.days_before} d before {self.expires_on}"
