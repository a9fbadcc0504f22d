"""Partnership services for every persona: propose (the school's coordinator or a network admin),
accept and decline (the organization's partner admin or a network admin), end (either side).
Bad input is refused with a clear message and nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.agreements.models import Partnership, PartnershipSource, PartnershipStatus
from wraparound.agreements.services import (
    partnership_accept,
    partnership_decline,
    partnership_end,
    partnership_propose,
)
from wraparound.assessments.tests.factories import (
    AssetFactory,
    NeedFactory,
    NeedsAssessmentFactory,
    PartnershipFactory,
    SchoolYearFactory,
)
from wraparound.core.models import AuditEvent, VettingStatus
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.models import ServiceStatus
from wraparound.directory.tests.factories import (
    ServiceAreaFactory,
    ServiceCapacityFactory,
    ServiceCategoryFactory,
    ServiceFactory,
    TaxonomyTermFactory,
)
from wraparound.matching.eligibility import sustained_pairs

PROPOSERS = {"network_admin", "coordinator"}
RESPONDERS = {"network_admin", "partner_admin"}  # partner admin of org A
ENDERS = {"network_admin", "coordinator", "partner_admin"}


@pytest.fixture
def world(t1: Any) -> dict[str, Any]:
    network = t1.network
    t1.org_a.vetting_status = VettingStatus.VETTED
    t1.org_a.save()
    year = SchoolYearFactory.create(network=network, end_year=2027, is_current=True)
    tutoring = TaxonomyTermFactory.create(taxonomy_ref__network=network, name="Tutoring")
    counseling = TaxonomyTermFactory.create(taxonomy_ref=tutoring.taxonomy_ref, name="Counseling")
    service = ServiceFactory.create(organization=t1.org_a, name="Homework club")
    ServiceCategoryFactory.create(service=service, taxonomy_term=tutoring)
    ServiceAreaFactory.create(service=service, community=t1.communities[0])
    ServiceCapacityFactory.create(service=service, available=10)
    assessment = NeedsAssessmentFactory.create(school=t1.schools[0], school_year=year)
    need = NeedFactory.create(assessment=assessment, category=tutoring, students=30)
    return {
        "t1": t1,
        "network": network,
        "year": year,
        "tutoring": tutoring,
        "counseling": counseling,
        "service": service,
        "assessment": assessment,
        "need": need,
        "school": t1.schools[0],
    }


def propose(world: dict[str, Any], actor: Any, **changes: Any) -> Partnership:
    kwargs: dict[str, Any] = {
        "actor": actor,
        "need": world["need"],
        "school": world["school"],
        "service": world["service"],
        "units": 6,
        "school_year": world["year"],
    }
    kwargs.update(changes)
    return partnership_propose(**kwargs)


def refused(world: dict[str, Any], actor: Any, **changes: Any) -> list[str]:
    """Propose and expect a refusal: its messages; nothing is written."""
    before = (Partnership.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as caught:
        propose(world, actor, **changes)
    assert (Partnership.objects.count(), AuditEvent.objects.count()) == before
    return caught.value.messages


# --- propose ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_propose(world: dict[str, Any], persona: str) -> None:
    user = world["t1"].users[persona]
    if persona in PROPOSERS:
        assert propose(world, user).status == PartnershipStatus.PROPOSED
    else:
        with pytest.raises(PermissionDenied):
            propose(world, user)
        assert not Partnership.objects.exists()


def test_another_networks_admin_may_not_propose(world: dict[str, Any], t2: Any) -> None:
    with pytest.raises(PermissionDenied):
        propose(world, t2.users["network_admin"])


def test_a_proposal_records_who_what_and_why(world: dict[str, Any]) -> None:
    coordinator = world["t1"].users["coordinator"]
    partnership = propose(world, coordinator, units=7, notes="  Tuesdays and Thursdays. ")
    assert partnership.network == world["network"]
    assert partnership.organization == world["t1"].org_a
    assert partnership.need == world["need"]
    assert partnership.units == 7
    assert partnership.source == PartnershipSource.RECOMMENDATION
    assert partnership.notes == "Tuesdays and Thursdays."
    assert partnership.proposed_by == coordinator
    assert partnership.status_changed_by == coordinator
    assert partnership.status_changed_at is not None
    assert partnership.activated_at is None
    event = AuditEvent.objects.get(action="partnership.propose")
    assert event.actor == coordinator
    assert event.target_id == str(partnership.pk)
    assert event.network == world["network"]
    assert event.data["units"] == 7 and event.data["need"] == world["need"].pk
    assert event.data["capacity_left"] == 10 and event.data["need_lacks"] == 30


def test_a_proposal_without_a_need(world: dict[str, Any]) -> None:
    partnership = propose(
        world, world["t1"].users["network_admin"], need=None, units=10, source="direct"
    )
    assert partnership.need is None and partnership.source == "direct"


@pytest.mark.parametrize("units", [0, -3])
def test_units_below_one_are_refused(world: dict[str, Any], units: int) -> None:
    messages = refused(world, world["t1"].users["coordinator"], units=units)
    assert messages == ["Propose at least one student or slot."]


def test_units_over_the_places_left_are_refused(world: dict[str, Any]) -> None:
    t1 = world["t1"]
    PartnershipFactory.create(
        school=t1.schools[1], service=world["service"], school_year=world["year"], units=7
    )
    messages = refused(world, t1.users["coordinator"], units=4)
    assert messages == ["Homework club has 3 places left this year; propose at most that many."]
    assert propose(world, t1.users["coordinator"], units=3).units == 3


def test_units_over_what_the_need_lacks_are_refused(world: dict[str, Any]) -> None:
    ServiceCapacityFactory.create(service=world["service"], available=100)
    AssetFactory.create(assessment=world["assessment"], category=world["tutoring"], students=22)
    messages = refused(world, world["t1"].users["coordinator"], units=9)
    assert messages == [
        "Only 8 students of this need have no proposal yet; propose at most that many."
    ]


def test_a_need_with_nothing_left_to_plan_is_refused(world: dict[str, Any]) -> None:
    AssetFactory.create(assessment=world["assessment"], category=world["tutoring"], students=30)
    messages = refused(world, world["t1"].users["coordinator"], units=1)
    assert "already covered or has a partnership proposed" in messages[0]


def test_a_second_open_proposal_for_the_same_school_service_and_year_is_refused(
    world: dict[str, Any],
) -> None:
    coordinator = world["t1"].users["coordinator"]
    propose(world, coordinator, units=2)
    messages = refused(world, coordinator, units=2)
    assert messages == [
        f"{world['school'].name} already has an open partnership with Homework club for "
        "2026-27; see the school's partnerships."
    ]


def test_a_proposal_racing_another_is_refused_clearly(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two coordinators click at the same moment: the check passes for both, the database's
    constraint stops the second, and it gets the same clear message, not an IntegrityError."""
    from django.db.models import QuerySet

    coordinator = world["t1"].users["coordinator"]
    propose(world, coordinator, units=2)
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)
    messages = refused(world, world["t1"].users["network_admin"], units=2)
    assert messages == [
        f"{world['school'].name} already has an open partnership with Homework club for 2026-27."
    ]


