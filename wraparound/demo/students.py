"""Students, guardians, consents, tiers, referrals and service sessions of a demo network.

Realism the generator aims at (DESIGN.md §7): NYC-like demographics (73.5% economically
disadvantaged, 16.3% English learners, 21.6% students with disabilities), MTSS shares of about
12% of students at tier 2 and 3–4% at tier 3 in at least one domain, referrals in every state of
the loop (drawn mostly from tiered students, to services of the school's partners), each sent one
lawful — the partner's data-sharing agreement in force or, without one, the family's signed
consent — and sessions (individual and group) for the referrals in or through service.

The city profile writes millions of rows: everything goes out through `bulk.KeyedRows` (keys
handed out here, COPY or multi-row INSERTs in chunks), never through the ORM row by row, with
the foreign keys checked at the end, a query a table (`bulk.foreign_keys_checked_at_end`)."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import F
from django.utils import timezone
from faker import Faker

from wraparound.agreements.models import DataSharingAgreement, Partnership, VersionStatus
from wraparound.agreements.models.mou import IN_FORCE_STATUSES
from wraparound.core.grades import GRADE_ORDER
from wraparound.core.roles import Role
from wraparound.directory.models import Service
from wraparound.outcomes.models import AttendanceEvent, AttendanceMonth, InstructionalDay
from wraparound.referrals.business_days import add_business_days, horizon
from wraparound.referrals.holiday_selectors import holidays_between
from wraparound.referrals.models import (
    CaseNote,
    CloseReason,
    Modality,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ServiceSession,
    SessionAttendance,
    SessionKind,
)
from wraparound.students.models import (
    Consent,
    ConsentMethod,
    ConsentStatus,
    Guardian,
    GuardianRelationship,
    RaceEthnicity,
    RosterImport,
    SignerRelationship,
    Student,
    StudentEnrollment,
    StudentGuardian,
    TierAssignment,
    TierDomain,
)

from .bulk import KeyedRows, foreign_keys_checked_at_end

if TYPE_CHECKING:
    from .generate import DemoData

RACE_SHARES = [
    (RaceEthnicity.HISPANIC, 0.41),
    (RaceEthnicity.BLACK, 0.20),
    (RaceEthnicity.ASIAN, 0.185),
    (RaceEthnicity.WHITE, 0.16),
    (RaceEthnicity.TWO_OR_MORE, 0.025),
    (RaceEthnicity.AMERICAN_INDIAN, 0.01),
    (RaceEthnicity.PACIFIC_ISLANDER, 0.005),
    (RaceEthnicity.UNKNOWN, 0.005),
]
DOMAIN_WEIGHTS = [
    (TierDomain.ATTENDANCE, 0.30),
    (TierDomain.ACADEMICS, 0.25),
    (TierDomain.SOCIAL_EMOTIONAL, 0.20),
    (TierDomain.BEHAVIOUR, 0.12),
    (TierDomain.BASIC_NEEDS, 0.08),
    (TierDomain.HEALTH, 0.05),
]
TIER_REASONS = {
    TierDomain.ATTENDANCE: "Absent on more than one day in ten so far this year.",
    TierDomain.ACADEMICS: "Reading two grade levels below benchmark.",
    TierDomain.SOCIAL_EMOTIONAL: "Teacher and counselor concerns about withdrawal and anxiety.",
    TierDomain.BEHAVIOUR: "Repeated classroom removals this term.",
    TierDomain.BASIC_NEEDS: "Family in temporary housing; needs food and clothing support.",
    TierDomain.HEALTH: "Asthma with frequent nurse visits.",
}
# The loop's states as the demo shows them: most referrals are served or done.
STATUS_SHARES = [
    (ReferralStatus.DRAFT, 0.03),
    (ReferralStatus.SENT, 0.08),
    (ReferralStatus.ACCEPTED, 0.07),
    (ReferralStatus.DECLINED, 0.05),
    (ReferralStatus.WAITLISTED, 0.05),
    (ReferralStatus.IN_SERVICE, 0.30),
    (ReferralStatus.COMPLETED, 0.30),
    (ReferralStatus.CLOSED, 0.09),
    (ReferralStatus.WITHDRAWN, 0.03),
]
# The transitions each final state was reached through (after the draft).
PATHS: dict[str, list[str]] = {
    ReferralStatus.DRAFT: [],
    ReferralStatus.SENT: [ReferralStatus.SENT],
    ReferralStatus.ACCEPTED: [ReferralStatus.SENT, ReferralStatus.ACCEPTED],
    ReferralStatus.DECLINED: [ReferralStatus.SENT, ReferralStatus.DECLINED],
    ReferralStatus.WAITLISTED: [ReferralStatus.SENT, ReferralStatus.WAITLISTED],
    ReferralStatus.IN_SERVICE: [
        ReferralStatus.SENT,
        ReferralStatus.ACCEPTED,
        ReferralStatus.IN_SERVICE,
    ],
    ReferralStatus.COMPLETED: [
        ReferralStatus.SENT,
        ReferralStatus.ACCEPTED,
        ReferralStatus.IN_SERVICE,
        ReferralStatus.COMPLETED,
    ],
    ReferralStatus.CLOSED: [ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.CLOSED],
    ReferralStatus.WITHDRAWN: [ReferralStatus.SENT, ReferralStatus.WITHDRAWN],
}
REFERRAL_REASONS = [
    "Falling behind in reading; the family asked for after-school help.",
    "Chronic absence since October; mother works nights and asked for morning support.",
    "Student disclosed anxiety before tests; would benefit from weekly counseling.",
    "Family is in temporary housing and needs food, clothing and benefits help.",
    "Needs a mentor: two suspensions this year, strong interest in music.",
    "Asthma and missed appointments; needs a school-based health visit.",
]
DECLINE_REASONS = ["Outside our age range.", "No openings at this site this term."]
# A few names with letters beyond ASCII, as real rosters have.
ACCENTED_FIRST = ["José", "María", "Zoë", "Chloé", "Sofía", "Renée", "Ángel", "Inés", "Łukasz"]
ACCENTED_LAST = ["Peña", "Núñez", "García", "Ibáñez", "Nguyễn", "Müller", "Gómez", "Çelik"]
LANGUAGES = [("en", 0.62), ("es", 0.26), ("zh", 0.04), ("bn", 0.03), ("ar", 0.02), ("fr", 0.03)]
PURPOSE = "To arrange and coordinate the services the student was referred to."


def _pick(rng: random.Random, shares: list[tuple[Any, float]]) -> Any:
    values, weights = zip(*shares, strict=True)
    return rng.choices(values, weights)[0]


class _Clock:
    """Aware datetimes on the network's clock, for days of the school year so far."""

    def __init__(self, data: DemoData, today: dt.date, rng: random.Random) -> None:
        year = next(y for y in data.school_years if y.is_current)
        self.start = year.start_date
        self.today = max(today, self.start + dt.timedelta(days=30))
        self.span = (self.today - self.start).days
        self.tz = data.network.tzinfo
        self.rng = rng

    def day(self, low: int = 0) -> dt.date:
        return self.start + dt.timedelta(days=self.rng.randint(low, max(low, self.span - 1)))

    def at(self, day: dt.date) -> dt.datetime:
        minutes = self.rng.randint(8 * 60, 17 * 60)
        hour, minute = divmod(minutes, 60)
        return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)


