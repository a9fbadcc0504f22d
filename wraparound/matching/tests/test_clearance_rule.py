"""Clearance as a matching rule: a service of an organization that does not meet the network's
organization requirements is left out (the "cleared" rule fails, saying why) or shown as pending
clearance, as the network chooses; an organization that meets them is neither. Both front doors —
the recommendations and the network allocation — obey the same facts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from wraparound.agreements.clearance import cleared_organizations
from wraparound.agreements.models import RecordStatus, RequirementKind, RequirementSubject
from wraparound.agreements.tests.factories import (
    ClearanceRecordFactory,
    ClearanceRequirementFactory,
    StaffMemberFactory,
)
from wraparound.core.models import AuditEvent, UnclearedServices
from wraparound.core.tests.factories import OrganizationFactory
from wraparound.matching.eligibility import RULE_BY_CODE, cleared_organization_ids, load_services
from wraparound.matching.network import build_problem, solve
from wraparound.matching.recommend import recommend

pytestmark = pytest.mark.django_db


def insurance(network: Any, **kw: Any) -> Any:
    return ClearanceRequirementFactory(
        network=network,
        name=kw.pop("name", "Liability insurance"),
        kind=kw.pop("kind", RequirementKind.LIABILITY_INSURANCE),
        applies_to=RequirementSubject.ORGANIZATION,
        **kw,
    )


def clear(organization: Any, requirement: Any, **kw: Any) -> Any:
    today = organization.network.today()
    kw.setdefault("issued_on", today - dt.timedelta(days=30))
    kw.setdefault("expires_on", today + dt.timedelta(days=300))
    return ClearanceRecordFactory(
        person=None,
        organization=organization,
        network=organization.network,
        requirement=requirement,
        **kw,
    )


def set_mode(network: Any, mode: str) -> None:
    network.uncleared_services = mode
    network.save(update_fields=["uncleared_services"])


def need(city: dict[str, Any]) -> Any:
    return (
        type(city["high"])
        .objects.select_related(
            "assessment__school__community",
            "assessment__school__network",
            "assessment__school_year",
        )
        .get(pk=city["high"].pk)
    )


def test_exclude_mode_leaves_the_service_out_with_the_cleared_rule_failing(city: Any) -> None:
    network = city["t"].network
    insurance(network)
    set_mode(network, UnclearedServices.EXCLUDE)
    result = recommend(need(city), limit=0)
    assert city["tutor"].pk not in [r.service.id for r in result.eligible]
    [exclusion] = [e for e in result.excluded if e.service.id == city["tutor"].pk]
    assert exclusion.codes == ["cleared"]
    assert exclusion.failed == [("cleared", "Its organization is not cleared to work on campus.")]
    assert str(RULE_BY_CODE["cleared"].label) == "clearance"
    facts = load_services(network, city["year"])[city["tutor"].pk]
    assert (facts.cleared, facts.pending_clearance) == (False, False)
    # The allocation plans nothing with it either.
    plan = solve(build_problem(network, city["year"]), "optimal")
    assert not [a for a in plan.assignments if a.service_id == city["tutor"].pk]


def test_pending_mode_lists_the_service_with_the_flag(city: Any, as_user: Any) -> None:
    network = city["t"].network
    insurance(network)
    set_mode(network, UnclearedServices.PENDING)
    result = recommend(need(city), limit=0)
    [rec] = [r for r in result.eligible if r.service.id == city["tutor"].pk]
    assert rec.pending_clearance and rec.service.pending_clearance and rec.service.cleared
    assert not [e for e in result.excluded if e.service.id == city["tutor"].pk]
    # The allocation ignores the flag: the service is planned as any other.
    plan = solve(build_problem(network, city["year"]), "optimal")
    assert [a for a in plan.assignments if a.service_id == city["tutor"].pk]
    # The school's gaps page badges it.
    school = city["high"].assessment.school
    page = as_user(city["t"].users["coordinator"]).get(
        reverse("school_gaps", kwargs={"school_pk": school.pk}), {"year": city["year"].end_year}
    )
    assert page.status_code == 200
    assert "pending clearance" in page.content.decode()


@pytest.mark.parametrize("mode", [UnclearedServices.EXCLUDE, UnclearedServices.PENDING])
def test_an_organization_meeting_every_requirement_is_neither(
    city: Any, as_user: Any, mode: str
) -> None:
    network = city["t"].network
    organization = city["tutor"].organization
    clear(organization, insurance(network))
    clear(organization, insurance(network, name="Registration", kind=RequirementKind.OTHER))
    set_mode(network, mode)
    result = recommend(need(city), limit=0)
    [rec] = [r for r in result.eligible if r.service.id == city["tutor"].pk]
    assert rec.service.cleared and not rec.pending_clearance
    school = city["high"].assessment.school
    page = as_user(city["t"].users["coordinator"]).get(
        reverse("school_gaps", kwargs={"school_pk": school.pk}), {"year": city["year"].end_year}
    )
    assert "pending clearance" not in page.content.decode()


def test_without_requirements_everyone_is_cleared(city: Any) -> None:
    network = city["t"].network
    set_mode(network, UnclearedServices.EXCLUDE)
    assert cleared_organization_ids(network) is None
    facts = load_services(network, city["year"])[city["tutor"].pk]
    assert facts.cleared and not facts.pending_clearance


def test_one_requirement_missing_is_enough_to_fail(city: Any) -> None:
    network = city["t"].network
    organization = city["tutor"].organization
    clear(organization, insurance(network))
    insurance(network, name="Registration", kind=RequirementKind.OTHER)
    set_mode(network, UnclearedServices.EXCLUDE)
    assert not load_services(network, city["year"])[city["tutor"].pk].cleared


def test_the_single_query_agrees_with_the_clearance_book(t1: Any, t2: Any) -> None:
    network = t1.network
    today = network.today()
    ins = insurance(network)
    reg = insurance(network, name="Registration", kind=RequirementKind.OTHER)
    # Neither of these counts for an organization.
    insurance(network, name="Signed MOU", kind=RequirementKind.SIGNED_MOU)
    insurance(network, name="Retired", is_active=False)
    ClearanceRequirementFactory(network=network, applies_to=RequirementSubject.PERSON)

    def org(name: str) -> Any:
        return OrganizationFactory(network=network, name=name)

    both = org("Both")
    clear(both, ins)
    clear(both, reg, expires_on=None)
    last_day = org("Both, one ending today")
    clear(last_day, ins, expires_on=today)
    clear(last_day, reg)
    expired = org("One expired")
    clear(expired, ins, expires_on=today - dt.timedelta(days=1))
    clear(expired, reg)
    future = org("One not yet issued")
    clear(future, ins, issued_on=today + dt.timedelta(days=1))
    clear(future, reg)
    waiting = org("One waiting for review")
    clear(waiting, ins, status=RecordStatus.SUBMITTED)
    clear(waiting, reg)
    person_only = org("A person's record is not the organization's")
    ClearanceRecordFactory(person=StaffMemberFactory(organization=person_only), requirement=ins)
    clear(person_only, reg)
    renewed = org("Expired, then renewed")
    clear(renewed, ins, expires_on=today - dt.timedelta(days=200))
    clear(renewed, ins)
    clear(renewed, reg)
    clear(t2.org_a, insurance(t2.network))  # another tenant's

    expected = cleared_organizations(network, today)
    assert cleared_organization_ids(network, day=today) == expected
    assert expected == {both.pk, last_day.pk, renewed.pk}
    subset = [both.pk, expired.pk, t2.org_a.pk]
    assert cleared_organization_ids(network, subset, today) == {both.pk}


def test_loading_the_facts_costs_one_query_more(
    city: Any, django_assert_max_num_queries: Any
) -> None:
    network = city["t"].network
    insurance(network)
    set_mode(network, UnclearedServices.EXCLUDE)
    with django_assert_max_num_queries(1):
        cleared_organization_ids(network)


# --- the setting --------------------------------------------------------------------------------


def settings_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "economically_disadvantaged": "1",
        "english_learners": "0",
        "students_with_disabilities": "0",
        "chronic_absenteeism": "0",
        "distance_km": "3",
        "uncleared_services": "exclude",
    }
    data.update(overrides)
    return data


def test_the_admin_chooses_the_mode(t1: Any, as_user: Any) -> None:
    network = t1.network
    url = reverse("network_matching_settings", args=[network.slug])
    client = as_user(t1.users["network_admin"])
    page = client.get(url).content.decode()
    assert 'name="uncleared_services"' in page and "<legend>" in page
    assert client.post(url, settings_data()).status_code == 302
    network.refresh_from_db()
    assert network.uncleared_services == UnclearedServices.EXCLUDE
    event = AuditEvent.objects.get(action="network.matching_settings")
    assert event.data["before"]["uncleared_services"] == "pending"
    assert event.data["after"]["uncleared_services"] == "exclude"
    # Posted without the choice (an older form): kept as it was.
    data = settings_data()
    del data["uncleared_services"]
    assert client.post(url, data).status_code == 302
    network.refresh_from_db()
    assert network.uncleared_services == UnclearedServices.EXCLUDE


def test_a_bad_mode_is_refused_and_nothing_is_saved(t1: Any, as_user: Any) -> None:
    network = t1.network
    url = reverse("network_matching_settings", args=[network.slug])
    response = as_user(t1.users["network_admin"]).post(
        url, settings_data(uncleared_services="sometimes", distance_km="4")
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    network.refresh_from_db()
    assert network.uncleared_services == UnclearedServices.PENDING
    assert str(network.match_distance_km) == "3.0"


@pytest.mark.parametrize("persona", ["evaluator", "coordinator", "partner_admin", "outsider"])
def test_nobody_else_changes_the_mode(t1: Any, t2: Any, as_user: Any, persona: str) -> None:
    network = t1.network
    url = reverse("network_matching_settings", args=[network.slug])
    response = as_user(t1.users[persona]).post(url, settings_data())
    assert response.status_code == (404 if persona == "outsider" else 403)
    other = as_user(t2.users["network_admin"]).post(url, settings_data())
    assert other.status_code == 404
    network.refresh_from_db()
    assert network.uncleared_services == UnclearedServices.PENDING


def test_the_service_refuses_an_unknown_mode(t1: Any) -> None:
    from django.core.exceptions import ValidationError

    from wraparound.matching.services import network_matching_update

    with pytest.raises(ValidationError) as caught:
        network_matching_update(
            actor=t1.users["network_admin"],
            network=t1.network,
            weights={"english_learners": 1},
            distance_km="3",
            uncleared_services="maybe",
        )
    assert "uncleared_services" in caught.value.message_dict
