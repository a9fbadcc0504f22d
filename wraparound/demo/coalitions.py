"""Coalition details for a demo network (issue 8): for every coalition of `data.coalitions`, six to
ten member agencies — directory organizations based in its community, one or two of the
community's schools, a city agency and a Head Start centre (sometimes a child-care provider) —
with their contacts, what each commits for the school year, two or three measures entered by
hand, and a shared-resources board of five to eight offers and requests (some fulfilled, most
answered).

The demo coalition login is made the primary contact of the first coalition's first member
agency, so it can post, commit and enter measures. Referrals between members need no demo data
of their own: the measures count the referrals the students step already made from member
schools to member organizations. Everything is written with bulk_create (a few statements per
coalition kind, not per row), so `city` (59 coalitions) costs about what `small` does."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from faker import Faker

from wraparound.coalitions.models import (
    CoalitionMember,
    Commitment,
    CommitmentKind,
    MeasureEntry,
    MemberContact,
    MemberKind,
    PostKind,
    PostStatus,
    ResourcePost,
    ResourceResponse,
)

if TYPE_CHECKING:
    from .generate import DemoData

MAX_COALITIONS = 59
COALITION_LOGIN = "coalition"

OFFERS = [
    (
        "30 winter coats",
        "Children's sizes 4–14, new, from our December drive. Pick up at our "
        "front desk, weekdays 9–5.",
    ),
    (
        "Room for a parent workshop on Tuesdays",
        "Our community room seats 40 and is free on "
        "Tuesday evenings from 6 pm; projector and child care corner included.",
    ),
    (
        "Spanish–English interpreter for family meetings",
        "Two staff interpreters can join family meetings at member schools, with a week's notice.",
    ),
    ("Back-to-school backpacks", "120 filled backpacks for grades K–5 left over from August."),
    (
        "Van and driver for a field trip",
        "Our 15-seat van is free on Fridays; the driver has "
        "cleared the network's background check.",
    ),
    ("Free vision screenings", "Our mobile clinic can visit one more school this term."),
]
REQUESTS = [
    (
        "Need a Mandarin-speaking tutor",
        "Three middle-school students who arrived this year need a tutor two afternoons a week.",
    ),
    ("Space for a summer reading program", "Looking for two classrooms in July, mornings only."),
    (
        "Volunteers for the family resource fair",
        "We need ten volunteers on the Saturday of the "
        "fair, 9 am to 2 pm, to staff tables and guide families.",
    ),
    (
        "Diapers and formula for Head Start families",
        "Families enrolled since January are short of diapers (sizes 4–6) and formula.",
    ),
    (
        "Someone to run a FAFSA night",
        "High-school families asked for help with the FAFSA in "
        "February; we have the room, not the expertise.",
    ),
    (
        "Mental-health first aid trainer",
        "Our after-school staff want the eight-hour course before spring.",
    ),
]
RESPONSES = [
    "We can help with this — I'll call you this week to arrange it.",
    "We have some of this; would half be useful?",
    "Our team can do a Tuesday or a Thursday. Which suits you?",
    "Forwarded to our program director, who will be in touch.",
    "We did this last year and can share what worked.",
]
TITLES = [
    "Program director",
    "Family services coordinator",
    "Community liaison",
    "Case manager",
    "Executive director",
    "Site director",
]
COMMITMENTS: dict[str, list[tuple[str, str, int | None, str]]] = {
    # member kind → (commitment kind, description, quantity or None, unit)
    MemberKind.COMMUNITY_ORGANIZATION: [
        (CommitmentKind.REFERRALS_ACCEPTED, "Referrals from member schools", 25, "referrals"),
        (CommitmentKind.SLOTS, "After-school places for coalition families", 15, "slots"),
        (CommitmentKind.STAFF_HOURS, "Case-management hours at member schools", 120, "hours"),
    ],
    MemberKind.SCHOOL: [
        (CommitmentKind.SPACE, "Gym and library on Saturdays for family events", None, ""),
        (CommitmentKind.STAFF_HOURS, "Social worker at the monthly resource table", 20, "hours"),
    ],
    MemberKind.GOVERNMENT_AGENCY: [
        (CommitmentKind.FUNDS, "Mini-grants for the coalition's family fair", 5000, "USD"),
        (CommitmentKind.STAFF_HOURS, "Benefits screenings at member schools", 60, "hours"),
    ],
    MemberKind.HEAD_START: [
        (CommitmentKind.SLOTS, "Pre-K places held for referred families", 10, "slots"),
    ],
    MemberKind.CHILD_CARE: [
        (CommitmentKind.SLOTS, "Infant and toddler places for referred families", 6, "slots"),
    ],
}


def _period(data: DemoData) -> tuple[dt.date, dt.date]:
    current = next((y for y in data.school_years if y.is_current), None)
    if current is not None:
        return current.start_date, current.end_date
    today = data.network.today()
    return today - dt.timedelta(days=364), today


def _phone(rng: random.Random) -> str:
    # 555-01xx numbers are reserved for fiction.
    return f"(718) 555-01{rng.randint(0, 99):02d}"


def _title(rng: random.Random, member: CoalitionMember, k: int) -> str:
    if member.kind == MemberKind.SCHOOL:
        return "Principal" if k == 0 else "Community school director"
    return rng.choice(TITLES)


def _email(name: str, agency: str) -> str:
    local = ".".join(name.lower().replace("'", "").split()[:2])
    domain = "".join(ch for ch in agency.lower() if ch.isalnum())[:20] or "agency"
    return f"{local}@{domain}.example.org"


def generate_coalition_details(
    data: DemoData, rng: random.Random, fake: Faker, now: dt.datetime | None = None
) -> dict[str, int]:
    """Members, contacts, commitments, entered measures and board posts for the demo's
    coalitions (the first `MAX_COALITIONS`)."""
    now = now or timezone.now()
    coalitions = data.coalitions[:MAX_COALITIONS]
    if not coalitions:
        return {}
    login = next((u for u in data.users if u.username == COALITION_LOGIN), None)
    starts_on, ends_on = _period(data)
    today = data.network.today(now)

    orgs_by_community: dict[int, list[Any]] = {}
    for org, community in zip(data.organizations, data.organization_communities, strict=False):
        orgs_by_community.setdefault(community.pk, []).append(org)
    schools_by_community: dict[int, list[Any]] = {}
    for school in data.schools:
        schools_by_community.setdefault(school.community_id, []).append(school)

    members: list[CoalitionMember] = []
    for coalition in coalitions:
        place = data.places.get(coalition.community.code) if coalition.community else None
        short = place.short_name if place else coalition.name
        orgs = orgs_by_community.get(coalition.community_id or 0, [])
        schools = schools_by_community.get(coalition.community_id or 0, [])
        chosen_orgs = rng.sample(orgs, min(len(orgs), rng.randint(3, 5)))
        if orgs and data.organizations[0] in orgs and data.organizations[0] not in chosen_orgs:
            chosen_orgs[:1] = [data.organizations[0]]  # the demo partner is in its coalition
        chosen_schools = rng.sample(schools, min(len(schools), rng.randint(1, 2)))
        joined = starts_on - dt.timedelta(days=rng.randint(30, 700))
        members += [
            CoalitionMember(
                coalition=coalition,
                kind=MemberKind.COMMUNITY_ORGANIZATION,
                organization=o,
                joined_on=joined,
            )
            for o in chosen_orgs
        ]
        members += [
            CoalitionMember(coalition=coalition, kind=MemberKind.SCHOOL, school=s, joined_on=joined)
            for s in chosen_schools
        ]
        members.append(
            CoalitionMember(
                coalition=coalition,
                kind=MemberKind.GOVERNMENT_AGENCY,
                name=f"ACS Community Partnership Program — {short}",
                joined_on=joined,
            )
        )
        members.append(
            CoalitionMember(
                coalition=coalition,
                kind=MemberKind.HEAD_START,
                name=f"{short} Head Start Center",
                joined_on=joined,
            )
        )
        if len(chosen_orgs) + len(chosen_schools) + 2 < 6 or rng.random() < 0.4:
            members.append(
                CoalitionMember(
                    coalition=coalition,
                    kind=MemberKind.CHILD_CARE,
                    name=f"{fake.last_name()} Family Child Care",
                    joined_on=joined,
                )
            )
    members = CoalitionMember.objects.bulk_create(members)
    by_coalition: dict[int, list[CoalitionMember]] = {}
    for m in members:
        by_coalition.setdefault(m.coalition_id, []).append(m)

    org_names = {o.pk: o.name for o in data.organizations}
    school_names = {s.pk: s.name for s in data.schools}
    names = {
        m.pk: org_names.get(m.organization_id or 0) or school_names.get(m.school_id or 0) or m.name
        for m in members
    }

    contacts: list[MemberContact] = []
    user_of: dict[int, Any] = {}  # member pk → the login that acts for it
    for i, coalition in enumerate(coalitions):
        for j, m in enumerate(by_coalition[coalition.pk]):
            for k in range(rng.randint(1, 2)):
                linked = login if (i == 0 and j == 0 and k == 0) else None
                name = (
                    f"{linked.first_name} {linked.last_name}" if linked is not None else fake.name()
                )
                contacts.append(
                    MemberContact(
                        member=m,
                        name=name,
                        title=_title(rng, m, k),
                        email=_email(name, names[m.pk]),
                        phone=_phone(rng),
                        user=linked,
                        is_primary=k == 0,
                    )
                )
                if linked is not None:
                    user_of[m.pk] = linked
    MemberContact.objects.bulk_create(contacts)

    commitments: list[Commitment] = []
    for m in members:
        options = COMMITMENTS[m.kind]
        for kind, description, quantity, unit in rng.sample(
            options, min(len(options), rng.randint(1, 2))
        ):
            commitments.append(
                Commitment(
                    coalition_id=m.coalition_id,
                    member=m,
                    kind=kind,
                    description=description,
                    quantity=(
                        Decimal(max(1, round(quantity * rng.uniform(0.6, 1.4))))
                        if quantity is not None
                        else None
                    ),
                    unit=unit,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    created_by=user_of.get(m.pk),
                )
            )
    commitments = Commitment.objects.bulk_create(commitments)

    entries: list[MeasureEntry] = []
    reported_until = min(today, ends_on)
    for coalition in coalitions:
        entries.append(
            MeasureEntry(
                coalition=coalition,
                name="Families at the coalition's resource fair",
                value=Decimal(rng.randint(80, 260)),
                unit="families",
                starts_on=max(starts_on, reported_until - dt.timedelta(days=60)),
                ends_on=max(starts_on, reported_until - dt.timedelta(days=60)),
                note="Sign-in sheets at the fair",
            )
        )
        hours = [
            c
            for c in commitments
            if c.coalition_id == coalition.pk and c.kind == CommitmentKind.STAFF_HOURS
        ]
        for c in hours[: rng.randint(1, 2)]:
            entries.append(
                MeasureEntry(
                    coalition=coalition,
                    member=c.member,
                    commitment=c,
                    name="Staff hours given",
                    value=Decimal(round(float(c.quantity or 0) * rng.uniform(0.2, 0.7))),
                    unit="hours",
                    starts_on=starts_on,
                    ends_on=reported_until,
                    note="From the agency's timesheets",
                )
            )
    MeasureEntry.objects.bulk_create(entries)

    posts: list[ResourcePost] = []
    for i, coalition in enumerate(coalitions):
        pool = [(PostKind.OFFER, t, b) for t, b in OFFERS] + [
            (PostKind.REQUEST, t, b) for t, b in REQUESTS
        ]
        chosen = rng.sample(pool, rng.randint(5, 8))
        coalition_members = by_coalition[coalition.pk]
        for n, (kind, title, body) in enumerate(chosen):
            # The demo login's agency posts the first two of the first coalition: one open.
            member = coalition_members[0] if i == 0 and n < 2 else rng.choice(coalition_members)
            posted_at = now - dt.timedelta(days=rng.randint(2, 75), hours=rng.randint(0, 10))
            fulfilled = n != 0 and rng.random() < 0.35
            poster = user_of.get(member.pk)
            posts.append(
                ResourcePost(
                    coalition=coalition,
                    member=member,
                    kind=kind,
                    title=title,
                    body=body,
                    status=PostStatus.FULFILLED if fulfilled else PostStatus.OPEN,
                    posted_by=poster,
                    posted_at=posted_at,
                    closed_at=posted_at + dt.timedelta(days=rng.randint(3, 12))
                    if fulfilled
                    else None,
                    closed_by=poster if fulfilled else None,
                    version=2 if fulfilled else 1,
                )
            )
    posts = ResourcePost.objects.bulk_create(posts)

    responses: list[ResourceResponse] = []
    for post in posts:
        others = [m for m in by_coalition[post.coalition_id] if m.pk != post.member_id]
        count = rng.randint(1, 3) if post.status == PostStatus.FULFILLED else rng.randint(0, 2)
        for r, m in enumerate(rng.sample(others, min(len(others), count))):
            responses.append(
                ResourceResponse(
                    post=post,
                    member=m,
                    responder=user_of.get(m.pk),
                    message=rng.choice(RESPONSES),
                    created_at=min(
                        now,
                        post.posted_at + dt.timedelta(hours=rng.randint(2, 48) * (r + 1)),
                    ),
                )
            )
    ResourceResponse.objects.bulk_create(responses)

    return {
        "coalition members": len(members),
        "coalition contacts": len(contacts),
        "commitments": len(commitments),
        "measures entered": len(entries),
        "board posts": len(posts),
        "board responses": len(responses),
    }
