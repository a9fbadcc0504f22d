"""Benchmark: clearance answers on the city profile.

    DEBUG=true .venv/bin/python bench/clearance.py

Seeds the city demo profile (1,600 schools, 3,000 organizations, about 1,700 campus staff,
11,500 clearance records, 1,700 MOUs) into a fresh temporary SQLite database (or the PostgreSQL
database DATABASE_URL names — a scratch one: the city network is replaced), then measures:

- **one check** ("may this person work at this school on this date?", as the API answers it:
  `clearance.check_person`) for 300 random (person, school of their organization) pairs,
  against the floor any implementation pays: one raw SQL query that returns the ids of the
  requirements the person does not meet that day (no details, no partnership or MOU rule);
- **the front desk's week** (`clearance_selectors.campus_week`) for the 50 schools with the most
  partner staff;
- **the compliance dashboard** (`compliance.compliance_summary`) for the whole network.

Prints the figures and writes bench/results/clearance.json (clearance.postgresql.json on
PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import time
from io import StringIO
from typing import Any

from common import machine, results_path, setup_django, summary

CHECKS = 300
SCHOOLS = 50

# The requirements (of records) a person does not meet on a day: the least any answer must read.
MISSING_SQL = """
SELECT r.id FROM agreements_clearancerequirement r
WHERE r.network_id = %(network)s AND r.is_active AND r.kind <> 'signed_mou'
  AND NOT EXISTS (
    SELECT 1 FROM agreements_clearancerecord c
    WHERE c.requirement_id = r.id AND c.organization_id = %(org)s AND c.status = 'cleared'
      AND c.issued_on <= %(day)s AND (c.expires_on IS NULL OR c.expires_on >= %(day)s)
      AND ((r.applies_to = 'person' AND c.person_id = %(person)s)
           OR (r.applies_to = 'organization' AND c.person_id IS NULL)))
"""


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def run() -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", profile="city", seed=1, stdout=StringIO())
    seed_s = time.perf_counter() - started

    from wraparound.agreements.clearance import check_person
    from wraparound.agreements.clearance_selectors import campus_week
    from wraparound.agreements.compliance import compliance_summary
    from wraparound.agreements.models import Partnership, StaffMember
    from wraparound.core.models import Network, School

    network = Network.objects.get(slug="city")
    today = network.today()
    rng = random.Random(5)
    schools_of_org: dict[int, list[int]] = {}
    for org_id, school_id in Partnership.objects.filter(
        network=network, school__isnull=False
    ).values_list("organization_id", "school_id"):
        schools_of_org.setdefault(org_id, []).append(school_id)
    people = [
        p
        for p in StaffMember.objects.filter(network=network)
        if p.organization_id in schools_of_org
    ]
    schools = {s.pk: s for s in School.objects.filter(network=network).select_related("network")}
    pairs = [
        (person, schools[rng.choice(schools_of_org[person.organization_id])])
        for person in rng.choices(people, k=CHECKS)
    ]

    check_ms, sql_ms, cleared = [], [], 0
    with connection.cursor() as cursor:
        for person, school in pairs:
            t = time.perf_counter()
            result = check_person(person, school, today)
            check_ms.append(_ms(t))
            cleared += result.cleared
            t = time.perf_counter()
            params: dict[str, Any] = {
                "network": network.pk,
                "org": person.organization_id,
                "person": person.pk,
                "day": today,
            }
            cursor.execute(MISSING_SQL, params)
            cursor.fetchall()
            sql_ms.append(_ms(t))

    counts: dict[int, int] = {}
    for person in people:
        for school_id in schools_of_org[person.organization_id]:
            counts[school_id] = counts.get(school_id, 0) + 1
    busiest = sorted(counts, key=lambda pk: -counts[pk])[:SCHOOLS]
    monday = today - dt.timedelta(days=today.weekday())
    week = [monday + dt.timedelta(days=d) for d in range(5)]
    week_ms, rows = [], 0
    for school_id in busiest:
        t = time.perf_counter()
        rows += len(campus_week(schools[school_id], week))
        week_ms.append(_ms(t))

    dashboard_ms = []
    for _ in range(3):
        t = time.perf_counter()
        figures = compliance_summary(network, today)
        dashboard_ms.append(_ms(t))

    check = summary(check_ms)
    floor = summary(sql_ms)
    return {
        "profile": "city",
        "seed_s": round(seed_s, 1),
        "staff": len(people),
        "check": {**check, "cleared_share": round(cleared / CHECKS, 3)},
        "check_sql_floor": floor,
        "check_ratio_p50": round(check["p50_ms"] / max(floor["p50_ms"], 0.01), 1),
        "campus_week": {**summary(week_ms), "people_listed": rows},
        "compliance_dashboard_ms": round(statistics.median(dashboard_ms), 1),
        "compliance": {
            "organizations_cleared": [figures.organizations.cleared, figures.organizations.total],
            "people_cleared": [figures.people.cleared, figures.people.total],
            "median_days_to_clearance": figures.time_to_clear.median_days,
            "clearances": figures.time_to_clear.count,
        },
    }


def main() -> None:
    scratch = setup_django()
    try:
        from django.db import connection

        result = run()
        result["machine"] = machine(connection.vendor)
        result["database"] = connection.vendor
    finally:
        if scratch is not None:
            scratch.cleanup()
    print(json.dumps(result, indent=2, default=str))
    path = results_path("clearance", result["database"])
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