def _sharing_in_force(network_id: int, today: dt.date) -> dict[tuple[int, int | None], Any]:
    """The data-sharing terms in force by (organization, school or None for network-wide)."""
    found: dict[tuple[int, int | None], Any] = {}
    terms = (
        DataSharingAgreement.objects.filter(
            version__agreement__network_id=network_id,
            version__agreement__status__in=IN_FORCE_STATUSES,
            version__agreement__signed_version_id=F("version_id"),
            version__status=VersionStatus.SIGNED,
            version__term_start__lte=today,
            version__term_end__gte=today,
        )
        .order_by("id")
        .values_list(
            "id",
            "version__agreement__organization_id",
            "version__agreement__school_id",
            "legal_basis",
            "data_elements",
            "partner_roles",
        )
    )
    for pk, org, school, basis, elements, roles in terms:
        if "partner_staff" in roles and elements:
            found.setdefault((org, school), (pk, basis, elements))
    return found


def generate_students(
    data: DemoData, rng: random.Random, fake: Faker, today: dt.date
) -> dict[str, int]:
    if not data.profile.students:
        return {}
    # Every row written here refers only to rows this transaction wrote (the network, its
    # schools, partners and agreements) or updated (the demo logins).
    with foreign_keys_checked_at_end(STUDENT_TABLES):
        counts = _generate_students(data, rng, fake, today)
        t0 = time.perf_counter()
    data.timings["students: foreign keys"] = time.perf_counter() - t0
    return counts


