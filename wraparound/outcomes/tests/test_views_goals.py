"""Goal pages: who sees and changes what (every persona, both networks), setting a goal keeps
what was typed on a mistake, progress shown, conflicts, small cells."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from wraparound.assessments.tests.factories import PartnershipFactory
from wraparound.core.tests.personas import PERSONAS
from wraparound.students.tests.factories import StudentFactory

from ..models import AttendanceMonth, Goal, GoalScope, Indicator

pytestmark = pytest.mark.django_db

SCHOOL_VIEWERS = {
    "network_admin",
    "evaluator",
    "coordinator",
    "staff",
    "supervisor",
    "network_supervisor",
    "principal",
}
SCHOOL_SETTERS = {"network_admin", "coordinator", "principal"}
NETWORK_VIEWERS = {"network_admin", "evaluator"}
PARTNER_A = {"partner_admin", "partner_staff_a"}
FORM = {
    "scope": "school",
    "indicator": "attendance_rate",
    "title": "Every day counts",
    "term": "short",
    "baseline": "88",
    "baseline_on": "2026-09-01",
    "target": "92",
    "target_on": "2027-06-30",
}


def _goal(t, **kw):
    fields = {
        "network": t.network,
        "scope": GoalScope.SCHOOL,
        "school": t.schools[0],
        "indicator": Indicator.ATTENDANCE_RATE,
        "term": "short",
        "baseline": Decimal("0.88"),
        "baseline_on": dt.date(2026, 9, 1),
        "target": Decimal("0.92"),
        "target_on": dt.date(2027, 6, 30),
    }
    fields.update(kw)
    return Goal.objects.create(**fields)


@pytest.mark.parametrize("persona", PERSONAS)
def test_school_goals_page(t1, t2, as_user, persona):
    client = as_user(t1.users[persona])
    url = reverse("school_goal_list", args=[t1.schools[0].pk])
    expected = 200 if persona in SCHOOL_VIEWERS else 404
    assert client.get(url).status_code == expected
    response = client.post(url, FORM)
    if persona in SCHOOL_SETTERS:
        assert response.status_code == 302
    else:
        assert response.status_code == (403 if persona in SCHOOL_VIEWERS else 404)
    assert client.get(reverse("school_goal_list", args=[t2.schools[0].pk])).status_code == 404
    assert Goal.objects.count() == (1 if persona in SCHOOL_SETTERS else 0)


@pytest.mark.parametrize("persona", PERSONAS)
def test_network_goals_page(t1, t2, as_user, persona):
    client = as_user(t1.users[persona])
    url = reverse("network_goal_list", args=[t1.network.slug])
    response = client.get(url)
    if persona in NETWORK_VIEWERS:
        assert response.status_code == 200
    else:
        assert response.status_code == (404 if persona == "outsider" else 403)
    response = client.post(url, {**FORM, "scope": "network"})
    assert response.status_code == (
        302 if persona == "network_admin" else (404 if persona == "outsider" else 403)
    )
    assert client.get(reverse("network_goal_list", args=[t2.network.slug])).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_one_goal_pages(t1, t2, as_user, persona):
    partnership = PartnershipFactory(
        school=t1.schools[0],
        network=t1.network,
        organization=t1.org_a,
        service__organization=t1.org_a,
    )
    school_goal = _goal(t1)
    partner_goal = _goal(t1, scope=GoalScope.PARTNERSHIP, school=None, partnership=partnership)
    other = _goal(t2, school=t2.schools[0])
    client = as_user(t1.users[persona])
    sees_school = persona in SCHOOL_VIEWERS
    sees_partner = sees_school or persona in PARTNER_A
    get = lambda g: client.get(reverse("goal_detail", args=[g.pk])).status_code  # noqa: E731
    assert get(school_goal) == (200 if sees_school else 404)
    assert get(partner_goal) == (200 if sees_partner else 404)
    assert get(other) == 404
    for goal, sees in ((school_goal, sees_school), (partner_goal, sees_partner)):
        edit = client.post(
            reverse("goal_edit", args=[goal.pk]),
            {**{f"edit-{k}": v for k, v in FORM.items()}, "edit-scope": goal.scope, "version": 1},
        )
        measure = client.post(reverse("goal_measure", args=[goal.pk]), {})
        delete = client.post(reverse("goal_delete", args=[goal.pk]), {"version": 2})
        if persona in SCHOOL_SETTERS:
            assert (edit.status_code, measure.status_code, delete.status_code) == (302, 400, 302)
        else:
            expected = 403 if sees else 404
            assert (edit.status_code, measure.status_code, delete.status_code) == (expected,) * 3
    assert Goal.objects.filter(pk=other.pk).exists()


def test_a_mistake_keeps_what_was_typed(t1, as_user):
    client = as_user(t1.users["coordinator"])
    response = client.post(
        reverse("school_goal_list", args=[t1.schools[0].pk]),
        {**FORM, "target": "88", "title": "Keep me"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The target must differ from the baseline." in body
    assert 'value="Keep me"' in body and 'value="88"' in body
    assert not Goal.objects.exists()


def test_set_a_goal_and_see_its_progress(t1, as_user):
    school = t1.schools[0]
    for _ in range(12):
        AttendanceMonth.objects.create(
            network=t1.network,
            student=StudentFactory(school=school),
            school=school,
            month=dt.date(2026, 10, 1),
            enrolled_days=20,
            absent_days=2,
        )
    client = as_user(t1.users["coordinator"])
    response = client.post(reverse("school_goal_list", args=[school.pk]), FORM, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    goal = Goal.objects.get()
    assert goal.baseline == Decimal("0.8800") and goal.target == Decimal("0.9200")
    assert "Every day counts" in body and "90.0%" in body
    listing = client.get(reverse("school_goal_list", args=[school.pk])).content.decode()
    assert f'id="goal-{goal.pk}"' in listing and "90.0%" in listing


def test_progress_about_fewer_than_ten_students_is_not_shown(t1, as_user):
    school = t1.schools[0]
    for _ in range(9):
        AttendanceMonth.objects.create(
            network=t1.network,
            student=StudentFactory(school=school),
            school=school,
            month=dt.date(2026, 10, 1),
            enrolled_days=20,
            absent_days=3,
        )
    goal = _goal(t1)
    client = as_user(t1.users["coordinator"])
    body = client.get(reverse("goal_detail", args=[goal.pk])).content.decode()
    assert "fewer than 10" in body and "85.0%" not in body
    body = client.get(reverse("school_goal_list", args=[school.pk])).content.decode()
    assert "fewer than 10" in body and "85.0%" not in body


def test_an_edit_on_a_stale_version_is_a_409_that_keeps_the_changes(t1, as_user):
    goal = _goal(t1)
    Goal.objects.filter(pk=goal.pk).update(version=2)
    client = as_user(t1.users["coordinator"])
    response = client.post(
        reverse("goal_edit", args=[goal.pk]),
        {**{f"edit-{k}": v for k, v in FORM.items()}, "edit-title": "Mine", "version": 1},
    )
    assert response.status_code == 409
    assert 'value="Mine"' in response.content.decode()
    assert Goal.objects.get().title == ""


def test_list_query_counts(t1, as_user, django_assert_max_num_queries):
    for _ in range(5):
        _goal(t1)
    client = as_user(t1.users["coordinator"])
    with django_assert_max_num_queries(40):
        assert client.get(reverse("school_goal_list", args=[t1.schools[0].pk])).status_code == 200
