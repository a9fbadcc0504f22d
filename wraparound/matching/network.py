"""The network allocation problem, built from the database: every school's open needs, every
service's capacity left, the eligible need → service arcs and the diminishing returns.

- Needs: the unplanned gaps of the year's *submitted* assessments (`assessments.gaps`): what is
  left once assets and proposed or active partnerships are counted, so existing commitments are
  kept and never re-planned.
- Services: capacity left (`eligibility.load_services`); a service with no stated capacity, or
  none left, takes part in no arc.
- Arcs: the same hard rules as the recommendations (`eligibility.RULES`); a school that already
  has an open partnership with a service this year gets no second one (its units can be
  raised on the partnership itself). Benefit per unit = the need's weight × the match score,
  weight = severity × the school's need index (`core.need_index`, floored at `MIN_INDEX` so a
  school with no recorded disadvantage still counts).
- Groups (one per school × category): diminishing returns. Of the category's students at the
  school, the first half count fully, the next 30% lose a quarter of the group's top weight and
  the last 20% lose half; units already covered by assets and partnerships use up the first
  bands. So capacity goes first where a school has least, and one school cannot absorb all of a
  category's capacity while others have none.

Candidates are found through indexes (category × community served, services near each school,
virtual services by category) before the rules run, so a city network (≈19,000 needs ×
12,000 services) builds in seconds, not the hours a pairwise check would take.
"""

from __future__ import annotations

import gc
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from wraparound.agreements.models import OPEN_STATUSES, Partnership
from wraparound.assessments.gaps import Gap, gaps_for
from wraparound.assessments.models import Need as NeedRow
from wraparound.core.models import Network, SchoolYear
from wraparound.core.need_index import need_indexes
from wraparound.directory.search import EARTH_RADIUS_KM
from wraparound.directory.selectors import stale_cutoff

from . import allocation as a
from .eligibility import (
    Context,
    NeedFacts,
    ServiceFacts,
    base_language,
    descendants,
    grade_position,
    load_services,
    score_value,
    sustained_pairs,
)

MIN_INDEX = 0.05
# Diminishing-returns bands: (share of the category's students at the school, penalty as a
# share of the group's top need weight). Penalties never decrease: weights never increase.
BANDS: tuple[tuple[float, float], ...] = ((0.5, 0.0), (0.3, 0.25), (0.2, 0.5))

# Why no arc was built, for the unmet reasons (`allocation` says "no eligible service").
EMPTY_NO_NEEDS = "no_needs"
EMPTY_NO_SERVICES = "no_services"


