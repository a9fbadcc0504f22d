"""Staging tables and the set-based SQL that merges them into the network's students,
guardians, their links and enrollments.

The reader hands rows to a sink: on PostgreSQL `CopySink` streams them with COPY into temporary
tables while the reader goes on checking (the server parses and stores while Python reads: both
cores work); elsewhere `ListSink` keeps them and loads them with chunked `executemany`. Then a
handful of `INSERT … SELECT … ON CONFLICT (network_id, sourced_id) DO UPDATE … WHERE (row) IS
DISTINCT FROM (excluded)` statements (the same SQL on both databases) upsert everything by
sourcedId, which makes an import idempotent, and rewrite only the rows that changed. A
network's first import needs no upsert: plain INSERTs.

Staged user rows carry a kind: s(tudent), g(uardian), d(eactivate: a delta's tobedeleted) or
m (demographics of a student already in the database, in a delta without its users row).
"""

# ruff: noqa: S608 - every statement here is built from our own table and column names; values
# travel as parameters.

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection

from ..models import Guardian, Student, StudentEnrollment, StudentGuardian
from . import spec

USER_COLUMNS = (
    ("kind", "text"),
    ("sourced_id", "text"),
    ("given_name", "text"),
    ("family_name", "text"),
    ("middle_name", "text"),
    ("preferred_name", "text"),
    ("identifier", "text"),
    ("email", "text"),
    ("phone", "text"),
    ("sms", "text"),
    ("grade", "text"),
    ("is_active", "boolean"),
    ("modified", "timestamptz"),
    ("school_id", "bigint"),
    ("has_demographics", "boolean"),
    ("birth_date", "date"),
    ("sex", "text"),
    ("race_ethnicity", "text"),
    ("english_learner", "boolean"),
    ("disability", "boolean"),
    ("economically_disadvantaged", "boolean"),
    ("home_language", "text"),
)
ENROLLMENT_COLUMNS = (
    ("sourced_id", "text"),
    ("student_sid", "text"),
    ("school_id", "bigint"),
    ("begin_date", "date"),
    ("end_date", "date"),
    ("is_primary", "boolean"),
    ("is_active", "boolean"),
)
LINK_COLUMNS = (("student_sid", "text"), ("guardian_sid", "text"), ("relationship", "text"))
TABLES = {
    "user": ("oneroster_stage_user", USER_COLUMNS),
    "enrollment": ("oneroster_stage_enrollment", ENROLLMENT_COLUMNS),
    "link": ("oneroster_stage_link", LINK_COLUMNS),
}
STAGE_USER, STAGE_ENROLLMENT, STAGE_LINK = (TABLES[k][0] for k in ("user", "enrollment", "link"))

STUDENT = Student._meta.db_table
GUARDIAN = Guardian._meta.db_table
ENROLLMENT = StudentEnrollment._meta.db_table
LINK = StudentGuardian._meta.db_table


def create_stage_tables(cursor: Any) -> None:
    postgres = connection.vendor == "postgresql"
    drop_stage_tables(cursor)
    for table, columns in TABLES.values():
        body = ", ".join(f"{name} {kind}" for name, kind in columns)
        tail = " ON COMMIT DROP" if postgres else ""
        cursor.execute(f"CREATE TEMP TABLE {table} ({body}){tail}")


def drop_stage_tables(cursor: Any) -> None:
    """ON COMMIT DROP does not fire when the import runs inside a caller's transaction (a
    savepoint): drop them explicitly too."""
    schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
    for table, _columns in TABLES.values():
        cursor.execute(f"DROP TABLE IF EXISTS {schema}.{table}")


