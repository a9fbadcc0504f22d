"""The student × month attendance summary (`AttendanceMonth`), recomputed set-based.

The unit of recomputation is a (school, month): every student enrolled at the school on one of
its instructional days that month gets their row rewritten from the calendar, the enrollments
and the events, in two statements per month and chunk of schools (stale rows deleted, the rest
upserted with `INSERT … SELECT … ON CONFLICT DO UPDATE`, which SQLite and PostgreSQL both
speak). Rewriting a row from unchanged inputs gives the same values, so recomputing a whole
school-month when only some of its students changed costs time, never correctness.

Only the instructional days up to `through` — the last day the attendance files cover — count:
a calendar.csv holds the whole school year, and a day that has not been taken yet is neither a
present nor an enrolled day (counted as present it would lift every rate mid-year)."""

# ruff: noqa: S608 - the statements are built from our own table names, placeholders and the
# fixed category codes; every value is a bound parameter.
from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction

from wraparound.students.models import StudentEnrollment

from ..models import AttendanceCategory, AttendanceEvent, AttendanceMonth, InstructionalDay

# Well under SQLite's smallest default limit of bound parameters (999).
SCHOOL_CHUNK = 500


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(first: dt.date) -> dt.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _enrolled_on(enrollment: str, day: str) -> str:
    return (
        f"({enrollment}.begin_date IS NULL OR {enrollment}.begin_date <= {day}) "
        f"AND ({enrollment}.end_date IS NULL OR {enrollment}.end_date >= {day})"
    )


def _statements(n_schools: int) -> tuple[str, str]:
    q = connection.ops.quote_name
    month_t = q(AttendanceMonth._meta.db_table)
    day_t = q(InstructionalDay._meta.db_table)
    enr_t = q(StudentEnrollment._meta.db_table)
    ev_t = q(AttendanceEvent._meta.db_table)
    schools = ", ".join(["%s"] * n_schools)
    # Parameters: schools, month, first day, last day (the month's, or `through` within it).
    delete = f"""
        DELETE FROM {month_t}
        WHERE {month_t}.school_id IN ({schools}) AND {month_t}.month = %s
          AND NOT EXISTS (
            SELECT 1 FROM {day_t} d JOIN {enr_t} en ON en.school_id = d.school_id
            WHERE d.school_id = {month_t}.school_id AND en.student_id = {month_t}.student_id
              AND d.date >= %s AND d.date <= %s AND {_enrolled_on("en", "d.date")})
    """

    def count(categories: tuple[str, ...]) -> str:
        listed = ", ".join(f"'{c}'" for c in categories)  # fixed codes, not user input
        # DISTINCT dates: two overlapping enrollments at one school must not count a day twice.
        return f"COUNT(DISTINCT CASE WHEN ev.category IN ({listed}) THEN ev.date END)"

    c = AttendanceCategory
    # Parameters: month, schools, first day, last day (the month's, or `through` within it).
    upsert = f"""
        INSERT INTO {month_t} (network_id, student_id, school_id, month, enrolled_days,
            absent_days, excused_days, unexcused_days, tardies, early_departures, partial_days)
        SELECT d.network_id, en.student_id, d.school_id, %s, COUNT(DISTINCT d.date),
            {count((c.EXCUSED, c.UNEXCUSED))}, {count((c.EXCUSED,))}, {count((c.UNEXCUSED,))},
            {count((c.TARDY,))}, {count((c.EARLY_DEPARTURE,))}, {count((c.PARTIAL,))}
        FROM {day_t} d
        JOIN {enr_t} en ON en.school_id = d.school_id AND {_enrolled_on("en", "d.date")}
        LEFT JOIN {ev_t} ev
            ON ev.student_id = en.student_id AND ev.school_id = d.school_id AND ev.date = d.date
        WHERE d.school_id IN ({schools}) AND d.date >= %s AND d.date <= %s
        GROUP BY d.network_id, en.student_id, d.school_id
        ON CONFLICT (student_id, school_id, month) DO UPDATE SET
            network_id = excluded.network_id,
            enrolled_days = excluded.enrolled_days,
            absent_days = excluded.absent_days,
            excused_days = excluded.excused_days,
            unexcused_days = excluded.unexcused_days,
            tardies = excluded.tardies,
            early_departures = excluded.early_departures,
            partial_days = excluded.partial_days
    """
    return delete, upsert


