"""The clearance answers themselves (agreements.clearance): validity on calendar days, "today" on
the network's clock, each requirement's state, and the rules around it (an active partnership
with the school, the person's assignment, a signed MOU in force, the organization's own
requirements)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wraparound.agreements.clearance import (
    EXPIRING_WITHIN_DAYS,
    ClearanceBook,
    check_person,
    cleared_organizations,
    days_left,
    valid_through,
)
from wraparound.agreements.models import (
    ClearanceRecord,
    PartnershipStatus,
    RecordStatus,
    RequirementKind,
    RequirementSubject,
    StaffMember,
)
from wraparound.agreements.tests.factories import (
    ClearanceRecordFactory,
    ClearanceRequirementFactory,
    StaffMemberFactory,
    signed_agreement,
)
from wraparound.assessments.tests.factories import PartnershipFactory, SchoolYearFactory
from wraparound.core.models import Network
from wraparound.core.tests.factories import (
    CommunityFactory,
    NetworkFactory,
    OrganizationFactory,
    SchoolFactory,
)
from wraparound.directory.tests.factories import ServiceFactory

UTC = dt.UTC
DAY = dt.date(2027, 2, 1)  # a Monday in the 2026-27 school year


# --- validity on calendar days ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued", "months", "through"),
    [
        (dt.date(2028, 2, 29), 12, dt.date(2029, 2, 28)),  # a leap day, a year on
        (dt.date(2028, 2, 29), 48, dt.date(2032, 2, 29)),  # four years on: a leap day again
        (dt.date(2027, 1, 31), 1, dt.date(2027, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2027, 3, 31), 1, dt.date(2027, 4, 30)),
        (dt.date(2026, 8, 15), 24, dt.date(2028, 8, 15)),
        (dt.date(2026, 12, 31), 2, dt.date(2027, 2, 28)),
        (dt.date(2026, 8, 15), None, None),
    ],
)
def test_validity_months_land_on_calendar_days(
    issued: dt.date, months: int | None, through: dt.date | None
) -> None:
    assert valid_through(issued, months) == through


def test_days_left_counts_to_the_last_valid_day() -> None:
    assert days_left(dt.date(2027, 3, 1), dt.date(2027, 2, 28)) == 1
    assert days_left(dt.date(2028, 3, 1), dt.date(2028, 2, 28)) == 2  # through 29 February
    assert days_left(dt.date(2027, 2, 28), dt.date(2027, 2, 28)) == 0
    assert days_left(dt.date(2027, 2, 28), dt.date(2027, 3, 1)) == -1


def test_a_record_is_valid_from_its_issue_through_its_last_day_inclusive() -> None:
    record = ClearanceRecord(
        status=RecordStatus.CLEARED, issued_on=dt.date(2026, 9, 1), expires_on=dt.date(2027, 2, 28)
    )
    assert not record.valid_on(dt.date(2026, 8, 31))
    assert record.valid_on(dt.date(2026, 9, 1))
    assert record.valid_on(dt.date(2027, 2, 28))
    assert not record.valid_on(dt.date(2027, 3, 1))
    endless = ClearanceRecord(status=RecordStatus.CLEARED, issued_on=dt.date(2020, 1, 1))
    assert endless.valid_on(dt.date(2099, 12, 31))


@pytest.mark.parametrize("status", [RecordStatus.SUBMITTED, RecordStatus.REJECTED])
def test_only_cleared_records_are_valid(status: str) -> None:
    record = ClearanceRecord(
        status=status, issued_on=dt.date(2026, 9, 1), expires_on=dt.date(2027, 8, 31)
    )
    assert not record.valid_on(dt.date(2027, 1, 1))


# --- today on the network's clock ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("time_zone", "instant", "today"),
    [
        ("America/New_York", dt.datetime(2027, 3, 1, 3, 0, tzinfo=UTC), dt.date(2027, 2, 28)),
        ("Europe/Berlin", dt.datetime(2027, 3, 1, 3, 0, tzinfo=UTC), dt.date(2027, 3, 1)),
        ("America/Los_Angeles", dt.datetime(2028, 3, 1, 7, 59, tzinfo=UTC), dt.date(2028, 2, 29)),
        ("America/Los_Angeles", dt.datetime(2028, 3, 1, 8, 0, tzinfo=UTC), dt.date(2028, 3, 1)),
        ("Asia/Tokyo", dt.datetime(2027, 2, 28, 15, 0, tzinfo=UTC), dt.date(2027, 3, 1)),
        ("Pacific/Kiritimati", dt.datetime(2027, 12, 31, 10, 0, tzinfo=UTC), dt.date(2028, 1, 1)),
    ],
)
def test_today_is_the_date_on_the_networks_clock(
    time_zone: str, instant: dt.datetime, today: dt.date
) -> None:
    assert Network(time_zone=time_zone).today(instant) == today


def test_today_reads_the_clock_when_no_instant_is_given() -> None:
    network = Network(time_zone="Europe/Berlin")
    expected = timezone.now().astimezone(network.tzinfo).date()
    assert network.today() in (expected, expected + dt.timedelta(days=1))


# --- the world the checks run in ---------------------------------------------------------------


@dataclass
class World:
    network: Any
    school: Any
    other_school: Any
    org: Any
    year: Any
    partnership: Any
    person: Any
    background: Any  # person, 24 months
    tb_test: Any  # person, 12 months
    insurance: Any  # organization, 12 months, $1M


@pytest.fixture
def world(db: None) -> World:
    network = NetworkFactory.create(time_zone="America/New_York")
    community = CommunityFactory.create(network=network)
    school = SchoolFactory.create(community=community, name="Hamilton Grange")
    other_school = SchoolFactory.create(community=community, name="Dos Puentes")
    org = OrganizationFactory.create(network=network, name="Reading Partners")
    year = SchoolYearFactory.create(network=network, end_year=2027)
    partnership = PartnershipFactory.create(
        school=school, service=ServiceFactory.create(organization=org), school_year=year
    )
    person = StaffMemberFactory.create(organization=org, first_name="Ana", last_name="Ruiz")
    background = ClearanceRequirementFactory.create(
        network=network, name="Background check", validity_months=24
    )
    tb_test = ClearanceRequirementFactory.create(
        network=network, name="TB test", kind=RequirementKind.TB_TEST, validity_months=12
    )
    insurance = ClearanceRequirementFactory.create(
        network=network,
        name="Liability insurance",
        kind=RequirementKind.LIABILITY_INSURANCE,
        applies_to=RequirementSubject.ORGANIZATION,
        validity_months=12,
        minimum_coverage=Decimal("1000000"),
    )
    return World(
        network,
        school,
        other_school,
        org,
        year,
        partnership,
        person,
        background,
        tb_test,
        insurance,
    )


def clear(
    w: World,
    requirement: Any,
    *,
    issued: dt.date = dt.date(2026, 8, 1),
    expires: dt.date | None = dt.date(2027, 7, 31),
    status: str = RecordStatus.CLEARED,
    person: Any = "default",
    **extra: Any,
) -> ClearanceRecord:
    if person == "default":
        person = w.person if requirement.applies_to == RequirementSubject.PERSON else None
    return ClearanceRecordFactory.create(
        requirement=requirement,
        person=person,
        organization=w.org,
        network=w.network,
        status=status,
        issued_on=issued,
        expires_on=expires,
        **extra,
    )


def clear_all(w: World) -> None:
    for requirement in (w.background, w.tb_test, w.insurance):
        clear(w, requirement)


def answer(w: World, day: dt.date = DAY, *, person: Any = None, school: Any = None) -> Any:
    return check_person(person or w.person, school or w.school, day)


def states(items: list[Any]) -> dict[str, str]:
    return {i.label: i.state for i in items}


# --- the check: requirement states -------------------------------------------------------------


def test_everything_met_means_cleared(world: World) -> None:
    clear_all(world)
    result = answer(world)
    assert result.cleared
    assert result.missing == [] and result.expiring == []


def test_nothing_submitted_is_missing_for_each_requirement(world: World) -> None:
    result = answer(world)
    assert not result.cleared
    assert states(result.missing) == {
        "Liability insurance": "missing",
        "Background check": "missing",
        "TB test": "missing",
    }
    assert {i.detail for i in result.missing} == {"nothing submitted"}
    insurance = next(i for i in result.missing if i.label == "Liability insurance")
    assert insurance.subject == "organization" and insurance.requirement_id == world.insurance.pk
    assert insurance.as_dict()["state"] == "missing"


def test_a_record_waiting_for_review_does_not_count_yet(world: World) -> None:
    clear_all(world)
    ClearanceRecord.objects.filter(requirement=world.tb_test).delete()
    clear(
        world,
        world.tb_test,
        status=RecordStatus.SUBMITTED,
        # 21:00 in New York on 28 February, already 1 March in UTC
        submitted_at=dt.datetime(2027, 3, 1, 2, 0, tzinfo=UTC),
    )
    result = answer(world, dt.date(2027, 3, 1))
    assert not result.cleared
    [item] = result.missing
    assert (item.label, item.state) == ("TB test", "submitted")
    # The day it was submitted, on the network's clock (not the server's UTC date).
    assert item.detail == "submitted 2027-02-28, waiting for review"


def test_a_rejected_record_says_why(world: World) -> None:
    clear_all(world)
    ClearanceRecord.objects.filter(requirement=world.background).delete()
    clear(
        world,
        world.background,
        status=RecordStatus.REJECTED,
        rejection_reason="The scan is unreadable.",
    )
    [item] = answer(world).missing
    assert (item.state, item.detail) == ("rejected", "rejected: The scan is unreadable.")


def test_an_expired_record_names_the_day_it_ended(world: World) -> None:
    clear_all(world)
    ClearanceRecord.objects.filter(requirement=world.tb_test).delete()
    clear(world, world.tb_test, issued=dt.date(2026, 1, 5), expires=dt.date(2027, 1, 4))
    [item] = answer(world).missing
    assert (item.state, item.expires_on) == ("expired", dt.date(2027, 1, 4))
    assert item.detail == "expired 2027-01-04"


def test_a_record_issued_after_the_day_is_not_valid_yet(world: World) -> None:
    clear_all(world)
    ClearanceRecord.objects.filter(requirement=world.tb_test).delete()
    clear(world, world.tb_test, issued=dt.date(2027, 2, 2), expires=dt.date(2028, 2, 1))
    [item] = answer(world).missing
    assert (item.state, item.detail) == ("missing", "not valid on this date")


def test_ending_within_thirty_days_is_expiring_but_still_cleared(world: World) -> None:
    clear_all(world)
    ClearanceRecord.objects.filter(requirement=world.tb_test).delete()
    last_day = DAY + dt.timedelta(days=EXPIRING_WITHIN_DAYS - 1)
    clear(world, world.tb_test, issued=dt.date(2026, 3, 2), expires=last_day)
    result = answer(world)
    assert result.cleared
    [item] = result.expiring
    assert (item.label, item.state, item.expires_on) == ("TB test", "expiring", last_day)
    assert item.detail == f"valid through {last_day}"
    # Thirty days or more left is plainly valid.
    assert answer(world, DAY - dt.timedelta(days=1)).expiring == []


def test_valid_through_the_last_day_and_not_the_day_after(world: World) -> None:
    clear_all(world)
    ClearanceRecord.objects.filter(requirement=world.tb_test).delete()
    clear(world, world.tb_test, issued=dt.date(2026, 2, 28), expires=dt.date(2027, 2, 28))
    assert answer(world, dt.date(2027, 2, 28)).cleared
    late = answer(world, dt.date(2027, 3, 1))
    assert states(late.missing) == {"TB test": "expired"}


def test_the_same_instant_is_cleared_in_new_york_and_expired_in_berlin(world: World) -> None:
    clear_all(world)
    ClearanceRecord.objects.filter(requirement=world.tb_test).delete()
    clear(world, world.tb_test, issued=dt.date(2026, 2, 28), expires=dt.date(2027, 2, 28))
    instant = dt.datetime(2027, 3, 1, 3, 0, tzinfo=UTC)

    assert answer(world, world.network.today(instant)).cleared  # 22:00 on 28 Feb in New York
    world.network.time_zone = "Europe/Berlin"
    world.network.save(update_fields=["time_zone"])
    world.school.network.refresh_from_db()
    assert not answer(world, world.network.today(instant)).cleared  # 04:00 on 1 Mar in Berlin


def test_a_leap_day_record_a_year_on_is_valid_through_28_february(world: World) -> None:
    clear_all(world)
    SchoolYearFactory.create(network=world.network, end_year=2029)
    PartnershipFactory.create(
        school=world.school,
        service=ServiceFactory.create(organization=world.org),
        school_year=world.network.school_years.get(end_year=2029),
    )
    ClearanceRecord.objects.filter(requirement=world.tb_test).delete()
    issued = dt.date(2028, 2, 29)
    clear(world, world.tb_test, issued=issued, expires=valid_through(issued, 12))
    for requirement in (world.background, world.insurance):
        ClearanceRecord.objects.filter(requirement=requirement).update(
            expires_on=dt.date(2030, 1, 1)
        )
    assert answer(world, dt.date(2029, 2, 28)).cleared
    assert states(answer(world, dt.date(2029, 3, 1)).missing) == {"TB test": "expired"}


def test_a_valid_record_wins_over_a_newer_one_waiting_for_review(world: World) -> None:
    clear_all(world)
    clear(world, world.tb_test, status=RecordStatus.SUBMITTED, issued=dt.date(2027, 1, 20))
    assert answer(world).cleared


def test_a_rejected_renewal_after_an_expired_record_is_rejected(world: World) -> None:
    clear_all(world)
    ClearanceRecord.objects.filter(requirement=world.tb_test).delete()
    clear(
        world,
        world.tb_test,
        issued=dt.date(2026, 1, 5),
        expires=dt.date(2027, 1, 4),
        submitted_at=timezone.now() - dt.timedelta(days=400),
    )
    clear(world, world.tb_test, status=RecordStatus.REJECTED, rejection_reason="Wrong person.")
    assert states(answer(world).missing) == {"TB test": "rejected"}


def test_retired_requirements_are_not_asked_for(world: World) -> None:
    clear_all(world)
    ClearanceRecord.objects.filter(requirement=world.tb_test).delete()
    world.tb_test.is_active = False
    world.tb_test.save(update_fields=["is_active"])
    assert answer(world).cleared


def test_another_persons_records_do_not_count(world: World) -> None:
    clear_all(world)
    colleague = StaffMemberFactory.create(organization=world.org)
    result = answer(world, person=colleague)
    assert states(result.missing) == {"Background check": "missing", "TB test": "missing"}


# --- partnership, assignment, activity ---------------------------------------------------------


def test_no_partnership_with_the_school_is_missing(world: World) -> None:
    clear_all(world)
    result = answer(world, school=world.other_school)
    assert [i.code for i in result.missing] == ["partnership"]
    assert result.missing[0].detail == "no active partnership on this date"


@pytest.mark.parametrize("status", [PartnershipStatus.PROPOSED, PartnershipStatus.ENDED])
def test_a_proposed_or_ended_partnership_does_not_open_the_campus(
    world: World, status: str
) -> None:
    clear_all(world)
    world.partnership.status = status
    world.partnership.save(update_fields=["status"])
    assert [i.code for i in answer(world).missing] == ["partnership"]


def test_a_partnership_of_another_school_year_does_not_count(world: World) -> None:
    clear_all(world)
    next_year = SchoolYearFactory.create(network=world.network, end_year=2028)
    world.partnership.school_year = next_year
    world.partnership.save(update_fields=["school_year"])
    assert [i.code for i in answer(world).missing] == ["partnership"]
    assert "partnership" not in [i.code for i in answer(world, dt.date(2027, 10, 4)).missing]


def test_a_network_wide_partnership_opens_every_school(world: World) -> None:
    clear_all(world)
    PartnershipFactory.create(
        school=None,
        network=world.network,
        service=ServiceFactory.create(organization=world.org),
        school_year=world.year,
    )
    assert answer(world, school=world.other_school).cleared


def test_a_school_of_another_network_is_never_open(world: World) -> None:
    clear_all(world)
    elsewhere = SchoolFactory.create()
    assert [i.code for i in answer(world, school=elsewhere).missing] == ["partnership"]


def test_a_person_assigned_to_other_schools_is_not_cleared_here(world: World) -> None:
    clear_all(world)
    PartnershipFactory.create(
        school=world.other_school,
        service=ServiceFactory.create(organization=world.org),
        school_year=world.year,
    )
    world.person.schools.set([world.other_school])
    result = answer(world)
    assert [i.code for i in result.missing] == ["assignment"]
    assert answer(world, school=world.other_school).cleared
    world.person.schools.set([world.school, world.other_school])
    assert answer(world).cleared


def test_a_person_off_the_staff_list_is_not_cleared(world: World) -> None:
    clear_all(world)
    world.person.is_active = False
    world.person.save(update_fields=["is_active"])
    assert [i.code for i in answer(world).missing] == ["inactive"]


# --- the signed MOU ----------------------------------------------------------------------------


@pytest.fixture
def mou(world: World) -> Any:
    clear_all(world)
    return ClearanceRequirementFactory.create(
        network=world.network,
        name="Signed MOU",
        kind=RequirementKind.SIGNED_MOU,
        applies_to=RequirementSubject.ORGANIZATION,
        validity_months=None,
        document_required=False,
    )


def test_without_a_signed_mou_the_campus_is_closed(world: World, mou: Any) -> None:
    result = answer(world)
    assert states(result.missing) == {"Signed MOU": "missing"}
    assert result.missing[0].detail == "no signed MOU in force for this school"


def test_a_signed_mou_in_force_meets_it_until_its_term_ends(world: World, mou: Any) -> None:
    signed_agreement(partnership=world.partnership)  # term: the school year, to 2027-06-26
    assert answer(world).cleared
    near_end = answer(world, dt.date(2027, 6, 1))
    assert near_end.cleared
    assert [(i.label, i.state, i.expires_on) for i in near_end.expiring] == [
        ("Signed MOU", "expiring", dt.date(2027, 6, 26))
    ]
    # After the term the MOU no longer covers the day.
    assert "Signed MOU" in states(answer(world, dt.date(2027, 6, 28)).missing)


def test_a_signed_mou_with_another_school_does_not_count(world: World, mou: Any) -> None:
    other = PartnershipFactory.create(
        school=world.other_school,
        service=ServiceFactory.create(organization=world.org),
        school_year=world.year,
    )
    signed_agreement(partnership=other)
    assert states(answer(world).missing) == {"Signed MOU": "missing"}
    assert answer(world, school=world.other_school).cleared


# --- the organization's own requirements --------------------------------------------------------


def test_organization_cleared_reads_the_organization_requirements_only(world: World) -> None:
    book = ClearanceBook(world.network)
    assert not book.organization_cleared(world.org.pk, DAY)
    clear(world, world.insurance)
    book = ClearanceBook(world.network)
    # The people's requirements do not matter here.
    assert book.organization_cleared(world.org.pk, DAY)
    assert [i.state for i in book.organization_items(world.org.pk, DAY)] == ["ok"]
    expiring_day = dt.date(2027, 7, 20)
    assert [i.state for i in book.organization_items(world.org.pk, expiring_day)] == ["expiring"]
    assert book.organization_cleared(world.org.pk, expiring_day)
    assert not book.organization_cleared(world.org.pk, dt.date(2027, 8, 1))


def test_cleared_organizations_of_a_network(world: World) -> None:
    other = OrganizationFactory.create(network=world.network)
    clear(world, world.insurance)
    assert cleared_organizations(world.network, DAY) == {world.org.pk}
    assert other.pk not in cleared_organizations(world.network, DAY)


# --- the front desk's people and the cost of a book ----------------------------------------------


def test_people_for_a_school(world: World) -> None:
    elsewhere = StaffMemberFactory.create(organization=world.org)
    elsewhere.schools.set([world.other_school])
    here = StaffMemberFactory.create(organization=world.org)
    here.schools.set([world.school])
    gone = StaffMemberFactory.create(organization=world.org, is_active=False)
    stranger = StaffMemberFactory.create(
        organization=OrganizationFactory.create(network=world.network)
    )
    wide_org = OrganizationFactory.create(network=world.network)
    PartnershipFactory.create(
        school=None,
        network=world.network,
        service=ServiceFactory.create(organization=wide_org),
        school_year=world.year,
    )
    wide = StaffMemberFactory.create(organization=wide_org)
    people = ClearanceBook(world.network).people_for_school(world.school)
    assert {p.pk for p in people} == {world.person.pk, here.pk, wide.pk}
    assert not {elsewhere.pk, gone.pk, stranger.pk} & {p.pk for p in people}


def test_a_book_costs_the_same_queries_for_many_people(world: World) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            book = ClearanceBook(world.network)
            for person in book.people:
                for day in (DAY, DAY + dt.timedelta(days=1)):
                    book.check(person, world.school, day)
        return len(queries)

    few = count()
    for _ in range(8):
        person = StaffMemberFactory.create(organization=world.org)
        person.schools.set([world.school])
        clear(world, world.background, person=person)
    assert count() == few <= 8
    assert StaffMember.objects.count() == 9
