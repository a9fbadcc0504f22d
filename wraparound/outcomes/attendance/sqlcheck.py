"""The PostgreSQL path of the attendance import: calendar.csv and attendance.csv go straight
into temporary tables of text columns with COPY, set-based SQL checks them and types them, and
the write is `INSERT … SELECT` and `UPDATE … FROM` — Python never touches a row.

As in the roster import (`students.oneroster.sqlcheck`), the SQL decides only *whether* the
files are clean. When it finds anything (or COPY refuses a file: not UTF-8, ragged rows, blank
lines, a stray quote), `Unclean` is raised, the transaction is rolled back and the row-by-row
reader (`importer`) reads the files again to name every problem by file, row and column: the
errors are then exactly those of the SQLite path. So the SQL is never more lenient than the
reader; where it is stricter (a cell padded with an exotic space, `+5` minutes, a category in
non-ASCII letters) the reader decides, at the reader's speed.

The checks are the reader's: a known school; a YYYY-MM-DD date; a non-empty student id of a
student of the network; an Ed-Fi category; minutes empty or 0–1440; the day an instructional
day of the school (in the database or in this calendar.csv); the student enrolled at the school
that day; no (student, school, date) twice — in a real run found by the events table's unique
constraint as the rows are written (and among rows already stored, by their join), in a dry
run by grouping.

A first import of the months the file covers — no event stored in them yet, the usual case of
a monthly export — skips the typed table: one `INSERT … SELECT` from the raw table types the
rows, holds every check as a condition, and counts what it inserted for the summaries
(`_insert_first_events`); fewer rows inserted than the file holds is Unclean like any other
doubt."""

# ruff: noqa: S608 - every statement is built from our own table and column names and the fixed
# category vocabulary; the values of the files never enter the SQL text.

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import transaction

from wraparound.core.models import School
from wraparound.students.models import Student, StudentEnrollment
from wraparound.students.oneroster.sqlcheck import Unclean
from wraparound.students.oneroster.sqlcheck import _is_date as is_date

from ..models import EDFI_LABELS, AttendanceCategory, AttendanceEvent, InstructionalDay
from . import source as files

__all__ = ["Loaded", "Unclean", "drop_tables", "load_and_check", "write"]

BOM = b"\xef\xbb\xbf"
BLOCK = 1 << 20
HEADER_LIMIT = 1 << 20
RAW = {files.CALENDAR: "attendance_raw_calendar", files.ATTENDANCE: "attendance_raw_events"}
CALENDAR, EVENTS, DAYS, EXISTING, COUNTED = (
    "attendance_calendar",
    "attendance_events",
    "attendance_days",
    "attendance_existing",
    "attendance_counted",
)
TABLES = (*RAW.values(), CALENDAR, EVENTS, DAYS, EXISTING, COUNTED)

EVENT_T = AttendanceEvent._meta.db_table
DAY_T = InstructionalDay._meta.db_table
STUDENT_T = Student._meta.db_table
SCHOOL_T = School._meta.db_table
ENROLLMENT_T = StudentEnrollment._meta.db_table
MAX_MINUTES = 24 * 60
# More spellings of the category than this in one attendance.csv, and the usual path reads it.
MAX_SPELLINGS = 1000
# What Python's str.strip() removes that btrim can be told to (Python strips more: the SQL is
# then stricter, never more lenient).
SPACES = "E' \\t\\r\\n\\x0b\\f'"


def _trim(x: str) -> str:
    return f"btrim({x}, {SPACES})"


@dataclass
class Loaded:
    """What the checks found: the counts for the summary."""

    calendar_days: int = 0
    events: int = 0
    # The first import of these months (`_first_import`): the events are typed, checked
    # and inserted by one statement in `write`, from attendance.csv's raw table.
    first: bool = False
    columns: dict[str, int] | None = None
    # A first import's category labels as attendance.csv spells them, and their codes.
    labels: dict[str, str] | None = None


def drop_tables(cursor: Any) -> None:
    for table in TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")


