"""The PostgreSQL path: each file's bytes go straight into a temporary table of text columns with
COPY, and set-based SQL checks them and builds the staging tables — Python never touches a row.

The SQL decides only *whether* the roster is clean. When it finds anything (or COPY refuses a
file: not UTF-8, ragged rows, blank lines, a stray quote), `Unclean` is raised, the import's
transaction rolls back, and the row-by-row reader (`reader`) reads the roster again to name every
problem by file, row and column: the errors are then exactly those of the SQLite path. So the SQL
must never be more lenient than the reader; where it is stricter (a rare date-time form, a grade
padded with an exotic space) the reader decides, at the reader's speed.

A clean roster (the everyday case) is read once, by the server: COPY parses CSV far faster than
Python, and the checks are a few scans and hash joins.
"""

# ruff: noqa: S608 - every statement is built from our own table and column names and the
# vocabularies of `spec`; the values of the files never enter the SQL text.

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from wraparound.core.models import School

from ..models import Guardian, Student
from . import spec, staging
from .progress import Progress
from .source import RosterSource

BOM = b"\xef\xbb\xbf"
BLOCK = 1 << 20
HEADER_LIMIT = 1 << 20
RAW = {name: "oneroster_raw_" + name.removesuffix(".csv").lower() for name in spec.FILES}
ORG_MAP, ROLE_KIND, SCHOOL_OF, RELATIONSHIP = (
    "oneroster_org",
    "oneroster_role_kind",
    "oneroster_school_of",
    "oneroster_relationship",
)
# Every YYYY-MM-DD of these years as text: a date cell found there needs no regular
# expression and no calendar arithmetic (1.2 s for a city's birth dates; 0.2 s by lookup).
DATES, DATE_YEARS = "oneroster_dates", (1900, 2199)
HELPERS = (ORG_MAP, ROLE_KIND, SCHOOL_OF, RELATIONSHIP, DATES)

STUDENT = Student._meta.db_table
GUARDIAN = Guardian._meta.db_table
SCHOOL = School._meta.db_table

DATE_RE = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
# The date-time forms both Python's datetime.fromisoformat and PostgreSQL read the same way.
TIME_RE = (
    "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    "([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,6})?)?"
    "(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?)?$"
)


class Unclean(Exception):
    """Something is wrong (or may be): the row-by-row reader must name it."""


def _words(values: Any) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values))


def _is_date(x: str) -> str:
    """SQL true when x is a real YYYY-MM-DD date (never raises: the cast follows the regex)."""
    return (
        f"(CASE WHEN {x} ~ '{DATE_RE}' AND left({x}, 4) <> '0000' THEN "
        f"substr({x}, 9, 2)::int <= extract(day from make_date(substr({x}, 1, 4)::int, "
        f"substr({x}, 6, 2)::int, 1) + interval '1 month - 1 day')::int ELSE false END)"
    )


def _date_ok(x: str) -> str:
    """`_is_date`, looking the text up among the common years' dates first (`DATES`): the
    regular expression and the arithmetic only for what is not found there."""
    return f"({x} IN (SELECT d.day FROM {DATES} d) OR {_is_date(x)})"


def _dates_table(cursor: Any) -> None:
    first, last = DATE_YEARS
    cursor.execute(
        f"CREATE TEMP TABLE {DATES} ON COMMIT DROP AS SELECT to_char(g, 'YYYY-MM-DD') AS day "
        f"FROM generate_series('{first}-01-01'::date, '{last}-12-31'::date, interval '1 day') g"
    )


def _is_datetime(x: str) -> str:
    return f"({x} ~ '{TIME_RE}' AND {_is_date(f'left({x}, 10)')})"


def _flag(x: str) -> str:
    return f"(CASE {x} WHEN 'true' THEN true WHEN 'false' THEN false END)"


def _not_bool(x: str) -> str:
    return f"{x} NOT IN ('', 'true', 'false')"


def _outside(x: str, allowed: Any) -> str:
    """Neither one of the vocabulary's words nor an "ext:" extension."""
    return f"({x} NOT IN ({_words(allowed)}) AND left({x}, 4) <> 'ext:')"


@dataclass
class RawFile:
    name: str
    table: str
    columns: dict[str, int]
    mode: str

    def col(self, column: str, alias: str = "r") -> str:
        at = self.columns.get(column)
        return "''" if at is None else f"{alias}.c{at}"

    @property
    def bulk(self) -> bool:
        return self.mode == spec.BULK


@dataclass
class Checked:
    counts: dict[str, int] = field(default_factory=dict)
    staged: dict[str, int] = field(default_factory=dict)
    # Set when the rows were written here already (`FirstImport`): what `staging.merge` returns.
    written: dict[str, int] | None = None


@dataclass
class FirstImport:
    """Write a network's first import straight from the raw tables (no staging tables) when
    users.csv and roles.csv are bulk files: `now` stamps the rows, `step` reports the writes."""

    now: Any
    step: Callable[[str], None]


def drop_tables(cursor: Any) -> None:
    for table in (*RAW.values(), *HELPERS):
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
    staging.drop_stage_tables(cursor)


