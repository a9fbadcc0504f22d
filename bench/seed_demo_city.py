"""Benchmark: `manage.py seed_demo --profile city`, end to end, against the bulk insert alone.

    DEBUG=true .venv/bin/python bench/seed_demo_city.py

Runs against a fresh temporary SQLite database (migrated first). With DATABASE_URL pointing at
PostgreSQL (postgres://…), it uses that database instead: it migrates it and replaces its
"city" network, so point it at a scratch database.

The baseline is the best alternative for the part that dominates, the bulk insert: the same
1,600 schools (with their feeder links) and 3,000 organizations inserted with raw SQL
`executemany` through the same connection, in a transaction that is rolled back. It leaves out
what only the generator does (drawing the data, hashing the demo password, replacing the old
network, the demo users), so the ratio is an upper bound on what a hand-written loader could save.

Prints the figures and writes bench/results/seed_demo_city.json (on PostgreSQL:
bench/results/seed_demo_city.postgresql.json).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import time
from io import StringIO
from typing import Any

from common import ROOT, results_path, setup_django

SEED_REPEATS = 3
RAW_REPEATS = 3


def time_seed() -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("seed_demo", profile="city", seed=1, stdout=StringIO())
    return time.perf_counter() - started


def raw_sql_insert() -> float:
    """Insert copies of the city network's schools and organizations with executemany."""
    from django.db import connection, transaction

    from wraparound.core.models import Network, Organization, School

    def rows(model: type[School] | type[Organization], network_id: int) -> tuple[str, list[Any]]:
        # Values prepared for the database outside the clock, as the ORM does before inserting.
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        if model is School:
            fields = [f for f in fields if f.name != "feeder_to"]
        source = model.objects.filter(network__slug="city").order_by("pk")
        values = []
        for obj in source:
            obj.network_id = network_id
            values.append(
                tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
            )
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        table = connection.ops.quote_name(model._meta.db_table)
        # Names come from the models' metadata, never from input.
        return f"INSERT INTO {table} ({columns}) VALUES ({marks})", values  # noqa: S608

    feeders = list(
        School.objects.filter(network__slug="city", feeder_to__isnull=False).values_list(
            "code", "feeder_to__code"
        )
    )
    school_table = connection.ops.quote_name(School._meta.db_table)
    select_ids = f"SELECT code, id FROM {school_table} WHERE network_id = %s"  # noqa: S608
    update_feeder = f"UPDATE {school_table} SET feeder_to_id = %s WHERE id = %s"  # noqa: S608

    with transaction.atomic():
        network = Network.objects.create(name="Raw SQL baseline", slug="bench-raw-sql")
        insert_schools, school_rows = rows(School, network.pk)
        insert_organizations, organization_rows = rows(Organization, network.pk)
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.executemany(insert_schools, school_rows)
            cursor.execute(select_ids, [network.pk])
            ids = dict(cursor.fetchall())
            cursor.executemany(update_feeder, [(ids[to], ids[code]) for code, to in feeders])
            cursor.executemany(insert_organizations, organization_rows)
            elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def measure() -> dict[str, Any]:
    import django
    from django.core.management import call_command
    from django.db import connection

    from wraparound.core.models import Network
    from wraparound.demo.generate import seed_demo
    from wraparound.demo.profiles import CITY

    call_command("migrate", verbosity=0)
    # The headline is what `seed_demo --profile city` costs a user: the first run on an empty
    # database, then re-runs that also replace the network; the median of them.
    runs = [time_seed() for _ in range(SEED_REPEATS)]
    network = Network.objects.get(slug="city")
    counts = {
        "schools": network.schools.count(),
        "communities": network.communities.count(),
        "organizations": network.organizations.count(),
    }
    # Once more through the function, to see where the time goes.
    phased = seed_demo(CITY, 1)
    phases = {k: round(v, 3) for k, v in phased.timings.items()}
    orm_insert = phased.timings["schools: insert"] + phased.timings["organizations: insert"]
    raw_runs = [raw_sql_insert() for _ in range(RAW_REPEATS)]
    seconds, raw = statistics.median(runs), statistics.median(raw_runs)
    return {
        "profile": "city",
        "seconds": round(seconds, 3),
        **counts,
        "raw_sql_insert_seconds": round(raw, 3),
        "ratio": round(seconds / raw, 1),
        "database": connection.vendor,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "seed_runs": [round(r, 3) for r in runs],
        "raw_sql_insert_runs": [round(r, 3) for r in raw_runs],
        "phases": phases,
        "orm_bulk_insert_seconds": round(orm_insert, 3),
        "orm_bulk_insert_ratio": round(orm_insert / raw, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "cpu_count": os.cpu_count(),
    }


def main() -> None:
    scratch = setup_django()
    try:
        result = measure()
    finally:
        if scratch is not None:
            scratch.cleanup()
    path = results_path("seed_demo_city", result["database"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")

    print(f"seed_demo --profile city on {result['database']}:")
    print(
        f"  {result['seconds']:.2f} s end to end (median of {result['seed_runs']}): "
        f"{result['communities']} communities, {result['schools']} schools, "
        f"{result['organizations']} organizations"
    )
    print("  by phase (one more run):")
    for phase, phase_seconds in result["phases"].items():
        print(f"    {phase:<22} {phase_seconds:6.3f} s")
    print(
        f"  raw SQL executemany of the same schools and organizations: "
        f"{result['raw_sql_insert_seconds']:.3f} s (median of {result['raw_sql_insert_runs']})"
    )
    print(f"  ratio end to end / raw SQL insert: {result['ratio']}×")
    print(
        f"  the generator's own bulk_create of them: {result['orm_bulk_insert_seconds']:.3f} s, "
        f"{result['orm_bulk_insert_ratio']}× raw SQL"
    )
    print(f"  written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
