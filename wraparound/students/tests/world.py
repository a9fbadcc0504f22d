"""A world for the students and referrals tests, on top of the personas' tenant:

- org A runs "Homework Club" with an active partnership at school 0 and a signed MOU in force whose
  data-sharing agreement (FERPA school official) lets partner *staff* see name, grade, school
  and referral notes (not date of birth, contact, demographics, ...);
- org B runs "Mentoring" with no agreement at all: it sees a student only if the family consents;
- students: `own` and `consented` at school 0, `other_school` at school 3 (another community),
  and, when given a second tenant, `other_network` there;
- referrals: `to_a` (own → org A, sharing name/grade/notes), `to_b` (consented → org B, sharing
  name/contact on the family's consent to org B), `draft_to_a` (a draft, which partners never
  see), `other_school_to_a` (other_school → org A: no agreement covers school 3, nothing shared).

`student_world(t1)` builds it; pass `t2` to get the other network's student and referral.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from wraparound.agreements.models import PartnershipStatus
from wraparound.agreements.tests.factories import (
    AgreementVersionFactory,
    DataSharingAgreementFactory,
    signed_agreement,
)
from wraparound.assessments.tests.factories import PartnershipFactory, SchoolYearFactory
from wraparound.directory.tests.factories import ServiceFactory
from wraparound.referrals.models import ReferralStatus
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students.tests.factories import (
    ConsentFactory,
    StudentFactory,
    StudentGuardianFactory,
)

A_ELEMENTS = ["name", "grade", "school", "notes"]


@dataclass
class StudentWorld:
    t1: Any
    service_a: Any
    service_b: Any
    partnership_a: Any
    agreement_a: Any
    own: Any
    consented: Any
    other_school: Any
    consent_b: Any
    to_a: Any
    to_b: Any
    draft_to_a: Any
    other_school_to_a: Any
    other_network: Any = None
    other_network_referral: Any = None

    @property
    def users(self) -> dict[str, Any]:
        users: dict[str, Any] = self.t1.users
        return users


def _year(network: Any) -> Any:
    today = network.today()
    start = dt.date(today.year if today.month >= 7 else today.year - 1, 7, 1)
    return SchoolYearFactory(
        network=network,
        end_year=start.year + 1,
        start_date=start,
        end_date=dt.date(start.year + 1, 6, 30),
        is_current=True,
    )


def student_world(t1: Any, t2: Any = None) -> StudentWorld:
    school, other = t1.schools[0], t1.schools[3]
    year = _year(t1.network)
    service_a = ServiceFactory(organization=t1.org_a, name="Homework Club")
    service_b = ServiceFactory(organization=t1.org_b, name="Mentoring")
    partnership_a = PartnershipFactory(
        school=school,
        service=service_a,
        school_year=year,
        status=PartnershipStatus.ACTIVE,
    )
    agreement = signed_agreement(partnership=partnership_a)
    version: Any = agreement.signed_version
    version.data_sharing.data_elements = A_ELEMENTS
    version.data_sharing.partner_roles = ["partner_staff"]
    version.data_sharing.save(update_fields=["data_elements", "partner_roles"])
    own = StudentFactory(school=school, given_name="Ana", family_name="Own")
    consented = StudentFactory(school=school, given_name="Ben", family_name="Consented")
    StudentGuardianFactory(student=consented)
    other_school_student = StudentFactory(school=other, given_name="Cai", family_name="Elsewhere")
    consent_b = ConsentFactory(
        student=consented,
        recipient_organization=t1.org_b,
        data_elements=["name", "contact"],
        created_by=t1.users["coordinator"],
    )
    coordinator = t1.users["coordinator"]
    to_a = ReferralFactory(
        student=own,
        service=service_a,
        partnership=partnership_a,
        referred_by=coordinator,
        shared_elements=["name", "grade", "notes"],
        basis="school_official",
        data_sharing=version.data_sharing,
    )
    to_b = ReferralFactory(
        student=consented,
        service=service_b,
        referred_by=coordinator,
        shared_elements=["name", "contact"],
        basis="consent",
        consent=consent_b,
    )
    draft_to_a = ReferralFactory(
        student=consented,
        service=service_a,
        referred_by=coordinator,
        status=ReferralStatus.DRAFT,
        sent_at=None,
        shared_elements=["name", "grade"],
    )
    other_school_to_a = ReferralFactory(
        student=other_school_student,
        service=service_a,
        referred_by=t1.users["network_admin"],
        shared_elements=[],
    )
    world = StudentWorld(
        t1=t1,
        service_a=service_a,
        service_b=service_b,
        partnership_a=partnership_a,
        agreement_a=agreement,
        own=own,
        consented=consented,
        other_school=other_school_student,
        consent_b=consent_b,
        to_a=to_a,
        to_b=to_b,
        draft_to_a=draft_to_a,
        other_school_to_a=other_school_to_a,
    )
    if t2 is not None:
        far = StudentFactory(school=t2.schools[0], given_name="Dee", family_name="Faraway")
        far_service = ServiceFactory(organization=t2.org_a, name="Far Club")
        world.other_network = far
        world.other_network_referral = ReferralFactory(
            student=far, service=far_service, referred_by=t2.users["coordinator"]
        )
    return world


__all__ = ["A_ELEMENTS", "AgreementVersionFactory", "DataSharingAgreementFactory", "student_world"]
