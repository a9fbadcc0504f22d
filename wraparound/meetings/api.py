"""The JSON API of meetings and action items: the same selectors, services and rules as the pages.

- `GET /meetings?coalition=ID` or `?school=ID`: a body's meetings, newest first (404 a body the
  caller cannot see, 403 a school whose meetings their role does not open, 400 neither or both);
- `GET /meetings/{id}`: one meeting with attendance, decisions and action items (404 if not
  readable);
- `POST /meetings`: schedule one (the body's organizers; 403 others who read it);
- `POST /meetings/{id}/record`: agenda, minutes, decisions, attendance, new action items, held —
  409 when the meeting changed since `expected_version`, 400 naming what is wrong;
- `GET /action-items?show=open|overdue|done|all`: the caller's own action items, overdue first;
- `POST /action-items/{id}/status`: done, dropped (with a note) or open again — the owner, or
  whoever runs the body's meetings (403), 400 with the reason otherwise;
- `PATCH /action-items/{id}`: change an open item's title, owner, due date or note — whoever runs
  the body's meetings (403 others who read it), 400 naming what is wrong or a closed item.
"""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from wraparound.core.api import Id, Pages

from . import bodies, selectors, services
from .models import ActionItem, Meeting

router = Router(tags=["meetings"])

Show = Literal["open", "overdue", "done", "all"]


class ErrorOut(Schema):
    detail: str


class MeetingOut(Schema):
    id: int
    version: int
    title: str
    starts_at: dt.datetime
    duration_minutes: int
    location: str
    status: str
    coalition_id: int | None
    school_id: int | None
    series_id: int | None


class AttendeeOut(Schema):
    name: str
    kind: str
    user_id: int | None
    organization_id: int | None
    coalition_member_id: int | None
    affiliation: str


class ActionItemOut(Schema):
    id: int
    title: str
    owner_id: int
    owner_name: str
    due_on: dt.date
    status: str
    overdue: bool
    note: str
    done_at: dt.datetime | None
    meeting_id: int | None
    coalition_id: int | None
    school_id: int | None


class MeetingDetailOut(MeetingOut):
    agenda: str
    minutes: str
    decisions: list[str]
    attendees: list[AttendeeOut]
    action_items: list[ActionItemOut]


class MeetingIn(Schema):
    coalition: Id | None = None
    school: Id | None = None
    title: str = Field(max_length=200)
    starts_at: dt.datetime
    duration_minutes: int = Field(60, ge=5, le=24 * 60)
    location: str = Field("", max_length=200)
    agenda: str = Field("", max_length=20_000)


class MeetingChangeIn(Schema):
    """What to change of a scheduled meeting; what is left out stays as it is."""

    expected_version: int = Field(ge=1)
    title: str | None = None
    starts_at: dt.datetime | None = None
    duration_minutes: int | None = None
    location: str | None = None
    agenda: str | None = None


class GuestIn(Schema):
    name: str = Field(max_length=200)
    kind: Literal["family", "student", "community", "partner", "staff"]
    affiliation: str = Field("", max_length=200)


class NewItemIn(Schema):
    title: str = Field(max_length=300)
    owner_id: Id
    due_on: dt.date


class RecordIn(Schema):
    expected_version: int = Field(ge=1)
    agenda: str = Field("", max_length=20_000)
    minutes: str = Field("", max_length=100_000)
    decisions: list[str] = Field(default_factory=list, max_length=100)
    present: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="Keys of the body's people: `u<user id>` or `c<member contact id>`",
    )
    guests: list[GuestIn] = Field(default_factory=list, max_length=200)
    new_items: list[NewItemIn] = Field(default_factory=list, max_length=100)
    held: bool = True


class ItemEditIn(Schema):
    """Fields left out keep their value."""

    title: str | None = Field(None, max_length=300)
    owner_id: int | None = None
    due_on: dt.date | None = None
    note: str | None = Field(None, max_length=500)


