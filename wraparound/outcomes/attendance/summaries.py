"""The student × month attendance summary (`AttendanceMonth`), recomputed set-based.

The unit of recomputation is a (school, month): every student enrolled at the school on one of
its instructional days that month gets their row rewritten from the calendar, the enrollments
and the events, in two statements per month and chunk of schools (stale rows deleted, the rest
upserted with `INSERT … SELECT … ON CONFLICT DO UPDATE`, which SQLite and PostgreSQL both
speak). Rewriting a row from unchanged inputs gives the same values, so recomputing a whole
school-month when only some of its students changed costs time, never correctness."""

# ruff: noqa: S608 - the statements are built from our own table names, placeholders and the
# fixed category codes; every value is a bound parameter.
from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection

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
    # Parameters: schools, month, first day, last day.
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
    # Parameters: month, schools, first day, last day.
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


def recompute_months(scope: Iterable[tuple[int, dt.date]]) -> int:
    """Rewrite the AttendanceMonth rows of each (school id, first day of month) in `scope`.
    Returns the number of school-months recomputed. Runs inside the caller's transaction."""
    by_month: dict[dt.date, set[int]] = defaultdict(set)
    for school_id, month in scope:
        by_month[month_start(month)].add(school_id)
    with connection.cursor() as cursor:
        for month, school_ids in sorted(by_month.items()):
            last = month_end(month)
            ordered = sorted(school_ids)
            for i in range(0, len(ordered), SCHOOL_CHUNK):
                chunk = ordered[i : i + SCHOOL_CHUNK]
                delete, upsert = _statements(len(chunk))
                cursor.execute(delete, [*chunk, month, month, last])
                cursor.execute(upsert, [month, *chunk, month, last])
    return sum(len(s) for s in by_month.values())
