"""Meetings of a coalition or of a school's leadership team, who came, what was decided, and the
action items that follow their owners home until done."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wraparound.coalitions.models import CoalitionMember
from wraparound.core.models import Coalition, Network, Organization, School


class Cadence(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Every month")
    QUARTERLY = "quarterly", _("Every three months")


class MeetingSeries(models.Model):
    """A recurring meeting (e.g. the leadership team, first Tuesday of the month)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    coalition = models.ForeignKey(
        Coalition, on_delete=models.CASCADE, null=True, blank=True, related_name="meeting_series"
    )
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="meeting_series"
    )
    title = models.CharField(_("title"), max_length=200)
    cadence = models.CharField(_("cadence"), max_length=12, choices=Cadence.choices)
    first_starts_at = models.DateTimeField(_("first meeting"))
    duration_minutes = models.PositiveSmallIntegerField(_("minutes"), default=60)
    location = models.CharField(_("place"), max_length=200, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["network", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(coalition__isnull=True, school__isnull=False)
                | models.Q(coalition__isnull=False, school__isnull=True),
                name="meeting_series_one_body",
            )
        ]

    def __str__(self) -> str:
        return self.title


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class Meeting(models.Model):
    """One meeting of a coalition (`coalition`) or of a school's leadership team (`school`)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    coalition = models.ForeignKey(
        Coalition, on_delete=models.CASCADE, null=True, blank=True, related_name="meetings"
    )
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="meetings"
    )
    series = models.ForeignKey(
        MeetingSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings"
    )
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    # A series meeting moved to another time keeps the slot it was made for here, so that
    # extending the series does not make that slot again.
    moved_from = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("minutes"), default=60)
    location = models.CharField(_("place"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True, help_text=_("One per line."))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(coalition__isnull=True, school__isnull=False)
                | models.Q(coalition__isnull=False, school__isnull=True),
                name="meeting_one_body",
            ),
            models.UniqueConstraint(
                fields=["series", "starts_at"],
                condition=models.Q(series__isnull=False),
                name="meeting_once_per_series_slot",
            ),
        ]
        indexes = [
            models.Index(fields=["coalition", "-starts_at"]),
            models.Index(fields=["school", "-starts_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} · {self.starts_at:%Y-%m-%d}"


class AttendeeKind(models.TextChoices):
    STAFF = "staff", _("School or network staff")
    PARTNER = "partner", _("Partner or agency staff")
    FAMILY = "family", _("Family member")
    STUDENT = "student", _("Student")
    COMMUNITY = "community", _("Community member")


class MeetingAttendee(models.Model):
    """Someone who was expected or came. Users are linked; families, students and guests are
    named. `coalition_member` says which member agency they came for (a coalition measure)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("attending as"), max_length=12, choices=AttendeeKind.choices)
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    coalition_member = models.ForeignKey(
        CoalitionMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meeting_attendance",
    )
    affiliation = models.CharField(_("from"), max_length=200, blank=True)
    present = models.BooleanField(_("present"), default=True)

    class Meta:
        ordering = ["meeting", "name"]

    def __str__(self) -> str:
        return self.name


class ActionItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class ActionItem(models.Model):
    """A task agreed at a meeting, with one owner (a user) and a due date."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, null=True, blank=True, related_name="action_items"
    )
    coalition = models.ForeignKey(
        Coalition, on_delete=models.CASCADE, null=True, blank=True, related_name="action_items"
    )
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="action_items"
    )
    title = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items"
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Claimed by the daily overdue reminder, so that each item is reminded once.
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["owner", "status", "due_on"])]

    def __str__(self) -> str:
        return self.title