def _header(head: bytes, required: tuple[str, ...]) -> tuple[dict[str, int], bytes]:
    """The header's column positions (named as the reader names them: trimmed, lower case) and
    the bytes after it; Unclean when the reader must judge."""
    if head.startswith(BOM):
        head = head[len(BOM) :]
    end = head.find(b"\n")
    line, rest = (head, b"") if end < 0 else (head[:end], head[end + 1 :])
    if line.count(b'"') % 2:
        raise Unclean  # a quoted newline in the header
    try:
        text = line.decode("utf-8").removesuffix("\r")
    except UnicodeDecodeError as error:
        raise Unclean from error
    names = [h.strip().lower() for h in next(csv.reader([text]), [])]
    if not names or len(set(names)) != len(names) or set(required) - set(names):
        raise Unclean
    return {n: i for i, n in enumerate(names)}, rest


def _load(
    cursor: Any, source: files.AttendanceSource, name: str, required: tuple[str, ...]
) -> tuple[dict[str, int], int]:
    """COPY the file into its raw table (text columns c0…, '' for empty cells); its columns
    and the number of rows copied."""
    table = RAW[name]
    with source.open(name) as handle:
        head = handle.read(BLOCK)
        while b"\n" not in head and len(head) < HEADER_LIMIT:
            more = handle.read(BLOCK)
            if not more:
                break
            head += more
        columns, rest = _header(head, required)
        listed = ", ".join(f"c{i}" for i in range(len(columns)))
        cursor.execute(
            f"CREATE TEMP TABLE {table} ({', '.join(f'c{i} text' for i in range(len(columns)))})"
            " ON COMMIT DROP"
        )
        try:
            with cursor.copy(
                f"COPY {table} ({listed}) FROM STDIN "
                f"(FORMAT csv, HEADER false, FORCE_NOT_NULL ({listed}))"
            ) as copy:
                if rest:
                    copy.write(rest)
                while block := handle.read(BLOCK):
                    copy.write(block)
        except psycopg.Error as error:  # not UTF-8, ragged, blank lines, bad quoting…
            raise Unclean from error
    return columns, int(cursor.rowcount)


def _any(cursor: Any, sql: str, params: dict[str, Any]) -> None:
    # count(*), not EXISTS: EXISTS asks the planner for the first row fast, and it picks nested
    # loops that take minutes when, as in a clean file, there is no such row.
    cursor.execute(f"SELECT count(*) > 0 FROM ({sql}) q", params)
    if cursor.fetchone()[0]:
        raise Unclean


def _col(columns: dict[str, int], name: str) -> str:
    at = columns.get(name)
    return "''" if at is None else f"r.c{at}"


def _checked_date(x: str) -> str:
    """The date when x is one, else NULL (never raises: the cast follows the check)."""
    return f"CASE WHEN {is_date(x)} THEN {x}::date END"


def _load_calendar(cursor: Any, source: files.AttendanceSource, params: dict[str, Any]) -> int:
    from .importer import CALENDAR_COLUMNS

    columns, __ = _load(cursor, source, files.CALENDAR, CALENDAR_COLUMNS)
    code, day = _trim(_col(columns, "school_code")), _trim(_col(columns, "date"))
    cursor.execute(
        f"""
        CREATE TEMP TABLE {CALENDAR} ON COMMIT DROP AS
        SELECT DISTINCT sc.id AS school_id, {_checked_date("r.day")} AS date
        FROM (SELECT {code} AS code, {day} AS day FROM {RAW[files.CALENDAR]} r) r
        LEFT JOIN {SCHOOL_T} sc ON sc.network_id = %(network)s AND sc.code = r.code
        """,
        params,
    )
    _any(cursor, f"SELECT 1 FROM {CALENDAR} WHERE school_id IS NULL OR date IS NULL", params)
    cursor.execute(f"ANALYZE {CALENDAR}")
    cursor.execute(f"SELECT count(*) FROM {CALENDAR}")
    return int(cursor.fetchone()[0])