def _create(cursor: Any, table: str, width: int) -> None:
    body = ", ".join(f"c{i} text" for i in range(width))
    cursor.execute(
        f"CREATE TEMP TABLE {table} ({body}{', ' if body else ''}"
        "row_no bigint GENERATED BY DEFAULT AS IDENTITY) ON COMMIT DROP"
    )


def _header(head: bytes, name: str) -> tuple[list[str], bytes]:
    """The header's column names and the bytes after it; Unclean when the reader must judge."""
    if head.startswith(BOM):
        head = head[len(BOM) :]
    end = head.find(b"\n")
    if end < 0:
        line, rest = head, b""
    else:
        line, rest = head[:end], head[end + 1 :]
    if line.count(b'"') % 2:
        raise Unclean  # a quoted newline in the header
    try:
        text = line.decode("utf-8").removesuffix("\r")
    except UnicodeDecodeError as error:
        raise Unclean from error
    names = [h.strip() for h in next(csv.reader([text]), [])]
    file_spec = spec.FILES[name]
    if not names or len(set(names)) != len(names) or set(file_spec.required) - set(names):
        raise Unclean
    return names, rest


def _load(cursor: Any, source: RosterSource, name: str, mode: str, progress: Progress) -> RawFile:
    table = RAW[name]
    if mode == spec.ABSENT:
        file_spec = spec.FILES[name]
        columns = [*file_spec.required, *file_spec.optional]
        _create(cursor, table, len(columns))
        return RawFile(name, table, {c: i for i, c in enumerate(columns)}, mode)
    progress.set_stage(f"check:{name}")
    with source.open(name) as handle:
        head = handle.read(BLOCK)
        while b"\n" not in head and len(head) < HEADER_LIMIT:
            more = handle.read(BLOCK)
            if not more:
                break
            head += more
        progress.tick(len(head))
        names, rest = _header(head, name)
        _create(cursor, table, len(names))
        listed = ", ".join(f"c{i}" for i in range(len(names)))
        try:
            with cursor.copy(
                f"COPY {table} ({listed}) FROM STDIN "
                f"(FORMAT csv, HEADER false, FORCE_NOT_NULL ({listed}))"
            ) as copy:
                if rest:
                    copy.write(rest)
                while block := handle.read(BLOCK):
                    copy.write(block)
                    progress.tick(len(block))
        except psycopg.Error as error:  # not UTF-8, ragged, blank lines, bad quoting…
            raise Unclean from error
    return RawFile(name, table, {c: i for i, c in enumerate(names)}, mode)


class _Checks:
    def __init__(self, cursor: Any, files: dict[str, RawFile], network_id: int) -> None:
        self.cursor = cursor
        self.files = files
        self.network = network_id
        self.delta_users = not files[spec.USERS].bulk

    def any(self, sql: str) -> None:
        # count(*), not EXISTS: EXISTS asks the planner for the first row fast, and it picks
        # nested loops that take minutes when, as in a clean roster, there is no such row.
        self.cursor.execute(f"SELECT count(*) > 0 FROM ({sql}) q", {"network": self.network})
        if self.cursor.fetchone()[0]:
            raise Unclean

    def run(self, sql: str) -> int:
        self.cursor.execute(sql, {"network": self.network})
        return int(self.cursor.rowcount)

    def scalar(self, sql: str) -> int:
        self.cursor.execute(sql, {"network": self.network})
        return int(self.cursor.fetchone()[0])

    def rows(self, f: RawFile, conditions: list[str], where: str = "true") -> None:
        """Any row of the file breaking any of the conditions (one scan)."""
        if f.mode == spec.ABSENT or not conditions:
            return
        self.any(f"SELECT 1 FROM {f.table} r WHERE ({where}) AND ({' OR '.join(conditions)})")

    def common(self, f: RawFile) -> None:
        if f.mode == spec.ABSENT:
            return
        sid, status, modified = f.col("sourcedId"), f.col("status"), f.col("dateLastModified")
        conditions = [f"{sid} = ''", f"length({sid}) > {spec.MAX_SOURCED_ID}"]
        if f.bulk:
            conditions.append(f"{status} <> '' OR {modified} <> ''")
        else:
            conditions.append(f"{status} NOT IN ('{spec.ACTIVE}', '{spec.TOBEDELETED}')")
            conditions.append(f"NOT {_is_datetime(modified)}")
        self.rows(f, conditions)
        self.any(f"SELECT 1 FROM {f.table} r GROUP BY {sid} HAVING count(*) > 1")

    def db(self, table: str, sid: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM {table} x "
            f"WHERE x.network_id = %(network)s AND x.sourced_id = {sid})"
        )

    def in_users(self, sid: str) -> str:
        users = self.files[spec.USERS]
        return f"EXISTS (SELECT 1 FROM {users.table} u WHERE {users.col('sourcedId', 'u')} = {sid})"

    def org_ok(self, ref: str) -> str:
        return f"EXISTS (SELECT 1 FROM {ORG_MAP} o WHERE o.sid = {ref})"