class CopySink:
    """Streams staged rows into PostgreSQL with COPY, one table at a time."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor  # psycopg's own cursor (below Django's wrapper)
        self._context: Any = None
        self._copy: Any = None
        self.rows = 0

    def begin(self, table: str) -> None:
        name, columns = TABLES[table]
        self._context = self.cursor.copy(
            f"COPY {name} ({', '.join(c for c, _t in columns)}) FROM STDIN"
        )
        self._copy = self._context.__enter__()

    def row(self, values: tuple[Any, ...]) -> None:
        self._copy.write_row(values)

    def end(self) -> None:
        if self._context is not None:
            context, self._context, self._copy = self._context, None, None
            context.__exit__(None, None, None)


class ListSink:
    """Keeps staged rows in memory, to load them once the checks have passed (SQLite)."""

    def __init__(self) -> None:
        self.tables: dict[str, list[tuple[Any, ...]]] = {k: [] for k in TABLES}
        self._current: list[tuple[Any, ...]] | None = None

    def begin(self, table: str) -> None:
        self._current = self.tables[table]

    def row(self, values: tuple[Any, ...]) -> None:
        assert self._current is not None
        self._current.append(values)

    def end(self) -> None:
        self._current = None

    def load(self, cursor: Any, chunk: int = 5000) -> None:
        for key, rows in self.tables.items():
            name, columns = TABLES[key]
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {name} VALUES ({marks})"
            for start in range(0, len(rows), chunk):
                cursor.executemany(sql, rows[start : start + chunk])
            rows.clear()
        for table, column in (
            (STAGE_USER, "sourced_id"),
            (STAGE_ENROLLMENT, "sourced_id"),
            (STAGE_LINK, "student_sid"),
        ):
            cursor.execute(f"CREATE INDEX temp.{table}_idx ON {table} ({column})")


def analyze(cursor: Any) -> None:
    # Autovacuum never analyzes temporary tables: without statistics the planner guesses.
    if connection.vendor == "postgresql":
        for table, _columns in TABLES.values():
            cursor.execute(f"ANALYZE {table}")


DEMOGRAPHICS = (
    "birth_date",
    "sex",
    "race_ethnicity",
    "english_learner",
    "disability",
    "economically_disadvantaged",
    "home_language",
)
STUDENT_FIELDS = (
    "school_id",
    "identifier",
    "given_name",
    "family_name",
    "middle_name",
    "preferred_name",
    "grade",
    "email",
    "phone",
    "sms",
    "is_active",
    "source_modified_at",
)
DEMOGRAPHIC_VALUES = (
    "birth_date",
    "COALESCE(sex, '')",
    "COALESCE(race_ethnicity, 'unknown')",
    "english_learner",
    "disability",
    "economically_disadvantaged",
    "COALESCE(home_language, '')",
)
DEMOGRAPHIC_DEFAULTS = ("NULL", "''", "'unknown'", "NULL", "NULL", "NULL", "''")


def _changed(table: str, columns: list[tuple[str, str]]) -> str:
    """The upsert's WHERE: an unchanged row is not rewritten (no dead tuple, no index entry, no
    foreign-key check queued)."""
    ours = ", ".join(f"{table}.{c}" for c, _new in columns)
    theirs = ", ".join(new for _c, new in columns)
    return f"WHERE ({ours}) IS DISTINCT FROM ({theirs})"


def _student_write(with_demographics: bool | None) -> str:
    """None: the network's first import (no conflict possible), demographics where staged."""
    if with_demographics is None:
        demographic_values: tuple[str, ...] = tuple(
            f"CASE WHEN has_demographics THEN {v} ELSE {d} END"
            for v, d in zip(DEMOGRAPHIC_VALUES, DEMOGRAPHIC_DEFAULTS, strict=True)
        )
        where = "kind = 's'"
    else:
        demographic_values = DEMOGRAPHIC_VALUES if with_demographics else DEMOGRAPHIC_DEFAULTS
        where = f"kind = 's' AND has_demographics = {'true' if with_demographics else 'false'}"
    insert = f"""
        INSERT INTO {STUDENT} (network_id, sourced_id, {", ".join(STUDENT_FIELDS)},
            {", ".join(DEMOGRAPHICS)}, created_at, updated_at)
        SELECT %(network)s, sourced_id, school_id, COALESCE(identifier, ''), given_name,
            family_name, COALESCE(middle_name, ''), COALESCE(preferred_name, ''),
            COALESCE(grade, ''), COALESCE(email, ''), COALESCE(phone, ''), COALESCE(sms, ''),
            is_active, modified, {", ".join(demographic_values)}, %(now)s, %(now)s
        FROM {STAGE_USER}
        WHERE {where}
    """
    if with_demographics is None:
        return insert
    changes = [
        ("school_id", f"COALESCE(excluded.school_id, {STUDENT}.school_id)"),
        *((f, f"excluded.{f}") for f in STUDENT_FIELDS[1:]),
    ]
    if with_demographics:
        changes += [(f, f"excluded.{f}") for f in DEMOGRAPHICS]
    updates = [f"{c} = {new}" for c, new in changes] + ["updated_at = excluded.updated_at"]
    return f"""{insert}
        ON CONFLICT (network_id, sourced_id) DO UPDATE SET {", ".join(updates)}
        {_changed(STUDENT, changes)}
    """


