"""Reads of professional development, each starting from `core.access` scoping: the trainings a
user sees, one person's training record, and the network's view of who is missing a required
training.

People: school staff are users with a school role at one of the network's schools; partner staff
are users with a partner role at one of its organizations and the people on the organizations'
campus staff lists (`StaffMember`). A campus-staff person linked to a user is one person: a
completion recorded under either counts. A completion of a required topic is valid from the
training's day through `renewal_months` later (no end when the topic is never renewed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy

from wraparound.agreements.clearance import EXPIRING_WITHIN_DAYS, valid_through
from wraparound.agreements.models import StaffMember
from wraparound.core import access
from wraparound.core.models import Membership, Network, Organization
from wraparound.core.roles import PARTNER_ROLES, SCHOOL_ROLES, Role

from .models import SEATED, Attendance, AttendanceStatus, Audience, Training, TrainingTopic

STATE_LABELS = {
    "ok": gettext_lazy("valid"),
    "expiring": gettext_lazy("expires soon"),
    "expired": gettext_lazy("expired"),
    "missing": gettext_lazy("never completed"),
}


# --- trainings ---------------------------------------------------------------------------------


def visible_trainings(user: Any) -> QuerySet[Training]:
    return Training.objects.filter(access.training_filter(user))


def with_seats(qs: QuerySet[Training]) -> QuerySet[Training]:
    return qs.select_related("topic", "network").annotate(
        seats_taken=Count("attendances", filter=Q(attendances__status__in=SEATED))
    )


def get_training_for_user(user: Any, pk: Any) -> Training:
    try:
        return with_seats(visible_trainings(user)).get(pk=pk)
    except (Training.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def network_topics(network: Network) -> QuerySet[TrainingTopic]:
    return TrainingTopic.objects.filter(network=network).select_related("clearance_requirement")


def get_network_topic(network: Network, pk: Any) -> TrainingTopic:
    try:
        return network_topics(network).get(pk=pk)
    except (TrainingTopic.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def training_attendances(training: Training) -> list[Attendance]:
    return list(
        training.attendances.select_related(
            "user", "staff_member", "school", "organization"
        ).order_by("status", "pk")
    )


def my_registrations(user: Any, trainings: Iterable[Training]) -> dict[int, Attendance]:
    """The user's own seat in each of `trainings` (one query)."""
    ids = [t.pk for t in trainings]
    rows = Attendance.objects.filter(user=user, training_id__in=ids, status__in=SEATED)
    return {a.training_id: a for a in rows}


def get_certificate(certificate_id: Any) -> Attendance:
    """A completed attendance by its certificate's public id (404 otherwise)."""
    try:
        return Attendance.objects.select_related(
            "training__topic", "training__network", "user", "staff_member"
        ).get(certificate_id=certificate_id, status=AttendanceStatus.COMPLETED)
    except (Attendance.DoesNotExist, ValueError, TypeError, ValidationError):
        # An id that is not a UUID at all is unknown too.
        raise Http404 from None


def can_read_certificate(user: Any, attendance: Attendance) -> bool:
    if attendance.user_id is not None and attendance.user_id == user.pk:
        return True
    person = attendance.staff_member
    if person is not None:
        if person.user_id is not None and person.user_id == user.pk:
            return True
        return access.can_manage_staff_training(user, person.organization)
    return access.can_manage_training(user, attendance.network_id)


def get_certificate_for_user(user: Any, certificate_id: Any) -> Attendance:
    attendance = get_certificate(certificate_id)
    if not can_read_certificate(user, attendance):
        raise Http404
    return attendance


# --- people and their standing -------------------------------------------------------------------


@dataclass
class Person:
    """One person of a network's training audience."""

    key: str  # "u<user id>" or "s<staff member id>"
    name: str
    side: str  # school | partner
    user_id: int | None = None
    staff_ids: set[int] = field(default_factory=set)
    schools: list[Any] = field(default_factory=list)
    organizations: list[Any] = field(default_factory=list)

    @property
    def staff_id(self) -> int | None:
        return min(self.staff_ids) if self.staff_ids else None

    @property
    def where(self) -> str:
        return ", ".join(str(x) for x in [*self.schools, *self.organizations])


@dataclass(frozen=True)
class Standing:
    """A required topic for one person: valid, expiring, expired or never completed."""

    topic: TrainingTopic
    state: str
    last_completed: dt.date | None = None
    valid_through: dt.date | None = None

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def missing(self) -> bool:
        return self.state in ("missing", "expired")


def _for_side(topic: TrainingTopic, side: str) -> bool:
    return topic.audience == Audience.BOTH or topic.audience == side


def standing(topic: TrainingTopic, last: dt.date | None, today: dt.date) -> Standing:
    if last is None:
        return Standing(topic, "missing")
    end = valid_through(last, topic.renewal_months)
    if end is None:
        return Standing(topic, "ok", last, None)
    if end < today:
        return Standing(topic, "expired", last, end)
    state = "expiring" if (end - today).days < EXPIRING_WITHIN_DAYS else "ok"
    return Standing(topic, state, last, end)


