"""`{% load notifications %}{% unread_notifications_count as unread %}` — the signed-in user's
unread notifications, for the header (one query per page, none for anonymous visitors)."""

from __future__ import annotations

from typing import Any

from django import template

from wraparound.core.notifications import unread_count

register = template.Library()

_CACHE_ATTR = "_wraparound_unread_notifications"


@register.simple_tag(takes_context=True)
def unread_notifications_count(context: template.Context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    # Asked twice on one page (e.g. a badge and its label), counted once.
    holder: Any = request if request is not None else user
    cached = getattr(holder, _CACHE_ATTR, None)
    if cached is None:
        cached = unread_count(user)
        setattr(holder, _CACHE_ATTR, cached)
    return int(cached)