def _generate_students(
    data: DemoData, rng: random.Random, fake: Faker, today: dt.date
) -> dict[str, int]:
    from .generate import Names, _largest_remainder

    t0 = time.perf_counter()
    profile = data.profile
    network = data.network
    names = Names(fake, random.Random(rng.getrandbits(64)))
    clock = _Clock(data, today, random.Random(rng.getrandbits(64)))
    users = {login.role: user for login, user in zip(_logins(), data.users, strict=True)}
    first_school = next(
        m.school for m in data.memberships if m.role == Role.SCHOOL_STAFF and m.school
    )

    students = KeyedRows(Student)
    enrollments = KeyedRows(StudentEnrollment)
    guardians = KeyedRows(Guardian)
    links = KeyedRows(StudentGuardian)
    tiers = KeyedRows(TierAssignment)
    # By school: (student, first guardian, highest tier) of each student.
    roster: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    sizes = _largest_remainder(
        profile.students, [float(s.enrollment or 300) for s in data.schools], minimum=1
    )
    created = timezone.now()
    start_year = clock.start.year
    counts: dict[str, int] = defaultdict(int)
    for school, size in zip(data.schools, sizes, strict=True):
        grades = [g for g in school.grades if g in GRADE_ORDER]
        family: tuple[int, str] | None = None
        for n in range(size):
            grade = rng.choice(grades)
            age = max(GRADE_ORDER[grade] - GRADE_ORDER["KG"], -1) + 5
            birth = dt.date(start_year - age - 1, 9, 2) + dt.timedelta(days=rng.randrange(365))
            accented = rng.random() < 0.05
            given = rng.choice(ACCENTED_FIRST) if accented else names.first()
            # Siblings: about one student in six shares the previous student's family.
            sibling = family is not None and rng.random() < 0.17
            last = (
                family[1]
                if sibling and family
                else (rng.choice(ACCENTED_LAST) if accented else names.last())
            )
            sourced = f"{school.code}-{n + 1:05d}"
            english_learner = rng.random() < 0.163
            student_id = students.add(
                network_id=network.pk,
                school_id=school.pk,
                sourced_id=sourced,
                identifier=f"{200_000_000 + students.next_id:09d}",
                given_name=given,
                family_name=last,
                grade=grade,
                birth_date=birth,
                email=f"{sourced.lower()}@students.demo.wraparound.test",
                sex=rng.choice(("female", "male")) if rng.random() < 0.99 else "other",
                race_ethnicity=_pick(rng, RACE_SHARES),
                english_learner=english_learner,
                disability=rng.random() < 0.216,
                economically_disadvantaged=rng.random() < 0.735,
                home_language="es" if english_learner and rng.random() < 0.6 else "",
                is_active=True,
                created_at=created,
                updated_at=created,
            )
            enrollments.add(
                network_id=network.pk,
                sourced_id=f"{sourced}-enr",
                student_id=student_id,
                school_id=school.pk,
                begin_date=clock.start,
                is_primary=True,
            )
            if sibling and family:
                guardian_id = family[0]
            else:
                guardian_id = guardians.add(
                    network_id=network.pk,
                    sourced_id=f"{sourced}-g1",
                    given_name=names.first(),
                    family_name=last,
                    email=f"{sourced.lower()}.family@demo.wraparound.test",
                    phone=f"718-555-{rng.randrange(10000):04d}",
                    preferred_language=_pick(rng, LANGUAGES),
                    is_active=True,
                    created_at=created,
                    updated_at=created,
                )
                counts["guardians"] += 1
                if rng.random() < 0.35:
                    second = guardians.add(
                        network_id=network.pk,
                        sourced_id=f"{sourced}-g2",
                        given_name=names.first(),
                        family_name=names.last() if rng.random() < 0.3 else last,
                        phone=f"347-555-{rng.randrange(10000):04d}",
                        preferred_language=_pick(rng, LANGUAGES),
                        is_active=True,
                        created_at=created,
                        updated_at=created,
                    )
                    links.add(
                        student_id=student_id,
                        guardian_id=second,
                        relationship=GuardianRelationship.GUARDIAN
                        if rng.random() < 0.1
                        else GuardianRelationship.PARENT,
                    )
                    counts["guardians"] += 1
                family = (guardian_id, last)
            links.add(
                student_id=student_id,
                guardian_id=guardian_id,
                relationship=GuardianRelationship.PARENT,
            )
            top = _tiers(
                rng, tiers, clock, network.pk, school.pk, student_id, users, first_school, counts
            )
            roster[school.pk].append((student_id, guardian_id, top))
    counts["students"] = students.finish()
    enrollments.finish()
    guardians.finish()
    links.finish()
    counts["tier assignments"] = tiers.finish()
    data.timings["students: roster"] = time.perf_counter() - t0
    counts.update(_referrals(data, rng, clock, roster, users, first_school))
    return dict(counts)