@dataclass
class Problem:
    network: Network
    school_year: SchoolYear
    model: a.Model
    needs: dict[int, NeedFacts]
    gaps: dict[int, Gap]
    weights: dict[int, float]  # need id → severity × need index
    indexes: dict[int, float]  # school id → need index
    school_order: list[list[int]]  # need ids per school, highest need index first (greedy)
    services: dict[int, ServiceFacts]
    empty_reason: str | None = None
    # Needs whose eligible services are all full (their unmet reason is capacity taken).
    full_only: set[int] = field(default_factory=set)
    stats: dict[str, float | int] = field(default_factory=dict)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """A city's model is some million small objects, none of them garbage: the cyclic
    collector would walk them again and again while they are made (a third of the build)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_problem(network: Network, school_year: SchoolYear) -> Problem:
    with _gc_paused():
        return _build_problem(network, school_year)


def _build_problem(network: Network, school_year: SchoolYear) -> Problem:
    started = time.perf_counter()
    gaps = gaps_for(network=network, school_year=school_year, submitted_only=True)
    open_gaps = {need_id: g for need_id, g in gaps.items() if g.unplanned > 0}
    below = descendants(network)
    needs = _need_facts(network, school_year, open_gaps, below)
    indexes = need_indexes(network)
    weights = {
        need.id: need.severity * max(indexes.get(need.school_id, 0.0), MIN_INDEX)
        for need in needs.values()
    }
    services = load_services(network, school_year, stale_before=stale_cutoff(network))
    # The rules that do not depend on the need, applied once: the pool of possible services,
    # and those of them with places left.
    pool = {s.id: s for s in services.values() if s.active and s.vetted and s.cleared}
    usable = {i: s for i, s in pool.items() if s.capacity_left and s.capacity_left > 0}
    loaded = time.perf_counter()
    ctx = Context(
        distance_km=float(network.match_distance_km),
        sustained=sustained_pairs(network, school_year),
    )
    ctx.distances = _near_schools(needs.values(), pool.values(), ctx.distance_km)
    taken = set(
        Partnership.objects.filter(
            network=network,
            school_year=school_year,
            status__in=OPEN_STATUSES,
            school__isnull=False,
            service__isnull=False,
        ).values_list("school_id", "service_id")
    )
    arcs = _arcs(needs, usable, weights, ctx, taken)
    # Needs with no arc whose only eligible services are full: "capacity taken" (by existing
    # commitments), not "no eligible service".
    with_arcs = {arc.need_id for arc in arcs}
    full = {i: s for i, s in pool.items() if i not in usable}
    no_arc = {i: n for i, n in needs.items() if i not in with_arcs}
    full_only = {arc.need_id for arc in _arcs(no_arc, full, weights, ctx, taken)} if full else set()
    groups = _groups(needs, gaps, weights)
    model = a.Model(
        needs=tuple(a.Need(n.id, n.units) for n in needs.values()),
        services=tuple(a.Service(s.id, s.capacity_left or 0) for s in usable.values()),
        arcs=tuple(arcs),
        groups=tuple(groups),
    )
    by_school: dict[int, list[int]] = defaultdict(list)
    for need in needs.values():
        by_school[need.school_id].append(need.id)
    order = sorted(by_school, key=lambda school_id: (-indexes.get(school_id, 0.0), school_id))
    empty_reason = None
    if not needs:
        empty_reason = EMPTY_NO_NEEDS
    elif not usable:
        empty_reason = EMPTY_NO_SERVICES
    return Problem(
        network=network,
        school_year=school_year,
        model=model,
        needs=needs,
        gaps=gaps,
        weights=weights,
        indexes=indexes,
        school_order=[by_school[s] for s in order],
        services=services,
        empty_reason=empty_reason,
        full_only=full_only,
        stats={
            "load_seconds": round(loaded - started, 4),
            "model_seconds": round(time.perf_counter() - loaded, 4),
            "needs": len(model.needs),
            "services": len(model.services),
            "arcs": len(model.arcs),
            "groups": len(model.groups),
        },
    )


def _need_facts(
    network: Network,
    school_year: SchoolYear,
    gaps: dict[int, Gap],
    below: dict[int, frozenset[int]],
) -> dict[int, NeedFacts]:
    facts: dict[int, NeedFacts] = {}
    if not gaps:
        return facts
    timing_fields = ("during_school_day", "after_school", "weekend", "summer", "virtual")
    # The year's needs are read whole and filtered here: an id list of a city's needs would
    # pass SQLite's parameter limit.
    rows = (
        NeedRow.objects.filter(
            assessment__school__network=network, assessment__school_year=school_year
        )
        .order_by("id")
        .values_list(
            "id",
            "assessment__school_id",
            "assessment__school__name",
            "assessment__school__community_id",
            "assessment__school__community__name",
            "assessment__school__latitude",
            "assessment__school__longitude",
            "category_id",
            "severity",
            "tier",
            "grade_low",
            "grade_high",
            "languages",
            *timing_fields,
        )
    )
    for row in rows:
        need_id = row[0]
        gap = gaps.get(need_id)
        if gap is None:
            continue
        lat, lon = row[5], row[6]
        facts[need_id] = NeedFacts(
            id=need_id,
            school_id=row[1],
            school_name=row[2],
            community_id=row[3],
            community_name=row[4],
            latitude=float(lat) if lat is not None else None,
            longitude=float(lon) if lon is not None else None,
            category_id=row[7],
            categories=below.get(row[7], frozenset({row[7]})),
            severity=row[8],
            tier=row[9],
            units=gap.unplanned,
            grade_low=grade_position(row[10]),
            grade_high=grade_position(row[11]),
            languages=tuple(
                dict.fromkeys(base_language(c) for c in row[12].split(",") if c.strip())
            ),
            timings=tuple(t for t, on in zip(timing_fields, row[13:], strict=True) if on),
        )
    return facts


def _near_schools(
    needs: Iterable[NeedFacts], services: Iterable[ServiceFacts], km: float
) -> dict[int, dict[int, float]]:
    """School id → {service id: distance to its nearest location} for the services with a
    location within `km` of the school — all schools against all locations at once (numpy)."""
    schools: dict[int, tuple[float, float]] = {}
    for need in needs:
        if need.latitude is not None and need.longitude is not None:
            schools[need.school_id] = (need.latitude, need.longitude)
    points = [(s.id, lat, lon) for s in services for lat, lon in s.locations]
    result: dict[int, dict[int, float]] = {school_id: {} for school_id in schools}
    if not schools or not points:
        return result
    service_ids = np.array([p[0] for p in points], dtype=np.int64)
    lat2 = np.radians(np.array([p[1] for p in points]))
    lon2 = np.radians(np.array([p[2] for p in points]))
    cos_lat2 = np.cos(lat2)
    for school_id, (lat, lon) in schools.items():
        lat1, lon1 = math.radians(lat), math.radians(lon)
        h = (
            np.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * cos_lat2 * np.sin((lon2 - lon1) / 2) ** 2
        )
        distance = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
        near = result[school_id]
        for k in np.flatnonzero(distance <= km):
            service_id, d = int(service_ids[k]), float(distance[k])
            if d < near.get(service_id, math.inf):
                near[service_id] = d
    return result


def _arcs(
    needs: dict[int, NeedFacts],
    services: dict[int, ServiceFacts],
    weights: dict[int, float],
    ctx: Context,
    taken: set[tuple[int, int]],
) -> list[a.Arc]:
    """The eligible need → service arcs with their benefit. `services` passed the rules that do
    not depend on the need (active, vetted, capacity, cleared); the candidates below pass the
    category and reach rules by construction (the indexes); grades, language and timing are
    tested inline — the same tests as `eligibility.RULES` (a test holds every arc to them)."""
    by_category_community: dict[tuple[int, int], list[int]] = defaultdict(list)
    virtual_by_category: dict[int, list[int]] = defaultdict(list)
    for s in services.values():
        for term in s.categories:
            for community in s.communities:
                by_category_community[(term, community)].append(s.id)
            if "virtual" in s.timings:
                virtual_by_category[term].append(s.id)
    near = ctx.distances or {}
    near_by_category: dict[int, dict[int, list[int]]] = {}  # school → term → services near it
    arcs: list[a.Arc] = []
    for need in needs.values():
        school_near = near_by_category.get(need.school_id)
        if school_near is None:
            school_near = defaultdict(list)
            for service_id in near.get(need.school_id, ()):
                if service_id not in services:
                    continue
                for term in services[service_id].categories:
                    school_near[term].append(service_id)
            near_by_category[need.school_id] = school_near
        allows_virtual = not need.timings or "virtual" in need.timings
        candidates: set[int] = set()
        for term in need.categories:
            candidates.update(by_category_community.get((term, need.community_id), ()))
            candidates.update(school_near.get(term, ()))
            if allows_virtual:
                candidates.update(virtual_by_category.get(term, ()))
        weight = weights[need.id]
        low, high = need.grade_low, need.grade_high
        languages, timings = need.languages, need.timings
        for service_id in sorted(candidates):
            if (need.school_id, service_id) in taken:
                continue
            service = services[service_id]
            if low is not None and service.grade_high is not None and service.grade_high < low:
                continue
            if high is not None and service.grade_low is not None and service.grade_low > high:
                continue
            if languages and service.languages.isdisjoint(languages):
                continue
            if timings and service.timings.isdisjoint(timings):
                continue
            quality = score_value(need, service, ctx)
            arcs.append(a.Arc(need.id, service_id, round(weight * quality, 6)))
    return arcs


def _groups(
    needs: dict[int, NeedFacts], gaps: dict[int, Gap], weights: dict[int, float]
) -> list[a.Group]:
    members: dict[tuple[int, int], list[int]] = defaultdict(list)
    for need in needs.values():
        members[(need.school_id, need.category_id)].append(need.id)
    # Everything the school's needs of the category ask for, and what is already covered,
    # including needs with no gap left (they used up the first bands).
    asked: dict[tuple[int, int], int] = defaultdict(int)
    covered: dict[tuple[int, int], int] = defaultdict(int)
    for gap in gaps.values():
        key = (gap.school_id, gap.category_id)
        asked[key] += gap.students
        covered[key] += gap.students - gap.unplanned
    groups: list[a.Group] = []
    for (school_id, category_id), need_ids in sorted(members.items()):
        key = (school_id, category_id)
        total = asked[key]
        open_units = sum(needs[i].units for i in need_ids)
        top = max(weights[i] for i in need_ids)
        segments: list[a.Segment] = []
        start = 0.0
        position = covered[key]  # units already covered fill the bands first
        left = open_units
        for k, (share, penalty) in enumerate(BANDS):
            end = total if k == len(BANDS) - 1 else start + share * total
            room = max(0, math.floor(end) - position) if k < len(BANDS) - 1 else left
            take = min(left, room)
            if take > 0:
                segments.append(a.Segment(take, round(-penalty * top, 6)))
                left -= take
                position += take
            start = end
        group_id = f"{school_id}:{category_id}"
        groups.append(a.Group(group_id, tuple(sorted(need_ids)), tuple(segments)))
    return groups


def solve(problem: Problem, strategy: str) -> a.Plan:
    """The plan for the problem by the strategy ("optimal" or "greedy"); an empty plan with
    the reason when there is nothing to allocate."""
    with _gc_paused():
        return _solve(problem, strategy)


def _solve(problem: Problem, strategy: str) -> a.Plan:
    if strategy not in ("optimal", "greedy"):
        raise ValueError(f"unknown strategy {strategy!r}")
    if problem.empty_reason is not None and not problem.model.arcs:
        plan = a.Plan(0.0, [], [], {"strategy": strategy, "empty_reason": problem.empty_reason})
        plan.unmet = [a.Unmet(n.id, n.units, a.NO_ELIGIBLE_SERVICE) for n in problem.model.needs]
    elif strategy == "greedy":
        plan = a.solve_greedy(problem.model, problem.school_order)
    else:
        plan = a.solve_optimal(problem.model)
    plan.unmet = [
        a.Unmet(u.need_id, u.units, a.CAPACITY_TAKEN)
        if u.reason == a.NO_ELIGIBLE_SERVICE and u.need_id in problem.full_only
        else u
        for u in plan.unmet
    ]
    plan.stats.update(problem.stats)
    plan.stats.update(coverage(problem, plan))
    return plan


def coverage(problem: Problem, plan: a.Plan) -> dict[str, object]:
    """Units asked and served, equity-weighted coverage (Σ weight × served ÷ Σ weight × asked)
    and coverage by need-index quintile (1 = least need, 5 = most)."""
    from wraparound.core.need_index import quintiles

    served: dict[int, int] = defaultdict(int)
    for assignment in plan.assignments:
        served[assignment.need_id] += assignment.units
    asked_total = sum(n.units for n in problem.needs.values())
    weighted_asked = sum(problem.weights[n.id] * n.units for n in problem.needs.values())
    weighted_served = sum(problem.weights[i] * u for i, u in served.items())
    schools = {n.school_id for n in problem.needs.values()}
    quintile = quintiles({s: problem.indexes.get(s, 0.0) for s in schools}) if schools else {}
    by_quintile_asked: dict[int, int] = defaultdict(int)
    by_quintile_served: dict[int, int] = defaultdict(int)
    for need in problem.needs.values():
        q = quintile[need.school_id]
        by_quintile_asked[q] += need.units
        by_quintile_served[q] += served.get(need.id, 0)
    return {
        "units_asked": asked_total,
        "units_served": sum(served.values()),
        "coverage": round(sum(served.values()) / asked_total, 4) if asked_total else 0.0,
        "equity_weighted_coverage": round(weighted_served / weighted_asked, 4)
        if weighted_asked
        else 0.0,
        "coverage_by_quintile": {
            str(q): round(by_quintile_served[q] / by_quintile_asked[q], 4)
            for q in sorted(by_quintile_asked)
            if by_quintile_asked[q]
        },
    }
