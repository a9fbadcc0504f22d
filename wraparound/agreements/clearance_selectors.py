"""Reads of clearance, each starting from `core.access` scoping: the network's requirements, an
organization's campus staff with their state today, the review queue, a record's document, the
"may this person work here on this day?" check and the front desk's week.

The answers come from `clearance.ClearanceBook` (a fixed number of queries for any number of
people and days). "Today" is the network's (`Network.today`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wraparound.core import access
from wraparound.core.models import Network, Organization, School
from wraparound.core.roles import PARTNER_ROLES, SCHOOL_ROLES, Role

from .clearance import Check, ClearanceBook, Item, check_person
from .models import (
    OPEN_STATUSES,
    ClearanceRecord,
    ClearanceRequirement,
    Partnership,
    RecordStatus,
    StaffMember,
)

STATE_LABELS = {
    "ok": gettext_lazy("cleared"),
    "expiring": gettext_lazy("expiring soon"),
    "missing": gettext_lazy("missing"),
    "submitted": gettext_lazy("waiting for review"),
    "rejected": gettext_lazy("rejected"),
    "expired": gettext_lazy("expired"),
}
RECENT_RECORDS = 100
WORKDAYS = 5
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ID = re.compile(r"[0-9]{1,18}")


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


@dataclass(frozen=True)
class StateCell:
    """An item with its state in words, for the templates."""

    item: Item
    label: str


def labelled(items: list[Item]) -> list[StateCell]:
    return [StateCell(i, state_label(i.state)) for i in items]


# --- requirements ------------------------------------------------------------------------------


def network_requirements(network: Network) -> QuerySet[ClearanceRequirement]:
    return ClearanceRequirement.objects.filter(network=network).order_by(
        "-is_active", "applies_to", "name"
    )


def get_network_requirement(network: Network, pk: Any) -> ClearanceRequirement:
    try:
        return ClearanceRequirement.objects.get(network=network, pk=pk)
    except (ClearanceRequirement.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def submittable_requirements(network: Network) -> list[ClearanceRequirement]:
    """Requirements in effect that are met by records (not the signed MOU)."""
    return [r for r in network_requirements(network).filter(is_active=True) if r.has_records]


# --- an organization's campus staff ------------------------------------------------------------


def organization_people(organization: Organization) -> list[StaffMember]:
    return list(
        StaffMember.objects.filter(organization=organization)
        .prefetch_related("schools")
        .order_by("-is_active", "last_name", "first_name", "pk")
    )


def get_organization_person(organization: Organization, pk: Any) -> StaffMember:
    try:
        return StaffMember.objects.select_related("organization").get(
            organization=organization, pk=pk
        )
    except (StaffMember.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def organization_partner_schools(organization: Organization) -> QuerySet[School]:
    """Schools where the organization works: those of its open partnerships, or every school of
    the network when it has a network-wide one."""
    open_rows = Partnership.objects.filter(organization=organization, status__in=OPEN_STATUSES)
    if open_rows.filter(school__isnull=True).exists():
        return School.objects.filter(network_id=organization.network_id).order_by("name")
    return School.objects.filter(
        pk__in=open_rows.filter(school__isnull=False).values("school_id")
    ).order_by("name")


@dataclass
class PersonRow:
    person: StaffMember
    items: list[StateCell]
    cleared: bool


@dataclass
class StaffPage:
    day: dt.date
    person_requirements: list[ClearanceRequirement]
    organization_items: list[StateCell]
    organization_cleared: bool
    people: list[PersonRow]
    records: list[ClearanceRecord] = field(default_factory=list)


def organization_staff(organization: Organization, day: dt.date | None = None) -> StaffPage:
    """The organization's people with each person requirement's state on `day` (today on the
    network's clock), its own requirements' states, and its latest records."""
    network = organization.network
    day = day or network.today()
    people = organization_people(organization)
    book = ClearanceBook(network, [organization.pk], people=people)
    rows = []
    for person in people:
        items = book.person_items(person, day)
        cleared = person.is_active and all(i.state in ("ok", "expiring") for i in items)
        rows.append(PersonRow(person, labelled(items), cleared))
    records = list(
        ClearanceRecord.objects.filter(organization=organization)
        .select_related("requirement", "person")
        .order_by("-submitted_at", "-pk")[:RECENT_RECORDS]
    )
    return StaffPage(
        day=day,
        person_requirements=[r for r in book.person_requirements if r.has_records],
        organization_items=labelled(book.organization_items(organization.pk, day)),
        organization_cleared=book.organization_cleared(organization.pk, day),
        people=rows,
        records=records,
    )


# --- review and documents ----------------------------------------------------------------------


def review_queue(network: Network) -> list[ClearanceRecord]:
    """Records waiting for review, oldest first."""
    return list(
        ClearanceRecord.objects.filter(network=network, status=RecordStatus.SUBMITTED)
        .select_related("requirement", "organization", "person", "submitted_by")
        .order_by("submitted_at", "pk")
    )


def get_network_record(network: Network, pk: Any) -> ClearanceRecord:
    try:
        return ClearanceRecord.objects.select_related("organization").get(network=network, pk=pk)
    except (ClearanceRecord.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_record_document_for_user(user: Any, pk: Any) -> ClearanceRecord:
    """A record with a document the user may read (`access.can_read_clearance_documents`);
    anything else, whether it exists or not, is a 404."""
    g = access.grants(user)
    readable = Q(network_id__in=g.networks_with(Role.NETWORK_ADMIN)) | Q(
        organization_id__in=g.organizations_with(Role.PARTNER_ADMIN)
    )
    try:
        record = (
            ClearanceRecord.objects.filter(readable)
            .select_related("organization")
            .exclude(document="")
            .get(pk=pk)
        )
    except (ClearanceRecord.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not access.can_read_clearance_documents(user, record.organization):
        raise Http404
    return record


# --- the check: may this person work at this school on this day? --------------------------------


def visible_people(user: Any) -> QuerySet[StaffMember]:
    return StaffMember.objects.filter(access.staff_member_filter(user))


def check_schools(user: Any) -> QuerySet[School]:
    """Schools a user may ask about: those they see, and for partner users the schools where
    their organization has an open partnership (every school of the network for a network-wide
    one)."""
    g = access.grants(user)
    parts: list[Q] = []
    if access.can_list_schools(user):
        parts.append(Q(pk__in=access.visible_schools(user).values("pk")))
    org_ids = g.organizations_with(*PARTNER_ROLES)
    if org_ids:
        open_rows = Partnership.objects.filter(
            organization_id__in=org_ids, status__in=OPEN_STATUSES
        )
        parts.append(Q(pk__in=open_rows.filter(school__isnull=False).values("school_id")))
        parts.append(Q(network_id__in=open_rows.filter(school__isnull=True).values("network_id")))
    if not parts:
        return School.objects.none()
    query = parts[0]
    for part in parts[1:]:
        query |= part
    return School.objects.filter(query)


def parse_day(text: str) -> dt.date | None:
    """A YYYY-MM-DD date from 1900 to 2999, or None (no other ISO form: "20270301" is refused;
    the bounds keep week arithmetic away from the ends of the calendar)."""
    if not _DAY.fullmatch(text):
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2999 else None


def _id(raw: Any, field_name: str, missing: str, errors: dict[str, str]) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text:
        errors[field_name] = missing
        return None
    if not _ID.fullmatch(text):
        errors[field_name] = _("Choose one from the list.")
        return None
    return int(text)


def resolve_check(
    user: Any, person_id: Any, school_id: Any, day_str: Any
) -> tuple[StaffMember, School, dt.date]:
    """Parse and scope the three inputs of the check. A missing or malformed value is a
    `ValidationError` naming its field (person, school, date); a person or school the user may not
    see is a 404. An empty date is today on the school's network clock."""
    errors: dict[str, str] = {}
    pid = _id(person_id, "person", _("Choose the person to check."), errors)
    sid = _id(school_id, "school", _("Choose the school."), errors)
    day: dt.date | None = None
    text = str(day_str if day_str is not None else "").strip()
    if text:
        day = parse_day(text)
        if day is None:
            errors["date"] = _("%(value)s is not a date: enter it as YYYY-MM-DD.") % {
                "value": text[:40]
            }
    if errors or pid is None or sid is None:
        raise ValidationError(errors)
    person = visible_people(user).select_related("organization").filter(pk=pid).first()
    if person is None:
        raise Http404
    school = check_schools(user).select_related("network").filter(pk=sid).first()
    if school is None:
        raise Http404
    if school.network_id != person.network_id:
        raise ValidationError(
            {
                "school": _("%(school)s is not in the network of %(name)s's organization.")
                % {"school": school.name, "name": person.full_name}
            }
        )
    return person, school, day or school.network.today()


def check(person: StaffMember, school: School, day: dt.date) -> Check:
    return check_person(person, school, day)


# --- the front desk's week ---------------------------------------------------------------------


def week_of(day: dt.date) -> list[dt.date]:
    """Monday to Friday of the week containing `day`."""
    monday = day - dt.timedelta(days=day.weekday())
    return [monday + dt.timedelta(days=i) for i in range(WORKDAYS)]


@dataclass
class DayCell:
    day: dt.date
    cleared: bool
    first_missing: Item | None
    expiring: list[Item]


@dataclass
class CampusRow:
    person: StaffMember
    days: list[DayCell]


def campus_week(school: School, days: list[dt.date]) -> list[CampusRow]:
    """Every partner person who works at the school, and whether they are cleared each day."""
    network = school.network
    working = Partnership.objects.filter(network=network, status__in=OPEN_STATUSES).filter(
        Q(school=school) | Q(school__isnull=True)
    )
    org_ids = list(working.values_list("organization_id", flat=True).distinct())
    people = list(
        StaffMember.objects.filter(network=network, organization_id__in=org_ids, is_active=True)
        .select_related("organization")
        .prefetch_related("schools")
        .order_by("organization__name", "last_name", "first_name", "pk")
    )
    book = ClearanceBook(network, org_ids, people=people)
    rows = []
    for person in book.people_for_school(school):
        cells = []
        for day in days:
            answer = book.check(person, school, day)
            cells.append(
                DayCell(
                    day,
                    answer.cleared,
                    answer.missing[0] if answer.missing else None,
                    answer.expiring,
                )
            )
        rows.append(CampusRow(person, cells))
    return rows


def can_see_campus_list(user: Any, school: School) -> bool:
    """The front desk's list: the school's own roles and the network's admins."""
    return school.pk in access.grants(user).schools_with(*SCHOOL_ROLES) or access.is_network_admin(
        user, school.network_id
    )
