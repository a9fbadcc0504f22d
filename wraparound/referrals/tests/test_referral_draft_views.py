"""The draft's edit page: who opens it, the pre-filled form, save and send, what a refused or
stale post keeps, the duplicate warning, the link on the referral page, its query count."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.tests.factories import ServiceFactory
from wraparound.referrals.models import Referral, ReferralStatus
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students.tests.factories import StudentFactory
from wraparound.students.tests.world import student_world

pytestmark = pytest.mark.django_db

S = ReferralStatus

# GET and a valid POST of school 0's draft: the referrers 200 / 302; the school's other readers
# 403; partners (who never see a draft), evaluators and outsiders 404.
REFERRERS = ("network_admin", "coordinator", "staff", "supervisor")
READERS_NOT_REFERRING = ("network_supervisor", "principal")
EDIT_GET = {p: 404 for p in PERSONAS} | dict.fromkeys(REFERRERS, 200)
EDIT_GET |= dict.fromkeys(READERS_NOT_REFERRING, 403)
EDIT_POST = {p: (302 if code == 200 else code) for p, code in EDIT_GET.items()}


def _world(t1: Any, t2: Any = None) -> Any:
    w: Any = student_world(t1, t2)
    # A draft of `own` to org A, with nothing else open to org B (so no duplicate there).
    w.draft = ReferralFactory(
        student=w.own,
        service=w.service_a,
        partnership=w.partnership_a,
        referred_by=w.users["coordinator"],
        status=S.DRAFT,
        sent_at=None,
        reason="Reading support",
        shared_elements=["name", "grade"],
    )
    return w


def _url(referral: Any) -> str:
    return reverse("referral_edit", args=[referral.pk])


def _data(w: Any, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "expected_version": 1,
        "service": w.service_a.pk,
        "reason": "Reading support, twice a week",
        "urgent": "on",
        "shared_elements": ["name", "notes"],
        "action": "draft",
    }
    data.update(extra)
    return data


def _checked(page: str, name: str, value: str = "") -> bool:
    value_attr = f' value="{value}"' if value else ""
    return bool(re.search(rf'<input[^>]* name="{name}"{value_attr}[^>]* checked', page))


def _stored(referral: Any) -> Referral:
    return Referral.objects.get(pk=referral.pk)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_opens_and_saves_the_draft(t1: Any, as_user: Any, persona: str) -> None:
    w = _world(t1)
    client = as_user(w.users[persona])
    assert client.get(_url(w.draft)).status_code == EDIT_GET[persona]
    response = client.post(_url(w.draft), _data(w))
    assert response.status_code == EDIT_POST[persona]
    stored = _stored(w.draft)
    if EDIT_POST[persona] == 302:
        assert (stored.version, stored.reason) == (2, "Reading support, twice a week")
    else:
        assert (stored.version, stored.reason) == (1, "Reading support")


@pytest.mark.parametrize("persona", ["network_admin", "coordinator", "partner_staff_a"])
def test_the_other_network_gets_a_404(t1: Any, t2: Any, as_user: Any, persona: str) -> None:
    w = _world(t1, t2)
    client = as_user(t2.users[persona])
    assert client.get(_url(w.draft)).status_code == 404
    assert client.post(_url(w.draft), _data(w)).status_code == 404
    assert _stored(w.draft).version == 1


def test_a_draft_of_another_school_is_the_network_admins_only(t1: Any, as_user: Any) -> None:
    w = _world(t1)
    draft = ReferralFactory(
        student=w.other_school,
        service=w.service_a,
        referred_by=w.users["network_admin"],
        status=S.DRAFT,
        sent_at=None,
    )
    assert as_user(w.users["network_admin"]).get(_url(draft)).status_code == 200
    for persona in ("coordinator", "staff", "supervisor"):
        assert as_user(w.users[persona]).get(_url(draft)).status_code == 404, persona


@pytest.mark.parametrize(
    ("persona", "code"),
    [
        ("coordinator", 403),
        ("network_admin", 403),
        ("principal", 403),
        ("partner_staff_a", 403),
        ("partner_admin", 403),
        ("partner_staff_b", 404),
        ("evaluator", 404),
    ],
)
def test_a_sent_referral_cannot_be_edited(t1: Any, as_user: Any, persona: str, code: int) -> None:
    """Referrers read why (a 403 that names the status); the partner, who sees the referral, a
    plain 403; whoever does not see it a 404."""
    w = _world(t1)
    client = as_user(w.users[persona])
    response = client.get(_url(w.to_a))
    assert response.status_code == code
    said = "Only a draft can be edited; this referral is sent." in response.content.decode()
    assert said == (persona in ("coordinator", "network_admin"))
    assert client.post(_url(w.to_a), _data(w)).status_code == code
    assert _stored(w.to_a).reason == w.to_a.reason


def test_the_form_is_filled_from_the_draft(
    t1: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    w = _world(t1)
    client = as_user(w.users["staff"])
    with django_assert_max_num_queries(8):
        response = client.get(_url(w.draft))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ana Own" in page and "Reading support" in page
    assert 'name="expected_version" value="1"' in page
    assert f'value="{w.service_a.pk}" selected' in page
    assert _checked(page, "shared_elements", "grade")
    assert not _checked(page, "shared_elements", "notes") and not _checked(page, "urgent")
    # Who is referred is shown, not offered.
    assert 'name="subject"' not in page


def test_the_get_costs_the_same_with_many_services(t1: Any, as_user: Any) -> None:
    w = _world(t1)
    client = as_user(w.users["staff"])
    client.get(_url(w.draft))  # the session and content types, read once
    with CaptureQueriesContext(connection) as few:
        client.get(_url(w.draft))
    for i in range(15):
        ServiceFactory(organization=t1.org_a if i % 2 else t1.org_b, name=f"Extra {i}")
    with CaptureQueriesContext(connection) as many:
        page = client.get(_url(w.draft)).content.decode()
    assert "Extra 14" in page
    assert len(many) == len(few)


def test_save_keeps_the_student_and_says_so(t1: Any, as_user: Any) -> None:
    w = _world(t1)
    client = as_user(w.users["staff"])
    # A posted subject is not a field of this form: who is referred does not change.
    response = client.post(_url(w.draft), _data(w, subject=f"s{w.consented.pk}"), follow=True)
    assert response.redirect_chain == [(reverse("referral_detail", args=[w.draft.pk]), 302)]
    assert "Draft saved." in response.content.decode()
    stored = _stored(w.draft)
    assert (stored.status, stored.version, stored.student) == (S.DRAFT, 2, w.own)
    assert (stored.urgent, stored.shared_elements) == (True, ["name", "notes"])
    assert AuditEvent.objects.filter(action="referrals.referral.update").count() == 1


def test_send_from_the_edit_form(t1: Any, as_user: Any) -> None:
    w = _world(t1)
    response = as_user(w.users["staff"]).post(_url(w.draft), _data(w, action="send"))
    assert response.status_code == 302
    stored = _stored(w.draft)
    assert (stored.status, stored.version, stored.basis) == (S.SENT, 3, "school_official")


def test_bad_input_is_a_400_that_keeps_what_was_typed(t1: Any, as_user: Any) -> None:
    w = _world(t1)
    response = as_user(w.users["staff"]).post(
        _url(w.draft), _data(w, reason="", service="999999", shared_elements=["notes"])
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "nothing was saved" in page
    assert _checked(page, "shared_elements", "notes") and _checked(page, "urgent")
    assert not _checked(page, "shared_elements", "grade")
    assert _stored(w.draft).version == 1


def test_a_refused_send_is_a_form_error_and_saves_nothing(t1: Any, as_user: Any) -> None:
    w = _world(t1)
    response = as_user(w.users["staff"]).post(
        _url(w.draft),
        _data(w, service=w.service_b.pk, shared_elements=["grade"], action="send"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "may not receive" in page and "Reading support, twice a week" in page
    stored = _stored(w.draft)
    assert (stored.status, stored.version, stored.service) == (S.DRAFT, 1, w.service_a)
    assert stored.reason == "Reading support"


def test_a_stale_form_is_a_409_that_keeps_what_was_typed(t1: Any, as_user: Any) -> None:
    w = _world(t1)
    first, second = as_user(w.users["coordinator"]), as_user(w.users["staff"])
    assert first.post(_url(w.draft), _data(w, reason="First edit")).status_code == 302
    response = second.post(_url(w.draft), _data(w, reason="Second edit, typed with care"))
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this referral" in page
    assert "Second edit, typed with care" in page
    assert reverse("referral_detail", args=[w.draft.pk]) in page
    stored = _stored(w.draft)
    assert (stored.reason, stored.version) == ("First edit", 2)


def test_changing_to_a_service_already_open_needs_confirming(t1: Any, as_user: Any) -> None:
    w = _world(t1)
    client = as_user(w.users["coordinator"])
    fresh = StudentFactory(school=t1.schools[0])
    draft = ReferralFactory(
        student=fresh,
        service=w.service_b,
        referred_by=w.users["coordinator"],
        status=S.DRAFT,
        sent_at=None,
    )
    open_one = ReferralFactory(student=fresh, service=w.service_a, status=S.WAITLISTED)
    response = client.post(_url(draft), _data(w))
    assert response.status_code == 400
    page = response.content.decode()
    assert "already has an open referral" in page
    assert reverse("referral_detail", args=[open_one.pk]) in page
    assert _stored(draft).service == w.service_b
    response = client.post(_url(draft), _data(w, confirm_duplicate="on"))
    assert response.status_code == 302
    assert _stored(draft).service == w.service_a


def test_keeping_the_service_does_not_warn(t1: Any, as_user: Any) -> None:
    """`own` has `to_a` open to the draft's own service: known when the draft was made, so an
    edit that keeps the service is not asked again."""
    w = _world(t1)
    response = as_user(w.users["coordinator"]).post(_url(w.draft), _data(w))
    assert response.status_code == 302


def test_the_referral_page_links_the_edit_only_for_editors_of_a_draft(
    t1: Any, as_user: Any
) -> None:
    w = _world(t1)
    edit = _url(w.draft)
    detail = reverse("referral_detail", args=[w.draft.pk])
    assert edit in as_user(w.users["staff"]).get(detail).content.decode()
    assert edit not in as_user(w.users["principal"]).get(detail).content.decode()
    sent = as_user(w.users["coordinator"]).get(reverse("referral_detail", args=[w.to_a.pk]))
    assert _url(w.to_a) not in sent.content.decode()
    assert _url(w.to_a) not in (
        as_user(w.users["partner_staff_a"])
        .get(reverse("referral_detail", args=[w.to_a.pk]))
        .content.decode()
    )
