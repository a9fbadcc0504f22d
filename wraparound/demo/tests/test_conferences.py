"""The demo's family team conferences and cross-agency referrals (issue 8), on the personas'
tenant dressed as a demo network (cheaper than a whole `small` seed)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from wraparound.coalitions.models import CoalitionMember
from wraparound.conferences import conference_selectors
from wraparound.conferences.models import FamilyTeamConference
from wraparound.core.tests.personas import Tenant
from wraparound.demo.conferences import generate_conferences
from wraparound.demo.generate import DemoData
from wraparound.demo.profiles import SMALL
from wraparound.referrals import referral_selectors
from wraparound.referrals.models import Referral
from wraparound.students.tests.factories import StudentGuardianFactory
from wraparound.students.tests.world import student_world

pytestmark = pytest.mark.django_db

LOGINS = {"staff": "socialworker", "partner_staff_a": "partnerstaff", "coordinator": "coordinator"}


def _data(t1: Tenant) -> DemoData:
    w = student_world(t1)
    StudentGuardianFactory(student=w.own)
    for persona, username in LOGINS.items():
        user = t1.users[persona]
        user.username = username
        user.save(update_fields=["username"])
    return DemoData(
        profile=SMALL,
        seed=1,
        network=t1.network,
        schools=list(t1.schools),
        organizations=[t1.org_a, t1.org_b],
        organization_communities=[t1.communities[0], t1.communities[0]],
        coalitions=[t1.coalition],
        users=[t1.users[p] for p in LOGINS],
    )


def _snapshot() -> list[Any]:
    return [
        (c.student_id, c.guardian_id, c.held_on, c.strengths, c.participants.count())
        for c in FamilyTeamConference.objects.order_by("pk")
    ] + list(
        Referral.objects.filter(referring_organization__isnull=False)
        .order_by("pk")
        .values_list("student_id", "service_id", "status")
    )


def test_conferences_and_cross_agency_referrals(t1: Tenant) -> None:
    data = _data(t1)
    counts = generate_conferences(data, random.Random(1))
    assert counts["conferences"] == 2  # one student served by the demo partner, one family
    assert counts["cross-agency referrals"] == 2
    conferences = list(FamilyTeamConference.objects.all())
    assert all(c.has_consent and c.status == "held" for c in conferences)
    assert any(c.guardian_id for c in conferences)
    assert all(c.participants.filter(kind="family").exists() for c in conferences)
    assert all(c.actions.exists() and c.needs.exists() for c in conferences)
    worker, coordinator = t1.users["staff"], t1.users["coordinator"]
    assert conference_selectors.visible_conferences(worker).count() == 2
    # The coordinator was absent from the first conference: it does not see it.
    assert conference_selectors.visible_conferences(coordinator).count() == 1
    assert conference_selectors.visible_conferences(t1.users["network_admin"]).count() == 0
    # Both member agencies of the first coalition; the referrals are in its list.
    assert CoalitionMember.objects.filter(coalition=t1.coalition, is_active=True).count() == 2
    funnel, _rows = referral_selectors.coalition_referrals(
        t1.users["coalition_member"], t1.coalition
    )
    assert sum(funnel.values()) == 2
    for r in Referral.objects.filter(referring_organization=t1.org_a):
        assert r.organization == t1.org_b and r.coalition == t1.coalition
        assert r.consent is not None and r.consent.recipient_organization == t1.org_b


def test_same_seed_same_data(t1: Tenant) -> None:
    data = _data(t1)
    generate_conferences(data, random.Random(7))
    first = _snapshot()
    FamilyTeamConference.objects.all().delete()
    Referral.objects.filter(referring_organization__isnull=False).delete()
    generate_conferences(data, random.Random(7))
    assert _snapshot() == first


def test_reset(t1: Tenant) -> None:
    from wraparound.demo.conferences import reset_conferences

    generate_conferences(_data(t1), random.Random(1))
    reset_conferences(t1.network.pk)
    assert not FamilyTeamConference.objects.exists()