class Completions:
    """The latest completed day of each topic for each user and campus-staff person (one query)."""

    def __init__(self, network: Network, topics: Iterable[TrainingTopic]) -> None:
        tz = network.tzinfo
        self.by_user: dict[tuple[int, int], dt.date] = {}
        self.by_staff: dict[tuple[int, int], dt.date] = {}
        rows = Attendance.objects.filter(
            network=network,
            status=AttendanceStatus.COMPLETED,
            training__topic__in=[t.pk for t in topics],
        ).values_list("user_id", "staff_member_id", "training__topic_id", "training__starts_at")
        for user_id, staff_id, topic_id, starts_at in rows:
            day = timezone.localtime(starts_at, tz).date()
            target, who = (
                (self.by_user, user_id) if user_id is not None else (self.by_staff, staff_id)
            )
            if target.get((who, topic_id), dt.date.min) < day:
                target[(who, topic_id)] = day

    def last(self, person: Person, topic_id: int) -> dt.date | None:
        days = [self.by_staff.get((s, topic_id)) for s in person.staff_ids]
        if person.user_id is not None:
            days.append(self.by_user.get((person.user_id, topic_id)))
        found = [d for d in days if d is not None]
        return max(found) if found else None


def required_topics(network: Network, topic_id: int | None = None) -> list[TrainingTopic]:
    qs = TrainingTopic.objects.filter(network=network, is_required=True, is_active=True)
    if topic_id is not None:
        qs = qs.filter(pk=topic_id)
    return list(qs.order_by("name"))


def audience_people(
    network: Network,
    *,
    school_id: int | None = None,
    organization_ids: Iterable[int] | None = None,
    sides: Iterable[str] = ("school", "partner"),
) -> list[Person]:
    """The network's training audience (three queries), optionally one school's staff or some
    organizations' people."""
    sides = set(sides)
    people: dict[str, Person] = {}
    if "school" in sides and organization_ids is None:
        rows = Membership.objects.filter(
            network=network, role__in=SCHOOL_ROLES, school__isnull=False, is_active=True
        ).select_related("user", "school")
        if school_id is not None:
            rows = rows.filter(school_id=school_id)
        for m in rows.order_by("user__last_name", "user__first_name", "pk"):
            key = f"u{m.user_id}"
            person = people.get(key)
            if person is None:
                name = m.user.get_full_name() or m.user.get_username()
                person = people[key] = Person(key, name, "school", user_id=m.user_id)
            if m.school not in person.schools:
                person.schools.append(m.school)
    if "partner" in sides and school_id is None:
        partner_rows = Membership.objects.filter(
            network=network, role__in=PARTNER_ROLES, organization__isnull=False, is_active=True
        ).select_related("user", "organization")
        staff = StaffMember.objects.filter(network=network, is_active=True).select_related(
            "organization"
        )
        if organization_ids is not None:
            ids = list(organization_ids)
            partner_rows = partner_rows.filter(organization_id__in=ids)
            staff = staff.filter(organization_id__in=ids)
        by_user: dict[int, Person] = {}
        for m in partner_rows.order_by("user__last_name", "user__first_name", "pk"):
            key = f"u{m.user_id}"
            person = people.get(key)
            if person is None:
                name = m.user.get_full_name() or m.user.get_username()
                person = people[key] = Person(key, name, "partner", user_id=m.user_id)
            elif person.side == "school":
                # Someone on both sides is listed once, held to both sides' topics.
                person.side = "both"
            by_user[m.user_id] = person
            if m.organization not in person.organizations:
                person.organizations.append(m.organization)
        for p in staff.order_by("last_name", "first_name", "pk"):
            linked = by_user.get(p.user_id) if p.user_id is not None else None
            if linked is not None:
                linked.staff_ids.add(p.pk)
                continue
            person = people[f"s{p.pk}"] = Person(
                f"s{p.pk}", p.full_name, "partner", user_id=p.user_id, staff_ids={p.pk}
            )
            person.organizations.append(p.organization)
    return list(people.values())


def _applies(topic: TrainingTopic, person: Person) -> bool:
    if person.side == "both":
        return True
    return _for_side(topic, person.side)


@dataclass
class MissingRow:
    person: Person
    standing: Standing


@dataclass
class TopicSummary:
    topic: TrainingTopic
    audience: int
    missing: int


@dataclass
class Compliance:
    network: Network
    today: dt.date
    topics: list[TopicSummary]
    rows: list[MissingRow]


def compliance(
    network: Network,
    *,
    topic_id: int | None = None,
    school_id: int | None = None,
    organization_ids: Iterable[int] | None = None,
) -> Compliance:
    """For each required topic, the people of its audience with no valid completion. A fixed
    number of queries whatever the number of people."""
    today = network.today()
    topics = required_topics(network, topic_id)
    people = audience_people(network, school_id=school_id, organization_ids=organization_ids)
    done = Completions(network, topics)
    rows: list[MissingRow] = []
    summaries: list[TopicSummary] = []
    for topic in topics:
        audience = [p for p in people if _applies(topic, p)]
        missing = 0
        for person in audience:
            s = standing(topic, done.last(person, topic.pk), today)
            if s.missing:
                missing += 1
                rows.append(MissingRow(person, s))
        summaries.append(TopicSummary(topic, len(audience), missing))
    rows.sort(key=lambda r: (r.standing.topic.name, r.person.name.lower(), r.person.key))
    return Compliance(network, today, summaries, rows)


