"""Benchmark: outcomes. Part `import`: the attendance import against a bare COPY of the same
attendance.csv rows. Part `dashboards` (`bench/outcomes.py dashboards [--reuse]` on a database
holding the city profile): the network, school and partner dashboards' p50/p95 and queries
(`bench/outcomes_dashboards.py`; goals: network p95 < 1 s, school p95 < 200 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_outcomes \\
        DEBUG=true .venv/bin/python bench/outcomes.py import [--students 900000] [--schools 1600]

Builds a city-sized network in the scratch database DATABASE_URL names (outside the timing;
replaced when its size differs, kept otherwise — `--rebuild` forces it): 1,600 schools and
900,000 students (the `city` profile's count) with one enrollment each — 4% of them join in
mid-September, 2% leave in mid-October — written by SQL rather than by `seed_demo`, which
would spend six minutes on referrals, sessions and directories this part never reads. Then
writes the network's calendar.csv (every school's weekdays, September and October 2026: 44
days) and attendance.csv for those two months: each student absent on a share of their enrolled
days drawn from a skewed distribution (mean ≈ 9%, a chronic tail), tardy on ≈ 3%, a few early
departures and partial days; only non-present days are events, as a student information system
exports them. About 4.5 million rows, ≈ 200 MB: two months of the city — the size of a monthly
or bimonthly export, and four times the ~1 million rows a month brings.

Then, in the same run:
(a) the baseline: one `COPY … FROM STDIN (FORMAT csv, HEADER)` of attendance.csv, unchanged,
    into a plain table of its five columns (text), no index; in a transaction rolled back;
(b) the import (`attendance_import_execute` on the folder — what `manage.py import_attendance`
    runs) into the network with no events yet: both files read and checked, the calendar and
    events written, the student × month summaries of the 3,200 school-months recomputed, one
    transaction, through COMMIT;
(c) the floor: the events (b) wrote COPY'd as they are into a table exactly like
    outcomes_attendanceevent (its four indexes, no foreign-key checks), commit not waited
    for: what merely storing them costs, before any checking or summarizing — the other
    reading of "attendance import rate vs COPY": the same rows COPY'd into the table they go to;
(d) the same files imported again (idempotent: nothing changes);
(e) a dry run of the same files.

Prints rows/s (attendance.csv rows) and the ratio import ÷ COPY; writes bench/results/outcomes.json
under the key `import` (other keys of that file are kept).
Goal (issue 7): the import at no less than a third of COPY's speed (ratio ≤ 3) — `goal_met`
against (a), `goal_met_like_for_like` against (c).
"""

# ruff: noqa: S608 - the statements are built from table names, constants and integer ids.
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, machine, setup_django

RESULTS = ROOT / "bench" / "results" / "outcomes.json"
SLUG = "outcomes-bench"
COPY_TABLE = "bench_outcomes_attendance"
FIRST_DAY, LAST_DAY = "2026-09-01", "2026-10-31"


def _sql(cursor: Any, statement: str, params: Any = None) -> None:
    cursor.execute(statement, params)


