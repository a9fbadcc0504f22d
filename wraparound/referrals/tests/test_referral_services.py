"""The referral state machine: every pair of statuses, both sides, sharing at send, optimistic
locking, events, audit and notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.core.models import AuditEvent, Network, NetworkHoliday, Notification
from wraparound.core.tests.factories import NetworkFactory
from wraparound.directory.tests.factories import ServiceFactory
from wraparound.referrals import referral_services as services
from wraparound.referrals.models import Referral, ReferralEvent, ReferralStatus
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students.models import ConsentStatus
from wraparound.students.tests.factories import (
    ConsentFactory,
    StudentFactory,
    StudentGuardianFactory,
)
from wraparound.students.tests.world import student_world
from wraparound.students.visibility import SharingRefused

pytestmark = pytest.mark.django_db

S = ReferralStatus
ALL = list(S.values)


def _referral(w: Any, status: str, **kw: Any) -> Referral:
    if status == S.DRAFT:
        kw.setdefault("sent_at", None)
    referral: Any = ReferralFactory(
        student=w.own,
        service=w.service_a,
        referred_by=w.users["coordinator"],
        status=status,
        shared_elements=["name", "grade"],
        **kw,
    )
    return referral


def _reason_for(to: str) -> str:
    if to in (S.CLOSED, S.WITHDRAWN):
        return "family_declined"
    if to == S.DECLINED:
        return "No places left this term."
    return ""


# --- the table ------------------------------------------------------------------------------------


def test_table_is_the_brief() -> None:
    partner = {k for k, side in services.TRANSITIONS.items() if side == "partner"}
    referrer = {k for k, side in services.TRANSITIONS.items() if side == "referrer"}
    assert referrer == {(S.DRAFT, S.SENT)} | {
        (s, S.WITHDRAWN) for s in (S.DRAFT, S.SENT, S.ACCEPTED, S.WAITLISTED, S.IN_SERVICE)
    }
    assert partner == {
        (S.SENT, S.ACCEPTED),
        (S.SENT, S.DECLINED),
        (S.SENT, S.WAITLISTED),
        (S.WAITLISTED, S.ACCEPTED),
        (S.WAITLISTED, S.DECLINED),
        (S.WAITLISTED, S.IN_SERVICE),
        (S.ACCEPTED, S.IN_SERVICE),
        (S.ACCEPTED, S.CLOSED),
        (S.IN_SERVICE, S.COMPLETED),
        (S.IN_SERVICE, S.CLOSED),
    }


@pytest.mark.parametrize("frm", ALL)
def test_every_pair_from_a_status_is_allowed_to_its_side_only_or_refused(t1: Any, frm: str) -> None:
    """Each of the 9 × 9 (from, to) pairs: a move in the table applies for its side and is a
    PermissionDenied for the other; any other pair is refused (not a conflict) for both."""
    w = student_world(t1)
    sides = {"referrer": w.users["coordinator"], "partner": w.users["partner_staff_a"]}
    for to in ALL:
        referral = _referral(w, frm)
        side = services.TRANSITIONS.get((frm, to))
        if side is None:
            for user in sides.values():
                with pytest.raises(ValidationError) as caught:
                    services.referral_transition(
                        user=user,
                        referral=referral,
                        to=to,
                        expected_version=1,
                        reason=_reason_for(to),
                    )
                assert not isinstance(caught.value, services.ReferralConflict), (frm, to)
            referral.refresh_from_db()
            assert (referral.status, referral.version) == (frm, 1), (frm, to)
            assert not referral.events.exists()
            continue
        wrong = sides["partner" if side == "referrer" else "referrer"]
        with pytest.raises(PermissionDenied):
            services.referral_transition(
                user=wrong, referral=referral, to=to, expected_version=1, reason=_reason_for(to)
            )
        referral.refresh_from_db()
        assert (referral.status, referral.version) == (frm, 1), (frm, to)
        actor = sides[side]
        result = services.referral_transition(
            user=actor,
            referral=referral,
            to=to,
            expected_version=1,
            reason=_reason_for(to),
            note="n",
        )
        referral.refresh_from_db()
        assert (result.status, referral.status, referral.version) == (to, to, 2), (frm, to)
        event = referral.events.get()
        assert (event.from_status, event.to_status, event.actor) == (frm, to, actor)
        assert AuditEvent.objects.filter(
            action=f"referrals.referral.{to}", target_id=str(referral.pk)
        ).exists()


@pytest.mark.parametrize(
    "persona", ["principal", "evaluator", "partner_staff_b", "coalition_member", "outsider"]
)
def test_users_without_a_side_are_refused(t1: Any, persona: str) -> None:
    w = student_world(t1)
    referral = _referral(w, S.SENT)
    with pytest.raises(PermissionDenied):
        services.referral_accept(user=w.users[persona], referral=referral, expected_version=1)
    with pytest.raises(PermissionDenied):
        services.referral_withdraw(
            user=w.users[persona], referral=referral, expected_version=1, reason="moved"
        )


def test_allowed_targets_lists_the_users_moves(t1: Any) -> None:
    w = student_world(t1)
    referral = _referral(w, S.SENT)
    assert services.allowed_targets(w.users["coordinator"], referral) == [S.WITHDRAWN]
    assert services.allowed_targets(w.users["partner_staff_a"], referral) == [
        S.ACCEPTED,
        S.DECLINED,
        S.WAITLISTED,
    ]
    assert services.allowed_targets(w.users["partner_staff_b"], referral) == []


# --- reasons --------------------------------------------------------------------------------------


def test_decline_needs_a_reason_and_keeps_it(t1: Any) -> None:
    w = student_world(t1)
    referral = _referral(w, S.SENT)
    staff = w.users["partner_staff_a"]
    with pytest.raises(ValidationError, match="why"):
        services.referral_decline(user=staff, referral=referral, expected_version=1, reason=" ")
    services.referral_decline(user=staff, referral=referral, expected_version=1, reason="Full")
    referral.refresh_from_db()
    assert (referral.decline_reason, referral.status) == ("Full", S.DECLINED)
    assert referral.responded_at is not None and referral.closed_at is not None


@pytest.mark.parametrize("bad", ["", "bored", "x" * 40])
def test_close_and_withdraw_need_a_close_reason(t1: Any, bad: str) -> None:
    w = student_world(t1)
    referral = _referral(w, S.ACCEPTED)
    with pytest.raises(ValidationError) as caught:
        services.referral_close(
            user=w.users["partner_staff_a"], referral=referral, expected_version=1, reason=bad
        )
    assert "reason" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.referral_withdraw(
            user=w.users["coordinator"], referral=referral, expected_version=1, reason=bad
        )
    referral.refresh_from_db()
    assert referral.version == 1


def test_close_records_the_reason_code_on_the_referral_and_the_event(t1: Any) -> None:
    w = student_world(t1)
    referral = _referral(w, S.IN_SERVICE)
    services.referral_close(
        user=w.users["partner_staff_a"],
        referral=referral,
        expected_version=1,
        reason="unable_to_contact",
        note="Three calls, no answer.",
    )
    referral.refresh_from_db()
    assert (referral.close_reason, referral.status_note) == (
        "unable_to_contact",
        "Three calls, no answer.",
    )
    event = referral.events.get()
    assert (event.reason, event.note) == ("unable_to_contact", "Three calls, no answer.")


# --- optimistic locking ---------------------------------------------------------------------------


def test_a_stale_version_is_a_conflict_and_changes_nothing(t1: Any) -> None:
    w = student_world(t1)
    referral = _referral(w, S.SENT)
    staff = w.users["partner_staff_a"]
    stale = Referral.objects.get(pk=referral.pk)
    services.referral_accept(user=staff, referral=referral, expected_version=1)
    with pytest.raises(services.ReferralConflict, match="Someone else changed this referral"):
        services.referral_waitlist(user=staff, referral=stale, expected_version=1)
    referral.refresh_from_db()
    assert (referral.status, referral.version) == (S.ACCEPTED, 2)
    assert referral.events.count() == 1


def test_each_change_bumps_the_version_once(t1: Any) -> None:
    w = student_world(t1)
    referral = _referral(w, S.SENT)
    staff = w.users["partner_staff_a"]
    services.referral_waitlist(user=staff, referral=referral, expected_version=1)
    services.referral_accept(user=staff, referral=referral, expected_version=2)
    services.referral_start(user=staff, referral=referral, expected_version=3)
    services.referral_complete(user=staff, referral=referral, expected_version=4)
    referral.refresh_from_db()
    assert (referral.status, referral.version) == (S.COMPLETED, 5)
    assert [e.to_status for e in referral.events.all()] == [
        S.WAITLISTED,
        S.ACCEPTED,
        S.IN_SERVICE,
        S.COMPLETED,
    ]
    assert referral.service_started_at is not None and referral.closed_at is not None


# --- create and send ------------------------------------------------------------------------------


def test_create_a_draft_links_the_partnership_and_audits(t1: Any) -> None:
    w = student_world(t1)
    referral = services.referral_create(
        user=w.users["staff"],
        school=t1.schools[0],
        student=w.own,
        service=w.service_a,
        reason="Reading support",
        urgent=True,
        shared_elements=["name", "grade"],
        send=False,
    )
    assert (referral.status, referral.version, referral.partnership) == (
        S.DRAFT,
        1,
        w.partnership_a,
    )
    assert referral.organization == t1.org_a and referral.urgent
    assert referral.events.get().to_status == S.DRAFT
    assert AuditEvent.objects.filter(action="referrals.referral.create").exists()


def test_create_and_send_fixes_the_ground_and_the_business_day_deadline(
    t1: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    w = student_world(t1)
    friday = dt.date(2026, 12, 4)
    monkeypatch.setattr(Network, "today", lambda self, now=None: friday)
    with django_capture_on_commit_callbacks(execute=True):
        referral = services.referral_create(
            user=w.users["coordinator"],
            school=t1.schools[0],
            student=w.own,
            service=w.service_a,
            reason="Reading support",
            shared_elements=["name", "grade", "school", "notes"],
            send=True,
        )
    referral.refresh_from_db()
    assert referral.status == S.SENT and referral.version == 2
    assert referral.basis == "school_official"
    assert referral.data_sharing == w.agreement_a.signed_version.data_sharing
    assert referral.consent is None
    assert referral.sent_at is not None
    assert referral.response_due_on == dt.date(2026, 12, 9)  # 3 business days after a Friday
    assert referral.shared_elements == ["grade", "name", "notes", "school"]
    notified = Notification.objects.filter(url=f"/referrals/{referral.pk}/")
    assert {n.user for n in notified} == {w.users["partner_staff_a"]}
    assert w.own.given_name not in notified.get().message


def test_the_deadline_skips_the_networks_holidays(
    t1: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    w = student_world(t1)
    friday = dt.date(2026, 12, 4)
    monkeypatch.setattr(Network, "today", lambda self, now=None: friday)
    NetworkHoliday.objects.create(network=t1.network, date=dt.date(2026, 12, 7), name="Closed")
    NetworkHoliday.objects.create(
        network=NetworkFactory(), date=dt.date(2026, 12, 8), name="Not ours"
    )
    with django_capture_on_commit_callbacks(execute=True):
        referral = services.referral_create(
            user=w.users["coordinator"],
            school=t1.schools[0],
            student=w.own,
            service=w.service_a,
            reason="Reading support",
            shared_elements=["name", "grade", "school"],
            send=True,
        )
    referral.refresh_from_db()
    # Tue 8, Wed 9, Thu 10: Monday the 7th is the network's holiday, the 8th another's.
    assert referral.response_due_on == dt.date(2026, 12, 10)


def test_a_refused_share_sends_nothing_and_writes_nothing(t1: Any) -> None:
    w = student_world(t1)
    before = Referral.objects.count()
    with pytest.raises(SharingRefused, match="date of birth"):
        services.referral_create(
            user=w.users["coordinator"],
            school=t1.schools[0],
            student=w.own,
            service=w.service_a,
            reason="Reading support",
            shared_elements=["name", "date_of_birth"],
            send=True,
        )
    assert Referral.objects.count() == before
    draft = _referral(w, S.DRAFT)
    with pytest.raises(SharingRefused):
        services.referral_send(
            user=w.users["coordinator"],
            referral=draft,
            expected_version=1,
            shared_elements=["contact"],
        )
    draft.refresh_from_db()
    assert (draft.status, draft.version, draft.sent_at) == (S.DRAFT, 1, None)
    assert not ReferralEvent.objects.filter(referral=draft).exists()


def test_send_on_consent_records_the_consent(t1: Any) -> None:
    w = student_world(t1)
    draft: Any = ReferralFactory(
        student=w.consented,
        service=w.service_b,
        referred_by=w.users["coordinator"],
        status=S.DRAFT,
        shared_elements=["name", "contact"],
    )
    services.referral_send(user=w.users["coordinator"], referral=draft, expected_version=1)
    draft.refresh_from_db()
    assert (draft.basis, draft.consent, draft.data_sharing) == ("consent", w.consent_b, None)


def test_sharing_nothing_needs_no_ground(t1: Any) -> None:
    w = student_world(t1)
    draft = _referral(w, S.DRAFT, school=t1.schools[0])
    draft.service = w.service_b
    draft.organization = t1.org_b
    draft.save()
    services.referral_send(
        user=w.users["coordinator"], referral=draft, expected_version=1, shared_elements=[]
    )
    draft.refresh_from_db()
    assert (draft.status, draft.basis, draft.shared_elements) == (S.SENT, "", [])


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("student", {"student": "other_school"}),
        ("student", {"student": None}),
        ("reason", {"reason": "  "}),
        ("shared_elements", {"shared_elements": ["name", "shoe_size"]}),
    ],
)
def test_create_refuses_bad_input(t1: Any, field: str, kwargs: dict[str, Any]) -> None:
    w = student_world(t1)
    args: dict[str, Any] = {
        "user": w.users["coordinator"],
        "school": t1.schools[0],
        "student": w.own,
        "service": w.service_a,
        "reason": "Reading",
        "shared_elements": ["name"],
    }
    args.update(kwargs)
    if args["student"] == "other_school":
        args["student"] = w.other_school
    with pytest.raises(ValidationError) as caught:
        services.referral_create(**args)
    assert field in caught.value.message_dict
    assert not Referral.objects.filter(reason="Reading").exists()


def test_create_refuses_a_service_of_another_network(t1: Any, t2: Any) -> None:
    w = student_world(t1)
    far: Any = ServiceFactory(organization=t2.org_a)
    with pytest.raises(ValidationError) as caught:
        services.referral_create(
            user=w.users["coordinator"],
            school=t1.schools[0],
            student=w.own,
            service=far,
            reason="Reading",
            shared_elements=[],
        )
    assert "service" in caught.value.message_dict


@pytest.mark.parametrize(
    "persona", ["principal", "partner_staff_a", "partner_admin", "evaluator", "outsider"]
)
def test_create_is_for_the_referrers_side(t1: Any, persona: str) -> None:
    w = student_world(t1)
    with pytest.raises(PermissionDenied):
        services.referral_create(
            user=w.users[persona],
            school=t1.schools[0],
            student=w.own,
            service=w.service_a,
            reason="Reading",
            shared_elements=[],
        )


# --- family referrals -----------------------------------------------------------------------------


def _family(w: Any, t1: Any) -> Any:
    link = StudentGuardianFactory(student=StudentFactory(school=t1.schools[0]))
    return link


def test_a_family_referral_shares_contact_only_under_a_consent(t1: Any) -> None:
    w = student_world(t1)
    link = _family(w, t1)
    coordinator = w.users["coordinator"]
    args: dict[str, Any] = {
        "user": coordinator,
        "school": t1.schools[0],
        "student": None,
        "guardian": link.guardian,
        "service": w.service_b,
        "reason": "Housing help",
    }
    with pytest.raises(SharingRefused, match="consent"):
        services.referral_create(**args, shared_elements=["contact"], send=True)
    with pytest.raises(ValidationError) as caught:
        services.referral_create(**args, shared_elements=["name", "contact"], send=True)
    assert "shared_elements" in caught.value.message_dict
    nothing = services.referral_create(**args, shared_elements=[], send=True)
    assert (nothing.status, nothing.basis) == (S.SENT, "")
    consent = ConsentFactory(
        student=link.student, recipient_organization=t1.org_b, data_elements=["contact"]
    )
    sent = services.referral_create(**args, shared_elements=["contact"], send=True)
    assert (sent.status, sent.basis, sent.consent) == (S.SENT, "consent", consent)
    consent.status = ConsentStatus.REVOKED
    consent.save()
    with pytest.raises(SharingRefused):
        services.referral_create(**args, shared_elements=["contact"], send=True)


def test_a_guardian_of_another_school_cannot_be_referred(t1: Any) -> None:
    w = student_world(t1)
    link: Any = StudentGuardianFactory(student=StudentFactory(school=t1.schools[3]))
    with pytest.raises(ValidationError) as caught:
        services.referral_create(
            user=w.users["coordinator"],
            school=t1.schools[0],
            student=None,
            guardian=link.guardian,
            service=w.service_b,
            reason="Housing help",
            shared_elements=[],
        )
    assert "guardian" in caught.value.message_dict


# --- notifications --------------------------------------------------------------------------------


def test_the_referrer_hears_each_partner_response(
    t1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    w = student_world(t1)
    referral = _referral(w, S.SENT)
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_waitlist(
            user=w.users["partner_staff_a"], referral=referral, expected_version=1
        )
    note = Notification.objects.get(user=w.users["coordinator"])
    assert "waitlisted" in note.message and note.url == f"/referrals/{referral.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_withdraw(
            user=w.users["coordinator"], referral=referral, expected_version=2, reason="moved"
        )
    # The referrer's own withdrawal tells nobody on the school's side.
    assert Notification.objects.filter(user=w.users["coordinator"]).count() == 1