# --- one person's record -----------------------------------------------------------------------


@dataclass
class NetworkRecord:
    network: Network
    completed: list[Attendance]
    upcoming: list[Attendance]
    standings: list[Standing]

    @property
    def hours(self) -> Decimal:
        return sum((a.hours_credited or Decimal(0) for a in self.completed), Decimal(0))

    @property
    def attention(self) -> list[Standing]:
        return [s for s in self.standings if s.state != "ok"]


def _record(network: Network, person: Person, attendances: list[Attendance]) -> NetworkRecord:
    now = timezone.now()
    completed = [a for a in attendances if a.status == AttendanceStatus.COMPLETED]
    upcoming = [
        a
        for a in attendances
        if a.status == AttendanceStatus.REGISTERED
        and a.training.starts_at > now
        and not a.training.is_cancelled
    ]
    topics = [t for t in required_topics(network) if _applies(t, person)]
    done = Completions(network, topics)
    today = network.today()
    standings = [standing(t, done.last(person, t.pk), today) for t in topics]
    completed.sort(key=lambda a: a.training.starts_at, reverse=True)
    upcoming.sort(key=lambda a: a.training.starts_at)
    return NetworkRecord(network, completed, upcoming, standings)


def _attendances(q: Q) -> list[Attendance]:
    return list(
        Attendance.objects.filter(q).select_related(
            "training__topic", "training__network", "staff_member"
        )
    )


def user_person(network: Network, user: Any) -> Person | None:
    """The user as a member of the network's training audience (None if they are not)."""
    sides: set[str] = set()
    rows = Membership.objects.filter(user=user, network=network, is_active=True)
    roles = set(
        rows.exclude(school__isnull=True, organization__isnull=True).values_list("role", flat=True)
    )
    if roles & set(SCHOOL_ROLES):
        sides.add("school")
    if roles & set(PARTNER_ROLES):
        sides.add("partner")
    staff_ids = set(
        StaffMember.objects.filter(network=network, user=user, is_active=True).values_list(
            "pk", flat=True
        )
    )
    if staff_ids:
        sides.add("partner")
    if not sides:
        return None
    side = "both" if len(sides) == 2 else sides.pop()
    name = user.get_full_name() or user.get_username()
    return Person(f"u{user.pk}", name, side, user_id=user.pk, staff_ids=staff_ids)


def user_record(user: Any, network: Network | None = None) -> list[NetworkRecord]:
    """A user's record in each network where they are in a training audience (or one)."""
    networks = (
        [network]
        if network is not None
        else list(Network.objects.filter(id__in=access.grants(user).networks).order_by("name"))
    )
    records = []
    for net in networks:
        person = user_person(net, user)
        if person is None:
            continue
        attendances = _attendances(
            Q(network=net) & (Q(user=user) | Q(staff_member_id__in=person.staff_ids))
        )
        records.append(_record(net, person, attendances))
    return records


def staff_record(person: StaffMember) -> NetworkRecord:
    network = person.network
    who = Person(
        f"s{person.pk}", person.full_name, "partner", user_id=person.user_id, staff_ids={person.pk}
    )
    q = Q(staff_member=person)
    if person.user_id is not None:
        q |= Q(user_id=person.user_id, network=network)
    return _record(network, who, _attendances(q))


def get_staff_member_for_user(user: Any, pk: Any) -> StaffMember:
    """A campus-staff person whose training record the user reads: network admins, the
    organization's partner admins (404 for anyone else)."""
    g = access.grants(user)
    qs = StaffMember.objects.filter(
        Q(network_id__in=g.networks_with(Role.NETWORK_ADMIN))
        | Q(organization_id__in=access.training_staff_organizations(user))
    ).select_related("organization", "network")
    try:
        return qs.get(pk=pk)
    except (StaffMember.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_network_user(network: Network, pk: Any) -> Any:
    """A user with a role in the network (404 otherwise)."""
    try:
        return (
            get_user_model()
            .objects.filter(memberships__network=network, memberships__is_active=True)
            .distinct()
            .get(pk=pk)
        )
    except (get_user_model().DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def staff_choices(user: Any, training: Training) -> list[StaffMember]:
    """Campus staff the user may register for the training (partner admins: their
    organizations'; network admins: every organization's)."""
    if training.audience == Audience.SCHOOL:
        return []
    qs = StaffMember.objects.filter(network_id=training.network_id, is_active=True)
    if not access.can_manage_training(user, training.network_id):
        qs = qs.filter(organization_id__in=access.training_staff_organizations(user))
    return list(qs.select_related("organization").order_by("organization__name", "last_name"))


def organization_for_compliance(user: Any, pk: Any) -> Organization:
    organization = access.get_organization_for_user(user, pk)
    if not access.can_manage_staff_training(user, organization):
        raise PermissionDenied
    return organization
