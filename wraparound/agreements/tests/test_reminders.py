"""Expiry reminders (e-mail + in-app) at 60, 30 and 7 days before a clearance or an MOU ends, and
the one-off request to certify shared data destroyed: once per item and threshold however often
the job runs, one message for a job that was down past several thresholds, days counted on the
network's clock (time zones, leap days), to the right people only."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from wraparound.agreements import reminders
from wraparound.agreements.clearance import days_left, valid_through
from wraparound.agreements.models import (
    AgreementStatus,
    DataDestruction,
    RecordStatus,
    RequirementKind,
    RequirementSubject,
)
from wraparound.agreements.tests.factories import (
    AgreementFactory,
    ClearanceRecordFactory,
    ClearanceRequirementFactory,
    StaffMemberFactory,
    signed_agreement,
)
from wraparound.assessments.tests.factories import PartnershipFactory, SchoolYearFactory
from wraparound.core.models import AuditEvent, Notification, ReminderSent
from wraparound.core.roles import Role
from wraparound.core.tests.factories import MembershipFactory, UserFactory
from wraparound.directory.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NEW_YORK = "America/New_York"


def at(day: dt.date, hour: int = 12, tz: str = NEW_YORK) -> dt.datetime:
    """A moment of that day on a network's clock."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(tz))


def run(capture: Any, now: dt.datetime) -> int:
    with capture(execute=True):
        return reminders.expiry_reminders_send(now=now)


def inbox(user: Any) -> list[Any]:
    return [m for m in mail.outbox if m.to == [user.email]]


def notes(user: Any) -> list[Notification]:
    return list(Notification.objects.filter(user=user).order_by("created_at", "pk"))


@pytest.fixture
def org_insurance(t1: Any) -> Any:
    """Org A's liability insurance (an organization requirement), cleared, ending 2027-06-30."""
    requirement = ClearanceRequirementFactory(
        network=t1.network,
        name="Liability insurance",
        kind=RequirementKind.LIABILITY_INSURANCE,
        applies_to=RequirementSubject.ORGANIZATION,
        validity_months=12,
    )
    return ClearanceRecordFactory(
        person=None,
        organization=t1.org_a,
        network=t1.network,
        requirement=requirement,
        issued_on=dt.date(2026, 7, 1),
        expires_on=dt.date(2027, 6, 30),
    )


END = dt.date(2027, 6, 30)


def test_running_twice_sends_one_email_and_one_notification_each(
    t1: Any, t2: Any, org_insurance: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin, partner = t1.users["network_admin"], t1.users["partner_admin"]
    now = at(END - dt.timedelta(days=45))
    assert run(django_capture_on_commit_callbacks, now) == 1
    assert run(django_capture_on_commit_callbacks, now) == 0
    assert run(django_capture_on_commit_callbacks, now + dt.timedelta(hours=3)) == 0
    for user in (admin, partner):
        assert len(inbox(user)) == 1
        assert len(notes(user)) == 1
    assert len(mail.outbox) == 2
    message = inbox(partner)[0]
    assert "Liability insurance" in message.subject
    assert "2027-06-30" in message.body and "45 days left" in message.body
    note = notes(partner)[0]
    assert "Liability insurance" in note.message and "45 days left" in note.message
    assert note.network_id == t1.network.pk and note.url.startswith("/")
    # Nobody else: not partner staff, not the other organization, not the other tenant.
    others = [u for name, u in t1.users.items() if name not in ("network_admin", "partner_admin")]
    assert not Notification.objects.filter(user__in=others + list(t2.users.values())).exists()
    assert set(
        ReminderSent.objects.filter(target_id=org_insurance.pk).values_list(
            "days_before", flat=True
        )
    ) == {60}
    assert AuditEvent.objects.filter(action="agreements.clearance.expiry_reminder").count() == 1


def test_each_threshold_fires_once(
    t1: Any, org_insurance: Any, django_capture_on_commit_callbacks: Any
) -> None:
    partner = t1.users["partner_admin"]
    sent_on = []
    for left in (61, 60, 59, 45, 31, 30, 29, 8, 7, 6, 1, 0):
        if run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=left))):
            sent_on.append(left)
    assert sent_on == [60, 30, 7]
    assert len(inbox(partner)) == 3
    assert [n.message.split("(")[1] for n in notes(partner)] == [
        "60 days left).",
        "30 days left).",
        "7 days left).",
    ]
    # After the last day, nothing more.
    assert run(django_capture_on_commit_callbacks, at(END + dt.timedelta(days=1))) == 0