GUARDIAN_FIELDS = ("given_name", "family_name", "email", "phone", "sms", "is_active")
GUARDIAN_INSERT = f"""
    INSERT INTO {GUARDIAN} (network_id, sourced_id, given_name, family_name, email, phone, sms,
        preferred_language, is_active, source_modified_at, created_at, updated_at)
    SELECT %(network)s, sourced_id, given_name, family_name, COALESCE(email, ''),
        COALESCE(phone, ''), COALESCE(sms, ''), '', is_active, modified, %(now)s, %(now)s
    FROM {STAGE_USER} WHERE kind = 'g'
"""
GUARDIAN_UPSERT = f"""{GUARDIAN_INSERT}
    ON CONFLICT (network_id, sourced_id) DO UPDATE SET {
    ", ".join(f"{f} = excluded.{f}" for f in (*GUARDIAN_FIELDS, "source_modified_at"))
}, updated_at = excluded.updated_at
    {_changed(GUARDIAN, [(f, f"excluded.{f}") for f in (*GUARDIAN_FIELDS, "source_modified_at")])}
"""

DEMOGRAPHICS_UPDATE = f"""
    UPDATE {STUDENT} SET {
    ", ".join(
        f"{f} = {v}"
        for f, v in zip(
            DEMOGRAPHICS,
            (
                "u.birth_date",
                "COALESCE(u.sex, '')",
                "COALESCE(u.race_ethnicity, 'unknown')",
                "u.english_learner",
                "u.disability",
                "u.economically_disadvantaged",
                "COALESCE(u.home_language, '')",
            ),
            strict=True,
        )
    )
}, updated_at = %(now)s
    FROM {STAGE_USER} u
    WHERE u.kind = 'm' AND {STUDENT}.network_id = %(network)s
        AND {STUDENT}.sourced_id = u.sourced_id
"""


def _deactivate(table: str, kind: str, absent: bool) -> str:
    if absent:  # a bulk users.csv replaces the lot: whoever is not in it is no longer active
        which = (
            f"NOT EXISTS (SELECT 1 FROM {STAGE_USER} u "
            f"WHERE u.kind = '{kind}' AND u.sourced_id = {table}.sourced_id)"
        )
    else:
        which = f"sourced_id IN (SELECT sourced_id FROM {STAGE_USER} WHERE kind = 'd')"
    return f"""
        UPDATE {table} SET is_active = false, updated_at = %(now)s
        WHERE network_id = %(network)s AND is_active AND {which}
    """


