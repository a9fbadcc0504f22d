"""The partnerships API (/api/v1/partnerships): propose (as the gaps page's one click), list and
read what the caller may see, accept, decline and end (as the organization's and the school's
partnership pages) — for every role (200/201, 403, 404), other tenants (404), anonymous callers
(401), bad input (400 with the service's words, nothing written) and a bounded number of
queries on the list."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from wraparound.agreements.models import Partnership, PartnershipSource, PartnershipStatus
from wraparound.assessments.tests.factories import (
    NeedFactory,
    NeedsAssessmentFactory,
    PartnershipFactory,
    SchoolYearFactory,
)
from wraparound.core import services as core_services
from wraparound.core.models import AuditEvent, VettingStatus
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.models import ServiceStatus, TaxonomyTerm
from wraparound.directory.taxonomy import taxonomy_ensure_default
from wraparound.directory.tests.factories import (
    ServiceAreaFactory,
    ServiceCapacityFactory,
    ServiceCategoryFactory,
    ServiceFactory,
)

SCHOOL_READERS = {
    "network_admin",
    "evaluator",
    "coordinator",
    "staff",
    "supervisor",
    "network_supervisor",
    "principal",
}
NETWORK_WIDE = {"network_admin", "evaluator", "network_supervisor"}
PROPOSERS = {"network_admin", "coordinator"}
RESPONDERS = {"network_admin", "partner_admin"}  # the organization's side
ENDERS = {"network_admin", "coordinator", "partner_admin"}  # either side


def bearer(user: Any) -> Client:
    _token, raw = core_services.api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def problems(response: Any) -> dict[str | None, str]:
    """A 400's errors by field."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "The request is not valid."
    return {e["field"]: e["message"] for e in body["errors"]}


def term(network: Any, code: str) -> TaxonomyTerm:
    return TaxonomyTerm.objects.get(network=network, code=code)


def add_service(network: Any, organization: Any, code: str, name: str, **kw: Any) -> Any:
    capacity = kw.pop("capacity", 10)
    service = ServiceFactory.create(organization=organization, name=name, **kw)
    ServiceCategoryFactory.create(service=service, taxonomy_term=term(network, code))
    ServiceAreaFactory.create(service=service, community=network.communities.order_by("pk")[0])
    ServiceCapacityFactory.create(service=service, available=capacity)
    return service


@pytest.fixture
def world(t1: Any, t2: Any) -> dict[str, Any]:
    network = t1.network
    taxonomy_ensure_default(network=network)
    for org in (t1.org_a, t1.org_b):
        org.vetting_status = VettingStatus.VETTED
        org.save()
    year = SchoolYearFactory.create(network=network, end_year=2027, is_current=True)
    last_year = SchoolYearFactory.create(network=network, end_year=2026)
    school = t1.schools[0]
    homework = add_service(network, t1.org_a, "tutoring", "Homework club")
    reading = add_service(network, t1.org_a, "tutoring", "Reading club")
    chess = add_service(network, t1.org_a, "tutoring", "Chess club")
    closed = add_service(
        network, t1.org_a, "tutoring", "Closed club", status=ServiceStatus.INACTIVE
    )
    counselors = add_service(network, t1.org_b, "counseling", "School counselors")
    mentors = add_service(network, t1.org_b, "mentoring", "Mentors")
    assessment = NeedsAssessmentFactory.create(school=school, school_year=year)
    tutoring = NeedFactory.create(
        assessment=assessment, category=term(network, "tutoring"), severity=4, students=30
    )
    proposed = PartnershipFactory.create(
        school=school, service=reading, school_year=year, units=3, status="proposed"
    )
    active = PartnershipFactory.create(
        school=school,
        service=chess,
        school_year=year,
        units=4,
        status=PartnershipStatus.ACTIVE,
        activated_at=timezone.now(),
    )
    ended = PartnershipFactory.create(
        school=school,
        service=chess,
        school_year=last_year,
        units=9,
        status=PartnershipStatus.ENDED,
        ended_reason="The grant ran out.",
    )
    other_org = PartnershipFactory.create(
        school=school, service=mentors, school_year=year, status=PartnershipStatus.PROPOSED
    )
    # At a school the personas of schools[0] do not see (the partner users do: their org's).
    elsewhere = PartnershipFactory.create(
        school=t1.schools[3], service=reading, school_year=year, status=PartnershipStatus.PROPOSED
    )
    foreign = PartnershipFactory.create(school=t2.schools[0], status=PartnershipStatus.PROPOSED)
    return {
        "t1": t1,
        "t2": t2,
        "network": network,
        "school": school,
        "year": year,
        "homework": homework,
        "closed": closed,
        "counselors": counselors,
        "tutoring": tutoring,
        "proposed": proposed,
        "active": active,
        "ended": ended,
        "other_org": other_org,
        "elsewhere": elsewhere,
        "foreign": foreign,
    }


