"""The network's compliance dashboard (network admins): who is fully cleared, what blocks the
rest, what expires soon, and how long clearing takes — the median days from a first submission to
its clearance, the figure clearance in the app exists to lower.

One selector, `compliance_summary`, in a fixed number of queries whatever the network's size: a
`ClearanceBook` of the whole network (requirements, records, people, partnerships, agreements),
the organizations' names, and the expiring records and agreements (the reminders' own queries,
so the dashboard lists exactly what is being reminded). Everything else is counted in memory.

Definitions (days on the network's clock, `Network.today`):

- organizations counted: those with an open (proposed or active) partnership or an active person
  on their staff list; *fully cleared*: every organization requirement met today;
- people counted: active staff; *fully cleared*: every person requirement met today and their
  organization fully cleared. School-specific items (a signed MOU with a given school, the
  assignment to a school) are the front desk's check, not counted here;
- time to clearance: for each requirement and subject (organization, or person) with a cleared
  record, the days from its first submission to the first review that cleared it. "Recent" chains
  were cleared in the last `RECENT_DAYS` days (today included).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from wraparound.core.models import Network, Organization

from .clearance import ClearanceBook, Item, days_left
from .models import ClearanceRequirement, RecordStatus, RequirementSubject
from .reminders import (
    HORIZON_DAYS,
    agreement_path,
    expiring_agreements,
    expiring_records,
    record_path,
)

RECENT_DAYS = 90
BLOCKING_STATES = ("missing", "submitted", "rejected", "expired")


@dataclass(frozen=True)
class Ratio:
    cleared: int
    total: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.cleared / self.total) if self.total else None


@dataclass
class BlockerRow:
    """One requirement: how many subjects it holds back, by why."""

    requirement: ClearanceRequirement
    subject: str  # organization | person
    counted: int  # organizations or people it applies to
    missing: int = 0
    submitted: int = 0
    rejected: int = 0
    expired: int = 0

    @property
    def blocked(self) -> int:
        return self.missing + self.submitted + self.rejected + self.expired


@dataclass(frozen=True)
class BlockedOrganization:
    organization_id: int
    name: str
    items: list[Item]  # the organization requirements not met today
    people: Ratio  # its active staff fully cleared


@dataclass(frozen=True)
class ExpiringRow:
    kind: str  # clearance | agreement
    label: str  # the requirement, or the agreement's title
    who: str  # the person or organization cleared, or the organization of the agreement
    organization: str
    school: str  # the agreement's school ("" network-wide or for a clearance)
    expires_on: dt.date
    days_left: int
    url: str


@dataclass(frozen=True)
class TimeToClear:
    median_days: float | None
    count: int
    recent_median_days: float | None
    recent_count: int
    earlier_median_days: float | None
    earlier_count: int
    recent_days: int = RECENT_DAYS

    @property
    def change_days(self) -> float | None:
        """Recent median minus the earlier one (negative: clearing got faster)."""
        if self.recent_median_days is None or self.earlier_median_days is None:
            return None
        return self.recent_median_days - self.earlier_median_days

    @property
    def change_size(self) -> float | None:
        return None if self.change_days is None else abs(self.change_days)


@dataclass
class ComplianceSummary:
    network: Network
    today: dt.date
    organizations: Ratio
    people: Ratio
    blockers: list[BlockerRow]
    blocked_organizations: list[BlockedOrganization]
    expiring: list[ExpiringRow]
    time_to_clear: TimeToClear
    horizon_days: int = HORIZON_DAYS
    requirements: list[ClearanceRequirement] = field(default_factory=list)


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def time_to_clear(book: ClearanceBook, today: dt.date) -> TimeToClear:
    """Days from each chain's first submission to its first clearance, on the network's clock."""
    tz = book.network.tzinfo
    recent_from = today - dt.timedelta(days=RECENT_DAYS - 1)
    everything: list[int] = []
    recent: list[int] = []
    earlier: list[int] = []
    for records in book.records.values():
        cleared_at = [
            r.reviewed_at
            for r in records
            if r.status == RecordStatus.CLEARED and r.reviewed_at is not None
        ]
        if not cleared_at:
            continue
        first_submitted = min(r.submitted_at for r in records).astimezone(tz).date()
        cleared_on = min(cleared_at).astimezone(tz).date()
        if cleared_on > today:
            continue
        days = max(0, (cleared_on - first_submitted).days)
        everything.append(days)
        (recent if cleared_on >= recent_from else earlier).append(days)
    return TimeToClear(
        median_days=_median(everything),
        count=len(everything),
        recent_median_days=_median(recent),
        recent_count=len(recent),
        earlier_median_days=_median(earlier),
        earlier_count=len(earlier),
    )


def compliance_summary(network: Network, today: dt.date | None = None) -> ComplianceSummary:
    """The dashboard's figures for the network on `today` (default: today on its clock)."""
    today = today or network.today()
    book = ClearanceBook(network)
    names = dict(Organization.objects.filter(network=network).order_by().values_list("pk", "name"))
    people = [p for p in book.people if p.is_active]
    org_ids = set(book.partnerships) | {p.organization_id for p in people}
    org_ids &= set(names)

    blockers = [
        BlockerRow(r, RequirementSubject.ORGANIZATION, len(org_ids))
        for r in book.org_requirements
        if r.has_records
    ] + [
        BlockerRow(r, RequirementSubject.PERSON, len(people))
        for r in book.person_requirements
        if r.has_records
    ]
    by_requirement = {row.requirement.pk: row for row in blockers}

    def count(items: list[Item]) -> list[Item]:
        """Tally the blocking items into their requirement's row; return them."""
        blocking = [i for i in items if i.state in BLOCKING_STATES]
        for item in blocking:
            row = by_requirement.get(item.requirement_id or 0)
            if row is not None:
                setattr(row, item.state, getattr(row, item.state) + 1)
        return blocking

    org_blocking = {org_id: count(book.organization_items(org_id, today)) for org_id in org_ids}
    staff_total: Counter[int] = Counter()
    staff_cleared: Counter[int] = Counter()
    people_cleared = 0
    for person in people:
        person_blocking = count(book.person_items(person, today))
        staff_total[person.organization_id] += 1
        if not person_blocking and not org_blocking.get(person.organization_id):
            people_cleared += 1
            staff_cleared[person.organization_id] += 1

    blocked = sorted(
        (
            BlockedOrganization(
                org_id,
                names[org_id],
                org_blocking[org_id],
                Ratio(staff_cleared[org_id], staff_total[org_id]),
            )
            for org_id in org_ids
            if org_blocking[org_id] or staff_cleared[org_id] < staff_total[org_id]
        ),
        key=lambda b: (-len(b.items), b.people.cleared - b.people.total, b.name.casefold()),
    )

    expiring = [
        ExpiringRow(
            "clearance",
            record.requirement.name,
            record.person.full_name if record.person else record.organization.name,
            record.organization.name,
            "",
            record.expires_on,
            days_left(record.expires_on, today),
            record_path(record),
        )
        for record in expiring_records(network, today)
        if record.expires_on is not None
    ]
    for agreement in expiring_agreements(network, today):
        version = agreement.signed_version
        if version is None:
            continue
        expiring.append(
            ExpiringRow(
                "agreement",
                agreement.title,
                agreement.organization.name,
                agreement.organization.name,
                agreement.school.name if agreement.school else _("network-wide"),
                version.term_end,
                days_left(version.term_end, today),
                agreement_path(agreement),
            )
        )
    expiring.sort(key=lambda e: (e.days_left, e.kind, e.label.casefold(), e.who.casefold()))

    return ComplianceSummary(
        network=network,
        today=today,
        organizations=Ratio(sum(1 for o in org_ids if not org_blocking[o]), len(org_ids)),
        people=Ratio(people_cleared, len(people)),
        blockers=blockers,
        blocked_organizations=blocked,
        expiring=expiring,
        time_to_clear=time_to_clear(book, today),
        requirements=book.requirements,
    )
