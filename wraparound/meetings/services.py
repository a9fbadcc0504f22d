"""Writes on meetings: schedule one, set up (and extend, and end) a recurring series, cancel one,
record what happened (agenda, who came, minutes, decisions, new action items), change an open
action item, and move an action item to done, dropped or open again.

A refusal of what was typed is a `ValidationError` keyed by the field it concerns; recording a
meeting someone else recorded since it was read is a `MeetingConflict` (optimistic locking on
`Meeting.version`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.models import Notification
from wraparound.core.services import audit_record

from . import bodies
from .bodies import Body
from .models import (
    ActionItem,
    ActionItemStatus,
    AttendeeKind,
    Cadence,
    Meeting,
    MeetingAttendee,
    MeetingSeries,
    MeetingStatus,
)
from .recurrence import occurrences

# How far ahead a series' meetings exist (the daily job keeps it so).
HORIZON_DAYS = 92
TITLE_MAX = 200
PLACE_MAX = 200
ITEM_MAX = 300
NAME_MAX = 200
NOTE_MAX = 500
MAX_MINUTES = 24 * 60


class MeetingConflict(Exception):
    """The meeting changed since the caller read it."""


@dataclass(frozen=True)
class Guest:
    """An attendee typed in by name: a family member, a student, a guest."""

    name: str
    kind: str
    affiliation: str = ""


@dataclass(frozen=True)
class NewItem:
    title: str
    owner_id: int | None
    due_on: dt.date | None


@dataclass(frozen=True)
class _Item:
    title: str
    owner_id: int
    due_on: dt.date


def _check_run(user: Any, body: Body) -> None:
    if not body.can_run(user):
        raise PermissionDenied


def _clean_when(
    *,
    title: str,
    duration_minutes: int | None,
    location: str,
    errors: dict[str, Any],
) -> tuple[str, int, str]:
    title = str(title or "").strip()
    if not title:
        errors["title"] = _("Give the meeting a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Keep the title under %(limit)d characters.") % {"limit": TITLE_MAX}
    if duration_minutes is None or not (5 <= duration_minutes <= MAX_MINUTES):
        errors["duration_minutes"] = _("A meeting lasts between 5 minutes and 24 hours.")
    location = str(location or "").strip()
    if len(location) > PLACE_MAX:
        errors["location"] = _("Keep the place under %(limit)d characters.") % {"limit": PLACE_MAX}
    return title, int(duration_minutes or 60), location


# --- one-off meetings -----------------------------------------------------------------------------


@transaction.atomic
def meeting_create(
    *,
    user: Any,
    body: Body,
    title: str,
    starts_at: dt.datetime | None,
    duration_minutes: int | None = 60,
    location: str = "",
    agenda: str = "",
) -> Meeting:
    """Schedule one meeting (past dates too: a meeting held before it was entered)."""
    _check_run(user, body)
    errors: dict[str, Any] = {}
    title, minutes, location = _clean_when(
        title=title, duration_minutes=duration_minutes, location=location, errors=errors
    )
    if starts_at is None:
        errors["starts_at"] = _("Give the day and time the meeting starts.")
    if errors or starts_at is None:
        raise ValidationError(errors)
    meeting = Meeting.objects.create(
        network_id=body.network_id,
        **body.link(),
        title=title,
        starts_at=starts_at,
        duration_minutes=minutes,
        location=location,
        agenda=str(agenda or "").strip(),
    )
    audit_record(
        actor=user, action="meetings.meeting.create", target=meeting, network=body.network_id
    )
    return meeting


@transaction.atomic
def meeting_cancel(*, user: Any, meeting: Meeting, expected_version: int) -> Meeting:
    """Cancel one scheduled meeting (of a series too: the series goes on; the slot is kept, so
    the series does not bring it back)."""
    if not access.can_run_meeting(user, meeting):
        raise PermissionDenied
    if meeting.status != MeetingStatus.SCHEDULED:
        raise ValidationError(_("Only a scheduled meeting can be cancelled."))
    updated = Meeting.objects.filter(
        pk=meeting.pk, version=expected_version, status=MeetingStatus.SCHEDULED
    ).update(status=MeetingStatus.CANCELLED, version=F("version") + 1)
    if not updated:
        raise MeetingConflict
    meeting.refresh_from_db()
    audit_record(
        actor=user, action="meetings.meeting.cancel", target=meeting, network=meeting.network_id
    )
    return meeting


@transaction.atomic
def meeting_update(
    *,
    user: Any,
    meeting: Meeting,
    expected_version: int,
    title: str,
    starts_at: dt.datetime | None,
    duration_minutes: int | None,
    location: str = "",
    agenda: str = "",
) -> Meeting:
    """Change a scheduled meeting: its title, time, length, place or agenda. A meeting of a
    series moved to another time stays in the series and keeps the slot it was made for (the
    daily extension does not make that slot again). MeetingConflict when someone changed it
    since `expected_version`."""
    if not access.can_run_meeting(user, meeting):
        raise PermissionDenied
    if meeting.status != MeetingStatus.SCHEDULED:
        raise ValidationError(_("Only a scheduled meeting can be changed."))
    errors: dict[str, Any] = {}
    title, minutes, location = _clean_when(
        title=title, duration_minutes=duration_minutes, location=location, errors=errors
    )
    if starts_at is None:
        errors["starts_at"] = _("Give the day and time the meeting starts.")
    elif (
        meeting.series_id
        and starts_at != meeting.starts_at
        and Meeting.objects.filter(series_id=meeting.series_id, starts_at=starts_at)
        .exclude(pk=meeting.pk)
        .exists()
    ):
        errors["starts_at"] = _("Another meeting of the series is at that time.")
    if errors or starts_at is None:
        raise ValidationError(errors)
    changes: dict[str, Any] = {
        "title": title,
        "starts_at": starts_at,
        "duration_minutes": minutes,
        "location": location,
        "agenda": str(agenda or "").strip(),
    }
    if meeting.series_id and starts_at != meeting.starts_at and meeting.moved_from is None:
        changes["moved_from"] = meeting.starts_at
    before = {
        "starts_at": meeting.starts_at.isoformat(),
        "duration_minutes": meeting.duration_minutes,
        "location": meeting.location,
        "title": meeting.title,
    }
    updated = Meeting.objects.filter(
        pk=meeting.pk, version=expected_version, status=MeetingStatus.SCHEDULED
    ).update(**changes, version=F("version") + 1, updated_at=timezone.now())
    if not updated:
        raise MeetingConflict
    meeting.refresh_from_db()
    audit_record(
        actor=user,
        action="meetings.meeting.update",
        target=meeting,
        network=meeting.network_id,
        data={"before": before, "starts_at": meeting.starts_at.isoformat()},
    )
    return meeting


# --- series ---------------------------------------------------------------------------------------


def series_extend(*, series: MeetingSeries, now: dt.datetime | None = None) -> int:
    """Create the series' meetings from the day it was set up to HORIZON_DAYS ahead that do not
    exist yet; returns how many were created. Running it twice creates nothing twice (a slot
    that exists — held, cancelled or scheduled — is never made again)."""
    if not series.is_active:
        return 0
    now = now or timezone.now()
    tz = series.network.tzinfo
    set_up = dt.datetime.combine(series.created_at.astimezone(tz).date(), dt.time(), tzinfo=tz)
    slots = list(
        occurrences(
            series.first_starts_at,
            series.cadence,
            tz,
            start=set_up,
            end=now + dt.timedelta(days=HORIZON_DAYS),
            until=series.ends_on,
        )
    )
    if not slots:
        return 0
    existing = set(
        Meeting.objects.filter(series=series, starts_at__in=slots).values_list(
            "starts_at", flat=True
        )
    ) | set(
        Meeting.objects.filter(series=series, moved_from__in=slots).values_list(
            "moved_from", flat=True
        )
    )
    new = [
        Meeting(
            network_id=series.network_id,
            coalition_id=series.coalition_id,
            school_id=series.school_id,
            series=series,
            title=series.title,
            starts_at=when,
            duration_minutes=series.duration_minutes,
            location=series.location,
        )
        for when in slots
        if when not in existing
    ]
    # Two runs at once: the unique (series, starts_at) constraint keeps the second one's rows out.
    Meeting.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def series_extend_all(*, now: dt.datetime | None = None) -> int:
    """Extend every active series (the daily job)."""
    created = 0
    for series in MeetingSeries.objects.filter(is_active=True).select_related("network"):
        with transaction.atomic():
            created += series_extend(series=series, now=now)
    return created


@transaction.atomic
def series_create(
    *,
    user: Any,
    body: Body,
    title: str,
    cadence: str,
    first_starts_at: dt.datetime | None,
    duration_minutes: int | None = 60,
    location: str = "",
    ends_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> MeetingSeries:
    """Set up a recurring meeting and create its meetings for the next three months."""
    _check_run(user, body)
    now = now or timezone.now()
    errors: dict[str, Any] = {}
    title, minutes, location = _clean_when(
        title=title, duration_minutes=duration_minutes, location=location, errors=errors
    )
    if cadence not in Cadence.values:
        errors["cadence"] = _("Choose how often the meeting recurs.")
    today = body.network.today(now)
    if first_starts_at is None:
        errors["first_starts_at"] = _("Give the day and time of the first meeting.")
    elif first_starts_at.astimezone(body.network.tzinfo).date() < today:
        errors["first_starts_at"] = _(
            "The first meeting of a new series is today or later; enter past meetings one by one."
        )
    if (
        ends_on is not None
        and first_starts_at is not None
        and ends_on < first_starts_at.astimezone(body.network.tzinfo).date()
    ):
        errors["ends_on"] = _("The last day must not come before the first meeting.")
    if errors or first_starts_at is None:
        raise ValidationError(errors)
    series = MeetingSeries.objects.create(
        network_id=body.network_id,
        **body.link(),
        title=title,
        cadence=cadence,
        first_starts_at=first_starts_at,
        duration_minutes=minutes,
        location=location,
        ends_on=ends_on,
        created_by=user,
        created_at=now,
    )
    series.network = body.network
    created = series_extend(series=series, now=now)
    audit_record(
        actor=user,
        action="meetings.series.create",
        target=series,
        network=body.network_id,
        data={"meetings": created},
    )
    return series


@transaction.atomic
def series_end(*, user: Any, series: MeetingSeries, now: dt.datetime | None = None) -> int:
    """End a series today: no more meetings are made, and its future meetings that nothing was
    recorded for are removed. Returns how many were removed."""
    if not access.can_run_meeting(user, series):
        raise PermissionDenied
    if not series.is_active:
        raise ValidationError(_("This series has already ended."))
    now = now or timezone.now()
    MeetingSeries.objects.filter(pk=series.pk).update(
        is_active=False, ends_on=series.network.today(now)
    )
    empty = Meeting.objects.filter(
        series=series,
        status=MeetingStatus.SCHEDULED,
        starts_at__gt=now,
        agenda="",
        minutes="",
        attendees__isnull=True,
        action_items__isnull=True,
    ).values_list("pk", flat=True)
    _total, per_model = Meeting.objects.filter(pk__in=list(empty)).delete()
    removed = int(per_model.get("meetings.Meeting", 0))
    series.refresh_from_db()
    audit_record(
        actor=user,
        action="meetings.series.end",
        target=series,
        network=series.network_id,
        data={"removed": removed},
    )
    return removed


# --- recording a meeting --------------------------------------------------------------------------


def _clean_guests(guests: Sequence[Guest], errors: dict[str, Any]) -> list[Guest]:
    kept: list[Guest] = []
    for g in guests:
        name, affiliation = g.name.strip(), g.affiliation.strip()
        if not name:
            errors["guests"] = _("Give each attendee typed in a name.")
        elif len(name) > NAME_MAX or len(affiliation) > NAME_MAX:
            errors["guests"] = _("Keep names and affiliations under %(limit)d characters.") % {
                "limit": NAME_MAX
            }
        elif g.kind not in AttendeeKind.values:
            errors["guests"] = _("Say whether each attendee came as family, student, partner…")
        else:
            kept.append(Guest(name, g.kind, affiliation))
    return kept


def _clean_items(
    items: Sequence[NewItem], owner_ids: set[int], meeting: Meeting, errors: dict[str, Any]
) -> list[_Item]:
    kept: list[_Item] = []
    meeting_day = meeting.starts_at.astimezone(meeting.network.tzinfo).date()
    for item in items:
        title = item.title.strip()
        if not title:
            errors["items"] = _("Say what each action item is.")
        elif len(title) > ITEM_MAX:
            errors["items"] = _("Keep each action item under %(limit)d characters.") % {
                "limit": ITEM_MAX
            }
        elif item.owner_id is None or item.owner_id not in owner_ids:
            errors["items"] = _("Choose each action item's owner from the people listed.")
        elif item.due_on is None:
            errors["items"] = _("Give each action item a due date.")
        elif item.due_on < meeting_day:
            errors["items"] = _("An action item is due on or after the day of the meeting.")
        else:
            kept.append(_Item(title, item.owner_id, item.due_on))
    return kept


def _decisions(text: str) -> str:
    return "\n".join(line.strip() for line in str(text or "").splitlines() if line.strip())


@transaction.atomic
def meeting_record(
    *,
    user: Any,
    meeting: Meeting,
    expected_version: int,
    agenda: str = "",
    minutes: str = "",
    decisions: str = "",
    present: Sequence[str] = (),
    guests: Sequence[Guest] = (),
    new_items: Sequence[NewItem] = (),
    held: bool = True,
    now: dt.datetime | None = None,
) -> Meeting:
    """Record the meeting read at `expected_version`: its agenda, minutes and decisions (one per
    line), who was present (`present`: keys of `bodies.people`, plus `guests` typed by name —
    the attendance is replaced), new action items, and whether it was held."""
    if not access.can_run_meeting(user, meeting):
        raise PermissionDenied
    now = now or timezone.now()
    body = Body.of(meeting)
    errors: dict[str, Any] = {}
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This meeting was cancelled; schedule another one to record it."))
    if held and meeting.starts_at > now:
        errors["held"] = _("This meeting has not started yet; mark it held once it has.")
    people = {p.key: p for p in bodies.people(body)}
    unknown = [key for key in present if key not in people]
    if unknown:
        errors["present"] = _("Tick only people listed for this body.")
    kept_guests = _clean_guests(guests, errors)
    owner_ids = {u.pk for u in bodies.owners(body)}
    kept_items = _clean_items(new_items, owner_ids, meeting, errors)
    if errors:
        raise ValidationError(errors)
    updated = Meeting.objects.filter(pk=meeting.pk, version=expected_version).update(
        agenda=str(agenda or "").strip(),
        minutes=str(minutes or "").strip(),
        decisions=_decisions(decisions),
        status=MeetingStatus.HELD if held else MeetingStatus.SCHEDULED,
        recorded_by=user,
        version=F("version") + 1,
        updated_at=now,
    )
    if not updated:
        raise MeetingConflict
    MeetingAttendee.objects.filter(meeting=meeting).delete()
    chosen = [people[key] for key in dict.fromkeys(present)]
    MeetingAttendee.objects.bulk_create(
        [
            MeetingAttendee(
                meeting=meeting,
                user_id=p.user_id,
                name=p.name,
                kind=p.kind,
                organization_id=p.organization_id,
                coalition_member_id=p.coalition_member_id,
                affiliation=p.affiliation,
            )
            for p in chosen
        ]
        + [
            MeetingAttendee(meeting=meeting, name=g.name, kind=g.kind, affiliation=g.affiliation)
            for g in kept_guests
        ]
    )
    ActionItem.objects.bulk_create(
        [
            ActionItem(
                network_id=meeting.network_id,
                meeting=meeting,
                coalition_id=meeting.coalition_id,
                school_id=meeting.school_id,
                title=item.title,
                owner_id=item.owner_id,
                due_on=item.due_on,
                created_by=user,
                created_at=now,
            )
            for item in kept_items
        ]
    )
    meeting.refresh_from_db()
    audit_record(
        actor=user,
        action="meetings.meeting.record",
        target=meeting,
        network=meeting.network_id,
        data={"present": len(chosen) + len(kept_guests), "new_items": len(kept_items)},
    )
    return meeting


# --- action items ---------------------------------------------------------------------------------


@transaction.atomic
def action_item_set_status(
    *,
    user: Any,
    item: ActionItem,
    status: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> ActionItem:
    """Done, dropped (with a note saying why) or open again: the owner, or whoever runs the
    body's meetings."""
    if not access.can_update_action_item(user, item):
        raise PermissionDenied
    note = str(note or "").strip()
    errors: dict[str, Any] = {}
    if status not in ActionItemStatus.values:
        errors["status"] = _("Choose done, dropped or open.")
    elif status == item.status:
        errors["status"] = _("The action item is already %(status)s.") % {
            "status": str(ActionItemStatus(status).label).lower()
        }
    if status == ActionItemStatus.DROPPED and not note:
        errors["note"] = _("Say why the action item is dropped.")
    if len(note) > NOTE_MAX:
        errors["note"] = _("Keep the note under %(limit)d characters.") % {"limit": NOTE_MAX}
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    closing = status != ActionItemStatus.OPEN
    fields: dict[str, Any] = {
        "status": status,
        "done_at": now if closing else None,
        "done_by": user if closing else None,
    }
    if note or status == ActionItemStatus.OPEN:
        fields["note"] = note
    ActionItem.objects.filter(pk=item.pk).update(**fields)
    item.refresh_from_db()
    audit_record(
        actor=user,
        action=f"meetings.action_item.{status}",
        target=item,
        network=item.network_id,
    )
    return item