class StatusIn(Schema):
    status: Literal["done", "dropped", "open"]
    note: str = Field("", max_length=500)


def _item(item: ActionItem) -> dict[str, Any]:
    owner = item.owner
    return {
        "id": item.pk,
        "title": item.title,
        "owner_id": item.owner_id,
        "owner_name": owner.get_full_name() or owner.get_username(),
        "due_on": item.due_on,
        "status": item.status,
        "overdue": bool(getattr(item, "is_overdue", False)),
        "note": item.note,
        "done_at": item.done_at,
        "meeting_id": item.meeting_id,
        "coalition_id": item.coalition_id,
        "school_id": item.school_id,
    }


def _detail(meeting: Meeting) -> dict[str, Any]:
    return {
        **{f: getattr(meeting, f) for f in MeetingOut.model_fields},
        "agenda": meeting.agenda,
        "minutes": meeting.minutes,
        "decisions": [d for d in meeting.decisions.splitlines() if d.strip()],
        "attendees": [
            {
                "name": a.name,
                "kind": a.kind,
                "user_id": a.user_id,
                "organization_id": a.organization_id,
                "coalition_member_id": a.coalition_member_id,
                "affiliation": a.affiliation,
            }
            for a in meeting.attendees.all()
        ],
        "action_items": [_item(i) for i in selectors.meeting_action_items(meeting)],
    }


@router.get(
    "/meetings",
    response={200: list[MeetingOut], 400: ErrorOut},
    summary="A coalition's or a school leadership team's meetings, newest first",
)
@paginate(Pages, page_size=50)
def meeting_list(
    request: HttpRequest, coalition: Id | None = None, school: Id | None = None
) -> QuerySet[Meeting]:
    body = _body_of(request, coalition, school)
    return Meeting.objects.filter(body.filter()).order_by("-starts_at", "-pk")


def _body_of(request: HttpRequest, coalition: int | None, school: int | None) -> bodies.Body:
    if (coalition is None) == (school is None):
        raise ValidationError({"coalition": ["Give either coalition or school (one of them)."]})
    if coalition is not None:
        return bodies.body_for_user(request.user, bodies.COALITION, coalition)
    return bodies.body_for_user(request.user, bodies.SCHOOL, school)


