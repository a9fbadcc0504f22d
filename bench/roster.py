"""Benchmark: a OneRoster 1.2 CSV import against a bare COPY of the same users.csv rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_roster \\
        DEBUG=true .venv/bin/python bench/roster.py [--profile city|small] [--students-per-school N]

Seeds the demo profile (`seed_demo --profile city`: 1,600 schools; their enrollments add up to
about 900,000 students) into the scratch database DATABASE_URL names (its network is replaced),
writes the network's roster with `wraparound.demo.oneroster.write_oneroster` (users.csv holds
the students and one or two guardians each), then measures side by side:

(a) the floor: one `COPY … FROM STDIN (FORMAT csv, HEADER)` of users.csv, unchanged, into a
    table of its columns as text with a unique index on sourcedId — no checks, no roles, no
    demographics, no links; in a transaction that is rolled back;
(b) the full import (`roster_import_execute` on the folder): every file read and checked,
    then students, guardians, links and enrollments written in one transaction.

Prints rows/s of each (users.csv rows) and the ratio; writes bench/results/roster.json.
Goal: the import at no less than a third of COPY's speed (ratio ≤ 3).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from io import StringIO
from pathlib import Path
from typing import Any

from common import ROOT, machine, setup_django

COPY_TABLE = "bench_roster_users"


def bare_copy(users_csv: Path) -> float:
    from django.db import connection, transaction

    with users_csv.open("rb") as handle:
        header = handle.readline().decode("utf-8-sig").strip().split(",")
    columns = ", ".join(f'"{c}" text' for c in header)
    started = 0.0
    try:
        with transaction.atomic(), connection.cursor() as wrapper:
            cursor = wrapper.cursor
            cursor.execute(f"CREATE TABLE {COPY_TABLE} ({columns})")
            cursor.execute(f'CREATE UNIQUE INDEX ON {COPY_TABLE} ("sourcedId")')
            started = time.perf_counter()
            with (
                users_csv.open("rb") as handle,
                cursor.copy(f"COPY {COPY_TABLE} FROM STDIN (FORMAT csv, HEADER)") as copy,
            ):
                while block := handle.read(1 << 20):
                    copy.write(block)
            seconds = time.perf_counter() - started
            raise _Rollback(seconds)
    except _Rollback as done:
        return done.seconds


class _Rollback(Exception):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


BENCH_SLUG = "roster-bench"


def bench_network(source: Any) -> Any:
    """A fresh network with copies of the seeded network's schools (same codes, spans and
    enrollments): the seeded one already has students with referrals and consents, and the
    benchmark measures a first import into an empty network."""
    from wraparound.core.models import Community, Network, School
    from wraparound.students.models import Guardian, Student

    old = Network.objects.filter(slug=BENCH_SLUG).first()
    if old is not None:  # PROTECT foreign keys: remove the last run's rows in order
        Student.objects.filter(network=old).delete()
        Guardian.objects.filter(network=old).delete()
        School.objects.filter(network=old).delete()
        Community.objects.filter(network=old).delete()
        old.delete()
    network = Network.objects.create(name="Roster benchmark", slug=BENCH_SLUG)
    community = Community.objects.create(network=network, code="999", name="Bench", borough="Bronx")
    fields = [
        "code",
        "name",
        "grade_low",
        "grade_high",
        "enrollment",
        "share_economically_disadvantaged",
        "share_english_learners",
        "share_students_with_disabilities",
    ]
    School.objects.bulk_create(
        [
            School(network=network, community=community, **{f: getattr(s, f) for f in fields})
            for s in School.objects.filter(network=source).order_by("code")
        ],
        batch_size=2000,
    )
    return network


def full_import(network: Any, folder: Path) -> tuple[float, dict[str, Any]]:
    from wraparound.students.models import ImportStatus, RosterImport
    from wraparound.students.oneroster.source import FolderSource
    from wraparound.students.roster_services import roster_import_execute

    roster_import = RosterImport.objects.create(
        network=network, status=ImportStatus.RUNNING, source_name=folder.name
    )
    started = time.perf_counter()
    result = roster_import_execute(roster_import=roster_import, source=FolderSource(folder))
    seconds = time.perf_counter() - started
    if result.status != ImportStatus.DONE:
        raise SystemExit(f"import failed: {result.status} {result.errors[:5]}")
    return seconds, result.summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="city")
    parser.add_argument("--students-per-school", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="write the roster here")
    args = parser.parse_args()
    scratch = setup_django()
    from django.core.management import call_command
    from django.db import connection

    from wraparound.core.models import Network
    from wraparound.demo.oneroster import write_oneroster
    from wraparound.demo.profiles import PROFILES

    vendor = connection.vendor
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", profile=args.profile, seed=1, stdout=StringIO())
    seed_s = time.perf_counter() - started
    network = bench_network(Network.objects.get(slug=PROFILES[args.profile].network_slug))
    with tempfile.TemporaryDirectory(prefix="roster-bench-") as tmp:
        folder = args.keep or Path(tmp) / "roster"
        started = time.perf_counter()
        written = write_oneroster(
            network=network, out_dir=folder, students_per_school=args.students_per_school, seed=1
        )
        generate_s = time.perf_counter() - started
        users_csv = folder / "users.csv"
        rows = written["students"] + written["guardians"]
        size = sum(p.stat().st_size for p in folder.glob("*.csv"))
        copy_s = bare_copy(users_csv) if vendor == "postgresql" else None
        import_s, summary = full_import(network, folder)
    result: dict[str, Any] = {
        "profile": args.profile,
        "students": written["students"],
        "guardians": written["guardians"],
        "users_csv_rows": rows,
        "roster_mb": round(size / 1e6, 1),
        "seed_seconds": round(seed_s, 1),
        "generate_seconds": round(generate_s, 1),
        "import_seconds": round(import_s, 2),
        "import_rows_per_s": round(rows / import_s),
        "copy_seconds": round(copy_s, 2) if copy_s else None,
        "copy_rows_per_s": round(rows / copy_s) if copy_s else None,
        "ratio": round(import_s / copy_s, 2) if copy_s else None,
        "goal": "ratio <= 3 (import at least a third of COPY's speed)",
        "summary": {k: v for k, v in summary.items() if isinstance(v, int)},
        **machine(vendor),
    }
    for key in ("students", "users_csv_rows", "import_seconds", "import_rows_per_s"):
        print(f"{key}: {result[key]}")
    if copy_s:
        print(
            f"copy_seconds: {result['copy_seconds']}  copy_rows_per_s: {result['copy_rows_per_s']}"
        )
        print(f"ratio (import / COPY): {result['ratio']}")
    name = "roster.json" if vendor == "postgresql" else f"roster.{vendor}.json"
    (ROOT / "bench" / "results" / name).write_text(json.dumps(result, indent=2) + "\n")
    if scratch is not None:
        scratch.cleanup()


if __name__ == "__main__":
    main()
