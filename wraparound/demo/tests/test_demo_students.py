"""The demo's students and the loop (issue 6): realistic tier shares, referrals in every state,
each sent on a lawful ground that the partner's view honours, sessions and their rosters."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count, F

from wraparound.core.models import Disclosure
from wraparound.demo.generate import DemoData, seed_demo
from wraparound.demo.profiles import SMALL
from wraparound.referrals.business_days import add_business_days
from wraparound.referrals.holiday_selectors import holidays_between
from wraparound.referrals.models import (
    OPEN_REFERRAL_STATUSES,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ServiceSession,
    SessionAttendance,
    SessionKind,
)
from wraparound.students import visibility
from wraparound.students.models import Consent, Guardian, Student, TierAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def small() -> DemoData:
    return seed_demo(SMALL, seed=1)


def test_students_guardians_and_tier_shares_are_realistic(small: DemoData) -> None:
    network = small.network
    students = Student.objects.filter(network=network)
    assert students.count() == SMALL.students == small.counts()["students"]
    assert not students.filter(guardian_links__isnull=True).exists()
    assert Guardian.objects.filter(network=network).count() == small.counts()["guardians"]
    total = students.count()
    tier2 = students.filter(tiers__tier=2).distinct().count()
    tier3 = students.filter(tiers__tier=3).distinct().count()
    assert 0.10 <= tier2 / total <= 0.17  # a few tier-3 students are at tier 2 in another domain
    assert tier3 / total <= 0.05
    econ = students.filter(economically_disadvantaged=True).count() / total
    assert 0.70 < econ < 0.77
    assert students.exclude(given_name__regex=r"^[A-Za-z' -]+$").exists()  # non-ASCII names
    # Every tiered student's grade is one the school teaches.
    for s in students.select_related("school")[:300]:
        assert s.school is not None and s.grade in s.school.grades
    assert TierAssignment.objects.filter(network=network, case_manager__isnull=False).exists()


def test_referrals_cover_every_state_with_a_lawful_ground(small: DemoData) -> None:
    # The profile's referrals come from the schools; the coalition's cross-agency referrals
    # (wraparound/demo/conferences.py) come on top.
    every = Referral.objects.filter(network=small.network)
    referrals = every.filter(referring_organization__isnull=True)
    assert referrals.count() == SMALL.referrals
    cross = small.counts()["cross-agency referrals"]
    assert cross > 0 and every.count() == SMALL.referrals + cross
    by_status = Counter(referrals.values_list("status", flat=True))
    assert set(by_status) == set(ReferralStatus.values)
    for r in referrals.exclude(status=ReferralStatus.DRAFT).select_related("consent"):
        assert r.sent_at is not None and r.response_due_on is not None
        assert r.basis in ("school_official", "consent", "studies", "audit_evaluation")
        assert (r.data_sharing_id is None) != (r.consent_id is None)
        if r.consent is not None:
            assert r.consent.recipient_organization_id == r.organization_id
            assert set(r.shared_elements) <= set(r.consent.data_elements)
    # Each referral's events walk the state machine from draft to its status.
    events = ReferralEvent.objects.filter(referral__in=referrals)
    assert events.count() == small.counts()["referral events"]
    for r in referrals.annotate(n=Count("events"))[:50]:
        chain = list(r.events.values_list("from_status", "to_status"))
        assert chain[0] == ("", ReferralStatus.DRAFT)
        assert chain[-1][1] == r.status
        assert all(a == b for (_, a), (b, _) in itertools.pairwise(chain))
    assert not referrals.filter(status__in=OPEN_REFERRAL_STATUSES, closed_at__isnull=False).exists()


def test_the_demo_partner_sees_its_referrals_through_the_field_filter(small: DemoData) -> None:
    staff = get_user_model().objects.get(username="partnerstaff")
    org = small.organizations[0]
    mine = list(
        Referral.objects.filter(organization=org)
        .exclude(status=ReferralStatus.DRAFT)
        .select_related("student", "organization", "network")
    )
    assert {r.status for r in mine} >= {ReferralStatus.SENT, ReferralStatus.IN_SERVICE}
    reads = visibility.partner_views(user=staff, referrals=mine, purpose="demo test")
    assert all(read.view.elements for read in reads)  # each lawful ground still in force
    assert Disclosure.objects.filter(viewer=staff).count() >= len(mine)


def test_sessions_and_attendance(small: DemoData) -> None:
    sessions = ServiceSession.objects.filter(network=small.network)
    assert sessions.count() == SMALL.sessions
    kinds = Counter(sessions.values_list("kind", flat=True))
    assert kinds[SessionKind.GROUP] > 0 and kinds[SessionKind.INDIVIDUAL] > 0
    rows: Any = SessionAttendance.objects.filter(session__network=small.network)
    assert rows.count() == small.counts()["session attendance"]
    # Attendance is only ever for students whose referral reached service.
    assert not rows.exclude(
        referral__status__in=[ReferralStatus.IN_SERVICE, ReferralStatus.COMPLETED]
    ).exists()
    assert not rows.exclude(referral__student_id=F("student_id")).exists()


def test_reseeding_replaces_the_students(small: DemoData) -> None:
    again = seed_demo(SMALL, seed=1)
    assert Student.objects.count() == SMALL.students
    # Each cross-agency referral of the demo is sent on a consent of its own.
    counts = again.counts()
    assert (
        Consent.objects.filter(network=again.network).count()
        == counts["consents"] + counts["cross-agency referrals"]
    )


def test_response_due_days_skip_the_networks_holidays(small: DemoData) -> None:
    """Every sent referral's due day is the network's: business days after it was sent,
    the demo network's (US public) holidays left out, as a referral sent today would get."""
    network = small.network
    sent = Referral.objects.filter(network=network, sent_at__isnull=False)
    tz = network.tzinfo
    rows = [
        (at.astimezone(tz).date(), due)
        for at, due in sent.values_list("sent_at", "response_due_on")
        if at
    ]
    first = min(day for day, _due in rows)
    days_off = holidays_between(network, first, first + dt.timedelta(days=400))
    assert days_off  # the demo network keeps holidays
    across = 0
    for day, due in rows:
        assert due == add_business_days(day, network.referral_response_days, days_off)
        across += any(day < h <= due for h in days_off)
    assert across  # some deadlines run over a holiday (and were moved by it)
