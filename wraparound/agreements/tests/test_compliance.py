"""The compliance dashboard: hand-made cases whose every figure is known (organizations and people
fully cleared, blockers by requirement and reason, what expires soon, the median days from first
submission to clearance, recent and earlier), in a fixed number of queries; the page is the
network admins' only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wraparound.agreements.compliance import compliance_summary
from wraparound.agreements.models import (
    PartnershipStatus,
    RecordStatus,
    RequirementKind,
    RequirementSubject,
)
from wraparound.agreements.tests.factories import (
    ClearanceRecordFactory,
    ClearanceRequirementFactory,
    StaffMemberFactory,
    signed_agreement,
)
from wraparound.assessments.tests.factories import PartnershipFactory, SchoolYearFactory
from wraparound.core.tests.factories import OrganizationFactory
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 15)


def utc(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def record(subject: Any, requirement: Any, **kw: Any) -> Any:
    """A record of an organization (subject is an Organization) or a person (a StaffMember)."""
    if hasattr(subject, "organization_id") and hasattr(subject, "first_name"):
        kw.update(person=subject)
    else:
        kw.update(person=None, organization=subject, network=subject.network)
    kw.setdefault("issued_on", dt.date(2026, 1, 1))
    return ClearanceRecordFactory(requirement=requirement, **kw)


def partnership(t: Any, organization: Any, **kw: Any) -> Any:
    return PartnershipFactory(
        school=t.schools[0],
        service=ServiceFactory(organization=organization),
        school_year=SchoolYearFactory(network=t.network),
        **kw,
    )


@pytest.fixture
def world(t1: Any, t2: Any) -> dict[str, Any]:
    network = t1.network  # America/New_York
    insurance = ClearanceRequirementFactory(
        network=network, name="Insurance", kind=RequirementKind.LIABILITY_INSURANCE,
        applies_to=RequirementSubject.ORGANIZATION, validity_months=12,
    )  # fmt: skip
    background = ClearanceRequirementFactory(
        network=network, name="Background check", applies_to=RequirementSubject.PERSON
    )
    # Neither counts: the signed MOU is per school, the other is no longer in effect.
    ClearanceRequirementFactory(
        network=network, name="Signed MOU", kind=RequirementKind.SIGNED_MOU,
        applies_to=RequirementSubject.ORGANIZATION, validity_months=None,
    )  # fmt: skip
    ClearanceRequirementFactory(network=network, name="Old rule", is_active=False)

    org_a, org_b = t1.org_a, t1.org_b
    partnership(t1, org_a)  # org A: an open partnership; org B: listed staff only
    org_c = OrganizationFactory(network=network, name="No partnership, no staff")
    org_d = OrganizationFactory(network=network, name="Ended partnership")
    partnership(t1, org_d, status=PartnershipStatus.ENDED)
    record(org_c, insurance, status=RecordStatus.REJECTED)

    # Org A: insured (first submitted late on 1 January in New York — 2 January in UTC —
    # cleared 11 January: 10 days on the network's clock), ending in 26 days.
    record(
        org_a, insurance, issued_on=dt.date(2026, 4, 10), expires_on=dt.date(2027, 4, 10),
        submitted_at=utc(2027, 1, 2, 3), reviewed_at=utc(2027, 1, 11, 15),
    )  # fmt: skip
    p1 = StaffMemberFactory(organization=org_a, first_name="Ada", last_name="One")
    # Rejected on 1 December, cleared on resubmission 20 December: 19 days from the first.
    record(
        p1, background, status=RecordStatus.REJECTED, rejection_reason="blurry",
        submitted_at=utc(2026, 12, 1, 15), reviewed_at=utc(2026, 12, 3, 15),
    )  # fmt: skip
    record(
        p1, background, expires_on=dt.date(2027, 5, 14),
        submitted_at=utc(2026, 12, 10, 15), reviewed_at=utc(2026, 12, 20, 15),
    )  # fmt: skip
    p2 = StaffMemberFactory(organization=org_a, first_name="Bo", last_name="Two")
    record(p2, background, status=RecordStatus.SUBMITTED, submitted_at=utc(2027, 3, 1, 15))
    p3 = StaffMemberFactory(organization=org_a, is_active=False)  # left; 7 days, long ago
    record(
        p3, background, expires_on=dt.date(2028, 2, 1),
        submitted_at=utc(2026, 2, 1, 15), reviewed_at=utc(2026, 2, 8, 15),
    )  # fmt: skip

    # Org B: insurance rejected, so none of its people is fully cleared.
    record(org_b, insurance, status=RecordStatus.REJECTED, rejection_reason="lapsed")
    p4 = StaffMemberFactory(organization=org_b, first_name="Cy", last_name="Four")
    record(
        p4, background, expires_on=dt.date(2027, 5, 15),  # 61 days: not "soon"
        submitted_at=utc(2026, 6, 1, 15), reviewed_at=utc(2026, 6, 5, 15),
    )  # fmt: skip
    p5 = StaffMemberFactory(organization=org_b, first_name="Di", last_name="Five")
    record(
        p5, background, issued_on=dt.date(2025, 1, 1), expires_on=dt.date(2027, 1, 1),
        submitted_at=utc(2025, 1, 1, 15), reviewed_at=utc(2025, 1, 31, 15),
    )  # fmt: skip
    # Cleared after "today", for a check issued after it: neither met nor a clearance yet.
    p6 = StaffMemberFactory(organization=org_a, first_name="Ed", last_name="Six")
    record(
        p6, background, issued_on=dt.date(2027, 3, 18), expires_on=dt.date(2029, 1, 1),
        submitted_at=utc(2027, 3, 10, 15), reviewed_at=utc(2027, 3, 20, 15),
    )  # fmt: skip

    # An MOU of org A ending in 5 days.
    mou = signed_agreement(partnership=partnership(t1, org_a), title="Tutoring MOU")
    version: Any = mou.signed_version
    version.term_end = dt.date(2027, 3, 20)
    version.save(update_fields=["term_end"])

    # The other tenant's records never count here.
    other = ClearanceRequirementFactory(network=t2.network, applies_to="organization")
    record(t2.org_a, other, submitted_at=utc(2027, 1, 1), reviewed_at=utc(2027, 3, 1))
    return {"t1": t1, "t2": t2, "insurance": insurance, "background": background}


def test_fully_cleared_organizations_and_people(world: dict[str, Any]) -> None:
    summary = compliance_summary(world["t1"].network, TODAY)
    # Org A (insured) of A and B; C has neither partnership nor staff, D's partnership ended.
    assert (summary.organizations.cleared, summary.organizations.total) == (1, 2)
    assert summary.organizations.percent == 50
    # Active people: Ada (cleared), Bo (waiting), Cy (org B not cleared), Di (expired), Ed
    # (a check issued only after today).
    assert (summary.people.cleared, summary.people.total) == (1, 5)


def test_what_blocks_the_rest(world: dict[str, Any]) -> None:
    summary = compliance_summary(world["t1"].network, TODAY)
    rows = {row.requirement.name: row for row in summary.blockers}
    assert set(rows) == {"Insurance", "Background check"}
    insurance = rows["Insurance"]
    assert (insurance.counted, insurance.missing, insurance.submitted) == (2, 0, 0)
    assert (insurance.rejected, insurance.expired, insurance.blocked) == (1, 0, 1)
    background = rows["Background check"]
    assert background.counted == 5
    assert (background.missing, background.submitted, background.rejected) == (1, 1, 0)
    assert (background.expired, background.blocked) == (1, 3)
    # Org B's own requirement fails; org A's are met but two of its three people are not
    # cleared (Bo waits for review, Ed is cleared only after today).
    org_b, org_a = summary.blocked_organizations
    assert org_b.name == world["t1"].org_b.name
    assert [i.state for i in org_b.items] == ["rejected"]
    assert (org_b.people.cleared, org_b.people.total) == (0, 2)
    assert org_a.name == world["t1"].org_a.name
    assert org_a.items == []
    assert (org_a.people.cleared, org_a.people.total) == (1, 3)


def test_expiring_soon_with_days_left_soonest_first(world: dict[str, Any]) -> None:
    summary = compliance_summary(world["t1"].network, TODAY)
    assert [(e.kind, e.label, e.who, e.days_left) for e in summary.expiring] == [
        ("agreement", "Tutoring MOU", world["t1"].org_a.name, 5),
        ("clearance", "Insurance", world["t1"].org_a.name, 26),
        ("clearance", "Background check", "Ada One", 60),
    ]
    assert summary.expiring[0].school == world["t1"].schools[0].name
    assert all(e.url.startswith("/") for e in summary.expiring)


def test_the_median_days_to_clearance(world: dict[str, Any]) -> None:
    t = compliance_summary(world["t1"].network, TODAY).time_to_clear
    # Chains: org A insurance 10, Ada 19 (from her first, rejected, submission), the departed
    # person 7, Cy 4, Di 30. Ed was cleared after today; Bo and org B have no clearance.
    assert (t.count, t.median_days) == (5, 10.0)
    # Cleared in the last 90 days (from 16 December): org A's 10 and Ada's 19.
    assert (t.recent_count, t.recent_median_days) == (2, 14.5)
    assert (t.earlier_count, t.earlier_median_days) == (3, 7.0)
    assert t.change_days == 7.5


def test_the_median_counts_days_on_the_networks_clock(world: dict[str, Any]) -> None:
    network = world["t1"].network
    network.time_zone = "UTC"
    network.save(update_fields=["time_zone"])
    t = compliance_summary(network, TODAY).time_to_clear
    # In UTC org A's insurance was submitted on 2 January: 9 days, not 10.
    assert t.recent_median_days == 14.0


def test_an_empty_network(t1: Any) -> None:
    summary = compliance_summary(t1.network, TODAY)
    assert (summary.organizations.total, summary.people.total) == (0, 0)
    assert summary.organizations.percent is None
    assert summary.blockers == [] and summary.expiring == []
    assert summary.time_to_clear.median_days is None and summary.time_to_clear.count == 0


def test_a_fixed_number_of_queries_whatever_the_size(world: dict[str, Any]) -> None:
    network = world["t1"].network
    with CaptureQueriesContext(connection) as small:
        compliance_summary(network, TODAY)
    for n in range(6):
        org = OrganizationFactory(network=network)
        partnership(world["t1"], org)
        record(org, world["insurance"], expires_on=dt.date(2027, 4, 1))
        for _ in range(3):
            person = StaffMemberFactory(organization=org)
            record(person, world["background"], expires_on=dt.date(2027, 4, 1 + n))
    with CaptureQueriesContext(connection) as large:
        summary = compliance_summary(network, TODAY)
    assert summary.organizations.total == 8 and summary.people.total == 23
    assert len(large.captured_queries) == len(small.captured_queries) <= 12


# --- the page ------------------------------------------------------------------------------------


def url(t: Any) -> str:
    return reverse("compliance_dashboard", args=[t.network.slug])


def test_the_page_shows_the_figures(world: dict[str, Any], as_user: Any) -> None:
    response = as_user(world["t1"].users["network_admin"]).get(url(world["t1"]))
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("Insurance", "Background check", "blockers-chart", world["t1"].org_b.name):
        assert text in body
    summary = response.context["summary"]
    assert summary.network == world["t1"].network
    assert response.context["chart"]["labels"] == ["Insurance", "Background check"]


def test_the_page_costs_the_same_queries_whatever_the_size(
    world: dict[str, Any], as_user: Any
) -> None:
    client = as_user(world["t1"].users["network_admin"])
    client.get(url(world["t1"]))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(world["t1"])).status_code == 200
        return len(queries)

    few = count()
    for _ in range(4):
        org = OrganizationFactory(network=world["t1"].network)
        partnership(world["t1"], org)
        StaffMemberFactory(organization=org)
    assert count() == few


def test_who_may_open_it(world: dict[str, Any], as_user: Any) -> None:
    for persona in PERSONAS:
        response = as_user(world["t1"].users[persona]).get(url(world["t1"]))
        expected = {"network_admin": 200, "outsider": 404}.get(persona, 403)
        assert response.status_code == expected, persona


def test_another_tenant_and_unknown_networks_are_404(world: dict[str, Any], as_user: Any) -> None:
    client = as_user(world["t2"].users["network_admin"])
    assert client.get(url(world["t1"])).status_code == 404
    assert client.get(reverse("compliance_dashboard", args=["nope"])).status_code == 404
    own = client.get(url(world["t2"]))
    assert own.status_code == 200
    assert world["t1"].org_b.name not in own.content.decode()


def test_anonymous_visitors_sign_in_first(world: dict[str, Any], client: Any) -> None:
    response = client.get(url(world["t1"]))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.post(url(world["t1"])).status_code in (302, 405)
