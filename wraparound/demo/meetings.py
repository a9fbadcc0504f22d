"""Meetings for a demo network (issue 8): coalitions and school leadership teams that meet monthly.

Every coalition gets a monthly series that began six months ago: its past meetings held (one
cancelled), with agenda, minutes, decisions and attendance — its member agencies' contacts (each
counted for its agency), or its coalition-member users when the coalitions step made no members,
plus a family or community member or two — and two or three action items each: the older ones
mostly done (a few dropped), the recent ones open, some of them overdue. The next three months'
meetings are scheduled. A few schools get the same for their leadership team: the demo
coordinator's two schools and up to two more; the coordinator owns most of their action items
(so the coordinator login sees open and overdue items on the home page), the principal some.

Meeting times follow `meetings.recurrence`, so the daily job that extends series finds every slot
already there. Everything is written with bulk_create: `city` (a coalition per community) takes
about as long as `small`."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from wraparound.core.roles import Role
from wraparound.meetings.bodies import COALITION, SCHOOL, Body, Person, owners, people
from wraparound.meetings.models import (
    ActionItem,
    ActionItemStatus,
    AttendeeKind,
    Cadence,
    Meeting,
    MeetingAttendee,
    MeetingSeries,
    MeetingStatus,
)
from wraparound.meetings.recurrence import nth

if TYPE_CHECKING:
    from .generate import DemoData

PAST_MONTHS = 6
AHEAD_MONTHS = 3
EXTRA_SCHOOLS = 2

COALITION_AGENDAS = [
    "1. Welcome and introductions\n2. Referrals between members: what is stuck\n"
    "3. Shared resources board\n4. Commitments update",
    "1. Attendance figures for the district\n2. Winter needs: coats, heating, food\n"
    "3. Family engagement night planning",
    "1. Response times on cross-agency referrals\n2. Head Start to kindergarten transition\n"
    "3. Any other business",
]
COALITION_MINUTES = [
    "Members reviewed the referrals sent between agencies since the last meeting. Two families "
    "waited more than five school days for an answer; the agencies involved agreed to name a "
    "back-up contact. The food pantry reported higher demand since the SNAP change.",
    "The district shared chronic-absence figures by school. Members discussed a walking school "
    "bus for the two elementary schools with the highest rates, and a coat drive before "
    "January. Parents present asked for information sessions in Spanish and Bengali.",
    "Head Start and the elementary schools compared transition calendars. The clinic offered "
    "space on Tuesday evenings for parent workshops. The coalition agreed to publish its "
    "commitments and figures at the next meeting.",
]
COALITION_DECISIONS = [
    "Each member names a back-up referral contact",
    "Run a coat drive through the shared resources board",
    "Hold the spring family night at the clinic",
    "Publish the coalition's figures each quarter",
    "Invite the housing agency to join",
]
COALITION_ITEMS = [
    "Send the list of back-up referral contacts",
    "Post the coat drive on the board",
    "Book the room for the family night",
    "Draft the quarterly figures",
    "Call the housing agency about joining",
    "Translate the workshop flyer into Spanish",
    "Share the transition calendar with Head Start",
]
SCHOOL_AGENDAS = [
    "1. Attendance and chronic absence\n2. Tier 2 and 3 students: referrals and progress\n"
    "3. Partner updates",
    "1. Needs assessment follow-up\n2. Family engagement\n3. Budget for after-school",
]
SCHOOL_MINUTES = [
    "The team reviewed attendance by grade; grade 3 improved, grade 5 did not. The social "
    "worker reported on referrals still waiting for an answer. The after-school partner can "
    "take ten more students from February.",
    "The team went through the gaps from the needs assessment. Families at the last coffee "
    "morning asked for evening hours at the food pantry. The principal will raise the budget "
    "for after-school at the district meeting.",
]
SCHOOL_DECISIONS = [
    "Start attendance calls home on the second absence",
    "Offer the parent coffee morning monthly",
    "Ask the after-school partner for ten more places",
    "Review tier 3 students every two weeks",
]
SCHOOL_ITEMS = [
    "Call the families of students absent three days or more",
    "Ask the after-school partner about places in February",
    "Prepare the attendance figures by grade",
    "Set the date of the next family coffee morning",
    "Follow up the referrals waiting for an answer",
    "Share the needs assessment gaps with partners",
]
FAMILY_NAMES = ["Rosa Alvarez", "Mei Chen", "Fatima Diallo", "James Brown", "Ana Morales"]
GUEST_KINDS = [
    (AttendeeKind.FAMILY, "parent"),
    (AttendeeKind.FAMILY, "grandparent and guardian"),
    (AttendeeKind.COMMUNITY, "tenants' association"),
    (AttendeeKind.STUDENT, "student council"),
]


def _user(data: DemoData, username: str) -> Any | None:
    return next((u for u in data.users if u.username == username), None)


def _demo_schools(data: DemoData) -> list[Any]:
    """The demo coordinator's schools first, then a few more."""
    coordinator_schools = [
        m.school
        for m in data.memberships
        if m.role == Role.SCHOOL_COORDINATOR and m.school is not None
    ]
    chosen = list(dict.fromkeys(coordinator_schools))
    for school in data.schools:
        if len(chosen) >= len(coordinator_schools) + EXTRA_SCHOOLS:
            break
        if school not in chosen:
            chosen.append(school)
    return chosen