def _logins() -> list[Any]:
    from .logins import DEMO_LOGINS

    return list(DEMO_LOGINS)


def _tiers(
    rng: random.Random,
    tiers: KeyedRows,
    clock: _Clock,
    network_id: int,
    school_id: int,
    student_id: int,
    users: dict[str, Any],
    first_school: Any,
    counts: dict[str, int],
) -> int:
    """Tier 2/3 assignments of one student; returns the highest tier (1 when none)."""
    u = rng.random()
    if u >= 0.165:
        return 1
    top = 3 if u < 0.035 else 2
    domains = [_pick(rng, DOMAIN_WEIGHTS)]
    if rng.random() < 0.3:
        extra = _pick(rng, DOMAIN_WEIGHTS)
        if extra not in domains:
            domains.append(extra)
    staff = users[Role.SCHOOL_STAFF]
    for i, domain in enumerate(domains):
        tiers.add(
            network_id=network_id,
            school_id=school_id,
            student_id=student_id,
            domain=domain,
            tier=top if i == 0 else 2,
            reason=TIER_REASONS[domain],
            starts_on=clock.day(),
            case_manager_id=staff.pk if school_id == first_school.pk else None,
            created_by_id=staff.pk,
            created_at=timezone.now(),
        )
    counts[f"students at tier {top}"] += 1
    return top


