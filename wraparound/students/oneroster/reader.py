"""One streaming pass over a roster that checks every file, row and column, and hands the rows
the import keeps to a staging sink (see `staging`).

Nothing here writes to the network's tables. The reader reads the files in `spec.READ_ORDER`:
roles before users, because a user's kind (student, guardian, other) lives in roles.csv, and
demographics before users, because they are merged into the student's row. References that can
only be checked once a later file is read (a role's user, a student's agents, a demographics row's
user) are checked at the end; in delta mode a reference may name a record already in the
database, so those still unresolved are looked up there, in batches.

Hot loops use `csv.reader` and `operator.itemgetter` over the columns: no per-row dicts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import IO, Any, Protocol

from django.utils.translation import gettext as _

from wraparound.core.models import Network, School

from ..models import Guardian, Student
from . import spec
from .errors import ErrorList
from .progress import Progress
from .source import RosterSource

STUDENT, GUARDIAN, OTHER = 1, 2, 3
LOOKUP_CHUNK = 2000

# stage rows (see staging.USER_COLUMNS): kind codes
KIND_STUDENT, KIND_GUARDIAN, KIND_DEACTIVATE, KIND_DEMOGRAPHICS = "s", "g", "d", "m"


class Sink(Protocol):
    def begin(self, table: str) -> None: ...
    def row(self, values: tuple[Any, ...]) -> None: ...
    def end(self) -> None: ...


class NullSink:
    def begin(self, table: str) -> None:
        pass

    def row(self, values: tuple[Any, ...]) -> None:
        pass

    def end(self) -> None:
        pass


class _Counting(io.RawIOBase):
    """Counts the bytes read through it into the progress (one addition per buffer read)."""

    def __init__(self, raw: IO[bytes], progress: Progress) -> None:
        self.raw = raw
        self.progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.progress.tick(n)
        return n


def _bool(value: str) -> bool | None:
    """OneRoster booleans are the words true and false; None for anything else."""
    if value == "true":
        return True
    if value == "false":
        return False
    return None


def _date(value: str) -> bool:
    if len(value) != 10:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _datetime(value: str) -> str | None:
    """An ISO 8601 date-time (dateLastModified) as UTC text both databases read, or None."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ")


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()] if value else []