# The columns the checks and the staging join or group on: the planner needs their statistics
# (row counts, distinct values) to pick hash joins; the other columns are only scanned, and
# sampling them too cost more than half a second on a city's users.csv.
KEYS = (
    "sourcedId",
    "userSourcedId",
    "orgSourcedId",
    "schoolSourcedId",
    "parentSourcedId",
    "status",
    "role",
    "roleType",
)


def _analyze(cursor: Any, f: RawFile) -> None:
    keys = [f"c{f.columns[k]}" for k in KEYS if k in f.columns]
    cursor.execute(f"ANALYZE {f.table} ({', '.join(keys)})" if keys else f"ANALYZE {f.table}")


def check_and_stage(
    cursor: Any,
    *,
    source: RosterSource,
    network_id: int,
    modes: dict[str, str],
    progress: Progress,
    first: FirstImport | None = None,
) -> Checked:
    """Load, check and stage the roster; Unclean when anything may be wrong. With `first` (the
    network has no students, guardians or enrollments) a bulk roster is written too, and
    `Checked.written` says what; otherwise `staging.merge` writes the staging tables."""
    drop_tables(cursor)
    cursor.execute("SET LOCAL work_mem = '256MB'")  # hash joins over a city's rows, in memory
    files = {
        name: _load(cursor, source, name, modes.get(name, spec.ABSENT), progress)
        for name in spec.READ_ORDER
    }
    progress.set_stage("check:references")
    for f in files.values():
        _analyze(cursor, f)
    _dates_table(cursor)
    c = _Checks(cursor, files, network_id)
    for f in files.values():
        c.common(f)
    _check_orgs(c, files[spec.ORGS])
    _check_sessions(c, files[spec.ACADEMIC_SESSIONS])
    _check_roles(c, files[spec.ROLES])
    _check_demographics(c, files[spec.DEMOGRAPHICS])
    _check_users(c, files[spec.USERS])
    _check_enrollments(c, files[spec.ENROLLMENTS])
    progress.set_stage("check:stage")
    return _stage(c, files, first)


def _check_orgs(c: _Checks, f: RawFile) -> None:
    sid, kind, status = f.col("sourcedId"), f.col("type"), f.col("status")
    identifier = f.col("identifier")
    school = (
        f"CASE WHEN {kind} = 'school' AND {status} <> '{spec.TOBEDELETED}' THEN COALESCE("
        f"(SELECT s.id FROM {SCHOOL} s WHERE s.network_id = %(network)s AND {identifier} <> '' "
        f"AND s.code = {identifier}), "
        f"(SELECT s.id FROM {SCHOOL} s WHERE s.network_id = %(network)s AND s.code = {sid})) END"
    )
    c.run(
        f"CREATE TEMP TABLE {ORG_MAP} ON COMMIT DROP AS "
        f"SELECT {sid} AS sid, {school} AS school_id, "
        f"{kind} = 'school' AND {status} <> '{spec.TOBEDELETED}' AS is_school FROM {f.table} r"
    )
    c.rows(f, [f"{f.col('name')} = ''", _outside(kind, spec.ORG_TYPES)])
    c.any(f"SELECT 1 FROM {ORG_MAP} WHERE is_school AND school_id IS NULL")
    if f.bulk:
        parent = f.col("parentSourcedId")
        c.rows(
            f, [f"{parent} <> '' AND NOT EXISTS (SELECT 1 FROM {ORG_MAP} o WHERE o.sid = {parent})"]
        )
    else:
        # Unless orgs.csv is a bulk file, a reference may name a school by its code.
        c.run(
            f"INSERT INTO {ORG_MAP} (sid, school_id, is_school) SELECT s.code, s.id, true "
            f"FROM {SCHOOL} s WHERE s.network_id = %(network)s "
            f"AND NOT EXISTS (SELECT 1 FROM {ORG_MAP} o WHERE o.sid = s.code)"
        )
    c.cursor.execute(f"ANALYZE {ORG_MAP}")


def _check_sessions(c: _Checks, f: RawFile) -> None:
    start, end, parent = f.col("startDate"), f.col("endDate"), f.col("parentSourcedId")
    conditions = [
        f"{f.col('title')} = ''",
        _outside(f.col("type"), spec.SESSION_TYPES),
        f"NOT {_date_ok(start)}",
        f"NOT {_date_ok(end)}",
        f'{end} COLLATE "C" < {start} COLLATE "C"',
        f"{f.col('schoolYear')} !~ '^[0-9]{{4}}$'",
    ]
    if f.bulk:
        conditions.append(
            f"{parent} <> '' AND NOT EXISTS (SELECT 1 FROM {f.table} p "
            f"WHERE {f.col('sourcedId', 'p')} = {parent})"
        )
    c.rows(f, conditions)


def _check_roles(c: _Checks, f: RawFile) -> None:
    begin, end, org = f.col("beginDate"), f.col("endDate"), f.col("orgSourcedId")
    c.rows(
        f,
        [
            f"{f.col('userSourcedId')} = ''",
            f"{f.col('roleType')} NOT IN ({_words(spec.ROLE_TYPES)})",
            _outside(f.col("role"), spec.ROLES_ALLOWED),
            f"{org} = ''",
            f"{begin} <> '' AND NOT {_date_ok(begin)}",
            f"{end} <> '' AND NOT {_date_ok(end)}",
            f"{begin} <> '' AND {end} <> '' AND {end} COLLATE \"C\" < {begin} COLLATE \"C\"",
        ],
    )
    if f.mode != spec.ABSENT:
        c.any(f"SELECT 1 FROM {f.table} r WHERE NOT {c.org_ok(org)}")