def visible_to(world: dict[str, Any], persona: str) -> set[int]:
    at_school = {world[k].pk for k in ("proposed", "active", "ended", "other_org")}
    org_a = {world[k].pk for k in ("proposed", "active", "ended", "elsewhere")}
    if persona in NETWORK_WIDE:
        return at_school | org_a
    if persona in SCHOOL_READERS:
        return at_school
    if persona in {"partner_admin", "partner_staff_a"}:
        return org_a
    if persona == "partner_staff_b":
        return {world["other_org"].pk}
    return set()


# --- list and read -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_list_is_what_the_caller_may_see(world: dict[str, Any], persona: str) -> None:
    response = bearer(world["t1"].users[persona]).get("/api/v1/partnerships")
    assert response.status_code == 200
    body = response.json()
    assert {p["id"] for p in body["items"]} == visible_to(world, persona)
    assert body["count"] == len(visible_to(world, persona))


@pytest.mark.parametrize("persona", PERSONAS)
def test_one_partnership_by_role(world: dict[str, Any], persona: str) -> None:
    client = bearer(world["t1"].users[persona])
    for name in ("proposed", "elsewhere", "foreign"):
        partnership = world[name]
        response = client.get(f"/api/v1/partnerships/{partnership.pk}")
        expected = 200 if partnership.pk in visible_to(world, persona) else 404
        assert response.status_code == expected, name


def test_other_tenants_see_nothing_of_this_one(world: dict[str, Any]) -> None:
    client = bearer(world["t2"].users["network_admin"])
    assert {p["id"] for p in client.get("/api/v1/partnerships").json()["items"]} == {
        world["foreign"].pk
    }
    assert client.get(f"/api/v1/partnerships/{world['proposed'].pk}").status_code == 404
    # A filter naming another tenant's school finds nothing rather than leaking.
    listing = client.get("/api/v1/partnerships", {"school": world["school"].pk}).json()
    assert listing["count"] == 0


def test_a_partnership_in_full(world: dict[str, Any]) -> None:
    ended = world["ended"]
    body = bearer(world["t1"].users["principal"]).get(f"/api/v1/partnerships/{ended.pk}").json()
    assert body == {
        "id": ended.pk,
        "network_id": world["network"].pk,
        "school": {"id": world["school"].pk, "name": world["school"].name},
        "organization": {"id": world["t1"].org_a.pk, "name": world["t1"].org_a.name},
        "service": {"id": ended.service_id, "name": "Chess club"},
        "need": None,
        "school_year": 2026,
        "school_year_label": "2025-26",
        "units": 9,
        "status": "ended",
        "status_label": "ended",
        "source": "direct",
        "source_label": "entered directly",
        "notes": "",
        "ended_reason": "The grant ran out.",
        "allocation_run_id": None,
        "created_at": body["created_at"],
        "activated_at": None,
        "status_changed_at": None,
    }


def test_the_list_filters(world: dict[str, Any]) -> None:
    client = bearer(world["t1"].users["network_admin"])

    def ids(**params: Any) -> set[int]:
        return {p["id"] for p in client.get("/api/v1/partnerships", params).json()["items"]}

    assert ids(school=world["t1"].schools[3].pk) == {world["elsewhere"].pk}
    assert ids(organization=world["t1"].org_b.pk) == {world["other_org"].pk}
    assert ids(year=2026) == {world["ended"].pk}
    assert ids(status="active") == {world["active"].pk}
    assert ids(status="proposed", school=world["school"].pk) == {
        world["proposed"].pk,
        world["other_org"].pk,
    }
    assert ids(year=2030) == set()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "pending"}, "status"),
        ({"year": 1999}, "year"),
        ({"school": "north"}, "school"),
        ({"organization": 2**70}, "organization"),
        ({"page": 0}, "page"),
    ],
)
def test_bad_list_filters_are_400(
    world: dict[str, Any], params: dict[str, Any], field: str
) -> None:
    response = bearer(world["t1"].users["network_admin"]).get("/api/v1/partnerships", params)
    assert any(field in (name or "") for name in problems(response))


