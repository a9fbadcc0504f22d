from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from wraparound.agreements.models import Agreement, AgreementVersion
from wraparound.agreements.tests.factories import DeliverableFactory
from wraparound.assessments.tests.factories import PartnershipFactory
from wraparound.core.models import Disclosure
from wraparound.directory.tests.factories import ServiceFactory
from wraparound.referrals import session_selectors as selectors
from wraparound.referrals import session_services as services
from wraparound.referrals.tests.factories import (
    ServiceSessionFactory,
    SessionAttendanceFactory,
)
from wraparound.students.tests.factories import StudentFactory

from .session_world import SessionWorld, build, group_args

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(t1: Any, t2: Any) -> SessionWorld:
    return build(t1, t2)


# --- rosters -----------------------------------------------------------------------------------


def test_partner_staff_see_the_roster_names_the_agreement_shares(sw: SessionWorld) -> None:
    roster = selectors.session_roster(
        sw.users["partner_staff_a"], sw.school, sw.w.service_a, organization=sw.t1.org_a
    )
    assert [e.label for e in roster] == ["Ben Consented", "Cy Consented", "Ana Own"]
    assert Disclosure.objects.filter(purpose="session attendance").count() == 3


def test_the_partner_admin_sees_the_roster_without_names(sw: SessionWorld) -> None:
    roster = selectors.session_roster(
        sw.users["partner_admin"], sw.school, sw.w.service_a, organization=sw.t1.org_a
    )
    assert {e.label for e in roster} == {
        f"Student {s.pk} (name not shared)" for s in (sw.w.own, sw.w.consented, sw.sibling)
    }
    assert not Disclosure.objects.exists()


def test_school_staff_see_whole_names_and_partners_of_other_orgs_nothing(
    sw: SessionWorld,
) -> None:
    roster = selectors.session_roster(sw.users["staff"], sw.school, sw.w.service_a)
    assert [e.label for e in roster] == ["Ben Consented", "Cy Consented", "Ana Own"]
    with pytest.raises(PermissionDenied):
        selectors.session_roster(
            sw.users["partner_staff_b"], sw.school, sw.w.service_a, organization=sw.t1.org_a
        )
    assert (
        selectors.session_roster(
            sw.users["partner_staff_b"], sw.school, sw.w.service_a, organization=sw.t1.org_b
        )
        == []
    )


# --- lists -------------------------------------------------------------------------------------


def test_lists_are_scoped(sw: SessionWorld) -> None:
    partner = services.session_log(user=sw.users["partner_staff_a"], **group_args(sw))
    own = services.session_log(user=sw.users["staff"], **group_args(sw, organization=None))
    assert set(selectors.sessions_for_school(sw.users["principal"], sw.school)) == {partner, own}
    assert list(selectors.sessions_for_organization(sw.users["network_admin"], sw.t1.org_a)) == [
        partner
    ]
    with pytest.raises(Http404):
        selectors.sessions_for_organization(sw.users["partner_staff_b"], sw.t1.org_a)
    with pytest.raises(PermissionDenied):
        selectors.sessions_for_school(sw.users["evaluator"], sw.school)
    row = selectors.sessions_for_school(sw.users["coordinator"], sw.school).get(pk=partner.pk)
    assert (row.present_count, row.roster_count) == (2, 3)
    with pytest.raises(Http404):
        selectors.get_session_for_user(sw.users["partner_staff_b"], partner.pk)
    with pytest.raises(Http404):
        selectors.get_session_for_user(sw.users["partner_staff_a"], own.pk)
    assert selectors.get_session_for_user(sw.users["supervisor"], own.pk) == own


# --- dosage ------------------------------------------------------------------------------------