def recompute_months(scope: Iterable[tuple[int, dt.date]], *, through: dt.date) -> int:
    """Rewrite the AttendanceMonth rows of each (school id, first day of month) in `scope`,
    counting the instructional days up to `through` only (a month wholly after it keeps no
    rows). Returns the number of school-months recomputed. Runs inside the caller's
    transaction."""
    by_month: dict[dt.date, set[int]] = defaultdict(set)
    for school_id, month in scope:
        by_month[month_start(month)].add(school_id)
    if connection.vendor == "postgresql":
        if by_month:
            _recompute_postgres(by_month, through)
    else:
        _recompute_portable(by_month, through)
    return sum(len(s) for s in by_month.values())


def _recompute_portable(by_month: dict[dt.date, set[int]], through: dt.date) -> None:
    with connection.cursor() as cursor:
        for month, school_ids in sorted(by_month.items()):
            # A month after `through` has no counted day: its rows go (first > last).
            last = min(month_end(month), through)
            ordered = sorted(school_ids)
            for i in range(0, len(ordered), SCHOOL_CHUNK):
                chunk = ordered[i : i + SCHOOL_CHUNK]
                delete, upsert = _statements(len(chunk))
                cursor.execute(delete, [*chunk, month, month, last])
                cursor.execute(upsert, [month, *chunk, month, last])


# The PostgreSQL statements' temporary tables.
SCOPE, DAYS, ENROLLED_SPANS, ENROLLED, COUNTS, NEW_ROWS = (
    "attendance_scope",
    "attendance_scope_days",
    "attendance_scope_spans",
    "attendance_scope_enrolled",
    "attendance_scope_counts",
    "attendance_scope_rows",
)
TEMPORARY = (SCOPE, DAYS, ENROLLED_SPANS, ENROLLED, COUNTS, NEW_ROWS)


def recompute_first_months(
    scope: Iterable[tuple[int, dt.date]], *, through: dt.date, counted: str
) -> int:
    """`recompute_months` on PostgreSQL when every event of the scope's school-months was
    written by this transaction's import, which counted them as it wrote them: `counted` names
    its temporary table of (student_id, school_id, month, absent, excused, unexcused, tardies,
    early, partial), days up to `through` (`sqlcheck._insert_first_events`). Those counts
    stand for the statement that would read the events table back."""
    by_month: dict[dt.date, set[int]] = defaultdict(set)
    for school_id, month in scope:
        by_month[month_start(month)].add(school_id)
    if by_month:
        _recompute_postgres(by_month, through, counted)
    return sum(len(s) for s in by_month.values())


