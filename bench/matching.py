"""Benchmark: the network allocation and one-need recommendations on the city profile.

    DEBUG=true .venv/bin/python bench/matching.py

Seeds the city demo profile (1,600 schools, 12,000 services, the assessments of most schools
with about 19,000 needs, existing partnerships) into a fresh temporary SQLite database (or the
PostgreSQL database DATABASE_URL names — a scratch one: the city network is replaced), then:

- **allocation, end to end**: `build_problem` (gaps, need index, the services' facts, the
  eligible arcs, the diminishing-returns groups) + the optimal solve, as `manage.py allocate`
  runs it — the issue's goal is under 10 s; twice, the median reported;
- **solver alone**: the min-cost flow's own time (OR-Tools, from the plan's stats), and the
  ratio end to end ÷ solver;
- **baselines in the same run**: the greedy plan (schools take the best remaining service in
  turn, highest need index first — what is done by hand today) on the same model, and the same
  model solved as a linear program by SciPy's HiGHS (the LP bound: the flow's optimum must
  equal it);
- **equity**: for optimal and greedy, the objective, units served, coverage, equity-weighted
  coverage (Σ weight × served ÷ Σ weight × asked) and coverage by need-index quintile;
- **one-need recommendations**: `recommend(need)` for 200 random needs — the issue's goal is a
  p95 under 50 ms — against the floor any implementation pays: one raw SQL query for the ids of
  the need's category's services.

Prints the figures and writes bench/results/matching.json (matching.postgresql.json on
PostgreSQL).
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import Counter
from io import StringIO
from typing import Any

from common import ROOT, machine, percentile, results_path, setup_django, summary

RECOMMENDATIONS = 200
LP_ARC_LIMIT = 2_000_000


def lp_bound(model: Any) -> dict[str, Any]:
    """The model as an LP (HiGHS): the optimum and the time, the same way the tests check it."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    arcs, groups = model.arcs, model.groups
    if len(arcs) > LP_ARC_LIMIT:
        return {"skipped": f"{len(arcs)} arcs"}
    need_row = {n.id: k for k, n in enumerate(model.needs)}
    service_row = {s.id: len(model.needs) + k for k, s in enumerate(model.services)}
    segments = [(g, s) for g, group in enumerate(groups) for s in group.segments]
    n_x, n_y = len(arcs), len(segments)
    group_of_need = {i: g for g, group in enumerate(groups) for i in group.need_ids}
    rows, cols, vals = [], [], []
    for k, arc in enumerate(arcs):
        rows += [need_row[arc.need_id], service_row[arc.service_id]]
        cols += [k, k]
        vals += [1.0, 1.0]
    n_ub = len(model.needs) + len(model.services)
    a_ub = coo_matrix((vals, (rows, cols)), shape=(n_ub, n_x + n_y)).tocsr()
    b_ub = [n.units for n in model.needs] + [s.capacity for s in model.services]
    eq_rows, eq_cols, eq_vals = [], [], []
    for k, arc in enumerate(arcs):
        eq_rows.append(group_of_need[arc.need_id])
        eq_cols.append(k)
        eq_vals.append(1.0)
    for j, (g, _segment) in enumerate(segments):
        eq_rows.append(g)
        eq_cols.append(n_x + j)
        eq_vals.append(-1.0)
    a_eq = coo_matrix((eq_vals, (eq_rows, eq_cols)), shape=(len(groups), n_x + n_y)).tocsr()
    cost = np.concatenate(
        [-np.array([a.benefit for a in arcs]), -np.array([s.weight for _g, s in segments])]
    )
    bounds = [(0, None)] * n_x + [(0, s.units) for _g, s in segments]
    t0 = time.perf_counter()
    result = linprog(
        cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=np.zeros(len(groups)), bounds=bounds,
        method="highs",
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    return {
        "objective": round(-result.fun, 6),
        "seconds": round(seconds, 2),
        "status": result.status,
    }


def raw_category_ids(cursor: Any, network_id: int, term_ids: frozenset[int]) -> int:
    ids = sorted(term_ids)
    cursor.execute(
        "SELECT DISTINCT s.id FROM directory_service s JOIN directory_attribute a "  # noqa: S608
        "ON a.service_id = s.id WHERE s.network_id = %s AND a.taxonomy_term_id IN ("
        + ", ".join(["%s"] * len(ids))
        + ")",
        [network_id, *ids],
    )
    return len(cursor.fetchall())


def measure() -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from wraparound.assessments.models import Need
    from wraparound.core.models import Network, SchoolYear
    from wraparound.matching.eligibility import descendants
    from wraparound.matching.network import build_problem, solve
    from wraparound.matching.recommend import recommend

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    call_command("seed_demo", profile="city", seed=1, stdout=StringIO())
    seed_seconds = time.perf_counter() - t0
    network = Network.objects.get(slug="city")
    year = SchoolYear.objects.get(network=network, is_current=True)

    walls, builds, solves = [], [], []
    plan = problem = None
    for _ in range(2):
        t0 = time.perf_counter()
        problem = build_problem(network, year)
        built = time.perf_counter()
        plan = solve(problem, "optimal")
        walls.append(time.perf_counter() - t0)
        builds.append(built - t0)
        solves.append(plan.stats["solve_seconds"])
    assert plan is not None and problem is not None
    t0 = time.perf_counter()
    greedy = solve(problem, "greedy")
    greedy_seconds = time.perf_counter() - t0
    lp = lp_bound(problem.model)

    # One-need recommendations, against one raw query for the category's service ids.
    rng = random.Random("bench-matching")
    need_ids = list(
        Need.objects.filter(assessment__school__network=network, assessment__school_year=year)
        .order_by("id")
        .values_list("id", flat=True)
    )
    sample = rng.sample(need_ids, min(RECOMMENDATIONS, len(need_ids)))
    below = descendants(network)
    for need_id in sample[:10]:  # warm the caches and the connection
        recommend(Need.objects.select_related("assessment__school__community").get(pk=need_id))
    rec_ms, base_ms, eligible_counts = [], [], []
    with connection.cursor() as cursor:
        for need_id in sample:
            t0 = time.perf_counter()
            need = Need.objects.select_related(
                "assessment__school__community", "assessment__school__network",
                "assessment__school_year",
            ).get(pk=need_id)  # fmt: skip
            result = recommend(need)
            rec_ms.append((time.perf_counter() - t0) * 1000)
            eligible_counts.append(len(result.eligible) + len(result.excluded))
            t0 = time.perf_counter()
            raw_category_ids(cursor, network.pk, below[need.category_id])
            base_ms.append((time.perf_counter() - t0) * 1000)

    def plan_figures(p: Any) -> dict[str, Any]:
        keys = ("units_asked", "units_served", "coverage", "equity_weighted_coverage")
        return {
            "objective": round(p.objective, 4),
            "assignments": len(p.assignments),
            **{k: p.stats.get(k) for k in keys},
            "coverage_by_quintile": p.stats.get("coverage_by_quintile"),
            "unmet_by_reason": dict(sorted(Counter(u.reason for u in p.unmet).items())),
        }

    wall = statistics.median(walls)
    solver = statistics.median(solves)
    return {
        "profile": "city",
        "model": {k: problem.stats[k] for k in ("needs", "services", "arcs", "groups")},
        "allocation": {
            "wall_seconds": round(wall, 2),
            "runs": [round(w, 2) for w in walls],
            "build_seconds": round(statistics.median(builds), 2),
            "load_seconds": problem.stats["load_seconds"],
            "model_seconds": problem.stats["model_seconds"],
            "solver_seconds": round(solver, 2),
            "ratio_wall_to_solver": round(wall / max(solver, 1e-6), 2),
            "greedy_seconds": round(greedy_seconds, 2),
            "lp_highs": lp,
        },
        "optimal": plan_figures(plan),
        "greedy": plan_figures(greedy),
        "recommendation": {
            **summary(rec_ms),
            "baseline_raw_sql": summary(base_ms),
            "ratio": round(percentile(rec_ms, 95) / max(percentile(base_ms, 95), 0.01), 1),
            "median_services_considered": statistics.median(eligible_counts),
        },
        "seed_seconds": round(seed_seconds, 2),
        **machine(connection.vendor),
    }


def main() -> None:
    scratch = setup_django()
    try:
        result = measure()
    finally:
        if scratch is not None:
            scratch.cleanup()
    path = results_path("matching", result["database"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    m, a = result["model"], result["allocation"]
    print(f"matching on {result['database']}, city profile:")
    print(
        f"  model: {m['needs']:,} needs, {m['services']:,} services, {m['arcs']:,} arcs, "
        f"{m['groups']:,} groups"
    )
    print(
        f"  allocation end to end {a['wall_seconds']} s (runs {a['runs']}): build "
        f"{a['build_seconds']} s (load {a['load_seconds']} s, model {a['model_seconds']} s), "
        f"solver {a['solver_seconds']} s, ratio {a['ratio_wall_to_solver']}×"
    )
    print(f"  greedy plan {a['greedy_seconds']} s; LP (HiGHS) on the same model: {a['lp_highs']}")
    for name in ("optimal", "greedy"):
        p = result[name]
        print(
            f"  {name:<8} objective {p['objective']:.1f}, served {p['units_served']:,} of "
            f"{p['units_asked']:,} ({p['coverage']:.1%}), equity-weighted "
            f"{p['equity_weighted_coverage']:.1%}, by quintile {p['coverage_by_quintile']}"
        )
    r = result["recommendation"]
    print(
        f"  recommend one need: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms (raw SQL ids p95 "
        f"{r['baseline_raw_sql']['p95_ms']} ms, ratio {r['ratio']}×)"
    )
    print(f"  seed {result['seed_seconds']} s; load {result['load_average']}")
    print(f"  written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
