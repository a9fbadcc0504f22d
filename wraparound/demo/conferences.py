"""Family team conferences and cross-agency referrals for a demo network (issue 8).

- Conferences: the demo social worker facilitates four at their school — three for students the
  demo partner organization serves (its youth worker present, the coordinator invited to one but
  absent, the supervisor reading them all as the school's clinical supervisor) and one with a
  family — each with the family's consent recorded, participants including the family and the
  student, strengths, needs by domain, decisions, follow-up actions and the student's referrals.
- Cross-agency referrals: the demo partner organization (a member agency of the first coalition;
  made one if the coalitions step did not) refers up to six of the students it serves to services
  of the coalition's other member agencies, each on a consent of the family to that agency, in a
  spread of states so the coalition's referral page and the receiving inbox show the loop.

A constant handful of rows whatever the profile (a few indexed reads, bulk writes), so `city`
costs what `small` does. Deterministic for a seed: every choice is drawn from `rng` over rows
read in primary-key order."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from wraparound.coalitions.models import CoalitionMember, MemberKind
from wraparound.conferences.models import (
    ActionStatus,
    ConferenceNeed,
    ConferenceParticipant,
    ConferenceStatus,
    FamilyConsentMethod,
    FamilyTeamConference,
    FollowUpAction,
    ParticipantKind,
)
from wraparound.core.models import DisclosureBasis
from wraparound.directory.models import Service, ServiceStatus
from wraparound.referrals.business_days import add_business_days, horizon
from wraparound.referrals.holiday_selectors import holidays_between
from wraparound.referrals.models import Referral, ReferralEvent, ReferralStatus
from wraparound.students.models import (
    Consent,
    ConsentMethod,
    ConsentStatus,
    SignerRelationship,
    StudentGuardian,
    TierDomain,
)

if TYPE_CHECKING:
    from .generate import DemoData

S = ReferralStatus
SERVING = (S.SENT, S.ACCEPTED, S.WAITLISTED, S.IN_SERVICE)

STRENGTHS = [
    "A grandmother who walks the children to school every day; {name} loves drawing and music.",
    "The family speaks two languages at home and is close to its church community.",
    "{name} is curious and kind with younger children; the parents come to every meeting.",
    "An older sibling helps with homework; the family knows its neighbours well.",
]
NEEDS = [
    (TierDomain.ATTENDANCE, "Late most Mondays; misses the bus when the parent works nights."),
    (TierDomain.ACADEMICS, "Reading about a year behind; homework often unfinished."),
    (TierDomain.SOCIAL_EMOTIONAL, "Anxious before tests; has few friends in the new class."),
    (TierDomain.BASIC_NEEDS, "The family is behind on rent and short of winter clothes."),
    (TierDomain.HEALTH, "Has not had an eye exam; complains of headaches in class."),
]
DECISIONS = [
    "Start the after-school programme three days a week; the school checks attendance weekly.",
    "Refer to mentoring; the family will try the morning bus with a neighbour for a month.",
    "Share the family's contact with the food pantry; meet again in six weeks.",
]
ACTIONS = [
    "Call the family after the first week",
    "Send the referral to the partner",
    "Book an eye exam at the school-based health centre",
    "Check attendance every Friday and share it with the team",
]
ROUTES = [S.SENT, S.ACCEPTED, S.IN_SERVICE, S.COMPLETED, S.DECLINED, S.WAITLISTED]


def _demo_users(data: DemoData) -> dict[str, Any]:
    return {u.username: u for u in data.users}


def _first_school(data: DemoData, user: Any) -> Any:
    for m in data.memberships:
        if m.user_id == user.pk and m.school_id is not None:
            return m.school
    return data.schools[0]


def generate_conferences(data: DemoData, rng: random.Random) -> dict[str, int]:
    users = _demo_users(data)
    worker = users.get("socialworker")
    if worker is None or not data.organizations:
        return {"conferences": 0, "cross-agency referrals": 0}
    today = data.network.today()
    counts = {"conferences": _conferences(data, rng, users, worker, today)}
    counts["cross-agency referrals"] = _cross_agency(data, rng, users, today)
    return counts


# --- conferences ---------------------------------------------------------------------------------


def _conferences(
    data: DemoData, rng: random.Random, users: dict[str, Any], worker: Any, today: dt.date
) -> int:
    school = _first_school(data, worker)
    org = data.organizations[0]
    # Distinct students in referral order (a student may have several referrals to it).
    served = list(
        dict.fromkeys(
            Referral.objects.filter(
                school=school,
                organization=org,
                status__in=SERVING,
                student__isnull=False,
            )
            .order_by("pk")
            .values_list("student_id", flat=True)[:50]
        )
    )[:3]
    links = {
        link.student_id: link
        for link in StudentGuardian.objects.filter(student__school=school)
        .select_related("guardian", "student")
        .order_by("student_id", "pk")
    }
    students = [links[s].student for s in served if s in links]
    family_links = [
        link for sid, link in sorted(links.items()) if sid not in served and link.student.is_active
    ][:1]
    partner = users.get("partnerstaff")
    coordinator = users.get("coordinator")
    made = 0
    plans: list[tuple[Any, Any, bool]] = [(s, links[s.pk].guardian, False) for s in students]
    plans += [(link.student, link.guardian, True) for link in family_links]
    for i, (student, guardian, family_only) in enumerate(plans):
        held_on = today - dt.timedelta(days=rng.randint(3, 60))
        held_at = timezone.make_aware(
            dt.datetime.combine(held_on, dt.time(15, 30)), timezone.get_current_timezone()
        )
        needs = rng.sample(NEEDS, 2)
        conference = FamilyTeamConference.objects.create(
            network=data.network,
            school=school,
            student=None if family_only else student,
            guardian=guardian if family_only else None,
            status=ConferenceStatus.HELD,
            held_on=held_on,
            place=rng.choice(["Family room", "Parent coordinator's office", "Library"]),
            facilitator=worker,
            consent_given_by=f"{guardian.display_name} ({links[student.pk].relationship})",
            consent_method=rng.choice(list(FamilyConsentMethod.values)),
            consent_given_at=held_at,
            consent_witness="Carmen Diaz, coordinator",
            strengths=rng.choice(STRENGTHS).format(
                name=student.preferred_name or student.given_name
            ),
            decisions=rng.choice(DECISIONS),
            created_by=worker,
        )
        participants = [
            ConferenceParticipant(
                conference=conference,
                kind=ParticipantKind.FAMILY,
                name=guardian.display_name,
                role=links[student.pk].get_relationship_display(),
            ),
            ConferenceParticipant(
                conference=conference,
                kind=ParticipantKind.AGENCY,
                name="Dana Whitfield",
                role="case planner",
                organization_name="Administration for Children's Services",
                present=i % 2 == 0,
            ),
        ]
        if not family_only:
            participants.append(
                ConferenceParticipant(
                    conference=conference,
                    kind=ParticipantKind.STUDENT,
                    name=student.display_name,
                    role="student",
                )
            )
            if partner is not None:
                participants.append(
                    ConferenceParticipant(
                        conference=conference,
                        kind=ParticipantKind.STAFF,
                        user=partner,
                        role="youth worker",
                        organization=org,
                        organization_name=org.name,
                    )
                )
        if coordinator is not None:
            # Invited to every conference, absent from the first: it does not see that one.
            participants.append(
                ConferenceParticipant(
                    conference=conference,
                    kind=ParticipantKind.STAFF,
                    user=coordinator,
                    role="coordinator",
                    present=i != 0,
                )
            )
        ConferenceParticipant.objects.bulk_create(participants)
        ConferenceNeed.objects.bulk_create(
            [ConferenceNeed(conference=conference, domain=d, description=t) for d, t in needs]
        )
        FollowUpAction.objects.bulk_create(
            [
                FollowUpAction(
                    conference=conference,
                    description=ACTIONS[(i + k) % len(ACTIONS)],
                    owner=worker if k == 0 else None,
                    owner_name="" if k == 0 else guardian.display_name,
                    due_on=held_on + dt.timedelta(days=7 * (k + 1)),
                    status=ActionStatus.DONE if k == 0 and i % 2 else ActionStatus.OPEN,
                )
                for k in range(2)
            ]
        )
        conference.referrals.set(
            Referral.objects.filter(student=student).order_by("pk")[:2]
            if not family_only
            else Referral.objects.filter(guardian=guardian).order_by("pk")[:2]
        )
        made += 1
    return made


# --- cross-agency referrals ---------------------------------------------------------------------


def _members(data: DemoData, coalition: Any, org: Any) -> list[int]:
    """The other member agencies (organizations) of the coalition with an active service; the
    demo organization is made a member first if the coalitions step did not make it one."""
    members = CoalitionMember.objects.filter(
        coalition=coalition, is_active=True, organization__isnull=False
    )
    if not members.filter(organization=org).exists():
        CoalitionMember.objects.create(
            coalition=coalition, kind=MemberKind.COMMUNITY_ORGANIZATION, organization=org
        )
    others = list(
        members.exclude(organization=org)
        .filter(organization__services__status=ServiceStatus.ACTIVE)
        .order_by("pk")
        .values_list("organization_id", flat=True)
        .distinct()
    )
    if others:
        return others
    # No other member agency: the first community's next organization with a service joins.
    candidates = [
        o
        for o, c in zip(data.organizations, data.organization_communities, strict=True)
        if o.pk != org.pk and c.pk == (coalition.community_id or c.pk)
    ]
    for candidate in candidates:
        if Service.objects.filter(organization=candidate, status=ServiceStatus.ACTIVE).exists():
            CoalitionMember.objects.create(
                coalition=coalition,
                kind=MemberKind.COMMUNITY_ORGANIZATION,
                organization=candidate,
            )
            return [candidate.pk]
    return []


def _cross_agency(data: DemoData, rng: random.Random, users: dict[str, Any], today: dt.date) -> int:
    partner = users.get("partnerstaff")
    if partner is None or not data.coalitions:
        return 0
    coalition = data.coalitions[0]
    org = data.organizations[0]
    others = _members(data, coalition, org)
    if not others:
        return 0
    services = list(
        Service.objects.filter(organization_id__in=others, status=ServiceStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", "organization_id")
    )
    first_per_student: dict[int, Referral] = {}
    for source in (
        Referral.objects.filter(organization=org, status__in=SERVING, student__isnull=False)
        .select_related("student", "school")
        .order_by("pk")[:60]
    ):
        first_per_student.setdefault(source.student_id or 0, source)
    sources = list(first_per_student.values())[:6]
    network = data.network
    now = timezone.now()
    creator = users.get("coordinator") or partner
    made = 0
    for i, source in enumerate(sources):
        student = source.student
        assert student is not None
        service_id, target = rng.choice(services)
        status = ROUTES[i % len(ROUTES)]
        link = student.guardian_links.select_related("guardian").order_by("pk").first()
        consent = Consent.objects.create(
            network=network,
            school=source.school,
            student=student,
            guardian=link.guardian if link else None,
            data_elements=["name", "grade", "school"],
            purpose="So that a coalition partner can serve the student.",
            recipient_organization_id=target,
            status=ConsentStatus.SIGNED,
            method=ConsentMethod.PAPER,
            signed_by_name=link.guardian.display_name if link else student.display_name,
            signer_relationship=SignerRelationship.PARENT,
            signed_at=now - dt.timedelta(days=20),
            effective_on=today - dt.timedelta(days=20),
            expires_on=today + dt.timedelta(days=345),
            created_by=creator,
        )
        sent_day = today - dt.timedelta(days=rng.randint(2, 15))
        sent_at = now - (today - sent_day)
        fields: dict[str, Any] = {}
        if status != S.SENT:
            fields["responded_at"] = sent_at + dt.timedelta(days=1)
        if status in (S.IN_SERVICE, S.COMPLETED):
            fields["service_started_at"] = sent_at + dt.timedelta(days=2)
        if status in (S.COMPLETED, S.DECLINED):
            fields["closed_at"] = sent_at + dt.timedelta(days=3)
        if status == S.DECLINED:
            fields["decline_reason"] = "No places left this term; try again in January."
        referral = Referral.objects.create(
            network=network,
            school=source.school,
            student=student,
            service_id=service_id,
            organization_id=target,
            status=status,
            reason="Served by us; the family asked for help we do not offer.",
            referred_by=partner,
            referring_organization=org,
            coalition=coalition,
            basis=DisclosureBasis.CONSENT,
            consent=consent,
            shared_elements=["grade", "name", "school"],
            sent_at=sent_at,
            response_due_on=add_business_days(
                sent_day,
                network.referral_response_days,
                holidays_between(
                    network, sent_day, horizon(sent_day, network.referral_response_days)
                ),
            ),
            created_at=sent_at,
            **fields,
        )
        path = [S.DRAFT, S.SENT]
        if status in (S.IN_SERVICE, S.COMPLETED):
            path += [S.ACCEPTED, S.IN_SERVICE]
        if status not in path:
            path.append(status)
        ReferralEvent.objects.bulk_create(
            [
                ReferralEvent(
                    referral=referral,
                    from_status=path[k - 1] if k else "",
                    to_status=to,
                    actor=partner if k <= 1 else None,
                    created_at=sent_at + dt.timedelta(hours=k),
                )
                for k, to in enumerate(path)
            ]
        )
        made += 1
    return made


def reset_conferences(network_id: int) -> None:
    """Delete a network's conferences (with their rows) before `reset_students` deletes the
    students, guardians, consents and referrals they refer to with plain SQL."""
    FamilyTeamConference.objects.filter(network_id=network_id).delete()


__all__ = ["generate_conferences", "reset_conferences"]
