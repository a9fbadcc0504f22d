"""`referral_update_draft`: a draft's service, reason, urgency and elements change under the same
optimistic locking as the moves, for the referrer's side only, and a refused send undoes it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.core.models import AuditEvent
from wraparound.directory.tests.factories import ServiceFactory
from wraparound.referrals import referral_services as services
from wraparound.referrals.models import Referral, ReferralEvent, ReferralStatus
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students.tests.world import student_world
from wraparound.students.visibility import SharingRefused

pytestmark = pytest.mark.django_db

S = ReferralStatus


def _draft(w: Any, status: str = S.DRAFT) -> Referral:
    kw: dict[str, Any] = {"sent_at": None} if status == S.DRAFT else {}
    referral: Any = ReferralFactory(
        student=w.own,
        service=w.service_a,
        partnership=w.partnership_a,
        referred_by=w.users["coordinator"],
        status=status,
        reason="Reading support",
        shared_elements=["name", "grade"],
        **kw,
    )
    return referral


def _update(w: Any, referral: Referral, persona: str = "staff", **kw: Any) -> Referral:
    kw.setdefault("expected_version", 1)
    kw.setdefault("service", w.service_b)
    kw.setdefault("reason", "  Would like a mentor  ")
    kw.setdefault("urgent", True)
    kw.setdefault("shared_elements", ["grade", "name", "grade"])
    return services.referral_update_draft(user=w.users[persona], referral=referral, **kw)


def _unchanged(referral: Referral, status: str = S.DRAFT) -> None:
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.status, stored.version, stored.reason, stored.urgent) == (
        status,
        1,
        "Reading support",
        False,
    )
    assert (stored.service_id, stored.shared_elements) == (referral.service_id, ["name", "grade"])
    assert not AuditEvent.objects.filter(action="referrals.referral.update").exists()


def test_an_edit_changes_the_draft_bumps_the_version_and_audits(t1: Any) -> None:
    w = student_world(t1)
    draft = _draft(w)
    student = draft.student

    result = _update(w, draft)

    stored = Referral.objects.get(pk=draft.pk)
    assert (stored.status, stored.version) == (S.DRAFT, 2)
    assert (stored.service, stored.organization) == (w.service_b, t1.org_b)
    # The partnership follows the organization: org B has none with the school.
    assert stored.partnership is None
    assert (stored.reason, stored.urgent) == ("Would like a mentor", True)
    assert stored.shared_elements == ["grade", "name"]
    assert stored.student == student and stored.guardian is None
    assert result.version == 2 and result.service == w.service_b
    audit = AuditEvent.objects.get(action="referrals.referral.update")
    assert audit.actor == w.users["staff"]
    assert audit.data["changed"] == ["reason", "service", "urgent"]
    assert audit.data["version"] == 2
    # The reason is the student's; the audit log names the change, not its content.
    assert "mentor" not in str(audit.data)
    # Not a move of the state machine: the timeline is untouched.
    assert not ReferralEvent.objects.filter(referral=draft).exists()


def test_an_edit_keeps_the_partnership_when_the_organization_stays(t1: Any) -> None:
    w = student_world(t1)
    draft = _draft(w)
    other_a = ServiceFactory(organization=t1.org_a, name="Reading Buddies")
    _update(w, draft, service=other_a)
    stored = Referral.objects.get(pk=draft.pk)
    assert (stored.service, stored.partnership) == (other_a, w.partnership_a)


def test_edit_and_send_applies_the_sharing_gate_on_the_new_elements(t1: Any) -> None:
    w = student_world(t1)
    draft = _draft(w)
    result = _update(
        w, draft, service=w.service_a, shared_elements=["name", "notes"], urgent=False, send=True
    )
    stored = Referral.objects.get(pk=draft.pk)
    assert (stored.status, stored.version, result.version) == (S.SENT, 3, 3)
    assert stored.basis == "school_official" and stored.shared_elements == ["name", "notes"]
    assert stored.sent_at is not None and stored.response_due_on is not None
    assert [e.to_status for e in stored.events.all()] == [S.SENT]


def test_a_refused_send_leaves_the_draft_as_it_was(t1: Any) -> None:
    w = student_world(t1)
    draft = _draft(w)
    # Org B has no agreement and `own` no consent to it: sharing the grade is refused.
    with pytest.raises(SharingRefused):
        _update(w, draft, service=w.service_b, shared_elements=["grade"], send=True)
    _unchanged(draft)
    assert not ReferralEvent.objects.filter(referral=draft).exists()


@pytest.mark.parametrize("status", [S.SENT, S.WITHDRAWN])
def test_only_a_draft_can_be_edited(t1: Any, status: str) -> None:
    w = student_world(t1)
    referral = _draft(w, status)
    with pytest.raises(ValidationError, match="Only a draft can be edited") as info:
        _update(w, referral)
    assert info.value.code == "not_draft"
    _unchanged(referral, status)


@pytest.mark.parametrize(
    "persona",
    [
        "principal",
        "network_supervisor",
        "evaluator",
        "partner_staff_a",
        "partner_admin",
        "outsider",
    ],
)
def test_only_the_referrers_side_edits(t1: Any, persona: str) -> None:
    w = student_world(t1)
    draft = _draft(w)
    with pytest.raises(PermissionDenied):
        _update(w, draft, persona)
    _unchanged(draft)


def test_the_other_networks_referrer_cannot_edit(t1: Any, t2: Any) -> None:
    w = student_world(t1, t2)
    draft = _draft(w)
    with pytest.raises(PermissionDenied):
        services.referral_update_draft(
            user=t2.users["network_admin"],
            referral=draft,
            expected_version=1,
            service=w.service_a,
            reason="x",
        )
    _unchanged(draft)


def test_a_stale_version_is_a_conflict_and_the_first_edit_stays(t1: Any) -> None:
    w = student_world(t1)
    draft = _draft(w)
    stale = Referral.objects.get(pk=draft.pk)
    _update(w, draft, persona="coordinator", reason="First edit")
    with pytest.raises(services.ReferralConflict, match="Someone else changed this referral"):
        _update(w, stale, persona="staff", reason="Second edit", expected_version=1)
    stored = Referral.objects.get(pk=draft.pk)
    assert (stored.reason, stored.version) == ("First edit", 2)
    assert AuditEvent.objects.filter(action="referrals.referral.update").count() == 1


def test_a_draft_sent_meanwhile_is_a_conflict_for_the_edit(t1: Any) -> None:
    w = student_world(t1)
    draft = _draft(w)
    stale = Referral.objects.get(pk=draft.pk)
    services.referral_send(user=w.users["coordinator"], referral=draft, expected_version=1)
    with pytest.raises(services.ReferralConflict):
        _update(w, stale, expected_version=1)
    assert Referral.objects.get(pk=draft.pk).reason == "Reading support"


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("reason", {"reason": "   "}),
        ("shared_elements", {"shared_elements": ["name", "shoe_size"]}),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    t1: Any, field: str, kwargs: dict[str, Any]
) -> None:
    w = student_world(t1)
    draft = _draft(w)
    with pytest.raises(ValidationError) as info:
        _update(w, draft, **kwargs)
    assert field in info.value.message_dict
    _unchanged(draft)


def test_a_service_of_another_network_is_refused(t1: Any, t2: Any) -> None:
    w = student_world(t1)
    draft = _draft(w)
    with pytest.raises(ValidationError) as info:
        _update(w, draft, service=ServiceFactory(organization=t2.org_a))
    assert "service" in info.value.message_dict
    _unchanged(draft)
