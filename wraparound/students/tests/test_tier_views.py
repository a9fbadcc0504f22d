"""Tier pages for every persona: a student's tiers (assign, end), my caseload and a school's
tier distribution, with fixed query counts on the lists."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.urls import reverse

from wraparound.core.tests.personas import PERSONAS
from wraparound.students import tier_services as services
from wraparound.students.models import TierAssignment, TierDomain
from wraparound.students.tests.factories import StudentFactory

READERS = {"network_admin", "network_supervisor", "coordinator", "staff", "supervisor", "principal"}
ASSIGNERS = {"network_admin", "coordinator", "staff", "supervisor"}  # can_assign_tier
WITH_SCHOOL_ROLE = {"coordinator", "staff", "supervisor", "principal"}


def text(response: Any) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(body)).strip()


@pytest.fixture
def world(t1: Any) -> dict[str, Any]:
    student: Any = StudentFactory(school=t1.schools[0], given_name="Ana", family_name="Tier")
    assignment = services.tier_assign(
        user=t1.users["staff"],
        student=student,
        domain=TierDomain.ATTENDANCE,
        tier=2,
        reason="Missed 9 of 40 days.",
        starts_on=t1.network.today() - dt.timedelta(days=10),
    )
    return {"student": student, "assignment": assignment}


def assign_post(t1: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "assign-domain": "attendance",
        "assign-tier": "3",
        "assign-reason": "Missed 15 of 50 days.",
        "assign-starts_on": t1.network.today().isoformat(),
        "assign-ends_on": "",
        "assign-case_manager": "",
    }
    return data | overrides


@pytest.mark.parametrize("persona", PERSONAS)
def test_tier_list_by_persona(t1: Any, world: dict[str, Any], as_user: Any, persona: str) -> None:
    response = as_user(t1.users[persona]).get(reverse("tier_list", args=[world["student"].pk]))
    assert response.status_code == (200 if persona in READERS else 404)
    if persona in READERS:
        assert "Missed 9 of 40 days." in text(response)
        assert ("Assign a tier" in text(response)) == (persona in ASSIGNERS)


@pytest.mark.parametrize("persona", PERSONAS)
def test_tier_assign_by_persona(t1: Any, world: dict[str, Any], as_user: Any, persona: str) -> None:
    url = reverse("tier_assign", args=[world["student"].pk])
    response = as_user(t1.users[persona]).post(url, assign_post(t1))
    expected = 302 if persona in ASSIGNERS else 403 if persona in READERS else 404
    assert response.status_code == expected
    assert TierAssignment.objects.filter(tier=3).exists() == (persona in ASSIGNERS)


@pytest.mark.parametrize("persona", PERSONAS)
def test_tier_end_by_persona(t1: Any, world: dict[str, Any], as_user: Any, persona: str) -> None:
    url = reverse("tier_end", args=[world["student"].pk, world["assignment"].pk])
    response = as_user(t1.users[persona]).get(url)
    expected = 200 if persona in ASSIGNERS else 403 if persona in READERS else 404
    assert response.status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_caseload_by_persona(t1: Any, world: dict[str, Any], as_user: Any, persona: str) -> None:
    response = as_user(t1.users[persona]).get(reverse("caseload"))
    assert response.status_code == (200 if persona in WITH_SCHOOL_ROLE else 403)
    if persona in WITH_SCHOOL_ROLE:
        assert ("Ana Tier" in text(response)) == (persona == "staff")


@pytest.mark.parametrize("persona", PERSONAS)
def test_distribution_by_persona(
    t1: Any, world: dict[str, Any], as_user: Any, persona: str
) -> None:
    response = as_user(t1.users[persona]).get(reverse("tier_distribution", args=[t1.schools[0].pk]))
    if persona in READERS:
        assert response.status_code == 200
        assert "100% of students are at tier 2 or 3 in at least one domain" in text(response)
    else:
        # Evaluators see the school exists (403); partners and outsiders do not (404).
        assert response.status_code == (403 if persona == "evaluator" else 404)


def test_other_tenant_gets_404(t1: Any, t2: Any, world: dict[str, Any], as_user: Any) -> None:
    student, assignment = world["student"], world["assignment"]
    for persona in ("network_admin", "coordinator", "staff"):
        client = as_user(t2.users[persona])
        assert client.get(reverse("tier_list", args=[student.pk])).status_code == 404
        assert client.post(reverse("tier_assign", args=[student.pk]), {}).status_code == 404
        assert client.get(reverse("tier_end", args=[student.pk, assignment.pk])).status_code == 404
        url = reverse("tier_distribution", args=[t1.schools[0].pk])
        assert client.get(url).status_code == 404
        assert "Ana" not in text(client.get(reverse("caseload")))


def test_coordinator_of_another_school_gets_404(t1: Any, as_user: Any) -> None:
    elsewhere = StudentFactory(school=t1.schools[3])
    client = as_user(t1.users["coordinator"])
    assert client.get(reverse("tier_list", args=[elsewhere.pk])).status_code == 404
    assert client.get(reverse("tier_distribution", args=[t1.schools[3].pk])).status_code == 404


def test_assign_replaces_and_says_so(t1: Any, world: dict[str, Any], as_user: Any) -> None:
    client = as_user(t1.users["coordinator"])
    page = client.get(reverse("tier_list", args=[world["student"].pk]))
    assert "ends the current one there the day before" in text(page)
    response = client.post(reverse("tier_assign", args=[world["student"].pk]), assign_post(t1))
    assert response.status_code == 302
    world["assignment"].refresh_from_db()
    assert world["assignment"].ends_on == t1.network.today() - dt.timedelta(days=1)
    new = TierAssignment.objects.get(tier=3)
    assert new.case_manager == t1.users["coordinator"]


def test_assign_bad_input_keeps_what_was_typed(
    t1: Any, world: dict[str, Any], as_user: Any
) -> None:
    client = as_user(t1.users["coordinator"])
    url = reverse("tier_assign", args=[world["student"].pk])
    response = client.post(
        url, assign_post(t1, **{"assign-domain": "music", "assign-reason": "Kept reason"})
    )
    assert response.status_code == 400
    assert "Choose one of the domains listed." in text(response)
    assert "Kept reason" in text(response)
    early = (t1.network.today() - dt.timedelta(days=20)).isoformat()
    response = client.post(url, assign_post(t1, **{"assign-starts_on": early}))
    assert response.status_code == 400 and "already has an assignment" in text(response)
    response = client.post(url, assign_post(t1, **{"assign-case_manager": "999999"}))
    assert response.status_code == 400
    assert TierAssignment.objects.count() == 1


def test_end_through_the_page(t1: Any, world: dict[str, Any], as_user: Any) -> None:
    client = as_user(t1.users["staff"])
    url = reverse("tier_end", args=[world["student"].pk, world["assignment"].pk])
    response = client.post(url, {"ends_on": "not a date", "reason": "Better"})
    assert response.status_code == 400 and "YYYY-MM-DD" in text(response)
    today = t1.network.today().isoformat()
    response = client.post(url, {"ends_on": today, "reason": "Attendance back to 97%."})
    assert response.status_code == 302
    world["assignment"].refresh_from_db()
    assert world["assignment"].ends_on.isoformat() == today


def test_caseload_and_distribution_query_counts(
    t1: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    today = t1.network.today()
    for i in range(30):
        student: Any = StudentFactory(school=t1.schools[0], family_name=f"Case{i:02d}")
        services.tier_assign(
            user=t1.users["staff"],
            student=student,
            domain=TierDomain.BEHAVIOUR,
            tier=2 + i % 2,
            reason="Referrals.",
            starts_on=today,
        )
    client = as_user(t1.users["staff"])
    client.get(reverse("caseload"))
    # session + user + grants + students + their tiers (+1 for the page header)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("caseload"))
    assert text(response).count("behaviour (tier") == 30
    url = reverse("tier_distribution", args=[t1.schools[0].pk])
    with django_assert_max_num_queries(8):
        response = client.get(url)
    page = text(response)
    assert "100% of students are at tier 2 or 3 in at least one domain" in page
    assert "(30 of 30 active students)" in page
    list_url = reverse("tier_list", args=[student.pk])
    with django_assert_max_num_queries(10):
        assert client.get(list_url).status_code == 200
