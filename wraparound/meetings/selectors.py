"""Reads on meetings and action items, always from `core.access` scoping.

An action item is overdue when it is open and its due day has passed on its network's clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from wraparound.core import access
from wraparound.core.models import Network
from wraparound.core.roles import SCHOOL_ROLES, Role

from .bodies import Body
from .models import ActionItem, ActionItemStatus, Meeting, MeetingSeries, MeetingStatus

SHOWS = ("open", "overdue", "done", "all")
MEETING_RELATED = ("network", "coalition__network", "school__network", "series")
ITEM_RELATED = ("network", "owner", "meeting", "coalition", "school")


def visible_meetings(user: Any) -> QuerySet[Meeting]:
    return Meeting.objects.filter(access.meeting_filter(user))


def get_meeting_for_user(user: Any, pk: Any) -> Meeting:
    try:
        return visible_meetings(user).select_related(*MEETING_RELATED).get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_series_for_user(user: Any, pk: Any) -> MeetingSeries:
    g = access.grants(user)
    qs = MeetingSeries.objects.filter(
        Q(network_id__in=g.networks_with(Role.NETWORK_ADMIN))
        | Q(coalition_id__in=g.coalitions_with(Role.COALITION_MEMBER))
        | Q(school_id__in=g.schools_with(*SCHOOL_ROLES))
    ).select_related("network", "coalition", "school")
    try:
        return qs.get(pk=pk)
    except (MeetingSeries.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def visible_action_items(user: Any) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(access.action_item_filter(user))


def get_action_item_for_user(user: Any, pk: Any) -> ActionItem:
    try:
        return visible_action_items(user).select_related(*ITEM_RELATED).get(pk=pk)
    except (ActionItem.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- overdue -----------------------------------------------------------------------------------


def overdue_q(networks: Any, now: dt.datetime | None = None) -> Q:
    """Open items past their due day, each on its own network's clock (items of networks not
    given: the server's clock)."""
    now = now or timezone.now()
    q = Q(pk__in=[])
    known: list[int] = []
    for network in networks:
        known.append(network.pk)
        q |= Q(network_id=network.pk, due_on__lt=network.today(now))
    q |= Q(due_on__lt=timezone.localdate(now)) & ~Q(network_id__in=known)
    return Q(status=ActionItemStatus.OPEN) & q


def user_overdue_q(user: Any, now: dt.datetime | None = None) -> Q:
    networks = Network.objects.filter(pk__in=access.grants(user).networks).only("pk", "time_zone")
    return overdue_q(list(networks), now)


def with_overdue(qs: QuerySet[ActionItem], overdue: Q) -> QuerySet[ActionItem]:
    return qs.annotate(
        is_overdue=Case(
            When(overdue, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def _show(qs: QuerySet[ActionItem], show: str, overdue: Q) -> QuerySet[ActionItem]:
    if show == "open":
        return qs.filter(status=ActionItemStatus.OPEN)
    if show == "overdue":
        return qs.filter(overdue)
    if show == "done":
        return qs.exclude(status=ActionItemStatus.OPEN)
    return qs


def my_action_items(
    user: Any, show: str = "open", now: dt.datetime | None = None
) -> QuerySet[ActionItem]:
    """The user's own action items, overdue ones first, then by due day."""
    overdue = user_overdue_q(user, now)
    qs = ActionItem.objects.filter(owner_id=user.pk)
    return (
        with_overdue(_show(qs, show, overdue), overdue)
        .select_related(*ITEM_RELATED)
        .order_by(F("is_overdue").desc(), "due_on", "pk")
    )


def body_action_items(
    body: Body, show: str = "open", now: dt.datetime | None = None
) -> QuerySet[ActionItem]:
    overdue = overdue_q([body.network], now)
    qs = ActionItem.objects.filter(body.filter())
    return (
        with_overdue(_show(qs, show, overdue), overdue)
        .select_related(*ITEM_RELATED)
        .order_by(F("is_overdue").desc(), "due_on", "pk")
    )


def overdue_count(body: Body, now: dt.datetime | None = None) -> int:
    return ActionItem.objects.filter(body.filter()).filter(overdue_q([body.network], now)).count()


def meeting_action_items(meeting: Meeting, now: dt.datetime | None = None) -> list[ActionItem]:
    overdue = overdue_q([meeting.network], now)
    return list(
        with_overdue(meeting.action_items.all(), overdue)
        .select_related("owner", "done_by")
        .order_by("due_on", "pk")
    )


# --- a body's meetings ----------------------------------------------------------------------------


def _rows(qs: QuerySet[Meeting], overdue: Q) -> QuerySet[Meeting]:
    return qs.select_related("series").annotate(
        n_attendees=Count("attendees", distinct=True),
        n_open=Count(
            "action_items", filter=Q(action_items__status=ActionItemStatus.OPEN), distinct=True
        ),
        n_overdue=Count(
            "action_items",
            filter=Q(
                action_items__in=ActionItem.objects.filter(overdue).values("pk"),
            ),
            distinct=True,
        ),
    )


def upcoming_meetings(body: Body, now: dt.datetime | None = None) -> QuerySet[Meeting]:
    """Scheduled meetings from the start of today on (a meeting this morning still needs
    recording), soonest first."""
    now = now or timezone.now()
    tz = body.network.tzinfo
    today_start = dt.datetime.combine(body.network.today(now), dt.time(), tzinfo=tz)
    overdue = overdue_q([body.network], now)
    return _rows(
        Meeting.objects.filter(
            body.filter(), status=MeetingStatus.SCHEDULED, starts_at__gte=today_start
        ),
        overdue,
    ).order_by("starts_at", "pk")


def past_meetings(body: Body, now: dt.datetime | None = None) -> QuerySet[Meeting]:
    """Held and cancelled meetings, and scheduled ones before today (not recorded yet)."""
    now = now or timezone.now()
    tz = body.network.tzinfo
    today_start = dt.datetime.combine(body.network.today(now), dt.time(), tzinfo=tz)
    overdue = overdue_q([body.network], now)
    return _rows(
        Meeting.objects.filter(body.filter()).filter(
            ~Q(status=MeetingStatus.SCHEDULED) | Q(starts_at__lt=today_start)
        ),
        overdue,
    ).order_by("-starts_at", "-pk")


def body_series(body: Body) -> list[MeetingSeries]:
    return list(MeetingSeries.objects.filter(body.filter()).order_by("-is_active", "title", "pk"))
