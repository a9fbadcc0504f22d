"""Goal writes: validation by field, who may set goals for what, optimistic locking."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.assessments.tests.factories import PartnershipFactory

from .. import goal_services as svc
from ..models import Goal, GoalMeasurement, GoalScope, Indicator

pytestmark = pytest.mark.django_db

FIELDS = {
    "indicator": Indicator.ATTENDANCE_RATE,
    "term": "short",
    "title": "Fewer missed days",
    "baseline": Decimal("0.88"),
    "baseline_on": dt.date(2026, 9, 1),
    "target": Decimal("0.92"),
    "target_on": dt.date(2027, 6, 30),
}


def _create(user, t, **over):
    fields = {**FIELDS, **over}
    fields.setdefault("scope", GoalScope.SCHOOL)
    fields.setdefault("school", t.schools[0])
    fields.setdefault("partnership", None)
    return svc.goal_create(user=user, network=t.network, **fields)


def test_coordinator_sets_a_school_goal_and_it_is_audited(t1):
    goal = _create(t1.users["coordinator"], t1)
    assert goal.school == t1.schools[0] and goal.created_by == t1.users["coordinator"]
    assert goal.baseline == Decimal("0.8800")


@pytest.mark.parametrize(
    "over,field",
    [
        ({"baseline": Decimal("1.5")}, "baseline"),
        ({"target": Decimal("-0.1")}, "target"),
        ({"target": Decimal("0.88")}, "target"),
        ({"target_on": dt.date(2026, 8, 1)}, "target_on"),
        ({"indicator": "happiness"}, "indicator"),
        ({"term": "forever"}, "term"),
        ({"indicator": Indicator.DAYS_TO_FIRST_SESSION, "baseline": 400, "target": 10}, "baseline"),
    ],
    ids=[
        "rate-over-100",
        "negative",
        "same-as-baseline",
        "date-before",
        "indicator",
        "term",
        "days",
    ],
)
def test_bad_values_are_refused_by_field(t1, over, field):
    with pytest.raises(ValidationError) as error:
        _create(t1.users["coordinator"], t1, **over)
    assert field in error.value.message_dict
    assert not Goal.objects.exists()


def test_who_may_set_which_goals(t1, t2):
    for name in ("staff", "evaluator", "partner_admin", "supervisor"):
        with pytest.raises(PermissionDenied):
            _create(t1.users[name], t1)
    with pytest.raises(PermissionDenied):  # a coordinator sets no network goal
        _create(t1.users["coordinator"], t1, scope=GoalScope.NETWORK, school=None)
    with pytest.raises(PermissionDenied):  # another network's admin
        _create(t2.users["network_admin"], t1)
    with pytest.raises(ValidationError):  # a school of another network
        _create(t1.users["network_admin"], t1, school=t2.schools[0])
    assert _create(t1.users["network_admin"], t1, scope=GoalScope.NETWORK, school=None)
    assert _create(t1.users["principal"], t1)


def test_partnership_goal_must_be_the_school_partnership(t1):
    elsewhere = PartnershipFactory(school=t1.schools[2], network=t1.network)
    with pytest.raises(ValidationError) as error:
        _create(t1.users["coordinator"], t1, scope=GoalScope.PARTNERSHIP, partnership=elsewhere)
    assert "partnership" in error.value.message_dict
    mine = PartnershipFactory(school=t1.schools[0], network=t1.network)
    goal = _create(
        t1.users["coordinator"], t1, scope=GoalScope.PARTNERSHIP, school=None, partnership=mine
    )
    assert goal.partnership == mine and goal.school is None


def test_update_refuses_a_stale_version(t1):
    goal = _create(t1.users["coordinator"], t1)
    svc.goal_update(
        user=t1.users["coordinator"],
        goal=goal,
        expected_version=1,
        **{**FIELDS, "target": Decimal("0.95")},
    )
    assert goal.version == 2 and goal.target == Decimal("0.9500")
    stale = Goal.objects.get(pk=goal.pk)
    with pytest.raises(svc.GoalConflict):
        svc.goal_update(user=t1.users["principal"], goal=stale, expected_version=1, **FIELDS)
    with pytest.raises(svc.GoalConflict):
        svc.goal_delete(user=t1.users["principal"], goal=stale, expected_version=1)
    svc.goal_delete(user=t1.users["principal"], goal=stale, expected_version=2)
    assert not Goal.objects.exists()


def test_measurements_only_for_indicators_the_system_does_not_compute(t1):
    goal = _create(t1.users["coordinator"], t1)
    with pytest.raises(ValidationError):
        svc.goal_record_measurement(
            user=t1.users["coordinator"], goal=goal, measured_on=dt.date(2027, 1, 1), value=0.9
        )
    grad = _create(
        t1.users["coordinator"],
        t1,
        indicator="graduation_rate",
        baseline=Decimal("0.7"),
        target=Decimal("0.8"),
    )
    with pytest.raises(ValidationError) as error:
        svc.goal_record_measurement(
            user=t1.users["coordinator"], goal=grad, measured_on=None, value="lots"
        )
    assert set(error.value.message_dict) == {"value", "measured_on"}
    with pytest.raises(PermissionDenied):
        svc.goal_record_measurement(
            user=t1.users["staff"], goal=grad, measured_on=dt.date(2027, 1, 1), value=0.75
        )
    svc.goal_record_measurement(
        user=t1.users["coordinator"], goal=grad, measured_on=dt.date(2027, 1, 1), value=0.75
    )
    assert GoalMeasurement.objects.get().value == Decimal("0.7500")
