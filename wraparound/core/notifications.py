"""In-app notifications: a user's own messages (reminders write them; the notifications page
reads them and marks them read). Nobody reads or marks another user's notifications: every
lookup starts from the user."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from .models import Notification


def notifications_for(user: Any) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(user: Any) -> int:
    """How many of the user's notifications are unread (one query)."""
    return notifications_for(user).filter(read_at__isnull=True).count()


def get_notification_for_user(user: Any, pk: Any) -> Notification:
    """One of the user's own notifications; anyone else's is a 404."""
    try:
        return notifications_for(user).get(pk=pk)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def notification_mark_read(*, user: Any, notification: Notification) -> Notification:
    """Mark one of the user's notifications read (already read: left as it was)."""
    if notification.user_id != user.pk:
        raise Http404
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    """Mark every unread notification of the user read; returns how many were."""
    return notifications_for(user).filter(read_at__isnull=True).update(read_at=timezone.now())
