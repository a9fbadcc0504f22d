"""The demo's goals (issue 7): two per school, a network goal, a partnership goal, graduation
goals with a figure entered; their progress computes, and the demo shows goals both on and off
track."""

from __future__ import annotations

import pytest

from wraparound.demo.generate import seed_demo
from wraparound.demo.profiles import SMALL
from wraparound.outcomes.goal_selectors import Status, progress
from wraparound.outcomes.models import Goal, GoalScope, Indicator

pytestmark = pytest.mark.django_db


def test_small_demo_goals_and_their_progress() -> None:
    data = seed_demo(SMALL, seed=1)
    goals = list(Goal.objects.filter(network=data.network).prefetch_related("measurements"))
    per_school = [g for g in goals if g.scope == GoalScope.SCHOOL]
    assert {g.school_id for g in per_school} == {s.pk for s in data.schools}
    assert any(g.scope == GoalScope.NETWORK for g in goals)
    assert any(g.scope == GoalScope.PARTNERSHIP for g in goals)
    graduation = [g for g in goals if g.indicator == Indicator.GRADUATION_RATE]
    assert graduation and all(g.measurements.all() for g in graduation)
    today = data.network.today()
    statuses = {progress(g, today=today).status for g in goals}
    assert Status.OFF_TRACK in statuses
    assert statuses & {Status.ON_TRACK, Status.MET}
    assert data.counts()["goals"] == len(goals)
