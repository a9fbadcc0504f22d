"""Writes of professional development: the catalogue of topics, the schedule, registrations and
attendance (with certificates and the clearance records a completion writes).

Each service takes the acting user, checks their role (`core.access`), refuses bad input with a
`ValidationError` keyed by the field (writing nothing), runs in one transaction and is audited.
A change to a topic or training someone else changed since it was read is a `TrainingConflict`
(optimistic locking on `version`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.agreements.clearance import valid_through
from wraparound.agreements.models import (
    ClearanceRecord,
    ClearanceRequirement,
    RecordStatus,
    RequirementSubject,
    StaffMember,
)
from wraparound.core import access
from wraparound.core.models import Membership, Network, Notification
from wraparound.core.roles import PARTNER_ROLES, SCHOOL_ROLES
from wraparound.core.services import audit_record

from .models import SEATED, Attendance, AttendanceStatus, Audience, Training, TrainingTopic

NAME_MAX = 200
DESCRIPTION_MAX = 5000
MIN_HOURS = Decimal("0.5")
MAX_HOURS = Decimal("40")
MAX_CAPACITY = 10000
REASON_MAX = 1000


class TrainingConflict(ValidationError):
    """The topic or training changed (or was removed) since the caller read it."""


# --- shared checks -----------------------------------------------------------------------------


def _text(value: Any, field: str, limit: int, errors: dict[str, Any], *, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[field] = _("This field is required.")
    elif len(text) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    return text


def _hours(value: Any, field: str, errors: dict[str, Any], *, maximum: Decimal = MAX_HOURS) -> Any:
    if value is None or value == "":
        errors[field] = _("Enter the number of hours.")
        return None
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = _("Enter a number of hours, e.g. 1.5.")
        return None
    if not hours.is_finite():
        errors[field] = _("Enter a number of hours, e.g. 1.5.")
        return None
    if hours < MIN_HOURS or hours > maximum:
        errors[field] = _("Enter between %(low)s and %(high)s hours.") % {
            "low": MIN_HOURS,
            "high": maximum,
        }
        return None
    if hours != hours.quantize(Decimal("0.1")):
        errors[field] = _("Use at most one decimal place (e.g. 1.5 hours).")
        return None
    return hours.quantize(Decimal("0.1"))


def _optional_int(
    value: Any, field: str, errors: dict[str, Any], *, low: int, high: int
) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (ValueError, TypeError):
        errors[field] = _("Enter a whole number.")
        return None
    if not low <= number <= high:
        errors[field] = _("Enter a whole number from %(low)d to %(high)d.") % {
            "low": low,
            "high": high,
        }
        return None
    return number


# --- topics ------------------------------------------------------------------------------------


def _clean_topic(
    network: Network, fields: dict[str, Any], *, exclude_pk: int | None = None
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    name = _text(fields.get("name"), "name", NAME_MAX, errors, required=True)
    if name and "name" not in errors:
        clash = TrainingTopic.objects.filter(network=network, name__iexact=name)
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            errors["name"] = _("The network already has a topic named “%(name)s”.") % {"name": name}
    description = _text(
        fields.get("description"), "description", DESCRIPTION_MAX, errors, required=False
    )
    hours = _hours(fields.get("default_hours"), "default_hours", errors)
    audience = fields.get("audience")
    if audience not in Audience.values:
        errors["audience"] = _("Choose who the topic is for.")
    renewal = _optional_int(fields.get("renewal_months"), "renewal_months", errors, low=1, high=120)
    requirement = fields.get("clearance_requirement")
    if requirement is not None:
        if not isinstance(requirement, ClearanceRequirement) or (
            requirement.network_id != network.pk
        ):
            errors["clearance_requirement"] = _("Choose one of the network's requirements.")
        elif requirement.applies_to != RequirementSubject.PERSON or not requirement.has_records:
            errors["clearance_requirement"] = _(
                "“%(requirement)s” is met by the organization, not by each person: a training "
                "cannot satisfy it."
            ) % {"requirement": requirement.name}
        elif audience == Audience.SCHOOL:
            errors["clearance_requirement"] = _(
                "Clearance requirements concern partner staff: make the topic's audience include "
                "partner staff."
            )
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "description": description,
        "default_hours": hours,
        "audience": audience,
        "is_required": bool(fields.get("is_required")),
        "renewal_months": renewal,
        "clearance_requirement": requirement,
        "is_active": bool(fields.get("is_active", True)),
    }


@transaction.atomic
def topic_create(*, user: Any, network: Network, **fields: Any) -> TrainingTopic:
    if not access.can_manage_training(user, network.pk):
        raise PermissionDenied
    topic = TrainingTopic.objects.create(network=network, **_clean_topic(network, fields))
    audit_record(actor=user, action="training.topic.create", target=topic, network=network.pk)
    return topic


@transaction.atomic
def topic_update(*, user: Any, topic: TrainingTopic, version: int, **fields: Any) -> TrainingTopic:
    if not access.can_manage_training(user, topic.network_id):
        raise PermissionDenied
    cleaned = _clean_topic(topic.network, fields, exclude_pk=topic.pk)
    updated = TrainingTopic.objects.filter(pk=topic.pk, version=version).update(
        **cleaned, version=F("version") + 1
    )
    if not updated:
        raise TrainingConflict(
            _("Someone else changed this topic since you opened it: reload and try again.")
        )
    topic.refresh_from_db()
    audit_record(actor=user, action="training.topic.update", target=topic, network=topic.network_id)
    return topic


# --- trainings ---------------------------------------------------------------------------------


def _clean_training(network: Network, fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    topic = fields.get("topic")
    if not isinstance(topic, TrainingTopic) or topic.network_id != network.pk:
        errors["topic"] = _("Choose one of the network's topics.")
        topic = None
    elif not topic.is_active:
        errors["topic"] = _("“%(topic)s” is no longer offered.") % {"topic": topic.name}
    title = _text(fields.get("title"), "title", NAME_MAX, errors, required=False)
    if not title and topic is not None and "title" not in errors:
        title = topic.name
    starts_at = fields.get("starts_at")
    if not isinstance(starts_at, dt.datetime):
        errors["starts_at"] = _("Enter the day and time it starts.")
        starts_at = None
    elif timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at, network.tzinfo)
    raw_hours = fields.get("hours")
    if (raw_hours is None or raw_hours == "") and topic is not None:
        raw_hours = topic.default_hours
    hours = _hours(raw_hours, "hours", errors)
    location = _text(fields.get("location"), "location", NAME_MAX, errors, required=False)
    virtual_url = str(fields.get("virtual_url") or "").strip()
    if virtual_url:
        try:
            URLValidator(schemes=["https", "http"])(virtual_url)
        except ValidationError:
            errors["virtual_url"] = _("Enter a full web address, e.g. https://meet.example.org/…")
    if not location and not virtual_url and "location" not in errors:
        errors["location"] = _("Give the place, the virtual link, or both.")
    trainer_name = _text(
        fields.get("trainer_name"), "trainer_name", NAME_MAX, errors, required=False
    )
    trainer = fields.get("trainer")
    if (
        trainer is not None
        and not Membership.objects.filter(user=trainer, network=network, is_active=True).exists()
    ):
        errors["trainer"] = _("Choose a user of this network as the trainer's account.")
    if trainer is not None and not trainer_name:
        trainer_name = trainer.get_full_name() or trainer.get_username()
    capacity = _optional_int(fields.get("capacity"), "capacity", errors, low=1, high=MAX_CAPACITY)
    audience = fields.get("audience") or (topic.audience if topic is not None else None)
    if audience not in Audience.values:
        errors["audience"] = _("Choose who the training is for.")
    if errors:
        raise ValidationError(errors)
    return {
        "topic": topic,
        "title": title,
        "starts_at": starts_at,
        "hours": hours,
        "location": location,
        "virtual_url": virtual_url,
        "trainer_name": trainer_name,
        "trainer": trainer,
        "capacity": capacity,
        "audience": audience,
    }


@transaction.atomic
def training_create(*, user: Any, network: Network, **fields: Any) -> Training:
    if not access.can_manage_training(user, network.pk):
        raise PermissionDenied
    cleaned = _clean_training(network, fields)
    training = Training.objects.create(network=network, created_by=user, **cleaned)
    audit_record(
        actor=user,
        action="training.create",
        target=training,
        network=network.pk,
        data={"topic": training.topic_id, "starts_at": training.starts_at.isoformat()},
    )
    return training


@transaction.atomic
def training_update(*, user: Any, training: Training, version: int, **fields: Any) -> Training:
    if not access.can_manage_training(user, training.network_id):
        raise PermissionDenied
    cleaned = _clean_training(training.network, fields)
    seated = training.attendances.filter(status__in=SEATED).count()
    if cleaned["capacity"] is not None and cleaned["capacity"] < seated:
        raise ValidationError(
            {
                "capacity": _("%(n)d people already hold a seat: the capacity cannot be lower.")
                % {"n": seated}
            }
        )
    updated = Training.objects.filter(pk=training.pk, version=version).update(
        **cleaned, version=F("version") + 1
    )
    if not updated:
        raise TrainingConflict(
            _("Someone else changed this training since you opened it: reload and try again.")
        )
    training.refresh_from_db()
    audit_record(actor=user, action="training.update", target=training, network=training.network_id)
    # A new date moves the clearance records its completions wrote.
    for attendance in training.attendances.filter(status=AttendanceStatus.COMPLETED):
        attendance.training = training
        _sync_clearance(attendance, actor=user)
    return training


# --- registration ------------------------------------------------------------------------------


def _locked(training: Training) -> Training:
    locked = Training.objects.select_for_update().select_related("network").filter(pk=training.pk)
    found = locked.first()
    if found is None:
        raise ValidationError(_("This training no longer exists."))
    return found


def _check_seat(training: Training, *, adding: int = 1) -> None:
    if training.capacity is None:
        return
    seated = Attendance.objects.filter(training=training, status__in=SEATED).count()
    if seated + adding > training.capacity:
        raise ValidationError(
            _("“%(title)s” is full: all %(n)d seats are taken.")
            % {"title": training.title, "n": training.capacity}
        )


def _origin(network_id: int, user: Any, audience: str) -> dict[str, Any]:
    """The school or organization the user comes from (their first role there)."""
    rows = Membership.objects.filter(user=user, network_id=network_id, is_active=True)
    if audience in (Audience.SCHOOL, Audience.BOTH):
        school = rows.filter(role__in=SCHOOL_ROLES, school__isnull=False).order_by("pk").first()
        if school is not None:
            return {"school_id": school.school_id}
    org = rows.filter(role__in=PARTNER_ROLES, organization__isnull=False).order_by("pk").first()
    return {"organization_id": org.organization_id} if org is not None else {}


@transaction.atomic
def registration_add(
    *, user: Any, training: Training, staff_member: StaffMember | None = None
) -> Attendance:
    """Register oneself, or (a partner admin, a network admin) a person of the organization's
    campus staff, for an upcoming training with a seat left."""
    training = _locked(training)
    if staff_member is None:
        if not access.can_register_self(user, training):
            raise PermissionDenied
    elif not access.can_manage_staff_training(user, staff_member.organization):
        raise PermissionDenied
    _refuse_cancelled(training)
    if training.starts_at <= timezone.now():
        raise ValidationError(
            _("“%(title)s” has already started: registration is closed.")
            % {"title": training.title}
        )
    if staff_member is not None:
        if staff_member.network_id != training.network_id or not staff_member.is_active:
            raise ValidationError({"staff_member": _("Choose an active person of the staff list.")})
        if training.audience == Audience.SCHOOL:
            raise ValidationError({"staff_member": _("This training is for school staff only.")})
        existing = Attendance.objects.filter(training=training, staff_member=staff_member).first()
    else:
        existing = Attendance.objects.filter(training=training, user=user).first()
    if existing is not None and existing.status in SEATED:
        raise ValidationError(
            _("%(name)s is already registered.") % {"name": existing.person_name or _("You")}
        )
    _check_seat(training)
    if existing is not None:
        existing.status = AttendanceStatus.REGISTERED
        existing.registered_at = timezone.now()
        existing.registered_by = user
        existing.save(update_fields=["status", "registered_at", "registered_by"])
        attendance = existing
    elif staff_member is not None:
        attendance = Attendance.objects.create(
            network_id=training.network_id,
            training=training,
            staff_member=staff_member,
            organization_id=staff_member.organization_id,
            registered_by=user,
        )
    else:
        attendance = Attendance.objects.create(
            network_id=training.network_id,
            training=training,
            user=user,
            registered_by=user,
            **_origin(training.network_id, user, training.audience),
        )
    audit_record(
        actor=user,
        action="training.register",
        target=attendance,
        network=training.network_id,
        data={"training": training.pk, "staff_member": attendance.staff_member_id},
    )
    return attendance


@transaction.atomic
def registration_cancel(*, user: Any, attendance: Attendance) -> Attendance:
    """Withdraw a registration for a training that has not started (the person, their partner
    admin, a network admin)."""
    training = _locked(attendance.training)
    own = attendance.user_id is not None and attendance.user_id == user.pk
    if (
        not own
        and not (
            attendance.staff_member is not None
            and access.can_manage_staff_training(user, attendance.staff_member.organization)
        )
        and not access.can_manage_training(user, training.network_id)
    ):
        raise PermissionDenied
    if training.is_cancelled:
        # Its registrations stay as they were when it was cancelled: the record of who was told.
        raise ValidationError(
            _("“%(title)s” was cancelled: its registrations stay as they were.")
            % {"title": training.title}
        )
    if training.starts_at <= timezone.now():
        raise ValidationError(_("The training has started: ask the network to change attendance."))
    if attendance.status != AttendanceStatus.REGISTERED:
        raise ValidationError(_("This registration was already withdrawn."))
    attendance.status = AttendanceStatus.ABSENT
    attendance.save(update_fields=["status"])
    audit_record(
        actor=user, action="training.unregister", target=attendance, network=training.network_id
    )
    return attendance


def _refuse_cancelled(training: Training) -> None:
    if training.is_cancelled:
        raise ValidationError(
            _("“%(title)s” was cancelled: it takes no registration or attendance.")
            % {"title": training.title}
        )


@transaction.atomic
def training_cancel(*, user: Any, training: Training, reason: str) -> Training:
    """Cancel a training that has not started (a network admin, or its trainer), saying why. The
    registrations stay as they are; each registered user is told once, in the app."""
    training = _locked(training)
    if not access.can_cancel_training(user, training):
        raise PermissionDenied
    if training.is_cancelled:
        raise ValidationError(_("This training was already cancelled."))
    if training.starts_at <= timezone.now():
        raise ValidationError(
            _("“%(title)s” has already started: only an upcoming training can be cancelled.")
            % {"title": training.title}
        )
    errors: dict[str, Any] = {}
    text = _text(reason, "reason", REASON_MAX, errors, required=True)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    Training.objects.filter(pk=training.pk).update(
        cancelled_at=now, cancelled_by=user, cancel_reason=text, version=F("version") + 1
    )
    training.refresh_from_db()
    registered = set(
        Attendance.objects.filter(
            training=training, status=AttendanceStatus.REGISTERED, user__isnull=False
        ).values_list("user_id", flat=True)
    )
    url = reverse("training_detail", args=[training.pk])
    message = (
        _("The training “%(title)s” on %(day)s was cancelled: %(reason)s")
        % {"title": training.title, "day": training.day().isoformat(), "reason": text}
    )[:500]
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=uid,
                network_id=training.network_id,
                message=message,
                url=url,
                created_at=now,
            )
            for uid in sorted(registered)
        ]
    )
    audit_record(
        actor=user,
        action="training.cancel",
        target=training,
        network=training.network_id,
        data={"reason": text, "notified": len(registered)},
    )
    return training


# --- attendance --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One line of the attendance form: a user or a campus-staff person, what happened, hours."""

    status: str
    user_id: int | None = None
    staff_member_id: int | None = None
    hours: Any = None


