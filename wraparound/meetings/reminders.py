"""Action items that became overdue: the owner is told once (an in-app notification), however
often the daily job runs and on however many workers — each item is *claimed* by a conditional
update of `overdue_notified_at` in the transaction that writes the notification."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.core.models import Network, Notification
from wraparound.core.services import audit_record

from .models import ActionItem, ActionItemStatus


def _notify(item: ActionItem, now: dt.datetime) -> bool:
    with transaction.atomic():
        claimed = ActionItem.objects.filter(
            pk=item.pk, status=ActionItemStatus.OPEN, overdue_notified_at__isnull=True
        ).update(overdue_notified_at=now)
        if not claimed:
            return False
        Notification.objects.create(
            user_id=item.owner_id,
            network_id=item.network_id,
            message=_("Your action item “%(title)s” was due %(day)s and is not done.")
            % {"title": item.title[:300], "day": item.due_on.isoformat()},
            url=reverse("my_action_items") + "?show=overdue",
            created_at=now,
        )
        audit_record(
            actor=None,
            action="meetings.action_item.overdue_notice",
            target=item,
            network=item.network_id,
        )
    return True


def overdue_action_items_notify(*, now: dt.datetime | None = None) -> int:
    """Tell the owner of every action item overdue today (on its network's clock) and not yet
    told; returns how many were told."""
    now = now or timezone.now()
    told = 0
    for network in Network.objects.order_by("pk"):
        items = ActionItem.objects.filter(
            network=network,
            status=ActionItemStatus.OPEN,
            due_on__lt=network.today(now),
            overdue_notified_at__isnull=True,
        ).order_by("due_on", "pk")
        for item in items:
            if _notify(item, now):
                told += 1
    return told
