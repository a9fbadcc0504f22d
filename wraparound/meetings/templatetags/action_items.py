"""`{% load action_items %}{% my_open_action_items %}` — the signed-in user's open action items
on their home page, overdue first (two queries; nothing is shown when there are none), and the
open follow-ups of family team conferences they own and may still read (two more); and
`{% may_read_school_meetings school as x %}` for the school page's link to its meetings."""

from __future__ import annotations

from typing import Any

from django import template

from wraparound.conferences.conference_selectors import my_follow_ups
from wraparound.core import access
from wraparound.meetings import selectors
from wraparound.meetings.models import ActionItem

register = template.Library()

HOME_LIMIT = 10


@register.inclusion_tag("meetings/_home_card.html", takes_context=True)
def my_open_action_items(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return {"items": [], "follow_ups": []}
    items = list(selectors.my_action_items(user, "open")[: HOME_LIMIT + 1])
    shown = items[:HOME_LIMIT]
    if len(items) <= HOME_LIMIT:
        total = len(items)
        overdue = sum(1 for i in shown if getattr(i, "is_overdue", False))
    else:  # more than the card shows: count them all, the overdue ones too
        total = selectors.my_action_items(user).count()
        overdue = (
            ActionItem.objects.filter(owner_id=user.pk)
            .filter(selectors.user_overdue_q(user))
            .count()
        )
    return {
        "request": request,
        "items": shown,
        "total": total,
        "overdue": overdue,
        "follow_ups": my_follow_ups(user)[:HOME_LIMIT],
    }


@register.simple_tag(takes_context=True)
def may_read_school_meetings(context: template.Context, school: Any) -> bool:
    """`{% may_read_school_meetings school as x %}`: whether the school page links to its
    leadership team's meetings (no query: the user's grants are cached)."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return bool(user is not None and access.can_read_school_meetings(user, school))