def test_a_job_down_for_weeks_sends_one_message(
    t1: Any, org_insurance: Any, django_capture_on_commit_callbacks: Any
) -> None:
    partner = t1.users["partner_admin"]
    # The job did not run from 61 days before the end until 5 days before it.
    assert run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=5))) == 1
    assert len(inbox(partner)) == 1
    assert "5 days left" in inbox(partner)[0].body
    assert sorted(ReminderSent.objects.values_list("days_before", flat=True)) == [7, 30, 60]
    assert run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=4))) == 0
    assert len(inbox(partner)) == 1


def test_a_job_down_for_a_week_sends_the_next_threshold_only(
    t1: Any, org_insurance: Any, django_capture_on_commit_callbacks: Any
) -> None:
    partner = t1.users["partner_admin"]
    run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=60)))
    # Down from 33 to 26 days before: one message (the 30-day one), then nothing until 7.
    run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=33)))
    run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=26)))
    run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=25)))
    assert len(inbox(partner)) == 2


@pytest.mark.parametrize(
    ("tz", "expires_on", "left", "threshold"),
    [
        # 2027-03-01 03:00 UTC is still 28 February in New York, already 1 March in Berlin.
        (NEW_YORK, dt.date(2027, 4, 29), 60, 60),
        ("Europe/Berlin", dt.date(2027, 4, 29), 59, 60),
        (NEW_YORK, dt.date(2027, 4, 30), 61, None),
        ("Europe/Berlin", dt.date(2027, 4, 30), 60, 60),
        (NEW_YORK, dt.date(2027, 3, 31), 31, 60),
        ("Europe/Berlin", dt.date(2027, 3, 31), 30, 30),
        (NEW_YORK, dt.date(2027, 3, 7), 7, 7),
        ("Europe/Berlin", dt.date(2027, 3, 7), 6, 7),
        (NEW_YORK, dt.date(2027, 2, 28), 0, 7),
        ("Europe/Berlin", dt.date(2027, 2, 28), -1, None),
    ],
)
def test_days_are_counted_on_the_networks_clock(
    t1: Any,
    org_insurance: Any,
    django_capture_on_commit_callbacks: Any,
    tz: str,
    expires_on: dt.date,
    left: int,
    threshold: int | None,
) -> None:
    t1.network.time_zone = tz
    t1.network.save(update_fields=["time_zone"])
    org_insurance.expires_on = expires_on
    org_insurance.save(update_fields=["expires_on"])
    now = dt.datetime(2027, 3, 1, 3, 0, tzinfo=UTC)
    assert days_left(expires_on, t1.network.today(now)) == left
    sent = run(django_capture_on_commit_callbacks, now)
    assert sent == (0 if threshold is None else 1)
    fired = ReminderSent.objects.filter(target_id=org_insurance.pk).order_by("days_before")
    if threshold is None:
        assert not fired.exists()
    else:
        smallest = fired.first()
        assert smallest is not None and smallest.days_before == threshold
        assert smallest.expires_on == expires_on


