"""A coalition's member agencies, their contacts, what each commits to, the measures the coalition
holds itself to, and its shared-resources board. The coalition itself is `core.Coalition`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wraparound.core.models import Coalition, Organization, School


class MemberKind(models.TextChoices):
    COMMUNITY_ORGANIZATION = "community_organization", _("Community organization")
    GOVERNMENT_AGENCY = "government_agency", _("Government agency")
    HEAD_START = "head_start", _("Head Start")
    CHILD_CARE = "child_care", _("Child-care provider")
    SCHOOL = "school", _("School")
    OTHER = "other", _("Other")


class CoalitionMember(models.Model):
    """A member agency. Directory organizations and schools are linked; agencies outside the
    directory (a city agency, a Head Start centre) are named."""

    coalition = models.ForeignKey(Coalition, on_delete=models.CASCADE, related_name="members")
    kind = models.CharField(_("kind"), max_length=32, choices=MemberKind.choices)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coalition_memberships",
    )
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coalition_memberships",
    )
    name = models.CharField(
        _("name"), max_length=250, blank=True, help_text=_("For agencies not in the directory.")
    )
    joined_on = models.DateField(_("joined on"), default=timezone.localdate)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["coalition", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(organization__isnull=False, school__isnull=False),
                name="coalition_member_one_link",
            ),
            models.UniqueConstraint(
                fields=["coalition", "organization"],
                condition=models.Q(organization__isnull=False),
                name="coalition_member_unique_organization",
            ),
            models.UniqueConstraint(
                fields=["coalition", "school"],
                condition=models.Q(school__isnull=False),
                name="coalition_member_unique_school",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.organization is not None:
            return self.organization.name
        if self.school is not None:
            return self.school.name
        return self.name


class MemberContact(models.Model):
    member = models.ForeignKey(CoalitionMember, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("title"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coalition_contacts",
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        ordering = ["member", "-is_primary", "name"]

    def __str__(self) -> str:
        return self.name


class CommitmentKind(models.TextChoices):
    REFERRALS_ACCEPTED = "referrals_accepted", _("Referrals accepted")
    SLOTS = "slots", _("Program slots")
    STAFF_HOURS = "staff_hours", _("Staff hours")
    SPACE = "space", _("Space")
    FUNDS = "funds", _("Funds")
    OTHER = "other", _("Other")


class Commitment(models.Model):
    """What one member agency will contribute to the coalition over a period."""

    coalition = models.ForeignKey(Coalition, on_delete=models.CASCADE, related_name="commitments")
    member = models.ForeignKey(
        CoalitionMember, on_delete=models.CASCADE, related_name="commitments"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=CommitmentKind.choices)
    description = models.CharField(_("description"), max_length=500, blank=True)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=50, blank=True, help_text=_("e.g. hours, USD"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["coalition", "member", "-starts_on"]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_kind_display()}"


class MeasureEntry(models.Model):
    """An accountability measure the system cannot compute from its own data, entered by hand for
    a period (for the coalition as a whole when `member` is empty)."""

    coalition = models.ForeignKey(
        Coalition, on_delete=models.CASCADE, related_name="measure_entries"
    )
    member = models.ForeignKey(
        CoalitionMember,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="measure_entries",
    )
    # A figure that reports on a commitment the system cannot check (hours given, space lent).
    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("commitment"),
    )
    name = models.CharField(_("measure"), max_length=200)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=50, blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["coalition", "-ends_on", "name"]

    def __str__(self) -> str:
        return self.name


class PostKind(models.TextChoices):
    OFFER = "offer", _("Offer")
    REQUEST = "request", _("Request")


class PostStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FULFILLED = "fulfilled", _("Fulfilled")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ResourcePost(models.Model):
    """An offer or a request on the coalition's shared-resources board."""

    coalition = models.ForeignKey(
        Coalition, on_delete=models.CASCADE, related_name="resource_posts"
    )
    member = models.ForeignKey(
        CoalitionMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resource_posts",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PostKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=PostStatus.choices, default=PostStatus.OPEN
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    posted_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["coalition", "-posted_at"]
        indexes = [models.Index(fields=["coalition", "status", "-posted_at"])]

    def __str__(self) -> str:
        return self.title


class ResourceResponse(models.Model):
    post = models.ForeignKey(ResourcePost, on_delete=models.CASCADE, related_name="responses")
    member = models.ForeignKey(
        CoalitionMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["post", "created_at"]

    def __str__(self) -> str:
        return f"{self.post} · {self.responder}"
