"""Professional development: the network's catalogue of training topics, the trainings it
schedules, and who registered for, attended and completed each one.

An attendee is either a user of the network (school staff, partner users) or a person on a
partner's campus staff list (`agreements.StaffMember`, often without a login). A completed
attendance carries a certificate (number and a random public id the verify page is found by) and,
when the topic satisfies a person clearance requirement, the `ClearanceRecord` it wrote.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wraparound.agreements.models import ClearanceRecord, ClearanceRequirement, StaffMember
from wraparound.core.models import Network, Organization, School


class Audience(models.TextChoices):
    SCHOOL = "school", _("school staff")
    PARTNER = "partner", _("partner staff")
    BOTH = "both", _("school and partner staff")


class TrainingTopic(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="training_topics")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    default_hours = models.DecimalField(
        _("default hours"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("1.0"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("40"))],
    )
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.BOTH
    )
    is_required = models.BooleanField(_("required for its audience"), default=False)
    renewal_months = models.PositiveSmallIntegerField(
        _("renew every (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Empty when a completion never has to be renewed."),
    )
    clearance_requirement = models.ForeignKey(
        ClearanceRequirement,
        verbose_name=_("satisfies the clearance requirement"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("offered"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["network", "name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "name"], name="training_topic_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Training(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="trainings")
    topic = models.ForeignKey(TrainingTopic, on_delete=models.PROTECT, related_name="trainings")
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("40"))],
    )
    location = models.CharField(_("place"), max_length=200, blank=True)
    virtual_url = models.URLField(_("virtual link"), blank=True)
    trainer_name = models.CharField(_("trainer"), max_length=200, blank=True)
    # A trainer who uses the app takes attendance for the training.
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer's account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty for no limit.")
    )
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A cancelled training keeps its registrations (their history) and says why it was cancelled.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-starts_at", "pk"]
        indexes = [models.Index(fields=["network", "starts_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def day(self) -> dt.date:
        """The training's date on the network's clock."""
        return timezone.localtime(self.starts_at, self.network.tzinfo).date()


class AttendanceStatus(models.TextChoices):
    REGISTERED = "registered", _("registered")
    ATTENDED = "attended", _("attended, not completed")
    COMPLETED = "completed", _("completed")
    ABSENT = "absent", _("did not attend")


# Statuses that hold a seat (capacity counts them).
SEATED = (AttendanceStatus.REGISTERED, AttendanceStatus.ATTENDED, AttendanceStatus.COMPLETED)


class Attendance(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="training_attendances",
    )
    staff_member = models.ForeignKey(
        StaffMember,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="training_attendances",
    )
    # Where the person came from, for the lists (a user may hold roles in several places).
    school = models.ForeignKey(School, on_delete=models.SET_NULL, null=True, blank=True)
    organization = models.ForeignKey(Organization, on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AttendanceStatus.choices,
        default=AttendanceStatus.REGISTERED,
    )
    hours_credited = models.DecimalField(
        _("hours credited"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    certificate_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    certificate_number = models.CharField(max_length=40, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    registered_at = models.DateTimeField(default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The clearance records this completion wrote (withdrawn when completion is un-marked).
    clearance_records = models.ManyToManyField(ClearanceRecord, blank=True, related_name="+")

    class Meta:
        ordering = ["training", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, staff_member__isnull=True)
                | models.Q(user__isnull=True, staff_member__isnull=False),
                name="attendance_one_person",
            ),
            models.UniqueConstraint(
                fields=["training", "user"],
                condition=models.Q(user__isnull=False),
                name="attendance_unique_user",
            ),
            models.UniqueConstraint(
                fields=["training", "staff_member"],
                condition=models.Q(staff_member__isnull=False),
                name="attendance_unique_staff_member",
            ),
        ]
        indexes = [
            models.Index(fields=["network", "status"]),
            models.Index(fields=["user", "status"]),
            models.Index(fields=["staff_member", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.training} · {self.person_name}"

    @property
    def person_name(self) -> str:
        if self.staff_member_id and self.staff_member is not None:
            return self.staff_member.full_name
        if self.user is not None:
            return self.user.get_full_name() or self.user.get_username()
        return ""

    @property
    def is_completed(self) -> bool:
        return self.status == AttendanceStatus.COMPLETED