def certificate_number(attendance: Attendance) -> str:
    """Year of the training, training and attendance ids: unique, readable on the phone."""
    return f"{attendance.training.starts_at.year}-{attendance.training_id:05d}-{attendance.pk:06d}"


def _linked_staff(attendance: Attendance) -> list[StaffMember]:
    if attendance.staff_member_id is not None:
        return [attendance.staff_member] if attendance.staff_member is not None else []
    if attendance.user_id is None:
        return []
    return list(
        StaffMember.objects.filter(
            network_id=attendance.network_id, user_id=attendance.user_id, is_active=True
        )
    )


def _sync_clearance(attendance: Attendance, *, actor: Any) -> None:
    """Write (or move, or withdraw) the clearance records a completion stands for. Idempotent:
    a completed attendance has exactly one cleared record per linked person, nothing else."""
    training = attendance.training
    requirement = training.topic.clearance_requirement
    existing = {r.person_id: r for r in attendance.clearance_records.all()}
    wanted: list[StaffMember] = []
    if (
        attendance.is_completed
        and requirement is not None
        and requirement.is_active
        and requirement.applies_to == RequirementSubject.PERSON
        and requirement.network_id == training.network_id
    ):
        wanted = _linked_staff(attendance)
    wanted_ids = {p.pk for p in wanted}
    for person_id, record in existing.items():
        if person_id not in wanted_ids or record.requirement_id != getattr(requirement, "pk", None):
            attendance.clearance_records.remove(record)
            audit_record(
                actor=actor,
                action="clearance.record.withdraw",
                target=record,
                network=record.network_id,
                data={"training_attendance": attendance.pk},
            )
            record.delete()
    if not wanted:
        return
    assert requirement is not None
    issued = training.day()
    expires = valid_through(issued, requirement.validity_months)
    reference = (
        _("Training: %(title)s (certificate %(number)s)")
        % {"title": training.title, "number": attendance.certificate_number}
    )[:100]
    now = timezone.now()
    current = {r.person_id: r for r in attendance.clearance_records.all()}
    for person in wanted:
        found = current.get(person.pk)
        if found is not None:
            record = found
            if (record.issued_on, record.expires_on, record.reference) != (
                issued,
                expires,
                reference,
            ):
                record.issued_on, record.expires_on, record.reference = issued, expires, reference
                record.save(update_fields=["issued_on", "expires_on", "reference"])
            continue
        record = ClearanceRecord.objects.create(
            network_id=training.network_id,
            requirement=requirement,
            organization_id=person.organization_id,
            person=person,
            status=RecordStatus.CLEARED,
            issued_on=issued,
            expires_on=expires,
            reference=reference,
            note=_("Recorded from the training's attendance."),
            submitted_at=now,
            submitted_by=actor,
            reviewed_at=now,
            reviewed_by=actor,
        )
        attendance.clearance_records.add(record)
        audit_record(
            actor=actor,
            action="clearance.record.training",
            target=record,
            network=training.network_id,
            data={"training_attendance": attendance.pk, "person": person.pk},
        )