def _recompute_postgres(
    by_month: dict[dt.date, set[int]], through: dt.date, counted: str | None = None
) -> None:
    """The same rows as the portable statements, for a city's thousands of school-months at
    once. The portable statements pair every instructional day with every enrollment (tens of
    millions of pairs for a city month) and count distinct dates; here a student with one
    enrollment at the school spanning the month's instructional days — nearly all of them — is
    enrolled on the month's day count, and only the others (a mid-month start or end, two
    enrollments at one school) are paired day by day. Events are counted once each (one a
    student, school and day), on the instructional days inside an enrollment."""
    q = connection.ops.quote_name
    month_t = q(AttendanceMonth._meta.db_table)
    day_t = q(InstructionalDay._meta.db_table)
    enr_t = q(StudentEnrollment._meta.db_table)
    ev_t = q(AttendanceEvent._meta.db_table)
    schools: list[int] = []
    months: list[dt.date] = []
    for month, school_ids in by_month.items():
        schools.extend(school_ids)
        months.extend([month] * len(school_ids))
    c = AttendanceCategory

    def count(categories: tuple[str, ...]) -> str:
        listed = ", ".join(f"'{x}'" for x in categories)  # fixed codes, not user input
        return f"count(*) FILTER (WHERE ev.category IN ({listed}))"

    # An event counts on the instructional days of the month (up to `through`) inside one of
    # the student's enrollments at the school; the events a first import has just counted
    # (`counted`) are all such (the import checked them) and alone in their school-months.
    counts_t = counted or COUNTS
    counts = (
        []
        if counted
        else [
            f"""CREATE TEMP TABLE {COUNTS} ON COMMIT DROP AS
            SELECT ev.student_id, ev.school_id, d.month,
                {count((c.EXCUSED, c.UNEXCUSED))} AS absent, {count((c.EXCUSED,))} AS excused,
                {count((c.UNEXCUSED,))} AS unexcused, {count((c.TARDY,))} AS tardies,
                {count((c.EARLY_DEPARTURE,))} AS early, {count((c.PARTIAL,))} AS partial
            FROM {DAYS} d JOIN {ev_t} ev ON ev.school_id = d.school_id AND ev.date = d.date
            WHERE EXISTS (SELECT 1 FROM {ENROLLED_SPANS} sp
                WHERE sp.student_id = ev.student_id AND sp.school_id = ev.school_id
                  AND sp.month = d.month AND {_enrolled_on("sp", "ev.date")})
            GROUP BY ev.student_id, ev.school_id, d.month"""
        ]
    )
    statements = [
        *(f"DROP TABLE IF EXISTS pg_temp.{t}" for t in TEMPORARY),
        f"""CREATE TEMP TABLE {SCOPE} ON COMMIT DROP AS
            SELECT s.school_id, s.month, (s.month + interval '1 month')::date AS next
            FROM unnest(%(schools)s::bigint[], %(months)s::date[]) s (school_id, month)""",
        f"ANALYZE {SCOPE}",
        f"""CREATE TEMP TABLE {DAYS} ON COMMIT DROP AS
            SELECT d.network_id, d.school_id, s.month, d.date
            FROM {SCOPE} s JOIN {day_t} d ON d.school_id = s.school_id
                AND d.date >= s.month AND d.date < s.next AND d.date <= %(through)s""",
        f"ANALYZE {DAYS}",
        # Each enrollment with at least one of the month's instructional days in its span
        # (approximately: between the month's first and last), with the month's day count.
        f"""CREATE TEMP TABLE {ENROLLED_SPANS} ON COMMIT DROP AS
            SELECT en.student_id, m.school_id, m.month, m.network_id, m.days, m.first,
                m.last, en.begin_date, en.end_date,
                count(*) OVER (PARTITION BY en.student_id, m.school_id, m.month) AS spans
            FROM (SELECT network_id, school_id, month, count(*) AS days, min(date) AS first,
                    max(date) AS last
                  FROM {DAYS} GROUP BY network_id, school_id, month) m
            JOIN {enr_t} en ON en.school_id = m.school_id
                AND (en.begin_date IS NULL OR en.begin_date <= m.last)
                AND (en.end_date IS NULL OR en.end_date >= m.first)""",
        f"ANALYZE {ENROLLED_SPANS}",
        f"""CREATE TEMP TABLE {ENROLLED} ON COMMIT DROP AS
            SELECT network_id, student_id, school_id, month, days FROM {ENROLLED_SPANS}
            WHERE spans = 1 AND (begin_date IS NULL OR begin_date <= first)
                AND (end_date IS NULL OR end_date >= last)
            UNION ALL
            SELECT e.network_id, e.student_id, e.school_id, e.month, count(DISTINCT d.date)
            FROM {ENROLLED_SPANS} e JOIN {DAYS} d ON d.school_id = e.school_id
                AND d.month = e.month AND {_enrolled_on("e", "d.date")}
            WHERE NOT (spans = 1 AND (begin_date IS NULL OR begin_date <= first)
                AND (end_date IS NULL OR end_date >= last))
            GROUP BY e.network_id, e.student_id, e.school_id, e.month""",
        f"ANALYZE {ENROLLED}",
        # The statistics of the events and months tables may predate the rows an import has
        # just written (in this very transaction): every join below is between tables
        # analyzed here, or a set operation, so that no plan rests on them.
        *counts,
        f"ANALYZE {counts_t}",
    ]
    # Only hash joins from here to the writes: planned on the months table's statistics from
    # before this import, a nested loop would scan all of it once per school-month.
    nestloop_off = "SET LOCAL enable_nestloop = off"
    nestloop_back = "SELECT set_config('enable_nestloop', %(nestloop)s, true)"
    columns = """network_id, student_id, school_id, month, enrolled_days, absent_days,
        excused_days, unexcused_days, tardies, early_departures, partial_days"""
    # No stored row in the scope (a first import of these months): the rows are inserted
    # straight from ENROLLED and the counts, without looking for stored ones to delete or
    # compare; in the order of the (student, school, month) unique index.
    first = [
        nestloop_off,
        f"""INSERT INTO {month_t} ({columns})
            SELECT e.network_id, e.student_id, e.school_id, e.month, e.days,
                coalesce(n.absent, 0), coalesce(n.excused, 0), coalesce(n.unexcused, 0),
                coalesce(n.tardies, 0), coalesce(n.early, 0), coalesce(n.partial, 0)
            FROM {ENROLLED} e
            LEFT JOIN {counts_t} n ON n.student_id = e.student_id AND n.school_id = e.school_id
                AND n.month = e.month
            ORDER BY e.student_id, e.school_id, e.month""",
        nestloop_back,
    ]
    again = [
        nestloop_off,
        f"""WITH stale AS (
                SELECT m.student_id, m.school_id, m.month
                FROM {SCOPE} s JOIN {month_t} m ON m.school_id = s.school_id
                    AND m.month = s.month
                EXCEPT
                SELECT student_id, school_id, month FROM {ENROLLED})
            DELETE FROM {month_t} m USING stale
            WHERE m.student_id = stale.student_id AND m.school_id = stale.school_id
                AND m.month = stale.month""",
        # Changed rows updated, new ones inserted, unchanged ones left alone. Not `INSERT …
        # ON CONFLICT`: its speculative insertion of each row cost twice as much as a plain
        # INSERT of a city's 1.8 million student-months. The stale rows are gone (above), so
        # every stored row of the scope has its match in ENROLLED.
        f"""CREATE TEMP TABLE {NEW_ROWS} ON COMMIT DROP AS
            SELECT e.network_id, e.student_id, e.school_id, e.month,
                e.days AS enrolled_days, coalesce(n.absent, 0) AS absent_days,
                coalesce(n.excused, 0) AS excused_days,
                coalesce(n.unexcused, 0) AS unexcused_days, coalesce(n.tardies, 0) AS tardies,
                coalesce(n.early, 0) AS early_departures, coalesce(n.partial, 0) AS partial_days,
                m.id AS stored_id,
                (m.id IS NOT NULL AND (m.network_id, m.enrolled_days, m.absent_days,
                    m.excused_days, m.unexcused_days, m.tardies, m.early_departures,
                    m.partial_days) IS NOT DISTINCT FROM (e.network_id, e.days,
                    coalesce(n.absent, 0), coalesce(n.excused, 0), coalesce(n.unexcused, 0),
                    coalesce(n.tardies, 0), coalesce(n.early, 0), coalesce(n.partial, 0)))
                    AS unchanged
            FROM {ENROLLED} e
            LEFT JOIN {counts_t} n ON n.student_id = e.student_id AND n.school_id = e.school_id
                AND n.month = e.month
            LEFT JOIN (SELECT m.* FROM {SCOPE} s JOIN {month_t} m ON m.school_id = s.school_id
                    AND m.month = s.month) m
                ON m.student_id = e.student_id AND m.school_id = e.school_id
                AND m.month = e.month""",
        nestloop_back,
        f"""UPDATE {month_t} am SET network_id = r.network_id,
                enrolled_days = r.enrolled_days, absent_days = r.absent_days,
                excused_days = r.excused_days, unexcused_days = r.unexcused_days,
                tardies = r.tardies, early_departures = r.early_departures,
                partial_days = r.partial_days
            FROM {NEW_ROWS} r WHERE am.id = r.stored_id AND NOT r.unchanged""",
        f"""INSERT INTO {month_t} (network_id, student_id, school_id, month, enrolled_days,
                absent_days, excused_days, unexcused_days, tardies, early_departures,
                partial_days)
            SELECT network_id, student_id, school_id, month, enrolled_days, absent_days,
                excused_days, unexcused_days, tardies, early_departures, partial_days
            FROM {NEW_ROWS} WHERE stored_id IS NULL
            ORDER BY student_id, school_id, month""",
    ]
    # One probe of the (school, month) index a school-month (LIMIT keeps it so).
    stored = f"""SELECT count(*) FROM {SCOPE} s CROSS JOIN LATERAL (
            SELECT 1 FROM {month_t} m WHERE m.school_id = s.school_id AND m.month = s.month
            LIMIT 1) x"""
    # A savepoint: ON COMMIT DROP tables need a transaction to live in.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_nestloop')")
        params = {
            "schools": schools,
            "months": months,
            "through": through,
            "nestloop": cursor.fetchone()[0],
        }
        cursor.execute("SET LOCAL work_mem = '256MB'")
        for statement in statements:
            cursor.execute(statement, params)
        cursor.execute(stored)
        for statement in again if cursor.fetchone()[0] else first:
            cursor.execute(statement, params)
        for table in TEMPORARY:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