def test_a_leap_day_record_expires_on_28_february_and_its_7_day_reminder_fires_on_the_21st(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    requirement = ClearanceRequirementFactory(
        network=t1.network, name="TB test", kind=RequirementKind.TB_TEST, validity_months=12
    )
    person = StaffMemberFactory(organization=t1.org_a, first_name="Leap", last_name="Day")
    expires_on = valid_through(dt.date(2028, 2, 29), requirement.validity_months)
    assert expires_on == dt.date(2029, 2, 28)
    record = ClearanceRecordFactory(
        person=person,
        requirement=requirement,
        issued_on=dt.date(2028, 2, 29),
        expires_on=expires_on,
    )
    partner = t1.users["partner_admin"]
    assert run(django_capture_on_commit_callbacks, at(dt.date(2029, 2, 20))) == 1  # 8 days: 30
    assert run(django_capture_on_commit_callbacks, at(dt.date(2029, 2, 20), 23)) == 0
    assert set(
        ReminderSent.objects.filter(target_id=record.pk).values_list("days_before", flat=True)
    ) == {60, 30}
    assert run(django_capture_on_commit_callbacks, at(dt.date(2029, 2, 21), 0)) == 1
    seven = ReminderSent.objects.get(target_id=record.pk, days_before=7)
    assert seven.expires_on == dt.date(2029, 2, 28)
    assert seven.sent_at.astimezone(ZoneInfo(NEW_YORK)).date() == dt.date(2029, 2, 21)
    assert "7 days left" in inbox(partner)[-1].body
    assert "Leap Day" in notes(partner)[-1].message


def test_a_person_record_goes_to_the_partner_admins_only(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ClearanceRecordFactory(
        person=StaffMemberFactory(organization=t1.org_a), issued_on=dt.date(2025, 7, 1),
        expires_on=END,
    )  # fmt: skip
    run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=20)))
    assert len(notes(t1.users["partner_admin"])) == 1
    assert not notes(t1.users["network_admin"])


def test_nothing_for_inactive_people_superseded_records_or_other_statuses(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    gone = StaffMemberFactory(organization=t1.org_a, is_active=False)
    ClearanceRecordFactory(person=gone, issued_on=dt.date(2025, 7, 1), expires_on=END)
    renewed = StaffMemberFactory(organization=t1.org_a)
    old = ClearanceRecordFactory(person=renewed, issued_on=dt.date(2025, 7, 1), expires_on=END)
    ClearanceRecordFactory(
        person=renewed,
        requirement=old.requirement,
        issued_on=dt.date(2027, 6, 1),
        expires_on=dt.date(2029, 6, 1),
    )
    pending = StaffMemberFactory(organization=t1.org_a)
    ClearanceRecordFactory(
        person=pending, status=RecordStatus.SUBMITTED, issued_on=dt.date(2025, 7, 1),
        expires_on=END,
    )  # fmt: skip
    inactive_requirement = ClearanceRequirementFactory(network=t1.network, is_active=False)
    ClearanceRecordFactory(
        person=StaffMemberFactory(organization=t1.org_a), requirement=inactive_requirement,
        issued_on=dt.date(2025, 7, 1), expires_on=END,
    )  # fmt: skip
    assert run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=10))) == 0
    assert not mail.outbox and not Notification.objects.exists()


def test_a_renewal_cleared_later_but_submitted_before_still_supersedes(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person = StaffMemberFactory(organization=t1.org_a)
    first = ClearanceRecordFactory(person=person, issued_on=dt.date(2025, 7, 1), expires_on=END)
    ClearanceRecordFactory(
        person=person, requirement=first.requirement, issued_on=dt.date(2027, 5, 1),
        expires_on=None,
    )  # fmt: skip
    assert run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=10))) == 0


def _agreement(t1: Any, *, school: Any = "first", term_end: dt.date = END) -> Any:
    service = ServiceFactory(organization=t1.org_a)
    partnership = PartnershipFactory(
        school=t1.schools[0] if school == "first" else None,
        network=t1.network,
        service=service,
        organization=t1.org_a,
        school_year=SchoolYearFactory(network=t1.network),
    )
    agreement = signed_agreement(partnership=partnership, title="Tutoring MOU")
    version: Any = agreement.signed_version
    version.term_start = min(version.term_start, term_end)
    version.term_end = term_end
    version.save(update_fields=["term_start", "term_end"])
    return agreement