class _Plan:
    """What is written, collected for bulk_create."""

    def __init__(self) -> None:
        self.series: list[MeetingSeries] = []
        self.meetings: list[tuple[Meeting, list[Person], list[tuple[str, str, str]]]] = []
        self.items: list[tuple[int, ActionItem]] = []  # (index into meetings, item)


def _body_meetings(
    plan: _Plan,
    body: Body,
    rng: random.Random,
    *,
    now: dt.datetime,
    first: dt.datetime,
    series: MeetingSeries,
    agendas: list[str],
    minutes: list[str],
    decisions: list[str],
    item_titles: list[str],
    people_list: list[Person],
    item_owners: list[Any],
    preferred_owners: list[Any],
    admin: Any,
    sure_owner: Any | None = None,
) -> None:
    """The body's meetings from `first` to three months ahead. `sure_owner` gets one open and
    one overdue item from the last meeting held, whatever the draw (the demo login's home)."""
    tz = body.network.tzinfo
    today = body.network.today(now)
    horizon = now + dt.timedelta(days=92)
    cancelled_at = rng.randrange(1, PAST_MONTHS - 1)
    n = 0
    while True:
        when = nth(first, Cadence.MONTHLY, n, tz)
        if when >= horizon:
            break
        past = when < now
        meeting = Meeting(
            network_id=body.network_id,
            **{f"{body.kind}_id": body.pk},
            series=series,
            title=series.title,
            starts_at=when,
            duration_minutes=series.duration_minutes,
            location=series.location,
            created_at=min(when, now),
        )
        present: list[Person] = []
        guests: list[tuple[str, str, str]] = []
        index = len(plan.meetings)
        if past and n == cancelled_at:
            meeting.status = MeetingStatus.CANCELLED
        elif past:
            meeting.status = MeetingStatus.HELD
            meeting.agenda = agendas[n % len(agendas)]
            meeting.minutes = minutes[n % len(minutes)]
            meeting.decisions = "\n".join(rng.sample(decisions, k=min(2, len(decisions))))
            meeting.recorded_by = preferred_owners[0] if preferred_owners else admin
            if people_list:
                k = max(1, round(len(people_list) * rng.uniform(0.6, 0.9)))
                present = rng.sample(people_list, k=min(k, len(people_list)))
            for _ in range(rng.randint(1, 2)):
                kind, affiliation = rng.choice(GUEST_KINDS)
                guests.append((rng.choice(FAMILY_NAMES), kind, affiliation))
            meeting_day = when.astimezone(tz).date()
            for t in rng.sample(item_titles, k=rng.randint(2, 3)):
                owner = (
                    rng.choice(preferred_owners)
                    if preferred_owners and rng.random() < 0.7
                    else rng.choice(item_owners)
                )
                due = meeting_day + dt.timedelta(days=rng.choice([7, 14, 21, 28]))
                item = ActionItem(
                    network_id=body.network_id,
                    **{f"{body.kind}_id": body.pk},
                    title=t,
                    owner=owner,
                    due_on=due,
                    created_by=meeting.recorded_by,
                    created_at=when + dt.timedelta(hours=2),
                )
                age = (today - meeting_day).days
                # Old items are mostly settled; recent ones still open (some already overdue).
                if age > 45 and rng.random() < 0.85:
                    dropped = rng.random() < 0.15
                    item.status = ActionItemStatus.DROPPED if dropped else ActionItemStatus.DONE
                    item.note = "Overtaken by the district's own plan." if dropped else ""
                    done_on = min(due, today)
                    item.done_at = dt.datetime.combine(done_on, dt.time(17), tzinfo=tz)
                    item.done_by = owner
                plan.items.append((index, item))
        plan.meetings.append((meeting, present, guests))
        n += 1
    held = [
        i
        for i, (m, _p, _g) in enumerate(plan.meetings)
        if m.status == MeetingStatus.HELD and m.series is series
    ]
    if sure_owner is None or not held:
        return
    last = plan.meetings[held[-1]][0]
    meeting_day = last.starts_at.astimezone(tz).date()
    for title, due in (
        ("Send the minutes to the partners", today + dt.timedelta(days=10)),
        ("Confirm the date of the family night", max(meeting_day, today - dt.timedelta(days=3))),
    ):
        plan.items.append(
            (
                held[-1],
                ActionItem(
                    network_id=body.network_id,
                    **{f"{body.kind}_id": body.pk},
                    title=title,
                    owner=sure_owner,
                    due_on=due,
                    created_by=last.recorded_by,
                    created_at=last.starts_at + dt.timedelta(hours=2),
                ),
            )
        )


