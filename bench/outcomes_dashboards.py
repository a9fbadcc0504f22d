"""Benchmark: the outcome dashboards (issue 7) on the city profile, with query-count guards.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_city DEBUG=true \\
        .venv/bin/python bench/outcomes_dashboards.py [--reuse]

On the city network already in the database (`--reuse`; without it, or when it is missing, the
city profile is seeded first — a scratch database: the city network is replaced): rebuilds the
network's outcome rollup once (timed: what the nightly task and an attendance import pay), then
requests each dashboard the way a browser does (Django's test client: middleware, access
checks, templates) as the demo network admin:

- the network dashboard (reads the rollup), all students and split by race/ethnicity, and its
  JSON API answer;
- the dashboard of the city's largest school (computed live), all students and split;
- the demo partner's dashboard (computed live).

p50/p95 of 15 requests after one warm-up, and the queries of one request against a budget
(`BUDGETS`; over budget fails the run). Goals: network p95 < 1 s, school p95 < 200 ms.
Writes bench/results/outcomes_dashboards.json (on PostgreSQL; .sqlite.json beside it on SQLite).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from common import ROOT, machine, setup_django, summary

REQUESTS = 15
BUDGETS = {
    "network dashboard": 30,
    "network dashboard, split": 30,
    "network API": 30,
    "largest school dashboard": 35,
    "largest school dashboard, split": 35,
    "partner dashboard": 45,
}
GOALS_MS = {"network dashboard": 1000, "largest school dashboard": 200}


def _measure(client: Any, url: str, database: str) -> tuple[dict[str, float], int, int]:
    from django.db import connections, reset_queries
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code}")
    reset_queries()
    with CaptureQueriesContext(connections[database]) as queries:
        client.get(url)
    ms = []
    for _ in range(REQUESTS):
        t = time.perf_counter()
        client.get(url)
        ms.append((time.perf_counter() - t) * 1000)
    return summary(ms), len(queries), len(response.content)


def _ensure_dashboard_urls() -> None:
    """Until the outcomes urls include the dashboards', add them for this run."""
    from django.urls import NoReverseMatch, clear_url_caches, include, path, reverse

    try:
        reverse("network_outcomes", args=["x"])
    except NoReverseMatch:
        import config.urls

        config.urls.urlpatterns.append(path("", include("wraparound.outcomes.urls_dashboards")))
        clear_url_caches()


def run(database: str = "default", *, reuse: bool = True) -> dict[str, Any]:
    """Seed (unless reusing) and measure; Django must be set up on `database`."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.WRAPAROUND_REQUIRE_2FA = False
    call_command("migrate", verbosity=0, database=database)
    from wraparound.core.models import Membership, Network
    from wraparound.core.roles import Role
    from wraparound.demo.generate import seed_demo
    from wraparound.demo.profiles import PROFILES
    from wraparound.outcomes import dashboard_data as dd
    from wraparound.outcomes import rollup
    from wraparound.outcomes.models import AttendanceMonth
    from wraparound.students.models import Student

    slug = PROFILES["city"].network_slug
    if not (reuse and Network.objects.filter(slug=slug).exists()):
        seed_demo(PROFILES["city"], seed=1)
    network = Network.objects.get(slug=slug)
    year = dd.default_year(network)
    users = get_user_model().objects
    admin = users.get(username="admin")
    partner = users.get(username="partnerstaff")
    org = Membership.objects.get(user=partner, role=Role.PARTNER_STAFF).organization
    assert org is not None
    largest = (
        Student.objects.filter(network=network)
        .values("school_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert largest is not None
    months = AttendanceMonth.objects.filter(network=network).count()

    t = time.perf_counter()
    refreshed = rollup.refresh(network, year)
    refresh_s = round(time.perf_counter() - t, 2)
    figures = rollup.RollupFigure.objects.filter(network=network, school_year=year).count()
    print(f"rollup refresh: {refresh_s:.2f} s, {figures} figures ({months:,} attendance months)")

    _ensure_dashboard_urls()
    client = Client()
    client.force_login(admin)
    urls = {
        "network": reverse("network_outcomes", args=[slug]),
        "school": reverse("school_outcomes", args=[largest["school_id"]]),
        "partner": reverse("organization_outcomes", args=[org.pk]),
    }
    pages = [
        ("network dashboard", f"{urls['network']}?year={year}"),
        ("network dashboard, split", f"{urls['network']}?year={year}&split=race_ethnicity"),
        ("network API", f"/api/v1/outcomes/networks/{slug}?year={year}"),
        ("largest school dashboard", f"{urls['school']}?year={year}"),
        ("largest school dashboard, split", f"{urls['school']}?year={year}&split=race_ethnicity"),
        ("partner dashboard", f"{urls['partner']}?year={year}"),
    ]
    rows, failures = [], []
    for name, url in pages:
        timing, queries, size = _measure(client, url, database)
        budget = BUDGETS[name]
        goal = GOALS_MS.get(name)
        rows.append(
            {
                "page": name,
                "url": url,
                **timing,
                "queries": queries,
                "query_budget": budget,
                "goal_p95_ms": goal,
                "goal_met": None if goal is None else timing["p95_ms"] < goal,
                "kb": round(size / 1024, 1),
            }
        )
        print(
            f"{name:32} p50 {timing['p50_ms']:8.1f} ms  p95 {timing['p95_ms']:8.1f} ms"
            f"  {queries:3} queries (budget {budget})"
            + (
                f"  goal p95 < {goal} ms: {'met' if timing['p95_ms'] < goal else 'MISSED'}"
                if goal
                else ""
            )
        )
        if queries > budget:
            failures.append(f"{name}: {queries} queries > {budget}")
    return {
        "profile": "city",
        "school_year": year,
        "students": Student.objects.filter(network=network).count(),
        "attendance_months": months,
        "largest_school_students": largest["n"],
        "rollup_refresh_seconds": refresh_s,
        "rollup_figures": figures,
        "rollup_refreshed_at": refreshed.refreshed_at.isoformat(),
        "pages": rows,
        "over_budget": failures,
    }


def main() -> None:
    scratch = setup_django()
    try:
        from django.db import connection

        result = run("default", reuse="--reuse" in sys.argv)
        result["machine"] = machine(connection.vendor)
        stem = "outcomes_dashboards" + ("" if connection.vendor == "postgresql" else ".sqlite")
        path = ROOT / "bench" / "results" / f"{stem}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {path}")
        if result["over_budget"]:
            print("OVER BUDGET: " + "; ".join(result["over_budget"]))
            raise SystemExit(1)
    finally:
        if scratch is not None:
            scratch.cleanup()


if __name__ == "__main__":
    main()
