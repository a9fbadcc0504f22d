"""Initiative services: permission, audit, validation messages, optimistic locking."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.core.models import AuditEvent
from wraparound.initiatives import services
from wraparound.initiatives.models import SchoolPlan

from .world import arts_initiative

pytestmark = pytest.mark.django_db


def test_create_records_an_audit_event_and_refuses_non_admins(t1: Any) -> None:
    fields = {"name": "Reading", "kind": "literacy", "start_year": 2027}
    initiative = services.initiative_create(
        user=t1.users["network_admin"], network=t1.network, **fields
    )
    assert (initiative.grade_low, initiative.grade_high) == ("TK", "12")
    assert AuditEvent.objects.filter(action="initiative.create", target_id=str(initiative.pk))
    with pytest.raises(PermissionDenied):
        services.initiative_create(user=t1.users["evaluator"], network=t1.network, **fields)


def test_initiative_validation_messages(t1: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        services.initiative_create(
            user=t1.users["network_admin"],
            network=t1.network,
            name=" ",
            kind="sports",
            grade_low="PK",
            start_year="soon",
        )
    errors = caught.value.message_dict
    assert errors["name"] == ["This field is required."]
    assert errors["kind"] == ["Choose one of the kinds listed."]
    assert errors["grade_low"] == ["Choose a grade from TK to 12."]
    assert errors["start_year"] == ["Enter a year such as 2027 (for 2026-27)."]


def test_plan_locking_and_activity_bumps_version(t1: Any) -> None:
    initiative = arts_initiative(t1)
    coordinator = t1.users["coordinator"]
    plan = services.plan_save(
        user=coordinator,
        initiative=initiative,
        school=t1.schools[1],
        expected_version=None,
        status="planning",
        grades=["05", "KG"],
    )
    assert plan.grades == ["KG", "05"] and plan.version == 1
    with pytest.raises(services.Conflict):  # someone else started it meanwhile
        services.plan_save(
            user=coordinator, initiative=initiative, school=t1.schools[1], expected_version=None
        )
    services.activity_add(user=coordinator, plan=plan, title="Choir", grades=["03"])
    with pytest.raises(services.Conflict):
        services.plan_save(
            user=coordinator, initiative=initiative, school=t1.schools[1], expected_version=1
        )
    plan.refresh_from_db()
    assert plan.version == 2
    assert AuditEvent.objects.filter(action="initiative.activity_add").count() == 1


def test_plan_grades_outside_the_school_are_named(t1: Any) -> None:
    initiative = arts_initiative(t1)
    with pytest.raises(ValidationError) as caught:
        services.plan_save(
            user=t1.users["network_admin"],
            initiative=initiative,
            school=t1.schools[2],
            expected_version=None,
            grades=["05", "06", "09"],
        )
    assert caught.value.message_dict["grades"] == [
        "Grade 5, Grade 9: not taught at North Network Middle (grades 6–8)."
    ]
    assert not SchoolPlan.objects.filter(school=t1.schools[2]).exists()


def test_an_owner_who_left_the_school_no_longer_edits(t1: Any) -> None:
    initiative = arts_initiative(t1)
    plan = SchoolPlan.objects.get(initiative=initiative, school=t1.schools[0])
    staff = t1.users["staff"]
    services.plan_save(
        user=staff,
        initiative=initiative,
        school=t1.schools[0],
        expected_version=plan.version,
        owner=staff,
        status="active",
    )
    staff.memberships.update(is_active=False)
    staff = type(staff).objects.get(pk=staff.pk)
    with pytest.raises(PermissionDenied):
        services.plan_save(
            user=staff,
            initiative=initiative,
            school=t1.schools[0],
            expected_version=plan.version + 1,
            status="paused",
        )
