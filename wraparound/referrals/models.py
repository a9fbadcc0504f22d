"""Closed-loop referrals, the service sessions that follow them, and restricted case notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wraparound.agreements.models import DataSharingAgreement, Partnership
from wraparound.core.models import DisclosureBasis, Network, Organization, School
from wraparound.directory.models import Service
from wraparound.students.models import Consent, Guardian, Student


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SENT = "sent", _("sent")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    WAITLISTED = "waitlisted", _("waitlisted")
    IN_SERVICE = "in_service", _("in service")
    COMPLETED = "completed", _("completed")
    CLOSED = "closed", _("closed")
    WITHDRAWN = "withdrawn", _("withdrawn")


# Open: the loop is not yet closed (a referral may be withdrawn from any of these).
OPEN_REFERRAL_STATUSES = (
    ReferralStatus.DRAFT,
    ReferralStatus.SENT,
    ReferralStatus.ACCEPTED,
    ReferralStatus.WAITLISTED,
    ReferralStatus.IN_SERVICE,
)
# What the partner has received (a draft is the referrer's alone).
PARTNER_VISIBLE_STATUSES = tuple(s for s in ReferralStatus if s != ReferralStatus.DRAFT)


class CloseReason(models.TextChoices):
    FAMILY_DECLINED = "family_declined", _("family declined")
    UNABLE_TO_CONTACT = "unable_to_contact", _("unable to contact")
    LACK_OF_CAPACITY = "lack_of_capacity", _("lack of capacity")
    MOVED = "moved", _("moved")
    OTHER = "other", _("other")


class Referral(models.Model):
    """A student (or a family, through a guardian) referred to a partner's service. `version`
    is bumped by every change: services update only the version they read (optimistic locking),
    so two people acting on one referral cannot overwrite each other."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="referrals")
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, null=True, blank=True, related_name="referrals"
    )
    guardian = models.ForeignKey(
        Guardian,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="referrals",
        help_text=_("For a family referral: the family's contact."),
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="referrals"
    )
    partnership = models.ForeignKey(
        Partnership, on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT
    )
    version = models.PositiveIntegerField(default=1)
    reason = models.TextField(_("reason for the referral"), blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made"
    )
    # A cross-agency referral: one coalition member agency refers to another's service.
    referring_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_sent",
    )
    coalition = models.ForeignKey(
        "core.Coalition",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
    )
    # The ground on which identifiable data goes to the partner, fixed when it is sent.
    basis = models.CharField(max_length=32, choices=DisclosureBasis.choices, blank=True)
    data_sharing = models.ForeignKey(
        DataSharingAgreement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    consent = models.ForeignKey(
        Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    shared_elements = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    response_due_on = models.DateField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    service_started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    close_reason = models.CharField(
        _("reason for closing"), max_length=20, choices=CloseReason.choices, blank=True
    )
    status_note = models.TextField(blank=True)
    # Set once each by the daily job (claim-then-send keeps it idempotent).
    overdue_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["school", "status"]),
            models.Index(fields=["service", "status"]),
            models.Index(fields=["status", "response_due_on"]),
            models.Index(fields=["student", "status"]),
            models.Index(fields=["coalition", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(student__isnull=False) | Q(guardian__isnull=False),
                name="referral_has_a_subject",
            )
        ]

    def __str__(self) -> str:
        return f"referral {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFERRAL_STATUSES


class ReferralEvent(models.Model):
    """One transition of a referral: by whom, when, from what to what, and why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ReferralStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=30, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.from_status} → {self.to_status}"


# --- service sessions ----------------------------------------------------------------------


class SessionKind(models.TextChoices):
    INDIVIDUAL = "individual", _("individual")
    GROUP = "group", _("group")


class Modality(models.TextChoices):
    IN_PERSON = "in_person", _("in person")
    VIRTUAL = "virtual", _("virtual")


class ServiceSession(models.Model):
    """A session of a service delivered at a school, by a partner (organization set) or by the
    school's own staff. Attendance rows say who took part and for how long (dosage)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="service_sessions")
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_sessions",
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    partnership = models.ForeignKey(
        Partnership, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=SessionKind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("start time"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    modality = models.CharField(
        _("modality"), max_length=10, choices=Modality.choices, default=Modality.IN_PERSON
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("service session")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["school", "date"]),
            models.Index(fields=["organization", "date"]),
            models.Index(fields=["partnership", "date"]),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} on {self.date}"


class SessionAttendance(models.Model):
    session = models.ForeignKey(ServiceSession, on_delete=models.CASCADE, related_name="attendance")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="attendance_rows")
    referral = models.ForeignKey(
        Referral, on_delete=models.SET_NULL, null=True, blank=True, related_name="attendance"
    )
    present = models.BooleanField(_("present"), default=True)
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), null=True, blank=True, help_text=_("Empty: the whole session.")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "student"], name="attendance_once")
        ]
        indexes = [models.Index(fields=["student", "present"])]

    def __str__(self) -> str:
        return f"{self.student_id} at {self.session_id}"


# --- case notes --------------------------------------------------------------------------------


class CaseNote(models.Model):
    """A clinical note: read by its author and the clinical supervisors of the author's school or
    network only — never by partners, never exported."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="case_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_notes"
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["student", "-created_at"])]

    def __str__(self) -> str:
        return f"case note {self.pk}"
