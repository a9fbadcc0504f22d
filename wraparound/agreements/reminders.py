"""Expiry reminders: a clearance record or an MOU that ends within 60 days is reminded at 60, 30
and 7 days before its last day (`clearance.REMINDER_DAYS`), by e-mail and on the notifications
page; and a data-sharing agreement whose retention has ended with no certificate of destruction
asks the partner admins, once, to certify it.

Once per item, expiry date and threshold, however often the job runs: each reminder is *claimed*
by inserting its `ReminderSent` row (a unique constraint) in the transaction that writes the
notifications; a second run, or a second worker at the same moment, finds the row and sends
nothing. E-mail leaves only after the commit. A job that was down past a threshold sends one
message, for the smallest threshold reached, and records the larger ones as done.

Days are counted on each network's own clock (`Network.today`): at 03:00 UTC on 1 March it is
still 28 February in New York.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wraparound.core.models import Membership, Network, Notification, ReminderSent
from wraparound.core.roles import Role
from wraparound.core.services import audit_record
from wraparound.core.tasks import send_email
from wraparound.directory.services import absolute_url

from .clearance import REMINDER_DAYS, days_left
from .models import Agreement, AgreementStatus, ClearanceRecord, RecordStatus
from .models.mou import IN_FORCE_STATUSES

# Items that end within this many days are reminded (the largest threshold).
HORIZON_DAYS = max(REMINDER_DAYS)
# The threshold recorded for the one-off "certify the data destroyed" request.
DESTRUCTION_THRESHOLD = 0


# --- what is expiring (the compliance dashboard reads the same) --------------------------------


def expiring_records(
    network: Network, today: dt.date, within: int = HORIZON_DAYS
) -> list[ClearanceRecord]:
    """Cleared records of the network's requirements in effect whose last valid day is today or
    within `within` days, and that no later cleared record of the same requirement and subject
    outlasts (a renewal already cleared ends the reminders). People no longer on the staff list
    are left out. Two queries; requirement, organization and person come along."""
    horizon = today + dt.timedelta(days=within)
    candidates = list(
        ClearanceRecord.objects.filter(
            network=network,
            status=RecordStatus.CLEARED,
            requirement__is_active=True,
            expires_on__gte=today,
            expires_on__lte=horizon,
        )
        .filter(Q(person__isnull=True) | Q(person__is_active=True))
        .select_related("requirement", "organization", "person")
        .order_by("expires_on", "pk")
    )
    if not candidates:
        return []
    # The longest-lasting cleared record of each requirement and subject (no end = forever).
    last_day: dict[tuple[int, int, int | None], dt.date] = {}
    rows = (
        ClearanceRecord.objects.filter(
            network=network,
            status=RecordStatus.CLEARED,
            organization_id__in={c.organization_id for c in candidates},
            requirement_id__in={c.requirement_id for c in candidates},
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .order_by()
        .values_list("requirement_id", "organization_id", "person_id", "expires_on")
    )
    for requirement_id, organization_id, person_id, expires_on in rows:
        key: tuple[int, int, int | None] = (requirement_id, organization_id, person_id)
        end = expires_on or dt.date.max
        if end > last_day.get(key, dt.date.min):
            last_day[key] = end
    result: list[ClearanceRecord] = []
    seen: set[tuple[int, int, int | None]] = set()
    for record in candidates:
        key = (record.requirement_id, record.organization_id, record.person_id)
        if key in seen or last_day.get(key) != record.expires_on:
            continue
        seen.add(key)
        result.append(record)
    return result


def expiring_agreements(
    network: Network, today: dt.date, within: int = HORIZON_DAYS
) -> list[Agreement]:
    """Agreements in force whose signed term ends today or within `within` days and that no
    renewal in force replaces. One query; the version in force, school and organization come
    along."""
    horizon = today + dt.timedelta(days=within)
    renewed = Agreement.objects.filter(renewed_from=OuterRef("pk"), status__in=IN_FORCE_STATUSES)
    return list(
        Agreement.objects.filter(
            network=network,
            status__in=IN_FORCE_STATUSES,
            signed_version__term_end__gte=today,
            signed_version__term_end__lte=horizon,
        )
        .exclude(Exists(renewed))
        .select_related("signed_version", "school", "organization")
        .order_by("signed_version__term_end", "pk")
    )


def destruction_due(network: Network, today: dt.date) -> list[Agreement]:
    """Agreements with no certificate of destruction yet whose data-sharing terms (of the
    version signed last) kept the data until a day now past, or that were terminated: ending
    the agreement ends the right to keep what was shared under it."""
    return list(
        Agreement.objects.filter(
            network=network,
            signed_version__data_sharing__isnull=False,
            destruction__isnull=True,
        )
        .filter(
            Q(signed_version__data_sharing__retention_ends_on__lt=today)
            | Q(status=AgreementStatus.TERMINATED)
        )
        .select_related("signed_version__data_sharing", "school", "organization")
        .order_by("pk")
    )


def destruction_day(agreement: Agreement, network: Network) -> dt.date:
    """The day the shared data had to go: the retention end, or the termination if earlier.
    It keys the reminder, so that a terminated agreement whose retention end passes later is
    not asked twice."""
    version = agreement.signed_version
    assert version is not None
    day = version.data_sharing.retention_ends_on
    if agreement.status == AgreementStatus.TERMINATED and agreement.status_changed_at:
        day = min(day, network.today(agreement.status_changed_at))
    return day


def due_threshold(left: int, sent: Iterable[int]) -> tuple[int, list[int]] | None:
    """The threshold to remind now, and every threshold to record as done with it; None when
    nothing is due. Only the smallest threshold reached is sent: a job that missed the 60-day
    reminder and runs at 29 days sends the 30-day one and records both."""
    reached = sorted(t for t in REMINDER_DAYS if left <= t)
    if not reached:
        return None
    done = set(sent)
    if reached[0] in done:
        return None
    return reached[0], [t for t in reached if t not in done]


# --- recipients ---------------------------------------------------------------------------------


@dataclass
class _Recipients:
    network_admins: list[Any]
    partner_admins: dict[int, list[Any]]
    coordinators: dict[int, list[Any]]

    @classmethod
    def of(cls, network: Network) -> _Recipients:
        """Everyone a reminder of this network may go to, in one query."""
        result = cls([], defaultdict(list), defaultdict(list))
        memberships = (
            Membership.objects.filter(
                network=network,
                is_active=True,
                user__is_active=True,
                role__in=[Role.NETWORK_ADMIN, Role.PARTNER_ADMIN, Role.SCHOOL_COORDINATOR],
            )
            .select_related("user")
            .order_by("user_id")
        )
        for membership in memberships:
            if membership.role == Role.NETWORK_ADMIN and membership.school_id is None:
                result.network_admins.append(membership.user)
            elif membership.role == Role.PARTNER_ADMIN and membership.organization_id:
                result.partner_admins[membership.organization_id].append(membership.user)
            elif membership.role == Role.SCHOOL_COORDINATOR and membership.school_id:
                result.coordinators[membership.school_id].append(membership.user)
        return result


def _unique(*groups: Sequence[Any]) -> list[Any]:
    users: dict[int, Any] = {}
    for group in groups:
        for user in group:
            users.setdefault(user.pk, user)
    return list(users.values())


# --- links --------------------------------------------------------------------------------------


def _path(candidates: Sequence[tuple[str, Sequence[Any]]]) -> str:
    """The first of these URL names that resolves (the pages they name are other parts of the
    agreements app; a name not there yet falls through to the next)."""
    for name, args in candidates:
        try:
            return reverse(name, args=list(args))
        except NoReverseMatch:
            continue
    return ""


def record_path(record: ClearanceRecord) -> str:
    return _path(
        [
            ("organization_staff", [record.organization_id]),
            ("organization_detail", [record.organization_id]),
        ]
    )


def agreement_path(agreement: Agreement) -> str:
    return _path(
        [
            ("agreement_detail", [agreement.pk]),
            ("organization_partnerships", [agreement.organization_id]),
        ]
    )


# --- sending ------------------------------------------------------------------------------------


@dataclass
class _Reminder:
    target: models.Model
    expires_on: dt.date
    threshold: int
    record_also: list[int]
    recipients: list[Any]
    message: str
    path: str
    template: str  # agreements/emails/<template>.txt and <template>_subject.txt
    context: dict[str, Any]
    action: str


def _send(network: Network, reminder: _Reminder, now: dt.datetime) -> bool:
    """Claim the reminder, then write the notifications and queue the e-mails (sent after the
    commit). False when it was claimed already (another run got there first)."""
    target_type = ContentType.objects.get_for_model(reminder.target)
    target_id = reminder.target.pk
    with transaction.atomic():
        try:
            with transaction.atomic():
                ReminderSent.objects.create(
                    target_type=target_type,
                    target_id=target_id,
                    expires_on=reminder.expires_on,
                    days_before=reminder.threshold,
                    sent_at=now,
                )
        except IntegrityError:
            return False
        ReminderSent.objects.bulk_create(
            [
                ReminderSent(
                    target_type=target_type,
                    target_id=target_id,
                    expires_on=reminder.expires_on,
                    days_before=threshold,
                    sent_at=now,
                )
                for threshold in reminder.record_also
                if threshold != reminder.threshold
            ],
            ignore_conflicts=True,
        )
        Notification.objects.bulk_create(
            [
                Notification(
                    user=user,
                    network=network,
                    message=reminder.message[:500],
                    url=reminder.path,
                    created_at=now,
                )
                for user in reminder.recipients
            ]
        )
        context = {**reminder.context, "link": absolute_url(reminder.path)}
        subject = "".join(
            render_to_string(f"agreements/emails/{reminder.template}_subject.txt", context)
            .strip()
            .splitlines()
        )
        for user in reminder.recipients:
            if not user.email:
                continue
            body = render_to_string(
                f"agreements/emails/{reminder.template}.txt", {**context, "user": user}
            )
            transaction.on_commit(
                partial(send_email.delay, subject=subject, body=body, to=[user.email])
            )
        audit_record(
            actor=None,
            action=reminder.action,
            target=reminder.target,
            network=network,
            data={
                "expires_on": reminder.expires_on.isoformat(),
                "days_before": reminder.threshold,
                "to": [user.pk for user in reminder.recipients],
            },
        )
    return True


def _already_sent(
    model: type[models.Model], ids: Iterable[int]
) -> dict[tuple[int, dt.date], set[int]]:
    """(target id, expiry) → thresholds already reminded, for these targets (one query)."""
    sent: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    rows = ReminderSent.objects.filter(
        target_type=ContentType.objects.get_for_model(model), target_id__in=list(ids)
    ).values_list("target_id", "expires_on", "days_before")
    for target_id, expires_on, days_before in rows:
        sent[(target_id, expires_on)].add(days_before)
    return sent


def _days_phrase(left: int) -> str:
    if left == 0:
        return _("today is the last day")
    return ngettext("%(n)s day left", "%(n)s days left", left) % {"n": left}


def _clearance_reminders(
    network: Network, today: dt.date, recipients: _Recipients
) -> list[_Reminder]:
    records = expiring_records(network, today)
    sent = _already_sent(ClearanceRecord, [r.pk for r in records])
    reminders = []
    for record in records:
        assert record.expires_on is not None  # expiring_records reads dated records only
        left = days_left(record.expires_on, today)
        due = due_threshold(left, sent.get((record.pk, record.expires_on), ()))
        if due is None:
            continue
        to = recipients.partner_admins.get(record.organization_id, [])
        if record.person is None:
            to = _unique(to, recipients.network_admins)
        if not to:
            continue
        who = record.person.full_name if record.person else record.organization.name
        values = {
            "requirement": record.requirement.name,
            "who": who,
            "day": record.expires_on.isoformat(),
            "left": _days_phrase(left),
        }
        reminders.append(
            _Reminder(
                target=record,
                expires_on=record.expires_on,
                threshold=due[0],
                record_also=due[1],
                recipients=to,
                message=_("%(requirement)s of %(who)s is valid through %(day)s (%(left)s).")
                % values,
                path=record_path(record),
                template="clearance_expiring",
                context={
                    "record": record,
                    "who": who,
                    "organization": record.organization,
                    "left": left,
                    "left_text": values["left"],
                },
                action="agreements.clearance.expiry_reminder",
            )
        )
    return reminders


def _agreement_reminders(
    network: Network, today: dt.date, recipients: _Recipients
) -> list[_Reminder]:
    agreements = expiring_agreements(network, today)
    sent = _already_sent(Agreement, [a.pk for a in agreements])
    reminders = []
    for agreement in agreements:
        version = agreement.signed_version
        assert version is not None  # expiring_agreements reads signed agreements only
        left = days_left(version.term_end, today)
        due = due_threshold(left, sent.get((agreement.pk, version.term_end), ()))
        if due is None:
            continue
        school_side = (
            recipients.coordinators.get(agreement.school_id, [])
            if agreement.school_id
            else recipients.network_admins
        )
        to = _unique(recipients.partner_admins.get(agreement.organization_id, []), school_side)
        if not to:
            continue
        values = {
            "title": agreement.title,
            "day": version.term_end.isoformat(),
            "left": _days_phrase(left),
        }
        reminders.append(
            _Reminder(
                target=agreement,
                expires_on=version.term_end,
                threshold=due[0],
                record_also=due[1],
                recipients=to,
                message=_("The MOU “%(title)s” ends on %(day)s (%(left)s).") % values,
                path=agreement_path(agreement),
                template="agreement_expiring",
                context={
                    "agreement": agreement,
                    "version": version,
                    "left": left,
                    "left_text": values["left"],
                },
                action="agreements.agreement.expiry_reminder",
            )
        )
    return reminders


def _destruction_reminders(
    network: Network, today: dt.date, recipients: _Recipients
) -> list[_Reminder]:
    agreements = destruction_due(network, today)
    sent = _already_sent(Agreement, [a.pk for a in agreements])
    reminders = []
    for agreement in agreements:
        version = agreement.signed_version
        assert version is not None
        due_on = destruction_day(agreement, network)
        if DESTRUCTION_THRESHOLD in sent.get((agreement.pk, due_on), ()):
            continue
        to = recipients.partner_admins.get(agreement.organization_id, [])
        if not to:
            continue
        terminated = due_on < version.data_sharing.retention_ends_on
        if terminated:
            message = _(
                "“%(title)s” was terminated on %(day)s: please destroy the data shared under it "
                "and certify that you did."
            )
        else:
            message = _(
                "The data shared under “%(title)s” was to be kept until %(day)s: "
                "please destroy it and certify that you did."
            )
        reminders.append(
            _Reminder(
                target=agreement,
                expires_on=due_on,
                threshold=DESTRUCTION_THRESHOLD,
                record_also=[],
                recipients=to,
                message=message % {"title": agreement.title, "day": due_on.isoformat()},
                path=agreement_path(agreement),
                template="destruction_due",
                context={
                    "agreement": agreement,
                    "data_sharing": version.data_sharing,
                    "terminated_on": due_on if terminated else None,
                },
                action="agreements.agreement.destruction_reminder",
            )
        )
    return reminders


def expiry_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Send the reminders due today on each network's clock; returns how many items were
    reminded (each to all its recipients). Safe to run twice, or on two workers at once."""
    now = now or timezone.now()
    reminded = 0
    for network in Network.objects.order_by("pk"):
        today = network.today(now)
        recipients = _Recipients.of(network)
        due = (
            _clearance_reminders(network, today, recipients)
            + _agreement_reminders(network, today, recipients)
            + _destruction_reminders(network, today, recipients)
        )
        for reminder in due:
            if _send(network, reminder, now):
                reminded += 1
    return reminded
