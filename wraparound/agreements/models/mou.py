"""The MOU of a partnership and the data-sharing agreement it carries.

An Agreement is the container (status, who, which partnership); its terms live in numbered
AgreementVersions. A version is edited only while it is a draft; sending it for signature freezes
it and records the SHA-256 of its canonical content, and each Signature keeps the hash of what was
signed. Changing the terms after that means a new version (an amendment), which needs both
signatures again; the signed version stays in force until the amendment is signed. The history
is every version, kept.

The students issue enforces data sharing from `DataSharingAgreement` rows of the version in force
(`Agreement.signed_version`): legal basis, data elements, partner roles, retention end
(`agreements.mou_selectors.sharing_terms_in_force`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wraparound.core.models import DisclosureBasis, Network, Organization, School
from wraparound.core.roles import Role
from wraparound.directory.models import Service

from .partnership import Partnership


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    AWAITING_SIGNATURES = "awaiting_signatures", _("awaiting signatures")
    ACTIVE = "active", _("active")
    EXPIRING = "expiring", _("expiring")
    EXPIRED = "expired", _("expired")
    TERMINATED = "terminated", _("terminated")


# In force: data may be shared and partner staff may be on campus under it.
IN_FORCE_STATUSES = (AgreementStatus.ACTIVE, AgreementStatus.EXPIRING)
FINAL_STATUSES = (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED)


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SENT = "sent", _("sent for signature")
    SIGNED = "signed", _("signed")
    WITHDRAWN = "withdrawn", _("withdrawn (changed before it was signed)")
    SUPERSEDED = "superseded", _("superseded by an amendment")


class Party(models.TextChoices):
    # The school side is the principal; for a network-wide partnership, a network admin.
    SCHOOL = "school", _("school")
    PARTNER = "partner", _("partner organization")
    NETWORK = "network", _("network")


class MeetingCadence(models.TextChoices):
    WEEKLY = "weekly", _("weekly")
    BIWEEKLY = "biweekly", _("every two weeks")
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    TERMLY = "termly", _("once a term")
    YEARLY = "yearly", _("once a year")


class DeliverableUnit(models.TextChoices):
    STUDENTS = "students", _("students")
    FAMILIES = "families", _("families")
    SESSIONS = "sessions", _("sessions")
    HOURS = "hours", _("hours")
    SLOTS = "slots", _("slots")
    EVENTS = "events", _("events")


class DeliverableFrequency(models.TextChoices):
    ONCE = "once", _("once")
    WEEKLY = "weekly", _("each week")
    MONTHLY = "monthly", _("each month")
    TERMLY = "termly", _("each term")
    YEARLY = "yearly", _("over the year")


class LegalBasis(models.TextChoices):
    """FERPA grounds a data-sharing agreement may rest on (34 CFR 99.31(a), 99.30)."""

    SCHOOL_OFFICIAL = DisclosureBasis.SCHOOL_OFFICIAL.value, DisclosureBasis.SCHOOL_OFFICIAL.label
    CONSENT = DisclosureBasis.CONSENT.value, DisclosureBasis.CONSENT.label
    STUDIES = DisclosureBasis.STUDIES.value, DisclosureBasis.STUDIES.label
    AUDIT_EVALUATION = (
        DisclosureBasis.AUDIT_EVALUATION.value,
        DisclosureBasis.AUDIT_EVALUATION.label,
    )


class DataElement(models.TextChoices):
    """The student data elements an agreement may allow (the students issue filters on these)."""

    NAME = "name", _("name")
    STUDENT_ID = "student_id", _("student id")
    DATE_OF_BIRTH = "date_of_birth", _("date of birth")
    GRADE = "grade", _("grade level")
    SCHOOL = "school", _("school")
    CONTACT = "contact", _("contact details (student and guardians)")
    ATTENDANCE = "attendance", _("attendance")
    GRADES = "grades", _("course grades")
    TEST_SCORES = "test_scores", _("test scores")
    IEP_504 = "iep_504", _("IEP / 504 status")
    ENGLISH_LEARNER = "english_learner", _("English-learner status")
    DEMOGRAPHICS = "demographics", _("demographics (race/ethnicity, gender)")
    ECONOMIC = "economic", _("economically disadvantaged status")
    HEALTH = "health", _("health information")
    TIERS = "tiers", _("tier and support plan")
    NOTES = "notes", _("referral notes")


class DestructionMethod(models.TextChoices):
    SECURE_DELETION = "secure_deletion", _("secure deletion of electronic records")
    SHREDDING = "shredding", _("cross-cut shredding of paper records")
    RETURN = "return", _("return to the school")
    OTHER = "other", _("other (described)")


# Partner roles a data-sharing agreement can name as allowed to see the data.
SHARING_ROLES = (Role.PARTNER_ADMIN, Role.PARTNER_STAFF)


class Agreement(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="agreements")
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="agreements"
    )
    # Copied from the partnership so that scoping is one indexed column away.
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="agreements"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="agreements"
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=24, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    # The latest version (being drafted or signed) and the one in force (signed by both).
    current_version = models.ForeignKey(
        "AgreementVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_version = models.ForeignKey(
        "AgreementVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    renewed_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="renewals"
    )
    terminated_reason = models.CharField(_("reason for termination"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["network", "status"]),
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["school", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_in_force(self) -> bool:
        return self.status in IN_FORCE_STATUSES

    @property
    def school_party(self) -> str:
        return Party.SCHOOL if self.school_id else Party.NETWORK


class AgreementVersion(models.Model):
    """The terms of an agreement as drafted, sent and signed. Frozen once sent."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"))
    school_contact_name = models.CharField(_("school contact"), max_length=200, blank=True)
    school_contact_email = models.EmailField(_("school contact e-mail"), blank=True)
    school_contact_phone = models.CharField(_("school contact phone"), max_length=40, blank=True)
    partner_contact_name = models.CharField(_("partner contact"), max_length=200, blank=True)
    partner_contact_email = models.EmailField(_("partner contact e-mail"), blank=True)
    partner_contact_phone = models.CharField(_("partner contact phone"), max_length=40, blank=True)
    purpose = models.TextField(_("purpose of the partnership"), blank=True)
    meeting_cadence = models.CharField(
        _("partners meet"),
        max_length=16,
        choices=MeetingCadence.choices,
        default=MeetingCadence.MONTHLY,
    )
    meeting_details = models.CharField(
        _("meeting details"), max_length=300, blank=True, help_text=_("Who meets, where, when.")
    )
    evaluation = models.TextField(
        _("how results are evaluated"),
        blank=True,
        help_text=_("The measures, who collects them, and when they are reviewed together."),
    )
    other_terms = models.TextField(_("other terms"), blank=True)
    change_note = models.CharField(_("what this version changes"), max_length=500, blank=True)
    # Set when sent: the canonical content as sent (mou_content.canonical_content) and its
    # SHA-256. The snapshot keeps the exact text signed even if a party is renamed later.
    content = models.JSONField(null=True, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)  # when the last party signed
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "number"], name="agreement_version_number"
            ),
            models.CheckConstraint(
                condition=models.Q(term_end__gte=models.F("term_start")),
                name="agreement_term_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT

    def covers(self, day: dt.date) -> bool:
        return self.term_start <= day <= self.term_end


class Responsibility(models.Model):
    """One line of "roles and responsibilities": which party does what."""

    version = models.ForeignKey(
        AgreementVersion, on_delete=models.CASCADE, related_name="responsibilities"
    )
    party = models.CharField(_("party"), max_length=16, choices=Party.choices)
    description = models.CharField(_("responsibility"), max_length=500)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.get_party_display()}: {self.description}"


