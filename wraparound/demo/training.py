"""Professional development for a demo network (issue 8).

Four topics, each required of its audience: trauma-informed practice (school and partner staff,
no renewal), anti-bias practice (both, every 24 months), FERPA and student privacy (partner staff,
every 12 months; it satisfies the network's FERPA clearance requirement when the network has
one) and mandated reporting (both, every 24 months; it satisfies the child-abuse-prevention
training requirement when there is one). Ten trainings spread over the current school year: those
already held have their attendance taken (most completed with a certificate, a few attended
without completing, a few absent), those to come have registrations within their capacity. The
demo logins are among the people: the partner-staff login completed FERPA, the school-staff login
is registered for an upcoming training, the coordinator never came (the compliance view shows
them missing). Attendees are drawn from the network's school and partner users and campus staff,
at most `MAX_PER_TRAINING` a training, so `city` stays as quick as `small`.

Completions of a topic that satisfies a clearance requirement write the cleared records the
attendance service would (`training.services`), in bulk.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from wraparound.agreements.clearance import valid_through
from wraparound.agreements.models import (
    ClearanceRecord,
    ClearanceRequirement,
    RecordStatus,
    RequirementKind,
    RequirementSubject,
    StaffMember,
)
from wraparound.core.models import Membership
from wraparound.core.roles import PARTNER_ROLES, SCHOOL_ROLES, Role
from wraparound.training.models import (
    Attendance,
    AttendanceStatus,
    Audience,
    Training,
    TrainingTopic,
)

if TYPE_CHECKING:
    from .generate import DemoData

MAX_PER_TRAINING = 40


@dataclass(frozen=True)
class TopicSpec:
    name: str
    description: str
    hours: str
    audience: str
    renewal_months: int | None
    satisfies: str | None  # a RequirementKind


TOPICS = (
    TopicSpec(
        "Trauma-informed practice",
        "How trauma shows up in school and how adults respond: regulation, relationships, "
        "predictable routines.",
        "3.0",
        Audience.BOTH,
        None,
        None,
    ),
    TopicSpec(
        "Anti-bias practice",
        "Recognizing bias in referrals, discipline and family engagement; practices that "
        "interrupt it.",
        "2.5",
        Audience.BOTH,
        24,
        None,
    ),
    TopicSpec(
        "FERPA and student privacy",
        "What FERPA allows a community partner to see and share, and the network's data-sharing "
        "terms.",
        "1.5",
        Audience.PARTNER,
        12,
        RequirementKind.FERPA_TRAINING,
    ),
    TopicSpec(
        "Mandated reporting",
        "Identifying and reporting suspected child abuse and maltreatment (New York State).",
        "2.0",
        Audience.BOTH,
        24,
        RequirementKind.CHILD_ABUSE_TRAINING,
    ),
)

# (topic index, months after the school year starts, day, hour, title, place, capacity)
SCHEDULE = (
    (0, 0, 20, 9, "Trauma-informed practice: foundations", "District office, room 210", 60),
    (2, 0, 27, 15, "FERPA for community partners", "", 100),
    (1, 1, 15, 9, "Anti-bias practice: referrals and discipline", "Borough hall auditorium", 80),
    (3, 2, 5, 15, "Mandated reporting", "", 100),
    (2, 3, 10, 15, "FERPA for community partners (winter)", "", 100),
    (0, 4, 22, 9, "Trauma-informed practice: classroom routines", "District office, room 210", 40),
    (1, 6, 12, 9, "Anti-bias practice: family engagement", "Borough hall auditorium", 80),
    (3, 7, 9, 15, "Mandated reporting (spring)", "", 100),
    (2, 8, 14, 15, "FERPA for community partners (spring)", "", 100),
    (0, 9, 11, 9, "Trauma-informed practice: restorative circles", "District office, room 210", 30),
)


def reset_training(network_id: int) -> None:
    """Delete a network's trainings before its campus staff and clearance records go
    (`agreements.reset_agreements` deletes those with plain SQL)."""
    Attendance.clearance_records.through.objects.filter(attendance__network_id=network_id).delete()
    Attendance.objects.filter(network_id=network_id).delete()
    Training.objects.filter(network_id=network_id).delete()
    TrainingTopic.objects.filter(network_id=network_id).delete()


def _month(start: dt.date, months: int, day: int) -> dt.date:
    year = start.year + (start.month - 1 + months) // 12
    month = (start.month - 1 + months) % 12 + 1
    return dt.date(year, month, min(day, 28))


def generate_training(data: DemoData, rng: random.Random) -> dict[str, int]:
    network = data.network
    current = next((y for y in data.school_years if y.is_current), None)
    if current is None:
        return {"trainings": 0}
    tz = network.tzinfo
    now = timezone.now()
    requirements = {
        r.kind: r
        for r in ClearanceRequirement.objects.filter(
            network=network, applies_to=RequirementSubject.PERSON, is_active=True
        )
    }
    topics = TrainingTopic.objects.bulk_create(
        TrainingTopic(
            network=network,
            name=spec.name,
            description=spec.description,
            default_hours=Decimal(spec.hours),
            audience=spec.audience,
            is_required=True,
            renewal_months=spec.renewal_months,
            clearance_requirement=requirements.get(spec.satisfies) if spec.satisfies else None,
        )
        for spec in TOPICS
    )
    admin = next((m.user for m in data.memberships if m.role == Role.NETWORK_ADMIN), None)
    trainings = Training.objects.bulk_create(
        Training(
            network=network,
            topic=topics[t],
            title=title,
            starts_at=dt.datetime.combine(
                _month(current.start_date, months, day), dt.time(hour), tzinfo=tz
            ),
            hours=topics[t].default_hours,
            location=place,
            virtual_url="" if place else "https://meet.example.org/wraparound-training",
            trainer_name=rng.choice(
                ["Dr. Ana Ruiz", "Marcus Bell, LCSW", "Priya Natarajan", "Network training team"]
            ),
            capacity=capacity,
            audience=topics[t].audience,
            created_by=admin,
            created_at=now,
        )
        for t, months, day, hour, title, place, capacity in SCHEDULE
    )

    # The audience: school and partner users (by membership) and campus staff.
    school_users: dict[int, int] = {}  # user → school
    partner_users: dict[int, int] = {}  # user → organization
    rows = Membership.objects.filter(network=network, is_active=True).filter(
        Q(role__in=SCHOOL_ROLES, school__isnull=False)
        | Q(role__in=PARTNER_ROLES, organization__isnull=False)
    )
    for user_id, school_id, org_id in rows.values_list(
        "user_id", "school_id", "organization_id"
    ).order_by("pk"):
        if school_id:
            school_users.setdefault(user_id, school_id)
        else:
            partner_users.setdefault(user_id, org_id)
    staff: list[tuple[int, int, int | None]] = list(
        StaffMember.objects.filter(network=network, is_active=True)
        .order_by("pk")
        .values_list("pk", "organization_id", "user_id")
    )
    linked_users = {u for _, _, u in staff if u is not None}
    partner_login = next(
        (m.user_id for m in data.memberships if m.role == Role.PARTNER_STAFF), None
    )
    staff_login = next((m.user_id for m in data.memberships if m.role == Role.SCHOOL_STAFF), None)
    coordinator = next(
        (m.user_id for m in data.memberships if m.role == Role.SCHOOL_COORDINATOR), None
    )
    # The partner-staff login is on its organization's campus staff list (agreements demo).
    login_staff = _login_staff(staff, partner_login)
    partner_key = ("s", login_staff) if login_staff is not None else ("u", partner_login)

    attendances: list[Attendance] = []
    for training in trainings:
        held = training.starts_at <= now
        people: list[tuple[str, int, int | None, int | None]] = []  # kind, id, school, org
        if training.audience != Audience.PARTNER:
            people += [("u", u, s, None) for u, s in school_users.items() if u != coordinator]
        if training.audience != Audience.SCHOOL:
            people += [("u", u, None, o) for u, o in partner_users.items() if u not in linked_users]
            people += [("s", pk, None, org) for pk, org, _ in staff]
        size = min(len(people), MAX_PER_TRAINING, training.capacity or MAX_PER_TRAINING)
        if not held:
            size = min(size, max(1, (training.capacity or size) // 3))
        chosen = rng.sample(people, size) if size < len(people) else list(people)
        # The demo logins' own records: the partner-staff login completed FERPA; the
        # school-staff login is registered for what comes.
        wanted: tuple[str, int | None] | None = None
        if held and training.audience == Audience.PARTNER:
            wanted = partner_key
        elif not held and training.audience != Audience.PARTNER:
            wanted = ("u", staff_login)
        if wanted is not None and wanted[1] is not None:
            row = next((p for p in people if p[:2] == wanted), None)
            if row is not None and row not in chosen:
                chosen = [row, *chosen[: max(0, size - 1)]]
        day = timezone.localtime(training.starts_at, tz).date()
        for kind, pk, from_school, from_org in chosen:
            if held:
                roll = rng.random()
                status = (
                    AttendanceStatus.COMPLETED
                    if roll < 0.84 or (kind, pk) == partner_key
                    else AttendanceStatus.ATTENDED
                    if roll < 0.9
                    else AttendanceStatus.ABSENT
                )
            else:
                status = AttendanceStatus.REGISTERED
            is_done = status == AttendanceStatus.COMPLETED
            attendances.append(
                Attendance(
                    network=network,
                    training=training,
                    user_id=pk if kind == "u" else None,
                    staff_member_id=pk if kind == "s" else None,
                    school_id=from_school,
                    organization_id=from_org,
                    status=status,
                    hours_credited=training.hours if status in ("completed", "attended") else None,
                    completed_on=day if is_done else None,
                    registered_at=training.starts_at - dt.timedelta(days=rng.randint(3, 30)),
                    registered_by=admin,
                    recorded_at=training.starts_at + dt.timedelta(hours=4) if held else None,
                    recorded_by=admin if held else None,
                )
            )
    Attendance.objects.bulk_create(attendances, batch_size=1000)
    # Certificate numbers need the ids (PostgreSQL and SQLite both return them from bulk_create).
    by_training = {t.pk: t for t in trainings}
    order = {t.pk: i for i, t in enumerate(trainings, start=1)}
    completed = [a for a in attendances if a.status == AttendanceStatus.COMPLETED]
    # Numbered by position, not primary key, so that a re-seed gives the same numbers; the "D"
    # keeps them apart from the numbers the app gives (year-training-attendance ids).
    for i, a in enumerate(completed, start=1):
        t = by_training[a.training_id]
        a.certificate_number = f"D{t.starts_at.year}-{order[t.pk]:04d}-{i:05d}"
    Attendance.objects.bulk_update(completed, ["certificate_number"], batch_size=1000)

    # The clearance records completions of a satisfying topic stand for.
    staff_org = {pk: org for pk, org, _ in staff}
    staff_by_user = {u: pk for pk, _, u in staff if u is not None}
    # People the agreements demo already gave a record of the requirement keep the story it tells
    # (a FERPA training about to expire, a paper certificate); the training fills the others in.
    on_file = set(
        ClearanceRecord.objects.filter(network=network, person__isnull=False).values_list(
            "person_id", "requirement_id"
        )
    )
    records: list[ClearanceRecord] = []
    links: list[tuple[Attendance, int]] = []
    for a in completed:
        t = by_training[a.training_id]
        requirement = t.topic.clearance_requirement
        person = a.staff_member_id or staff_by_user.get(a.user_id or 0)
        if requirement is None or person is None or (person, requirement.pk) in on_file:
            continue
        on_file.add((person, requirement.pk))
        issued = timezone.localtime(t.starts_at, tz).date()
        records.append(
            ClearanceRecord(
                network=network,
                requirement=requirement,
                organization_id=staff_org[person],
                person_id=person,
                status=RecordStatus.CLEARED,
                issued_on=issued,
                expires_on=valid_through(issued, requirement.validity_months),
                reference=f"Training: {t.title} (certificate {a.certificate_number})"[:100],
                note="Recorded from the training's attendance.",
                submitted_at=t.starts_at + dt.timedelta(hours=4),
                submitted_by=admin,
                reviewed_at=t.starts_at + dt.timedelta(hours=4, minutes=1),
                reviewed_by=admin,
            )
        )
        links.append((a, len(records) - 1))
    ClearanceRecord.objects.bulk_create(records, batch_size=1000)
    through = Attendance.clearance_records.through
    through.objects.bulk_create(
        [through(attendance_id=a.pk, clearancerecord_id=records[i].pk) for a, i in links],
        batch_size=1000,
    )
    return {
        "training topics": len(topics),
        "trainings": len(trainings),
        "training attendances": len(attendances),
        "certificates": len(completed),
        "clearance records from training": len(records),
    }


def _login_staff(staff: list[tuple[int, int, int | None]], user_id: int | None) -> int | None:
    return next((pk for pk, _, u in staff if u is not None and u == user_id), None)
