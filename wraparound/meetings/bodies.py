"""The two kinds of body that meet: a coalition, and a school's leadership team. A `Body` wraps
either, so that pages, services and the API treat them alike; `people` and `owners` say who may
be recorded as attending and who may own an action item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from wraparound.coalitions.models import CoalitionMember, MemberContact, MemberKind
from wraparound.core import access
from wraparound.core.models import Coalition, Membership, Network, School
from wraparound.core.roles import SCHOOL_ROLES, Role

from .models import AttendeeKind

COALITION = "coalition"
SCHOOL = "school"


@dataclass(frozen=True)
class Body:
    kind: str  # COALITION or SCHOOL
    obj: Coalition | School

    @classmethod
    def of(cls, thing: Any) -> Body:
        """The body of a meeting, series or action item."""
        if thing.coalition_id is not None:
            return cls(COALITION, thing.coalition)
        return cls(SCHOOL, thing.school)

    @property
    def is_coalition(self) -> bool:
        return self.kind == COALITION

    @property
    def pk(self) -> int:
        return int(self.obj.pk)

    @property
    def network(self) -> Network:
        return self.obj.network

    @property
    def network_id(self) -> int:
        return int(self.obj.network_id)

    @property
    def name(self) -> str:
        return self.obj.name

    @property
    def label(self) -> str:
        """What its meetings are called."""
        if self.is_coalition:
            return _("%(name)s meetings") % {"name": self.obj.name}
        return _("%(name)s leadership team") % {"name": self.obj.name}

    @property
    def default_title(self) -> str:
        if self.is_coalition:
            return _("Coalition meeting")
        return _("Leadership team meeting")

    def link(self) -> dict[str, Any]:
        """The body's foreign key, as model fields."""
        return {"coalition": self.obj} if self.is_coalition else {"school": self.obj}

    def filter(self) -> Q:
        return Q(coalition_id=self.pk) if self.is_coalition else Q(school_id=self.pk)

    def url(self, name: str = "meetings") -> str:
        return reverse(f"{self.kind}_{name}", args=[self.pk])

    @property
    def items_url(self) -> str:
        return self.url("action_items")

    @property
    def new_url(self) -> str:
        return self.url("meeting_new")

    @property
    def series_url(self) -> str:
        return self.url("series_new")

    def home_url(self) -> str:
        return reverse(f"{self.kind}_detail", args=[self.pk])

    def can_read(self, user: Any) -> bool:
        if isinstance(self.obj, Coalition):
            return access.can_read_coalition_meetings(user, self.obj)
        return access.can_read_school_meetings(user, self.obj)

    def can_run(self, user: Any) -> bool:
        if isinstance(self.obj, Coalition):
            return access.can_run_coalition_meetings(user, self.obj)
        return access.can_run_school_meetings(user, self.obj)


def body_for_user(user: Any, kind: str, pk: Any) -> Body:
    """The body, if the user may read its meetings: 404 when the coalition or school is not
    visible to them, 403 when it is but its meetings are not (an evaluator and a school)."""
    from django.core.exceptions import PermissionDenied

    obj: Coalition | School
    if kind == COALITION:
        obj = access.get_coalition_for_user(user, pk)
    else:
        obj = access.get_school_for_user(user, pk)
    body = Body(kind, obj)
    if not body.can_read(user):
        raise PermissionDenied
    return body


@dataclass(frozen=True)
class Person:
    """Someone of the body who can be ticked as present. `key` is what the form posts."""

    key: str
    name: str
    kind: str
    affiliation: str
    user_id: int | None = None
    organization_id: int | None = None
    coalition_member_id: int | None = None


def _user_name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def _member_kind(member: CoalitionMember) -> str:
    return AttendeeKind.STAFF if member.kind == MemberKind.SCHOOL else AttendeeKind.PARTNER


def people(body: Body) -> list[Person]:
    """A coalition: its active member agencies' contacts (for their agency), then its coalition
    member users who are nobody's contact. A school: its staff (every school role)."""
    found: list[Person] = []
    if body.is_coalition:
        contacts = (
            MemberContact.objects.filter(member__coalition_id=body.pk, member__is_active=True)
            .select_related("member__organization", "member__school", "user")
            .order_by("member__name", "member_id", "name", "pk")
        )
        contact_users: set[int] = set()
        for c in contacts:
            if c.user_id is not None:
                contact_users.add(c.user_id)
            found.append(
                Person(
                    key=f"c{c.pk}",
                    name=c.name,
                    kind=_member_kind(c.member),
                    affiliation=c.member.display_name,
                    user_id=c.user_id,
                    organization_id=c.member.organization_id,
                    coalition_member_id=c.member_id,
                )
            )
        for m in (
            Membership.objects.filter(
                coalition_id=body.pk, role=Role.COALITION_MEMBER, is_active=True
            )
            .exclude(user_id__in=contact_users)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "user_id")
        ):
            found.append(
                Person(
                    key=f"u{m.user_id}",
                    name=_user_name(m.user),
                    kind=AttendeeKind.PARTNER,
                    affiliation=m.title or body.name,
                    user_id=m.user_id,
                )
            )
        return found
    seen: set[int] = set()
    for m in (
        Membership.objects.filter(school_id=body.pk, role__in=SCHOOL_ROLES, is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user_id", "role")
    ):
        if m.user_id in seen:
            continue
        seen.add(m.user_id)
        found.append(
            Person(
                key=f"u{m.user_id}",
                name=_user_name(m.user),
                kind=AttendeeKind.STAFF,
                affiliation=m.title or str(m.get_role_display()),
                user_id=m.user_id,
            )
        )
    return found


def owners(body: Body) -> list[Any]:
    """Users who may own the body's action items: a coalition's members and its agencies'
    contacts who have a login; a school's staff; either's network admins."""
    user_model = get_user_model()
    admins = Q(
        memberships__role=Role.NETWORK_ADMIN,
        memberships__network_id=body.network_id,
        memberships__school__isnull=True,
        memberships__organization__isnull=True,
        memberships__coalition__isnull=True,
        memberships__is_active=True,
    )
    if body.is_coalition:
        own = Q(
            memberships__coalition_id=body.pk,
            memberships__role=Role.COALITION_MEMBER,
            memberships__is_active=True,
        ) | Q(coalition_contacts__member__coalition_id=body.pk)
    else:
        own = Q(
            memberships__school_id=body.pk,
            memberships__role__in=SCHOOL_ROLES,
            memberships__is_active=True,
        )
    ids = user_model.objects.filter(own | admins, is_active=True).values("pk")
    return list(user_model.objects.filter(pk__in=ids).order_by("last_name", "first_name", "pk"))


def owner_label(user: Any) -> str:
    return _user_name(user)
