"""A coalition's accountability measures over a period, computed from the system's own data.

Which referrals count (the "coalition referrals" of the period), each sent in the period
(`sent_at`, on the network's clock, both ends inclusive):
- a cross-agency referral tagged with this coalition, from a member organization
  (`referring_organization`) to a member organization (`organization`);
- a referral made at a member school (no referring organization) to a member organization,
  untagged or tagged with this coalition (a referral tagged with another coalition is that
  coalition's).
The sender is the referring organization's member (or the school's), the receiver the receiving
organization's. A referral counts as accepted when it was ever accepted (an `accepted`,
`in_service` or `completed` event, or such a status now), completed when it was completed; the
response time runs from `sent_at` to `responded_at`, in days, for referrals with a response.
Acceptance rate = accepted / received.

Meetings: the coalition's meetings *held* in the period (not scheduled, not cancelled); a member
attended one when someone present came for it (`MeetingAttendee.coalition_member`).

Commitments in force during the period are shown beside what was delivered: for a "referrals
accepted" commitment, the member's accepted referrals sent within the commitment's own period;
for the other kinds, the sum of the figures entered against the commitment.

Only counts: no student is named or looked up here."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from wraparound.core.models import Coalition, SchoolYear
from wraparound.meetings.models import Meeting, MeetingAttendee, MeetingStatus
from wraparound.referrals.models import Referral, ReferralEvent, ReferralStatus

from .models import CoalitionMember, Commitment, CommitmentKind, MeasureEntry

ACCEPTED_STATUSES = (ReferralStatus.ACCEPTED, ReferralStatus.IN_SERVICE, ReferralStatus.COMPLETED)


def default_period(coalition: Coalition) -> tuple[dt.date, dt.date]:
    """The network's current school year, else the last twelve months to today."""
    year = SchoolYear.objects.filter(network_id=coalition.network_id, is_current=True).first()
    if year is not None:
        return year.start_date, year.end_date
    today = coalition.network.today()
    return today - dt.timedelta(days=364), today


def _bounds(coalition: Coalition, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = coalition.network.tzinfo
    lo = timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz)
    hi = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz)
    return lo, hi


@dataclass
class MemberRow:
    member: CoalitionMember
    sent: int = 0
    received: int = 0
    accepted: int = 0
    completed: int = 0
    response_days: list[float] = field(default_factory=list)
    meetings_attended: int = 0
    commitments: list[CommitmentRow] = field(default_factory=list)

    @property
    def acceptance_rate(self) -> float | None:
        return round(100 * self.accepted / self.received, 1) if self.received else None

    @property
    def median_response_days(self) -> float | None:
        return round(statistics.median(self.response_days), 1) if self.response_days else None


@dataclass
class CommitmentRow:
    commitment: Commitment
    promised: Decimal | None
    delivered: Decimal | None  # None: nothing the system can count, and nothing entered

    @property
    def share(self) -> float | None:
        if self.promised and self.delivered is not None:
            return round(100 * float(self.delivered) / float(self.promised), 1)
        return None


@dataclass
class Measures:
    coalition: Coalition
    start: dt.date
    end: dt.date
    rows: list[MemberRow]
    totals: MemberRow
    meetings_held: int
    entries: list[MeasureEntry]

    def as_dict(self) -> dict[str, Any]:
        def row(r: MemberRow) -> dict[str, Any]:
            return {
                "sent": r.sent,
                "received": r.received,
                "accepted": r.accepted,
                "completed": r.completed,
                "acceptance_rate": r.acceptance_rate,
                "median_response_days": r.median_response_days,
                "meetings_attended": r.meetings_attended,
            }

        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "meetings_held": self.meetings_held,
            "members": [
                {"id": r.member.pk, "name": r.member.display_name, **row(r)} for r in self.rows
            ],
            "totals": row(self.totals),
        }


def _coalition_referrals(
    coalition: Coalition,
    members: list[CoalitionMember],
    lo: dt.datetime,
    hi: dt.datetime,
) -> list[dict[str, Any]]:
    org_ids = [m.organization_id for m in members if m.organization_id]
    school_ids = [m.school_id for m in members if m.school_id]
    if not org_ids:
        return []
    between_orgs = Q(coalition=coalition, referring_organization_id__in=org_ids)
    from_schools = Q(
        referring_organization__isnull=True,
        school_id__in=school_ids,
    ) & (Q(coalition__isnull=True) | Q(coalition=coalition))
    ever_accepted = ReferralEvent.objects.filter(
        referral=OuterRef("pk"), to_status__in=ACCEPTED_STATUSES
    )
    ever_completed = ReferralEvent.objects.filter(
        referral=OuterRef("pk"), to_status=ReferralStatus.COMPLETED
    )
    rows: Any = (
        Referral.objects.filter(
            between_orgs | from_schools,
            organization_id__in=org_ids,
            sent_at__gte=lo,
            sent_at__lt=hi,
        )
        .annotate(was_accepted=Exists(ever_accepted), was_completed=Exists(ever_completed))
        .values(
            "referring_organization_id",
            "school_id",
            "organization_id",
            "status",
            "sent_at",
            "responded_at",
            "was_accepted",
            "was_completed",
        )
    )
    return list(rows)