def _referrals(
    data: DemoData,
    rng: random.Random,
    clock: _Clock,
    roster: dict[int, list[tuple[int, int, int]]],
    users: dict[str, Any],
    first_school: Any,
) -> dict[str, int]:
    t0 = time.perf_counter()
    profile = data.profile
    network = data.network
    sharing = _sharing_in_force(network.pk, clock.today)
    # Due days skip the network's holidays, as `referral_services` computes them.
    holidays = holidays_between(
        network, clock.start, horizon(clock.today, network.referral_response_days)
    )
    # Ordered: the random draws below must meet the rows in the same order on every run.
    service_org = dict(
        Service.objects.filter(organization__network=network)
        .order_by("id")
        .values_list("id", "organization_id")
    )
    # The services each school refers to: its partners' first, then those of its community.
    partner_services: dict[int, list[tuple[int, int, int | None]]] = defaultdict(list)
    for pk, school_id, org_id, service_id in (
        Partnership.objects.filter(network=network, school__isnull=False, service__isnull=False)
        .order_by("id")
        .values_list("id", "school_id", "organization_id", "service_id")
    ):
        partner_services[school_id].append((service_id, org_id, pk))
    by_community: dict[int, list[tuple[int, int, int | None]]] = defaultdict(list)
    org_community = {
        o.pk: c.pk for o, c in zip(data.organizations, data.organization_communities, strict=True)
    }
    for service_id, org_id in service_org.items():
        if org_id in org_community:
            by_community[org_community[org_id]].append((service_id, org_id, None))
    all_services: list[tuple[int, int, int | None]] = [(s, o, None) for s, o in service_org.items()]
    demo_org = data.organizations[0].pk
    demo_services = [entry for entry in all_services if entry[1] == demo_org][:1]

    referrals = KeyedRows(Referral)
    events = KeyedRows(ReferralEvent, chunk=100_000)
    consents = KeyedRows(Consent)
    coordinator = users[Role.SCHOOL_COORDINATOR]
    partner_staff = users[Role.PARTNER_STAFF]
    counts: dict[str, int] = defaultdict(int)
    # Referrals in or through service, by (school, service): the rosters sessions are drawn for.
    served: dict[tuple[int, int], list[tuple[int, int, int, int | None, dt.date]]] = defaultdict(
        list
    )
    schools = [s for s in data.schools if roster[s.pk]]
    weights = [len(roster[s.pk]) for s in schools]
    picks = rng.choices(schools, weights, k=profile.referrals)
    # The demo logins' school and partner get a handful in every state, so each login sees the
    # whole loop.
    demo_states = [s for s, _ in STATUS_SHARES for _ in range(2)] if demo_services else []
    tiered_of = {pk: [m for m in members if m[2] > 1] for pk, members in roster.items()}
    for i, school in enumerate(picks):
        forced = demo_states[i] if i < len(demo_states) else None
        if forced is not None:
            school = first_school
        members = roster[school.pk]
        tiered = tiered_of[school.pk]
        student_id, guardian_id, _ = (
            rng.choice(tiered) if tiered and rng.random() < 0.75 else rng.choice(members)
        )
        if forced is not None:
            service_id, org_id, partnership_id = demo_services[0]
        else:
            options = partner_services.get(school.pk) or by_community.get(
                school.community_id, all_services
            )
            service_id, org_id, partnership_id = rng.choice(options or all_services)
        status = forced or _pick(rng, STATUS_SHARES)
        created_day = clock.day()
        if status == ReferralStatus.SENT:
            # Some are overdue (the daily reminder's work), most are not yet due.
            created_day = max(clock.start, clock.today - dt.timedelta(days=rng.randint(0, 9)))
        created_at = clock.at(created_day)
        terms = sharing.get((org_id, school.pk)) or sharing.get((org_id, None))
        fields: dict[str, Any] = {}
        if status != ReferralStatus.DRAFT:
            sent_day = created_day
            fields.update(
                sent_at=created_at,
                response_due_on=add_business_days(
                    sent_day, network.referral_response_days, holidays
                ),
            )
            if terms is not None:
                dsa_id, basis, elements = terms
                shared = [e for e in elements if e in ("name", "grade", "school", "notes")]
                fields.update(
                    basis=basis, data_sharing_id=dsa_id, shared_elements=shared or elements[:2]
                )
            else:
                consent_id = consents.add(
                    network_id=network.pk,
                    school_id=school.pk,
                    student_id=student_id,
                    guardian_id=guardian_id,
                    data_elements=["name", "grade", "contact", "notes"],
                    purpose=PURPOSE,
                    recipient_organization_id=org_id,
                    recipient_description="",
                    status=ConsentStatus.SIGNED,
                    method=ConsentMethod.PAPER,
                    signed_by_name="(signed on paper)",
                    signer_relationship=SignerRelationship.PARENT,
                    signed_at=created_at - dt.timedelta(days=2),
                    effective_on=created_day - dt.timedelta(days=2),
                    expires_on=clock.start.replace(year=clock.start.year + 1),
                    language="en",
                    created_by_id=coordinator.pk,
                    created_at=created_at - dt.timedelta(days=2),
                )
                fields.update(
                    basis="consent",
                    consent_id=consent_id,
                    shared_elements=["name", "grade", "contact", "notes"],
                )
                counts["consents"] += 1
        else:
            fields["shared_elements"] = ["name", "grade", "notes"]
        path = PATHS[status]
        moments = [created_at]
        for _step in path:
            moments.append(moments[-1] + dt.timedelta(hours=rng.randint(2, 24 * 6)))
        latest = clock.at(clock.today)
        moments = [min(m, latest) for m in moments]
        if len(path) >= 2 and path[1] != ReferralStatus.WITHDRAWN:
            fields["responded_at"] = moments[2]
        if ReferralStatus.IN_SERVICE in path:
            fields["service_started_at"] = moments[path.index(ReferralStatus.IN_SERVICE) + 1]
        if status in (
            ReferralStatus.COMPLETED,
            ReferralStatus.CLOSED,
            ReferralStatus.DECLINED,
            ReferralStatus.WITHDRAWN,
        ):
            fields["closed_at"] = moments[-1]
        if status == ReferralStatus.DECLINED:
            fields["decline_reason"] = rng.choice(DECLINE_REASONS)
        if status == ReferralStatus.CLOSED:
            fields["close_reason"] = rng.choice(list(CloseReason.values))
        referral_id = referrals.add(
            network_id=network.pk,
            school_id=school.pk,
            student_id=student_id,
            service_id=service_id,
            organization_id=org_id,
            partnership_id=partnership_id,
            status=status,
            version=len(path) + 1,
            reason=rng.choice(REFERRAL_REASONS),
            urgent=rng.random() < 0.05,
            referred_by_id=coordinator.pk,
            created_at=created_at,
            updated_at=moments[-1],
            **fields,
        )
        counts[f"{status} referrals"] += 1
        previous = ""
        for step, moment in zip([ReferralStatus.DRAFT, *path], moments, strict=True):
            partner_side = step not in (
                ReferralStatus.DRAFT,
                ReferralStatus.SENT,
                ReferralStatus.WITHDRAWN,
            )
            actor = (
                (partner_staff.pk if org_id == demo_org else None)
                if partner_side
                else coordinator.pk
            )
            events.add(
                referral_id=referral_id,
                from_status=previous,
                to_status=step,
                actor_id=actor,
                reason=fields.get("close_reason", "") if step == ReferralStatus.CLOSED else "",
                note=fields.get("decline_reason", "") if step == ReferralStatus.DECLINED else "",
                created_at=moment,
            )
            previous = step
        if "service_started_at" in fields:
            started = fields["service_started_at"].date()
            served[(school.pk, service_id)].append(
                (referral_id, student_id, org_id, partnership_id, started)
            )
    counts["referrals"] = referrals.finish()
    counts["referral events"] = events.finish()
    consents.finish()
    data.timings["students: referrals"] = time.perf_counter() - t0
    counts.update(_sessions(data, rng, clock, served, partner_staff, demo_org))
    return counts