class Deliverable(models.Model):
    """What the partner promises; the students issue compares sessions delivered against these."""

    version = models.ForeignKey(
        AgreementVersion, on_delete=models.CASCADE, related_name="deliverables"
    )
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    description = models.CharField(_("deliverable"), max_length=300)
    tier = models.PositiveSmallIntegerField(
        _("tier"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_("MTSS tier 1–3; empty for every student."),
    )
    quantity = models.PositiveIntegerField(
        _("quantity"), validators=[MinValueValidator(1), MaxValueValidator(1_000_000)]
    )
    unit = models.CharField(_("unit"), max_length=16, choices=DeliverableUnit.choices)
    frequency = models.CharField(
        _("frequency"), max_length=16, choices=DeliverableFrequency.choices
    )
    target_students = models.CharField(
        _("target students"), max_length=300, blank=True, help_text=_("e.g. grades 6–8, tier 2")
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "position", "pk"]

    def __str__(self) -> str:
        return self.description


class DataSharingAgreement(models.Model):
    """The data-sharing terms of one version of an MOU (FERPA). None shared without one."""

    version = models.OneToOneField(
        AgreementVersion, on_delete=models.CASCADE, related_name="data_sharing"
    )
    legal_basis = models.CharField(_("legal basis"), max_length=32, choices=LegalBasis.choices)
    # DataElement values; the students issue shows a partner only these.
    data_elements = models.JSONField(_("data elements allowed"), default=list)
    purpose = models.TextField(_("purpose of the sharing"))
    # Role values (SHARING_ROLES) whose holders may see the shared data.
    partner_roles = models.JSONField(_("partner roles that may see the data"), default=list)
    retention_ends_on = models.DateField(_("data kept until"))
    destruction_method = models.CharField(
        _("destruction method"), max_length=24, choices=DestructionMethod.choices
    )
    destruction_details = models.CharField(_("destruction details"), max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.version} · {self.get_legal_basis_display()}"

    def allows(self, element: str, role: str) -> bool:
        return element in self.data_elements and role in self.partner_roles


class Signature(models.Model):
    """A party's signature on one version: who, when, from where, and the hash of what."""

    version = models.ForeignKey(
        AgreementVersion, on_delete=models.CASCADE, related_name="signatures"
    )
    party = models.CharField(_("party"), max_length=16, choices=Party.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(_("full name"), max_length=200)
    signer_title = models.CharField(_("title"), max_length=200, blank=True)
    signed_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["version", "signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["version", "party"], name="one_signature_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.signer_name} ({self.get_party_display()}) {self.signed_at:%Y-%m-%d}"


class DataDestruction(models.Model):
    """The partner admin's certificate that the shared data was destroyed when retention ended."""

    agreement = models.OneToOneField(
        Agreement, on_delete=models.CASCADE, related_name="destruction"
    )
    destroyed_on = models.DateField(_("destroyed on"))
    method = models.CharField(_("method"), max_length=24, choices=DestructionMethod.choices)
    details = models.CharField(_("details"), max_length=500, blank=True)
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    certifier_name = models.CharField(_("full name"), max_length=200)
    certified_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.agreement}: destroyed {self.destroyed_on}"