def test_an_mou_is_reminded_to_the_partner_and_the_schools_coordinators(
    t1: Any, t2: Any, django_capture_on_commit_callbacks: Any
) -> None:
    agreement = _agreement(t1)
    other_coordinator = UserFactory()
    MembershipFactory(
        user=other_coordinator, role=Role.SCHOOL_COORDINATOR, network=t1.network,
        school=t1.schools[2],
    )  # fmt: skip
    assert run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=30))) == 1
    assert run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=30))) == 0
    received = set(Notification.objects.values_list("user__username", flat=True))
    assert received == {t1.users["partner_admin"].username, t1.users["coordinator"].username}
    assert len(mail.outbox) == 2
    body = inbox(t1.users["coordinator"])[0].body
    assert "Tutoring MOU" in body and "2027-06-30" in body and t1.schools[0].name in body
    row = ReminderSent.objects.get(target_id=agreement.pk, days_before=30)
    assert row.expires_on == END


def test_a_network_wide_mou_is_reminded_to_the_network_admins(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _agreement(t1, school=None)
    run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=7)))
    received = set(Notification.objects.values_list("user__username", flat=True))
    assert received == {t1.users["partner_admin"].username, t1.users["network_admin"].username}


def test_an_mou_renewed_and_in_force_or_not_in_force_is_not_reminded(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    renewed = _agreement(t1)
    AgreementFactory(
        partnership=renewed.partnership, renewed_from=renewed, status=AgreementStatus.ACTIVE
    )
    ended = _agreement(t1)
    ended.status = AgreementStatus.TERMINATED
    ended.save(update_fields=["status"])
    # (Its data already destroyed: a terminated agreement is otherwise asked to certify that.)
    DataDestruction.objects.create(
        agreement=ended,
        destroyed_on=dt.date(2027, 6, 1),
        method="secure_deletion",
        certified_by=t1.users["partner_admin"],
        certifier_name="Pat Partner",
    )
    assert run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=20))) == 0
    # A renewal still being drafted does not stop the reminders.
    draft_renewal = _agreement(t1)
    AgreementFactory(partnership=draft_renewal.partnership, renewed_from=draft_renewal)
    assert run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=20))) == 1


def test_an_amended_end_date_is_reminded_again(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    agreement = _agreement(t1)
    assert run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=7))) == 1
    version = agreement.signed_version
    version.term_end = END + dt.timedelta(days=30)
    version.save(update_fields=["term_end"])
    assert run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=6))) == 1
    assert ReminderSent.objects.filter(target_id=agreement.pk).count() == 4  # 60+30+7, then 60


