"""The demo's professional development (issue 8), on the personas' tenant dressed as a demo network
(cheaper than a whole `small` seed): topics, ten trainings over the school year, attendance of
the past ones with certificates, registrations for the next ones within capacity, and the
FERPA completions written as cleared clearance records."""

from __future__ import annotations

import datetime as dt
import random

from wraparound.agreements.models import (
    ClearanceRecord,
    ClearanceRequirement,
    RequirementKind,
    RequirementSubject,
    StaffMember,
)
from wraparound.core.models import SchoolYear
from wraparound.core.tests.personas import Tenant
from wraparound.demo.generate import DemoData
from wraparound.demo.profiles import SMALL
from wraparound.demo.training import generate_training, reset_training
from wraparound.training import selectors
from wraparound.training.models import SEATED, Attendance, AttendanceStatus, Training


def _data(t1: Tenant) -> DemoData:
    network = t1.network
    today = network.today()
    end = today.year + 1 if today.month >= 7 else today.year
    year = SchoolYear.objects.create(
        network=network,
        end_year=end,
        start_date=dt.date(end - 1, 9, 1),
        end_date=dt.date(end, 6, 30),
        is_current=True,
    )
    ClearanceRequirement.objects.create(
        network=network,
        name="FERPA training",
        kind=RequirementKind.FERPA_TRAINING,
        applies_to=RequirementSubject.PERSON,
        validity_months=12,
    )
    StaffMember.objects.create(
        network=network,
        organization=t1.org_a,
        first_name="Pat",
        last_name="Login",
        user=t1.users["partner_staff_a"],
    )
    for n in range(5):
        StaffMember.objects.create(
            network=network, organization=t1.org_b, first_name=f"Staff{n}", last_name="B"
        )
    users = list(t1.users.values())
    memberships = list(network.memberships.select_related("user"))
    return DemoData(
        profile=SMALL,
        seed=1,
        network=network,
        school_years=[year],
        users=users,
        memberships=memberships,
    )


def test_demo_training(t1: Tenant) -> None:
    data = _data(t1)
    counts = generate_training(data, random.Random(1))
    assert counts["trainings"] == 10 and counts["training topics"] == 4
    trainings = list(Training.objects.filter(network=data.network))
    now = data.network.today()
    past = [t for t in trainings if t.day() <= now]
    upcoming = [t for t in trainings if t.day() > now]
    assert past and upcoming
    for t in trainings:
        seated = t.attendances.filter(status__in=SEATED).count()
        assert t.capacity is None or seated <= t.capacity
    for t in upcoming:
        assert set(t.attendances.values_list("status", flat=True)) <= {"registered"}
    completed = Attendance.objects.filter(network=data.network, status=AttendanceStatus.COMPLETED)
    assert completed.exists()
    assert not completed.filter(certificate_number="").exists()
    # The partner-staff login's campus-staff entry completed FERPA: cleared by the training.
    login_staff = StaffMember.objects.get(user=t1.users["partner_staff_a"])
    if any(t.topic.clearance_requirement_id for t in past):
        record = ClearanceRecord.objects.get(person=login_staff)
        assert record.reference.startswith("Training: ")
        assert counts["clearance records from training"] >= 1
    # The coordinator is never at a training: the compliance view shows them missing.
    result = selectors.compliance(data.network)
    missing = {r.person.user_id for r in result.rows}
    assert t1.users["coordinator"].pk in missing
    # Deterministic, and the reset leaves nothing behind.
    first = sorted(Attendance.objects.values_list("status", "hours_credited"))
    reset_training(data.network.pk)
    ClearanceRecord.objects.filter(network=data.network).delete()
    assert not Training.objects.filter(network=data.network).exists()
    generate_training(data, random.Random(1))
    assert sorted(Attendance.objects.values_list("status", "hours_credited")) == first
