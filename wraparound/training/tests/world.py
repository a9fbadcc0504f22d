"""A training world on top of the personas' tenant: the network's FERPA clearance requirement, a
required FERPA topic for partner staff that satisfies it, a required anti-bias topic for school
staff, a past and an upcoming training, and campus staff of organizations A and B."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.utils import timezone

from wraparound.agreements.models import (
    ClearanceRequirement,
    RequirementKind,
    RequirementSubject,
    StaffMember,
)
from wraparound.agreements.tests.factories import StaffMemberFactory
from wraparound.core.tests.personas import Tenant
from wraparound.training.models import Audience, Training, TrainingTopic


@dataclass
class World:
    tenant: Tenant
    ferpa_requirement: ClearanceRequirement
    ferpa: TrainingTopic
    anti_bias: TrainingTopic
    past: Training
    upcoming: Training
    tutor_a: StaffMember  # org A, no login
    mentor_b: StaffMember  # org B, no login

    @property
    def users(self) -> dict[str, Any]:
        return self.tenant.users


def make_world(tenant: Tenant) -> World:
    network = tenant.network
    requirement = ClearanceRequirement.objects.create(
        network=network,
        name="FERPA training",
        kind=RequirementKind.FERPA_TRAINING,
        applies_to=RequirementSubject.PERSON,
        validity_months=12,
        document_required=True,
    )
    ferpa = TrainingTopic.objects.create(
        network=network,
        name="FERPA and student privacy",
        default_hours=Decimal("1.5"),
        audience=Audience.PARTNER,
        is_required=True,
        renewal_months=12,
        clearance_requirement=requirement,
    )
    anti_bias = TrainingTopic.objects.create(
        network=network,
        name="Anti-bias practice",
        default_hours=Decimal("3.0"),
        audience=Audience.SCHOOL,
        is_required=True,
    )
    now = timezone.now()
    past = Training.objects.create(
        network=network,
        topic=ferpa,
        title="FERPA basics",
        starts_at=now - dt.timedelta(days=10),
        hours=Decimal("1.5"),
        location="Room 101",
        audience=Audience.PARTNER,
    )
    upcoming = Training.objects.create(
        network=network,
        topic=ferpa,
        title="FERPA refresher",
        starts_at=now + dt.timedelta(days=10),
        hours=Decimal("1.5"),
        location="Room 101",
        audience=Audience.BOTH,
        capacity=2,
    )
    tutor_a = cast(
        StaffMember,
        StaffMemberFactory(organization=tenant.org_a, first_name="Tess", last_name="Tutor"),
    )
    mentor_b = cast(
        StaffMember,
        StaffMemberFactory(organization=tenant.org_b, first_name="Max", last_name="Mentor"),
    )
    return World(tenant, requirement, ferpa, anti_bias, past, upcoming, tutor_a, mentor_b)
