"""Accountability measures on hand-made referrals and meetings: every figure asserted exactly,
with period boundaries on the network's clock, other coalitions' referrals, non-member
organizations and schools, and cancelled, scheduled and out-of-period meetings left out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from wraparound.coalitions import measures
from wraparound.coalitions.models import Commitment, CommitmentKind, MeasureEntry
from wraparound.core.models import SchoolYear
from wraparound.core.tests.factories import CoalitionFactory, OrganizationFactory
from wraparound.directory.tests.factories import ServiceFactory
from wraparound.meetings.models import AttendeeKind, Meeting, MeetingAttendee, MeetingStatus
from wraparound.referrals.models import ReferralEvent, ReferralStatus
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students.tests.factories import StudentFactory

from .world import World

START, END = dt.date(2026, 9, 1), dt.date(2026, 12, 31)


def at(w: World, y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(w.t.network.time_zone))


def referral(
    w: World,
    *,
    to: Any,
    sent_at: dt.datetime,
    by: Any = None,
    school: Any = None,
    coalition: Any = "default",
    status: str = ReferralStatus.SENT,
    responded_days: float | None = None,
    path: tuple[str, ...] = (),
) -> Any:
    """A referral to organization `to`, from organization `by` (tagged with the coalition) or,
    with `school`, made at that school (untagged unless `coalition` is given)."""
    student_school = school or w.t.schools[1]
    if coalition == "default":
        coalition = w.t.coalition if by is not None else None
    r = ReferralFactory(
        student=StudentFactory(school=student_school),
        service=ServiceFactory(organization=to),
        organization=to,
        referring_organization=by,
        coalition=coalition,
        status=status,
        sent_at=sent_at,
        responded_at=(
            sent_at + dt.timedelta(days=responded_days) if responded_days is not None else None
        ),
    )
    previous: str = ReferralStatus.SENT
    for step in path:
        ReferralEvent.objects.create(referral=r, from_status=previous, to_status=step)
        previous = step
    return r


@pytest.fixture
def hand_made(w1: World) -> World:
    w, t = w1, w1.t
    a, b = t.org_a, t.org_b
    outsider_org = OrganizationFactory(network=t.network, name="Not a member")
    other_coalition = CoalitionFactory(network=t.network, name="Another coalition")
    acc = (ReferralStatus.ACCEPTED,)
    # Counted.
    referral(
        w,
        by=a,
        to=b,
        sent_at=at(w, 2026, 9, 1, 0, 30),
        status="accepted",
        responded_days=2,
        path=acc,
    )  # R1: first minutes of the period
    referral(
        w,
        by=b,
        to=a,
        sent_at=at(w, 2026, 12, 31, 23, 0),
        status="completed",
        responded_days=1,
        path=("accepted", "in_service", "completed"),
    )  # R3: last hour
    referral(
        w,
        school=t.schools[0],
        to=a,
        sent_at=at(w, 2026, 10, 2),
        status="declined",
        responded_days=4,
        path=("declined",),
    )  # R7: from the member school
    referral(
        w,
        by=a,
        to=b,
        sent_at=at(w, 2026, 10, 5),
        status="closed",
        responded_days=5,
        path=("accepted", "closed"),
    )  # R9: accepted once, closed since
    referral(w, by=a, to=b, sent_at=at(w, 2026, 11, 5))  # R10: no answer yet
    # Not counted.
    referral(
        w,
        by=a,
        to=b,
        sent_at=at(w, 2026, 8, 31, 23, 30),
        status="accepted",
        responded_days=1,
        path=acc,
    )  # before the period (local time)
    referral(w, by=a, to=b, sent_at=at(w, 2027, 1, 1, 0, 0))  # after it
    referral(
        w,
        by=a,
        to=b,
        coalition=other_coalition,
        sent_at=at(w, 2026, 10, 1),
        status="accepted",
        responded_days=1,
        path=acc,
    )  # another coalition's
    referral(w, by=outsider_org, to=b, sent_at=at(w, 2026, 10, 1))  # from a non-member
    referral(w, by=a, to=outsider_org, sent_at=at(w, 2026, 10, 1))  # to a non-member
    referral(w, school=t.schools[3], to=a, sent_at=at(w, 2026, 10, 1))  # non-member school
    referral(
        w, school=t.schools[0], to=a, coalition=other_coalition, sent_at=at(w, 2026, 10, 1)
    )  # member school, tagged with another coalition
    referral(w, school=t.schools[0], to=outsider_org, sent_at=at(w, 2026, 10, 1))

    def meeting(when: dt.datetime, status: str, coalition: Any = None) -> Meeting:
        return Meeting.objects.create(
            network=t.network,
            coalition=coalition or t.coalition,
            title="Coalition meeting",
            starts_at=when,
            status=status,
        )

    def came(m: Meeting, member: Any, present: bool = True) -> None:
        MeetingAttendee.objects.create(
            meeting=m,
            name="Someone",
            kind=AttendeeKind.PARTNER,
            coalition_member=member,
            present=present,
        )

    m1 = meeting(at(w, 2026, 10, 1), MeetingStatus.HELD)
    came(m1, w.member_a)
    came(m1, w.member_b, present=False)
    came(m1, w.member_school)
    m2 = meeting(at(w, 2026, 11, 1), MeetingStatus.HELD)
    came(m2, w.member_a)
    came(m2, w.member_a)  # two people from one agency: one meeting attended
    came(meeting(at(w, 2026, 10, 15), MeetingStatus.CANCELLED), w.member_b)
    came(meeting(at(w, 2026, 8, 31, 23, 0), MeetingStatus.HELD), w.member_b)
    came(meeting(at(w, 2026, 12, 1), MeetingStatus.SCHEDULED), w.member_b)
    came(meeting(at(w, 2026, 10, 20), MeetingStatus.HELD, other_coalition), w.member_b)

    Commitment.objects.create(
        coalition=t.coalition,
        member=w.member_b,
        kind=CommitmentKind.REFERRALS_ACCEPTED,
        quantity=Decimal(10),
        unit="referrals",
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2026, 9, 30),
    )
    hours = Commitment.objects.create(
        coalition=t.coalition,
        member=w.member_a,
        kind=CommitmentKind.STAFF_HOURS,
        quantity=Decimal(40),
        unit="hours",
        starts_on=START,
        ends_on=END,
    )
    Commitment.objects.create(
        coalition=t.coalition,
        member=w.member_a,
        kind=CommitmentKind.SPACE,
        description="Gym on Saturdays",
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 6, 30),
    )
    for value in (12, 8):
        MeasureEntry.objects.create(
            coalition=t.coalition,
            member=w.member_a,
            commitment=hours,
            name="Tutoring hours",
            value=Decimal(value),
            unit="hours",
            starts_on=START,
            ends_on=END,
        )
    MeasureEntry.objects.create(
        coalition=t.coalition,
        name="Families at the resource fair",
        value=Decimal(140),
        starts_on=dt.date(2026, 10, 10),
        ends_on=dt.date(2026, 10, 10),
    )
    MeasureEntry.objects.create(
        coalition=t.coalition,
        name="Last year's count",
        value=Decimal(3),
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 1, 31),
    )
    return w


def test_referral_figures_per_member_and_totals(hand_made: World) -> None:
    w = hand_made
    figures = measures.compute(w.t.coalition, START, END)
    rows = {r.member.pk: r for r in figures.rows}
    a, b, school, agency = (
        rows[w.member_a.pk],
        rows[w.member_b.pk],
        rows[w.member_school.pk],
        rows[w.member_agency.pk],
    )
    assert (a.sent, a.received, a.accepted, a.completed) == (3, 2, 1, 1)
    assert a.acceptance_rate == 50.0
    assert a.median_response_days == 2.5  # 1 and 4 days
    assert (b.sent, b.received, b.accepted, b.completed) == (1, 3, 2, 0)
    assert b.acceptance_rate == 66.7
    assert b.median_response_days == 3.5  # 2 and 5 days; the unanswered one has none
    assert (school.sent, school.received, school.accepted) == (1, 0, 0)
    assert school.acceptance_rate is None and school.median_response_days is None
    assert (agency.sent, agency.received) == (0, 0)
    totals = figures.totals
    assert (totals.sent, totals.received, totals.accepted, totals.completed) == (5, 5, 3, 1)
    assert totals.acceptance_rate == 60.0
    assert totals.median_response_days == 3.0  # 1, 2, 4, 5


def test_meetings_attended_over_held_meetings(hand_made: World) -> None:
    w = hand_made
    figures = measures.compute(w.t.coalition, START, END)
    rows = {r.member.pk: r for r in figures.rows}
    assert figures.meetings_held == 2
    assert rows[w.member_a.pk].meetings_attended == 2
    assert rows[w.member_b.pk].meetings_attended == 0  # absent, cancelled, outside, elsewhere
    assert rows[w.member_school.pk].meetings_attended == 1
    assert figures.totals.meetings_attended == 3


def test_commitments_against_what_was_delivered(hand_made: World) -> None:
    w = hand_made
    figures = measures.compute(w.t.coalition, START, END)
    rows = {r.member.pk: r for r in figures.rows}
    (referrals,) = rows[w.member_b.pk].commitments
    # Accepted referrals to B sent in September: R1 only (R9 was sent in October).
    assert (referrals.promised, referrals.delivered, referrals.share) == (
        Decimal(10),
        Decimal(1),
        10.0,
    )
    (hours,) = rows[w.member_a.pk].commitments  # last year's space commitment is not in force
    assert (hours.promised, hours.delivered, hours.share) == (Decimal(40), Decimal(20), 50.0)


def test_entered_measures_of_the_period(hand_made: World) -> None:
    figures = measures.compute(hand_made.t.coalition, START, END)
    assert sorted((e.name, e.value) for e in figures.entries) == [
        ("Families at the resource fair", Decimal(140)),
        ("Tutoring hours", Decimal(8)),
        ("Tutoring hours", Decimal(12)),
    ]


def test_a_narrower_period_moves_the_boundaries(hand_made: World) -> None:
    w = hand_made
    figures = measures.compute(w.t.coalition, dt.date(2026, 9, 2), dt.date(2026, 12, 30))
    # R1 (Sept 1, 00:30) and R3 (Dec 31) fall out; R7, R9, R10 stay.
    assert (figures.totals.sent, figures.totals.accepted, figures.totals.completed) == (3, 1, 0)


def test_default_period_is_the_current_school_year(w1: World) -> None:
    t = w1.t
    SchoolYear.objects.create(
        network=t.network,
        end_year=2027,
        start_date=dt.date(2026, 9, 8),
        end_date=dt.date(2027, 6, 26),
        is_current=True,
    )
    assert measures.default_period(t.coalition) == (dt.date(2026, 9, 8), dt.date(2027, 6, 26))


def test_default_period_without_a_school_year_is_the_last_twelve_months(w1: World) -> None:
    start, end = measures.default_period(w1.t.coalition)
    assert end == w1.t.network.today()
    assert (end - start).days == 364


def test_measures_take_a_bounded_number_of_queries(
    hand_made: World, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(8):
        measures.compute(hand_made.t.coalition, START, END)