def test_a_new_proposal_after_one_ended_is_allowed(world: dict[str, Any]) -> None:
    PartnershipFactory.create(
        school=world["school"],
        service=world["service"],
        school_year=world["year"],
        status=PartnershipStatus.ENDED,
    )
    assert propose(world, world["t1"].users["coordinator"]).status == PartnershipStatus.PROPOSED


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("other_category", "cannot serve this need: It is not offered in this category."),
        ("suspended", "cannot serve this need: Its organization is not vetted by the network."),
        ("elsewhere", "cannot serve this need: It does not serve"),
        ("spanish", "cannot serve this need: It offers none of these languages: Spanish."),
        ("no_category", "cannot serve this need: It is not offered in this category."),
    ],
)
def test_an_ineligible_service_is_refused_with_the_rule_it_fails(
    world: dict[str, Any], change: str, words: str
) -> None:
    service, t1 = world["service"], world["t1"]
    if change == "other_category":
        world["need"].category = world["counseling"]
        world["need"].save()
    elif change == "suspended":
        t1.org_a.vetting_status = VettingStatus.SUSPENDED
        t1.org_a.save()
    elif change == "elsewhere":
        service.service_areas.all().delete()
    elif change == "spanish":
        world["need"].languages = "es"
        world["need"].save()
    elif change == "no_category":
        service.attributes.all().delete()
    messages = refused(world, t1.users["coordinator"])
    assert any(words in m for m in messages), messages


