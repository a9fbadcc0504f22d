"""The partnership pages for every role: a school's (by year; its coordinators end partnerships)
and an organization's (its partner admins accept, decline and end). Bad input keeps what was
typed and writes nothing; query counts are bounded."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from wraparound.agreements.models import Partnership, PartnershipStatus
from wraparound.assessments.tests.factories import (
    NeedFactory,
    PartnershipFactory,
    SchoolYearFactory,
)
from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.tests.factories import ServiceFactory

SCHOOL_READERS = {
    "network_admin",
    "evaluator",
    "coordinator",
    "staff",
    "supervisor",
    "network_supervisor",
    "principal",
}
SCHOOL_ENDERS = {"network_admin", "coordinator"}
ORG_READERS = {"network_admin", "partner_admin", "partner_staff_a"}
ORG_ACTORS = {"network_admin", "partner_admin"}


@pytest.fixture
def world(t1: Any) -> dict[str, Any]:
    year = SchoolYearFactory.create(network=t1.network, end_year=2027, is_current=True)
    last_year = SchoolYearFactory.create(network=t1.network, end_year=2026)
    school = t1.schools[0]
    homework = ServiceFactory.create(organization=t1.org_a, name="Homework club")
    chess = ServiceFactory.create(organization=t1.org_a, name="Chess club")
    mentors = ServiceFactory.create(organization=t1.org_b, name="Mentors")
    need = NeedFactory.create(assessment__school=school, assessment__school_year=year)
    proposed = PartnershipFactory.create(
        school=school,
        service=homework,
        school_year=year,
        need=need,
        units=6,
        status=PartnershipStatus.PROPOSED,
        proposed_by=t1.users["coordinator"],
    )
    active = PartnershipFactory.create(
        school=school,
        service=chess,
        school_year=year,
        units=12,
        status=PartnershipStatus.ACTIVE,
        activated_at=timezone.now(),
    )
    ended = PartnershipFactory.create(
        school=school,
        service=homework,
        school_year=last_year,
        units=9,
        status=PartnershipStatus.ENDED,
        activated_at=timezone.now(),
        ended_reason="The grant ran out.",
    )
    other_org = PartnershipFactory.create(
        school=school, service=mentors, school_year=year, status=PartnershipStatus.PROPOSED
    )
    return {
        "t1": t1,
        "school": school,
        "year": year,
        "proposed": proposed,
        "active": active,
        "ended": ended,
        "other_org": other_org,
    }


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def school_url(world: dict[str, Any], name: str = "school_partnerships", **kw: Any) -> str:
    return reverse(name, kwargs={"school_pk": world["school"].pk, **kw})


def org_url(world: dict[str, Any], name: str = "organization_partnerships", **kw: Any) -> str:
    return reverse(name, kwargs={"org_pk": world["t1"].org_a.pk, **kw})


# --- the school's page ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_the_schools_partnerships(
    world: dict[str, Any], as_user: Any, persona: str
) -> None:
    response = as_user(world["t1"].users[persona]).get(school_url(world))
    if persona in SCHOOL_READERS:
        assert response.status_code == 200
        page = text(response)
        assert "Homework club" in page and "Chess club" in page and "Mentors" in page
        assert ("End partnership" in page) == (persona in SCHOOL_ENDERS)
    else:
        assert response.status_code == 404


def test_the_schools_partnerships_by_year_with_status(world: dict[str, Any], as_user: Any) -> None:
    page = text(as_user(world["t1"].users["principal"]).get(school_url(world)))
    assert page.index("2026-27") < page.index("2025-26")
    assert re.search(r"Tutoring A Homework club Category \d+ 6 proposed", page)
    assert re.search(r"Tutoring A Chess club — 12 active", page)
    assert "ended The grant ran out." in page


def test_other_tenants_get_404(world: dict[str, Any], as_user: Any, t2: Any) -> None:
    assert as_user(t2.users["network_admin"]).get(school_url(world)).status_code == 404
    assert as_user(t2.users["coordinator"]).get(school_url(world)).status_code == 404
    assert as_user(t2.users["partner_admin"]).get(org_url(world)).status_code == 404


def test_the_school_page_costs_a_bounded_number_of_queries(
    world: dict[str, Any], as_user: Any
) -> None:
    client = as_user(world["t1"].users["coordinator"])
    client.get(school_url(world))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(school_url(world)).status_code == 200
        return len(queries)

    few = count()
    for _ in range(10):
        PartnershipFactory.create(
            school=world["school"],
            service__organization=world["t1"].org_b,
            school_year=world["year"],
            need=NeedFactory.create(assessment=world["proposed"].need.assessment),
            proposed_by=world["t1"].users["coordinator"],
        )
    assert count() == few <= 10


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_end_from_the_school(world: dict[str, Any], as_user: Any, persona: str) -> None:
    url = school_url(world, "school_partnership_end", pk=world["active"].pk)
    response = as_user(world["t1"].users[persona]).post(
        url, {f"p{world['active'].pk}-reason": "Done."}
    )
    world["active"].refresh_from_db()
    if persona in SCHOOL_ENDERS:
        assert response.status_code == 302 and response["Location"] == school_url(world)
        assert world["active"].status == PartnershipStatus.ENDED
        assert world["active"].ended_reason == "Done."
    else:
        assert response.status_code == (403 if persona in SCHOOL_READERS else 404)
        assert world["active"].status == PartnershipStatus.ACTIVE


def test_ending_without_a_reason_keeps_the_page_and_writes_nothing(
    world: dict[str, Any], as_user: Any
) -> None:
    pk = world["active"].pk
    response = as_user(world["t1"].users["coordinator"]).post(
        school_url(world, "school_partnership_end", pk=pk), {f"p{pk}-reason": ""}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "This field is required." in text(response)
    assert f'id="id_p{pk}-reason"' in content
    world["active"].refresh_from_db()
    assert world["active"].status == PartnershipStatus.ACTIVE
    assert not AuditEvent.objects.filter(action="partnership.end").exists()


def test_ending_a_proposal_from_the_school_is_refused_clearly(
    world: dict[str, Any], as_user: Any
) -> None:
    pk = world["proposed"].pk
    response = as_user(world["t1"].users["coordinator"]).post(
        school_url(world, "school_partnership_end", pk=pk), {f"p{pk}-reason": "Changed our mind."}
    )
    assert response.status_code == 400
    assert "Only an active partnership can be ended; this one is proposed." in text(response)


def test_a_partnership_of_another_school_through_this_school_is_404(
    world: dict[str, Any], as_user: Any
) -> None:
    t1 = world["t1"]
    elsewhere = PartnershipFactory.create(
        school=t1.schools[1], service__organization=t1.org_a, school_year=world["year"]
    )
    response = as_user(t1.users["coordinator"]).post(
        school_url(world, "school_partnership_end", pk=elsewhere.pk),
        {f"p{elsewhere.pk}-reason": "Done."},
    )
    assert response.status_code == 404


# --- the organization's page ------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_the_organizations_partnerships(
    world: dict[str, Any], as_user: Any, persona: str
) -> None:
    response = as_user(world["t1"].users[persona]).get(org_url(world))
    if persona in ORG_READERS:
        assert response.status_code == 200
        page = text(response)
        assert "Homework club" in page and "Chess club" in page
        assert "Mentors" not in page  # another organization's
        assert ("Accept" in page) == (persona in ORG_ACTORS)
        assert ("Decline" in page) == (persona in ORG_ACTORS)
    else:
        assert response.status_code == 404


def test_the_organizations_partnerships_by_status(world: dict[str, Any], as_user: Any) -> None:
    page = text(as_user(world["t1"].users["partner_staff_a"]).get(org_url(world)))
    proposed, active, ended = (
        page.index("Proposed to you"),
        page.index("Active"),
        page.index("Ended or declined"),
    )
    assert proposed < page.index("Homework club") < active < page.index("Chess club") < ended
    assert "The grant ran out." in page
    assert "partner admins accept or decline proposals" in page


def test_the_organization_page_costs_a_bounded_number_of_queries(
    world: dict[str, Any], as_user: Any
) -> None:
    client = as_user(world["t1"].users["partner_admin"])
    client.get(org_url(world))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(org_url(world)).status_code == 200
        return len(queries)

    few = count()
    t1 = world["t1"]
    for n in range(10):
        PartnershipFactory.create(
            school=t1.schools[n % 5],
            service__organization=t1.org_a,
            school_year=world["year"],
            status=[PartnershipStatus.PROPOSED, PartnershipStatus.ACTIVE][n % 2],
            proposed_by=t1.users["coordinator"],
        )
    assert count() == few <= 10


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_accept(world: dict[str, Any], as_user: Any, persona: str) -> None:
    pk = world["proposed"].pk
    response = as_user(world["t1"].users[persona]).post(
        org_url(world, "organization_partnership_accept", pk=pk)
    )
    world["proposed"].refresh_from_db()
    if persona in ORG_ACTORS:
        assert response.status_code == 302 and response["Location"] == org_url(world)
        assert world["proposed"].status == PartnershipStatus.ACTIVE
        assert world["proposed"].activated_at is not None
    else:
        assert response.status_code == (403 if persona in ORG_READERS else 404)
        assert world["proposed"].status == PartnershipStatus.PROPOSED


def test_accepting_shows_it_active(world: dict[str, Any], as_user: Any) -> None:
    client = as_user(world["t1"].users["partner_admin"])
    pk = world["proposed"].pk
    response = client.post(org_url(world, "organization_partnership_accept", pk=pk), follow=True)
    page = text(response)
    assert f"Accepted: Homework club at {world['school'].name}. The partnership is active." in page
    active = page[page.index("Active", page.index("Proposed to you")) : page.index("Ended or")]
    assert "Homework club" in active and "Chess club" in active
    assert "No proposal is waiting for an answer." in page
    # Accepting twice says why it cannot, and changes nothing.
    response = client.post(org_url(world, "organization_partnership_accept", pk=pk), follow=True)
    assert "Only a proposed partnership can be answered; this one is active." in text(response)
    assert AuditEvent.objects.filter(action="partnership.accept").count() == 1


def test_another_organizations_partnership_through_this_organization_is_404(
    world: dict[str, Any], as_user: Any
) -> None:
    response = as_user(world["t1"].users["network_admin"]).post(
        org_url(world, "organization_partnership_accept", pk=world["other_org"].pk)
    )
    assert response.status_code == 404
    world["other_org"].refresh_from_db()
    assert world["other_org"].status == PartnershipStatus.PROPOSED


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_decline(world: dict[str, Any], as_user: Any, persona: str) -> None:
    pk = world["proposed"].pk
    response = as_user(world["t1"].users[persona]).post(
        org_url(world, "organization_partnership_decline", pk=pk),
        {f"p{pk}-reason": "No tutors left this term."},
    )
    world["proposed"].refresh_from_db()
    if persona in ORG_ACTORS:
        assert response.status_code == 302
        assert world["proposed"].status == PartnershipStatus.ENDED
        assert world["proposed"].ended_reason == "No tutors left this term."
    else:
        assert response.status_code == (403 if persona in ORG_READERS else 404)
        assert world["proposed"].status == PartnershipStatus.PROPOSED


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "This field is required."), ("x" * 301, "at most 300 characters")],
)
def test_declining_without_a_good_reason_keeps_what_was_typed(
    world: dict[str, Any], as_user: Any, reason: str, message: str
) -> None:
    pk = world["proposed"].pk
    response = as_user(world["t1"].users["partner_admin"]).post(
        org_url(world, "organization_partnership_decline", pk=pk), {f"p{pk}-reason": reason}
    )
    assert response.status_code == 400
    assert message in text(response)
    assert "<details open>" in response.content.decode()
    world["proposed"].refresh_from_db()
    assert world["proposed"].status == PartnershipStatus.PROPOSED
    assert not AuditEvent.objects.filter(action="partnership.decline").exists()


def test_the_partner_admin_ends_an_active_partnership(world: dict[str, Any], as_user: Any) -> None:
    pk = world["active"].pk
    client = as_user(world["t1"].users["partner_admin"])
    response = client.post(
        org_url(world, "organization_partnership_end", pk=pk), {f"p{pk}-reason": " "}
    )
    assert response.status_code == 400
    response = client.post(
        org_url(world, "organization_partnership_end", pk=pk),
        {f"p{pk}-reason": "Our chess coach moved away."},
        follow=True,
    )
    assert "Ended: Chess club" in text(response)
    world["active"].refresh_from_db()
    assert world["active"].status == PartnershipStatus.ENDED
    assert world["active"].status_changed_by == world["t1"].users["partner_admin"]


def test_partner_staff_may_not_end(world: dict[str, Any], as_user: Any) -> None:
    pk = world["active"].pk
    response = as_user(world["t1"].users["partner_staff_a"]).post(
        org_url(world, "organization_partnership_end", pk=pk), {f"p{pk}-reason": "No."}
    )
    assert response.status_code == 403


def test_actions_take_a_post(world: dict[str, Any], as_user: Any) -> None:
    client = as_user(world["t1"].users["partner_admin"])
    for name in ("organization_partnership_accept", "organization_partnership_decline"):
        assert client.get(org_url(world, name, pk=world["proposed"].pk)).status_code == 405
    assert (
        client.get(
            org_url(world, "organization_partnership_end", pk=world["active"].pk)
        ).status_code
        == 405
    )


def test_the_organization_page_links_to_its_partnerships(
    world: dict[str, Any], as_user: Any
) -> None:
    for persona in ("partner_admin", "partner_staff_a", "network_admin"):
        response = as_user(world["t1"].users[persona]).get(
            reverse("organization_detail", kwargs={"pk": world["t1"].org_a.pk})
        )
        assert org_url(world) in response.content.decode()


def test_nothing_is_written_by_a_refused_request(world: dict[str, Any], as_user: Any) -> None:
    before = list(Partnership.objects.values_list("pk", "status").order_by("pk"))
    as_user(world["t1"].users["partner_staff_b"]).post(
        org_url(world, "organization_partnership_accept", pk=world["proposed"].pk)
    )
    assert list(Partnership.objects.values_list("pk", "status").order_by("pk")) == before


def test_anonymous_users_are_sent_to_sign_in(world: dict[str, Any], client: Any) -> None:
    for url in (
        school_url(world),
        org_url(world),
        school_url(world, "school_partnership_end", pk=world["active"].pk),
        org_url(world, "organization_partnership_accept", pk=world["proposed"].pk),
    ):
        response = client.post(url) if url.endswith("/end/") or "accept" in url else client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    world["proposed"].refresh_from_db()
    assert world["proposed"].status == PartnershipStatus.PROPOSED