def _days_lookup(cursor: Any, params: dict[str, Any], with_calendar: bool) -> None:
    """The instructional days an event may fall on — the network's and this calendar.csv's —
    by school code and date as the file writes them (YYYY-MM-DD): one hash join then checks
    an event's school, its date and that the day is an instructional day of the school, where
    checking each row's date text alone cost more than the rest of the row together."""
    calendar = f"SELECT school_id, date FROM {CALENDAR} UNION " if with_calendar else ""
    cursor.execute(
        f"""
        CREATE TEMP TABLE {DAYS} ON COMMIT DROP AS
        SELECT sc.code, to_char(x.date, 'YYYY-MM-DD') AS day, x.school_id, x.date
        FROM ({calendar}SELECT d.school_id, d.date FROM {DAY_T} d
              WHERE d.network_id = %(network)s) x
        JOIN {SCHOOL_T} sc ON sc.id = x.school_id
        """,
        params,
    )
    cursor.execute(f"ANALYZE {DAYS}")


def _cells(columns: dict[str, int], trimmed: bool = True) -> str:
    """The cells of a raw row by name, trimmed as the reader strips them — or as they are:
    trimming four cells of a city's 5 million rows cost more than the hash joins on them."""
    trim = _trim if trimmed else (lambda x: x)
    return (
        f"{trim(_col(columns, 'student_id'))} AS sid, {trim(_col(columns, 'school_code'))} "
        f"AS code, {trim(_col(columns, 'date'))} AS day, {_col(columns, 'category')} AS label, "
        f"{trim(_col(columns, 'minutes'))} AS minutes"
    )


def _categories(columns: dict[str, int]) -> str:
    """A CTE mapping each distinct category label of attendance.csv to its code: the labels
    are read once per distinct spelling, not once per row. One in anything but ASCII goes to
    the reader: PostgreSQL's lower() and Python's may disagree outside it."""
    labels = ", ".join(f"('{label}', '{code}')" for label, code in sorted(EDFI_LABELS.items()))
    return f"""cat AS (
            SELECT d.label, v.code
            FROM (SELECT DISTINCT {_col(columns, "category")} AS label
                  FROM {RAW[files.ATTENDANCE]} r) d
            JOIN (VALUES {labels}) v (label, code)
                ON v.label = lower({_trim("d.label")})
                AND octet_length(d.label) = char_length(d.label))"""


def _load_raw_events(
    cursor: Any, source: files.AttendanceSource, params: dict[str, Any], with_calendar: bool
) -> tuple[dict[str, int], int]:
    from .importer import ATTENDANCE_COLUMNS

    columns, count = _load(cursor, source, files.ATTENDANCE, ATTENDANCE_COLUMNS)
    _days_lookup(cursor, params, with_calendar)
    # The join columns' statistics: without them the planner sorted the city's 5 million rows
    # for a merge join with the days (10 s) where a hash join takes one; with the category's
    # and the minutes', it hashes the students and streams the file past them instead of
    # hashing the file.
    keys = [
        f"c{columns[c]}"
        for c in ("student_id", "school_code", "date", "category", "minutes")
        if c in columns
    ]
    cursor.execute(f"ANALYZE {RAW[files.ATTENDANCE]} ({', '.join(keys)})")
    return columns, count