@transaction.atomic
def action_item_edit(
    *,
    user: Any,
    item: ActionItem,
    title: str,
    owner_id: int | None,
    due_on: dt.date | None,
    note: str = "",
) -> ActionItem:
    """Change an open item's action, owner (one of the body's possible owners), due date or
    note: whoever runs the body's meetings. A new owner is told in the app."""
    if not access.can_edit_action_item(user, item):
        raise PermissionDenied
    current = ActionItem.objects.select_for_update().filter(pk=item.pk).first()
    if current is None:
        raise ValidationError(_("This action item no longer exists."))
    if current.status != ActionItemStatus.OPEN:
        raise ValidationError(
            _("The action item is %(status)s: reopen it before changing it.")
            % {"status": str(current.get_status_display()).lower()}
        )
    errors: dict[str, Any] = {}
    title = str(title or "").strip()
    note = str(note or "").strip()
    if not title:
        errors["title"] = _("Say what is to be done.")
    elif len(title) > ITEM_MAX:
        errors["title"] = _("Keep the action under %(limit)d characters.") % {"limit": ITEM_MAX}
    owners = {u.pk: u for u in bodies.owners(Body.of(current))}
    if owner_id is None or owner_id not in owners:
        errors["owner"] = _("Choose the owner from the people listed.")
    if due_on is None:
        errors["due_on"] = _("Give the due date.")
    if len(note) > NOTE_MAX:
        errors["note"] = _("Keep the note under %(limit)d characters.") % {"limit": NOTE_MAX}
    if errors:
        raise ValidationError(errors)
    assert owner_id is not None and due_on is not None
    changed = {
        name: value
        for name, value in (
            ("title", title),
            ("owner_id", owner_id),
            ("due_on", due_on),
            ("note", note),
        )
        if getattr(current, name) != value
    }
    if not changed:
        return current
    fields: dict[str, Any] = dict(changed)
    if "owner_id" in changed or "due_on" in changed:
        # The new owner, or the new date, is reminded afresh when it passes.
        fields["overdue_notified_at"] = None
    ActionItem.objects.filter(pk=current.pk).update(**fields)
    current.refresh_from_db()
    if "owner_id" in changed and owner_id != getattr(user, "pk", None):
        Notification.objects.create(
            user_id=owner_id,
            network_id=current.network_id,
            message=(
                _("You now own the action item “%(title)s”, due %(day)s.")
                % {"title": current.title[:300], "day": current.due_on.isoformat()}
            )[:500],
            url=reverse("my_action_items"),
        )
    audit_record(
        actor=user,
        action="meetings.action_item.edit",
        target=current,
        network=current.network_id,
        data={"changed": sorted(changed)},
    )
    return current