def build_network(students: int, schools: int, rebuild: bool) -> Any:
    """The bench network: schools, students and enrollments (kept when already this size)."""
    from django.db import connection, transaction

    from wraparound.core.models import Community, Network, School
    from wraparound.outcomes.models import (
        AttendanceEvent,
        AttendanceImport,
        AttendanceMonth,
        CourseResult,
        InstructionalDay,
    )
    from wraparound.students.models import Student, StudentEnrollment

    network = Network.objects.filter(slug=SLUG).first()
    if (
        network is not None
        and not rebuild
        and School.objects.filter(network=network).count() == schools
        and Student.objects.filter(network=network).count() == students
    ):
        with connection.cursor() as cursor:
            for model in (AttendanceEvent, AttendanceMonth, InstructionalDay, CourseResult):
                _sql(
                    cursor,
                    f"DELETE FROM {model._meta.db_table} WHERE network_id = %s",
                    [network.pk],
                )
        AttendanceImport.objects.filter(network=network).delete()
        _vacuum()
        return network
    with transaction.atomic(), connection.cursor() as cursor:
        if network is not None:
            for table in (
                AttendanceEvent._meta.db_table,
                AttendanceMonth._meta.db_table,
                InstructionalDay._meta.db_table,
                CourseResult._meta.db_table,
                AttendanceImport._meta.db_table,
                StudentEnrollment._meta.db_table,
                Student._meta.db_table,
                School._meta.db_table,
                Community._meta.db_table,
            ):
                _sql(cursor, f"DELETE FROM {table} WHERE network_id = %s", [network.pk])
            network.delete()
        network = Network.objects.create(name="Outcomes benchmark", slug=SLUG)
        community = Community.objects.create(
            network=network, code="999", name="Bench", borough="Bronx"
        )
        School.objects.bulk_create(
            [
                School(network=network, community=community, code=f"B{i:05d}", name=f"School {i}")
                for i in range(schools)
            ],
            batch_size=2000,
        )
        _sql(
            cursor,
            """
            INSERT INTO students_student (network_id, school_id, sourced_id, identifier,
                given_name, family_name, middle_name, preferred_name, grade, email, phone, sms,
                sex, race_ethnicity, home_language, is_active, created_at, updated_at)
            SELECT %(network)s, s.id, 'stu-' || lpad(g::text, 7, '0'), g::text, 'Given',
                'Family', '', '', (g %% 13)::text, '', '', '', '', 'unknown', '', true, now(),
                now()
            FROM generate_series(0, %(students)s - 1) g
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
                  FROM core_school WHERE network_id = %(network)s) s
              ON s.n = g * %(schools)s / %(students)s
            """,
            {"network": network.pk, "students": students, "schools": schools},
        )
        # 4% join mid-September, 2% leave mid-October, the rest enrolled all along.
        _sql(
            cursor,
            """
            INSERT INTO students_studentenrollment (network_id, student_id, school_id,
                sourced_id, begin_date, end_date, is_primary)
            SELECT network_id, id, school_id, 'enr-' || sourced_id,
                CASE WHEN id %% 25 = 0 THEN DATE '2026-09-15' END,
                CASE WHEN id %% 50 = 1 THEN DATE '2026-10-15' END, true
            FROM students_student WHERE network_id = %(network)s
            """,
            {"network": network.pk},
        )
    _vacuum()
    return network


def _vacuum() -> None:
    """A first import into tables without the dead rows of the last run (their indexes would
    make it slower than a real first import)."""
    from django.db import connection

    from wraparound.outcomes.models import (
        AttendanceEvent,
        AttendanceMonth,
        CourseResult,
        InstructionalDay,
    )

    with connection.cursor() as cursor:
        for model in (AttendanceEvent, AttendanceMonth, InstructionalDay, CourseResult):
            _sql(cursor, f"VACUUM (FULL, ANALYZE) {model._meta.db_table}")
        _sql(cursor, "ANALYZE students_student")
        _sql(cursor, "ANALYZE students_studentenrollment")


def write_files(network: Any, folder: Path, seed: float = 0.42) -> dict[str, int]:
    """calendar.csv and attendance.csv, written by the server (COPY … TO STDOUT)."""
    from django.db import connection

    folder.mkdir(parents=True, exist_ok=True)
    days = f"""
        SELECT d::date AS day FROM generate_series(DATE '{FIRST_DAY}', DATE '{LAST_DAY}',
            interval '1 day') d WHERE extract(isodow FROM d) < 6
    """
    calendar = f"""
        COPY (SELECT s.code AS school_code, to_char(days.day, 'YYYY-MM-DD') AS date
              FROM core_school s CROSS JOIN ({days}) days
              WHERE s.network_id = {int(network.pk)} ORDER BY s.code, days.day)
        TO STDOUT (FORMAT csv, HEADER)
    """
    # Per student: an absence rate 2% + 30% × u³ (mean ≈ 9.5%, a long chronic tail), tardy 3%,
    # early departure 0.5%, partial 0.5%. One event at most per enrolled day.
    attendance = f"""
        COPY (
          WITH st AS (
            SELECT s.sourced_id, sc.code, en.begin_date, en.end_date,
                   0.02 + 0.30 * power(random(), 3) AS absent
            FROM students_student s
            JOIN students_studentenrollment en ON en.student_id = s.id
            JOIN core_school sc ON sc.id = en.school_id
            WHERE s.network_id = {int(network.pk)}),
          draws AS (
            SELECT st.sourced_id, st.code, days.day, st.absent, random() AS r
            FROM st CROSS JOIN ({days}) days
            WHERE (st.begin_date IS NULL OR days.day >= st.begin_date)
              AND (st.end_date IS NULL OR days.day <= st.end_date))
          SELECT sourced_id AS student_id, code AS school_code,
                 to_char(day, 'YYYY-MM-DD') AS date,
                 CASE WHEN r < absent * 0.35 THEN 'Excused Absence'
                      WHEN r < absent THEN 'Unexcused Absence'
                      WHEN r < absent + 0.03 THEN 'Tardy'
                      WHEN r < absent + 0.035 THEN 'Early departure'
                      ELSE 'Partial' END AS category,
                 CASE WHEN r >= absent + 0.035 THEN (60 + (r * 1000)::int % 180)::text
                      ELSE '' END AS minutes
          FROM draws WHERE r < absent + 0.04
          ORDER BY school_code, student_id, date)
        TO STDOUT (FORMAT csv, HEADER)
    """
    connection.ensure_connection()
    raw = connection.connection
    rows = {}
    with raw.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        for name, statement in (("calendar.csv", calendar), ("attendance.csv", attendance)):
            count = -1  # the header
            with (folder / name).open("wb") as out, cursor.copy(statement) as copy:
                for block in copy:
                    out.write(block)
                    count += bytes(block).count(b"\n")
            rows[name] = count
    raw.commit()
    return rows


