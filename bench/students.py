"""Benchmark: the students issue's list pages on the city profile, with query-count guards.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_city DEBUG=true \\
        .venv/bin/python bench/students.py [--reuse] [--small]

Seeds the city demo profile (900,000 students, 500,000 referrals, 5,000,000 sessions) into the
database DATABASE_URL names (a scratch one: the city network is replaced; without DATABASE_URL a
temporary SQLite file) — or, with `--reuse`, measures the city network already there — then
requests each list page the way a browser does (Django's test client: middleware, access
checks, templates, the partner's disclosure writes) as the demo login who uses it, at the demo
school and at the city's largest school:

- p50/p95 of 15 requests after one warm-up;
- the number of queries of one request, against the page's budget (`BUDGETS`): a page whose
  count grows with the data, or goes over budget, fails the run (exit status 1).

Prints the seed's time by part and the pages' figures, and writes bench/results/students.json
(students.postgresql.json on PostgreSQL).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from common import machine, results_path, setup_django, summary

REQUESTS = 15
# Queries a page may make, whatever the size of the school or the partner's caseload. The
# header's notifications count is one of them.
BUDGETS = {
    "school roster": 12,
    "school roster search": 12,
    "school referrals": 14,
    "tier distribution": 10,
    "caseload": 10,
    "student record": 20,
    "referral detail": 20,
    "school sessions": 12,
    "partner inbox": 18,
    "partner students": 18,
    "partner sessions": 12,
}


def _measure(client: Any, url: str) -> tuple[dict[str, float], int, int]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code}")
    # Each request starts by clearing the query log; so does this, or the count would slice a
    # log that the request has just emptied.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    ms = []
    for _ in range(REQUESTS):
        t = time.perf_counter()
        client.get(url)
        ms.append((time.perf_counter() - t) * 1000)
    return summary(ms), len(queries), len(response.content)


def run(reuse: bool, profile: str) -> dict[str, Any]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.WRAPAROUND_REQUIRE_2FA = False
    call_command("migrate", verbosity=0)
    from wraparound.core.models import Membership, Network
    from wraparound.core.roles import Role
    from wraparound.demo.generate import seed_demo
    from wraparound.demo.profiles import PROFILES
    from wraparound.referrals.models import Referral, ServiceSession
    from wraparound.students.models import Student

    slug = PROFILES[profile].network_slug
    seed_s = None
    seed_phases: dict[str, float] = {}
    if not (reuse and Network.objects.filter(slug=slug).exists()):
        # seed_demo itself (what `manage.py seed_demo` runs, less the printing), for the time
        # of each of its parts.
        data = seed_demo(PROFILES[profile], seed=1)
        seed_s = round(data.seconds, 1)
        seed_phases = {name: round(s, 1) for name, s in data.timings.items()}
        # Parts are named "part", their steps "part: step"; what no part covers is mostly the
        # COMMIT (the foreign-key checks still queued for it).
        parts = sum(s for name, s in data.timings.items() if ":" not in name)
        seed_phases["commit (and the rest)"] = round(data.seconds - parts, 1)
        for name, s in seed_phases.items():
            print(f"seed {name:36} {s:8.1f} s")
    network = Network.objects.get(slug=slug)
    users = get_user_model().objects
    coordinator = users.get(username="coordinator")
    admin = users.get(username="admin")
    partner = users.get(username="partnerstaff")
    social_worker = users.get(username="socialworker")
    demo_school = Membership.objects.get(user=social_worker, role=Role.SCHOOL_STAFF).school
    org = Membership.objects.get(user=partner, role=Role.PARTNER_STAFF).organization
    assert demo_school is not None and org is not None
    largest = (
        Student.objects.filter(network=network)
        .values("school_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert largest is not None
    referral = Referral.objects.filter(school=demo_school).order_by("-id").first()
    student = referral.student if referral else Student.objects.filter(school=demo_school).first()
    assert referral is not None and student is not None

    clients = {}
    for user in (coordinator, admin, partner, social_worker):
        client = Client()
        client.force_login(user)
        clients[user.username] = client

    pages: list[tuple[str, str, str, str]] = []
    for where, school_id, who in (
        ("demo school", demo_school.pk, "coordinator"),
        ("largest school", largest["school_id"], "admin"),
    ):
        pages += [
            ("school roster", where, who, reverse("student_school_list", args=[school_id])),
            (
                "school roster search",
                where,
                who,
                reverse("student_school_list", args=[school_id]) + "?q=ma",
            ),
            ("school referrals", where, who, reverse("referral_school_list", args=[school_id])),
            ("tier distribution", where, who, reverse("tier_distribution", args=[school_id])),
            ("school sessions", where, who, reverse("session_school_list", args=[school_id])),
        ]
    pages += [
        ("caseload", "demo school", "socialworker", reverse("caseload")),
        (
            "student record",
            "demo school",
            "coordinator",
            reverse("student_detail", args=[student.pk]),
        ),
        (
            "referral detail",
            "demo school",
            "coordinator",
            reverse("referral_detail", args=[referral.pk]),
        ),
        (
            "partner inbox",
            "demo partner",
            "partnerstaff",
            reverse("referral_partner_inbox", args=[org.pk]),
        ),
        (
            "partner students",
            "demo partner",
            "partnerstaff",
            reverse("student_partner_list", args=[org.pk]),
        ),
        (
            "partner sessions",
            "demo partner",
            "partnerstaff",
            reverse("session_org_list", args=[org.pk]),
        ),
    ]
    rows = []
    failures = []
    for name, where, who, url in pages:
        timing, queries, size = _measure(clients[who], url)
        budget = BUDGETS[name]
        rows.append(
            {
                "page": name,
                "where": where,
                "as": who,
                **timing,
                "queries": queries,
                "query_budget": budget,
                "kb": round(size / 1024, 1),
            }
        )
        print(
            f"{name:22} {where:15} p50 {timing['p50_ms']:7.1f} ms  p95 {timing['p95_ms']:7.1f} ms"
            f"  {queries:3} queries (budget {budget})"
        )
        if queries > budget:
            failures.append(f"{name} at {where}: {queries} queries > {budget}")
    return {
        "profile": profile,
        "seed_s": seed_s,
        "seed_phases": seed_phases,
        "students": Student.objects.filter(network=network).count(),
        "referrals": Referral.objects.filter(network=network).count(),
        "sessions": ServiceSession.objects.filter(network=network).count(),
        "largest_school_students": largest["n"],
        "partner_referrals": Referral.objects.filter(organization=org).count(),
        "pages": rows,
        "over_budget": failures,
    }


def main() -> None:
    scratch = setup_django()
    try:
        from django.db import connection

        profile = "small" if "--small" in sys.argv else "city"
        result = run(reuse="--reuse" in sys.argv, profile=profile)
        result["machine"] = machine(connection.vendor)
        name = "students" if profile == "city" else f"students-{profile}"
        path = results_path(name, connection.vendor)
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
