"""Writes of service sessions: log, update, delete (the CSV import is in `session_csv`).

Who logs: a partner organization's users log its sessions (`access.can_log_partner_session`) at
schools where it has an open partnership (school or network-wide) or has received referrals; the
school's staff log their own (`access.can_log_school_session`, no organization).

What a session may record: a **group** session names a service and records attendance for its
roster (the students with a referral accepted or in service to that service at that school); an
**individual** session records one student — for a partner, a student on that roster; for a
school session, a roster student when it names a service, else any active student of the school.
Any student not on the roster is refused by id, whatever the form offered: nothing is written.

Attendance links the student's open referral for the service (`SessionAttendance.referral`);
referral state changes stay with the referral services.

Changing or deleting a session: whoever logged it, the organization's partner admins (partner
sessions) or the school's coordinators (school sessions), within 30 days of its being logged —
after that the figures have gone into monthly delivery reports, so a correction is a new session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.models import Organization, School
from wraparound.core.roles import Role
from wraparound.core.services import audit_record
from wraparound.directory.models import Service

from . import session_selectors as sel
from .models import Modality, Referral, ServiceSession, SessionAttendance, SessionKind

EDIT_WINDOW_DAYS = 30
MAX_DURATION = 600
AttendanceItem = tuple[int, bool, int | None]


@dataclass
class Plan:
    """A validated session, ready to write (the CSV dry run stops here)."""

    school: School
    organization: Organization | None
    service: Service | None
    kind: str
    date: dt.date
    starts_at: dt.time | None
    duration_minutes: int
    modality: str
    place: str
    notes: str
    attendance: list[AttendanceItem]
    referrals: dict[int, Referral | None]
    partnership_id: int | None


def check_logger(user: Any, school: School, organization: Organization | None) -> None:
    if organization is not None:
        if organization.network_id != school.network_id or not access.can_log_partner_session(
            user, organization.pk
        ):
            raise PermissionDenied
    elif not access.can_log_school_session(user, school):
        raise PermissionDenied


def roster_map(
    school: School, organization: Organization | None, service: Service | None
) -> dict[int, Referral | None]:
    """Student id → the referral that puts them on the roster (None for a school session
    without a service, whose roster is the school's students)."""
    if service is None:
        return {s.pk: None for s in sel.school_students(school)}
    return {r.student_id: r for r in sel.roster_referrals(school, service) if r.student_id}


def plan_session(
    *,
    school: School,
    organization: Organization | None,
    service: Service | None,
    kind: str,
    date: dt.date | None,
    starts_at: dt.time | None,
    duration_minutes: int | None,
    modality: str,
    place: str,
    notes: str,
    attendance: Sequence[AttendanceItem],
    roster: dict[int, Referral | None] | None = None,
) -> Plan:
    """Validate everything (no writes); `ValidationError` keyed by field names every fault."""
    errors: dict[str, list[str]] = {}

    def refuse(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    today = school.network.today()
    if kind not in SessionKind.values:
        refuse("kind", _("Choose individual or group."))
    if modality not in Modality.values:
        refuse("modality", _("Choose in person or virtual."))
    if duration_minutes is None or not 1 <= duration_minutes <= MAX_DURATION:
        refuse(
            "duration_minutes",
            _("The duration is in minutes, from 1 to %(max)s.") % {"max": MAX_DURATION},
        )
    if date is None:
        refuse("date", _("Give the session's date."))
    elif date > today:
        refuse(
            "date",
            _("The session's date cannot be in the future (today is %(today)s).")
            % {"today": today.isoformat()},
        )
    else:
        year = sel.current_school_year(school)
        if year is not None and date < year.start_date:
            refuse(
                "date",
                _("The date is before this school year (it began %(start)s).")
                % {"start": year.start_date.isoformat()},
            )
    partnership_id = None
    if organization is not None:
        if service is None:
            refuse("service", _("Choose one of the organization's services."))
        elif service.organization_id != organization.pk:
            refuse("service", _("That service is not one of the organization's."))
        elif not sel.partner_session_schools(organization).filter(pk=school.pk).exists():
            refuse(
                "school",
                _("%(org)s has no partnership and no referrals at %(school)s.")
                % {"org": organization.name, "school": school.name},
            )
        else:
            found = sel.session_partnership(
                organization=organization, school=school, service=service, day=date or today
            )
            partnership_id = found.pk if found else None
    elif service is not None and service.network_id != school.network_id:
        refuse("service", _("That service is not in this network."))
    if kind == SessionKind.GROUP and service is None and "service" not in errors:
        refuse("service", _("A group session takes attendance for a service's roster: choose one."))
    if errors.get("service"):
        raise ValidationError(errors)
    if roster is None:
        roster = roster_map(school, organization, service)
    seen: set[int] = set()
    rows: list[AttendanceItem] = []
    for student_id, present, minutes in attendance:
        if student_id in seen:
            refuse("attendance", _("Student %(id)s is listed twice.") % {"id": student_id})
            continue
        seen.add(student_id)
        if student_id not in roster:
            refuse(
                "attendance",
                _("Student %(id)s is not on this session's roster.") % {"id": student_id},
            )
            continue
        if (
            minutes is not None
            and duration_minutes is not None
            and not (0 <= minutes <= duration_minutes)
        ):
            refuse(
                "attendance",
                _("Minutes for student %(id)s must be between 0 and the session's %(max)s.")
                % {"id": student_id, "max": duration_minutes},
            )
        rows.append((student_id, bool(present), minutes))
    if kind == SessionKind.INDIVIDUAL and len(attendance) != 1:
        refuse("attendance", _("An individual session records exactly one student."))
    if kind == SessionKind.GROUP and not attendance:
        refuse("attendance", _("The roster is empty: nobody to take attendance for."))
    if errors:
        raise ValidationError(errors)
    assert date is not None and duration_minutes is not None
    return Plan(
        school=school,
        organization=organization,
        service=service,
        kind=kind,
        date=date,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        modality=modality,
        place=place.strip(),
        notes=notes.strip(),
        attendance=rows,
        referrals={sid: roster[sid] for sid, _p, _m in rows},
        partnership_id=partnership_id,
    )


def write_plan(*, user: Any, plan: Plan) -> ServiceSession:
    session = ServiceSession.objects.create(
        network_id=plan.school.network_id,
        school=plan.school,
        organization=plan.organization,
        service=plan.service,
        partnership_id=plan.partnership_id,
        kind=plan.kind,
        date=plan.date,
        starts_at=plan.starts_at,
        duration_minutes=plan.duration_minutes,
        modality=plan.modality,
        place=plan.place,
        notes=plan.notes,
        logged_by=user,
    )
    _write_attendance(session, plan)
    return session


def _write_attendance(session: ServiceSession, plan: Plan) -> None:
    SessionAttendance.objects.bulk_create(
        [
            SessionAttendance(
                session=session,
                student_id=sid,
                referral=plan.referrals.get(sid),
                present=present,
                minutes=minutes,
            )
            for sid, present, minutes in plan.attendance
        ]
    )


def _summary(plan: Plan) -> dict[str, Any]:
    return {
        "kind": plan.kind,
        "date": plan.date.isoformat(),
        "service_id": plan.service.pk if plan.service else None,
        "students": len(plan.attendance),
        "present": sum(1 for _s, p, _m in plan.attendance if p),
    }


@transaction.atomic
def session_log(
    *,
    user: Any,
    school: School,
    organization: Organization | None,
    service: Service | None,
    kind: str,
    date: dt.date | None,
    starts_at: dt.time | None,
    duration_minutes: int | None,
    modality: str,
    place: str,
    notes: str,
    attendance: Sequence[AttendanceItem],
) -> ServiceSession:
    check_logger(user, school, organization)
    plan = plan_session(
        school=school,
        organization=organization,
        service=service,
        kind=kind,
        date=date,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        modality=modality,
        place=place,
        notes=notes,
        attendance=attendance,
    )
    session = write_plan(user=user, plan=plan)
    audit_record(
        actor=user,
        action="session.log",
        target=session,
        network=school.network_id,
        data=_summary(plan),
    )
    return session


def update_roster(session: ServiceSession) -> dict[int, Referral | None]:
    """The roster when changing a session: today's, plus whoever the session already records
    (a student whose referral has since closed stays correctable)."""
    roster = roster_map(session.school, session.organization, session.service)
    for row in session.attendance.select_related("referral"):
        roster.setdefault(row.student_id, row.referral)
    return roster


def can_change(user: Any, session: ServiceSession) -> bool:
    """Who logged it, or the organization's partner admins / the school's coordinators."""
    if session.created_at < timezone.now() - dt.timedelta(days=EDIT_WINDOW_DAYS):
        return False
    if session.logged_by_id == user.pk:
        return True
    g = access.grants(user)
    if session.organization_id is not None:
        return session.organization_id in g.organizations_with(Role.PARTNER_ADMIN)
    return session.school_id in g.schools_with(Role.SCHOOL_COORDINATOR)


def _check_change(user: Any, session: ServiceSession) -> None:
    if not can_change(user, session):
        raise PermissionDenied(
            _(
                "Only who logged a session, or an administrator, may change it, "
                "within %(days)s days."
            )
            % {"days": EDIT_WINDOW_DAYS}
        )


@transaction.atomic
def session_update(
    *,
    user: Any,
    session: ServiceSession,
    date: dt.date | None,
    starts_at: dt.time | None,
    duration_minutes: int | None,
    modality: str,
    place: str,
    notes: str,
    attendance: Sequence[AttendanceItem],
) -> ServiceSession:
    """Change a session's details and attendance (its school, organization, service and kind
    stay: a different service is a different session)."""
    locked = ServiceSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
    _check_change(user, locked)
    roster = update_roster(locked)
    plan = plan_session(
        roster=roster,
        school=session.school,
        organization=session.organization,
        service=session.service,
        kind=locked.kind,
        date=date,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        modality=modality,
        place=place,
        notes=notes,
        attendance=attendance,
    )
    for name in ("date", "starts_at", "duration_minutes", "modality", "place", "notes"):
        setattr(locked, name, getattr(plan, name))
    locked.partnership_id = plan.partnership_id if locked.organization_id else None
    locked.save()
    locked.attendance.all().delete()
    _write_attendance(locked, plan)
    audit_record(
        actor=user,
        action="session.update",
        target=locked,
        network=locked.network_id,
        data=_summary(plan),
    )
    return locked


@transaction.atomic
def session_delete(*, user: Any, session: ServiceSession) -> None:
    locked = ServiceSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
    _check_change(user, locked)
    audit_record(
        actor=user,
        action="session.delete",
        target=locked,
        network=locked.network_id,
        data={"date": locked.date.isoformat(), "service_id": locked.service_id},
    )
    locked.delete()
