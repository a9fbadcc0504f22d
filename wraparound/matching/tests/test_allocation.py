"""The allocation solver against an independent LP (SciPy's HiGHS) and its invariants, on
hand-made cases and on models hypothesis draws."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from wraparound.matching.allocation import (
    CAPACITY_TAKEN,
    NO_ELIGIBLE_SERVICE,
    Arc,
    Group,
    Model,
    Need,
    Segment,
    Service,
    solve_greedy,
    solve_optimal,
)


def lp_optimum(model: Model) -> float:
    """The contract's LP, written out variable by variable and solved by HiGHS."""
    arcs, segments = list(model.arcs), [(g, s) for g in model.groups for s in g.segments]
    n = len(arcs) + len(segments)
    if n == 0:
        return 0.0
    c = np.array([-a.benefit for a in arcs] + [-s.weight for _g, s in segments])
    a_ub, b_ub = [], []
    for need in model.needs:
        a_ub.append([1.0 if a.need_id == need.id else 0.0 for a in arcs] + [0.0] * len(segments))
        b_ub.append(need.units)
    for service in model.services:
        row = [1.0 if a.service_id == service.id else 0.0 for a in arcs] + [0.0] * len(segments)
        a_ub.append(row)
        b_ub.append(service.capacity)
    a_eq, b_eq = [], []
    for group in model.groups:
        members = set(group.need_ids)
        a_eq.append(
            [-1.0 if a.need_id in members else 0.0 for a in arcs]
            + [1.0 if g is group else 0.0 for g, _s in segments]
        )
        b_eq.append(0.0)
    bounds = [(0, None)] * len(arcs) + [(0, s.units) for _g, s in segments]
    result = linprog(
        c,
        A_ub=np.array(a_ub) if a_ub else None,
        b_ub=b_ub or None,
        A_eq=np.array(a_eq) if a_eq else None,
        b_eq=b_eq or None,
        bounds=bounds,
        method="highs",
    )
    assert result.status == 0, result.message
    return -float(result.fun)


def assert_feasible(model: Model, plan) -> None:
    arcs = {(a.need_id, a.service_id) for a in model.arcs}
    per_need: dict[int, int] = defaultdict(int)
    per_service: dict[int, int] = defaultdict(int)
    for a in plan.assignments:
        assert (a.need_id, a.service_id) in arcs  # every assignment is an eligible pair
        assert a.units > 0
        per_need[a.need_id] += a.units
        per_service[a.service_id] += a.units
    for need in model.needs:
        assert per_need[need.id] <= need.units
    for service in model.services:
        assert per_service[service.id] <= service.capacity
    for group in model.groups:  # Σ x of a group's needs fits in its segments (Σ y = Σ x)
        assert sum(per_need[i] for i in group.need_ids) <= sum(s.units for s in group.segments)
    unmet = {u.need_id: u.units for u in plan.unmet}
    for need in model.needs:
        assert per_need[need.id] + unmet.get(need.id, 0) == need.units


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def test_capacity_goes_where_it_is_worth_most_with_diminishing_returns():
    # One tutoring service of 10 places; two schools need 10 each. Without diminishing returns
    # the higher-weight school would take all; its second five places are worth less.
    model = Model(
        needs=(Need(1, 10), Need(2, 10)),
        services=(Service(7, 10),),
        arcs=(Arc(1, 7, 3.0), Arc(2, 7, 2.0)),
        groups=(
            Group("A:tutoring", (1,), (Segment(5, 1.0), Segment(5, -1.5))),
            Group("B:tutoring", (2,), (Segment(5, 1.0), Segment(5, -1.5))),
        ),
    )
    plan = solve_optimal(model)
    assert {(a.need_id, a.units) for a in plan.assignments} == {(1, 5), (2, 5)}
    assert close(plan.objective, 5 * 3 + 5 * 2 + 10 * 1.0)
    assert close(plan.objective, lp_optimum(model))
    greedy = solve_greedy(model)
    assert [(a.need_id, a.units) for a in greedy.assignments] == [(1, 10)]
    assert greedy.objective < plan.objective
    assert {u.need_id: u.reason for u in greedy.unmet} == {2: CAPACITY_TAKEN}


def test_a_need_without_an_eligible_service_is_unmet_with_that_reason():
    model = Model(
        needs=(Need(1, 3),),
        services=(Service(7, 5),),
        arcs=(),
        groups=(Group("A:health", (1,), (Segment(3, 1.0),)),),
    )
    plan = solve_optimal(model)
    assert plan.assignments == [] and plan.objective == 0
    assert [(u.need_id, u.units, u.reason) for u in plan.unmet] == [(1, 3, NO_ELIGIBLE_SERVICE)]


def test_empty_model_is_an_empty_plan():
    plan = solve_optimal(Model(needs=(), services=(), arcs=(), groups=()))
    assert plan.assignments == [] and plan.unmet == [] and plan.objective == 0


def test_the_model_round_trips_through_json_and_refuses_bad_shapes():
    model = Model(
        needs=(Need(1, 2),),
        services=(Service(9, 1),),
        arcs=(Arc(1, 9, 1.5),),
        groups=(Group("g", (1,), (Segment(2, 1.0), Segment(1, 0.5))),),
    )
    assert Model.from_json(model.to_json()) == model
    with pytest.raises(ValueError, match="exactly one group"):
        Model(needs=(Need(1, 2),), services=(), arcs=(), groups=())
    with pytest.raises(ValueError, match="must not increase"):
        Model(
            needs=(Need(1, 2),),
            services=(),
            arcs=(),
            groups=(Group("g", (1,), (Segment(1, 0.5), Segment(1, 1.0))),),
        )
    with pytest.raises(ValueError, match="unknown"):
        Model(
            needs=(Need(1, 2),),
            services=(),
            arcs=(Arc(1, 9, 1.0),),
            groups=(Group("g", (1,), ()),),
        )


@st.composite
def models(draw: st.DrawFn) -> Model:
    n_needs = draw(st.integers(0, 7))
    n_services = draw(st.integers(0, 5))
    needs = tuple(Need(i + 1, draw(st.integers(0, 6))) for i in range(n_needs))
    services = tuple(Service(100 + j, draw(st.integers(0, 8))) for j in range(n_services))
    benefit = st.integers(-200, 1000).map(lambda v: v / 100)
    arcs = tuple(
        Arc(need.id, service.id, draw(benefit))
        for need in needs
        for service in services
        if draw(st.booleans())
    )
    n_groups = draw(st.integers(1, 3)) if needs else 0
    members: dict[int, list[int]] = defaultdict(list)
    for need in needs:
        members[draw(st.integers(0, n_groups - 1))].append(need.id)
    groups = []
    for g in range(n_groups):
        weights = sorted(
            draw(st.lists(st.integers(-300, 500).map(lambda v: v / 100), max_size=3)),
            reverse=True,
        )
        segments = tuple(Segment(draw(st.integers(0, 8)), w) for w in weights)
        groups.append(Group(f"g{g}", tuple(members[g]), segments))
    return Model(needs, services, arcs, tuple(groups))


@settings(max_examples=150, deadline=None)
@given(models())
def test_optimal_matches_the_lp_and_beats_greedy_and_both_keep_every_rule(model: Model):
    optimal = solve_optimal(model)
    greedy = solve_greedy(model)
    assert_feasible(model, optimal)
    assert_feasible(model, greedy)
    assert close(optimal.objective, lp_optimum(model)), (optimal.objective, lp_optimum(model))
    assert optimal.objective >= greedy.objective - 1e-9
