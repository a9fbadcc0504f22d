"""Referral pages: authorization for every persona, field filtering for partners, the form's
sharing gate and duplicate warning, the transition forms and their conflicts, query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from wraparound.core.models import Disclosure
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.tests.factories import ServiceCapacityFactory
from wraparound.referrals.models import Referral, ReferralStatus
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students.tests.factories import StudentFactory
from wraparound.students.tests.world import student_world

pytestmark = pytest.mark.django_db

S = ReferralStatus

SCHOOL_LIST = {
    "network_admin": 200,
    "coordinator": 200,
    "staff": 200,
    "supervisor": 200,
    "network_supervisor": 200,
    "principal": 200,
    "evaluator": 403,
    "partner_admin": 404,
    "partner_staff_a": 404,
    "partner_staff_b": 404,
    "coalition_member": 404,
    "outsider": 404,
}
NEW = {
    **SCHOOL_LIST,
    "network_supervisor": 403,  # reads the school's students, does not refer them
    "principal": 403,
}
DETAIL = {
    **{p: 200 for p in SCHOOL_LIST if SCHOOL_LIST[p] == 200},
    "partner_admin": 200,
    "partner_staff_a": 200,
    "partner_staff_b": 404,
    "evaluator": 404,
    "coalition_member": 404,
    "outsider": 404,
}
INBOX = {p: 404 for p in PERSONAS} | {
    "partner_admin": 200,
    "partner_staff_a": 200,
    "network_admin": 403,
}


def _world(t1: Any, t2: Any) -> Any:
    w = student_world(t1, t2)
    w.own.email = "ana.secret@example.org"
    w.own.save()
    return w


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_for_every_persona(t1: Any, t2: Any, as_user: Any, persona: str) -> None:
    w = _world(t1, t2)
    client = as_user(w.users[persona])
    school = t1.schools[0]
    pages = [
        (reverse("referral_school_list", args=[school.pk]), SCHOOL_LIST[persona]),
        (reverse("referral_new", args=[school.pk]), NEW[persona]),
        (reverse("referral_detail", args=[w.to_a.pk]), DETAIL[persona]),
        (reverse("referral_partner_inbox", args=[t1.org_a.pk]), INBOX[persona]),
    ]
    for url, expected in pages:
        assert client.get(url).status_code == expected, (persona, url)


@pytest.mark.parametrize("persona", ["coordinator", "partner_staff_a", "network_admin"])
def test_the_other_tenant_sees_nothing(t1: Any, t2: Any, as_user: Any, persona: str) -> None:
    w = _world(t1, t2)
    client = as_user(t2.users[persona])
    for url in (
        reverse("referral_school_list", args=[t1.schools[0].pk]),
        reverse("referral_new", args=[t1.schools[0].pk]),
        reverse("referral_detail", args=[w.to_a.pk]),
        reverse("referral_partner_inbox", args=[t1.org_a.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_partners_never_see_drafts(t1: Any, t2: Any, as_user: Any) -> None:
    w = _world(t1, t2)
    client = as_user(w.users["partner_staff_a"])
    assert client.get(reverse("referral_detail", args=[w.draft_to_a.pk])).status_code == 404
    inbox = client.get(reverse("referral_partner_inbox", args=[t1.org_a.pk]))
    assert reverse("referral_detail", args=[w.draft_to_a.pk]) not in inbox.content.decode()


def test_partner_staff_see_only_the_allowed_fields_and_each_read_is_logged(
    t1: Any, t2: Any, as_user: Any
) -> None:
    w = _world(t1, t2)
    client = as_user(w.users["partner_staff_a"])
    page = client.get(reverse("referral_detail", args=[w.to_a.pk])).content.decode()
    assert "Ana Own" in page
    assert w.to_a.reason in page
    assert "ana.secret@example.org" not in page
    row = Disclosure.objects.get()
    assert (row.viewer, row.subject_id, row.purpose) == (
        w.users["partner_staff_a"],
        w.own.pk,
        "referral detail",
    )
    assert sorted(row.fields) == ["grade", "name", "notes"]
    inbox = client.get(reverse("referral_partner_inbox", args=[t1.org_a.pk])).content.decode()
    assert "Ana Own" in inbox and "ana.secret@example.org" not in inbox
    # other_school_to_a shares nothing: listed without a name
    assert "Cai" not in inbox
    assert Disclosure.objects.filter(purpose="referral list").count() == 1


def test_partner_admin_is_not_given_the_student(t1: Any, t2: Any, as_user: Any) -> None:
    w = _world(t1, t2)
    page = (
        as_user(w.users["partner_admin"])
        .get(reverse("referral_detail", args=[w.to_a.pk]))
        .content.decode()
    )
    assert "Ana" not in page and w.to_a.reason not in page
    assert not Disclosure.objects.exists()


def test_school_officials_see_the_student_whole_without_a_disclosure(
    t1: Any, t2: Any, as_user: Any
) -> None:
    w = _world(t1, t2)
    page = (
        as_user(w.users["coordinator"])
        .get(reverse("referral_detail", args=[w.to_a.pk]))
        .content.decode()
    )
    assert "ana.secret@example.org" in page and w.to_a.reason in page
    assert not Disclosure.objects.exists()


def test_school_list_filters_by_status_and_counts_the_funnel(
    t1: Any, t2: Any, as_user: Any
) -> None:
    w = _world(t1, t2)
    client = as_user(w.users["coordinator"])
    url = reverse("referral_school_list", args=[t1.schools[0].pk])
    page = client.get(url).content.decode()
    assert "Sent (2)" in page and "Draft (1)" in page and "All (3)" in page
    drafts = client.get(url, {"status": "draft"}).content.decode()
    assert reverse("referral_detail", args=[w.draft_to_a.pk]) in drafts
    assert reverse("referral_detail", args=[w.to_a.pk]) not in drafts


def test_query_counts_of_the_lists_do_not_grow_with_referrals(
    t1: Any, t2: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    w = _world(t1, t2)
    for i in range(30):
        ReferralFactory(
            student=StudentFactory(school=t1.schools[0]),
            service=w.service_a,
            referred_by=w.users["coordinator"],
            shared_elements=["name", "grade"],
            basis="school_official",
            urgent=i % 2 == 0,
        )
    client = as_user(w.users["coordinator"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("referral_school_list", args=[t1.schools[0].pk]))
    assert response.status_code == 200
    client = as_user(w.users["partner_staff_a"])
    # `visibility.partner_views` reads the grounds (agreements, consents) in batches: 31
    # students cost what 3 would.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("referral_partner_inbox", args=[t1.org_a.pk]))
    assert response.status_code == 200
    assert Disclosure.objects.filter(purpose="referral list").count() == 31


# --- the form ----------------------------------------------------------------------------------


def _post(w: Any, **extra: Any) -> dict[str, Any]:
    data = {
        "subject": f"s{w.own.pk}",
        "service": w.service_b.pk,
        "reason": "Would like a mentor",
        "shared_elements": ["grade"],
        "action": "send",
    }
    data.update(extra)
    return data


def test_the_form_starts_from_the_student_and_shows_capacity_and_waitlist(
    t1: Any, t2: Any, as_user: Any
) -> None:
    w = _world(t1, t2)
    ServiceCapacityFactory(service=w.service_a, available=3, maximum=20, unit="students")
    ReferralFactory(student=w.consented, service=w.service_a, status=S.WAITLISTED)
    client = as_user(w.users["staff"])
    url = reverse("referral_new", args=[t1.schools[0].pk])
    page = client.get(url, {"student": w.own.pk}).content.decode()
    assert "Ana Own" in page and "3 of 20 students available; 1 waitlisted" in page
    found = client.get(url, {"q": "consent"}).content.decode()
    assert "Ben Consented" in found and "Ana Own" not in found
    assert "The family of Ben Consented" in found
    # a student of another school is never offered
    assert f"s{w.other_school.pk}" not in client.get(url, {"q": "Cai"}).content.decode()


def test_send_from_the_form(t1: Any, t2: Any, as_user: Any) -> None:
    w = _world(t1, t2)
    client = as_user(w.users["staff"])
    fresh = StudentFactory(school=t1.schools[0])
    response = client.post(
        reverse("referral_new", args=[t1.schools[0].pk]),
        _post(w, subject=f"s{fresh.pk}", service=w.service_a.pk, shared_elements=["name"]),
    )
    assert response.status_code == 302
    referral = Referral.objects.get(reason="Would like a mentor")
    assert response["Location"] == reverse("referral_detail", args=[referral.pk])
    assert (referral.status, referral.basis) == (S.SENT, "school_official")


def test_a_refused_share_is_a_form_error_and_keeps_what_was_typed(
    t1: Any, t2: Any, as_user: Any
) -> None:
    w = _world(t1, t2)
    client = as_user(w.users["staff"])
    response = client.post(reverse("referral_new", args=[t1.schools[0].pk]), _post(w))
    assert response.status_code == 400
    page = response.content.decode()
    assert "may not receive" in page and "Would like a mentor" in page
    assert not Referral.objects.filter(reason="Would like a mentor").exists()
    # a draft is fine: nothing leaves the school
    response = client.post(
        reverse("referral_new", args=[t1.schools[0].pk]), _post(w, action="draft")
    )
    assert response.status_code == 302
    assert Referral.objects.get(reason="Would like a mentor").status == S.DRAFT


def test_an_open_duplicate_needs_confirming(t1: Any, t2: Any, as_user: Any) -> None:
    w = _world(t1, t2)
    client = as_user(w.users["coordinator"])
    url = reverse("referral_new", args=[t1.schools[0].pk])
    data = _post(w, service=w.service_a.pk, shared_elements=["name"], action="draft")
    response = client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "already has an open referral" in page
    assert reverse("referral_detail", args=[w.to_a.pk]) in page
    assert Referral.objects.filter(student=w.own).count() == 1
    response = client.post(url, {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Referral.objects.filter(student=w.own).count() == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [("subject", "s999999"), ("subject", "x"), ("service", "999999"), ("reason", "")],
)
def test_bad_input_is_a_400_and_writes_nothing(
    t1: Any, t2: Any, as_user: Any, field: str, value: str
) -> None:
    w = _world(t1, t2)
    before = Referral.objects.count()
    response = as_user(w.users["coordinator"]).post(
        reverse("referral_new", args=[t1.schools[0].pk]), _post(w, **{field: value})
    )
    assert response.status_code == 400
    assert Referral.objects.count() == before


def test_a_student_of_another_school_cannot_be_posted(t1: Any, t2: Any, as_user: Any) -> None:
    w = _world(t1, t2)
    response = as_user(w.users["coordinator"]).post(
        reverse("referral_new", args=[t1.schools[0].pk]), _post(w, subject=f"s{w.other_school.pk}")
    )
    assert response.status_code == 400
    assert not Referral.objects.filter(reason="Would like a mentor").exists()


# --- transitions -------------------------------------------------------------------------------


def _move(client: Any, referral: Referral, to: str, version: int, **extra: Any) -> Any:
    data = {"to": to, f"t-{to}-expected_version": version}
    data.update({f"t-{to}-{k}": v for k, v in extra.items()})
    return client.post(reverse("referral_transition", args=[referral.pk]), data)


def test_the_page_offers_each_user_their_moves_with_the_version(
    t1: Any, t2: Any, as_user: Any
) -> None:
    w = _world(t1, t2)
    page = (
        as_user(w.users["partner_staff_a"])
        .get(reverse("referral_detail", args=[w.to_a.pk]))
        .content.decode()
    )
    for to in ("accepted", "declined", "waitlisted"):
        assert f'name="to" value="{to}"' in page
    assert 'value="withdrawn"' not in page
    assert 'name="t-accepted-expected_version" value="1"' in page
    page = (
        as_user(w.users["principal"])
        .get(reverse("referral_detail", args=[w.to_a.pk]))
        .content.decode()
    )
    assert 'name="to"' not in page


def test_accept_then_a_stale_form_is_a_409_with_the_message(t1: Any, t2: Any, as_user: Any) -> None:
    w = _world(t1, t2)
    client = as_user(w.users["partner_staff_a"])
    response = _move(client, w.to_a, "accepted", 1)
    assert response.status_code == 302
    w.to_a.refresh_from_db()
    assert (w.to_a.status, w.to_a.version) == (S.ACCEPTED, 2)
    response = _move(client, w.to_a, "accepted", 1)
    assert response.status_code == 409
    assert "Someone else changed this referral" in response.content.decode()
    w.to_a.refresh_from_db()
    assert w.to_a.version == 2


def test_decline_without_a_reason_is_a_400(t1: Any, t2: Any, as_user: Any) -> None:
    w = _world(t1, t2)
    client = as_user(w.users["partner_staff_a"])
    response = _move(client, w.to_a, "declined", 1, note="typed note")
    assert response.status_code == 400
    assert "typed note" in response.content.decode()
    response = _move(client, w.to_a, "declined", 1, reason="Full this term")
    assert response.status_code == 302
    w.to_a.refresh_from_db()
    assert (w.to_a.status, w.to_a.decline_reason) == (S.DECLINED, "Full this term")
    detail = client.get(reverse("referral_detail", args=[w.to_a.pk])).content.decode()
    assert "Full this term" in detail


@pytest.mark.parametrize(
    ("persona", "to", "expected"),
    [
        ("coordinator", "accepted", 403),
        ("principal", "withdrawn", 403),
        ("partner_staff_a", "withdrawn", 403),
        ("partner_staff_b", "accepted", 404),
        ("outsider", "accepted", 404),
        ("evaluator", "accepted", 404),
        ("partner_staff_a", "completed", 400),
        ("partner_staff_a", "nonsense", 302),
    ],
)
def test_moves_refused(
    t1: Any, t2: Any, as_user: Any, persona: str, to: str, expected: int
) -> None:
    w = _world(t1, t2)
    response = _move(as_user(w.users[persona]), w.to_a, to, 1, reason="moved")
    assert response.status_code == expected
    w.to_a.refresh_from_db()
    assert (w.to_a.status, w.to_a.version) == (S.SENT, 1)


def test_withdraw_with_a_reason_shows_on_the_timeline(t1: Any, t2: Any, as_user: Any) -> None:
    w = _world(t1, t2)
    client = as_user(w.users["coordinator"])
    response = _move(client, w.to_a, "withdrawn", 1, reason="moved", note="Family moved away")
    assert response.status_code == 302
    page = client.get(reverse("referral_detail", args=[w.to_a.pk])).content.decode()
    assert "Family moved away" in page and "Moved" in page