def _type_events(cursor: Any, columns: dict[str, int], params: dict[str, Any]) -> int:
    """Every row typed into EVENTS, NULL where a check fails (minutes -1 marks a bad value)."""
    raw = RAW[files.ATTENDANCE]
    cursor.execute(
        f"""
        CREATE TEMP TABLE {EVENTS} ON COMMIT DROP AS
        WITH {_categories(columns)}
        SELECT st.id AS student_id, dl.school_id, dl.date, cat.code AS category,
            CASE WHEN r.minutes = '' THEN NULL
                 WHEN r.minutes ~ '^[0-9]{{1,4}}$' AND r.minutes::int <= {MAX_MINUTES}
                 THEN r.minutes::int ELSE -1 END AS minutes
        FROM (SELECT {_cells(columns)} FROM {raw} r) r
        LEFT JOIN {STUDENT_T} st ON st.network_id = %(network)s AND st.sourced_id = r.sid
            AND r.sid <> ''
        LEFT JOIN {DAYS} dl ON dl.code = r.code AND dl.day = r.day
        LEFT JOIN cat ON cat.label = r.label
        """,
        params,
    )
    count = int(cursor.rowcount)
    _any(
        cursor,
        f"SELECT 1 FROM {EVENTS} WHERE student_id IS NULL OR school_id IS NULL "
        "OR category IS NULL OR minutes = -1",
        params,
    )
    cursor.execute(f"ANALYZE {EVENTS}")
    return count


def _first_import(
    cursor: Any, columns: dict[str, int], params: dict[str, Any]
) -> dict[str, str] | None:
    """Whether no event is stored at any school of the network in the months attendance.csv's
    dates span (from the first of the earliest month to the end of the latest). Then no row
    of the file can match a stored one, and the events of those school-months after the write
    are exactly the file's: `write` inserts them straight from the raw table, checking every
    row in the same statement, and counts them for the summaries on the way. Other writers of
    events wait from here until this transaction ends (readers go on).

    If so, the category codes of the file's labels as it spells them (the reader's reading of
    a label, so the two cannot disagree); else None. A label that is no category is Unclean
    here: the reader names it."""
    cursor.execute(f"LOCK TABLE {EVENT_T} IN SHARE ROW EXCLUSIVE MODE")
    span = _date_span(cursor, columns)
    if span is None:
        return None  # no rows, a bad date, or too many spellings: the usual path finds it
    dates, spellings = span
    labels = {label: EDFI_LABELS.get(label.strip().lower()) for label in spellings}
    if None in labels.values():
        raise Unclean
    begin = dates[0].replace(day=1)
    end = (dates[1].replace(day=1) + dt.timedelta(days=31)).replace(day=1)
    # One probe of the (school, date) index a school: LIMIT keeps the subquery per school,
    # whatever the statistics say (a plan scanning the whole index once per school took
    # minutes on a table of a city's events).
    cursor.execute(
        f"""SELECT count(*) FROM {SCHOOL_T} sc CROSS JOIN LATERAL (
                SELECT 1 FROM {EVENT_T} ev WHERE ev.school_id = sc.id
                    AND ev.date >= %(begin)s AND ev.date < %(end)s LIMIT 1) x
            WHERE sc.network_id = %(network)s""",
        {**params, "begin": begin, "end": end},
    )
    if cursor.fetchone()[0]:
        return None
    return {label: str(code) for label, code in labels.items()}


def _date_span(
    cursor: Any, columns: dict[str, int]
) -> tuple[tuple[dt.date, dt.date], list[str]] | None:
    """The first and last date of attendance.csv, and (read in the same scan) its category
    labels as it spells them. The dates are compared as they are written, as text in
    byte order (that of YYYY-MM-DD), and trimmed only if that finds something else."""
    raw, day = RAW[files.ATTENDANCE], _col(columns, "date")
    cursor.execute(
        f"""SELECT {_col(columns, "category")}, min({day} COLLATE "C"), max({day} COLLATE "C")
            FROM {raw} r GROUP BY 1 LIMIT {MAX_SPELLINGS + 1}"""
    )
    found = cursor.fetchall()
    if not found or len(found) > MAX_SPELLINGS:
        return None
    first = _iso_date(min(row[1] for row in found))
    last = _iso_date(max(row[2] for row in found))
    if first is None or last is None:
        day = _trim(day)
        cursor.execute(f"SELECT min({day}), max({day}) FROM {raw} r")
        first, last = (_iso_date(value) for value in cursor.fetchone())
    if first is None or last is None:
        return None
    return (first, last), [row[0] for row in found]


