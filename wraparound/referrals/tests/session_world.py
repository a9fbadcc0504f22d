"""The sessions tests' world: `student_world` with a roster for org A's Homework Club at school 0.

- `own` (Ana Own) is in service to Homework Club (`to_a`), `consented` (Ben Consented) accepted
  to it (`ben_to_a`), and `sibling` (Cy Consented, sharing Ben's guardian) in service;
- partner staff of org A see their names (the agreement shares name with partner staff); the
  partner admin sees none (the agreement names staff only);
- `school_service`: a service of org B with a referral of `own` in service at school 0 (a roster
  for school sessions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from wraparound.referrals.models import ReferralStatus
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students.tests.factories import StudentFactory, StudentGuardianFactory
from wraparound.students.tests.world import StudentWorld, student_world


@dataclass
class SessionWorld:
    w: StudentWorld
    t1: Any
    t2: Any
    school: Any
    ben_to_a: Any
    sibling: Any
    sibling_to_a: Any

    @property
    def users(self) -> dict[str, Any]:
        users: dict[str, Any] = self.t1.users
        return users

    @property
    def today(self) -> dt.date:
        day: dt.date = self.t1.network.today()
        return day


def build(t1: Any, t2: Any) -> SessionWorld:
    w = student_world(t1, t2)
    w.to_a.status = ReferralStatus.IN_SERVICE
    w.to_a.save(update_fields=["status"])
    coordinator = t1.users["coordinator"]
    ben_to_a = ReferralFactory(
        student=w.consented,
        service=w.service_a,
        partnership=w.partnership_a,
        referred_by=coordinator,
        status=ReferralStatus.ACCEPTED,
        shared_elements=["name"],
        basis="school_official",
        data_sharing=w.agreement_a.signed_version.data_sharing,
    )
    sibling = StudentFactory(school=t1.schools[0], given_name="Cy", family_name="Consented")
    guardian = w.consented.guardian_links.get().guardian
    StudentGuardianFactory(student=sibling, guardian=guardian)
    sibling_to_a = ReferralFactory(
        student=sibling,
        service=w.service_a,
        partnership=w.partnership_a,
        referred_by=coordinator,
        status=ReferralStatus.IN_SERVICE,
        shared_elements=["name"],
        basis="school_official",
        data_sharing=w.agreement_a.signed_version.data_sharing,
    )
    return SessionWorld(w, t1, t2, t1.schools[0], ben_to_a, sibling, sibling_to_a)


def group_args(sw: SessionWorld, **overrides: Any) -> dict[str, Any]:
    """A valid group session of Homework Club at school 0, logged by org A."""
    args: dict[str, Any] = {
        "school": sw.school,
        "organization": sw.t1.org_a,
        "service": sw.w.service_a,
        "kind": "group",
        "date": sw.today,
        "starts_at": dt.time(15, 30),
        "duration_minutes": 60,
        "modality": "in_person",
        "place": "Library",
        "notes": "Fractions.",
        "attendance": [
            (sw.w.own.pk, True, None),
            (sw.w.consented.pk, True, 30),
            (sw.sibling.pk, False, None),
        ],
    }
    args.update(overrides)
    return args