def _is_accepted(r: dict[str, Any]) -> bool:
    return bool(r["was_accepted"]) or r["status"] in ACCEPTED_STATUSES


def _is_completed(r: dict[str, Any]) -> bool:
    return bool(r["was_completed"]) or r["status"] == ReferralStatus.COMPLETED


def compute(coalition: Coalition, start: dt.date, end: dt.date) -> Measures:
    members = list(
        CoalitionMember.objects.filter(coalition=coalition)
        .select_related("organization", "school")
        .order_by("-is_active", "kind", "organization__name", "school__name", "name", "pk")
    )
    rows = {m.pk: MemberRow(member=m) for m in members}
    by_org = {m.organization_id: rows[m.pk] for m in members if m.organization_id}
    by_school = {m.school_id: rows[m.pk] for m in members if m.school_id}

    commitments = list(
        Commitment.objects.filter(coalition=coalition, starts_on__lte=end, ends_on__gte=start)
        .select_related("member")
        .annotate(entered=Sum("entries__value"))
        .order_by("member_id", "starts_on", "pk")
    )
    # One read of the referrals covers the page's period and every commitment's own.
    lo_day = min([start, *(c.starts_on for c in commitments)])
    hi_day = max([end, *(c.ends_on for c in commitments)])
    lo, hi = _bounds(coalition, lo_day, hi_day)
    period_lo, period_hi = _bounds(coalition, start, end)
    referrals = _coalition_referrals(coalition, members, lo, hi)

    totals = MemberRow(member=CoalitionMember(coalition=coalition, name=""))
    for r in referrals:
        if not (period_lo <= r["sent_at"] < period_hi):
            continue
        sender = (
            by_org.get(r["referring_organization_id"])
            if r["referring_organization_id"]
            else by_school.get(r["school_id"])
        )
        receiver = by_org[r["organization_id"]]
        accepted, completed = _is_accepted(r), _is_completed(r)
        if sender is not None:
            sender.sent += 1
        totals.sent += 1
        for target in (receiver, totals):
            target.received += 1
            target.accepted += int(accepted)
            target.completed += int(completed)
            if r["responded_at"] is not None:
                seconds = (r["responded_at"] - r["sent_at"]).total_seconds()
                target.response_days.append(max(seconds, 0) / 86400)

    for c in commitments:
        promised = c.quantity
        delivered: Decimal | None
        if c.kind == CommitmentKind.REFERRALS_ACCEPTED:
            c_lo, c_hi = _bounds(coalition, c.starts_on, c.ends_on)
            org_id = c.member.organization_id
            delivered = Decimal(
                sum(
                    1
                    for r in referrals
                    if org_id
                    and r["organization_id"] == org_id
                    and c_lo <= r["sent_at"] < c_hi
                    and _is_accepted(r)
                )
            )
        else:
            delivered = c.entered
        rows[c.member_id].commitments.append(
            CommitmentRow(commitment=c, promised=promised, delivered=delivered)
        )

    held = Meeting.objects.filter(
        coalition=coalition,
        status=MeetingStatus.HELD,
        starts_at__gte=period_lo,
        starts_at__lt=period_hi,
    )
    meetings_held = held.count()
    attendance = (
        MeetingAttendee.objects.filter(
            meeting__in=held, present=True, coalition_member__coalition=coalition
        )
        .values_list("coalition_member_id", "meeting_id")
        .distinct()
    )
    for member_id, _meeting_id in attendance:
        if member_id in rows:
            rows[member_id].meetings_attended += 1
            totals.meetings_attended += 1

    entries = list(
        MeasureEntry.objects.filter(coalition=coalition, starts_on__lte=end, ends_on__gte=start)
        .select_related("member", "commitment", "member__organization", "member__school")
        .order_by("member_id", "-ends_on", "name", "pk")
    )
    return Measures(
        coalition=coalition,
        start=start,
        end=end,
        rows=list(rows.values()),
        totals=totals,
        meetings_held=meetings_held,
        entries=entries,
    )
