"""Reads of service sessions: rosters, lists, a student's dosage, and delivered against promised.

Who sees what (from `core.access`):

- a school's sessions (its own staff's and its partners'): the school's officials
  (`access.student_filter` — the school's roles, network admins and network clinical supervisors);
- an organization's sessions: its partner users and the network's admins
  (`access.get_organization_for_user`);
- a roster or a session's attendance: school officials see whole names; partner users see the
  referred students only through `visibility.partner_views` (which logs each read);
- a student's dosage: the school's officials; partner users only for students referred to their
  organization, and only their own organization's sessions;
- delivered against promised: whoever reads the partnership (`agreements.selectors`).

Delivered against promised (`partnership_delivery`). For each deliverable of the MOU in force
(the signed version of an agreement in force, else the latest version of the newest agreement):

- periods: weekly = 7 days, monthly = 365/12 days, termly = 365/3 days, yearly = 365 days, once
  = one period whatever the length. "To date" runs from the term's start to today (or the
  term's end), both days counted; "whole term" is the whole term.
- cumulative units (sessions, events, hours, slots) promise `quantity` per period:
  expected = quantity × periods elapsed (rounded to one decimal). Students and families are
  people: a caseload of `quantity` held over the term, so expected = quantity for both.
- delivered, from the organization's sessions of the deliverable's service (every service of
  the partnership when the deliverable names none) in the term up to today, linked to the
  partnership (or, unlinked, at the partnership's school): sessions and events = sessions;
  hours = session hours (Σ durations); student hours = Σ over present attendance of its minutes
  or else the session's duration; slots = present attendances; students = distinct present
  students; families = those students grouped by shared guardians (siblings are one family; a
  student without a recorded guardian is a family of their own).
- percentage = delivered / expected to date; on track when it is at least 90 % (or nothing is
  expected yet). The deliverable's tier is shown, not filtered on.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from wraparound.agreements.models import (
    Agreement,
    AgreementVersion,
    Deliverable,
    Partnership,
)
from wraparound.agreements.models.mou import (
    IN_FORCE_STATUSES,
    DeliverableFrequency,
    DeliverableUnit,
)
from wraparound.agreements.selectors import get_partnership_for_user
from wraparound.core import access
from wraparound.core.models import Organization, School, SchoolYear
from wraparound.core.roles import PARTNER_ROLES, SCHOOL_ROLES, Role
from wraparound.directory.models import Service
from wraparound.students import visibility
from wraparound.students.models import Student, StudentGuardian

from .models import (
    PARTNER_VISIBLE_STATUSES,
    Referral,
    ReferralStatus,
    ServiceSession,
    SessionAttendance,
)

# A roster holds the students the service is serving (or has just accepted).
ROSTER_STATUSES = (ReferralStatus.IN_SERVICE, ReferralStatus.ACCEPTED)
ON_TRACK_SHARE = 0.9
PERIOD_DAYS: dict[str, float | None] = {
    DeliverableFrequency.ONCE: None,
    DeliverableFrequency.WEEKLY: 7.0,
    DeliverableFrequency.MONTHLY: 365 / 12,
    DeliverableFrequency.TERMLY: 365 / 3,
    DeliverableFrequency.YEARLY: 365.0,
}
PEOPLE_UNITS = (DeliverableUnit.STUDENTS, DeliverableUnit.FAMILIES)


# --- rosters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterEntry:
    """One student a session may record, labelled as the viewer may see them."""

    student: Student
    label: str
    referral: Referral | None


def roster_referrals(school: School, service: Service) -> list[Referral]:
    """The service's open referrals at the school whose students it serves (one per student,
    in service before accepted). No permission check: callers scope first."""
    rows = (
        Referral.objects.filter(
            school_id=school.pk,
            service_id=service.pk,
            status__in=ROSTER_STATUSES,
            student__isnull=False,
        )
        .select_related("student__school", "organization", "network")
        .order_by("student__family_name", "student__given_name", "student_id", "-status", "id")
    )
    seen: set[int] = set()
    out: list[Referral] = []
    for referral in rows:
        if referral.student_id in seen:
            continue
        seen.add(referral.student_id)  # type: ignore[arg-type]
        out.append(referral)
    return out


def school_students(school: School) -> list[Student]:
    return list(Student.objects.filter(school_id=school.pk, is_active=True))


def _sees_whole(user: Any, school: School) -> bool:
    return access.is_school_official(user, school)


def session_roster(
    user: Any, school: School, service: Service | None, *, organization: Organization | None = None
) -> list[RosterEntry]:
    """The students a session of `service` at `school` may record. With an organization (a
    partner session) the viewer must be one of its partner users and sees names only as
    allowed; without one (a school session) the viewer must log the school's sessions, and with
    no service the roster is the school's students (individual sessions only)."""
    if organization is not None:
        if not access.can_log_partner_session(user, organization.pk):
            raise PermissionDenied
        if service is None or service.organization_id != organization.pk:
            return []
        referrals = roster_referrals(school, service)
        reads = visibility.partner_views(
            user=user, referrals=referrals, purpose="session attendance"
        )
        return [
            RosterEntry(student=r.view.student, label=r.view.display_name, referral=r.referral)
            for r in reads
        ]
    if not (access.can_log_school_session(user, school) or _sees_whole(user, school)):
        raise PermissionDenied
    if service is None:
        return [
            RosterEntry(student=s, label=s.display_name, referral=None)
            for s in school_students(school)
        ]
    return [
        RosterEntry(student=r.student, label=r.student.display_name, referral=r)
        for r in roster_referrals(school, service)
        if r.student is not None
    ]