class _Rollback(Exception):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


def bare_copy(attendance_csv: Path) -> float:
    """COPY of attendance.csv as it is into a plain table of its columns (text, no index), in
    a transaction rolled back."""
    from django.db import connection, transaction

    with attendance_csv.open("rb") as handle:
        header = handle.readline().decode("utf-8-sig").strip().split(",")
    columns = ", ".join(f'"{c}" text' for c in header)
    try:
        with transaction.atomic(), connection.cursor() as wrapper:
            cursor = wrapper.cursor
            cursor.execute(f"CREATE TABLE {COPY_TABLE} ({columns})")
            started = time.perf_counter()
            with (
                attendance_csv.open("rb") as handle,
                cursor.copy(f"COPY {COPY_TABLE} FROM STDIN (FORMAT csv, HEADER)") as copy,
            ):
                while block := handle.read(1 << 20):
                    copy.write(block)
            raise _Rollback(time.perf_counter() - started)
    except _Rollback as done:
        return done.seconds


def final_rows_copy(network: Any) -> float:
    """The floor: the events the import wrote, read back (outside the timing) and COPY'd as
    they are into a table exactly like outcomes_attendanceevent (its four indexes, no
    foreign-key checks), commit not waited for: what merely storing these rows costs."""
    from django.db import connection

    from wraparound.outcomes.models import AttendanceEvent

    table = AttendanceEvent._meta.db_table
    connection.ensure_connection()
    raw = connection.connection
    with tempfile.TemporaryDirectory(prefix="outcomes-floor-") as tmp, raw.cursor() as cursor:
        path = Path(tmp) / "events.copy"
        with (
            path.open("wb") as out,
            cursor.copy(
                f"COPY (SELECT * FROM {table} WHERE network_id = {int(network.pk)}) TO STDOUT"
            ) as copy,
        ):
            for block in copy:
                out.write(block)
        cursor.execute("DROP TABLE IF EXISTS bench_floor_events")
        cursor.execute(f"CREATE TABLE bench_floor_events (LIKE {table} INCLUDING ALL)")
        raw.commit()
        started = time.perf_counter()
        with raw.transaction():
            cursor.execute("SET LOCAL synchronous_commit = off")
            with path.open("rb") as handle, cursor.copy("COPY bench_floor_events FROM STDIN") as c:
                while block := handle.read(1 << 20):
                    c.write(block)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_floor_events")
        raw.commit()
    return seconds


def timed_import(network: Any, folder: Path, dry_run: bool) -> tuple[float, Any, dict[str, float]]:
    from django.db import connection

    from wraparound.outcomes.attendance.source import FolderSource
    from wraparound.outcomes.attendance_services import attendance_import_execute
    from wraparound.outcomes.models import AttendanceImportStatus

    stages: dict[str, float] = {}
    started = time.perf_counter()
    current: dict[str, Any] = {"stage": "start", "since": started}

    def echo(stage: str) -> None:
        now = time.perf_counter()
        stages[current["stage"]] = round(now - current["since"], 2)
        current.update(stage=stage, since=now)

    statements: list[tuple[float, str]] = []

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        begun = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - begun, " ".join(str(sql).split())[:90]))

    with connection.execute_wrapper(timer):
        run = attendance_import_execute(
            source=FolderSource(folder),
            network=network,
            dry_run=dry_run,
            source_name=folder.name,
            on_stage=echo,
        )
    seconds = time.perf_counter() - started
    # The slowest statements (COPY goes past Django's cursor: it shows in the stage times).
    stages["slowest_statements"] = [  # type: ignore[assignment]
        f"{t:.2f} s {sql}" for t, sql in sorted(statements, reverse=True)[:8]
    ]
    stages[current["stage"] + " (and commit)"] = round(time.perf_counter() - current["since"], 2)
    wanted = AttendanceImportStatus.CHECKED if dry_run else AttendanceImportStatus.DONE
    if run.status != wanted:
        raise SystemExit(f"import failed: {run.status} {run.errors[:5]}")
    return seconds, run, stages


