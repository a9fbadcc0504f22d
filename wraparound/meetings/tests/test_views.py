"""Meeting pages: who sees and does what (every persona, both networks), recording in one form
(attendance, guests, action items) keeping what was typed on a mistake, optimistic locking,
"more rows" without JavaScript, action item status, overdue flags, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from wraparound.core.tests.personas import PERSONAS

from ..models import ActionItem, ActionItemStatus, Meeting, MeetingSeries, MeetingStatus
from .factories import make_item, make_meeting

pytestmark = pytest.mark.django_db

COALITION_RUNNERS = {"network_admin", "coalition_member"}
SCHOOL_READERS = {"network_admin", "coordinator", "staff", "supervisor", "principal"}
SCHOOL_RUNNERS = {"network_admin", "coordinator", "principal"}
# They see the school itself (network-wide roles) but not its leadership team's meetings.
SCHOOL_FORBIDDEN = {"evaluator", "network_supervisor"}


def _expected(persona: str, ok: set[str], forbidden: set[str] = frozenset()) -> int:  # type: ignore[assignment]
    if persona in ok:
        return 200
    return 403 if persona in forbidden else 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_coalition_pages(t1, t2, as_user, persona) -> None:
    meeting = make_meeting(coalition=t1.coalition)
    client = as_user(t1.users[persona])
    pk = t1.coalition.pk
    for name in ("coalition_meetings", "coalition_action_items"):
        assert client.get(reverse(name, args=[pk])).status_code == _expected(
            persona, COALITION_RUNNERS
        ), name
    for name in ("coalition_meeting_new", "coalition_series_new"):
        assert client.get(reverse(name, args=[pk])).status_code == _expected(
            persona, COALITION_RUNNERS
        ), name
    assert client.get(reverse("meeting_detail", args=[meeting.pk])).status_code == _expected(
        persona, COALITION_RUNNERS
    )
    assert client.get(reverse("meeting_record", args=[meeting.pk])).status_code == _expected(
        persona, COALITION_RUNNERS
    )
    # The other network's people see nothing of it.
    other = as_user(t2.users[persona])
    assert other.get(reverse("coalition_meetings", args=[pk])).status_code == 404
    assert other.get(reverse("meeting_detail", args=[meeting.pk])).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_school_pages(t1, t2, as_user, persona) -> None:
    school = t1.schools[0]
    meeting = make_meeting(school=school)
    client = as_user(t1.users[persona])
    for name in ("school_meetings", "school_action_items"):
        assert client.get(reverse(name, args=[school.pk])).status_code == _expected(
            persona, SCHOOL_READERS, SCHOOL_FORBIDDEN
        ), name
    for name in ("school_meeting_new", "school_series_new"):
        want = _expected(persona, SCHOOL_RUNNERS, SCHOOL_FORBIDDEN | SCHOOL_READERS)
        assert client.get(reverse(name, args=[school.pk])).status_code == want, name
    assert client.get(reverse("meeting_detail", args=[meeting.pk])).status_code == _expected(
        persona, SCHOOL_READERS
    )
    want = _expected(persona, SCHOOL_RUNNERS, SCHOOL_READERS)
    assert client.get(reverse("meeting_record", args=[meeting.pk])).status_code == want
    resp = client.post(reverse("meeting_cancel", args=[meeting.pk]), {"version": 1})
    assert resp.status_code == (302 if persona in SCHOOL_RUNNERS else want)
    other = as_user(t2.users[persona])
    assert other.get(reverse("school_meetings", args=[school.pk])).status_code == 404
    assert other.get(reverse("meeting_record", args=[meeting.pk])).status_code == 404


def test_second_school_is_not_the_first_schools_staff(t1, as_user) -> None:
    meeting = make_meeting(school=t1.schools[2])
    for persona in ("staff", "principal", "supervisor"):
        client = as_user(t1.users[persona])
        assert client.get(reverse("meeting_detail", args=[meeting.pk])).status_code == 404
        assert client.get(reverse("school_meetings", args=[t1.schools[2].pk])).status_code == 404


def test_attendee_and_owner_read_the_meeting(t1, as_user) -> None:
    meeting = make_meeting(coalition=t1.coalition)
    outsider = t1.users["partner_staff_b"]
    url = reverse("meeting_detail", args=[meeting.pk])
    assert as_user(outsider).get(url).status_code == 404
    meeting.attendees.create(user=outsider, name="B", kind="partner")
    assert as_user(outsider).get(url).status_code == 200
    # Reading is not running: no record page, no list of the coalition's meetings.
    assert as_user(outsider).get(reverse("meeting_record", args=[meeting.pk])).status_code == 403
    assert (
        as_user(outsider).get(reverse("coalition_meetings", args=[t1.coalition.pk])).status_code
        == 404
    )
    other = make_meeting(coalition=t1.coalition)
    make_item(other, t1.users["evaluator"])
    assert (
        as_user(t1.users["evaluator"]).get(reverse("meeting_detail", args=[other.pk])).status_code
        == 200
    )


def test_schedule_one_meeting_keeps_typing_on_error(t1, as_user) -> None:
    client = as_user(t1.users["coordinator"])
    url = reverse("school_meeting_new", args=[t1.schools[0].pk])
    resp = client.post(
        url, {"title": "Team", "day": "2027-13-01", "time": "16:00", "duration_minutes": "60"}
    )
    assert resp.status_code == 400
    assert "Enter the date as YYYY-MM-DD." in resp.content.decode()
    assert 'value="Team"' in resp.content.decode()
    resp = client.post(
        url,
        {
            "title": "Team",
            "day": "2027-01-12",
            "time": "16:30",
            "duration_minutes": "45",
            "location": "Room 101",
        },
    )
    assert resp.status_code == 302
    meeting = Meeting.objects.get()
    local = meeting.starts_at.astimezone(t1.network.tzinfo)
    assert (local.date(), local.hour, local.minute) == (dt.date(2027, 1, 12), 16, 30)
    assert meeting.school == t1.schools[0] and meeting.location == "Room 101"


def test_set_up_a_series(t1, as_user) -> None:
    client = as_user(t1.users["coalition_member"])
    url = reverse("coalition_series_new", args=[t1.coalition.pk])
    today = t1.network.today()
    bad = client.post(
        url,
        {
            "title": "Coalition",
            "cadence": "",
            "first_day": str(today),
            "time": "18:00",
            "duration_minutes": "90",
        },
    )
    assert bad.status_code == 400
    assert "Choose how often the meeting recurs." in bad.content.decode()
    resp = client.post(
        url,
        {
            "title": "Coalition",
            "cadence": "monthly",
            "first_day": str(today + dt.timedelta(days=1)),
            "time": "18:00",
            "duration_minutes": "90",
        },
    )
    assert resp.status_code == 302
    series = MeetingSeries.objects.get()
    assert series.coalition == t1.coalition and series.meetings.count() in (3, 4)
    page = client.get(reverse("coalition_meetings", args=[t1.coalition.pk])).content.decode()
    assert "Every month" in page and "End the series" in page


def _record_data(meeting: Meeting, **extra: str) -> dict[str, str]:
    data = {
        "version": str(meeting.version),
        "agenda": "Attendance",
        "minutes": "We met.",
        "decisions": "Start a walking school bus",
        "held": "on",
        "guests-TOTAL_FORMS": "2",
        "guests-INITIAL_FORMS": "0",
        "guests-0-name": "",
        "guests-0-kind": "",
        "guests-0-affiliation": "",
        "guests-1-name": "",
        "guests-1-kind": "",
        "guests-1-affiliation": "",
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
    }
    for i in range(3):
        data.update({f"items-{i}-title": "", f"items-{i}-owner": "", f"items-{i}-due_on": ""})
    data.update(extra)
    return data


def test_record_a_school_meeting_in_one_form(t1, as_user) -> None:
    meeting = make_meeting(school=t1.schools[0])
    client = as_user(t1.users["coordinator"])
    url = reverse("meeting_record", args=[meeting.pk])
    page = client.get(url).content.decode()
    assert t1.users["principal"].get_username() in page or "Principal" in page
    due = str(t1.network.today() + dt.timedelta(days=14))
    data = _record_data(
        meeting,
        present=[f"u{t1.users['principal'].pk}", f"u{t1.users['staff'].pk}"],  # type: ignore[arg-type]
        **{
            "guests-0-name": "Rosa Diaz",
            "guests-0-kind": "family",
            "guests-0-affiliation": "parent",
            "guests-1-name": "Leo",
            "guests-1-kind": "student",
            "items-0-title": "Call the bus company",
            "items-0-owner": str(t1.users["principal"].pk),
            "items-0-due_on": due,
            # A half-filled row: refused with a reason, everything typed kept.
            "items-1-title": "Order the vests",
        },
    )
    resp = client.post(url, data)
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "Choose who owns this action item." in body and "Give the due date." in body
    assert 'value="Rosa Diaz"' in body and "Call the bus company" in body
    assert not ActionItem.objects.exists()
    data["items-1-owner"] = str(t1.users["coordinator"].pk)
    data["items-1-due_on"] = due
    resp = client.post(url, data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert meeting.attendees.count() == 4
    assert {i.owner_id for i in ActionItem.objects.all()} == {
        t1.users["principal"].pk,
        t1.users["coordinator"].pk,
    }
    detail = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert "Start a walking school bus" in detail and "Rosa Diaz" in detail
    # Editing the record: the people ticked and typed in come back.
    again = client.get(url).content.decode()
    assert 'value="Rosa Diaz"' in again


def test_record_conflict_keeps_what_was_typed(t1, as_user) -> None:
    meeting = make_meeting(school=t1.schools[0])
    url = reverse("meeting_record", args=[meeting.pk])
    as_user(t1.users["principal"]).post(url, _record_data(meeting, minutes="Principal's notes"))
    resp = as_user(t1.users["coordinator"]).post(url, _record_data(meeting, minutes="My notes"))
    assert resp.status_code == 409
    body = resp.content.decode()
    assert "My notes" in body and "Principal&#x27;s notes" in body
    meeting.refresh_from_db()
    assert meeting.minutes == "Principal's notes"
    assert f'name="version" value="{meeting.version}"' in body


def test_more_rows_without_javascript(t1, as_user) -> None:
    meeting = make_meeting(school=t1.schools[0])
    client = as_user(t1.users["coordinator"])
    resp = client.post(
        reverse("meeting_record", args=[meeting.pk]),
        _record_data(meeting, more_items="1", **{"items-0-title": "Keep me"}),
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert (
        'name="items-TOTAL_FORMS" value="5"' in body or 'value="5" name="items-TOTAL_FORMS"' in body
    )
    assert "items-4-title" in body and 'value="Keep me"' in body
    meeting.refresh_from_db()
    assert meeting.version == 1


def test_action_item_status_and_overdue_flags(t1, as_user) -> None:
    meeting = make_meeting(school=t1.schools[0])
    today = t1.network.today()
    late = make_item(
        meeting, t1.users["staff"], title="Late one", due_on=today - dt.timedelta(days=2)
    )
    make_item(meeting, t1.users["staff"], title="Fine one")
    staff = as_user(t1.users["staff"])
    mine = staff.get(reverse("my_action_items")).content.decode()
    assert "Late one" in mine and "Overdue" in mine
    overdue_only = staff.get(reverse("my_action_items") + "?show=overdue").content.decode()
    assert "Late one" in overdue_only and "Fine one" not in overdue_only
    listing = staff.get(reverse("school_meetings", args=[t1.schools[0].pk])).content.decode()
    assert "1 action item is overdue." in listing and "1 overdue" in listing
    body_list = staff.get(reverse("school_action_items", args=[t1.schools[0].pk])).content.decode()
    assert (
        "Overdue action items" in body_list
        and "Late one" in body_list
        and "Fine one" not in body_list
    )
    # The supervisor reads the item but neither owns it nor runs meetings.
    url = reverse("action_item_status", args=[late.pk])
    assert as_user(t1.users["supervisor"]).post(url, {"status": "done"}).status_code == 403
    assert as_user(t1.users["partner_staff_a"]).post(url, {"status": "done"}).status_code == 404
    staff = as_user(t1.users["staff"])
    resp = staff.post(url, {"status": "dropped", "note": ""})
    assert resp.status_code == 302
    late.refresh_from_db()
    assert late.status == ActionItemStatus.OPEN
    resp = staff.post(url, {"status": "done", "next": "https://evil.example/"}, follow=False)
    assert resp.status_code == 302 and resp["Location"] == reverse(
        "meeting_detail", args=[meeting.pk]
    )
    late.refresh_from_db()
    assert late.status == ActionItemStatus.DONE


def test_home_shows_own_open_items_only(t1, as_user) -> None:
    meeting = make_meeting(school=t1.schools[0])
    today = t1.network.today()
    make_item(
        meeting,
        t1.users["principal"],
        title="Principal's overdue",
        due_on=today - dt.timedelta(days=1),
    )
    make_item(meeting, t1.users["principal"], title="Principal's done", status="done")
    make_item(meeting, t1.users["coordinator"], title="Coordinator's item")
    home = as_user(t1.users["principal"]).get(reverse("home")).content.decode()
    assert "Your action items" in home
    assert "Principal&#x27;s overdue" in home and "Overdue" in home
    assert "Principal&#x27;s done" not in home and "Coordinator&#x27;s item" not in home
    assert (
        "Your action items"
        not in as_user(t1.users["outsider"]).get(reverse("home")).content.decode()
    )


def test_list_pages_query_counts(t1, as_user, django_assert_max_num_queries) -> None:
    school = t1.schools[0]
    for d in range(30):
        m = make_meeting(school=school, starts_at=timezone.now() + dt.timedelta(days=d - 15))
        make_item(m, t1.users["staff"])
        m.attendees.create(name="x", kind="family")
    client = as_user(t1.users["coordinator"])
    # Measured: 10, 7, 7 and 10 queries whatever the number of meetings and items.
    with django_assert_max_num_queries(11):
        assert client.get(reverse("school_meetings", args=[school.pk])).status_code == 200
    url = reverse("school_action_items", args=[school.pk]) + "?show=all"
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get(f"/api/v1/meetings?school={school.pk}").status_code == 200
    staff = as_user(t1.users["staff"])
    with django_assert_max_num_queries(8):
        assert staff.get(reverse("my_action_items")).status_code == 200
    # The home page's own sections (core) plus two or three for the action items.
    with django_assert_max_num_queries(13):
        assert staff.get(reverse("home")).status_code == 200