def _iso_date(value: str | None) -> dt.date | None:
    if value is None or len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _check_duplicates(cursor: Any, params: dict[str, Any]) -> None:
    """The same student, school and date twice. A real run leaves this to the events table's
    unique constraint (and `_upsert_events`), where grouping a city's millions of rows cost
    seconds."""
    _any(
        cursor,
        f"SELECT 1 FROM {EVENTS} GROUP BY student_id, school_id, date HAVING count(*) > 1",
        params,
    )


def _check_events(cursor: Any, params: dict[str, Any]) -> None:
    _any(
        cursor,
        f"""SELECT 1 FROM {EVENTS} e
        WHERE NOT EXISTS (SELECT 1 FROM {ENROLLMENT_T} en
            WHERE en.student_id = e.student_id AND en.school_id = e.school_id
              AND (en.begin_date IS NULL OR en.begin_date <= e.date)
              AND (en.end_date IS NULL OR en.end_date >= e.date))""",
        params,
    )


def load_and_check(
    cursor: Any,
    *,
    source: files.AttendanceSource,
    network_id: int,
    stage: Any,
    dry_run: bool,
) -> Loaded:
    """Load and check the files into temporary tables; Unclean when anything may be wrong."""
    drop_tables(cursor)
    cursor.execute("SET LOCAL work_mem = '256MB'")  # hash joins over a city's rows, in memory
    params = {"network": network_id}
    loaded = Loaded()
    with_calendar = files.CALENDAR in source.names
    if with_calendar:
        stage("check:calendar")
        loaded.calendar_days = _load_calendar(cursor, source, params)
    if files.ATTENDANCE in source.names:
        stage("check:attendance")
        columns, loaded.events = _load_raw_events(cursor, source, params, with_calendar)
        labels = None if dry_run else _first_import(cursor, columns, params)
        if labels is not None:
            # Checked as they are written (`_insert_first_events`).
            loaded.first, loaded.columns, loaded.labels = True, columns, labels
            stage("check:records")
            return loaded
        loaded.events = _type_events(cursor, columns, params)
        stage("check:records")
        _check_events(cursor, params)
        if dry_run:
            _check_duplicates(cursor, params)
    else:
        stage("check:records")
    return loaded


def write(
    cursor: Any,
    *,
    source: files.AttendanceSource,
    network_id: int,
    loaded: Loaded | None = None,
    through: dt.date | None = None,
) -> tuple[int, set[tuple[int, dt.date]]]:
    """Add the new calendar days and upsert the events; the number of days added and the
    (school id, first of month) pairs touched. On a first import (`loaded.first`) the events
    are inserted and checked at once, and their counts by student, school and month — days up
    to `through` — are left in COUNTED for `summaries.recompute_first_months`."""
    params: dict[str, Any] = {"network": network_id}
    scope: set[tuple[int, dt.date]] = set()
    added = 0
    if files.CALENDAR in source.names:
        cursor.execute(
            f"""
            WITH added AS (
                INSERT INTO {DAY_T} (network_id, school_id, date)
                SELECT %(network)s, school_id, date FROM {CALENDAR} ORDER BY school_id, date
                ON CONFLICT (school_id, date) DO NOTHING
                RETURNING school_id, date)
            SELECT school_id, date_trunc('month', date)::date, count(*) FROM added GROUP BY 1, 2
            """,
            params,
        )
        for school_id, month, count in cursor.fetchall():
            scope.add((school_id, month))
            added += count
    if files.ATTENDANCE in source.names and loaded is not None and loaded.first:
        assert loaded.columns is not None and through is not None
        _insert_first_events(cursor, {**params, "through": through}, loaded)
        cursor.execute(f"SELECT DISTINCT school_id, month FROM {COUNTED}")
        scope.update((school_id, month) for school_id, month in cursor.fetchall())
    elif files.ATTENDANCE in source.names:
        _upsert_events(cursor, params)
        cursor.execute(
            f"SELECT DISTINCT school_id, date_trunc('month', date)::date FROM {EVENTS}", params
        )
        scope.update((school_id, month) for school_id, month in cursor.fetchall())
    return added, scope


