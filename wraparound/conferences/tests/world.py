"""A conference world on top of the students world (`students.tests.world`): a conference the
school 0 social worker (`staff`) facilitated for `own`, with partner staff of org A present, the
coordinator invited but absent, the mother by name, the family's verbal consent witnessed, a need,
a follow-up action and the referral to org A linked; and a clinical supervisor of another school.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from wraparound.conferences import conference_services as services
from wraparound.conferences.models import FamilyTeamConference
from wraparound.core.roles import Role
from wraparound.core.tests.factories import MembershipFactory, UserFactory
from wraparound.students.tests.world import StudentWorld, student_world


@dataclass
class ConferenceWorld:
    w: StudentWorld
    conference: FamilyTeamConference
    other_supervisor: Any

    @property
    def users(self) -> dict[str, Any]:
        return self.w.users


def conference_in(w: StudentWorld, **kw: Any) -> services.ConferenceIn:
    users = w.users
    data = services.ConferenceIn(
        held_on=w.t1.network.today() - dt.timedelta(days=1),
        status="held",
        place="School 0, room 12",
        consent_given_by="Rosa Own (mother)",
        consent_method="verbal_witnessed",
        consent_given_at=timezone.now() - dt.timedelta(days=1),
        consent_witness="Ms. Lee, counselor",
        strengths="Close extended family; Ana loves drawing.",
        decisions="Start homework club; check in weekly.",
        participants=[
            services.ParticipantIn(kind="family", name="Rosa Own", role="mother"),
            services.ParticipantIn(kind="student", name="Ana Own", role="student"),
            services.ParticipantIn(kind="staff", user=users["partner_staff_a"], role="tutor"),
            services.ParticipantIn(kind="staff", user=users["coordinator"], present=False),
        ],
        needs=[services.NeedIn(domain="academics", description="Reading two grades behind")],
        actions=[
            services.ActionIn(
                description="Call the family after the first week",
                owner=users["staff"],
                due_on=w.t1.network.today() + dt.timedelta(days=7),
            )
        ],
        referrals=[w.to_a],
    )
    for name, value in kw.items():
        setattr(data, name, value)
    return data


def conference_world(t1: Any, t2: Any = None) -> ConferenceWorld:
    w = student_world(t1, t2)
    conference = services.conference_create(
        user=w.users["staff"], school=t1.schools[0], student=w.own, data=conference_in(w)
    )
    other_supervisor = UserFactory(username="north_other_supervisor")
    m = MembershipFactory.build(
        user=other_supervisor,
        role=Role.CLINICAL_SUPERVISOR,
        network=t1.network,
        school=t1.schools[1],
    )
    m.full_clean()
    m.save()
    return ConferenceWorld(w=w, conference=conference, other_supervisor=other_supervisor)