class RosterReader:
    """Reads and checks a roster; `errors` holds what is wrong, `counts` what was found."""

    def __init__(self, source: RosterSource, network: Network, progress: Progress) -> None:
        self.source = source
        self.network = network
        self.progress = progress
        self.errors = ErrorList()
        self.modes: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self.sink: Sink = NullSink()
        schools = School.objects.filter(network=network).values_list("code", "id")
        self.school_by_code: dict[str, int] = dict(schools)
        # orgs.csv: sourcedId → school id (None for districts and other kinds of org)
        self.orgs: dict[str, int | None] = {}
        # roles.csv, for the users they name
        self.role_kind: dict[str, int] = {}
        self.role_row: dict[str, int] = {}
        self.relationship: dict[str, str] = {}
        self.student_school: dict[str, tuple[int | None, bool]] = {}
        self.role_kind_other: dict[str, str] = {}
        # demographics.csv: sourcedId → (row, stage values)
        self.demographics: dict[str, tuple[int, tuple[Any, ...]]] = {}
        # users.csv
        self.users: set[str] = set()
        self.pending_users: list[tuple[int, tuple[Any, ...]]] = []
        self.agents: list[tuple[str, str, int]] = []
        self.links: list[tuple[str, str, str | None]] = []
        self.kind_of_user: dict[str, int] = {}
        self.late_rows: list[tuple[Any, ...]] = []
        # staged rows of the rarer kinds, by kind (the writer skips statements with nothing to do)
        self.staged: dict[str, int] = {}

    # --- helpers ---------------------------------------------------------------------------

    def error(self, file: str, row: int, column: str, message: str) -> None:
        if not self.errors:
            # From the first problem on nothing will be written: stop feeding the staging.
            self.sink.end()
            self.sink = NullSink()
        self.errors.add(file, row, column, message)

    def bulk(self, name: str) -> bool:
        return self.modes.get(name) == spec.BULK

    def _rows(self, name: str, handle: IO[bytes]) -> Iterator[list[str]]:
        """The file's records (the header first), decoded as UTF-8 with or without a BOM; Windows
        line endings and newlines inside quoted fields are the csv module's business."""
        text = io.TextIOWrapper(
            io.BufferedReader(_Counting(handle, self.progress), 1 << 20),
            encoding="utf-8-sig",
            newline="",
        )
        reader = csv.reader(text)
        row = 0
        try:
            for record in reader:
                row += 1
                yield record
        except UnicodeDecodeError:
            self.error(
                name,
                row + 1,
                "",
                _("The file is not UTF-8 text (the problem is at or after this row)."),
            )
        except csv.Error as problem:
            self.error(name, row + 1, "", _("The CSV is malformed: %(error)s") % {"error": problem})

    def _header(
        self, name: str, header: list[str], wanted: Iterable[str]
    ) -> tuple[itemgetter[Any], int] | None:
        """An itemgetter giving `wanted` columns in order (an absent optional column reads as
        the empty string appended to each record), and the header's width; None if a required
        column is missing."""
        file_spec = spec.FILES[name]
        names = [h.strip() for h in header]
        ok = True
        seen: set[str] = set()
        for column in names:
            if column in seen:
                self.error(name, 1, column, _("The column %(c)s appears twice.") % {"c": column})
                ok = False
            seen.add(column)
        for column in file_spec.required:
            if column not in seen:
                self.error(
                    name,
                    1,
                    column,
                    _("The required column %(c)s is missing from the header.") % {"c": column},
                )
                ok = False
        if not ok:
            return None
        width = len(names)
        position = {column: i for i, column in enumerate(names)}
        indices = [position.get(column, width) for column in wanted]
        return itemgetter(*indices), width

    def _records(self, name: str, wanted: tuple[str, ...]) -> Iterator[tuple[int, tuple[str, ...]]]:
        """(row number, values of `wanted`) for each data record, after the header's checks and
        the common ones: sourcedId present and unique, status and dateLastModified as the
        file's mode requires. Values are taken as they are (a name may start with a space)."""
        with self.source.open(name) as handle:
            records = self._rows(name, handle)
            header = next(records, None)
            if header is None:
                self.error(name, 1, "", _("The file is empty: it has no header row."))
                return
            got = self._header(name, header, ("sourcedId", "status", "dateLastModified", *wanted))
            if got is None:
                for _record in records:
                    pass  # keep the progress honest
                return
            getter, width = got
            bulk = self.bulk(name)
            seen: set[str] = set()
            for row, record in enumerate(records, start=2):
                if len(record) != width:
                    if not record or record == [""]:
                        continue  # blank line
                    self.error(
                        name,
                        row,
                        "",
                        _("The row has %(n)d fields; the header has %(m)d.")
                        % {"n": len(record), "m": width},
                    )
                    continue
                record.append("")
                values = getter(record)
                sid, status, modified = values[0], values[1], values[2]
                if not sid:
                    self.error(name, row, "sourcedId", _("sourcedId is empty."))
                    continue
                if len(sid) > spec.MAX_SOURCED_ID:
                    self.error(name, row, "sourcedId", _("sourcedId is longer than 255."))
                    continue
                if sid in seen:
                    self.error(
                        name,
                        row,
                        "sourcedId",
                        _("sourcedId %(id)s appears more than once in the file.") % {"id": sid},
                    )
                    continue
                seen.add(sid)
                if bulk:
                    if status or modified:
                        column = "status" if status else "dateLastModified"
                        self.error(
                            name,
                            row,
                            column,
                            _("%(c)s must be blank in a bulk file.") % {"c": column},
                        )
                        continue
                else:
                    if status not in (spec.ACTIVE, spec.TOBEDELETED):
                        self.error(
                            name,
                            row,
                            "status",
                            _('status must be "active" or "tobedeleted" in a delta file.'),
                        )
                        continue
                    if _datetime(modified) is None:
                        self.error(
                            name,
                            row,
                            "dateLastModified",
                            _("dateLastModified %(v)s is not an ISO 8601 date-time.")
                            % {"v": modified or '""'},
                        )
                        continue
                yield row, values

    def _required(self, name: str, row: int, column: str, value: str) -> bool:
        if value:
            return True
        self.error(name, row, column, _("%(c)s is required.") % {"c": column})
        return False

    def _length(self, name: str, row: int, column: str, value: str, most: int) -> bool:
        if len(value) <= most:
            return True
        self.error(
            name,
            row,
            column,
            _("%(c)s is %(n)d characters long; at most %(m)d are kept.")
            % {"c": column, "n": len(value), "m": most},
        )
        return False

    def _check_date(self, name: str, row: int, column: str, value: str) -> bool:
        if not value or _date(value):
            return True
        self.error(
            name,
            row,
            column,
            _("%(c)s %(v)s is not a date (YYYY-MM-DD).") % {"c": column, "v": value},
        )
        return False

    def _check_bool(
        self, name: str, row: int, column: str, value: str, *, blank: bool = True
    ) -> bool | None:
        if not value and blank:
            return None
        parsed = _bool(value)
        if parsed is None:
            self.error(
                name,
                row,
                column,
                _('%(c)s must be "true" or "false", not %(v)s.')
                % {"c": column, "v": value or '""'},
            )
        return parsed

    def _org(self, name: str, row: int, column: str, sid: str) -> bool:
        """An org reference: in orgs.csv, or — unless orgs.csv is a bulk file — a school of the
        network whose code is the reference."""
        if sid in self.orgs:
            return True
        if not self.bulk(spec.ORGS) and sid in self.school_by_code:
            self.orgs[sid] = self.school_by_code[sid]
            return True
        if self.bulk(spec.ORGS):
            message = _("No org has sourcedId %(id)s in orgs.csv.") % {"id": sid}
        else:
            message = _(
                "No org has sourcedId %(id)s: it is not in orgs.csv, and no school of the "
                "network has it as its code."
            ) % {"id": sid}
        self.error(name, row, column, message)
        return False

    # --- the pass ---------------------------------------------------------------------------

    def read(self, sink: Sink | None = None) -> None:
        self.sink = sink or NullSink()
        self.read_manifest()
        if self.errors:
            return
        present = [n for n in spec.READ_ORDER if self.modes.get(n, spec.ABSENT) != spec.ABSENT]
        self.progress.start(sum(self.source.size(name) for name in present))
        for name in spec.READ_ORDER:
            if name == spec.USERS:
                # Always: it also checks the references to users that earlier files made.
                self._users_phase(name in present)
            elif name in present:
                self.progress.set_stage(f"check:{name}")
                if name == spec.ROLES:
                    self.sink.begin("enrollment")
                    self.read_roles()
                    self.sink.end()
                else:
                    getattr(self, "read_" + name.removesuffix(".csv").lower())()
        self.counts["errors"] = self.errors.count

    def _users_phase(self, present: bool) -> None:
        """users.csv and every check that needed it (roles, agents, demographics), staged as
        one COPY of user rows followed by one of the links."""
        if present:
            self.progress.set_stage(f"check:{spec.USERS}")
        self.sink.begin("user")
        if present:
            self.read_users()
        self.sink.end()
        # The database is asked about the rest only now: no query may run during a COPY.
        self.resolve_users()
        self.sink.begin("user")
        for values in self.late_rows:
            self.sink.row(values)
        self.late_rows = []
        self.sink.end()
        self.sink.begin("link")
        for link in self.links:
            self.sink.row(link)
        self.sink.end()

    # --- manifest ---------------------------------------------------------------------------

    def read_manifest(self) -> None:
        name = spec.MANIFEST
        if name not in self.source.names:
            self.error(name, 0, "", _("manifest.csv is missing: a OneRoster CSV set needs it."))
            return
        properties: dict[str, str] = {}
        with self.source.open(name) as handle:
            records = self._rows(name, handle)
            header = [h.strip() for h in next(records, [])]
            if header[:2] != ["propertyName", "value"]:
                self.error(name, 1, "", _('The header must be "propertyName,value".'))
                return
            for row, record in enumerate(records, start=2):
                if not record or record == [""]:
                    continue
                if len(record) != 2:
                    self.error(name, row, "", _("A manifest row has two fields."))
                    continue
                key, value = record[0].strip(), record[1].strip()
                if key in properties:
                    self.error(name, row, "propertyName", _("%(p)s is given twice.") % {"p": key})
                properties[key] = value
        if properties.get("oneroster.version") != spec.ONEROSTER_VERSION:
            self.error(
                name,
                0,
                "oneroster.version",
                _("oneroster.version is %(v)s; this import reads OneRoster 1.2.")
                % {"v": properties.get("oneroster.version") or '""'},
            )
        if not properties.get("manifest.version"):
            self.error(name, 0, "manifest.version", _("manifest.version is missing."))
        for key, value in properties.items():
            if not key.startswith("file."):
                continue
            if value not in spec.FILE_MODES:
                self.error(
                    name,
                    0,
                    key,
                    _('%(p)s is %(v)s; it must be "bulk", "delta" or "absent".')
                    % {"p": key, "v": value or '""'},
                )
                continue
            if key in spec.MANIFEST_FILES:
                self.modes[spec.MANIFEST_FILES[key]] = value
        for key, file in spec.MANIFEST_FILES.items():
            mode = self.modes.setdefault(file, spec.ABSENT)
            if mode != spec.ABSENT and file not in self.source.names:
                self.error(
                    name,
                    0,
                    key,
                    _("The manifest says %(f)s is a %(m)s file, but it is not there.")
                    % {"f": file, "m": mode},
                )
            if mode == spec.ABSENT and file in self.source.names:
                self.error(
                    name,
                    0,
                    key,
                    _("%(f)s is there, but the manifest says it is absent.") % {"f": file},
                )

    # --- orgs and academic sessions ----------------------------------------------------------

    def read_orgs(self) -> None:
        name = spec.ORGS
        parents: list[tuple[int, str]] = []
        schools = 0
        for row, values in self._records(name, ("name", "type", "identifier", "parentSourcedId")):
            sid, status, _modified, org_name, kind, identifier, parent = values
            if not self._required(name, row, "name", org_name):
                continue
            if kind not in spec.ORG_TYPES and not spec.is_extension(kind):
                self.error(
                    name, row, "type", _("%(v)s is not a OneRoster org type.") % {"v": kind or '""'}
                )
                continue
            if parent:
                parents.append((row, parent))
            school_id = None
            if kind == "school" and status != spec.TOBEDELETED:
                school_id = self.school_by_code.get(identifier) if identifier else None
                if school_id is None:
                    school_id = self.school_by_code.get(sid)
                if school_id is None:
                    self.error(
                        name,
                        row,
                        "identifier",
                        _(
                            "The school %(name)s (identifier %(code)s, sourcedId %(id)s) matches "
                            "no school of the network: its identifier must be the school's code."
                        )
                        % {"name": org_name, "code": identifier or '""', "id": sid},
                    )
                    continue
                schools += 1
            self.orgs[sid] = school_id
        for row, parent in parents:
            if parent not in self.orgs and self.bulk(name):
                self.error(
                    name, row, "parentSourcedId", _("No org has sourcedId %(id)s.") % {"id": parent}
                )
        self.counts["orgs"] = len(self.orgs)
        self.counts["schools_matched"] = schools

    def read_academicsessions(self) -> None:
        name = spec.ACADEMIC_SESSIONS
        sessions: set[str] = set()
        parents: list[tuple[int, str]] = []
        columns = ("title", "type", "startDate", "endDate", "schoolYear", "parentSourcedId")
        for row, values in self._records(name, columns):
            sid, _status, _modified, title, kind, start, end, year, parent = values
            sessions.add(sid)
            self._required(name, row, "title", title)
            if kind not in spec.SESSION_TYPES and not spec.is_extension(kind):
                self.error(
                    name,
                    row,
                    "type",
                    _("%(v)s is not a OneRoster session type.") % {"v": kind or '""'},
                )
            for column, value in (("startDate", start), ("endDate", end)):
                if self._required(name, row, column, value):
                    self._check_date(name, row, column, value)
            if _date(start) and _date(end) and end < start:
                self.error(name, row, "endDate", _("endDate is before startDate."))
            if not (len(year) == 4 and year.isdigit()):
                self.error(
                    name,
                    row,
                    "schoolYear",
                    _("schoolYear %(v)s is not a year (YYYY).") % {"v": year or '""'},
                )
            if parent:
                parents.append((row, parent))
        if self.bulk(name):
            for row, parent in parents:
                if parent not in sessions:
                    self.error(
                        name,
                        row,
                        "parentSourcedId",
                        _("No academic session has sourcedId %(id)s.") % {"id": parent},
                    )
        self.counts["academic_sessions"] = len(sessions)

    # --- roles --------------------------------------------------------------------------------

    def read_roles(self) -> None:
        name = spec.ROLES
        columns = ("userSourcedId", "roleType", "role", "orgSourcedId", "beginDate", "endDate")
        kind_of = self.role_kind
        first_row = self.role_row
        orgs = self.orgs
        school_of = self.student_school
        enrollments = 0
        for row, values in self._records(name, columns):
            sid, status, _modified, user, role_type, role, org, begin, end = values
            ok = self._required(name, row, "userSourcedId", user)
            if role_type not in spec.ROLE_TYPES:
                self.error(
                    name,
                    row,
                    "roleType",
                    _('roleType must be "primary" or "secondary", not %(v)s.')
                    % {"v": role_type or '""'},
                )
                ok = False
            if role not in spec.ROLES_ALLOWED and not spec.is_extension(role):
                self.error(
                    name, row, "role", _("%(v)s is not a OneRoster role.") % {"v": role or '""'}
                )
                ok = False
            if self._required(name, row, "orgSourcedId", org):
                if org not in orgs and not self._org(name, row, "orgSourcedId", org):
                    ok = False
            else:
                ok = False
            if (begin and not _date(begin)) or (end and not _date(end)):
                ok = self._check_date(name, row, "beginDate", begin) and ok
                ok = self._check_date(name, row, "endDate", end) and ok
            elif begin and end and end < begin:
                self.error(name, row, "endDate", _("endDate is before beginDate."))
                ok = False
            if not ok:
                continue
            first_row.setdefault(user, row)
            active = status != spec.TOBEDELETED
            if role == spec.STUDENT_ROLE:
                kind = STUDENT
                school_id = orgs[org]
                primary = role_type == "primary"
                if active:
                    current = school_of.get(user)
                    if school_id is not None and (current is None or (primary and not current[1])):
                        school_of[user] = (school_id, primary)
                if school_id is not None:
                    enrollments += 1
                    self.sink.row(
                        (sid, user, school_id, begin or None, end or None, primary, active)
                    )
                    if not active:
                        self.staged["enrollments_tobedeleted"] = (
                            self.staged.get("enrollments_tobedeleted", 0) + 1
                        )
            elif role in spec.GUARDIAN_ROLES:
                kind = GUARDIAN
                if active:
                    self.relationship.setdefault(user, role)
            else:
                kind = OTHER
                self.role_kind_other.setdefault(user, role)
            if active and kind < kind_of.get(user, 4):
                kind_of[user] = kind
        self.counts["student_roles"] = enrollments

    # --- demographics -------------------------------------------------------------------------

    def read_demographics(self) -> None:
        name = spec.DEMOGRAPHICS
        flag_columns = tuple(column for column, _code in spec.RACE_FLAGS)
        columns = (
            "birthDate",
            "sex",
            *flag_columns,
            "demographicRaceTwoOrMoreRaces",
            "hispanicOrLatinoEthnicity",
            *spec.EXTENSION_FLAGS,
            spec.HOME_LANGUAGE,
        )
        race_codes = [code for _column, code in spec.RACE_FLAGS]
        kinds = self.role_kind
        keep = self.demographics
        for row, values in self._records(name, columns):
            sid, status = values[0], values[1]
            birth, sex = values[3], values[4]
            ok = self._check_date(name, row, "birthDate", birth)
            if sex and sex not in spec.SEXES:
                self.error(
                    name,
                    row,
                    "sex",
                    _('sex must be "male", "female", "other" or "unspecified", not %(v)s.')
                    % {"v": sex},
                )
                ok = False
            flags: list[bool | None] = []
            for column, value in zip(columns[2:-1], values[5:-1], strict=True):
                if value == "true":
                    flags.append(True)
                elif value == "false" or not value:
                    flags.append(False if value else None)
                else:
                    self._check_bool(name, row, column, value)
                    ok = False
            language = values[-1]
            ok = (
                self._length(name, row, spec.HOME_LANGUAGE, language, spec.MAX_HOME_LANGUAGE) and ok
            )
            if not ok or status == spec.TOBEDELETED:
                continue
            races = [code for code, flag in zip(race_codes, flags[:5], strict=True) if flag]
            if flags[6]:
                race = "hispanic"
            elif flags[5] or len(races) > 1:
                race = "two_or_more"
            elif races:
                race = races[0]
            else:
                race = "unknown"
            if kinds.get(sid, STUDENT) == STUDENT:
                keep[sid] = (
                    row,
                    (birth or None, sex, race, flags[7], flags[8], flags[9], language),
                )
            else:
                keep[sid] = (row, ())
        self.counts["demographics"] = len(keep)

    # --- users --------------------------------------------------------------------------------

    def read_users(self) -> None:
        name = spec.USERS
        columns = (
            "enabledUser",
            "username",
            "givenName",
            "familyName",
            "middleName",
            "preferredGivenName",
            "identifier",
            "email",
            "phone",
            "sms",
            "grades",
            "agentSourcedIds",
            "primaryOrgSourcedId",
        )
        kinds = self.role_kind
        users = self.users
        bulk_roles = self.bulk(spec.ROLES)
        grades_known = spec.GRADES
        for row, values in self._records(name, columns):
            (sid, status, modified, enabled, username, given, family, middle, preferred) = values[
                :9
            ]
            identifier, email, phone, sms, grades, agents, primary_org = values[9:]
            users.add(sid)
            if status == spec.TOBEDELETED:
                self.sink.row((KIND_DEACTIVATE, sid) + (None,) * 20)
                self.staged["deactivate"] = self.staged.get("deactivate", 0) + 1
                continue
            ok = True
            if enabled not in ("true", "false"):
                self._check_bool(name, row, "enabledUser", enabled, blank=False)
                ok = False
            ok = self._required(name, row, "username", username) and ok
            ok = self._required(name, row, "givenName", given) and ok
            ok = self._required(name, row, "familyName", family) and ok
            for column, value, most in (
                ("givenName", given, spec.MAX_NAME),
                ("familyName", family, spec.MAX_NAME),
                ("middleName", middle, spec.MAX_NAME),
                ("preferredGivenName", preferred, spec.MAX_NAME),
                ("identifier", identifier, spec.MAX_IDENTIFIER),
                ("email", email, spec.MAX_EMAIL),
                ("phone", phone, spec.MAX_PHONE),
                ("sms", sms, spec.MAX_PHONE),
            ):
                if len(value) > most:
                    ok = self._length(name, row, column, value, most) and ok
            grade = ""
            if grades:
                codes = _split(grades)
                for code in codes:
                    if code not in grades_known:
                        self.error(
                            name,
                            row,
                            "grades",
                            _("%(v)s is not a grade code (CEDS: KG, 01…12, PK, …).") % {"v": code},
                        )
                        ok = False
                grade = codes[0] if codes else ""
            if primary_org and primary_org not in self.orgs:
                ok = self._org(name, row, "primaryOrgSourcedId", primary_org) and ok
            if not ok:
                continue
            kind = kinds.get(sid)
            modified_at = _datetime(modified) if modified else None
            values_out = (
                sid,
                given,
                family,
                middle,
                preferred,
                identifier,
                email,
                phone,
                sms,
                grade,
                True,
                modified_at,
            )
            if agents:
                for agent in dict.fromkeys(_split(agents)):
                    self.agents.append((sid, agent, row))
            if kind is None and not bulk_roles:
                self.pending_users.append((row, values_out))
                continue
            if kind == STUDENT:
                school_id = self.student_school.get(sid, (None, False))[0]
                self.sink.row(self._student_row(values_out, school_id))
            elif kind == GUARDIAN:
                self.sink.row(self._guardian_row(values_out))
        self.counts["users"] = len(users)

    def _student_row(self, values: tuple[Any, ...], school_id: int | None) -> tuple[Any, ...]:
        sid = values[0]
        self.kind_of_user[sid] = STUDENT
        demographics = self.demographics.pop(sid, None)
        if demographics is not None and demographics[1]:
            return (KIND_STUDENT, *values, school_id, True, *demographics[1])
        if self.bulk(spec.DEMOGRAPHICS):
            # A bulk demographics file replaces them all: a student missing from it has none.
            return (
                KIND_STUDENT,
                *values,
                school_id,
                True,
                None,
                "",
                "unknown",
                None,
                None,
                None,
                "",
            )
        return (KIND_STUDENT, *values, school_id, False) + (None,) * 7

    def _guardian_row(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        self.kind_of_user[values[0]] = GUARDIAN
        return (KIND_GUARDIAN, *values, None, False) + (None,) * 7

    # --- references checked once everything is read -------------------------------------------

    def _lookup(self, model: type[Student] | type[Guardian], sids: Iterable[str]) -> set[str]:
        wanted = list(sids)
        found: set[str] = set()
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            found.update(
                model.objects.filter(
                    network=self.network, sourced_id__in=wanted[start : start + LOOKUP_CHUNK]
                ).values_list("sourced_id", flat=True)
            )
        return found

    def resolve_users(self) -> None:
        users = self.users
        delta_users = not self.bulk(spec.USERS)
        kind_of = self.kind_of_user
        # Users in the file whose roles are not in it (delta): their kind is the database's.
        if self.pending_users:
            sids = [values[0] for _row, values in self.pending_users]
            students, guardians = self._lookup(Student, sids), self._lookup(Guardian, sids)
            without_role = 0
            for _row, values in self.pending_users:
                if values[0] in students:
                    self.late_rows.append(self._student_row(values, None))
                elif values[0] in guardians:
                    self.late_rows.append(self._guardian_row(values))
                else:
                    without_role += 1
            self.counts["users_without_role"] = without_role
            self.pending_users = []
        # Role users, agents and demographics rows not in users.csv.
        missing_roles = [u for u in self.role_row if u not in users]
        missing_agents = {agent for _s, agent, _r in self.agents if agent not in users}
        missing_demographics = [sid for sid in self.demographics if sid not in users]
        db_students: set[str] = set()
        db_guardians: set[str] = set()
        if delta_users:
            db_students = self._lookup(Student, {*missing_roles, *missing_demographics})
            db_guardians = self._lookup(Guardian, {*missing_roles, *missing_agents})
        for user in missing_roles:
            kind = self.role_kind.get(user)
            if user in db_students or user in db_guardians:
                continue
            if delta_users and (kind == OTHER or kind is None):
                continue  # staff are not kept: a delta cannot be checked against them
            self.error(
                spec.ROLES,
                self.role_row[user],
                "userSourcedId",
                _("No user has sourcedId %(id)s.") % {"id": user},
            )
        for sid in missing_demographics:
            row, values = self.demographics.pop(sid)
            if sid in db_students:
                self.late_rows.append(
                    (KIND_DEMOGRAPHICS, sid) + (None,) * 11 + (None, True, *values)
                )
                self.staged["demographics_only"] = self.staged.get("demographics_only", 0) + 1
            elif not delta_users or sid not in db_guardians:
                if delta_users and self.role_kind.get(sid) == OTHER:
                    continue
                self.error(
                    spec.DEMOGRAPHICS,
                    row,
                    "sourcedId",
                    _("No user has sourcedId %(id)s.") % {"id": sid},
                )
        for student, agent, row in self.agents:
            if kind_of.get(student) != STUDENT:
                continue  # a guardian's agents are its students: the links come from them
            if agent in users:
                if kind_of.get(agent) != GUARDIAN:
                    self.error(
                        spec.USERS,
                        row,
                        "agentSourcedIds",
                        _("The agent %(id)s is not a parent, guardian or relative in roles.csv.")
                        % {"id": agent},
                    )
                    continue
            elif agent not in db_guardians:
                self.error(
                    spec.USERS,
                    row,
                    "agentSourcedIds",
                    _("No user has sourcedId %(id)s.") % {"id": agent},
                )
                continue
            self.links.append((student, agent, self.relationship.get(agent)))
        self.agents = []
        self.demographics = {}
        counts = self.counts
        counts["students"] = sum(1 for k in kind_of.values() if k == STUDENT)
        counts["guardians"] = sum(1 for k in kind_of.values() if k == GUARDIAN)
        others = {u for u, k in self.role_kind.items() if k == OTHER and u in users}
        counts["other_users"] = len(others)
        counts["links"] = len(self.links)

    # --- class enrollments (checked, not kept) ------------------------------------------------

    def read_enrollments(self) -> None:
        name = spec.ENROLLMENTS
        columns = (
            "classSourcedId",
            "schoolSourcedId",
            "userSourcedId",
            "role",
            "primary",
            "beginDate",
            "endDate",
        )
        users = self.users
        delta_users = not self.bulk(spec.USERS)
        count = 0
        for row, values in self._records(name, columns):
            _sid, _status, _modified, klass, school, user, role, primary, begin, end = values
            count += 1
            self._required(name, row, "classSourcedId", klass)
            if self._required(name, row, "schoolSourcedId", school) and school not in self.orgs:
                self._org(name, row, "schoolSourcedId", school)
            # In a delta a class enrollment may name staff, whom wraparound does not keep.
            known = user in users or delta_users
            if self._required(name, row, "userSourcedId", user) and not known:
                self.error(
                    name, row, "userSourcedId", _("No user has sourcedId %(id)s.") % {"id": user}
                )
            if role not in spec.ENROLLMENT_ROLES and not spec.is_extension(role):
                self.error(
                    name,
                    row,
                    "role",
                    _("%(v)s is not a OneRoster enrollment role.") % {"v": role or '""'},
                )
            if primary:
                self._check_bool(name, row, "primary", primary)
            self._check_date(name, row, "beginDate", begin)
            self._check_date(name, row, "endDate", end)
        self.counts["class_enrollments"] = count