def generate_meetings(
    data: DemoData, rng: random.Random, now: dt.datetime | None = None
) -> dict[str, int]:
    """Series, meetings, attendance and action items for every coalition and a few schools."""
    now = now or timezone.now()
    network = data.network
    tz = network.tzinfo
    today = network.today(now)
    admin = _user(data, "admin")
    coordinator = _user(data, "coordinator")
    principal = _user(data, "principal")
    plan = _Plan()
    start_month = dt.date(today.year, today.month, 1)

    def first_at(day_of_month: int, hour: int) -> dt.datetime:
        index = start_month.year * 12 + start_month.month - 1 - PAST_MONTHS
        year, month = divmod(index, 12)
        return dt.datetime.combine(dt.date(year, month + 1, day_of_month), dt.time(hour), tzinfo=tz)

    bodies: list[tuple[Body, dict[str, Any]]] = []
    for i, coalition in enumerate(data.coalitions):
        bodies.append(
            (
                Body(COALITION, coalition),
                {
                    "title": "Coalition monthly meeting",
                    "first": first_at(8 + (i % 14), 18),
                    "location": "Community board office",
                    "agendas": COALITION_AGENDAS,
                    "minutes": COALITION_MINUTES,
                    "decisions": COALITION_DECISIONS,
                    "item_titles": COALITION_ITEMS,
                    "preferred": [],
                    "sure": None,
                },
            )
        )
    for i, school in enumerate(_demo_schools(data)):
        preferred = [u for u in (coordinator, principal) if u is not None]
        bodies.append(
            (
                Body(SCHOOL, school),
                {
                    "title": "Leadership team",
                    "first": first_at(3 + i, 15),
                    "location": "Library",
                    "agendas": SCHOOL_AGENDAS,
                    "minutes": SCHOOL_MINUTES,
                    "decisions": SCHOOL_DECISIONS,
                    "item_titles": SCHOOL_ITEMS,
                    "preferred": preferred,
                    "sure": coordinator if i == 0 else None,
                },
            )
        )

    for body, spec in bodies:
        body.obj.network = network
        people_list = people(body)
        item_owners = owners(body) or [admin]
        ids = {u.pk for u in item_owners}
        preferred = [u for u in spec["preferred"] if u.pk in ids]
        if body.is_coalition and not preferred:
            preferred = [u for u in item_owners if admin is None or u.pk != admin.pk][:3]
        series = MeetingSeries(
            network=network,
            **body.link(),
            title=spec["title"],
            cadence=Cadence.MONTHLY,
            first_starts_at=spec["first"],
            duration_minutes=90 if body.is_coalition else 60,
            location=spec["location"],
            created_by=admin,
            created_at=spec["first"],
        )
        plan.series.append(series)
        _body_meetings(
            plan,
            body,
            rng,
            now=now,
            first=spec["first"],
            series=series,
            agendas=spec["agendas"],
            minutes=spec["minutes"],
            decisions=spec["decisions"],
            item_titles=spec["item_titles"],
            people_list=people_list,
            item_owners=item_owners,
            preferred_owners=preferred,
            admin=admin,
            sure_owner=spec["sure"],
        )

    MeetingSeries.objects.bulk_create(plan.series)
    for meeting, _present, _guests in plan.meetings:
        meeting.series_id = meeting.series.pk if meeting.series else None
    Meeting.objects.bulk_create([m for m, _p, _g in plan.meetings])
    attendees = [
        MeetingAttendee(
            meeting=meeting,
            user_id=p.user_id,
            name=p.name,
            kind=p.kind,
            organization_id=p.organization_id,
            coalition_member_id=p.coalition_member_id,
            affiliation=p.affiliation,
        )
        for meeting, present, _guests in plan.meetings
        for p in present
    ] + [
        MeetingAttendee(meeting=meeting, name=name, kind=kind, affiliation=affiliation)
        for meeting, _present, guests in plan.meetings
        for name, kind, affiliation in guests
    ]
    MeetingAttendee.objects.bulk_create(attendees, batch_size=2000)
    items = []
    for index, item in plan.items:
        item.meeting = plan.meetings[index][0]
        items.append(item)
    ActionItem.objects.bulk_create(items, batch_size=2000)
    return {
        "meeting series": len(plan.series),
        "meetings": len(plan.meetings),
        "meeting attendees": len(attendees),
        "action items": len(items),
    }
