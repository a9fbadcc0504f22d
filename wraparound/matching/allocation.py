"""Network allocation as a pure problem: partner capacity across every school's open needs.

The problem (issue 4's contract, MODEL.json): maximize Σ benefit × x(arc) over need → service
arcs plus, for every group (one school × category), Σ weight × y(segment) over its segments,
subject to Σ x over a need's arcs ≤ its units, Σ x over a service's arcs ≤ its capacity,
Σ y over a group's segments = Σ x over its needs' arcs, 0 ≤ y ≤ segment units; weights are
non-increasing, so segments are diminishing returns.

Solved exactly as a min-cost flow (OR-Tools): source → service (capacity) → need (−benefit) →
group → sink through one arc per segment (−weight), plus a free source → sink arc so that flow
worth nothing is not forced through. Because segment weights never increase, the cheapest flow
fills a group's segments in order, which is exactly y. Costs are integers, so benefits and
weights are scaled; `objective_of` recomputes the objective in floating point from the flows.

This module knows nothing of schools or services: `wraparound.matching` builds the model from
the database (eligibility, need weights, existing commitments) and explains the plan.
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

# Benefits and weights are scaled to integers for the solver. With benefits of order 1–100 and
# up to ~10^6 units in a network, a scale of 10^6 keeps every cost under 2^53 and the rounding
# far below the 1e-6 relative tolerance the tests hold the solver to.
COST_SCALE = 1_000_000

NO_ELIGIBLE_SERVICE = "no_eligible_service"
CAPACITY_TAKEN = "capacity_taken"
NOT_WORTH_IT = "diminishing_returns"


@dataclass(frozen=True)
class Need:
    id: int
    units: int


@dataclass(frozen=True)
class Service:
    id: int
    capacity: int


@dataclass(frozen=True)
class Arc:
    need_id: int
    service_id: int
    benefit: float


@dataclass(frozen=True)
class Segment:
    units: int
    weight: float


@dataclass(frozen=True)
class Group:
    id: str
    need_ids: tuple[int, ...]
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Model:
    needs: tuple[Need, ...]
    services: tuple[Service, ...]
    arcs: tuple[Arc, ...]
    groups: tuple[Group, ...]

    def __post_init__(self) -> None:
        need_ids = {n.id for n in self.needs}
        service_ids = {s.id for s in self.services}
        if len(need_ids) != len(self.needs) or len(service_ids) != len(self.services):
            raise ValueError("need and service ids must be unique")
        if any(n.units < 0 for n in self.needs) or any(s.capacity < 0 for s in self.services):
            raise ValueError("units and capacities must not be negative")
        for arc in self.arcs:
            if arc.need_id not in need_ids or arc.service_id not in service_ids:
                raise ValueError(f"arc {arc} names an unknown need or service")
            if not math.isfinite(arc.benefit):
                raise ValueError(f"arc {arc} has no finite benefit")
        grouped = [need_id for g in self.groups for need_id in g.need_ids]
        if sorted(grouped) != sorted(need_ids):
            raise ValueError("every need must belong to exactly one group")
        for group in self.groups:
            weights = [s.weight for s in group.segments]
            if any(s.units < 0 for s in group.segments) or any(
                later > earlier for earlier, later in pairwise(weights)
            ):
                raise ValueError(f"group {group.id}: segment weights must not increase")

    def to_json(self) -> dict[str, Any]:
        return {
            "needs": [asdict(n) for n in self.needs],
            "services": [asdict(s) for s in self.services],
            "arcs": [asdict(a) for a in self.arcs],
            "groups": [
                {
                    "id": g.id,
                    "need_ids": list(g.need_ids),
                    "segments": [asdict(s) for s in g.segments],
                }
                for g in self.groups
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Model:
        return cls(
            needs=tuple(Need(int(n["id"]), int(n["units"])) for n in data["needs"]),
            services=tuple(Service(int(s["id"]), int(s["capacity"])) for s in data["services"]),
            arcs=tuple(
                Arc(int(a["need_id"]), int(a["service_id"]), float(a["benefit"]))
                for a in data["arcs"]
            ),
            groups=tuple(
                Group(
                    str(g["id"]),
                    tuple(int(i) for i in g["need_ids"]),
                    tuple(Segment(int(s["units"]), float(s["weight"])) for s in g["segments"]),
                )
                for g in data["groups"]
            ),
        )


@dataclass(frozen=True)
class Assignment:
    need_id: int
    service_id: int
    units: int
    benefit: float


@dataclass(frozen=True)
class Unmet:
    need_id: int
    units: int
    reason: str


@dataclass
class Plan:
    objective: float
    assignments: list[Assignment]
    unmet: list[Unmet]
    stats: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "assignments": [asdict(a) for a in self.assignments],
            "unmet": [asdict(u) for u in self.unmet],
            "stats": self.stats,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2)


def objective_of(model: Model, flows: dict[tuple[int, int], int]) -> float:
    """The contract's objective at these flows: arc benefits plus, per group, its segments
    filled in order (the best y for a given x, since weights never increase)."""
    benefit = {(a.need_id, a.service_id): a.benefit for a in model.arcs}
    total = sum(benefit[key] * units for key, units in flows.items())
    served: dict[int, int] = defaultdict(int)
    for (need_id, _service_id), units in flows.items():
        served[need_id] += units
    for group in model.groups:
        left = sum(served[need_id] for need_id in group.need_ids)
        for segment in group.segments:
            take = min(left, segment.units)
            total += take * segment.weight
            left -= take
    return total


def _plan(model: Model, flows: dict[tuple[int, int], int], stats: dict[str, Any]) -> Plan:
    benefit = {(a.need_id, a.service_id): a.benefit for a in model.arcs}
    assignments = [
        Assignment(need_id, service_id, units, benefit[(need_id, service_id)])
        for (need_id, service_id), units in sorted(flows.items())
        if units > 0
    ]
    served: dict[int, int] = defaultdict(int)
    used: dict[int, int] = defaultdict(int)
    for a in assignments:
        served[a.need_id] += a.units
        used[a.service_id] += a.units
    capacity = {s.id: s.capacity for s in model.services}
    arcs_of: dict[int, list[int]] = defaultdict(list)
    for arc in model.arcs:
        arcs_of[arc.need_id].append(arc.service_id)
    unmet = []
    for need in model.needs:
        left = need.units - served[need.id]
        if left <= 0:
            continue
        services = arcs_of[need.id]
        if not services:
            reason = NO_ELIGIBLE_SERVICE
        elif all(used[s] >= capacity[s] for s in services):
            reason = CAPACITY_TAKEN
        else:
            reason = NOT_WORTH_IT
        unmet.append(Unmet(need.id, left, reason))
    return Plan(objective_of(model, flows), assignments, unmet, stats)


def solve_optimal(model: Model) -> Plan:
    started = time.perf_counter()
    # Nodes: 0 source, 1 sink, then services, needs and groups; arcs are added as arrays (a
    # city network has about a million need → service arcs).
    service_node = {s.id: 2 + k for k, s in enumerate(model.services)}
    need_base = 2 + len(model.services)
    need_node = {n.id: need_base + k for k, n in enumerate(model.needs)}
    group_base = need_base + len(model.needs)
    capacity = np.array([s.capacity for s in model.services], dtype=np.int64)
    units_of = {n.id: n.units for n in model.needs}
    capacity_of = {s.id: s.capacity for s in model.services}

    tails: list[np.ndarray] = []
    heads: list[np.ndarray] = []
    caps: list[np.ndarray] = []
    costs: list[np.ndarray] = []

    def add(t: Any, h: Any, c: Any, w: Any) -> None:
        tails.append(np.asarray(t, dtype=np.int32))
        heads.append(np.asarray(h, dtype=np.int32))
        caps.append(np.asarray(c, dtype=np.int64))
        costs.append(np.asarray(w, dtype=np.int64))

    n_services = len(model.services)
    add(np.zeros(n_services), 2 + np.arange(n_services), capacity, np.zeros(n_services))
    first_need_arc = n_services
    add(
        [service_node[a.service_id] for a in model.arcs],
        [need_node[a.need_id] for a in model.arcs],
        [min(units_of[a.need_id], capacity_of[a.service_id]) for a in model.arcs],
        np.rint(np.array([a.benefit for a in model.arcs], dtype=float) * -COST_SCALE),
    )
    for g, group in enumerate(model.groups):
        node = group_base + g
        members = [need_node[i] for i in group.need_ids]
        add(
            members,
            [node] * len(members),
            [units_of[i] for i in group.need_ids],
            [0] * len(members),
        )
        weights = np.array([seg.weight for seg in group.segments], dtype=float)
        segment_units = [seg.units for seg in group.segments]
        add(
            [node] * len(segment_units),
            [1] * len(segment_units),
            segment_units,
            np.rint(weights * -COST_SCALE),
        )
    # Unused capacity goes straight to the sink at no cost: nothing is forced through a
    # service when it would lower the objective.
    total_capacity = int(capacity.sum())
    add([0], [1], [total_capacity], [0])

    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails), np.concatenate(heads), np.concatenate(caps), np.concatenate(costs)
    )
    smcf.set_node_supply(0, total_capacity)
    smcf.set_node_supply(1, -total_capacity)
    built = time.perf_counter()
    status = smcf.solve()
    solved = time.perf_counter()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow did not solve: status {status}")
    n_arcs = len(model.arcs)
    flow = smcf.flows(np.arange(first_need_arc, first_need_arc + n_arcs, dtype=np.int32))
    flows = {
        (model.arcs[k].need_id, model.arcs[k].service_id): int(flow[k])
        for k in np.flatnonzero(flow)
    }
    return _plan(
        model,
        flows,
        {
            "strategy": "optimal",
            "build_seconds": round(built - started, 4),
            "solve_seconds": round(solved - built, 4),
            "nodes": smcf.num_nodes(),
            "arcs": smcf.num_arcs(),
        },
    )


def solve_greedy(model: Model, school_order: Sequence[Iterable[int]] | None = None) -> Plan:
    """What is done by hand today: schools take turns (highest need first); on its turn a school
    takes, for one of its needs, the best remaining service, as many units as it can.

    `school_order` lists each school's need ids, schools in turn order; by default every group
    is its own school, in model order."""
    started = time.perf_counter()
    if school_order is None:
        school_order = [g.need_ids for g in model.groups]
    schools = [list(need_ids) for need_ids in school_order]
    need_left = {need.id: need.units for need in model.needs}
    capacity_left = {s.id: s.capacity for s in model.services}
    # A group serves at most its segments' units (Σ y = Σ x, y ≤ units): the same rule for greedy.
    group_of = {need_id: g.id for g in model.groups for need_id in g.need_ids}
    group_left = {g.id: sum(s.units for s in g.segments) for g in model.groups}
    arcs_of: dict[int, list[Arc]] = defaultdict(list)
    for arc in model.arcs:
        arcs_of[arc.need_id].append(arc)
    for arcs in arcs_of.values():
        arcs.sort(key=lambda a: (-a.benefit, a.service_id))
    flows: dict[tuple[int, int], int] = defaultdict(int)
    active = True
    while active:
        active = False
        for need_ids in schools:
            best: Arc | None = None
            for need_id in need_ids:
                if need_left[need_id] <= 0 or group_left[group_of[need_id]] <= 0:
                    continue
                for arc in arcs_of[need_id]:
                    if capacity_left[arc.service_id] > 0:
                        if best is None or arc.benefit > best.benefit:
                            best = arc
                        break
            if best is None or best.benefit <= 0:
                continue
            group = group_of[best.need_id]
            units = min(need_left[best.need_id], capacity_left[best.service_id], group_left[group])
            flows[(best.need_id, best.service_id)] += units
            need_left[best.need_id] -= units
            capacity_left[best.service_id] -= units
            group_left[group] -= units
            active = True
    return _plan(
        model,
        dict(flows),
        {"strategy": "greedy", "solve_seconds": round(time.perf_counter() - started, 4)},
    )
