"""Sessions from a CSV file: one row per student per session.

Columns (header required, in any order; extra columns are refused so a typo is not ignored):
`date,start_time,duration_minutes,modality,place,service_id,student_id,present,minutes,notes,
session_ref`.

- `date` YYYY-MM-DD; `start_time` HH:MM (optional); `duration_minutes` 1–600;
  `modality` in_person | virtual ("in person" is read too);
- `service_id` the service's id (required for a partner's file; a school's file may leave it
  empty for individual sessions);
- `student_id` the student's OneRoster sourcedId or their student id (identifier);
- `present` yes/no, true/false, 1/0 (empty: yes); `minutes` empty for the whole session;
- `session_ref`: rows sharing it form one **group** session and must agree on its date, time,
  duration, modality, place, service and notes; an empty `session_ref` makes the row an
  individual session.

Every row is checked before anything is written; one invalid row and nothing is (a dry run
never writes). Errors name the row (the header is row 1), the column and the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from wraparound.core.models import Organization, School
from wraparound.core.services import audit_record
from wraparound.directory.models import Service
from wraparound.students.models import Student

from . import session_services as services
from .models import Referral, SessionKind

COLUMNS = (
    "date",
    "start_time",
    "duration_minutes",
    "modality",
    "place",
    "service_id",
    "student_id",
    "present",
    "minutes",
    "notes",
    "session_ref",
)
SESSION_COLUMNS = (
    "date",
    "start_time",
    "duration_minutes",
    "modality",
    "place",
    "service_id",
    "notes",
)
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
TRUE = {"", "yes", "y", "true", "1", "present"}
FALSE = {"no", "n", "false", "0", "absent"}
# Which CSV column a service's field refusal belongs to.
FIELD_COLUMNS = {
    "date": "date",
    "duration_minutes": "duration_minutes",
    "modality": "modality",
    "service": "service_id",
    "school": "service_id",
    "kind": "session_ref",
    "attendance": "student_id",
}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    dry_run: bool
    rows: int = 0
    sessions: int = 0
    attendance: int = 0
    errors: list[RowError] = field(default_factory=list)
    session_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    number: int
    values: dict[str, str]
    student_id: int | None = None
    present: bool = True
    minutes: int | None = None


def _read(file: IO[Any] | bytes | str) -> tuple[list[str], list[dict[str, str]]]:
    raw: Any = file if isinstance(file, bytes | str) else file.read(MAX_BYTES + 1)
    if isinstance(raw, bytes):
        if len(raw) > MAX_BYTES:
            raise ValidationError(_("The file is larger than 2 MB; split it."))
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not UTF-8 text; save it as CSV UTF-8.")) from None
    reader = csv.DictReader(io.StringIO(raw))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    return header, [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _parse_time(value: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        return None


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def sessions_import_csv(
    *,
    user: Any,
    school: School,
    organization: Organization | None,
    file: IO[Any] | bytes | str,
    dry_run: bool,
) -> ImportResult:
    """Check every row; unless a dry run and only if every row is valid, write every session in
    one transaction. A file-level fault (size, encoding, columns) is a `ValidationError`."""
    services.check_logger(user, school, organization)
    header, records = _read(file)
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    if missing or extra:
        parts = []
        if missing:
            parts.append(_("missing columns: %(c)s") % {"c": ", ".join(missing)})
        if extra:
            parts.append(_("unknown columns: %(c)s") % {"c": ", ".join(extra)})
        raise ValidationError(
            _("The header is not right (%(what)s). Expected: %(cols)s.")
            % {"what": "; ".join(parts), "cols": ",".join(COLUMNS)}
        )
    if not records:
        raise ValidationError(_("The file has no rows under its header."))
    if len(records) > MAX_ROWS:
        raise ValidationError(_("The file has more than %(n)s rows; split it.") % {"n": MAX_ROWS})
    result = ImportResult(dry_run=dry_run, rows=len(records))
    errors = result.errors
    rows = [_Row(number=i + 2, values=v) for i, v in enumerate(records)]

    # Groups: rows sharing a session_ref, and each row without one on its own.
    groups: list[list[_Row]] = []
    by_ref: dict[str, list[_Row]] = {}
    for row in rows:
        ref = row.values.get("session_ref", "")
        if not ref:
            groups.append([row])
        elif ref in by_ref:
            by_ref[ref].append(row)
        else:
            by_ref[ref] = [row]
            groups.append(by_ref[ref])

    services_by_id = _services(rows, school, organization, errors)
    rosters: dict[int | None, dict[int, Referral | None]] = {}
    plans: list[services.Plan] = []
    for group in groups:
        plan = _plan_group(group, school, organization, services_by_id, rosters, errors)
        if plan is not None:
            plans.append(plan)
    errors.sort(key=lambda e: (e.row, COLUMNS.index(e.column) if e.column in COLUMNS else 99))
    result.sessions = len(plans)
    result.attendance = sum(len(p.attendance) for p in plans)
    if errors or dry_run:
        return result
    with transaction.atomic():
        for plan in plans:
            session = services.write_plan(user=user, plan=plan)
            result.session_ids.append(session.pk)
        audit_record(
            actor=user,
            action="session.import",
            target=school,
            network=school.network_id,
            data={
                "organization_id": organization.pk if organization else None,
                "sessions": result.sessions,
                "attendance": result.attendance,
            },
        )
    return result


def _services(
    rows: list[_Row], school: School, organization: Organization | None, errors: list[RowError]
) -> dict[int, Service]:
    ids = {i for r in rows if (i := _int(r.values.get("service_id", ""))) is not None}
    qs = Service.objects.filter(pk__in=ids, network_id=school.network_id)
    if organization is not None:
        qs = qs.filter(organization_id=organization.pk)
    return {s.pk: s for s in qs}


def _plan_group(
    group: list[_Row],
    school: School,
    organization: Organization | None,
    services_by_id: dict[int, Service],
    rosters: dict[int | None, dict[int, Referral | None]],
    errors: list[RowError],
) -> services.Plan | None:
    first = group[0]
    before = len(errors)
    for row in group[1:]:
        for column in SESSION_COLUMNS:
            if row.values.get(column, "") != first.values.get(column, ""):
                errors.append(
                    RowError(
                        row.number,
                        column,
                        _(
                            "Rows of session %(ref)s disagree on %(col)s (row %(first)s has "
                            "“%(value)s”)."
                        )
                        % {
                            "ref": first.values["session_ref"],
                            "col": column,
                            "first": first.number,
                            "value": first.values.get(column, ""),
                        },
                    )
                )
    v = first.values
    date = _parse_date(v["date"])
    if date is None:
        errors.append(RowError(first.number, "date", _("Not a date (YYYY-MM-DD).")))
    starts_at = None
    if v["start_time"]:
        starts_at = _parse_time(v["start_time"])
        if starts_at is None:
            errors.append(RowError(first.number, "start_time", _("Not a time (HH:MM).")))
    duration = _int(v["duration_minutes"])
    if duration is None:
        errors.append(
            RowError(first.number, "duration_minutes", _("Not a whole number of minutes."))
        )
    modality = v["modality"].lower().replace(" ", "_").replace("-", "_")
    service: Service | None = None
    if v["service_id"]:
        sid = _int(v["service_id"])
        service = services_by_id.get(sid) if sid is not None else None
        if service is None:
            errors.append(
                RowError(
                    first.number,
                    "service_id",
                    _("No service %(id)s among those this file may log.") % {"id": v["service_id"]},
                )
            )
    elif organization is not None:
        errors.append(RowError(first.number, "service_id", _("Give the service's id.")))
    if len(errors) > before:
        return None
    key = service.pk if service else None
    if key not in rosters:
        rosters[key] = services.roster_map(school, organization, service)
    roster = rosters[key]
    lookup = _student_lookup(roster)
    for row in group:
        ident = row.values["student_id"]
        student_id = lookup.get(ident) if ident else None
        if student_id is None:
            errors.append(
                RowError(
                    row.number,
                    "student_id",
                    _("Student %(id)s is not on the roster of this session.") % {"id": ident}
                    if ident
                    else _("Give the student's id."),
                )
            )
            continue
        row.student_id = student_id
        present = row.values["present"].lower()
        if present not in TRUE | FALSE:
            errors.append(RowError(row.number, "present", _("Write yes or no.")))
            continue
        row.present = present in TRUE
        if row.values["minutes"]:
            minutes = _int(row.values["minutes"])
            if minutes is None:
                errors.append(RowError(row.number, "minutes", _("Not a whole number.")))
                continue
            row.minutes = minutes
    if len(errors) > before:
        return None
    try:
        return services.plan_session(
            school=school,
            organization=organization,
            service=service,
            kind=SessionKind.GROUP if v["session_ref"] else SessionKind.INDIVIDUAL,
            date=date,
            starts_at=starts_at,
            duration_minutes=duration,
            modality=modality,
            place=v["place"],
            notes=v["notes"],
            attendance=[(r.student_id, r.present, r.minutes) for r in group if r.student_id],
            roster=roster,
        )
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            column = FIELD_COLUMNS.get(name, "session_ref")
            for message in messages:
                errors.append(RowError(first.number, column, message))
        return None


def _student_lookup(roster: dict[int, Referral | None]) -> dict[str, int]:
    """sourcedId and identifier → student id, for the roster's students only (an id outside
    it reads as "not on the roster", whether or not such a student exists elsewhere)."""
    out: dict[str, int] = {}
    for pk, sourced_id, identifier in Student.objects.filter(pk__in=list(roster)).values_list(
        "pk", "sourced_id", "identifier"
    ):
        out[sourced_id] = pk
        if identifier:
            out.setdefault(identifier, pk)
    return out