def test_the_list_costs_a_bounded_number_of_queries(
    world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = bearer(world["t1"].users["network_admin"])
    client.get("/api/v1/partnerships")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/partnerships")
    for n in range(20):
        service = ServiceFactory.create(organization=world["t1"].org_b, name=f"Club {n}")
        need = NeedFactory.create(assessment=world["tutoring"].assessment)
        PartnershipFactory.create(
            school=world["school"], service=service, school_year=world["year"], need=need
        )
    with django_assert_max_num_queries(len(few)):
        body = client.get("/api/v1/partnerships").json()
    assert body["count"] == 25
    assert sum(1 for p in body["items"] if p["need"] and p["need"]["category"]["name"]) == 20
    assert len(few) <= 8


# --- propose -----------------------------------------------------------------------------------


def proposal(world: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = {
        "school_id": world["school"].pk,
        "service_id": world["homework"].pk,
        "need_id": world["tutoring"].pk,
        "year": 2027,
        "units": 6,
        "notes": "Tuesdays and Thursdays.",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def propose(world: dict[str, Any], persona: str = "coordinator", **changes: Any) -> Any:
    client = bearer(world["t1"].users[persona])
    return client.post("/api/v1/partnerships", proposal(world, **changes), "application/json")


def test_the_coordinator_proposes(world: dict[str, Any]) -> None:
    response = propose(world)
    assert response.status_code == 201
    body = response.json()
    partnership = Partnership.objects.get(pk=body["id"])
    assert (partnership.status, partnership.units, partnership.need) == (
        PartnershipStatus.PROPOSED,
        6,
        world["tutoring"],
    )
    assert partnership.source == PartnershipSource.RECOMMENDATION
    assert partnership.proposed_by == world["t1"].users["coordinator"]
    assert body["status"] == "proposed" and body["units"] == 6
    assert body["need"]["id"] == world["tutoring"].pk
    assert body["need"]["category"]["code"] == "tutoring"
    assert body["organization"]["id"] == world["t1"].org_a.pk
    assert body["notes"] == "Tuesdays and Thursdays."
    assert AuditEvent.objects.filter(action="partnership.propose").count() == 1
    # The gap it answers now shows it.
    gaps = (
        bearer(world["t1"].users["principal"])
        .get(f"/api/v1/schools/{world['school'].pk}/gaps")
        .json()
    )
    [need] = [n for n in gaps["needs"] if n["id"] == world["tutoring"].pk]
    # 30 students − 4 (the active chess club, a tutoring service) = 26 open; proposed: these 6
    # and the reading club's 3; 17 unplanned.
    assert (need["active"], need["proposed"], need["unplanned"]) == (4, 9, 17)


def test_a_proposal_without_a_need_is_entered_directly(world: dict[str, Any]) -> None:
    response = propose(world, need_id=..., units=2)
    assert response.status_code == 201
    assert response.json()["need"] is None and response.json()["source"] == "direct"


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_propose(world: dict[str, Any], persona: str) -> None:
    before = Partnership.objects.count()
    response = propose(world, persona)
    if persona in PROPOSERS:
        assert response.status_code == 201
        assert Partnership.objects.count() == before + 1
    else:
        assert response.status_code == (403 if persona in SCHOOL_READERS else 404)
        assert Partnership.objects.count() == before


def test_another_tenant_may_not_propose_for_this_school(world: dict[str, Any]) -> None:
    before = Partnership.objects.count()
    response = bearer(world["t2"].users["network_admin"]).post(
        "/api/v1/partnerships", proposal(world), "application/json"
    )
    assert response.status_code == 404
    # Nor a coordinator for a school that is not theirs.
    assert propose(world, school_id=world["t1"].schools[3].pk).status_code == 404
    assert Partnership.objects.count() == before


def refused(world: dict[str, Any], **changes: Any) -> dict[str | None, str]:
    """A bad proposal: a 400 with the words; nothing is written."""
    client = bearer(world["t1"].users["coordinator"])
    partnerships, events = Partnership.objects.count(), AuditEvent.objects.count()
    response = client.post("/api/v1/partnerships", proposal(world, **changes), "application/json")
    errors = problems(response)
    assert Partnership.objects.count() == partnerships
    assert AuditEvent.objects.count() == events
    return errors


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"units": 0}, "units", "greater than or equal to 1"),
        ({"units": 100_001}, "units", "less than or equal to 100000"),
        ({"units": "six"}, "units", "valid integer"),
        ({"units": ...}, "units", "required"),
        ({"year": 1999}, "year", "greater than or equal to 2000"),
        ({"school_id": 0}, "school_id", "greater than or equal to 1"),
        ({"notes": "x" * 2001}, "notes", "at most 2000 characters"),
        ({"notes": "a\x00b"}, "notes", "Null characters are not allowed."),
        ({"units": 11}, "units", "Homework club has 10 places left this year"),
        ({"units": 31, "service_id": "chess"}, "service_id", "valid integer"),
        ({"year": 2030}, "year", "Choose a school year of this network."),
        ({"year": 2026}, "need_id", "Choose a need of this school's assessment."),
        ({"need_id": 999_999}, "need_id", "Choose a need of this school's assessment."),
        ({"service_id": 999_999}, "service_id", "Choose a service of this network's directory."),
    ],
)
def test_bad_proposals_are_400_with_the_words(
    world: dict[str, Any], changes: dict[str, Any], field: str, words: str
) -> None:
    assert words in refused(world, **changes)[field]


