from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wraparound.agreements.clearance import valid_through
from wraparound.agreements.clearance_selectors import organization_staff
from wraparound.agreements.models import ClearanceRecord, RecordStatus
from wraparound.training import services
from wraparound.training.models import Attendance, AttendanceStatus, Audience, TrainingTopic
from wraparound.training.services import Entry

from .world import World


def _ferpa_state(world: World) -> str:
    page = organization_staff(world.tenant.org_a)
    row = next(r for r in page.people if r.person.pk == world.tutor_a.pk)
    return next(
        c.item.state for c in row.items if c.item.requirement_id == world.ferpa_requirement.pk
    )


def _complete(world: World, status: str = "completed", **kw: object) -> list[Attendance]:
    return services.attendance_record(
        user=world.users["network_admin"],
        training=world.past,
        entries=[Entry(status=status, staff_member_id=world.tutor_a.pk, **kw)],  # type: ignore[arg-type]
    )


def test_completion_clears_the_staff_member_and_unmarking_reverts(w1: World) -> None:
    assert _ferpa_state(w1) == "missing"
    [attendance] = _complete(w1)
    assert attendance.certificate_number
    assert attendance.hours_credited == Decimal("1.5")
    assert _ferpa_state(w1) == "ok"
    record = ClearanceRecord.objects.get(person=w1.tutor_a)
    assert record.status == RecordStatus.CLEARED
    assert record.issued_on == w1.past.day()
    assert record.expires_on == valid_through(record.issued_on, 12)
    assert attendance.certificate_number in record.reference
    assert record.reviewed_by == w1.users["network_admin"]
    assert not record.document
    # Saving again does not duplicate.
    _complete(w1)
    assert ClearanceRecord.objects.filter(person=w1.tutor_a).count() == 1
    # Un-marking withdraws the record it wrote.
    _complete(w1, status=AttendanceStatus.ATTENDED)
    assert not ClearanceRecord.objects.filter(person=w1.tutor_a).exists()
    assert _ferpa_state(w1) == "missing"


def test_completion_by_a_linked_user_clears_their_staff_list_entry(w1: World) -> None:
    user = w1.users["partner_staff_a"]
    w1.tutor_a.user = user
    w1.tutor_a.save()
    services.attendance_record(
        user=w1.users["network_admin"],
        training=w1.past,
        entries=[Entry(status="completed", user_id=user.pk)],
    )
    assert _ferpa_state(w1) == "ok"


def test_a_topic_without_requirement_writes_no_record(w1: World) -> None:
    w1.ferpa.clearance_requirement = None
    w1.ferpa.save()
    w1.past.refresh_from_db()
    _complete(w1)
    assert not ClearanceRecord.objects.exists()


def test_completion_for_a_future_training_is_refused(w1: World) -> None:
    with pytest.raises(ValidationError) as info:
        services.attendance_record(
            user=w1.users["network_admin"],
            training=w1.upcoming,
            entries=[Entry(status="completed", staff_member_id=w1.tutor_a.pk)],
        )
    assert "has not taken place yet" in str(info.value)
    assert not Attendance.objects.exists()


def test_attendance_refuses_people_outside_the_audience_and_bad_hours(w1: World, w2: World) -> None:
    admin = w1.users["network_admin"]
    cases = [
        Entry(status="completed", staff_member_id=w2.tutor_a.pk),  # other network
        Entry(status="completed", user_id=w1.users["evaluator"].pk),  # not an audience
        Entry(status="completed", user_id=w1.users["staff"].pk),  # school staff, partner training
        Entry(status="completed", staff_member_id=w1.tutor_a.pk, hours="9"),  # > training hours
        Entry(status="completed", staff_member_id=w1.tutor_a.pk, hours="abc"),
        Entry(status="bogus", staff_member_id=w1.tutor_a.pk),
    ]
    for entry in cases:
        with pytest.raises(ValidationError):
            services.attendance_record(user=admin, training=w1.past, entries=[entry])
    twice = Entry(status="completed", staff_member_id=w1.tutor_a.pk)
    with pytest.raises(ValidationError, match="twice"):
        services.attendance_record(user=admin, training=w1.past, entries=[twice, twice])
    assert not Attendance.objects.exists()


def test_only_admins_and_the_trainer_take_attendance(w1: World) -> None:
    for name in ("coordinator", "partner_admin", "evaluator", "outsider"):
        with pytest.raises(PermissionDenied):
            services.attendance_record(user=w1.users[name], training=w1.past, entries=[])
    w1.past.trainer = w1.users["coordinator"]
    w1.past.save()
    services.attendance_record(
        user=w1.users["coordinator"],
        training=w1.past,
        entries=[Entry(status="completed", staff_member_id=w1.tutor_a.pk)],
    )


def test_registration_within_capacity(w1: World) -> None:
    training = w1.upcoming  # capacity 2, audience both
    services.registration_add(user=w1.users["staff"], training=training)
    services.registration_add(
        user=w1.users["partner_admin"], training=training, staff_member=w1.tutor_a
    )
    with pytest.raises(ValidationError, match="is full"):
        services.registration_add(user=w1.users["partner_staff_a"], training=training)
    with pytest.raises(ValidationError, match="already registered"):
        services.registration_add(user=w1.users["staff"], training=training)
    # A withdrawal frees the seat.
    own = Attendance.objects.get(user=w1.users["staff"])
    services.registration_cancel(user=w1.users["staff"], attendance=own)
    services.registration_add(user=w1.users["partner_staff_a"], training=training)


def test_registration_rules(w1: World) -> None:
    with pytest.raises(PermissionDenied):  # partner admin of A registers B's person
        services.registration_add(
            user=w1.users["partner_admin"], training=w1.upcoming, staff_member=w1.mentor_b
        )
    with pytest.raises(PermissionDenied):  # evaluators are no audience
        services.registration_add(user=w1.users["evaluator"], training=w1.upcoming)
    with pytest.raises(ValidationError, match="already started"):
        services.registration_add(user=w1.users["partner_staff_a"], training=w1.past)


def test_topic_and_training_validation(w1: World) -> None:
    admin = w1.users["network_admin"]
    network = w1.tenant.network
    with pytest.raises(ValidationError) as info:
        services.topic_create(
            user=admin,
            network=network,
            name="ferpa and student privacy",
            default_hours="0",
            audience="nobody",
            renewal_months="0",
        )
    errors = info.value.message_dict
    assert set(errors) == {"name", "default_hours", "audience", "renewal_months"}
    with pytest.raises(PermissionDenied):
        services.topic_create(user=w1.users["evaluator"], network=network, name="X")
    topic = services.topic_create(
        user=admin, network=network, name="Restorative practice", default_hours="2",
        audience=Audience.BOTH,
    )  # fmt: skip
    assert isinstance(topic, TrainingTopic)
    with pytest.raises(ValidationError) as info:
        services.training_create(
            user=admin, network=network, topic=topic, starts_at=None, capacity="-1"
        )
    assert set(info.value.message_dict) >= {"starts_at", "capacity", "location"}
    training = services.training_create(
        user=admin,
        network=network,
        topic=topic,
        starts_at=timezone.now() + dt.timedelta(days=3),
        location="Library",
    )
    assert training.hours == Decimal("2.0") and training.title == "Restorative practice"
    with pytest.raises(services.TrainingConflict):
        services.topic_update(user=admin, topic=topic, version=99, name="New", default_hours="1",
                              audience=Audience.BOTH)  # fmt: skip