ENROLLMENT_DELETE = f"""
    DELETE FROM {ENROLLMENT} WHERE network_id = %(network)s
        AND sourced_id IN (SELECT sourced_id FROM {STAGE_ENROLLMENT} WHERE NOT is_active)
"""
ENROLLMENT_DELETE_ABSENT = f"""
    DELETE FROM {ENROLLMENT} WHERE network_id = %(network)s AND NOT EXISTS (
        SELECT 1 FROM {STAGE_ENROLLMENT} e
        WHERE e.is_active AND e.sourced_id = {ENROLLMENT}.sourced_id)
"""
ENROLLMENT_FIELDS = ("student_id", "school_id", "begin_date", "end_date", "is_primary")
ENROLLMENT_INSERT = f"""
    INSERT INTO {ENROLLMENT} (network_id, sourced_id, student_id, school_id, begin_date,
        end_date, is_primary)
    SELECT %(network)s, e.sourced_id, s.id, e.school_id, e.begin_date, e.end_date, e.is_primary
    FROM {STAGE_ENROLLMENT} e
    JOIN {STUDENT} s ON s.network_id = %(network)s AND s.sourced_id = e.student_sid
    WHERE e.is_active
"""
ENROLLMENT_UPSERT = f"""{ENROLLMENT_INSERT}
    ON CONFLICT (network_id, sourced_id) DO UPDATE SET {
    ", ".join(f"{f} = excluded.{f}" for f in ENROLLMENT_FIELDS)
}
    {_changed(ENROLLMENT, [(f, f"excluded.{f}") for f in ENROLLMENT_FIELDS])}
"""

# A student's row in users.csv lists all its agents: links it no longer lists go.
LINK_DELETE = f"""
    DELETE FROM {LINK} WHERE id IN (
        SELECT sg.id FROM {LINK} sg
        JOIN {STUDENT} s ON s.id = sg.student_id
        JOIN {STAGE_USER} u ON u.kind = 's' AND u.sourced_id = s.sourced_id
        JOIN {GUARDIAN} g ON g.id = sg.guardian_id
        WHERE s.network_id = %(network)s AND NOT EXISTS (
            SELECT 1 FROM {STAGE_LINK} l
            WHERE l.student_sid = s.sourced_id AND l.guardian_sid = g.sourced_id))
"""


def _link_write(known_relationship: bool | None) -> str:
    """None: the network's first import (nothing to conflict with). Otherwise only the missing
    links are inserted and a relationship the roster names is rewritten only when it changed
    (one it does not name leaves the link as it is). In (student, guardian) order, so the unique
    index grows at its right edge instead of taking entries all over."""
    if known_relationship is None:
        which, tail = "true", ""
    elif known_relationship:
        which = "l.relationship IS NOT NULL"
        tail = (
            "ON CONFLICT (student_id, guardian_id) DO UPDATE SET "
            f"relationship = excluded.relationship WHERE {LINK}.relationship <> "
            "excluded.relationship"
        )
    else:
        which, tail = "l.relationship IS NULL", "ON CONFLICT (student_id, guardian_id) DO NOTHING"
    return f"""
        INSERT INTO {LINK} (student_id, guardian_id, relationship)
        SELECT s.id, g.id, COALESCE(l.relationship, 'parent')
        FROM {STAGE_LINK} l
        JOIN {STUDENT} s ON s.network_id = %(network)s AND s.sourced_id = l.student_sid
        JOIN {GUARDIAN} g ON g.network_id = %(network)s AND g.sourced_id = l.guardian_sid
        WHERE {which}
        ORDER BY s.id, g.id
        {tail}
    """


NEW_STUDENTS = f"""
    SELECT count(*) FROM {STAGE_USER} u WHERE u.kind = 's' AND NOT EXISTS (
        SELECT 1 FROM {STUDENT} s WHERE s.network_id = %(network)s AND s.sourced_id = u.sourced_id)
"""
NEW_GUARDIANS = NEW_STUDENTS.replace(STUDENT, GUARDIAN).replace("'s'", "'g'")


JOIN_KEYS = {
    STUDENT: ("network_id", "sourced_id", "id"),
    GUARDIAN: ("network_id", "sourced_id", "id"),
    ENROLLMENT: ("network_id", "sourced_id"),
    LINK: ("student_id", "guardian_id"),
}
FIRST_IMPORT = f"""
    SELECT NOT EXISTS (SELECT 1 FROM {STUDENT} WHERE network_id = %(network)s)
        AND NOT EXISTS (SELECT 1 FROM {GUARDIAN} WHERE network_id = %(network)s)
        AND NOT EXISTS (SELECT 1 FROM {ENROLLMENT} WHERE network_id = %(network)s)
"""


