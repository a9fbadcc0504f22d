"""Who is cleared: "may this person work at this school on this date?", and whether an
organization has met the network's organization requirements (matching reads that).

A `ClearanceBook` loads, in a fixed number of queries, everything the answers need for a set of
organizations (requirements, records, people, partnerships, agreements in force) and then answers
any number of questions in memory: the front desk's week, the compliance dashboard and the API's
single check all use it.

Dates are days on the network's clock (`Network.today`). A record is valid from the day it was
issued through its `expires_on` day, inclusive; validity months land on calendar days
(`valid_through`: 29 February + 12 months is 28 February).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.core.models import Network, Organization, School

from .models import (
    OPEN_STATUSES,
    Agreement,
    ClearanceRecord,
    ClearanceRequirement,
    Partnership,
    PartnershipStatus,
    RecordStatus,
    RequirementKind,
    RequirementSubject,
    StaffMember,
)
from .models.mou import IN_FORCE_STATUSES

# An item valid on the day asked about but ending within this many days is "expiring".
EXPIRING_WITHIN_DAYS = 30
# The reminder thresholds (days before an expiry).
REMINDER_DAYS = (60, 30, 7)


def valid_through(issued_on: dt.date, months: int | None) -> dt.date | None:
    """The last valid day of something issued on `issued_on` and valid for `months` (None: no
    end). Calendar months, clamped to the month's length."""
    if months is None:
        return None
    return issued_on + relativedelta(months=months)


def days_left(expires_on: dt.date, today: dt.date) -> int:
    """Whole days from today to the last valid day (0 on the day itself, negative after)."""
    return (expires_on - today).days


@dataclass(frozen=True)
class Item:
    """One requirement's state for one subject: missing (with why) or expiring."""

    code: str  # the requirement kind, or "partnership", "assignment", "inactive"
    label: str  # the requirement's name or a short description
    state: str  # missing | submitted | rejected | expired | expiring | ok
    subject: str  # organization | person
    requirement_id: int | None = None
    expires_on: dt.date | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "requirement_id": self.requirement_id,
            "requirement": self.label,
            "subject": self.subject,
            "state": self.state,
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
            "detail": self.detail,
        }


@dataclass
class Check:
    """The answer for one person (or organization), school and day."""

    cleared: bool
    missing: list[Item] = field(default_factory=list)
    expiring: list[Item] = field(default_factory=list)


def _state_of(
    records: list[ClearanceRecord],
    day: dt.date,
    subject: str,
    requirement: ClearanceRequirement,
    tz: dt.tzinfo | None = None,
) -> Item:
    """The requirement's state on `day` from a subject's records (newest first). `tz` is the
    network's clock, on which the day a record was submitted is told."""
    valid = [r for r in records if r.valid_on(day)]
    if valid:
        # The record that lasts longest decides whether it is expiring.
        best = max(valid, key=lambda r: r.expires_on or dt.date.max)
        state = "ok"
        if best.expires_on is not None and days_left(best.expires_on, day) < EXPIRING_WITHIN_DAYS:
            state = "expiring"
        return Item(
            requirement.kind,
            requirement.name,
            state,
            subject,
            requirement.pk,
            best.expires_on,
            _("valid through %(day)s") % {"day": best.expires_on} if best.expires_on else "",
        )
    if not records:
        return Item(
            requirement.kind, requirement.name, "missing", subject, requirement.pk,
            detail=_("nothing submitted"),
        )  # fmt: skip
    latest = records[0]
    if latest.status == RecordStatus.SUBMITTED:
        return Item(
            requirement.kind, requirement.name, "submitted", subject, requirement.pk,
            detail=_("submitted %(day)s, waiting for review")
            % {"day": timezone.localtime(latest.submitted_at, tz).date()},
        )  # fmt: skip
    if latest.status == RecordStatus.REJECTED:
        return Item(
            requirement.kind, requirement.name, "rejected", subject, requirement.pk,
            detail=_("rejected: %(reason)s") % {"reason": latest.rejection_reason},
        )  # fmt: skip
    cleared = [r for r in records if r.status == RecordStatus.CLEARED]
    ended = max((r.expires_on for r in cleared if r.expires_on), default=None)
    if ended is not None and ended < day:
        return Item(
            requirement.kind, requirement.name, "expired", subject, requirement.pk, ended,
            _("expired %(day)s") % {"day": ended},
        )  # fmt: skip
    return Item(
        requirement.kind, requirement.name, "missing", subject, requirement.pk,
        detail=_("not valid on this date"),
    )  # fmt: skip


