"""The student selectors: school officials read students whole, partners only through referrals
(field-filtered and logged), the disclosure log only for those who answer parents."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from wraparound.core.models import Disclosure
from wraparound.referrals.models import ReferralStatus
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students import selectors
from wraparound.students.tests.factories import StudentFactory, TierAssignmentFactory
from wraparound.students.tests.world import student_world

pytestmark = pytest.mark.django_db


def test_visible_students_by_role(t1: Any, t2: Any) -> None:
    w = student_world(t1, t2)
    users = t1.users
    t1_all = {w.own.pk, w.consented.pk, w.other_school.pk}
    assert (
        set(selectors.visible_students(users["network_admin"]).values_list("pk", flat=True))
        == t1_all
    )
    assert (
        set(selectors.visible_students(users["network_supervisor"]).values_list("pk", flat=True))
        == t1_all
    )
    for persona in ("coordinator", "staff", "supervisor", "principal"):
        seen = set(selectors.visible_students(users[persona]).values_list("pk", flat=True))
        assert seen == {w.own.pk, w.consented.pk}, persona
    for persona in (
        "evaluator",
        "partner_admin",
        "partner_staff_a",
        "partner_staff_b",
        "coalition_member",
        "outsider",
    ):
        assert not selectors.visible_students(users[persona]).exists(), persona
    assert list(selectors.visible_students(t2.users["network_admin"])) == [w.other_network]


def test_school_students_searches_filters_and_counts(t1: Any) -> None:
    w = student_world(t1)
    school = t1.schools[0]
    TierAssignmentFactory(
        student=w.own,
        created_by=t1.users["staff"],
        tier=2,
        reason="x",
        starts_on=dt.date(2026, 9, 1),
    )
    TierAssignmentFactory(
        student=w.own,
        created_by=t1.users["staff"],
        tier=3,
        reason="x",
        starts_on=dt.date(2025, 9, 1),
        ends_on=dt.date(2026, 1, 1),
    )
    ReferralFactory(student=w.own, referred_by=t1.users["staff"], status=ReferralStatus.CLOSED)
    late = StudentFactory(
        school=school, given_name="Zed", family_name="Gone", grade="08", is_active=False
    )
    user = t1.users["coordinator"]

    rows = {s.pk: s for s in selectors.school_students(user, school)}
    assert set(rows) == {w.own.pk, w.consented.pk}
    # own: one open tier (the other ended), one open referral (the closed one does not count)
    assert (rows[w.own.pk].open_tiers, rows[w.own.pk].open_referrals) == (1, 1)
    # consented: the sent referral to B and the draft to A are both open
    assert (rows[w.consented.pk].open_tiers, rows[w.consented.pk].open_referrals) == (0, 2)

    assert [s.pk for s in selectors.school_students(user, school, q="ana own")] == [w.own.pk]
    assert [s.pk for s in selectors.school_students(user, school, q=w.consented.identifier)] == [
        w.consented.pk
    ]
    assert [s.pk for s in selectors.school_students(user, school, q="nobody")] == []
    assert [s.pk for s in selectors.school_students(user, school, active=None, grade="08")] == [
        late.pk
    ]
    assert late.pk not in {s.pk for s in selectors.school_students(user, school)}


@pytest.mark.parametrize(
    "persona", ["evaluator", "partner_staff_a", "outsider", "coalition_member"]
)
def test_school_students_404_for_non_officials(t1: Any, persona: str) -> None:
    with pytest.raises(Http404):
        selectors.school_students(t1.users[persona], t1.schools[0].pk)


def test_school_students_404_for_a_school_of_another_network(t1: Any, t2: Any) -> None:
    with pytest.raises(Http404):
        selectors.school_students(t1.users["network_admin"], t2.schools[0])
    with pytest.raises(Http404):
        selectors.school_students(t1.users["coordinator"], t1.schools[3])


def test_get_student_for_user(t1: Any, t2: Any) -> None:
    w = student_world(t1, t2)
    assert selectors.get_student_for_user(t1.users["staff"], w.own.pk) == w.own
    for user, pk in [
        (t1.users["staff"], w.other_school.pk),
        (t1.users["partner_staff_a"], w.own.pk),
        (t1.users["network_admin"], w.other_network.pk),
        (t1.users["network_admin"], "nope"),
    ]:
        with pytest.raises(Http404):
            selectors.get_student_for_user(user, pk)


def test_partner_students_one_row_per_visible_referral_and_logged(t1: Any) -> None:
    w = student_world(t1)
    user = t1.users["partner_staff_a"]
    reads = selectors.partner_students(user, t1.org_a.pk, purpose="test")
    # the draft is not there; the other school's referral is, with nothing shown
    assert {r.referral.pk for r in reads} == {w.to_a.pk, w.other_school_to_a.pk}
    by_ref = {r.referral.pk: r.view for r in reads}
    assert by_ref[w.to_a.pk].elements == frozenset({"name", "grade", "notes"})
    assert by_ref[w.to_a.pk].value("birth_date") is None
    assert by_ref[w.other_school_to_a.pk].elements == frozenset()
    assert Disclosure.objects.filter(viewer=user, purpose="test", subject_id=w.own.pk).count() == 1
    assert not Disclosure.objects.filter(subject_id=w.other_school.pk).exists()


@pytest.mark.parametrize("persona", ["network_admin", "coordinator", "partner_staff_b", "outsider"])
def test_partner_students_404_for_others(t1: Any, persona: str) -> None:
    student_world(t1)
    with pytest.raises(Http404):
        selectors.partner_students(t1.users[persona], t1.org_a.pk, purpose="test")
    assert not Disclosure.objects.exists()


def test_student_disclosures_rows_and_rules(t1: Any) -> None:
    w = student_world(t1)
    selectors.partner_students(
        t1.users["partner_staff_a"], t1.org_a, purpose="partner student list"
    )
    rows = selectors.student_disclosures(t1.users["coordinator"], w.own)
    assert len(rows) == 1
    row = rows[0]
    assert row.organization == t1.org_a.name
    assert row.fields == ["grade level", "name", "referral notes"]
    assert row.purpose == "partner student list"
    assert (
        row.agreement_pk == w.agreement_a.pk
        and row.agreement_version == w.agreement_a.signed_version.number
    )
    assert row.at.tzinfo is not None and str(row.at.tzinfo) == t1.network.time_zone
    # date range on the network's clock
    today = t1.network.today()
    assert selectors.student_disclosures(t1.users["principal"], w.own, since=today, until=today)
    assert not selectors.student_disclosures(
        t1.users["principal"], w.own, until=today - dt.timedelta(days=1)
    )
    assert not selectors.student_disclosures(
        t1.users["principal"], w.own, since=today + dt.timedelta(days=1)
    )
    with pytest.raises(PermissionDenied):
        selectors.student_disclosures(t1.users["staff"], w.own)
    with pytest.raises(Http404):
        selectors.student_disclosures(t1.users["partner_staff_a"], w.own)
    with pytest.raises(Http404):
        selectors.student_disclosures(t1.users["coordinator"], w.other_school.pk)


def test_consent_disclosures_name_the_consent(t1: Any) -> None:
    w = student_world(t1)
    selectors.partner_students(t1.users["partner_staff_b"], t1.org_b, purpose="p")
    [row] = selectors.student_disclosures(t1.users["network_admin"], w.consented)
    assert row.consent_pk == w.consent_b.pk
    assert w.consent_b.signed_by_name in row.basis_record
    assert row.basis.startswith("Written consent")
    assert row.at <= timezone.now()