def _check_demographics(c: _Checks, f: RawFile) -> None:
    flags = [column for column, _code in spec.RACE_FLAGS]
    flags += ["demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity", *spec.EXTENSION_FLAGS]
    birth, sex = f.col("birthDate"), f.col("sex")
    c.rows(
        f,
        [
            f"{birth} <> '' AND NOT {_date_ok(birth)}",
            f"{sex} <> '' AND {sex} NOT IN ({_words(spec.SEXES)})",
            *(_not_bool(f.col(column)) for column in flags),
            f"length({f.col(spec.HOME_LANGUAGE)}) > {spec.MAX_HOME_LANGUAGE}",
        ],
    )


STRIP = "E' \\t\\r\\n'"


def _check_users(c: _Checks, f: RawFile) -> None:
    lengths = (
        ("givenName", spec.MAX_NAME),
        ("familyName", spec.MAX_NAME),
        ("middleName", spec.MAX_NAME),
        ("preferredGivenName", spec.MAX_NAME),
        ("identifier", spec.MAX_IDENTIFIER),
        ("email", spec.MAX_EMAIL),
        ("phone", spec.MAX_PHONE),
        ("sms", spec.MAX_PHONE),
    )
    grades, org = f.col("grades"), f.col("primaryOrgSourcedId")
    c.rows(
        f,
        [
            f"{f.col('enabledUser')} NOT IN ('true', 'false')",
            *(f"{f.col(column)} = ''" for column in ("username", "givenName", "familyName")),
            *(f"length({f.col(column)}) > {most}" for column, most in lengths),
            # One grade alone, as most students have, is known without splitting the list.
            f"{grades} <> '' AND {grades} NOT IN ({_words(spec.GRADES)}) "
            f"AND EXISTS (SELECT 1 FROM unnest(string_to_array({grades}, ',')) g "
            f"WHERE btrim(g, {STRIP}) <> '' AND btrim(g, {STRIP}) NOT IN ({_words(spec.GRADES)}))",
        ],
        where=f"{f.col('status')} <> '{spec.TOBEDELETED}'",
    )
    if f.mode != spec.ABSENT:
        c.any(
            f"SELECT 1 FROM {f.table} r WHERE {f.col('status')} <> '{spec.TOBEDELETED}' "
            f"AND {org} <> '' AND NOT {c.org_ok(org)}"
        )


def _check_enrollments(c: _Checks, f: RawFile) -> None:
    begin, end, school = f.col("beginDate"), f.col("endDate"), f.col("schoolSourcedId")
    user = f.col("userSourcedId")
    c.rows(
        f,
        [
            f"{f.col('classSourcedId')} = ''",
            f"{school} = ''",
            f"{user} = ''",
            _outside(f.col("role"), spec.ENROLLMENT_ROLES),
            _not_bool(f.col("primary")),
            f"{begin} <> '' AND NOT {_date_ok(begin)}",
            f"{end} <> '' AND NOT {_date_ok(end)}",
        ],
    )
    if f.mode != spec.ABSENT:
        c.any(f"SELECT 1 FROM {f.table} r WHERE NOT {c.org_ok(school)}")
        if not c.delta_users:
            c.any(f"SELECT 1 FROM {f.table} r WHERE NOT {c.in_users(user)}")