def _upsert_events(cursor: Any, params: dict[str, Any]) -> None:
    """Insert the new events, update those whose category or minutes changed, leave the rest
    alone (a re-import of the same file rewrites nothing). Not `INSERT … ON CONFLICT`: its
    speculative insertion of each row cost a third more than a plain INSERT of a city's
    events. The rows already stored are found through the (school, date) index for the days
    the file covers, and other writers of events wait until this transaction ends (readers go
    on), so that none can add one of these rows in between."""
    cursor.execute(f"LOCK TABLE {EVENT_T} IN SHARE ROW EXCLUSIVE MODE")
    cursor.execute(
        f"""
        CREATE TEMP TABLE {EXISTING} ON COMMIT DROP AS
        SELECT ev.id, ev.student_id, ev.school_id, ev.date, ev.category, ev.minutes
        FROM (SELECT DISTINCT school_id, date FROM {EVENTS}) k
        JOIN {EVENT_T} ev ON ev.school_id = k.school_id AND ev.date = k.date
        """,
        params,
    )
    cursor.execute(f"ANALYZE {EXISTING}")
    # Two rows of the file for one stored event (new ones twice: the INSERT below fails).
    _any(
        cursor,
        f"""SELECT 1 FROM {EVENTS} s JOIN {EXISTING} x ON x.student_id = s.student_id
            AND x.school_id = s.school_id AND x.date = s.date
        GROUP BY x.id HAVING count(*) > 1""",
        params,
    )
    cursor.execute(
        f"""
        UPDATE {EVENT_T} ev SET category = s.category, minutes = s.minutes
        FROM {EVENTS} s JOIN {EXISTING} x ON x.student_id = s.student_id
            AND x.school_id = s.school_id AND x.date = s.date
        WHERE ev.id = x.id
          AND (x.category, x.minutes) IS DISTINCT FROM (s.category, s.minutes)
        """,
        params,
    )
    try:
        # A savepoint: the failed INSERT must leave the transaction usable for the rollback
        # to the import's own savepoint.
        with transaction.atomic():
            cursor.execute(
                f"""
                INSERT INTO {EVENT_T} (network_id, student_id, school_id, date, category,
                    minutes)
                SELECT %(network)s, s.student_id, s.school_id, s.date, s.category, s.minutes
                FROM {EVENTS} s
                WHERE NOT EXISTS (SELECT 1 FROM {EXISTING} x WHERE x.student_id = s.student_id
                    AND x.school_id = s.school_id AND x.date = s.date)
                """,
                params,
            )
    except psycopg.errors.UniqueViolation as error:
        raise Unclean from error
    # The planner's statistics of the events table for the summaries' statements, which read
    # the rows just written (ANALYZE counts this transaction's own rows).
    cursor.execute(f"ANALYZE {EVENT_T}")


class _Short(Exception):
    """Fewer events inserted than attendance.csv holds."""


