"""The agreements and clearance API: /api/v1/clearance/check, /api/v1/agreements (list, one, the
data-sharing terms in force) — for every role (200, 403, 404), other tenants (404), anonymous
callers (401), bad input (400 naming the field) and a fixed number of queries on the list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wraparound.agreements.models import AgreementStatus, RequirementKind, RequirementSubject
from wraparound.agreements.tests.factories import (
    AgreementFactory,
    AgreementVersionFactory,
    ClearanceRecordFactory,
    ClearanceRequirementFactory,
    StaffMemberFactory,
    signed_agreement,
)
from wraparound.assessments.tests.factories import PartnershipFactory, SchoolYearFactory
from wraparound.core import services as core_services
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
NON_READERS = {"evaluator", "network_supervisor", "coalition_member", "outsider"}
DAY = "2027-03-01"


def bearer(user: Any) -> Client:
    _token, raw = core_services.api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def problems(response: Any) -> dict[str | None, str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "The request is not valid."
    return {e["field"]: e["message"] for e in body["errors"]}


def partnership(t: Any, organization: Any, school: Any) -> Any:
    return PartnershipFactory(
        school=school,
        network=t.network,
        service=ServiceFactory(organization=organization),
        organization=organization,
        school_year=SchoolYearFactory(network=t.network),
    )


@pytest.fixture
def world(t1: Any, t2: Any) -> dict[str, Any]:
    s0, s1, s2 = t1.schools[:3]
    a1 = signed_agreement(partnership=partnership(t1, t1.org_a, s0), title="A1 tutoring")
    a2 = AgreementFactory(partnership=partnership(t1, t1.org_b, s1), title="A2 mentoring draft")
    AgreementVersionFactory(agreement=a2)
    a3 = signed_agreement(partnership=partnership(t1, t1.org_a, None), title="A3 network-wide")
    a4 = signed_agreement(partnership=partnership(t1, t1.org_a, s2), title="A4 expired")
    a4.status = AgreementStatus.EXPIRED
    a4.save(update_fields=["status"])
    b1 = signed_agreement(partnership=partnership(t2, t2.org_a, t2.schools[0]), title="B1")

    background = ClearanceRequirementFactory(
        network=t1.network, name="Background check", applies_to=RequirementSubject.PERSON
    )
    insurance = ClearanceRequirementFactory(
        network=t1.network, name="Insurance", kind=RequirementKind.LIABILITY_INSURANCE,
        applies_to=RequirementSubject.ORGANIZATION,
    )  # fmt: skip
    ClearanceRecordFactory(
        person=None, organization=t1.org_a, network=t1.network, requirement=insurance,
        issued_on=dt.date(2026, 3, 11), expires_on=dt.date(2027, 3, 10),
    )  # fmt: skip
    cleared = StaffMemberFactory(organization=t1.org_a, first_name="Ada", last_name="Cleared")
    ClearanceRecordFactory(person=cleared, requirement=background, issued_on=dt.date(2026, 8, 1))
    waiting = StaffMemberFactory(organization=t1.org_a, first_name="Bo", last_name="Waiting")
    other = StaffMemberFactory(organization=t2.org_a)
    return {
        "t1": t1,
        "t2": t2,
        "a1": a1,
        "a2": a2,
        "a3": a3,
        "a4": a4,
        "b1": b1,
        "cleared": cleared,
        "waiting": waiting,
        "other": other,
    }


# Who reads which of t1's agreements (access.agreement_filter).
READS = {
    "network_admin": {"a1", "a2", "a3", "a4"},
    "coordinator": {"a1", "a2", "a3"},
    "staff": {"a1", "a3"},
    "supervisor": {"a1", "a3"},
    "principal": {"a1", "a3"},
    "partner_admin": {"a1", "a3", "a4"},
    "partner_staff_a": {"a1", "a3", "a4"},
    "partner_staff_b": {"a2"},
}


def expected_status(persona: str, key: str) -> int:
    if persona in NON_READERS:
        return 403
    return 200 if key in READS[persona] else 404


def titles(world: dict[str, Any], keys: set[str]) -> set[str]:
    return {world[k].title for k in keys}


# --- the clearance check -------------------------------------------------------------------------


def check(client: Client, person: Any, school: Any, day: str = DAY) -> Any:
    return client.get(
        f"{API}/clearance/check", {"person": person.pk, "school": school.pk, "date": day}
    )


def test_a_cleared_person_with_something_expiring(world: dict[str, Any]) -> None:
    t1 = world["t1"]
    response = check(bearer(t1.users["network_admin"]), world["cleared"], t1.schools[0])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["cleared"] is True
    assert body["missing"] == []
    [expiring] = body["expiring"]
    assert expiring["requirement"] == "Insurance" and expiring["state"] == "expiring"
    assert expiring["expires_on"] == "2027-03-10" and expiring["subject"] == "organization"
    assert body["person"]["name"] == "Ada Cleared"
    assert body["school"] == {"id": t1.schools[0].pk, "name": t1.schools[0].name}
    assert body["date"] == DAY


def test_what_is_missing(world: dict[str, Any]) -> None:
    t1 = world["t1"]
    body = check(bearer(t1.users["coordinator"]), world["waiting"], t1.schools[0]).json()
    assert body["cleared"] is False
    assert [(m["requirement"], m["state"]) for m in body["missing"]] == [
        ("Background check", "missing")
    ]
    # At a school where the organization has no partnership (org B works at school 1 only).
    person_b = StaffMemberFactory(organization=t1.org_b)
    body = check(bearer(t1.users["network_admin"]), person_b, t1.schools[3]).json()
    assert body["cleared"] is False
    assert "partnership" in [m["code"] for m in body["missing"]]


def test_an_empty_date_is_today_on_the_networks_clock(world: dict[str, Any]) -> None:
    t1 = world["t1"]
    body = check(bearer(t1.users["network_admin"]), world["cleared"], t1.schools[0], "").json()
    assert body["date"] == t1.network.today().isoformat()


def test_who_may_check(world: dict[str, Any]) -> None:
    t1 = world["t1"]
    for persona in PERSONAS:
        response = check(bearer(t1.users[persona]), world["cleared"], t1.schools[0])
        if persona in NON_READERS:
            expected = 403
        elif persona == "partner_staff_b":
            expected = 404  # another organization's person
        else:
            expected = 200
        assert response.status_code == expected, (persona, response.content)


def test_another_tenants_person_or_school_is_404(world: dict[str, Any]) -> None:
    t1, t2 = world["t1"], world["t2"]
    client = bearer(t1.users["network_admin"])
    assert check(client, world["other"], t1.schools[0]).status_code == 404
    assert check(client, world["cleared"], t2.schools[0]).status_code == 404
    t2_admin = bearer(t2.users["network_admin"])
    assert check(t2_admin, world["cleared"], t2.schools[0]).status_code == 404
    assert check(client, world["cleared"], t1.schools[0]).status_code == 200


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"date": "2027-02-30"}, "date", "YYYY-MM-DD"),
        ({"date": "03/01/2027"}, "date", "YYYY-MM-DD"),
        ({"date": "20270301"}, "date", "YYYY-MM-DD"),
        ({"date": "x" * 41}, "date", "at most 40"),
        ({"person": "abc"}, "person", "integer"),
        ({"person": "0"}, "person", "greater than or equal to 1"),
        ({"school": ""}, "school", "integer"),
    ],
)
def test_bad_input_is_400_naming_the_field(
    world: dict[str, Any], params: dict[str, str], field: str, words: str
) -> None:
    t1 = world["t1"]
    query = {"person": world["cleared"].pk, "school": t1.schools[0].pk, "date": DAY, **params}
    response = bearer(t1.users["network_admin"]).get(f"{API}/clearance/check", query)
    errors = problems(response)
    assert field in errors and words in errors[field], errors


def test_a_missing_parameter_is_400(world: dict[str, Any]) -> None:
    response = bearer(world["t1"].users["network_admin"]).get(
        f"{API}/clearance/check", {"school": world["t1"].schools[0].pk}
    )
    assert "person" in problems(response)


# --- agreements ----------------------------------------------------------------------------------


def test_the_list_is_what_the_caller_may_read(world: dict[str, Any]) -> None:
    for persona in PERSONAS:
        response = bearer(world["t1"].users[persona]).get(f"{API}/agreements")
        if persona in NON_READERS:
            assert response.status_code == 403, persona
            continue
        assert response.status_code == 200, response.content
        body = response.json()
        assert {a["title"] for a in body["items"]} == titles(world, READS[persona]), persona
        assert body["count"] == len(READS[persona])


def test_one_agreement_and_its_sharing_terms_by_role(world: dict[str, Any]) -> None:
    for persona in PERSONAS:
        client = bearer(world["t1"].users[persona])
        for key in ("a1", "a2", "a3", "a4", "b1"):
            response = client.get(f"{API}/agreements/{world[key].pk}")
            expected = expected_status(persona, key)
            assert response.status_code == expected, (persona, key, response.content)
        response = client.get(f"{API}/agreements/{world['a1'].pk}/data-sharing")
        assert response.status_code == expected_status(persona, "a1"), (persona, response.content)


def test_other_tenants_read_nothing_of_this_one(world: dict[str, Any]) -> None:
    t2 = world["t2"]
    for persona in ("network_admin", "coordinator", "partner_admin"):
        client = bearer(t2.users[persona])
        titles_seen = {a["title"] for a in client.get(f"{API}/agreements").json()["items"]}
        assert not titles_seen & titles(world, {"a1", "a2", "a3", "a4"})
        assert client.get(f"{API}/agreements/{world['a1'].pk}").status_code == 404
        assert client.get(f"{API}/agreements/{world['a1'].pk}/data-sharing").status_code == 404


def test_an_agreement_in_full(world: dict[str, Any]) -> None:
    a1 = world["a1"]
    body = bearer(world["t1"].users["partner_admin"]).get(f"{API}/agreements/{a1.pk}").json()
    assert body["title"] == "A1 tutoring" and body["status"] == "active"
    assert body["school"]["id"] == world["t1"].schools[0].pk
    assert body["organization"]["id"] == world["t1"].org_a.pk
    assert body["partnership_id"] == a1.partnership_id
    assert body["term"]["version"] == 1 and body["term"]["term_end"] == "2027-06-26"
    assert sorted(body["signatures"]["signed"]) == ["partner", "school"]
    assert body["signatures"]["awaiting"] == []
    version = body["version_in_force"]
    assert version == body["current_version"]
    assert [(r["party"], r["description"]) for r in version["responsibilities"]] == [
        ("school", "Provide a room"),
        ("partner", "Send tutors"),
    ]
    assert version["deliverables"][0]["description"] == "Small-group tutoring"
    sharing = version["data_sharing"]
    assert sharing["legal_basis"] == "school_official"
    assert sharing["data_elements"] == ["name", "grade", "attendance"]
    assert sharing["partner_roles"] == ["partner_staff"]
    assert (
        sharing["retention_ends_on"]
        == (a1.signed_version.term_end + dt.timedelta(days=365)).isoformat()
    )
    assert sharing["destruction_method"] == "secure_deletion"
    assert sharing["purpose"] == "To plan and deliver tutoring."
    assert len(version["signatures"]) == 2 and version["content_hash"]


def test_a_draft_has_no_version_in_force(world: dict[str, Any]) -> None:
    a2 = world["a2"]
    body = bearer(world["t1"].users["coordinator"]).get(f"{API}/agreements/{a2.pk}").json()
    assert body["status"] == "draft" and body["version_in_force"] is None
    assert body["current_version"]["status"] == "draft"
    assert body["current_version"]["data_sharing"] is None
    assert body["signatures"] == {"version": 1, "signed": [], "awaiting": []}


def test_the_data_sharing_terms_in_force(world: dict[str, Any]) -> None:
    client = bearer(world["t1"].users["partner_staff_a"])
    body = client.get(f"{API}/agreements/{world['a1'].pk}/data-sharing").json()
    assert body["agreement_id"] == world["a1"].pk and body["version"] == 1
    assert body["data_elements"] == ["name", "grade", "attendance"]
    assert body["legal_basis_label"]
    # Expired: nothing in force; a draft: never signed.
    assert client.get(f"{API}/agreements/{world['a4'].pk}/data-sharing").status_code == 404
    admin = bearer(world["t1"].users["network_admin"])
    assert admin.get(f"{API}/agreements/{world['a2'].pk}/data-sharing").status_code == 404


def test_the_list_filters(world: dict[str, Any]) -> None:
    t1 = world["t1"]
    client = bearer(t1.users["network_admin"])

    def listed(**params: Any) -> set[str]:
        response = client.get(f"{API}/agreements", params)
        assert response.status_code == 200, response.content
        return {a["title"] for a in response.json()["items"]}

    assert listed(status="active") == titles(world, {"a1", "a3"})
    assert listed(status="expired") == titles(world, {"a4"})
    assert listed(school=t1.schools[0].pk) == titles(world, {"a1"})
    assert listed(organization=t1.org_b.pk) == titles(world, {"a2"})
    assert listed(organization=world["t2"].org_a.pk) == set()
    page = client.get(f"{API}/agreements", {"page_size": 2}).json()
    assert page["count"] == 4 and len(page["items"]) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "signed"}, "status"),
        ({"school": "x"}, "school"),
        ({"organization": "-1"}, "organization"),
        ({"page": "0"}, "page"),
    ],
)
def test_bad_list_filters_are_400(
    world: dict[str, Any], params: dict[str, str], field: str
) -> None:
    response = bearer(world["t1"].users["network_admin"]).get(f"{API}/agreements", params)
    assert field in problems(response)


def test_an_unknown_agreement_is_404(world: dict[str, Any]) -> None:
    client = bearer(world["t1"].users["network_admin"])
    assert client.get(f"{API}/agreements/999999").status_code == 404
    assert client.get(f"{API}/agreements/999999/data-sharing").status_code == 404
    assert client.get(f"{API}/agreements/0").status_code == 400


def test_the_list_costs_a_fixed_number_of_queries(world: dict[str, Any]) -> None:
    t1 = world["t1"]
    client = bearer(t1.users["network_admin"])
    client.get(f"{API}/agreements")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{API}/agreements").status_code == 200
        return len(queries)

    few = count()
    for n in range(5):
        signed_agreement(partnership=partnership(t1, t1.org_b, t1.schools[n % 3]))
        draft = AgreementFactory(partnership=partnership(t1, t1.org_a, t1.schools[1]))
        AgreementVersionFactory(agreement=draft)
    assert count() == few


def test_every_endpoint_needs_authentication(world: dict[str, Any]) -> None:
    anonymous = Client()
    for path in (
        f"{API}/agreements",
        f"{API}/agreements/{world['a1'].pk}",
        f"{API}/agreements/{world['a1'].pk}/data-sharing",
        f"{API}/clearance/check?person={world['cleared'].pk}&school={world['t1'].schools[0].pk}",
    ):
        assert anonymous.get(path).status_code == 401, path


def test_the_session_works_for_the_browser(world: dict[str, Any], as_user: Any) -> None:
    client = as_user(world["t1"].users["principal"])
    assert client.get(f"{API}/agreements").status_code == 200


def test_the_openapi_lists_the_endpoints(world: dict[str, Any]) -> None:
    schema = Client().get(f"{API}/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/clearance/check",
        "/api/v1/agreements",
        "/api/v1/agreements/{agreement_id}",
        "/api/v1/agreements/{agreement_id}/data-sharing",
    ):
        assert path in paths, path
    assert paths["/api/v1/clearance/check"]["get"]["tags"] == ["clearance"]
    assert paths["/api/v1/agreements"]["get"]["tags"] == ["agreements"]


def test_the_status_filter_names_every_status() -> None:
    from wraparound.agreements.api_agreements import AgreementStatusCode
    from wraparound.agreements.models import AgreementStatus

    assert set(AgreementStatusCode.__args__) == set(AgreementStatus.values)