def _dosage_sessions(sw: SessionWorld) -> None:
    """Ana: 60 (whole) + 30 of 45 with org A, 50 at a school session, absent from one of 90, and
    a session elsewhere she did not attend."""
    a1 = ServiceSessionFactory(
        school=sw.school, organization=sw.t1.org_a, service=sw.w.service_a, duration_minutes=60
    )
    a2 = ServiceSessionFactory(
        school=sw.school, organization=sw.t1.org_a, service=sw.w.service_a, duration_minutes=45
    )
    own = ServiceSessionFactory(school=sw.school, duration_minutes=50)
    absent = ServiceSessionFactory(
        school=sw.school, organization=sw.t1.org_a, service=sw.w.service_a, duration_minutes=90
    )
    SessionAttendanceFactory(session=a1, student=sw.w.own)
    SessionAttendanceFactory(session=a2, student=sw.w.own, minutes=30)
    SessionAttendanceFactory(session=own, student=sw.w.own)
    SessionAttendanceFactory(session=absent, student=sw.w.own, present=False)
    SessionAttendanceFactory(session=absent, student=sw.w.consented)


def test_dosage_for_a_school_official_counts_every_session_attended(sw: SessionWorld) -> None:
    _dosage_sessions(sw)
    dosage = selectors.student_dosage(sw.users["coordinator"], sw.w.own)
    assert (dosage.sessions, dosage.minutes, dosage.hours) == (3, 140, 2.33)
    by = {g.service_id: (g.sessions, g.minutes) for g in dosage.by_service}
    assert by == {sw.w.service_a.pk: (2, 90), None: (1, 50)}


def test_dosage_for_a_partner_is_its_own_sessions_of_referred_students(sw: SessionWorld) -> None:
    _dosage_sessions(sw)
    dosage = selectors.student_dosage(sw.users["partner_staff_a"], sw.w.own)
    assert (dosage.sessions, dosage.minutes) == (2, 90)
    with pytest.raises(Http404):  # org B was never sent Ana
        selectors.student_dosage(sw.users["partner_staff_b"], sw.w.own)
    with pytest.raises(Http404):
        selectors.get_student_for_dosage(sw.users["partner_staff_a"], sw.w.own.pk)


# --- delivered against promised ---------------------------------------------------------------


def _term(sw: SessionWorld) -> tuple[dt.date, AgreementVersion]:
    """The MOU's term: 70 days (10 weeks) of which 28 (4 weeks) have passed, today included."""
    start = sw.today - dt.timedelta(days=27)
    version = sw.w.agreement_a.signed_version
    AgreementVersion.objects.filter(pk=version.pk).update(
        term_start=start, term_end=start + dt.timedelta(days=69)
    )
    version.deliverables.all().delete()
    return start, version