class ClearanceBook:
    """Everything needed to answer clearance questions for some organizations of one network."""

    def __init__(
        self,
        network: Network,
        organizations: Iterable[Organization | int] | None = None,
        *,
        people: Iterable[StaffMember] | None = None,
    ) -> None:
        self.network = network
        requirements = list(
            ClearanceRequirement.objects.filter(network=network, is_active=True).order_by(
                "applies_to", "name"
            )
        )
        self.requirements = requirements
        self.org_requirements = [
            r for r in requirements if r.applies_to == RequirementSubject.ORGANIZATION
        ]
        self.person_requirements = [
            r for r in requirements if r.applies_to == RequirementSubject.PERSON
        ]
        org_filter = Q(network=network)
        if organizations is not None:
            ids = [o if isinstance(o, int) else o.pk for o in organizations]
            org_filter &= Q(organization_id__in=ids)
        records = (
            ClearanceRecord.objects.filter(org_filter, requirement__is_active=True)
            .only(
                "pk",
                "requirement_id",
                "organization_id",
                "person_id",
                "status",
                "issued_on",
                "expires_on",
                "submitted_at",
                "reviewed_at",
                "rejection_reason",
            )
            .order_by("-submitted_at", "-pk")
        )
        # (requirement, organization, person or None) → records, newest first.
        self.records: dict[tuple[int, int, int | None], list[ClearanceRecord]] = defaultdict(list)
        for record in records:
            self.records[(record.requirement_id, record.organization_id, record.person_id)].append(
                record
            )
        if people is None:
            self.people = list(StaffMember.objects.filter(org_filter).prefetch_related("schools"))
        else:
            self.people = list(people)
        self.person_schools: dict[int, set[int]] = {
            p.pk: {s.pk for s in p.schools.all()} for p in self.people
        }
        partnerships = Partnership.objects.filter(org_filter, status__in=OPEN_STATUSES).only(
            "pk", "organization_id", "school_id", "status", "school_year_id"
        )
        self.partnerships: dict[int, list[Partnership]] = defaultdict(list)
        for partnership in partnerships:
            self.partnerships[partnership.organization_id].append(partnership)
        agreements = Agreement.objects.filter(
            org_filter, status__in=IN_FORCE_STATUSES, signed_version__isnull=False
        ).select_related("signed_version")
        self.agreements: dict[int, list[Agreement]] = defaultdict(list)
        for agreement in agreements:
            self.agreements[agreement.organization_id].append(agreement)
        self.school_years = list(network.school_years.all())

    # --- organizations ----------------------------------------------------------------------

    def organization_items(self, organization_id: int, day: dt.date) -> list[Item]:
        """The organization requirements' states on `day` (the signed-MOU kind is per school and
        left to `check`)."""
        return [
            _state_of(
                self.records.get((r.pk, organization_id, None), []),
                day,
                RequirementSubject.ORGANIZATION,
                r,
                self.network.tzinfo,
            )
            for r in self.org_requirements
            if r.has_records
        ]

    def organization_cleared(self, organization_id: int, day: dt.date) -> bool:
        return all(
            i.state in ("ok", "expiring") for i in self.organization_items(organization_id, day)
        )

    # --- people -----------------------------------------------------------------------------

    def person_items(self, person: StaffMember, day: dt.date) -> list[Item]:
        return [
            _state_of(
                self.records.get((r.pk, person.organization_id, person.pk), []),
                day,
                RequirementSubject.PERSON,
                r,
                self.network.tzinfo,
            )
            for r in self.person_requirements
            if r.has_records
        ]

    def _agreement_for(
        self, organization_id: int, school: School, day: dt.date
    ) -> Agreement | None:
        best: Agreement | None = None
        for agreement in self.agreements.get(organization_id, []):
            version = agreement.signed_version
            if version is None or not version.covers(day):
                continue
            if agreement.school_id not in (None, school.pk):
                continue
            if best is None or version.term_end > (best.signed_version or version).term_end:
                best = agreement
        return best

    def _partnered(self, organization_id: int, school: School, day: dt.date) -> bool:
        year_ids = {y.pk for y in self.school_years if y.start_date <= day <= y.end_date}
        return any(
            p.status == PartnershipStatus.ACTIVE
            and p.school_id in (None, school.pk)
            and (not year_ids or p.school_year_id in year_ids)
            for p in self.partnerships.get(organization_id, [])
        )

    def check(self, person: StaffMember, school: School, day: dt.date) -> Check:
        """May this person work at this school on this day? What is missing, what is expiring."""
        missing: list[Item] = []
        expiring: list[Item] = []
        org_id = person.organization_id
        if not person.is_active:
            missing.append(
                Item("inactive", _("active on the organization's staff list"), "missing", "person")
            )
        assigned = self.person_schools.get(person.pk, set())
        if assigned and school.pk not in assigned:
            missing.append(
                Item("assignment", _("assigned to this school"), "missing", "person",
                     detail=_("the organization lists this person for other schools"))
            )  # fmt: skip
        if school.network_id != self.network.pk or not self._partnered(org_id, school, day):
            missing.append(
                Item("partnership", _("an active partnership with this school"), "missing",
                     "organization", detail=_("no active partnership on this date"))
            )  # fmt: skip
        items = self.organization_items(org_id, day) + self.person_items(person, day)
        for requirement in self.requirements:
            if requirement.kind != RequirementKind.SIGNED_MOU:
                continue
            agreement = self._agreement_for(org_id, school, day)
            if agreement is None or agreement.signed_version is None:
                items.append(
                    Item(requirement.kind, requirement.name, "missing", "organization",
                         requirement.pk, detail=_("no signed MOU in force for this school"))
                )  # fmt: skip
                continue
            end = agreement.signed_version.term_end
            items.append(
                Item(requirement.kind, requirement.name,
                     "expiring" if days_left(end, day) < EXPIRING_WITHIN_DAYS else "ok",
                     "organization", requirement.pk, end,
                     _("in force through %(day)s") % {"day": end})
            )  # fmt: skip
        for item in items:
            if item.state == "expiring":
                expiring.append(item)
            elif item.state != "ok":
                missing.append(item)
        return Check(cleared=not missing, missing=missing, expiring=expiring)

    def people_for_school(self, school: School) -> list[StaffMember]:
        """Active people of organizations with an open partnership at the school (or network-wide)
        who are not assigned only to other schools."""
        orgs = {
            org_id
            for org_id, rows in self.partnerships.items()
            if any(p.school_id in (None, school.pk) for p in rows)
        }
        return [
            p
            for p in self.people
            if p.is_active
            and p.organization_id in orgs
            and (not self.person_schools.get(p.pk) or school.pk in self.person_schools[p.pk])
        ]


def check_person(person: StaffMember, school: School, day: dt.date) -> Check:
    """One question, answered from a book of the person's organization."""
    book = ClearanceBook(school.network, [person.organization_id], people=[person])
    return book.check(person, school, day)


def cleared_organizations(network: Network, day: dt.date | None = None) -> set[int]:
    """Ids of the network's organizations that meet every organization requirement on `day`."""
    day = day or network.today()
    book = ClearanceBook(network, people=[])
    ids = Organization.objects.filter(network=network).values_list("pk", flat=True)
    return {org_id for org_id in ids if book.organization_cleared(org_id, day)}
