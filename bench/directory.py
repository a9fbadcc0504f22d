"""Benchmark: directory search on the city profile (12,000 services), and the HSDS export.

    DEBUG=true .venv/bin/python bench/directory.py

Seeds the city demo profile into a fresh temporary SQLite database (or, with DATABASE_URL
pointing at PostgreSQL, into that database: it migrates it and replaces its "city" network, so
point it at a scratch database), then times `search_services` over a mix of realistic queries,
each kind drawn for many schools, words and categories:

- words only ("tutoring", "after school", "dental", …);
- a category (a pillar or a category, with its sub-categories) serving a school's community;
- near a school within 3 km, in a language families there speak;
- every filter at once (words, category, near a school within 3 km, its community, language,
  grade, after school, free for families, has places left).

The baseline is the best alternative in the same run: the same filters as one hand-written SQL
query that returns the matching ids (no ranking, no reasons, no page of objects), timed the
same way. `ratio` is search p95 over baseline p95.

It also times the HSDS export of the city network as a tabular data package
(`hsds_export_csv`), when that function exists.

Prints the figures and writes bench/results/directory.json (on PostgreSQL:
bench/results/directory.postgresql.json).
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, machine, percentile, results_path, setup_django, summary

QUERIES_PER_KIND = 60
WORDS = ("tutoring", "after school", "dental", "mentoring", "food", "counseling", "soccer",
         "english classes", "college", "summer camp", "reading", "legal")  # fmt: skip
LANGUAGES = ("es", "es", "es", "zh", "bn", "ar", "ht", "ru")


def build_queries(network: Any) -> list[tuple[str, Any]]:
    from wraparound.core.models import School
    from wraparound.directory.models import TaxonomyTerm
    from wraparound.directory.search import ServiceQuery

    rng = random.Random("bench-directory")
    schools = list(School.objects.filter(network=network).exclude(latitude=None).order_by("pk"))
    terms = list(TaxonomyTerm.objects.filter(network=network).order_by("pk"))
    queries: list[tuple[str, Any]] = []
    for _ in range(QUERIES_PER_KIND):
        school = rng.choice(schools)
        point = (float(school.latitude), float(school.longitude))  # type: ignore[arg-type]
        queries.append(("words", ServiceQuery(words=rng.choice(WORDS))))
        queries.append(
            (
                "category + community",
                ServiceQuery(
                    category_ids=(rng.choice(terms).pk,), community_id=school.community_id
                ),
            )
        )
        queries.append(
            (
                "near 3 km + language",
                ServiceQuery(
                    near=point,
                    within_km=3,
                    language=rng.choice(LANGUAGES),
                    prefer_community_id=school.community_id,
                ),
            )
        )
        queries.append(
            (
                "all filters",
                ServiceQuery(
                    words=rng.choice(("tutoring", "after", "program", "club")),
                    category_ids=(rng.choice([t for t in terms if t.parent_id is None]).pk,),
                    near=point,
                    within_km=3,
                    community_id=school.community_id,
                    language="es",
                    grade=rng.choice(("KG", "03", "06", "10")),
                    timings=("after_school",),
                    free_for_families=True,
                    has_capacity=True,
                ),
            )
        )
    rng.shuffle(queries)
    return queries


def raw_sql(network_id: int, query: Any) -> tuple[str, list[Any]]:
    """The same filters as one SQL statement returning the matching ids: the floor any
    implementation pays to find the rows, without ranking or loading them."""
    from wraparound.core.grades import GRADE_ORDER
    from wraparound.directory.search import bounding_box, query_words
    from wraparound.directory.taxonomy import term_ids_with_descendants

    where = ["s.network_id = %s"]
    params: list[Any] = [network_id]
    for word in query_words(query.words):
        where.append("s.search_text LIKE %s")
        params.append(f"% {word}%")
    if query.category_ids:
        ids = sorted(term_ids_with_descendants(network_id, query.category_ids)) or [0]
        where.append(
            "s.id IN (SELECT service_id FROM directory_attribute WHERE taxonomy_term_id IN ("  # noqa: S608
            + ", ".join(["%s"] * len(ids))
            + "))"
        )
        params += ids
    if query.community_id:
        where.append(
            "s.id IN (SELECT service_id FROM directory_servicearea WHERE community_id = %s)"
        )
        params.append(query.community_id)
    if query.language:
        where.append("s.id IN (SELECT service_id FROM directory_language WHERE code = %s)")
        params.append(query.language)
    if query.grade:
        order = GRADE_ORDER[query.grade]
        lows = [c for c, i in GRADE_ORDER.items() if i <= order] + [""]
        highs = [c for c, i in GRADE_ORDER.items() if i >= order] + [""]
        where.append(f"s.grade_low IN ({', '.join(['%s'] * len(lows))})")
        where.append(f"s.grade_high IN ({', '.join(['%s'] * len(highs))})")
        params += lows + highs
    if query.timings:
        where.append("(" + " OR ".join(f"s.{t} = %s" for t in query.timings) + ")")
        params += [True] * len(query.timings)
    if query.free_for_families:
        where.append("s.cost_to_families = 0")
    if query.has_capacity:
        where.append(
            "s.id IN (SELECT service_id FROM directory_servicecapacity WHERE available > 0)"
        )
    if query.near is not None and query.within_km is not None:
        south, north, west, east = bounding_box(query.near[0], query.near[1], query.within_km)
        where.append(
            "s.id IN (SELECT sal.service_id FROM directory_serviceatlocation sal JOIN "
            "directory_location l ON l.id = sal.location_id WHERE l.latitude BETWEEN %s AND %s "
            "AND l.longitude BETWEEN %s AND %s)"
        )
        params += [south, north, west, east]
    # Only fixed fragments are joined; every value is a parameter.
    sql = "SELECT s.id FROM directory_service s WHERE " + " AND ".join(where)  # noqa: S608
    return sql, params


def measure() -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from wraparound.core.models import Network
    from wraparound.directory.models import Service
    from wraparound.directory.search import search_services

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    from io import StringIO

    call_command("seed_demo", profile="city", seed=1, stdout=StringIO())
    seed_seconds = time.perf_counter() - started
    network = Network.objects.get(slug="city")
    services = Service.objects.filter(network=network).count()
    queries = build_queries(network)

    for _kind, query in queries[:20]:  # warm the caches and the connection
        search_services(network, query)

    by_kind: dict[str, list[float]] = {}
    baseline_by_kind: dict[str, list[float]] = {}
    totals: dict[str, list[int]] = {}
    with connection.cursor() as cursor:
        for kind, query in queries:
            t0 = time.perf_counter()
            result = search_services(network, query)
            by_kind.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
            totals.setdefault(kind, []).append(result.total)
            sql, params = raw_sql(network.pk, query)
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            baseline_by_kind.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)

    all_ms = [ms for values in by_kind.values() for ms in values]
    all_base = [ms for values in baseline_by_kind.values() for ms in values]
    search = summary(all_ms)
    baseline = summary(all_base)

    export: dict[str, Any] = {"available": False}
    try:
        from wraparound.directory.hsds import export as hsds_export
    except ImportError:  # written beside this benchmark; absent in an older tree
        hsds_export = None  # type: ignore[assignment]
    hsds_export_csv = getattr(hsds_export, "hsds_export_csv", None)
    if hsds_export_csv is not None:
        with tempfile.TemporaryDirectory(prefix="wraparound-export-") as out:
            t0 = time.perf_counter()
            path = hsds_export_csv(network=network, out_dir=Path(out))
            seconds = time.perf_counter() - t0
            size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
        export = {
            "available": True,
            "seconds": round(seconds, 2),
            "megabytes": round(size / 1e6, 1),
            "path_name": Path(path).name,
        }

    return {
        "profile": "city",
        "services": services,
        "queries": len(all_ms),
        "search": search,
        "baseline_raw_sql": baseline,
        "ratio": round(search["p95_ms"] / max(baseline["p95_ms"], 0.01), 1),
        "by_kind": {
            kind: {
                **summary(ms),
                "baseline_p95_ms": round(percentile(baseline_by_kind[kind], 95), 1),
                "median_matches": statistics.median(totals[kind]),
            }
            for kind, ms in by_kind.items()
        },
        "export_csv": export,
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
    path = results_path("directory", result["database"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")

    s, b = result["search"], result["baseline_raw_sql"]
    print(
        f"directory search on {result['database']}, city profile ({result['services']:,} services):"
    )
    print(
        f"  all {result['queries']} queries: p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, "
        f"max {s['max_ms']} ms"
    )
    for kind, k in result["by_kind"].items():
        print(
            f"    {kind:<22} p50 {k['p50_ms']:6.1f} ms  p95 {k['p95_ms']:6.1f} ms  "
            f"(raw SQL p95 {k['baseline_p95_ms']:5.1f} ms, median {k['median_matches']} matches)"
        )
    print(
        "  the same filters as one raw SQL query (ids only): "
        f"p50 {b['p50_ms']} ms, p95 {b['p95_ms']} ms"
    )
    print(f"  ratio search p95 / raw SQL p95: {result['ratio']}×")
    export = result["export_csv"]
    if export["available"]:
        print(
            f"  HSDS CSV export of the city network: {export['seconds']} s, "
            f"{export['megabytes']} MB"
        )
    else:
        print("  HSDS CSV export: hsds_export_csv not available yet")
    print(
        f"  seed_demo --profile city took {result['seed_seconds']} s; load {result['load_average']}"
    )
    print(f"  written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