def test_an_ineligible_service_is_refused(world: dict[str, Any]) -> None:
    errors = refused(world, service_id=world["closed"].pk)
    assert "Closed club is not active" in errors["service_id"]
    errors = refused(world, service_id=world["counselors"].pk, units=1)
    assert (
        "School counselors cannot serve this need: It is not offered in this category."
        in errors["service_id"]
    )


def test_more_than_the_need_lacks_is_refused(world: dict[str, Any]) -> None:
    # 12 − 4 active (chess club) − 3 proposed (reading club) = 5 without a proposal.
    world["tutoring"].students = 12
    world["tutoring"].save()
    errors = refused(world, units=6)
    assert "Only 5 students of this need have no proposal yet" in errors["units"]


def test_a_duplicate_proposal_is_refused(world: dict[str, Any]) -> None:
    assert propose(world, units=2).status_code == 201
    errors = refused(world, units=2)
    assert "already has an open partnership with Homework club for 2026-27" in errors["__all__"]


def test_a_service_or_need_of_another_tenant_is_refused(world: dict[str, Any]) -> None:
    t2 = world["t2"]
    foreign_service = ServiceFactory.create(organization__network=t2.network)
    errors = refused(world, service_id=foreign_service.pk)
    assert errors["service_id"] == "Choose a service of this network's directory."
    foreign_need = NeedFactory.create(assessment__school=t2.schools[0])
    errors = refused(world, need_id=foreign_need.pk)
    assert errors["need_id"] == "Choose a need of this school's assessment."


def test_a_body_that_is_not_json_is_400(world: dict[str, Any]) -> None:
    client = bearer(world["t1"].users["coordinator"])
    response = client.post("/api/v1/partnerships", "units=6", "application/json")
    assert response.status_code == 400
    assert not Partnership.objects.filter(service=world["homework"]).exists()


# --- accept, decline, end ----------------------------------------------------------------------


def act(world: dict[str, Any], persona: str, name: str, action: str, **body: Any) -> Any:
    client = bearer(world["t1"].users[persona])
    return client.post(f"/api/v1/partnerships/{world[name].pk}/{action}", body, "application/json")


def expected_for(world: dict[str, Any], persona: str, name: str, allowed: set[str]) -> int:
    if world[name].pk not in visible_to(world, persona):
        return 404
    return 200 if persona in allowed else 403


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_accepts(world: dict[str, Any], persona: str) -> None:
    response = act(world, persona, "proposed", "accept")
    assert response.status_code == expected_for(world, persona, "proposed", RESPONDERS)
    world["proposed"].refresh_from_db()
    if response.status_code == 200:
        assert response.json()["status"] == "active"
        assert world["proposed"].status == PartnershipStatus.ACTIVE
        assert world["proposed"].activated_at is not None
    else:
        assert world["proposed"].status == PartnershipStatus.PROPOSED


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_declines(world: dict[str, Any], persona: str) -> None:
    response = act(world, persona, "proposed", "decline", reason="No tutors left this term.")
    assert response.status_code == expected_for(world, persona, "proposed", RESPONDERS)
    world["proposed"].refresh_from_db()
    if response.status_code == 200:
        assert response.json()["ended_reason"] == "No tutors left this term."
        assert world["proposed"].status == PartnershipStatus.ENDED
    else:
        assert world["proposed"].status == PartnershipStatus.PROPOSED


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_ends(world: dict[str, Any], persona: str) -> None:
    response = act(world, persona, "active", "end", reason="The school year ended early.")
    assert response.status_code == expected_for(world, persona, "active", ENDERS)
    world["active"].refresh_from_db()
    if response.status_code == 200:
        assert response.json()["status"] == "ended"
        assert world["active"].ended_reason == "The school year ended early."
    else:
        assert world["active"].status == PartnershipStatus.ACTIVE


