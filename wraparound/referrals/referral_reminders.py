"""Referrals the partner has not answered in time: once a referral is still `sent` after its
`response_due_on` (a day on the network's own clock), the referrer is told (notification and
e-mail) and the school's coordinators are alerted (notification), once per referral.

Once however often the job runs, and on two workers at once: each referral is *claimed* by a
conditional update of `overdue_reminded_at` (only a referral not yet claimed is updated) in the
transaction that writes the notifications; the run whose update touched no row sends nothing.
E-mail leaves only after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import partial
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.core.models import Membership, Network, Notification
from wraparound.core.roles import Role
from wraparound.core.services import audit_record
from wraparound.core.tasks import send_email
from wraparound.directory.services import absolute_url

from .models import Referral, ReferralStatus


def overdue_referrals(network: Network, today: dt.date) -> list[Referral]:
    """Sent referrals of the network whose answer was due before today, not yet reminded."""
    return list(
        Referral.objects.filter(
            network=network,
            status=ReferralStatus.SENT,
            response_due_on__lt=today,
            overdue_reminded_at__isnull=True,
        )
        .select_related("school", "service", "organization", "referred_by")
        .order_by("response_due_on", "pk")
    )


def _coordinators(network: Network) -> dict[int, list[Any]]:
    by_school: dict[int, list[Any]] = defaultdict(list)
    for m in Membership.objects.filter(
        network=network,
        role=Role.SCHOOL_COORDINATOR,
        school__isnull=False,
        is_active=True,
        user__is_active=True,
    ).select_related("user"):
        assert m.school_id is not None
        by_school[m.school_id].append(m.user)
    return by_school


def _remind(referral: Referral, coordinators: list[Any], now: dt.datetime) -> bool:
    with transaction.atomic():
        claimed = Referral.objects.filter(
            pk=referral.pk, status=ReferralStatus.SENT, overdue_reminded_at__isnull=True
        ).update(overdue_reminded_at=now)
        if not claimed:
            return False
        path = reverse("referral_detail", args=[referral.pk])
        # No student name: notifications and e-mail are not places the record is disclosed.
        values = {
            "org": referral.organization.name,
            "service": referral.service.name,
            "day": referral.response_due_on.isoformat() if referral.response_due_on else "",
        }
        referrer = referral.referred_by
        recipients = {referrer.pk: referrer}
        for user in coordinators:
            recipients.setdefault(user.pk, user)
        Notification.objects.bulk_create(
            [
                Notification(
                    user=user,
                    network_id=referral.network_id,
                    message=(
                        _("%(org)s has not answered your referral to %(service)s (due %(day)s).")
                        if user.pk == referrer.pk
                        else _(
                            "%(org)s has not answered a referral to %(service)s from your "
                            "school (due %(day)s)."
                        )
                    )
                    % values,
                    url=path,
                    created_at=now,
                )
                for user in recipients.values()
            ]
        )
        if referrer.email:
            context = {"referral": referral, "user": referrer, "link": absolute_url(path), **values}
            subject = " ".join(
                render_to_string("referrals/emails/referral_overdue_subject.txt", context).split()
            )
            body = render_to_string("referrals/emails/referral_overdue.txt", context)
            transaction.on_commit(
                partial(send_email.delay, subject=subject, body=body, to=[referrer.email])
            )
        audit_record(
            actor=None,
            action="referrals.referral.overdue_reminder",
            target=referral,
            network=referral.network_id,
            data={"due": values["day"], "to": sorted(recipients)},
        )
    return True


def overdue_referrals_remind(*, now: dt.datetime | None = None) -> int:
    """Remind every referral overdue today on its network's clock; returns how many were
    reminded. Safe to run twice, or on two workers at once."""
    now = now or timezone.now()
    reminded = 0
    for network in Network.objects.order_by("pk"):
        overdue = overdue_referrals(network, network.today(now))
        if not overdue:
            continue
        coordinators = _coordinators(network)
        for referral in overdue:
            if _remind(referral, coordinators.get(referral.school_id, []), now):
                reminded += 1
    return reminded