def test_delivery_against_the_mou_hand_computed(sw: SessionWorld) -> None:
    start, version = _term(sw)
    sessions = DeliverableFactory(
        version=version, description="Weekly club", quantity=1, unit="sessions", position=1
    )
    hours = DeliverableFactory(
        version=version, description="Hours", quantity=3, unit="hours", position=2
    )
    students = DeliverableFactory(
        version=version, description="Students", quantity=20, unit="students", position=3
    )
    families = DeliverableFactory(
        version=version,
        description="Families",
        quantity=2,
        unit="families",
        frequency="once",
        position=4,
    )
    slots = DeliverableFactory(
        version=version,
        description="Seats",
        quantity=10,
        unit="slots",
        frequency="monthly",
        position=5,
    )
    club = sw.w.service_a
    org_a = sw.t1.org_a

    def session(day: dt.date, minutes: int, **kw: Any) -> Any:
        return ServiceSessionFactory(
            school=sw.school,
            organization=kw.pop("organization", org_a),
            service=kw.pop("service", club),
            partnership=kw.pop("partnership", sw.w.partnership_a),
            date=day,
            duration_minutes=minutes,
            **kw,
        )

    s1 = session(start, 60)
    s2 = session(start + dt.timedelta(days=7), 60)
    s3 = session(start + dt.timedelta(days=14), 60)
    session(sw.today, 60, partnership=None)  # unlinked, at the partnership's school
    SessionAttendanceFactory(session=s1, student=sw.w.own)  # 60
    SessionAttendanceFactory(session=s1, student=sw.w.consented, minutes=30)
    SessionAttendanceFactory(session=s2, student=sw.sibling)  # 60
    SessionAttendanceFactory(session=s2, student=sw.w.own, present=False)
    SessionAttendanceFactory(session=s3, student=sw.w.own, minutes=45)
    # Not counted: before the term, another organization, a school session, another school.
    before = session(start - dt.timedelta(days=1), 60)
    SessionAttendanceFactory(session=before, student=StudentFactory(school=sw.school))
    session(start, 60, organization=sw.t1.org_b, service=sw.w.service_b, partnership=None)
    session(start, 60, organization=None, service=None, partnership=None)
    ServiceSessionFactory(
        school=sw.t1.schools[1], organization=org_a, service=club, date=start, duration_minutes=60
    )

    delivery = selectors.partnership_delivery(sw.users["coordinator"], sw.w.partnership_a.pk)
    assert delivery.version == version
    rows = {row.deliverable.pk: row for row in delivery.rows}
    assert [r.deliverable.pk for r in delivery.rows] == [
        sessions.pk,
        hours.pk,
        students.pk,
        families.pk,
        slots.pk,
    ]
    # 4 sessions of 60 minutes; present: Ana 60 + 45, Ben 30, Cy 60 → 195 student minutes.
    for row in delivery.rows:
        assert (row.sessions, row.hours, row.student_hours, row.slots) == (4, 4.0, 3.25, 4)
        assert (row.students, row.families) == (3, 2)  # Ben and Cy share a guardian
    one = rows[sessions.pk]
    assert (one.expected_to_date, one.expected_term, one.delivered) == (4.0, 10.0, 4)
    assert (one.percentage, one.on_track) == (100, True)
    three = rows[hours.pk]
    assert (three.expected_to_date, three.expected_term, three.delivered) == (12.0, 30.0, 4.0)
    assert (three.percentage, three.on_track) == (33, False)
    twenty = rows[students.pk]
    assert (twenty.expected_to_date, twenty.expected_term, twenty.delivered) == (20, 20, 3)
    assert (twenty.percentage, twenty.on_track) == (15, False)
    fam = rows[families.pk]
    assert (fam.expected_to_date, fam.delivered, fam.percentage, fam.on_track) == (2, 2, 100, True)
    # Monthly = 365/12 days: 28 days → 0.92 months → 9.2 slots expected; 70 days → 23.0.
    seats = rows[slots.pk]
    assert (seats.expected_to_date, seats.expected_term, seats.delivered) == (9.2, 23.0, 4)
    assert (seats.percentage, seats.on_track) == (43, False)


def test_delivery_without_an_agreement_in_force_uses_the_latest_version(
    sw: SessionWorld,
) -> None:
    Agreement.objects.filter(pk=sw.w.agreement_a.pk).update(status="terminated")
    delivery = selectors.partnership_delivery(sw.users["partner_staff_a"], sw.w.partnership_a.pk)
    assert delivery.version == sw.w.agreement_a.current_version
    assert len(delivery.rows) == 1  # the factory's "20 students weekly"
    bare: Any = PartnershipFactory(
        school=sw.t1.schools[1],
        service=ServiceFactory(organization=sw.t1.org_a),
        school_year=sw.w.partnership_a.school_year,
    )
    delivery = selectors.partnership_delivery(sw.users["coordinator"], bare)
    assert (delivery.version, delivery.rows) == (None, [])


@pytest.mark.parametrize("persona", ["partner_staff_b", "coalition_member", "outsider"])
def test_delivery_is_for_readers_of_the_partnership(sw: SessionWorld, persona: str) -> None:
    with pytest.raises(Http404):
        selectors.partnership_delivery(sw.users[persona], sw.w.partnership_a.pk)


def test_periods() -> None:
    day = dt.date(2026, 9, 1)
    assert selectors.periods("weekly", day, day + dt.timedelta(days=13)) == 2
    assert selectors.periods("once", day, day) == 1
    assert selectors.periods("yearly", day, day + dt.timedelta(days=364)) == 1
    assert selectors.periods("weekly", day, day - dt.timedelta(days=1)) == 0
