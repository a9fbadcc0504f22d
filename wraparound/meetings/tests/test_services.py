"""Scheduling, series (idempotent generation, cancelling one, ending), recording (attendance from
the body's people and typed in, decisions, action items, optimistic locking, bad input), action
item status, and the overdue reminder (once per item)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wraparound.coalitions.models import CoalitionMember, MemberContact, MemberKind
from wraparound.core.models import AuditEvent, Notification

from .. import services
from ..bodies import COALITION, SCHOOL, Body, owners, people
from ..models import (
    ActionItem,
    ActionItemStatus,
    AttendeeKind,
    Cadence,
    Meeting,
    MeetingStatus,
)
from ..reminders import overdue_action_items_notify
from .factories import make_item, make_meeting

pytestmark = pytest.mark.django_db


def _at(network, day: dt.date, hour: int = 16) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=network.tzinfo)


def test_series_creates_three_months_of_meetings_idempotently(t1) -> None:
    school = t1.schools[0]
    now = _at(t1.network, dt.date(2027, 1, 4), 9)
    series = services.series_create(
        user=t1.users["coordinator"],
        body=Body(SCHOOL, school),
        title="Leadership team",
        cadence=Cadence.MONTHLY,
        first_starts_at=_at(t1.network, dt.date(2027, 1, 31)),
        now=now,
    )
    days = [
        m.starts_at.astimezone(t1.network.tzinfo).date()
        for m in series.meetings.order_by("starts_at")
    ]
    # 92 days from 4 January reach 6 April: 31 Jan, 28 Feb, 31 Mar.
    assert days == [dt.date(2027, 1, 31), dt.date(2027, 2, 28), dt.date(2027, 3, 31)]
    assert all(
        m.school_id == school.pk and m.title == "Leadership team" for m in series.meetings.all()
    )
    assert services.series_extend(series=series, now=now) == 0
    assert series.meetings.count() == 3
    # A month later the daily job adds April 30, and only that.
    assert services.series_extend(series=series, now=now + dt.timedelta(days=31)) == 1
    assert series.meetings.count() == 4
    assert AuditEvent.objects.filter(action="meetings.series.create").count() == 1


def test_series_extend_all_skips_ended_series_and_keeps_cancelled_slots(t1) -> None:
    now = timezone.now()
    series = services.series_create(
        user=t1.users["coalition_member"],
        body=Body(COALITION, t1.coalition),
        title="Coalition",
        cadence=Cadence.WEEKLY,
        first_starts_at=now + dt.timedelta(days=1),
        now=now,
    )
    n = series.meetings.count()
    assert 13 <= n <= 14
    first = series.meetings.order_by("starts_at")[0]
    services.meeting_cancel(user=t1.users["network_admin"], meeting=first, expected_version=1)
    assert services.series_extend_all(now=now) == 0
    first.refresh_from_db()
    assert first.status == MeetingStatus.CANCELLED
    assert series.meetings.count() == n
    removed = services.series_end(user=t1.users["coalition_member"], series=series, now=now)
    assert removed == n - 1  # the cancelled one stays, as a record
    series.refresh_from_db()
    assert not series.is_active and series.ends_on == t1.network.today(now)
    assert services.series_extend_all(now=now + dt.timedelta(days=10)) == 0
    with pytest.raises(ValidationError):
        services.series_end(user=t1.users["coalition_member"], series=series)


def test_series_refuses_bad_input_with_reasons(t1) -> None:
    with pytest.raises(ValidationError) as caught:
        services.series_create(
            user=t1.users["coordinator"],
            body=Body(SCHOOL, t1.schools[0]),
            title="",
            cadence="daily",
            first_starts_at=timezone.now() - dt.timedelta(days=3),
            duration_minutes=2,
        )
    errors = caught.value.message_dict
    assert set(errors) == {"title", "cadence", "first_starts_at", "duration_minutes"}


@pytest.mark.parametrize("persona", ["staff", "supervisor", "evaluator", "partner_admin"])
def test_only_organizers_schedule(t1, persona) -> None:
    with pytest.raises(PermissionDenied):
        services.meeting_create(
            user=t1.users[persona],
            body=Body(SCHOOL, t1.schools[0]),
            title="x",
            starts_at=timezone.now(),
        )


def _coalition_people(t1):
    member = CoalitionMember.objects.create(
        coalition=t1.coalition, kind=MemberKind.COMMUNITY_ORGANIZATION, organization=t1.org_a
    )
    contact = MemberContact.objects.create(
        member=member, name="Ana Ruiz", user=t1.users["partner_staff_a"]
    )
    return member, contact


def test_coalition_people_and_owners(t1) -> None:
    member, contact = _coalition_people(t1)
    body = Body(COALITION, t1.coalition)
    keys = {p.key: p for p in people(body)}
    assert keys[f"c{contact.pk}"].coalition_member_id == member.pk
    assert keys[f"c{contact.pk}"].organization_id == t1.org_a.pk
    assert f"u{t1.users['coalition_member'].pk}" in keys
    # The contact's user is listed once, as the contact.
    assert f"u{t1.users['partner_staff_a'].pk}" not in keys
    owner_ids = {u.pk for u in owners(body)}
    assert owner_ids == {
        t1.users["coalition_member"].pk,
        t1.users["partner_staff_a"].pk,
        t1.users["network_admin"].pk,
    }


def test_record_a_coalition_meeting(t1) -> None:
    member, contact = _coalition_people(t1)
    meeting = make_meeting(coalition=t1.coalition)
    owner = t1.users["partner_staff_a"]
    services.meeting_record(
        user=t1.users["coalition_member"],
        meeting=meeting,
        expected_version=1,
        agenda="1. Coats\n2. Referrals",
        minutes="We talked.",
        decisions="  Share the coat drive\n\nMeet in the library  ",
        present=[f"c{contact.pk}", f"u{t1.users['coalition_member'].pk}"],
        guests=[services.Guest("Maria P.", AttendeeKind.FAMILY, "parent, PS 10")],
        new_items=[
            services.NewItem(
                "Collect coats", owner.pk, meeting.network.today() + dt.timedelta(days=7)
            )
        ],
    )
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD and meeting.version == 2
    assert meeting.decisions == "Share the coat drive\nMeet in the library"
    attendees = {a.name: a for a in meeting.attendees.all()}
    assert attendees["Ana Ruiz"].coalition_member_id == member.pk
    assert attendees["Ana Ruiz"].user_id == owner.pk
    assert attendees["Maria P."].kind == AttendeeKind.FAMILY
    assert len(attendees) == 3
    item = ActionItem.objects.get()
    assert item.owner == owner and item.coalition_id == t1.coalition.pk and item.meeting == meeting
    # Recording again replaces the attendance.
    services.meeting_record(
        user=t1.users["network_admin"], meeting=meeting, expected_version=2, present=[]
    )
    assert meeting.attendees.count() == 0


def test_record_conflict(t1) -> None:
    meeting = make_meeting(school=t1.schools[0])
    services.meeting_record(
        user=t1.users["coordinator"], meeting=meeting, expected_version=1, minutes="mine"
    )
    with pytest.raises(services.MeetingConflict):
        services.meeting_record(
            user=t1.users["principal"], meeting=meeting, expected_version=1, minutes="theirs"
        )
    meeting.refresh_from_db()
    assert meeting.minutes == "mine"


def test_record_refuses_bad_input(t1) -> None:
    meeting = make_meeting(school=t1.schools[0])
    day = meeting.starts_at.astimezone(meeting.network.tzinfo).date()
    with pytest.raises(ValidationError) as caught:
        services.meeting_record(
            user=t1.users["coordinator"],
            meeting=meeting,
            expected_version=1,
            present=["u999999"],
            guests=[services.Guest("", AttendeeKind.FAMILY)],
            new_items=[services.NewItem("Do it", t1.users["outsider"].pk, day)],
        )
    assert set(caught.value.message_dict) == {"present", "guests", "items"}
    with pytest.raises(ValidationError) as caught:
        services.meeting_record(
            user=t1.users["coordinator"],
            meeting=meeting,
            expected_version=1,
            new_items=[services.NewItem("Do it", t1.users["staff"].pk, day - dt.timedelta(days=1))],
        )
    assert "on or after the day of the meeting" in caught.value.message_dict["items"][0]
    future = make_meeting(school=t1.schools[0], starts_at=timezone.now() + dt.timedelta(days=2))
    with pytest.raises(ValidationError) as caught:
        services.meeting_record(user=t1.users["coordinator"], meeting=future, expected_version=1)
    assert "held" in caught.value.message_dict
    meeting.refresh_from_db()
    assert meeting.version == 1 and not ActionItem.objects.exists()


def test_record_refused_to_school_staff_and_for_cancelled(t1) -> None:
    meeting = make_meeting(school=t1.schools[0])
    with pytest.raises(PermissionDenied):
        services.meeting_record(user=t1.users["staff"], meeting=meeting, expected_version=1)
    meeting.status = MeetingStatus.CANCELLED
    meeting.save()
    with pytest.raises(ValidationError):
        services.meeting_record(user=t1.users["coordinator"], meeting=meeting, expected_version=1)


def test_action_item_status(t1) -> None:
    meeting = make_meeting(school=t1.schools[0])
    item = make_item(meeting, t1.users["staff"])
    with pytest.raises(PermissionDenied):
        services.action_item_set_status(user=t1.users["supervisor"], item=item, status="done")
    services.action_item_set_status(user=t1.users["staff"], item=item, status="done")
    assert item.status == ActionItemStatus.DONE and item.done_by == t1.users["staff"]
    with pytest.raises(ValidationError):
        services.action_item_set_status(user=t1.users["staff"], item=item, status="done")
    services.action_item_set_status(user=t1.users["coordinator"], item=item, status="open")
    assert item.status == ActionItemStatus.OPEN and item.done_at is None
    with pytest.raises(ValidationError) as caught:
        services.action_item_set_status(user=t1.users["staff"], item=item, status="dropped")
    assert "note" in caught.value.message_dict
    services.action_item_set_status(
        user=t1.users["staff"], item=item, status="dropped", note="Funding ended"
    )
    assert item.status == ActionItemStatus.DROPPED and item.note == "Funding ended"


def test_overdue_reminder_once_per_item(t1) -> None:
    meeting = make_meeting(school=t1.schools[0])
    today = t1.network.today()
    late = make_item(meeting, t1.users["staff"], due_on=today - dt.timedelta(days=1))
    make_item(meeting, t1.users["staff"], due_on=today)  # due today: not overdue
    make_item(meeting, t1.users["staff"], due_on=today - dt.timedelta(days=3), status="done")
    assert overdue_action_items_notify() == 1
    assert overdue_action_items_notify() == 0
    note = Notification.objects.get()
    assert note.user == t1.users["staff"] and late.title in note.message
    late.refresh_from_db()
    assert late.overdue_notified_at is not None
    assert Meeting.objects.count() == 1