def _stage(c: _Checks, files: dict[str, RawFile], first: FirstImport | None) -> Checked:
    """The staging tables `staging.merge` reads, and the counts the reader would have given."""
    out = Checked()
    roles, users, demo = files[spec.ROLES], files[spec.USERS], files[spec.DEMOGRAPHICS]
    r_user, r_role, r_status = roles.col("userSourcedId"), roles.col("role"), roles.col("status")
    active = f"{r_status} <> '{spec.TOBEDELETED}'"
    guardian_roles = _words(spec.GUARDIAN_ROLES)
    # A user's kind comes from its active roles only (student before guardian before staff);
    # every user a role names is listed, for the reference check below.
    direct = first is not None and users.bulk and roles.bulk
    role_users = c.run(
        f"CREATE TEMP TABLE {ROLE_KIND} ON COMMIT DROP AS SELECT {r_user} AS sid, "
        f"min(CASE WHEN {active} THEN CASE WHEN {r_role} = '{spec.STUDENT_ROLE}' THEN 1 "
        f"WHEN {r_role} IN ({guardian_roles}) THEN 2 ELSE 3 END END) AS kind "
        f"FROM {roles.table} r GROUP BY {r_user}"
    )
    c.run(
        f"CREATE TEMP TABLE {SCHOOL_OF} ON COMMIT DROP AS SELECT DISTINCT ON ({r_user}) "
        f"{r_user} AS sid, o.school_id FROM {roles.table} r JOIN {ORG_MAP} o "
        f"ON o.sid = {roles.col('orgSourcedId')} "
        f"WHERE {active} AND {r_role} = '{spec.STUDENT_ROLE}' AND o.school_id IS NOT NULL "
        f"ORDER BY {r_user}, {roles.col('roleType')} = 'primary' DESC, r.row_no"
    )
    c.run(
        f"CREATE TEMP TABLE {RELATIONSHIP} ON COMMIT DROP AS SELECT DISTINCT ON ({r_user}) "
        f"{r_user} AS sid, {r_role} AS relationship FROM {roles.table} r "
        f"WHERE {active} AND {r_role} IN ({guardian_roles}) ORDER BY {r_user}, r.row_no"
    )
    for table in (ROLE_KIND, SCHOOL_OF, RELATIONSHIP):
        c.cursor.execute(f"ANALYZE {table}")

    # Roles naming users not in users.csv: in a delta, users of the database or staff. When the
    # rows are written here (`_write_first`), counted from what is written instead.
    if not direct:
        c.any(
            f"SELECT 1 FROM {ROLE_KIND} k WHERE NOT {c.in_users('k.sid')} AND NOT ("
            f"{'true' if c.delta_users else 'false'} AND ("
            f"{c.db(STUDENT, 'k.sid')} OR {c.db(GUARDIAN, 'k.sid')} OR COALESCE(k.kind, 3) = 3))"
        )
    # Demographics of users not in users.csv: in a delta, students of the database (their
    # demographics are updated), guardians or staff (ignored).
    d_sid = demo.col("sourcedId")
    d_active = f"{demo.col('status')} <> '{spec.TOBEDELETED}'"
    kind_of_demo = f"(SELECT k.kind FROM {ROLE_KIND} k WHERE k.sid = {d_sid})"
    if demo.mode != spec.ABSENT:
        c.any(
            f"SELECT 1 FROM {demo.table} r WHERE {d_active} AND NOT {c.in_users(d_sid)} AND NOT ("
            f"{'true' if c.delta_users else 'false'} AND ("
            f"{c.db(STUDENT, d_sid)} OR {c.db(GUARDIAN, d_sid)} "
            f"OR {kind_of_demo} IS NOT DISTINCT FROM 3))"
        )
        if c.delta_users:
            # The reader keeps no values for a non-student's demographics: let it decide.
            c.any(
                f"SELECT 1 FROM {demo.table} r WHERE {d_active} AND NOT {c.in_users(d_sid)} "
                f"AND {c.db(STUDENT, d_sid)} AND COALESCE({kind_of_demo}, 1) <> 1"
            )

    race_flags = [demo.col(column, "d") for column, _code in spec.RACE_FLAGS]
    flagged = " + ".join(f"({x} = 'true')::int" for x in race_flags)
    race = (
        f"CASE WHEN {demo.col('hispanicOrLatinoEthnicity', 'd')} = 'true' THEN 'hispanic' "
        f"WHEN {demo.col('demographicRaceTwoOrMoreRaces', 'd')} = 'true' OR ({flagged}) > 1 "
        "THEN 'two_or_more' "
        + " ".join(
            f"WHEN {x} = 'true' THEN '{code}'"
            for x, (_c, code) in zip(race_flags, spec.RACE_FLAGS, strict=True)
        )
        + " ELSE 'unknown' END"
    )
    demographic_values = [
        f"NULLIF({demo.col('birthDate', 'd')}, '')::date",
        demo.col("sex", "d"),
        race,
        *(_flag(demo.col(column, "d")) for column in spec.EXTENSION_FLAGS),
        demo.col(spec.HOME_LANGUAGE, "d"),
    ]
    defaults = (
        ["NULL::date", "''", "'unknown'", "NULL::boolean", "NULL::boolean", "NULL::boolean", "''"]
        if demo.bulk
        else ["NULL::date", "NULL::text", "NULL::text", *["NULL::boolean"] * 3, "NULL::text"]
    )
    names = [name for name, _t in staging.USER_COLUMNS[15:]]
    demographics = ", ".join(
        f"CASE WHEN d.row_no IS NOT NULL THEN {value} ELSE {default} END AS {name}"
        for value, default, name in zip(demographic_values, defaults, names, strict=True)
    )
    u = users.col
    sid = u("sourcedId", "r")
    lookup = (
        f"CASE WHEN {c.db(STUDENT, sid)} THEN 1 WHEN {c.db(GUARDIAN, sid)} THEN 2 END"
        if not roles.bulk
        else "NULL::int"
    )
    grades = u("grades", "r")
    first_grade = (
        f"COALESCE((SELECT btrim(g, {STRIP}) FROM unnest(string_to_array({grades}, ',')) "
        f"WITH ORDINALITY AS t(g, n) WHERE btrim(g, {STRIP}) <> '' ORDER BY n LIMIT 1), '')"
    )
    modified = u("dateLastModified", "r")
    grade = (
        f"CASE WHEN {grades} = '' THEN '' WHEN strpos({grades}, ',') = 0 "
        f"THEN btrim({grades}, {STRIP}) ELSE {first_grade} END"
    )
    modified_at = f"CASE WHEN {modified} = '' THEN NULL ELSE {modified}::timestamptz END"
    if first is not None and direct:
        return _write_first(
            c,
            files,
            first,
            role_users=role_users,
            modified_at=modified_at,
            student_values=[
                "so.school_id",
                u("identifier", "r"),
                u("givenName", "r"),
                u("familyName", "r"),
                u("middleName", "r"),
                u("preferredGivenName", "r"),
                grade,
                u("email", "r"),
                u("phone", "r"),
                u("sms", "r"),
                "true",
                modified_at,
                *(
                    f"CASE WHEN d.row_no IS NOT NULL THEN {value} ELSE {default} END"
                    for value, default in zip(
                        demographic_values, staging.DEMOGRAPHIC_DEFAULTS, strict=True
                    )
                ),
            ],
        )
    stage_user = staging.STAGE_USER
    c.run(
        f"""CREATE TEMP TABLE {stage_user} ON COMMIT DROP AS
        SELECT CASE x.kind WHEN 1 THEN 's' WHEN 2 THEN 'g' WHEN 3 THEN 'o' ELSE 'n' END AS kind,
            x.sourced_id, x.given_name, x.family_name, x.middle_name, x.preferred_name,
            x.identifier, x.email, x.phone, x.sms, x.grade, true AS is_active, x.modified,
            CASE WHEN x.kind = 1 THEN x.school_id END AS school_id,
            x.kind = 1 AND (x.has_row OR {"true" if demo.bulk else "false"}) AS has_demographics,
            {", ".join(names)}, x.agents, x.pending
        FROM (
            SELECT COALESCE(k.kind, {lookup}) AS kind,
                {sid} AS sourced_id, {u("givenName", "r")} AS given_name,
                {u("familyName", "r")} AS family_name, {u("middleName", "r")} AS middle_name,
                {u("preferredGivenName", "r")} AS preferred_name,
                {u("identifier", "r")} AS identifier, {u("email", "r")} AS email,
                {u("phone", "r")} AS phone, {u("sms", "r")} AS sms,
                {grade} AS grade, {modified_at} AS modified,
                so.school_id, d.row_no IS NOT NULL AS has_row, {demographics},
                {u("agentSourcedIds", "r")} AS agents,
                k.kind IS NULL AND {"false" if roles.bulk else "true"} AS pending
            FROM {users.table} r
            LEFT JOIN {ROLE_KIND} k ON k.sid = {sid}
            LEFT JOIN {SCHOOL_OF} so ON so.sid = {sid}
            LEFT JOIN {demo.table} d ON {demo.col("sourcedId", "d")} = {sid}
                AND {demo.col("status", "d")} <> '{spec.TOBEDELETED}'
            WHERE {u("status", "r")} <> '{spec.TOBEDELETED}'
        ) x"""
    )
    out.staged["deactivate"] = c.run(
        f"INSERT INTO {stage_user} (kind, sourced_id) SELECT 'd', {sid} FROM {users.table} r "
        f"WHERE {u('status', 'r')} = '{spec.TOBEDELETED}'"
    )
    if demo.mode != spec.ABSENT and c.delta_users:
        out.staged["demographics_only"] = c.run(
            f"INSERT INTO {stage_user} (kind, sourced_id, has_demographics, {', '.join(names)}) "
            f"SELECT 'm', {demo.col('sourcedId', 'd')}, true, "
            f"{', '.join(demographic_values)} FROM {demo.table} d "
            f"WHERE {demo.col('status', 'd')} <> '{spec.TOBEDELETED}' "
            f"AND NOT {c.in_users(demo.col('sourcedId', 'd'))} "
            f"AND {c.db(STUDENT, demo.col('sourcedId', 'd'))}"
        )
    c.cursor.execute(f"ANALYZE {stage_user} (kind, sourced_id)")

    stage_link = staging.STAGE_LINK
    c.run(
        f"""CREATE TEMP TABLE {stage_link} ON COMMIT DROP AS
        SELECT DISTINCT s.sourced_id AS student_sid, btrim(a.agent, {STRIP}) AS guardian_sid,
            rel.relationship
        FROM {stage_user} s
        CROSS JOIN LATERAL unnest(string_to_array(s.agents, ',')) AS a(agent)
        LEFT JOIN {RELATIONSHIP} rel ON rel.sid = btrim(a.agent, {STRIP})
        WHERE s.kind = 's' AND s.agents <> '' AND btrim(a.agent, {STRIP}) <> ''"""
    )
    c.cursor.execute(f"ANALYZE {stage_link} (student_sid, guardian_sid)")
    # An agent in users.csv must be a guardian there; one not in it, a guardian of the
    # database (in a delta).
    c.any(
        f"SELECT 1 FROM {stage_link} l WHERE {c.in_users('l.guardian_sid')} AND NOT EXISTS ("
        f"SELECT 1 FROM {stage_user} g WHERE g.kind = 'g' AND g.sourced_id = l.guardian_sid)"
    )
    c.any(
        f"SELECT 1 FROM {stage_link} l WHERE NOT {c.in_users('l.guardian_sid')} AND NOT ("
        f"{'true' if c.delta_users else 'false'} AND {c.db(GUARDIAN, 'l.guardian_sid')})"
    )

    stage_enrollment = staging.STAGE_ENROLLMENT
    c.run(
        f"""CREATE TEMP TABLE {stage_enrollment} ON COMMIT DROP AS
        SELECT {roles.col("sourcedId")} AS sourced_id, {r_user} AS student_sid, o.school_id,
            NULLIF({roles.col("beginDate")}, '')::date AS begin_date,
            NULLIF({roles.col("endDate")}, '')::date AS end_date,
            {roles.col("roleType")} = 'primary' AS is_primary, {active} AS is_active
        FROM {roles.table} r JOIN {ORG_MAP} o ON o.sid = {roles.col("orgSourcedId")}
        WHERE {r_role} = '{spec.STUDENT_ROLE}' AND o.school_id IS NOT NULL"""
    )
    out.staged["enrollments_tobedeleted"] = c.scalar(
        f"SELECT count(*) FROM {stage_enrollment} WHERE NOT is_active"
    )
    c.cursor.execute(f"ANALYZE {stage_enrollment} (sourced_id, student_sid, is_active)")
    out.counts = _counts(c, files)
    return out