def test_an_inactive_service_is_refused(world: dict[str, Any]) -> None:
    world["service"].status = ServiceStatus.DEFUNCT
    world["service"].save()
    messages = refused(world, world["t1"].users["network_admin"], need=None)
    assert messages == ["Homework club is not active: defunct."]


def test_another_networks_service_need_or_year_is_refused(world: dict[str, Any], t2: Any) -> None:
    admin = world["t1"].users["network_admin"]
    foreign = ServiceFactory.create(organization__network=t2.network)
    assert refused(world, admin, service=foreign) == [
        "Choose a service of this network's directory."
    ]
    other_year = SchoolYearFactory.create(network=t2.network, end_year=2027)
    assert refused(world, admin, school_year=other_year) == [
        "Choose a school year of the school's network."
    ]
    other_school_need = NeedFactory.create(
        assessment=NeedsAssessmentFactory.create(
            school=world["t1"].schools[1], school_year=world["year"]
        ),
        category=world["tutoring"],
    )
    assert refused(world, admin, need=other_school_need) == [
        "Choose a need of this school's assessment."
    ]
    last_year = SchoolYearFactory.create(network=world["network"], end_year=2026)
    assert refused(world, admin, school_year=last_year) == [
        "Choose a need of this school's assessment."
    ]


# --- accept, decline, end ---------------------------------------------------------------------


@pytest.fixture
def proposed(world: dict[str, Any]) -> Partnership:
    return propose(world, world["t1"].users["coordinator"], units=5)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_accept(world: dict[str, Any], proposed: Partnership, persona: str) -> None:
    user = world["t1"].users[persona]
    if persona in RESPONDERS:
        accepted = partnership_accept(actor=user, partnership=proposed)
        assert accepted.status == PartnershipStatus.ACTIVE
        assert accepted.activated_at is not None
        assert accepted.status_changed_by == user
        assert AuditEvent.objects.filter(action="partnership.accept", actor=user).exists()
    else:
        with pytest.raises(PermissionDenied):
            partnership_accept(actor=user, partnership=proposed)
        proposed.refresh_from_db()
        assert proposed.status == PartnershipStatus.PROPOSED


def test_another_organizations_admin_may_not_accept(world: dict[str, Any], t2: Any) -> None:
    t1 = world["t1"]
    for_b = PartnershipFactory.create(
        school=t1.schools[0],
        service=ServiceFactory.create(organization=t1.org_b),
        school_year=world["year"],
        status=PartnershipStatus.PROPOSED,
    )
    with pytest.raises(PermissionDenied):
        partnership_accept(actor=t1.users["partner_admin"], partnership=for_b)
    with pytest.raises(PermissionDenied):
        partnership_accept(actor=t2.users["network_admin"], partnership=for_b)