def analyze_written(cursor: Any, table: str) -> None:
    """The planner must know how many rows this transaction just wrote: with the statistics of
    an empty table it picks nested loops over millions of rows. Only the columns the later
    statements join on: sampling every column of students_student costs more."""
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {table} ({', '.join(JOIN_KEYS[table])})")


def is_first_import(cursor: Any, network_id: int) -> bool:
    """The network has no students, guardians or enrollments: nothing to upsert, deactivate or
    delete."""
    cursor.execute(FIRST_IMPORT, {"network": network_id})
    return bool(cursor.fetchone()[0])


def merge(
    cursor: Any,
    *,
    network_id: int,
    now: Any,
    modes: dict[str, str],
    staged: dict[str, int],
    step: Callable[[str], None],
) -> dict[str, int]:
    """Write the staged rows into the network's tables; the counts of what changed. `staged`
    says how many rows of the rarer kinds were staged, so that statements with nothing to do
    are not run."""
    params = {"network": network_id, "now": now}
    counts: dict[str, int] = {}

    def run(sql: str) -> int:
        cursor.execute(sql, params)
        return int(cursor.rowcount)

    def refresh(table: str) -> None:
        analyze_written(cursor, table)

    def scalar(sql: str) -> int:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])

    # A network without students, guardians or enrollments (its first import, the bulk of the
    # work a district ever sends): plain INSERTs, nothing to count, deactivate or delete. Links
    # need no check: each joins a student, and there is none.
    if is_first_import(cursor, network_id):
        step("write:students")
        counts["students_created"] = counts["students_written"] = run(_student_write(None))
        refresh(STUDENT)
        step("write:guardians")
        counts["guardians_created"] = counts["guardians_written"] = run(GUARDIAN_INSERT)
        refresh(GUARDIAN)
        step("write:enrollments")
        counts["enrollments_removed"] = 0
        counts["enrollments_written"] = run(ENROLLMENT_INSERT)
        step("write:links")
        counts["links_removed"] = 0
        counts["links_written"] = run(_link_write(None))
        return counts

    users_bulk = modes.get(spec.USERS) == spec.BULK
    deactivations = staged.get("deactivate", 0) > 0 or users_bulk
    step("write:students")
    counts["students_created"] = scalar(NEW_STUDENTS)
    counts["students_written"] = run(_student_write(True)) + run(_student_write(False))
    refresh(STUDENT)
    if staged.get("demographics_only", 0):
        counts["students_demographics_updated"] = run(DEMOGRAPHICS_UPDATE)
    if deactivations:
        counts["students_deactivated"] = run(_deactivate(STUDENT, "s", users_bulk))
    step("write:guardians")
    counts["guardians_created"] = scalar(NEW_GUARDIANS)
    counts["guardians_written"] = run(GUARDIAN_UPSERT)
    refresh(GUARDIAN)
    if deactivations:
        counts["guardians_deactivated"] = run(_deactivate(GUARDIAN, "g", users_bulk))
    step("write:enrollments")
    removed = 0
    bulk_roles = modes.get(spec.ROLES) == spec.BULK
    if staged.get("enrollments_tobedeleted", 0) or bulk_roles:
        refresh(ENROLLMENT)
    if staged.get("enrollments_tobedeleted", 0):
        removed = run(ENROLLMENT_DELETE)
    if bulk_roles:
        removed += run(ENROLLMENT_DELETE_ABSENT)
    counts["enrollments_removed"] = removed
    counts["enrollments_written"] = run(ENROLLMENT_UPSERT)
    step("write:links")
    counts["links_removed"] = 0
    if modes.get(spec.USERS) != spec.ABSENT:
        refresh(LINK)
        counts["links_removed"] = run(LINK_DELETE)
    counts["links_written"] = run(_link_write(True)) + run(_link_write(False))
    return counts