def _audience_users(training: Training, user_ids: set[int]) -> dict[int, Any]:
    """The users among `user_ids` who are in the training's audience in its network."""
    roles: set[str] = set()
    if training.audience in (Audience.SCHOOL, Audience.BOTH):
        roles |= set(SCHOOL_ROLES)
    if training.audience in (Audience.PARTNER, Audience.BOTH):
        roles |= set(PARTNER_ROLES)
    found = set(
        Membership.objects.filter(
            user_id__in=user_ids,
            network_id=training.network_id,
            role__in=roles,
            is_active=True,
        )
        .exclude(school__isnull=True, organization__isnull=True)
        .values_list("user_id", flat=True)
    )
    users = get_user_model().objects.filter(pk__in=found)
    return {u.pk: u for u in users}


@transaction.atomic
def attendance_record(*, user: Any, training: Training, entries: list[Entry]) -> list[Attendance]:
    """Record who came to a training: each entry sets one person's status (and hours credited,
    the training's by default). Completions get a certificate number and, when the topic
    satisfies a clearance requirement, a cleared record; un-marking a completion withdraws it.
    All entries are checked before anything is written."""
    training = _locked(training)
    if not access.can_take_attendance(user, training):
        raise PermissionDenied
    _refuse_cancelled(training)
    now = timezone.now()
    errors: dict[str, Any] = {}
    user_ids = {e.user_id for e in entries if e.user_id is not None}
    staff_ids = {e.staff_member_id for e in entries if e.staff_member_id is not None}
    users = _audience_users(training, user_ids)
    staff = {
        p.pk: p
        for p in StaffMember.objects.filter(
            pk__in=staff_ids, network_id=training.network_id
        ).select_related("organization")
    }
    hours_by_entry: list[Decimal | None] = []
    seen: set[tuple[int | None, int | None]] = set()
    for n, entry in enumerate(entries):
        key = f"entry_{n}"
        who = (entry.user_id, entry.staff_member_id)
        if who in seen:
            errors[key] = _("The same person is on the list twice.")
        seen.add(who)
        if entry.status not in AttendanceStatus.values:
            errors[key] = _("Choose what happened for each person.")
        if entry.user_id is not None and entry.user_id not in users:
            errors[key] = _("This person is not in the training's audience in this network.")
        if entry.staff_member_id is not None:
            person = staff.get(entry.staff_member_id)
            if person is None:
                errors[key] = _("Choose a person of the network's campus staff lists.")
            elif training.audience == Audience.SCHOOL:
                errors[key] = _("%(name)s is partner staff; this training is for school staff.") % {
                    "name": person.full_name
                }
        if (entry.user_id is None) == (entry.staff_member_id is None):
            errors[key] = _("Each line names one person.")
        hours = None
        if entry.status in (AttendanceStatus.ATTENDED, AttendanceStatus.COMPLETED):
            if training.starts_at > now:
                errors["status"] = _(
                    "“%(title)s” has not taken place yet (%(day)s): attendance and completion "
                    "are recorded once it has started."
                ) % {"title": training.title, "day": training.day()}
            if entry.hours is None or entry.hours == "":
                hours = training.hours
            else:
                hours = _hours(entry.hours, key, errors, maximum=training.hours)
        hours_by_entry.append(hours)
    seats_needed = sum(1 for e in entries if e.status in SEATED)
    if training.capacity is not None and seats_needed > training.capacity:
        errors["capacity"] = _(
            "%(n)d people marked present or registered, but the training has %(cap)d seats."
        ) % {"n": seats_needed, "cap": training.capacity}
    if errors:
        raise ValidationError(errors)

    by_user = {a.user_id: a for a in training.attendances.filter(user_id__in=user_ids)}
    by_staff = {
        a.staff_member_id: a
        for a in training.attendances.filter(staff_member_id__in=staff_ids).select_related(
            "staff_member"
        )
    }
    saved: list[Attendance] = []
    for entry, hours in zip(entries, hours_by_entry, strict=True):
        if entry.user_id is not None:
            attendance = by_user.get(entry.user_id)
            if attendance is None:
                attendance = Attendance(
                    network_id=training.network_id,
                    training=training,
                    user=users[entry.user_id],
                    registered_by=user,
                    **_origin(training.network_id, users[entry.user_id], training.audience),
                )
        else:
            attendance = by_staff.get(entry.staff_member_id)
            if attendance is None:
                person = staff[entry.staff_member_id]  # type: ignore[index]
                attendance = Attendance(
                    network_id=training.network_id,
                    training=training,
                    staff_member=person,
                    organization_id=person.organization_id,
                    registered_by=user,
                )
        before = (attendance.status, attendance.hours_credited) if attendance.pk else None
        attendance.training = training
        attendance.status = entry.status
        attendance.hours_credited = hours
        attendance.completed_on = training.day() if entry.status == "completed" else None
        if before != (attendance.status, attendance.hours_credited):
            attendance.recorded_at = now
            attendance.recorded_by = user
        attendance.save()
        if attendance.is_completed and not attendance.certificate_number:
            attendance.certificate_number = certificate_number(attendance)
            attendance.save(update_fields=["certificate_number"])
        _sync_clearance(attendance, actor=user)
        if before != (attendance.status, attendance.hours_credited):
            audit_record(
                actor=user,
                action="training.attendance",
                target=attendance,
                network=training.network_id,
                data={"status": attendance.status, "hours": str(hours) if hours else None},
            )
        saved.append(attendance)
    return saved