def test_only_a_proposal_is_accepted_or_declined(
    world: dict[str, Any], proposed: Partnership
) -> None:
    admin = world["t1"].users["partner_admin"]
    partnership_accept(actor=admin, partnership=proposed)
    with pytest.raises(ValidationError, match="this one is active"):
        partnership_accept(actor=admin, partnership=proposed)
    with pytest.raises(ValidationError, match="this one is active"):
        partnership_decline(actor=admin, partnership=proposed, reason="No room.")


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_decline(world: dict[str, Any], proposed: Partnership, persona: str) -> None:
    user = world["t1"].users[persona]
    if persona in RESPONDERS:
        declined = partnership_decline(actor=user, partnership=proposed, reason=" No tutors left. ")
        assert declined.status == PartnershipStatus.ENDED
        assert declined.ended_reason == "No tutors left."
        assert declined.activated_at is None
        assert declined.status_changed_by == user
        event = AuditEvent.objects.get(action="partnership.decline")
        assert event.data == {"reason": "No tutors left."}
    else:
        with pytest.raises(PermissionDenied):
            partnership_decline(actor=user, partnership=proposed, reason="No.")
        proposed.refresh_from_db()
        assert proposed.status == PartnershipStatus.PROPOSED


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Say why the proposal is declined."), ("   ", "Say why the proposal is declined."),
     ("x" * 301, "Keep the reason under 300 characters.")],
)  # fmt: skip
def test_declining_needs_a_reason(
    world: dict[str, Any], proposed: Partnership, reason: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        partnership_decline(
            actor=world["t1"].users["partner_admin"], partnership=proposed, reason=reason
        )
    assert caught.value.message_dict == {"reason": [message]}
    proposed.refresh_from_db()
    assert proposed.status == PartnershipStatus.PROPOSED
    assert not AuditEvent.objects.filter(action="partnership.decline").exists()


def test_a_declined_proposal_frees_the_places_and_the_gap(
    world: dict[str, Any], proposed: Partnership
) -> None:
    partnership_decline(
        actor=world["t1"].users["partner_admin"], partnership=proposed, reason="Full."
    )
    # The same service can be proposed again for all 10 places.
    assert propose(world, world["t1"].users["coordinator"], units=10).units == 10


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_end(world: dict[str, Any], proposed: Partnership, persona: str) -> None:
    partnership_accept(actor=world["t1"].users["partner_admin"], partnership=proposed)
    user = world["t1"].users[persona]
    if persona in ENDERS:
        ended = partnership_end(actor=user, partnership=proposed, reason="The grant ended.")
        assert ended.status == PartnershipStatus.ENDED
        assert ended.ended_reason == "The grant ended."
        assert ended.activated_at is not None
        assert AuditEvent.objects.filter(action="partnership.end", actor=user).exists()
    else:
        with pytest.raises(PermissionDenied):
            partnership_end(actor=user, partnership=proposed, reason="No.")
        proposed.refresh_from_db()
        assert proposed.status == PartnershipStatus.ACTIVE


def test_another_schools_coordinator_may_not_end(world: dict[str, Any], t2: Any) -> None:
    t1 = world["t1"]
    elsewhere = PartnershipFactory.create(
        school=t1.schools[3], service=world["service"], school_year=world["year"]
    )
    with pytest.raises(PermissionDenied):
        partnership_end(actor=t1.users["coordinator"], partnership=elsewhere, reason="No.")
    with pytest.raises(PermissionDenied):
        partnership_end(actor=t2.users["network_admin"], partnership=elsewhere, reason="No.")


def test_only_an_active_partnership_ends_and_it_needs_a_reason(
    world: dict[str, Any], proposed: Partnership
) -> None:
    coordinator = world["t1"].users["coordinator"]
    with pytest.raises(ValidationError, match="this one is proposed"):
        partnership_end(actor=coordinator, partnership=proposed, reason="Not needed.")
    partnership_accept(actor=world["t1"].users["partner_admin"], partnership=proposed)
    with pytest.raises(ValidationError) as caught:
        partnership_end(actor=coordinator, partnership=proposed, reason=" ")
    assert caught.value.message_dict == {"reason": ["Say why the partnership ends."]}
    proposed.refresh_from_db()
    assert proposed.status == PartnershipStatus.ACTIVE


def test_an_accepted_then_ended_partnership_stays_a_sustained_relationship(
    world: dict[str, Any], proposed: Partnership
) -> None:
    assert sustained_pairs(world["network"], world["year"]) == frozenset()
    partnership_accept(actor=world["t1"].users["partner_admin"], partnership=proposed)
    partnership_end(actor=world["t1"].users["coordinator"], partnership=proposed, reason="Done.")
    assert sustained_pairs(world["network"], world["year"]) == frozenset(
        {(world["school"].pk, world["t1"].org_a.pk)}
    )