@router.post(
    "/meetings",
    response={201: MeetingDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Schedule one meeting of a coalition or a school's leadership team",
)
def meeting_create(request: HttpRequest, payload: MeetingIn) -> Any:
    body = _body_of(request, payload.coalition, payload.school)
    starts_at = payload.starts_at
    if starts_at.tzinfo is None:  # a time without its offset is on the network's clock
        starts_at = starts_at.replace(tzinfo=body.network.tzinfo)
    meeting = services.meeting_create(
        user=request.user,
        body=body,
        title=payload.title,
        starts_at=starts_at,
        duration_minutes=payload.duration_minutes,
        location=payload.location,
        agenda=payload.agenda,
    )
    return Status(201, _detail(selectors.get_meeting_for_user(request.user, meeting.pk)))


@router.post(
    "/meetings/{meeting_id}/record",
    response={200: MeetingDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Record a meeting: agenda, minutes, decisions, attendance (replaced), new action "
    "items, held",
)
def meeting_record(request: HttpRequest, meeting_id: Id, payload: RecordIn) -> Any:
    meeting = selectors.get_meeting_for_user(request.user, meeting_id)
    try:
        services.meeting_record(
            user=request.user,
            meeting=meeting,
            expected_version=payload.expected_version,
            agenda=payload.agenda,
            minutes=payload.minutes,
            decisions="\n".join(payload.decisions),
            present=payload.present,
            guests=[services.Guest(g.name, g.kind, g.affiliation) for g in payload.guests],
            new_items=[services.NewItem(i.title, i.owner_id, i.due_on) for i in payload.new_items],
            held=payload.held,
        )
    except services.MeetingConflict:
        return Status(
            409,
            {
                "detail": "The meeting was recorded by someone else since expected_version; "
                "read it again and merge."
            },
        )
    return Status(200, _detail(selectors.get_meeting_for_user(request.user, meeting.pk)))


@router.patch(
    "/meetings/{meeting_id}",
    response={200: MeetingDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Change a scheduled meeting's time, length, place, title or agenda (a series "
    "meeting moved keeps its slot)",
)
def meeting_change(request: HttpRequest, meeting_id: Id, payload: MeetingChangeIn) -> Any:
    meeting = selectors.get_meeting_for_user(request.user, meeting_id)
    starts_at = meeting.starts_at if payload.starts_at is None else payload.starts_at
    if starts_at.tzinfo is None:  # a time without its offset is on the network's clock
        starts_at = starts_at.replace(tzinfo=meeting.network.tzinfo)
    try:
        services.meeting_update(
            user=request.user,
            meeting=meeting,
            expected_version=payload.expected_version,
            title=meeting.title if payload.title is None else payload.title,
            starts_at=starts_at,
            duration_minutes=(
                meeting.duration_minutes
                if payload.duration_minutes is None
                else payload.duration_minutes
            ),
            location=meeting.location if payload.location is None else payload.location,
            agenda=meeting.agenda if payload.agenda is None else payload.agenda,
        )
    except services.MeetingConflict:
        return Status(
            409,
            {
                "detail": "The meeting was changed by someone else since expected_version; read it "
                "again."
            },
        )
    return Status(200, _detail(selectors.get_meeting_for_user(request.user, meeting.pk)))


@router.get("/meetings/{meeting_id}", response=MeetingDetailOut, summary="One meeting")
def meeting_detail(request: HttpRequest, meeting_id: Id) -> Any:
    return _detail(selectors.get_meeting_for_user(request.user, meeting_id))


@router.get(
    "/action-items",
    response=list[ActionItemOut],
    summary="My action items (open by default), overdue first",
)
@paginate(Pages, page_size=50)
def my_action_items(request: HttpRequest, show: Show = "open") -> Any:
    return _Shaped(selectors.my_action_items(request.user, show))


class _Shaped:
    def __init__(self, qs: QuerySet[ActionItem]) -> None:
        self.qs = qs

    def count(self) -> int:
        return int(self.qs.count())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        return [_item(i) for i in self.qs[key]]


@router.post(
    "/action-items/{item_id}/status",
    response={200: ActionItemOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Mark an action item done, dropped (note required) or open again",
)
def action_item_status(request: HttpRequest, item_id: Id, payload: StatusIn) -> Any:
    item = selectors.get_action_item_for_user(request.user, item_id)
    try:
        services.action_item_set_status(
            user=request.user, item=item, status=payload.status, note=payload.note
        )
    except ValidationError as error:
        return Status(400, {"detail": " ".join(error.messages)})
    shaped = selectors.with_overdue(
        ActionItem.objects.filter(pk=item.pk), selectors.overdue_q([item.network])
    ).select_related("owner")
    return Status(200, _item(shaped.get()))


@router.patch(
    "/action-items/{item_id}",
    response={200: ActionItemOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change an open action item's title, owner, due date or note",
)
def action_item_edit(request: HttpRequest, item_id: Id, payload: ItemEditIn) -> Any:
    item = selectors.get_action_item_for_user(request.user, item_id)
    try:
        services.action_item_edit(
            user=request.user,
            item=item,
            title=item.title if payload.title is None else payload.title,
            owner_id=item.owner_id if payload.owner_id is None else payload.owner_id,
            due_on=item.due_on if payload.due_on is None else payload.due_on,
            note=item.note if payload.note is None else payload.note,
        )
    except ValidationError as error:
        return Status(400, {"detail": " ".join(error.messages)})
    shaped = selectors.with_overdue(
        ActionItem.objects.filter(pk=item.pk), selectors.overdue_q([item.network])
    ).select_related("owner")
    return Status(200, _item(shaped.get()))