def part_import(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection

    from wraparound.outcomes.models import AttendanceEvent, AttendanceMonth

    vendor = connection.vendor
    started = time.perf_counter()
    network = build_network(args.students, args.schools, args.rebuild)
    build_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="outcomes-bench-") as tmp:
        folder = args.keep or Path(tmp) / "attendance"
        started = time.perf_counter()
        rows = write_files(network, folder)
        generate_s = time.perf_counter() - started
        attendance_csv = folder / "attendance.csv"
        events = rows["attendance.csv"]
        mb = attendance_csv.stat().st_size / 1e6
        print(f"attendance.csv: {events} rows, {mb:.0f} MB; calendar.csv: {rows['calendar.csv']}")
        copy_s = bare_copy(attendance_csv) if vendor == "postgresql" else None
        if copy_s:
            print(f"bare COPY: {copy_s:.2f} s = {events / copy_s:,.0f} rows/s")
        import_s, run, stages = timed_import(network, folder, dry_run=False)
        print(f"import: {import_s:.2f} s = {events / import_s:,.0f} rows/s; stages {stages}")
        written = AttendanceEvent.objects.filter(network=network).count()
        months = AttendanceMonth.objects.filter(network=network).count()
        assert written == events, (written, events)
        floor_s = final_rows_copy(network) if vendor == "postgresql" else None
        if floor_s:
            print(
                f"floor (the written events COPY'd into a table like the target): {floor_s:.2f} s"
            )
        reimport_s, __, restages = timed_import(network, folder, dry_run=False)
        print(f"re-import: {reimport_s:.2f} s; stages {restages}")
        dry_s, __, drystages = timed_import(network, folder, dry_run=True)
        print(f"dry run: {dry_s:.2f} s; stages {drystages}")
    ratio = round(import_s / copy_s, 2) if copy_s else None
    result: dict[str, Any] = {
        "students": args.students,
        "schools": args.schools,
        "period": f"{FIRST_DAY} to {LAST_DAY} (44 instructional days a school)",
        "attendance_csv_rows": events,
        "attendance_csv_mb": round(mb, 1),
        "calendar_csv_rows": rows["calendar.csv"],
        "student_months_written": months,
        "build_network_seconds": round(build_s, 1),
        "generate_files_seconds": round(generate_s, 1),
        "copy_seconds": round(copy_s, 2) if copy_s else None,
        "copy_rows_per_s": round(events / copy_s) if copy_s else None,
        "import_seconds": round(import_s, 2),
        "import_rows_per_s": round(events / import_s),
        "ratio": ratio,
        "goal": "ratio <= 3: the import at no less than a third of the speed of the bare COPY",
        "goal_met": bool(ratio is not None and ratio <= 3),
        # The other reading: COPY of the same rows into a table like the one they go to.
        "goal_met_like_for_like": bool(floor_s and import_s / floor_s <= 3),
        "final_rows_copy_seconds": round(floor_s, 2) if floor_s else None,
        "ratio_to_final_rows_copy": round(import_s / floor_s, 2) if floor_s else None,
        "import_stage_seconds": stages,
        "import_summary": run.summary,
        "reimport_seconds": round(reimport_s, 2),
        "reimport_stage_seconds": restages,
        "dry_run_seconds": round(dry_s, 2),
        "dry_run_stage_seconds": drystages,
        "baselines": {
            "copy_seconds": "COPY of attendance.csv as it is into a plain table of its five "
            "columns (text, no index), in a transaction rolled back: the issue's baseline",
            "final_rows_copy_seconds": "the events the import wrote COPY'd as they are into a "
            "table exactly like outcomes_attendanceevent (its four indexes, no foreign-key "
            "checks), commit not waited for: the least any import must spend storing them",
        },
        **machine(vendor),
    }
    print(f"ratio (import / COPY): {ratio}; goal met: {result['goal_met']}")
    print(f"goal met against the like-for-like COPY (c): {result['goal_met_like_for_like']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("part", choices=["import", "dashboards"])
    parser.add_argument("--students", type=int, default=900_000)
    parser.add_argument("--schools", type=int, default=1_600)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the bench network")
    parser.add_argument("--keep", type=Path, default=None, help="write the files here")
    parser.add_argument(
        "--reuse", action="store_true", help="dashboards: measure the city network already there"
    )
    args = parser.parse_args()
    scratch = setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if args.part == "dashboards":
        # The dashboards' own script (bench/outcomes_dashboards.py) does the measuring; its
        # figures are kept here too, under their part, beside the import's.
        from outcomes_dashboards import run as run_dashboards

        result = run_dashboards("default", reuse=args.reuse)
    else:
        result = part_import(args)
    if connection.vendor == "postgresql":
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results[args.part] = result
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    if scratch is not None:
        scratch.cleanup()


if __name__ == "__main__":
    main()