def _insert_first_events(cursor: Any, params: dict[str, Any], loaded: Loaded) -> None:
    """A first import's events, straight from the raw table: typed through the same lookups
    as `_type_events`, every check of `_type_events` and `_check_events` a condition of the
    one `INSERT … SELECT` — a row failing one is left out — and the (student, school, date)
    unique constraint finding rows twice in the file. Fewer rows inserted than attendance.csv
    holds (or an error) is Unclean: the reader then names the problems. No typed table of the
    city's millions of rows is written and read back, and no stored rows are looked for (none
    can match: `_first_import`). The inserted rows come back through RETURNING and are
    counted by student, school and month into COUNTED, where the summaries would have read
    them back from the events table.

    The cells are first taken as they are, untrimmed: a file whose cells carry no padding —
    what a student information system writes — is then matched without trimming 20 million
    cells. A padded cell matches nothing, its row is left out and the count falls short; the
    statement is then rolled back and run again on trimmed cells, and only a shortfall there
    is Unclean."""
    assert loaded.columns is not None and loaded.labels is not None
    labels = loaded.labels
    cursor.execute(
        f"""CREATE TEMP TABLE {COUNTED} (student_id bigint, school_id bigint, month date,
            events bigint, absent int, excused int, unexcused int, tardies int, early int,
            partial int) ON COMMIT DROP"""
    )
    # Hash joins only: the planner, estimating the rows left after the checks at a few
    # percent of the file, chose index probes of the students and enrollments a row.
    cursor.execute("SELECT current_setting('enable_nestloop'), current_setting('enable_mergejoin')")
    nestloop, mergejoin = cursor.fetchone()
    cursor.execute("SET LOCAL enable_nestloop = off")
    cursor.execute("SET LOCAL enable_mergejoin = off")
    for trimmed in (False, True):
        try:
            # A savepoint: a short or failed INSERT must leave the transaction usable, for
            # the trimmed statement or for the rollback to the import's own savepoint.
            with transaction.atomic():
                cursor.execute(
                    _first_events_sql(loaded.columns, trimmed),
                    {**params, "labels": list(labels), "codes": list(labels.values())},
                )
                cursor.execute(f"SELECT coalesce(sum(events), 0) FROM {COUNTED}")
                if int(cursor.fetchone()[0]) != loaded.events:
                    raise _Short
            break
        except _Short:
            if trimmed:
                raise Unclean from None
        except psycopg.errors.UniqueViolation as error:
            # A row twice in the file is twice in it trimmed too.
            raise Unclean from error
    cursor.execute(
        "SELECT set_config('enable_nestloop', %s, true), set_config('enable_mergejoin', %s, true)",
        [nestloop, mergejoin],
    )


def _first_events_sql(columns: dict[str, int], trimmed: bool) -> str:
    c = AttendanceCategory

    def count(category: str) -> str:
        return f"count(*) FILTER (WHERE taken AND category = '{category}')::int"

    raw = RAW[files.ATTENDANCE]
    # The month and "taken" (a day up to `through`) are worked out as the rows come back:
    # the counting then groups and tests plain values (`date_trunc` on a date goes through a
    # time zone; on a timestamp it does not).
    return f"""
        WITH inserted AS (
            INSERT INTO {EVENT_T} (network_id, student_id, school_id, date, category, minutes)
            SELECT %(network)s, st.id, dl.school_id, dl.date, cat.code,
                CASE WHEN r.minutes <> '' THEN r.minutes::int END
            FROM (SELECT {_cells(columns, trimmed)} FROM {raw} r) r
            JOIN {STUDENT_T} st ON st.network_id = %(network)s AND st.sourced_id = r.sid
            JOIN {DAYS} dl ON dl.code = r.code AND dl.day = r.day
            JOIN unnest(%(labels)s::text[], %(codes)s::text[]) cat (label, code)
                ON cat.label = r.label
            WHERE r.sid <> ''
              AND CASE WHEN r.minutes = '' THEN true
                       WHEN r.minutes ~ '^[0-9]{{1,4}}$' THEN r.minutes::int <= {MAX_MINUTES}
                       ELSE false END
              AND EXISTS (SELECT 1 FROM {ENROLLMENT_T} en
                WHERE en.student_id = st.id AND en.school_id = dl.school_id
                  AND (en.begin_date IS NULL OR en.begin_date <= dl.date)
                  AND (en.end_date IS NULL OR en.end_date >= dl.date))
            RETURNING student_id, school_id,
                date_trunc('month', date::timestamp)::date AS month,
                date <= %(through)s AS taken, category)
        INSERT INTO {COUNTED}
        SELECT student_id, school_id, month, count(*),
            {count(c.EXCUSED)} + {count(c.UNEXCUSED)}, {count(c.EXCUSED)},
            {count(c.UNEXCUSED)}, {count(c.TARDY)}, {count(c.EARLY_DEPARTURE)},
            {count(c.PARTIAL)}
        FROM inserted GROUP BY 1, 2, 3
        """