def _sessions(
    data: DemoData,
    rng: random.Random,
    clock: _Clock,
    served: dict[tuple[int, int], list[tuple[int, int, int, int | None, dt.date]]],
    partner_staff: Any,
    demo_org: int,
) -> dict[str, int]:
    """Sessions for the referrals in or through service: individual ones, and group ones for
    rosters of three or more (every member present or absent)."""
    total = data.profile.sessions
    served_count = sum(len(v) for v in served.values())
    if not total or not served_count:
        return {}
    t0 = time.perf_counter()
    sessions = KeyedRows(ServiceSession, chunk=50_000)
    attendance = KeyedRows(SessionAttendance, chunk=100_000)
    network_id = data.network.pk
    created = timezone.now()
    remaining = total
    groups = sorted(served.items())
    for g, ((school_id, service_id), members) in enumerate(groups):
        share = round(total * len(members) / served_count) if g < len(groups) - 1 else remaining
        share = min(max(share, 0), remaining)
        remaining -= share
        org_id, partnership_id = members[0][2], members[0][3]
        for _ in range(share):
            group = len(members) >= 3 and rng.random() < 0.35
            day = clock.day(14)
            duration = rng.choice((60, 90)) if group else rng.choice((30, 45, 45, 60))
            session_id = sessions.add(
                network_id=network_id,
                school_id=school_id,
                organization_id=org_id,
                service_id=service_id,
                partnership_id=partnership_id,
                kind=SessionKind.GROUP if group else SessionKind.INDIVIDUAL,
                title="Group session" if group else "",
                date=day,
                duration_minutes=duration,
                modality=Modality.VIRTUAL if rng.random() < 0.12 else Modality.IN_PERSON,
                place="" if rng.random() < 0.5 else "Room 204",
                logged_by_id=partner_staff.pk,
                created_at=created,
            )
            attendees = (
                rng.sample(members, min(len(members), 12)) if group else [rng.choice(members)]
            )
            seen: set[int] = set()
            for referral_id, student_id, _org, _p, _started in attendees:
                if student_id in seen:  # two referrals of one student to one service
                    continue
                seen.add(student_id)
                present = not group or rng.random() < 0.85
                attendance.add(
                    session_id=session_id,
                    student_id=student_id,
                    referral_id=referral_id,
                    present=present,
                    minutes=None,
                )
    counts = {"sessions": sessions.finish(), "session attendance": attendance.finish()}
    data.timings["students: sessions"] = time.perf_counter() - t0
    return counts


