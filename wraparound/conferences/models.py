"""Family team conferences: a facilitated meeting of a family (and the student) with the school
staff and agencies who serve them — who took part, the family's consent, strengths, needs by
domain, decisions, follow-up actions and the referrals made from it.

A conference is restricted like a clinical note: only the facilitator, the participants who were
present and their clinical supervisors read it (`core.access.conference_filter`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wraparound.core.models import Network, Organization, School
from wraparound.referrals.models import Referral
from wraparound.students.models import Consent, Guardian, Student, TierDomain


class ConferenceStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    HELD = "held", _("held")


class FamilyConsentMethod(models.TextChoices):
    """How the family agreed to the conference and to sharing within the team (when no signed
    `students.Consent` is linked)."""

    PAPER = "paper", _("paper form")
    IN_APP = "in_app", _("in wraparound")
    VERBAL_WITNESSED = "verbal_witnessed", _("verbally, with a witness")


class FamilyTeamConference(models.Model):
    """One conference for a student and/or a family (through a guardian). `version` is bumped by
    every change (optimistic locking: two team members editing at once cannot overwrite each
    other)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="conferences")
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, null=True, blank=True, related_name="conferences"
    )
    guardian = models.ForeignKey(
        Guardian,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="conferences",
        help_text=_("The family's contact, for a conference with the family."),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ConferenceStatus.choices,
        default=ConferenceStatus.PLANNED,
    )
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="conferences_facilitated",
        verbose_name=_("facilitator"),
    )
    facilitator_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Set when a partner's staff member facilitates."),
    )
    # The family's consent: a signed consent on file, or the family's word recorded here.
    consent = models.ForeignKey(
        Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="conferences"
    )
    consent_given_by = models.CharField(_("consent given by"), max_length=200, blank=True)
    consent_method = models.CharField(
        _("how consent was given"),
        max_length=20,
        choices=FamilyConsentMethod.choices,
        blank=True,
    )
    consent_given_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_witness = models.CharField(_("witness"), max_length=200, blank=True)
    strengths = models.TextField(_("the family's strengths"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    referrals = models.ManyToManyField(Referral, blank=True, related_name="conferences")
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("family team conference")
        verbose_name_plural = _("family team conferences")
        ordering = ["-held_on", "-id"]
        indexes = [
            models.Index(fields=["student", "-held_on"]),
            models.Index(fields=["school", "-held_on"]),
            models.Index(fields=["facilitator", "-held_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(student__isnull=False) | Q(guardian__isnull=False),
                name="conference_has_a_family",
            )
        ]

    def __str__(self) -> str:
        # Not the family's name: str() ends up in logs and admin messages.
        return f"conference {self.pk} on {self.held_on}"

    @property
    def has_consent(self) -> bool:
        return self.consent_id is not None or bool(self.consent_given_by and self.consent_method)


class ParticipantKind(models.TextChoices):
    STAFF = "staff", _("school or partner staff (a wraparound user)")
    FAMILY = "family", _("family member")
    STUDENT = "student", _("the student")
    AGENCY = "agency", _("other agency representative")


class ConferenceParticipant(models.Model):
    """Who took part: a user (with the role and organization they came for), a family member or
    the student by name, or another agency's representative by name and organization. Only users
    recorded here as present (and the facilitator) read the conference."""

    conference = models.ForeignKey(
        FamilyTeamConference, on_delete=models.CASCADE, related_name="participants"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ParticipantKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conference_participations",
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    role = models.CharField(
        _("role or relationship"),
        max_length=200,
        blank=True,
        help_text=_("e.g. social worker, mother, grandmother, case manager"),
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organization_name = models.CharField(_("organization"), max_length=200, blank=True)
    present = models.BooleanField(_("present"), default=True)

    class Meta:
        ordering = ["conference", "id"]
        indexes = [models.Index(fields=["user", "present"])]

    def __str__(self) -> str:
        return f"participant {self.pk} of {self.conference_id}"

    @property
    def display_name(self) -> str:
        if self.user is not None:
            return self.user.get_full_name() or self.user.get_username()
        return self.name


class ConferenceNeed(models.Model):
    conference = models.ForeignKey(
        FamilyTeamConference, on_delete=models.CASCADE, related_name="needs"
    )
    domain = models.CharField(_("domain"), max_length=20, choices=TierDomain.choices)
    description = models.TextField(_("need"))

    class Meta:
        ordering = ["conference", "domain", "id"]

    def __str__(self) -> str:
        return f"{self.domain} need of {self.conference_id}"


class ActionStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    DROPPED = "dropped", _("dropped")


class FollowUpAction(models.Model):
    conference = models.ForeignKey(
        FamilyTeamConference, on_delete=models.CASCADE, related_name="actions"
    )
    description = models.CharField(_("what"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conference_actions",
    )
    owner_name = models.CharField(_("owner"), max_length=200, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )

    class Meta:
        ordering = ["conference", "due_on", "id"]

    def __str__(self) -> str:
        return f"action {self.pk} of {self.conference_id}"

    @property
    def owner_display(self) -> str:
        if self.owner is not None:
            return self.owner.get_full_name() or self.owner.get_username()
        return self.owner_name