def _write_first(
    c: _Checks,
    files: dict[str, RawFile],
    first: FirstImport,
    *,
    role_users: int,
    student_values: list[str],
    modified_at: str,
) -> Checked:
    """A network's first import of a bulk roster, written straight from the raw tables: the
    same rows `_stage` and `staging.merge` write (plain INSERTs, as `merge` does for a first
    import), without materialising the staging tables — the users' join with their roles and
    demographics is made once for the students, once for the guardians, and the links and
    enrollments come from the same joins. The checks `_stage` makes on its staging tables are
    made on what is written: every distinct (student, agent) pair must have become a link, i.e.
    every agent is a guardian of users.csv (in a bulk users.csv there is no other); and every
    user a role names (`role_users` of them) must be a student, guardian or other user of
    users.csv. Nothing is deactivated or deleted: there is nothing yet."""
    roles, users, demo = files[spec.ROLES], files[spec.USERS], files[spec.DEMOGRAPHICS]
    sid = users.col("sourcedId")
    active_user = f"{users.col('status')} <> '{spec.TOBEDELETED}'"
    params = {"network": c.network, "now": first.now}
    written: dict[str, int] = {}

    def run(sql: str) -> int:
        c.cursor.execute(sql, params)
        return int(c.cursor.rowcount)

    first.step("write:students")
    students = run(
        f"""INSERT INTO {STUDENT} (network_id, sourced_id, {", ".join(staging.STUDENT_FIELDS)},
            {", ".join(staging.DEMOGRAPHICS)}, created_at, updated_at)
        SELECT %(network)s, {sid}, {", ".join(student_values)}, %(now)s, %(now)s
        FROM {users.table} r
        JOIN {ROLE_KIND} k ON k.sid = {sid} AND k.kind = 1
        LEFT JOIN {SCHOOL_OF} so ON so.sid = {sid}
        LEFT JOIN {demo.table} d ON {demo.col("sourcedId", "d")} = {sid}
            AND {demo.col("status", "d")} <> '{spec.TOBEDELETED}'
        WHERE {active_user}"""
    )
    written["students_created"] = written["students_written"] = students
    staging.analyze_written(c.cursor, STUDENT)
    first.step("write:guardians")
    guardians = run(
        f"""INSERT INTO {GUARDIAN} (network_id, sourced_id, given_name, family_name, email,
            phone, sms, preferred_language, is_active, source_modified_at, created_at,
            updated_at)
        SELECT %(network)s, {sid}, {users.col("givenName")}, {users.col("familyName")},
            {users.col("email")}, {users.col("phone")}, {users.col("sms")}, '', true,
            {modified_at}, %(now)s, %(now)s
        FROM {users.table} r JOIN {ROLE_KIND} k ON k.sid = {sid} AND k.kind = 2
        WHERE {active_user}"""
    )
    written["guardians_created"] = written["guardians_written"] = guardians
    staging.analyze_written(c.cursor, GUARDIAN)

    first.step("write:enrollments")
    r_user = roles.col("userSourcedId")
    c.cursor.execute(
        f"""WITH e AS MATERIALIZED (
            SELECT {roles.col("sourcedId")} AS sourced_id, {r_user} AS student_sid, o.school_id,
                NULLIF({roles.col("beginDate")}, '')::date AS begin_date,
                NULLIF({roles.col("endDate")}, '')::date AS end_date,
                {roles.col("roleType")} = 'primary' AS is_primary,
                {roles.col("status")} <> '{spec.TOBEDELETED}' AS is_active
            FROM {roles.table} r JOIN {ORG_MAP} o ON o.sid = {roles.col("orgSourcedId")}
            WHERE {roles.col("role")} = '{spec.STUDENT_ROLE}' AND o.school_id IS NOT NULL
        ), w AS (
            INSERT INTO {staging.ENROLLMENT} (network_id, sourced_id, student_id, school_id,
                begin_date, end_date, is_primary)
            SELECT %(network)s, e.sourced_id, s.id, e.school_id, e.begin_date, e.end_date,
                e.is_primary
            FROM e JOIN {STUDENT} s ON s.network_id = %(network)s AND s.sourced_id = e.student_sid
            WHERE e.is_active
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM e), (SELECT count(*) FROM w)""",
        params,
    )
    student_roles, enrollments = c.cursor.fetchone()
    written["enrollments_removed"] = 0
    written["enrollments_written"] = int(enrollments)

    first.step("write:links")
    agents = users.col("agentSourcedIds")
    # The network's students are exactly the rows just written: the users' join with them
    # finds the students' rows of users.csv and their ids at once.
    c.cursor.execute(
        f"""WITH pairs AS MATERIALIZED (
            SELECT DISTINCT s.id AS student_id, btrim(a.agent, {STRIP}) AS guardian_sid
            FROM {users.table} r
            JOIN {STUDENT} s ON s.network_id = %(network)s AND s.sourced_id = {sid}
            CROSS JOIN LATERAL unnest(string_to_array({agents}, ',')) AS a(agent)
            WHERE {active_user} AND {agents} <> '' AND btrim(a.agent, {STRIP}) <> ''
        ), w AS (
            INSERT INTO {staging.LINK} (student_id, guardian_id, relationship)
            SELECT p.student_id, g.id, COALESCE(rel.relationship, 'parent')
            FROM pairs p
            JOIN {GUARDIAN} g ON g.network_id = %(network)s AND g.sourced_id = p.guardian_sid
            LEFT JOIN {RELATIONSHIP} rel ON rel.sid = p.guardian_sid
            ORDER BY p.student_id, g.id
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM pairs), (SELECT count(*) FROM w)""",
        params,
    )
    links, linked = c.cursor.fetchone()
    if links != linked:  # an agent that is no guardian of users.csv: the reader names it
        raise Unclean
    written["links_removed"] = 0
    written["links_written"] = int(linked)
    counts = _counts(
        c,
        files,
        known={
            "student_roles": int(student_roles),
            "students": students,
            "guardians": guardians,
            "links": int(links),
        },
    )
    if role_users != students + guardians + counts["other_users"]:
        raise Unclean  # a role names a user who is not in users.csv
    return Checked(counts=counts, written=written)