def partner_session_schools(organization: Organization) -> QuerySet[School]:
    """Schools where the organization may log sessions: an open partnership there (or a
    network-wide one: every school of the network), or referrals it has received there."""
    from wraparound.agreements.models import OPEN_STATUSES

    network_wide = Partnership.objects.filter(
        organization_id=organization.pk, school__isnull=True, status__in=OPEN_STATUSES
    ).exists()
    schools = School.objects.filter(network_id=organization.network_id)
    if network_wide:
        return schools.order_by("name")
    return schools.filter(
        Q(
            id__in=Partnership.objects.filter(
                organization_id=organization.pk, status__in=OPEN_STATUSES
            ).values("school_id")
        )
        | Q(
            id__in=Referral.objects.filter(
                organization_id=organization.pk, status__in=PARTNER_VISIBLE_STATUSES
            ).values("school_id")
        )
    ).order_by("name")


def school_session_services(school: School) -> QuerySet[Service]:
    """Services a school session may name: those with an open partnership or referrals there."""
    from wraparound.agreements.models import OPEN_STATUSES

    return (
        Service.objects.filter(network_id=school.network_id)
        .filter(
            Q(
                id__in=Partnership.objects.filter(
                    school_id=school.pk, status__in=OPEN_STATUSES
                ).values("service_id")
            )
            | Q(id__in=Referral.objects.filter(school_id=school.pk).values("service_id"))
        )
        .select_related("organization")
        .order_by("name")
    )


def organization_services(organization: Organization) -> QuerySet[Service]:
    return Service.objects.filter(organization_id=organization.pk).order_by("name")


def session_partnership(
    *, organization: Organization, school: School, service: Service, day: dt.date
) -> Partnership | None:
    """The open partnership a partner session belongs to: the school's own for the service
    (the one whose school year holds the day first), else a network-wide one."""
    from wraparound.agreements.models import OPEN_STATUSES

    rows = list(
        Partnership.objects.filter(
            Q(school_id=school.pk) | Q(school__isnull=True, network_id=school.network_id),
            organization_id=organization.pk,
            service_id=service.pk,
            status__in=OPEN_STATUSES,
        ).select_related("school_year")
    )
    rows.sort(
        key=lambda p: (
            p.school_id is None,
            not (p.school_year.start_date <= day <= p.school_year.end_date),
            -p.pk,
        )
    )
    return rows[0] if rows else None


# --- lists -------------------------------------------------------------------------------------


