"""The referrals API: every persona, partner field filtering, create, transitions 200/400/403/
404/409, query counts."""

from __future__ import annotations

from typing import Any

import pytest

from wraparound.core.models import Disclosure
from wraparound.core.tests.personas import PERSONAS
from wraparound.referrals.models import Referral, ReferralStatus
from wraparound.referrals.tests.factories import ReferralFactory
from wraparound.students.tests.factories import StudentFactory
from wraparound.students.tests.world import student_world

pytestmark = pytest.mark.django_db

S = ReferralStatus
API = "/api/v1"

LIST = {
    "network_admin": 200,
    "coordinator": 200,
    "staff": 200,
    "supervisor": 200,
    "network_supervisor": 200,
    "principal": 200,
    "partner_admin": 200,
    "partner_staff_a": 200,
    "partner_staff_b": 200,
    "evaluator": 403,
    "coalition_member": 403,
    "outsider": 403,
}
DETAIL_TO_A = {p: (200 if c == 200 else 404) for p, c in LIST.items()} | {"partner_staff_b": 404}


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_and_detail_for_every_persona(t1: Any, t2: Any, as_user: Any, persona: str) -> None:
    w = student_world(t1, t2)
    client = as_user(w.users[persona])
    listed = client.get(f"{API}/referrals")
    assert listed.status_code == LIST[persona]
    if listed.status_code == 200:
        ids = {r["id"] for r in listed.json()["items"]}
        assert w.other_network_referral.pk not in ids
        if persona.startswith("partner"):
            assert w.draft_to_a.pk not in ids
    detail = client.get(f"{API}/referrals/{w.to_a.pk}")
    assert detail.status_code == DETAIL_TO_A[persona], detail.content
    assert client.get(f"{API}/referrals/{w.other_network_referral.pk}").status_code in (404,)


def test_partner_staff_a_sees_only_name_grade_and_notes_and_reads_are_logged(
    t1: Any, t2: Any, as_user: Any
) -> None:
    w = student_world(t1, t2)
    client = as_user(w.users["partner_staff_a"])
    body = client.get(f"{API}/referrals/{w.to_a.pk}").json()
    assert set(body["student"]) == {
        "id",
        "given_name",
        "family_name",
        "middle_name",
        "preferred_name",
        "grade",
        "referral_reason",
    }
    assert body["reason"] == w.to_a.reason
    assert Disclosure.objects.filter(purpose="referral detail (API)").count() == 1
    items = client.get(f"{API}/referrals").json()["items"]
    assert {i["id"] for i in items} == {w.to_a.pk, w.other_school_to_a.pk}
    nothing = next(i for i in items if i["id"] == w.other_school_to_a.pk)
    assert nothing["student"] == {"id": w.other_school.pk} and nothing["reason"] is None
    assert Disclosure.objects.filter(purpose="referral list (API)").count() == 1


def test_partner_staff_b_never_sees_org_as_referrals(t1: Any, t2: Any, as_user: Any) -> None:
    w = student_world(t1, t2)
    client = as_user(w.users["partner_staff_b"])
    ids = {r["id"] for r in client.get(f"{API}/referrals").json()["items"]}
    assert ids == {w.to_b.pk}
    assert client.get(f"{API}/referrals/{w.to_a.pk}").status_code == 404
    response = client.post(
        f"{API}/referrals/{w.to_a.pk}/transitions",
        {"to": "accepted", "expected_version": 1},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_create_and_send(t1: Any, t2: Any, as_user: Any) -> None:
    w = student_world(t1, t2)
    fresh = StudentFactory(school=t1.schools[0])
    client = as_user(w.users["staff"])
    payload = {
        "school": t1.schools[0].pk,
        "student": fresh.pk,
        "service": w.service_a.pk,
        "reason": "Reading",
        "shared_elements": ["name", "grade"],
        "send": True,
    }
    response = client.post(f"{API}/referrals", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["version"], body["basis"]) == ("sent", 2, "school_official")
    assert body["allowed_transitions"] == ["withdrawn"]
    # the same again is an open duplicate: refused until confirmed
    again = client.post(f"{API}/referrals", payload, content_type="application/json")
    assert again.status_code == 400 and "open referral" in again.json()["detail"]
    confirmed = client.post(
        f"{API}/referrals", {**payload, "confirm_duplicate": True}, content_type="application/json"
    )
    assert confirmed.status_code == 201


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"shared_elements": ["date_of_birth"]}, 400),
        ({"shared_elements": ["shoe_size"]}, 400),
        ({"student": 999999}, 400),
        ({"service": 999999}, 400),
        ({"reason": ""}, 400),
        ({"school": 999999}, 404),
    ],
)
def test_create_refuses_bad_input(
    t1: Any, t2: Any, as_user: Any, change: dict[str, Any], status: int
) -> None:
    w = student_world(t1, t2)
    fresh = StudentFactory(school=t1.schools[0])
    payload = {
        "school": t1.schools[0].pk,
        "student": fresh.pk,
        "service": w.service_a.pk,
        "reason": "Reading",
        "send": True,
        **change,
    }
    before = Referral.objects.count()
    response = as_user(w.users["coordinator"]).post(
        f"{API}/referrals", payload, content_type="application/json"
    )
    assert response.status_code == status, response.content
    assert "detail" in response.json()
    assert Referral.objects.count() == before