def reset_students(network_id: int) -> None:
    """Delete a network's attendance, sessions, referrals, consents, tiers, roster and imports:
    one statement a table, leaves first (before its partnerships, services and schools go)."""
    from .conferences import reset_conferences  # conferences refer to students and referrals

    reset_conferences(network_id)
    q = connection.ops.quote_name
    session = q(ServiceSession._meta.db_table)
    referral = q(Referral._meta.db_table)
    student = q(Student._meta.db_table)
    guardian = q(Guardian._meta.db_table)
    statements = [
        # Attendance refers to the students (and the calendar to the schools).
        *(
            f"DELETE FROM {q(model._meta.db_table)} WHERE network_id = %s"  # noqa: S608
            for model in (AttendanceMonth, AttendanceEvent, InstructionalDay)
        ),
        f"DELETE FROM {q(SessionAttendance._meta.db_table)} WHERE session_id IN "  # noqa: S608
        f"(SELECT id FROM {session} WHERE network_id = %s)",
        f"DELETE FROM {session} WHERE network_id = %s",  # noqa: S608
        f"DELETE FROM {q(ReferralEvent._meta.db_table)} WHERE referral_id IN "  # noqa: S608
        f"(SELECT id FROM {referral} WHERE network_id = %s)",
        f"DELETE FROM {referral} WHERE network_id = %s",  # noqa: S608
        f"DELETE FROM {q(CaseNote._meta.db_table)} WHERE network_id = %s",  # noqa: S608
        f"DELETE FROM {q(Consent._meta.db_table)} WHERE network_id = %s",  # noqa: S608
        f"DELETE FROM {q(TierAssignment._meta.db_table)} WHERE network_id = %s",  # noqa: S608
        f"DELETE FROM {q(StudentGuardian._meta.db_table)} WHERE student_id IN "  # noqa: S608
        f"(SELECT id FROM {student} WHERE network_id = %s)",
        f"DELETE FROM {q(StudentEnrollment._meta.db_table)} WHERE network_id = %s",  # noqa: S608
        f"DELETE FROM {student} WHERE network_id = %s",  # noqa: S608
        f"DELETE FROM {guardian} WHERE network_id = %s",  # noqa: S608
        f"DELETE FROM {q(RosterImport._meta.db_table)} WHERE network_id = %s",  # noqa: S608
    ]
    with connection.cursor() as cursor:
        # Table and column names come from the models' metadata, never from input.
        for sql in statements:
            cursor.execute(sql, [network_id])


STUDENT_TABLES = (
    Student,
    StudentEnrollment,
    Guardian,
    StudentGuardian,
    TierAssignment,
    Consent,
    Referral,
    ReferralEvent,
    ServiceSession,
    SessionAttendance,
)