def test_another_tenant_may_not_answer_or_end(world: dict[str, Any]) -> None:
    client = bearer(world["t2"].users["network_admin"])
    for name, action in (("proposed", "accept"), ("proposed", "decline"), ("active", "end")):
        response = client.post(
            f"/api/v1/partnerships/{world[name].pk}/{action}", {"reason": "x"}, "application/json"
        )
        assert response.status_code == 404, action
    assert Partnership.objects.filter(status=PartnershipStatus.ENDED).count() == 1


@pytest.mark.parametrize(
    ("name", "action", "body", "field", "words"),
    [
        ("proposed", "decline", {"reason": ""}, "reason", "Say why the proposal is declined."),
        ("proposed", "decline", {}, "reason", "Say why the proposal is declined."),
        ("proposed", "decline", {"reason": "x" * 301}, "reason", "under 300 characters"),
        ("proposed", "decline", {"reason": "x" * 2001}, "reason", "at most 2000"),
        ("proposed", "decline", {"reason": "\x00"}, "reason", "Null characters"),
        ("active", "end", {"reason": "   "}, "reason", "Say why the partnership ends."),
        ("active", "accept", {}, "__all__", "Only a proposed partnership can be answered"),
        ("active", "decline", {"reason": "No."}, "__all__", "this one is active"),
        ("proposed", "end", {"reason": "No."}, "__all__", "Only an active partnership"),
        ("ended", "end", {"reason": "Again."}, "__all__", "this one is ended"),
    ],
)
def test_bad_answers_are_400_and_change_nothing(
    world: dict[str, Any], name: str, action: str, body: dict[str, Any], field: str, words: str
) -> None:
    client = bearer(world["t1"].users["network_admin"])
    events = AuditEvent.objects.count()
    status = world[name].status
    response = client.post(
        f"/api/v1/partnerships/{world[name].pk}/{action}", body, "application/json"
    )
    assert words in problems(response)[field]
    world[name].refresh_from_db()
    assert world[name].status == status
    assert AuditEvent.objects.count() == events


def test_an_unknown_or_out_of_range_partnership(world: dict[str, Any]) -> None:
    client = bearer(world["t1"].users["network_admin"])
    assert client.get("/api/v1/partnerships/999999").status_code == 404
    assert client.post("/api/v1/partnerships/999999/accept").status_code == 404
    assert client.get(f"/api/v1/partnerships/{2**70}").status_code == 400
    assert client.get("/api/v1/partnerships/abc").status_code == 400


# --- anonymous ---------------------------------------------------------------------------------


def test_every_partnership_endpoint_needs_authentication(
    world: dict[str, Any], client: Client
) -> None:
    pk = world["proposed"].pk
    for path in ("/api/v1/partnerships", f"/api/v1/partnerships/{pk}"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert "Bearer" in response.json()["detail"]
    for path in (
        "/api/v1/partnerships",
        f"/api/v1/partnerships/{pk}/accept",
        f"/api/v1/partnerships/{pk}/decline",
        f"/api/v1/partnerships/{world['active'].pk}/end",
    ):
        response = client.post(path, proposal(world) | {"reason": "x"}, "application/json")
        assert response.status_code == 401, path
    world["proposed"].refresh_from_db()
    assert world["proposed"].status == PartnershipStatus.PROPOSED
    assert Partnership.objects.count() == 6


def test_the_session_works_for_the_browser(world: dict[str, Any], as_user: Any) -> None:
    client = as_user(world["t1"].users["partner_admin"])
    response = client.post(
        f"/api/v1/partnerships/{world['proposed'].pk}/accept", {}, "application/json"
    )
    assert response.status_code == 200


def test_the_status_filter_names_every_status() -> None:
    from wraparound.agreements.api import StatusCode

    assert set(StatusCode.__args__) == set(PartnershipStatus.values)


def test_the_api_guide_and_the_openapi_list_the_partnership_endpoints(
    t1: Any, client: Client, as_user: Any
) -> None:
    paths = {
        "/api/v1/partnerships",
        "/api/v1/partnerships/{partnership_id}",
        "/api/v1/partnerships/{partnership_id}/accept",
        "/api/v1/partnerships/{partnership_id}/decline",
        "/api/v1/partnerships/{partnership_id}/end",
    }
    assert paths <= set(client.get("/api/v1/openapi.json").json()["paths"])
    page = as_user(t1.users["partner_admin"]).get(reverse("api_guide")).content.decode()
    for path in paths:
        assert f"<code>{path}</code>" in page
