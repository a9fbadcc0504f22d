"""Referrals you made: the referrals a school official made, every school at once — for every
persona, only their own, only where they are still an official, with the overdue answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from wraparound.core.models import Membership
from wraparound.core.tests.personas import PERSONAS
from wraparound.referrals.models import ReferralStatus
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

OFFICIALS = {
    "network_admin",
    "coordinator",
    "staff",
    "supervisor",
    "network_supervisor",
    "principal",
}


def _referral(t: Any, user: Any, school: Any, **kw: Any) -> Any:
    return ReferralFactory(
        student=StudentFactory(school=school, network=t.network),
        referred_by=user,
        **kw,
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona(t1: Any, as_user: Any, persona: str) -> None:
    user = t1.users[persona]
    school = t1.schools[0]
    mine = _referral(t1, user, school)
    theirs = _referral(t1, t1.users["coordinator" if persona != "coordinator" else "staff"], school)
    response = as_user(user).get(reverse("referrals_made"))
    assert response.status_code == (200 if persona in OFFICIALS else 403)
    if response.status_code == 200:
        body = response.content.decode()
        assert mine.student.display_name in body
        assert theirs.student.display_name not in body


def test_only_where_still_an_official_with_overdue_and_status_filter(
    t1: Any, t2: Any, as_user: Any
) -> None:
    coordinator = t1.users["coordinator"]
    today = t1.network.today()
    late = _referral(t1, coordinator, t1.schools[0], response_due_on=today - dt.timedelta(days=2))
    on_time = _referral(t1, coordinator, t1.schools[0], response_due_on=today)
    accepted = _referral(
        t1,
        coordinator,
        t1.schools[1],
        status=ReferralStatus.ACCEPTED,
        response_due_on=today - dt.timedelta(days=9),
    )
    # Made at a school of another network the coordinator no longer works for.
    gone = _referral(t2, coordinator, t2.schools[0])
    client = as_user(coordinator)
    response = client.get(reverse("referrals_made"))
    body = response.content.decode()
    for shown in (late, on_time, accepted):
        assert reverse("referral_detail", args=[shown.pk]) in body
    assert reverse("referral_detail", args=[gone.pk]) not in body
    assert response.context["overdue"] == 1
    assert "1 sent referral is past the day its answer was due" in body
    assert response.context["total"] == 3
    only = client.get(reverse("referrals_made"), {"status": "accepted"}).content.decode()
    assert reverse("referral_detail", args=[accepted.pk]) in only
    assert reverse("referral_detail", args=[late.pk]) not in only
    # An unknown status is ignored, as on the school's list: everything is shown.
    assert client.get(reverse("referrals_made"), {"status": "nonsense"}).context["status"] == ""
    # No longer an official of the second school: its referral leaves the page.
    Membership.objects.filter(user=coordinator, school=t1.schools[1]).delete()
    body = as_user(coordinator).get(reverse("referrals_made")).content.decode()
    assert reverse("referral_detail", args=[accepted.pk]) not in body


def test_query_count_does_not_grow_with_referrals(
    t1: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    coordinator = t1.users["coordinator"]
    _referral(t1, coordinator, t1.schools[0])
    client = as_user(coordinator)
    client.get(reverse("referrals_made"))
    for _ in range(20):
        _referral(t1, coordinator, t1.schools[0])
    with django_assert_max_num_queries(14):
        assert client.get(reverse("referrals_made")).status_code == 200