@pytest.mark.parametrize("persona", ["principal", "partner_staff_a", "evaluator"])
def test_create_is_for_referrers(t1: Any, t2: Any, as_user: Any, persona: str) -> None:
    w = student_world(t1, t2)
    payload = {
        "school": t1.schools[0].pk,
        "student": w.own.pk,
        "service": w.service_b.pk,
        "reason": "Reading",
    }
    response = as_user(w.users[persona]).post(
        f"{API}/referrals", payload, content_type="application/json"
    )
    assert response.status_code in (403, 404)
    assert response.status_code == (403 if persona == "principal" else 404) or (
        persona == "evaluator" and response.status_code == 403
    )


def test_create_in_the_other_network_is_a_404(t1: Any, t2: Any, as_user: Any) -> None:
    w = student_world(t1, t2)
    response = as_user(t2.users["coordinator"]).post(
        f"{API}/referrals",
        {"school": t1.schools[0].pk, "student": w.own.pk, "service": w.service_a.pk, "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_transitions_answer_200_400_403_409(t1: Any, t2: Any, as_user: Any) -> None:
    w = student_world(t1, t2)
    url = f"{API}/referrals/{w.to_a.pk}/transitions"
    staff = as_user(w.users["partner_staff_a"])
    ok = staff.post(url, {"to": "accepted", "expected_version": 1}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    assert ok.json()["version"] == 2
    stale = staff.post(
        url, {"to": "in_service", "expected_version": 1}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert "reload to see the change" in stale.json()["detail"]
    bad = staff.post(
        url, {"to": "completed", "expected_version": 2}, content_type="application/json"
    )
    assert bad.status_code == 400
    nonsense = staff.post(
        url, {"to": "done", "expected_version": 2}, content_type="application/json"
    )
    assert nonsense.status_code == 400
    no_reason = staff.post(
        url, {"to": "closed", "expected_version": 2}, content_type="application/json"
    )
    assert no_reason.status_code == 400
    coordinator = as_user(w.users["coordinator"])
    wrong_side = coordinator.post(
        url, {"to": "in_service", "expected_version": 2}, content_type="application/json"
    )
    assert wrong_side.status_code == 403
    withdrawn = coordinator.post(
        url,
        {"to": "withdrawn", "expected_version": 2, "reason": "moved", "note": "Left the city"},
        content_type="application/json",
    )
    assert withdrawn.status_code == 200
    assert [e["to_status"] for e in withdrawn.json()["events"]] == ["accepted", "withdrawn"]
    w.to_a.refresh_from_db()
    assert (w.to_a.status, w.to_a.version, w.to_a.close_reason) == ("withdrawn", 3, "moved")


def test_a_refused_share_at_send_is_a_400(t1: Any, t2: Any, as_user: Any) -> None:
    w = student_world(t1, t2)
    w.draft_to_a.shared_elements = ["contact"]
    w.draft_to_a.save()
    response = as_user(w.users["coordinator"]).post(
        f"{API}/referrals/{w.draft_to_a.pk}/transitions",
        {"to": "sent", "expected_version": 1},
        content_type="application/json",
    )
    assert response.status_code == 400 and "may not receive" in response.json()["detail"]
    w.draft_to_a.refresh_from_db()
    assert w.draft_to_a.status == S.DRAFT


def test_list_query_count_does_not_grow_for_school_officials(
    t1: Any, t2: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    w = student_world(t1, t2)
    for _ in range(30):
        ReferralFactory(
            student=StudentFactory(school=t1.schools[0]),
            service=w.service_a,
            referred_by=w.users["coordinator"],
        )
    client = as_user(w.users["coordinator"])
    with django_assert_max_num_queries(8):
        response = client.get(f"{API}/referrals")
    assert response.json()["count"] == 33  # schools 0 and 1: not school 3
