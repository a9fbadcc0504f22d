"""Tier services and selectors: one open assignment per domain, ending, the caseload and the
school's distribution (with fixed query counts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.core.models import AuditEvent
from wraparound.core.tests.factories import UserFactory
from wraparound.students import tier_selectors as selectors
from wraparound.students import tier_services as services
from wraparound.students.models import TierAssignment, TierDomain
from wraparound.students.tests.factories import StudentFactory, TierAssignmentFactory


@pytest.fixture
def student(t1: Any) -> Any:
    return StudentFactory(school=t1.schools[0], given_name="Ana", family_name="Tier")


def assign(t1: Any, student: Any, **overrides: Any) -> TierAssignment:
    kwargs: dict[str, Any] = {
        "user": t1.users["staff"],
        "student": student,
        "domain": TierDomain.ATTENDANCE,
        "tier": 2,
        "reason": "Missed 9 of 40 days.",
        "starts_on": t1.network.today() - dt.timedelta(days=10),
    }
    return services.tier_assign(**(kwargs | overrides))


def test_assign_defaults_case_manager_to_the_assigning_staff(t1: Any, student: Any) -> None:
    a = assign(t1, student)
    assert a.case_manager == t1.users["staff"] and a.school == t1.schools[0]
    assert AuditEvent.objects.filter(action="tier.assign", target_id=str(a.pk)).exists()


def test_network_admin_assigns_without_becoming_case_manager(t1: Any, student: Any) -> None:
    a = assign(t1, student, user=t1.users["network_admin"])
    assert a.case_manager is None


def test_new_assignment_ends_the_previous_the_day_before(t1: Any, student: Any) -> None:
    today = t1.network.today()
    first = assign(t1, student, starts_on=today - dt.timedelta(days=30))
    other_domain = assign(t1, student, domain=TierDomain.ACADEMICS, tier=3)
    second = assign(t1, student, tier=3, starts_on=today)
    first.refresh_from_db()
    other_domain.refresh_from_db()
    assert first.ends_on == today - dt.timedelta(days=1)
    assert second.ends_on is None and other_domain.ends_on is None
    open_now = TierAssignment.objects.filter(selectors.open_on(today), student=student)
    assert {(a.domain, a.tier) for a in open_now} == {("attendance", 3), ("academics", 3)}


def test_assignment_starting_before_an_existing_one_is_refused(t1: Any, student: Any) -> None:
    today = t1.network.today()
    assign(t1, student, starts_on=today)
    with pytest.raises(ValidationError) as caught:
        assign(t1, student, starts_on=today - dt.timedelta(days=3))
    assert "starts_on" in caught.value.message_dict
    assert TierAssignment.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"domain": "music"}, "domain"),
        ({"tier": 4}, "tier"),
        ({"reason": " "}, "reason"),
        ({"starts_on": None}, "starts_on"),
        ({"ends_on": dt.date(2000, 1, 1)}, "ends_on"),
    ],
)
def test_assign_refuses_bad_input(
    t1: Any, student: Any, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        assign(t1, student, **overrides)
    assert field in caught.value.message_dict
    assert not TierAssignment.objects.exists()


def test_case_manager_must_work_at_the_school(t1: Any, student: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        assign(t1, student, case_manager=t1.users["partner_staff_a"])
    assert "case_manager" in caught.value.message_dict
    a = assign(t1, student, case_manager=t1.users["coordinator"])
    assert a.case_manager == t1.users["coordinator"]


@pytest.mark.parametrize("persona", ["principal", "evaluator", "partner_staff_a", "outsider"])
def test_assign_needs_the_right_role(t1: Any, student: Any, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        assign(t1, student, user=t1.users[persona])


def test_other_tenant_cannot_assign(t1: Any, t2: Any, student: Any) -> None:
    with pytest.raises(PermissionDenied):
        assign(t1, student, user=t2.users["coordinator"])


def test_end(t1: Any, student: Any) -> None:
    a = assign(t1, student)
    today = t1.network.today()
    with pytest.raises(ValidationError) as caught:
        services.tier_end(user=t1.users["coordinator"], assignment=a, ends_on=today, reason="")
    assert "reason" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.tier_end(
            user=t1.users["coordinator"],
            assignment=a,
            ends_on=a.starts_on - dt.timedelta(days=1),
            reason="Improved",
        )
    assert "ends_on" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.tier_end(user=t1.users["principal"], assignment=a, ends_on=today, reason="x")
    ended = services.tier_end(
        user=t1.users["coordinator"], assignment=a, ends_on=today, reason="Improved"
    )
    assert ended.ends_on == today
    event = AuditEvent.objects.filter(action="tier.end").get()
    assert event.data["reason"] == "Improved"
    TierAssignment.objects.filter(pk=a.pk).update(ends_on=today - dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        services.tier_end(user=t1.users["coordinator"], assignment=a, ends_on=today, reason="x")


# --- selectors -----------------------------------------------------------------------------------


def test_student_tiers_splits_current_upcoming_past(t1: Any, student: Any) -> None:
    today = t1.network.today()
    assign(t1, student, starts_on=today - dt.timedelta(days=20))
    assign(t1, student, tier=3, starts_on=today - dt.timedelta(days=5))
    assign(t1, student, domain=TierDomain.HEALTH, starts_on=today + dt.timedelta(days=5))
    rows = {r.domain: r for r in selectors.student_tiers(student)}
    assert rows["attendance"].current is not None and rows["attendance"].current.tier == 3
    assert [a.tier for a in rows["attendance"].past] == [2]
    assert rows["health"].current is None and len(rows["health"].upcoming) == 1
    assert rows["academics"].current is None


def test_caseload_lists_my_students_with_their_open_tiers(
    t1: Any, t2: Any, django_assert_max_num_queries: Any
) -> None:
    staff = t1.users["staff"]
    today = t1.network.today()
    mine = [StudentFactory(school=t1.schools[0]) for _ in range(30)]
    for s in mine:
        assign(t1, s)
        assign(t1, s, domain=TierDomain.BEHAVIOUR, tier=3, case_manager=t1.users["coordinator"])
    ended = StudentFactory(school=t1.schools[0])
    TierAssignmentFactory(
        student=ended,
        case_manager=staff,
        starts_on=today - dt.timedelta(days=40),
        ends_on=today - dt.timedelta(days=2),
        created_by=staff,
    )
    someone_elses = StudentFactory(school=t1.schools[0])
    assign(t1, someone_elses, user=t1.users["coordinator"])
    staff = UserFactory._meta.model.objects.get(pk=staff.pk)  # fresh: no cached grants
    with django_assert_max_num_queries(3):
        rows = selectors.caseload(staff)
        domains = [[a.domain for a in r.elevated] for r in rows]
    assert {r.student.pk for r in rows} == {s.pk for s in mine}
    assert all(sorted(d) == ["attendance", "behaviour"] for d in domains)
    assert rows[0].since == today - dt.timedelta(days=10)
    assert selectors.caseload(t2.users["staff"]) == []


def test_tier_distribution(t1: Any, django_assert_max_num_queries: Any) -> None:
    school = t1.schools[0]
    today = t1.network.today()
    students = [StudentFactory(school=school) for _ in range(30)]
    StudentFactory(school=school, is_active=False)
    StudentFactory(school=t1.schools[1])
    for s in students[:3]:
        assign(t1, s, tier=2)
    assign(t1, students[3], tier=3)
    assign(t1, students[0], domain=TierDomain.ACADEMICS, tier=3)
    TierAssignmentFactory(  # ended: does not count
        student=students[5],
        starts_on=today - dt.timedelta(days=40),
        ends_on=today - dt.timedelta(days=1),
        created_by=t1.users["staff"],
    )
    with django_assert_max_num_queries(2):
        dist = selectors.tier_distribution(school=school, day=today)
    assert dist.total == 30
    rows = {r.domain: r for r in dist.rows}
    assert rows["attendance"].counts == {1: 26, 2: 3, 3: 1}
    assert rows["attendance"].cells[1] == (2, 3, 10)
    assert rows["academics"].counts == {1: 29, 2: 0, 3: 1}
    assert rows["health"].counts == {1: 30, 2: 0, 3: 0}
    assert dist.elevated_any == 4 and dist.elevated_percent == 13