def _counts(
    c: _Checks, files: dict[str, RawFile], known: dict[str, int] | None = None
) -> dict[str, int]:
    """What the reader would have counted; `known`: what `_write_first` counted already (a
    first import of bulk users and roles, where no user is pending a role)."""
    counts: dict[str, int] = {}
    present = {name for name, f in files.items() if f.mode != spec.ABSENT}
    orgs = files[spec.ORGS]
    if spec.ORGS in present:
        counts["orgs"] = c.scalar(f"SELECT count(*) FROM {orgs.table}")
        counts["schools_matched"] = c.scalar(
            f"SELECT count(*) FROM {ORG_MAP} WHERE is_school AND school_id IS NOT NULL "
            f"AND sid IN (SELECT {orgs.col('sourcedId')} FROM {orgs.table} r)"
        )
    if spec.ACADEMIC_SESSIONS in present:
        counts["academic_sessions"] = c.scalar(
            f"SELECT count(*) FROM {files[spec.ACADEMIC_SESSIONS].table}"
        )
    roles = files[spec.ROLES]
    if spec.ROLES in present:
        counts["student_roles"] = (
            known["student_roles"]
            if known
            else c.scalar(f"SELECT count(*) FROM {staging.STAGE_ENROLLMENT}")
        )
    demo = files[spec.DEMOGRAPHICS]
    if spec.DEMOGRAPHICS in present:
        counts["demographics"] = c.scalar(
            f"SELECT count(*) FROM {demo.table} r "
            f"WHERE {demo.col('status')} <> '{spec.TOBEDELETED}'"
        )
    users = files[spec.USERS]
    if spec.USERS in present:
        counts["users"] = c.scalar(f"SELECT count(*) FROM {users.table}")
    if known:
        counts["students"], counts["guardians"] = known["students"], known["guardians"]
    else:
        c.cursor.execute(
            f"SELECT count(*) FILTER (WHERE kind = 's'), count(*) FILTER (WHERE kind = 'g'), "
            f"count(*) FILTER (WHERE pending), count(*) FILTER (WHERE pending AND kind = 'n') "
            f"FROM {staging.STAGE_USER} WHERE kind IN ('s', 'g', 'o', 'n')"
        )
        students, guardians, pending, without_role = c.cursor.fetchone()
        if pending:
            counts["users_without_role"] = int(without_role)
        counts["students"] = int(students)
        counts["guardians"] = int(guardians)
    counts["other_users"] = c.scalar(
        f"SELECT count(*) FROM {ROLE_KIND} k WHERE k.kind = 3 AND {c.in_users('k.sid')}"
    )
    counts["links"] = (
        known["links"] if known else c.scalar(f"SELECT count(*) FROM {staging.STAGE_LINK}")
    )
    if spec.ENROLLMENTS in present:
        counts["class_enrollments"] = c.scalar(
            f"SELECT count(*) FROM {files[spec.ENROLLMENTS].table}"
        )
    counts["errors"] = 0
    del roles
    return counts