def session_filter(user: Any) -> Q:
    """Sessions the user may open: school officials' schools, partner users' organizations."""
    return access.student_filter(user) | Q(organization_id__in=access.partner_organizations(user))


def _attendance_count(**where: Any) -> Coalesce:
    rows = (
        SessionAttendance.objects.filter(session_id=OuterRef("pk"), **where)
        .order_by()
        .values("session_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)


def _listed(qs: QuerySet[ServiceSession]) -> QuerySet[ServiceSession]:
    # Counted per listed row (correlated subqueries), not by grouping every session of the
    # school or organization before the page's LIMIT: a partner in `city` has thousands.
    return qs.select_related("school", "organization", "service", "logged_by").annotate(
        present_count=_attendance_count(present=True),
        roster_count=_attendance_count(),
    )


def sessions_for_school(user: Any, school: School) -> QuerySet[ServiceSession]:
    """Every session at the school (its staff's and its partners'), for the school's officials.
    A reader of the school who is not an official gets a 403; anyone else never got the school."""
    if not _sees_whole(user, school):
        raise PermissionDenied
    return _listed(ServiceSession.objects.filter(school_id=school.pk))


def sessions_for_organization(user: Any, organization: Organization) -> QuerySet[ServiceSession]:
    """The organization's sessions, for its partner users and the network's admins (who got the
    organization from `access.get_organization_for_user`)."""
    if not (
        access.can_log_partner_session(user, organization.pk)
        or access.is_network_admin(user, organization.network_id)
    ):
        raise Http404
    return _listed(ServiceSession.objects.filter(organization_id=organization.pk))


def get_session_for_user(user: Any, pk: Any) -> ServiceSession:
    try:
        return (
            ServiceSession.objects.filter(session_filter(user))
            .select_related("school", "organization", "service", "logged_by", "network")
            .get(pk=pk)
        )
    except (ServiceSession.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass(frozen=True)
class AttendanceLine:
    row: SessionAttendance
    label: str

    @property
    def minutes(self) -> int:
        return _row_minutes(self.row)


def session_attendance(user: Any, session: ServiceSession) -> list[AttendanceLine]:
    """The session's attendance as the viewer may see it (names through `partner_views` for
    partner users who are not also the school's officials)."""
    rows = list(
        session.attendance.select_related(
            "student", "referral__student__school", "referral__organization", "referral__network"
        ).order_by("student__family_name", "student__given_name", "student_id")
    )
    for row in rows:
        row.session = session
    if _sees_whole(user, session.school):
        return [AttendanceLine(row, row.student.display_name) for row in rows]
    referrals = [row.referral for row in rows if row.referral is not None]
    reads = visibility.partner_views(user=user, referrals=referrals, purpose="session attendance")
    labels = {read.referral.pk: read.view.display_name for read in reads}
    hidden = _("Student %(id)s (name not shared)")
    return [
        AttendanceLine(
            row,
            labels.get(row.referral_id or 0) or hidden % {"id": row.student_id},
        )
        for row in rows
    ]


# --- dosage ------------------------------------------------------------------------------------


def _row_minutes(row: SessionAttendance) -> int:
    return row.minutes if row.minutes is not None else row.session.duration_minutes


@dataclass
class ServiceDosage:
    service_id: int | None
    service: str
    organization: str
    sessions: int = 0
    minutes: int = 0

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


@dataclass
class Dosage:
    student: Student
    sessions: int = 0
    minutes: int = 0
    by_service: list[ServiceDosage] = field(default_factory=list)
    rows: list[SessionAttendance] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


def get_student_for_dosage(user: Any, pk: Any) -> Student:
    """A student whose dosage the user may read: school officials (anyone else: 404)."""
    try:
        return (
            Student.objects.filter(access.student_filter(user)).select_related("school").get(pk=pk)
        )
    except (Student.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def student_dosage(user: Any, student: Student) -> Dosage:
    """The sessions the student attended (present), in total and by service. School officials
    see every session; a partner user only their organizations' sessions, and only for a
    student referred to them (otherwise a 404)."""
    sessions = ServiceSession.objects.all()
    if student.school is None or not _sees_whole(user, student.school):
        orgs = access.partner_organizations(user)
        referred = Referral.objects.filter(
            student_id=student.pk,
            organization_id__in=orgs,
            status__in=PARTNER_VISIBLE_STATUSES,
        ).values_list("organization_id", flat=True)
        orgs = frozenset(referred)
        if not orgs:
            raise Http404
        sessions = sessions.filter(organization_id__in=orgs)
    rows = list(
        SessionAttendance.objects.filter(student_id=student.pk, present=True, session__in=sessions)
        .select_related("session__service", "session__organization", "session__school")
        .order_by("-session__date", "-session_id")
    )
    dosage = Dosage(student=student, rows=rows)
    groups: dict[tuple[int | None, int | None], ServiceDosage] = {}
    for row in rows:
        session = row.session
        key = (session.service_id, session.organization_id)
        if key not in groups:
            groups[key] = ServiceDosage(
                service_id=session.service_id,
                service=session.service.name if session.service else _("(no service named)"),
                organization=(
                    session.organization.name if session.organization else _("the school")
                ),
            )
        minutes = _row_minutes(row)
        groups[key].sessions += 1
        groups[key].minutes += minutes
        dosage.sessions += 1
        dosage.minutes += minutes
    dosage.by_service = sorted(groups.values(), key=lambda g: (-g.minutes, g.service))
    return dosage


# --- delivered against promised -------------------------------------------------------------


@dataclass
class DeliveryRow:
    deliverable: Deliverable
    expected_to_date: float
    expected_term: float
    delivered: float
    sessions: int
    hours: float
    student_hours: float
    slots: int
    students: int
    families: int

    @property
    def percentage(self) -> int | None:
        if self.expected_to_date <= 0:
            return None
        return round(100 * self.delivered / self.expected_to_date)

    @property
    def on_track(self) -> bool:
        return (
            self.expected_to_date <= 0 or self.delivered >= ON_TRACK_SHARE * self.expected_to_date
        )


@dataclass
class Delivery:
    partnership: Partnership
    agreement: Agreement | None
    version: AgreementVersion | None
    day: dt.date
    rows: list[DeliveryRow]


def mou_version(partnership: Partnership) -> tuple[Agreement | None, AgreementVersion | None]:
    """The MOU whose deliverables count: the signed version of an agreement in force, else the
    latest version of the newest agreement."""
    agreements = list(
        Agreement.objects.filter(partnership_id=partnership.pk)
        .select_related("signed_version", "current_version")
        .order_by("-created_at", "-id")
    )
    for agreement in agreements:
        if agreement.status in IN_FORCE_STATUSES and agreement.signed_version is not None:
            return agreement, agreement.signed_version
    for agreement in agreements:
        if agreement.current_version is not None:
            return agreement, agreement.current_version
    return None, None


def periods(frequency: str, start: dt.date, end: dt.date) -> float:
    """How many periods of `frequency` the days start..end (both counted) hold."""
    if end < start:
        return 0.0
    length = PERIOD_DAYS.get(frequency)
    if length is None:
        return 1.0
    return ((end - start).days + 1) / length


def _families(student_ids: set[int]) -> int:
    """Students grouped by shared guardians (union-find over the guardian links)."""
    parent = {sid: sid for sid in student_ids}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_guardian: dict[int, list[int]] = defaultdict(list)
    for sid, gid in StudentGuardian.objects.filter(student_id__in=student_ids).values_list(
        "student_id", "guardian_id"
    ):
        by_guardian[gid].append(sid)
    for members in by_guardian.values():
        root = find(members[0])
        for other in members[1:]:
            parent[find(other)] = root
    return len({find(sid) for sid in student_ids})


def _delivered_sessions(
    partnership: Partnership, service_id: int | None, start: dt.date, end: dt.date
) -> QuerySet[ServiceSession]:
    linked = Q(partnership_id=partnership.pk)
    if partnership.school_id is not None:
        linked |= Q(partnership__isnull=True, school_id=partnership.school_id)
    qs = ServiceSession.objects.filter(
        linked, organization_id=partnership.organization_id, date__gte=start, date__lte=end
    )
    if service_id is not None:
        qs = qs.filter(service_id=service_id)
    elif partnership.service_id is not None:
        qs = qs.filter(service_id=partnership.service_id)
    return qs


def _evaluator_only(user: Any, partnership: Partnership) -> bool:
    """The user reads the partnership only as the network's evaluator."""
    g = access.grants(user)
    return (
        partnership.network_id in g.networks_with(Role.NETWORK_EVALUATOR)
        and not access.is_network_admin(user, partnership.network_id)
        and partnership.network_id not in g.networks_with(Role.CLINICAL_SUPERVISOR)
        and (
            partnership.school_id is None
            or partnership.school_id not in g.schools_with(*SCHOOL_ROLES)
        )
        and partnership.organization_id not in g.organizations_with(*PARTNER_ROLES)
    )


def partnership_delivery(user: Any, partnership: Partnership | int) -> Delivery:
    """Delivered against promised for each deliverable of the partnership's MOU (see the module
    docstring for the arithmetic). The partnership must be one the user reads (else 404)."""
    pk = partnership.pk if isinstance(partnership, Partnership) else partnership
    found = get_partnership_for_user(user, pk)
    if _evaluator_only(user, found):
        # Counts of students served can be one child; evaluators get small-cell-suppressed
        # aggregates (DESIGN.md §1), which the outcomes reports give them.
        raise PermissionDenied
    day = found.network.today() if hasattr(found, "network") else dt.date.today()
    agreement, version = mou_version(found)
    return Delivery(found, agreement, version, day, delivery_rows(found, version, day))


def delivery_rows(
    partnership: Partnership, version: AgreementVersion | None, day: dt.date
) -> list[DeliveryRow]:
    """Delivered against promised for each deliverable of the MOU version, on `day` (no viewer
    check: `partnership_delivery` and the outcome dashboards check first)."""
    found = partnership
    if version is None:
        return []
    start, term_end = version.term_start, version.term_end
    end = min(day, term_end)
    rows: list[DeliveryRow] = []
    for deliverable in version.deliverables.all():
        sessions = list(
            _delivered_sessions(found, deliverable.service_id, start, end).prefetch_related(
                "attendance"
            )
        )
        session_minutes = sum(s.duration_minutes for s in sessions)
        student_minutes = 0
        slots = 0
        students: set[int] = set()
        for session in sessions:
            for row in session.attendance.all():
                if not row.present:
                    continue
                row.session = session
                student_minutes += _row_minutes(row)
                slots += 1
                students.add(row.student_id)
        families = _families(students) if students else 0
        measures: dict[str, float] = {
            DeliverableUnit.SESSIONS: len(sessions),
            DeliverableUnit.EVENTS: len(sessions),
            DeliverableUnit.HOURS: round(session_minutes / 60, 2),
            DeliverableUnit.SLOTS: slots,
            DeliverableUnit.STUDENTS: len(students),
            DeliverableUnit.FAMILIES: families,
        }
        if deliverable.unit in PEOPLE_UNITS:
            to_date = float(deliverable.quantity) if day >= start else 0.0
            term = float(deliverable.quantity)
        else:
            to_date = round(deliverable.quantity * periods(deliverable.frequency, start, end), 1)
            term = round(deliverable.quantity * periods(deliverable.frequency, start, term_end), 1)
        rows.append(
            DeliveryRow(
                deliverable=deliverable,
                expected_to_date=to_date,
                expected_term=term,
                delivered=measures.get(deliverable.unit, 0),
                sessions=len(sessions),
                hours=round(session_minutes / 60, 2),
                student_hours=round(student_minutes / 60, 2),
                slots=slots,
                students=len(students),
                families=families,
            )
        )
    return rows


def current_school_year(school: School) -> SchoolYear | None:
    return SchoolYear.objects.filter(network_id=school.network_id, is_current=True).first()