def test_retention_ended_asks_the_partner_admins_once_to_certify_destruction(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    agreement = _agreement(t1, term_end=dt.date(2026, 6, 30))
    agreement.status = AgreementStatus.EXPIRED
    agreement.save(update_fields=["status"])
    sharing = agreement.signed_version.data_sharing
    sharing.retention_ends_on = dt.date(2026, 12, 31)
    sharing.save(update_fields=["retention_ends_on"])
    assert run(django_capture_on_commit_callbacks, at(dt.date(2026, 12, 31))) == 0
    assert run(django_capture_on_commit_callbacks, at(dt.date(2027, 1, 1))) == 1
    assert run(django_capture_on_commit_callbacks, at(dt.date(2027, 1, 2))) == 0
    partner = t1.users["partner_admin"]
    assert [n.user for n in Notification.objects.all()] == [partner]
    assert "destroy" in inbox(partner)[0].body
    assert ReminderSent.objects.get(target_id=agreement.pk).days_before == 0
    assert AuditEvent.objects.filter(action="agreements.agreement.destruction_reminder").exists()


def test_a_terminated_agreement_asks_once_for_destruction_before_its_retention_ends(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    agreement = _agreement(t1)
    sharing = agreement.signed_version.data_sharing
    sharing.retention_ends_on = dt.date(2027, 12, 31)
    sharing.save(update_fields=["retention_ends_on"])
    agreement.status = AgreementStatus.TERMINATED
    agreement.status_changed_at = at(dt.date(2026, 11, 2))
    agreement.save(update_fields=["status", "status_changed_at"])
    assert run(django_capture_on_commit_callbacks, at(dt.date(2026, 11, 3))) == 1
    partner = t1.users["partner_admin"]
    body = inbox(partner)[0].body
    assert "terminated on 2026-11-02" in body and "destroy" in body
    assert "terminated on 2026-11-02" in notes(partner)[0].message
    assert ReminderSent.objects.get(target_id=agreement.pk).expires_on == dt.date(2026, 11, 2)
    # Not again: the next day, nor once the retention end has passed too.
    assert run(django_capture_on_commit_callbacks, at(dt.date(2026, 11, 4))) == 0
    assert run(django_capture_on_commit_callbacks, at(dt.date(2028, 1, 2))) == 0
    assert len(inbox(partner)) == 1


def test_an_agreement_terminated_after_its_retention_ended_is_not_asked_twice(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    agreement = _agreement(t1, term_end=dt.date(2026, 6, 30))
    sharing = agreement.signed_version.data_sharing
    sharing.retention_ends_on = dt.date(2026, 9, 30)
    sharing.save(update_fields=["retention_ends_on"])
    assert run(django_capture_on_commit_callbacks, at(dt.date(2026, 10, 1))) == 1
    agreement.status = AgreementStatus.TERMINATED
    agreement.status_changed_at = at(dt.date(2026, 10, 5))
    agreement.save(update_fields=["status", "status_changed_at"])
    assert run(django_capture_on_commit_callbacks, at(dt.date(2026, 10, 6))) == 0
    assert "was to be kept until 2026-09-30" in notes(t1.users["partner_admin"])[0].message


def test_no_destruction_request_once_certified(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    agreement = _agreement(t1, term_end=dt.date(2026, 6, 30))
    sharing = agreement.signed_version.data_sharing
    sharing.retention_ends_on = dt.date(2026, 12, 31)
    sharing.save(update_fields=["retention_ends_on"])
    DataDestruction.objects.create(
        agreement=agreement,
        destroyed_on=dt.date(2026, 12, 20),
        method="secure_deletion",
        certified_by=t1.users["partner_admin"],
        certifier_name="Pat Partner",
    )
    assert run(django_capture_on_commit_callbacks, at(dt.date(2027, 1, 5))) == 0


def test_without_recipients_nothing_is_claimed(
    t1: Any, org_insurance: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Org B has no partner admin: its person's record has nobody to remind.
    ClearanceRecordFactory(
        person=StaffMemberFactory(organization=t1.org_b), issued_on=dt.date(2025, 7, 1),
        expires_on=END,
    )  # fmt: skip
    run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=3)))
    assert ReminderSent.objects.count() == 3  # org A's insurance only
    assert ReminderSent.objects.filter(target_id=org_insurance.pk).count() == 3


def test_a_reminder_claimed_elsewhere_is_not_sent(
    t1: Any, org_insurance: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """As a second worker would find it: the row is there, nothing goes out."""
    from django.contrib.contenttypes.models import ContentType

    ReminderSent.objects.create(
        target_type=ContentType.objects.get_for_model(org_insurance),
        target_id=org_insurance.pk,
        expires_on=END,
        days_before=60,
    )
    assert run(django_capture_on_commit_callbacks, at(END - dt.timedelta(days=50))) == 0
    assert not mail.outbox
