"""The demo's meetings (issue 8) on a small hand-made network: a monthly series per coalition and
per chosen school, past meetings held with minutes and attendance (member agencies counted), the
next three months scheduled, action items done, open and overdue, the demo coordinator's among
them; the daily series job finds nothing to add; the same seed gives the same meetings."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, cast

import pytest

from wraparound.coalitions.models import CoalitionMember, MemberContact, MemberKind
from wraparound.core.models import Network
from wraparound.core.roles import Role
from wraparound.core.tests.factories import (
    CoalitionFactory,
    CommunityFactory,
    MembershipFactory,
    NetworkFactory,
    OrganizationFactory,
    SchoolFactory,
    UserFactory,
)
from wraparound.demo.meetings import generate_meetings
from wraparound.meetings import selectors, services
from wraparound.meetings.models import (
    ActionItem,
    ActionItemStatus,
    Meeting,
    MeetingAttendee,
    MeetingSeries,
    MeetingStatus,
)

pytestmark = pytest.mark.django_db


class _Data:
    """The parts of `generate.DemoData` the meetings step reads."""

    def __init__(self) -> None:
        self.network = cast(Network, NetworkFactory(slug="demo-meetings"))
        community = CommunityFactory(network=self.network)
        self.schools = [SchoolFactory(community=community) for _ in range(4)]
        self.coalitions = [
            CoalitionFactory(network=self.network, community=community) for _ in range(2)
        ]
        self.users: list[Any] = [
            UserFactory(username=name)
            for name in ("admin", "coordinator", "principal", "coalition")
        ]
        by: dict[str, Any] = {u.username: u for u in self.users}
        self.memberships = [
            MembershipFactory(user=by["admin"], role=Role.NETWORK_ADMIN, network=self.network),
            MembershipFactory(
                user=by["coordinator"],
                role=Role.SCHOOL_COORDINATOR,
                network=self.network,
                school=self.schools[0],
            ),
            MembershipFactory(
                user=by["coordinator"],
                role=Role.SCHOOL_COORDINATOR,
                network=self.network,
                school=self.schools[1],
            ),
            MembershipFactory(
                user=by["principal"],
                role=Role.PRINCIPAL,
                network=self.network,
                school=self.schools[0],
            ),
            MembershipFactory(
                user=by["coalition"],
                role=Role.COALITION_MEMBER,
                network=self.network,
                coalition=self.coalitions[0],
            ),
        ]
        # The first coalition has member agencies (the coalitions step ran); the second none.
        for i in range(3):
            member = CoalitionMember.objects.create(
                coalition=self.coalitions[0],
                kind=MemberKind.COMMUNITY_ORGANIZATION,
                organization=OrganizationFactory(network=self.network),
            )
            MemberContact.objects.create(member=member, name=f"Contact {i}")
        self.by = by


def _snapshot() -> list[tuple[Any, ...]]:
    return sorted(
        (m.title, m.starts_at, m.status, m.minutes, m.attendees.count())
        for m in Meeting.objects.all()
    )


def test_demo_meetings() -> None:
    data = _Data()
    counts = generate_meetings(data, random.Random(1))  # type: ignore[arg-type]
    network = data.network
    today = network.today()
    # two coalitions + the coordinator's two schools + two more
    assert counts["meeting series"] == MeetingSeries.objects.count() == 6
    assert counts["meetings"] == Meeting.objects.count()
    assert counts["action items"] == ActionItem.objects.count()
    for series in MeetingSeries.objects.all():
        meetings = list(series.meetings.order_by("starts_at"))
        statuses = {m.status for m in meetings}
        assert {MeetingStatus.HELD, MeetingStatus.CANCELLED, MeetingStatus.SCHEDULED} <= statuses
        held = [m for m in meetings if m.status == MeetingStatus.HELD]
        assert all(m.minutes and m.decisions and m.attendees.exists() for m in held)
        # The daily job finds every slot already there.
        series.network = network
        assert services.series_extend(series=series) == 0
    # Member agencies are counted for the coalition that has them; the other falls back to its
    # coalition-member users (none here but families and guests).
    assert MeetingAttendee.objects.filter(coalition_member__coalition=data.coalitions[0]).exists()
    assert MeetingAttendee.objects.filter(
        meeting__coalition=data.coalitions[0], user=data.by["coalition"]
    ).exists()
    assert MeetingAttendee.objects.filter(kind="family").exists()
    statuses = set(ActionItem.objects.values_list("status", flat=True))
    assert {ActionItemStatus.DONE, ActionItemStatus.OPEN} <= statuses
    coordinator = data.by["coordinator"]
    open_items = list(selectors.my_action_items(coordinator, "open"))
    assert any(i.is_overdue for i in open_items)
    assert any(not i.is_overdue for i in open_items)
    assert all(i.due_on >= today - dt.timedelta(days=400) for i in open_items)
    # Deterministic for a seed.
    first = _snapshot()
    ActionItem.objects.all().delete()
    Meeting.objects.all().delete()
    MeetingSeries.objects.all().delete()
    generate_meetings(data, random.Random(1))  # type: ignore[arg-type]
    assert _snapshot() == first
