from __future__ import annotations

import json
from typing import Any

import pytest

from wraparound.core.tests.personas import PERSONAS
from wraparound.referrals import session_services as services
from wraparound.referrals.models import ServiceSession
from wraparound.referrals.tests.factories import ServiceSessionFactory
from wraparound.students.tests.factories import StudentFactory

from .session_world import SessionWorld, build, group_args

pytestmark = pytest.mark.django_db

SCHOOL_OFFICIALS = {
    "network_admin",
    "coordinator",
    "staff",
    "supervisor",
    "network_supervisor",
    "principal",
}


@pytest.fixture
def sw(t1: Any, t2: Any) -> SessionWorld:
    world = build(t1, t2)
    services.session_log(user=t1.users["partner_staff_a"], **group_args(world))
    services.session_log(user=t1.users["staff"], **group_args(world, organization=None))
    return world


def _expect(allowed: set[str], forbidden: set[str] = frozenset()) -> dict[str, int]:  # type: ignore[assignment]
    return {p: 200 if p in allowed else 403 if p in forbidden else 404 for p in PERSONAS}


def _matrix(sw: SessionWorld, as_user: Any, url: str, expected: dict[str, int]) -> None:
    got = {p: as_user(sw.users[p]).get(url).status_code for p in PERSONAS}
    assert got == expected
    assert as_user(sw.t2.users["network_admin"]).get(url).status_code == 404


def test_organization_sessions(sw: SessionWorld, as_user: Any) -> None:
    url = f"/api/v1/organizations/{sw.t1.org_a.pk}/sessions"
    _matrix(sw, as_user, url, _expect({"network_admin", "partner_admin", "partner_staff_a"}))
    body = as_user(sw.users["partner_staff_a"]).get(url).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["kind"], item["present"], item["recorded"]) == ("group", 2, 3)
    assert item["partnership_id"] == sw.w.partnership_a.pk
    assert "Ana" not in json.dumps(body)


def test_school_sessions(sw: SessionWorld, as_user: Any) -> None:
    url = f"/api/v1/schools/{sw.school.pk}/sessions"
    _matrix(sw, as_user, url, _expect(SCHOOL_OFFICIALS, {"evaluator"}))
    assert as_user(sw.users["principal"]).get(url).json()["count"] == 2


def test_student_dosage(sw: SessionWorld, as_user: Any) -> None:
    url = f"/api/v1/students/{sw.w.own.pk}/dosage"
    _matrix(sw, as_user, url, _expect(SCHOOL_OFFICIALS))
    body = as_user(sw.users["coordinator"]).get(url).json()
    assert (body["sessions"], body["minutes"], body["hours"]) == (2, 120, 2.0)
    assert len(body["by_service"]) == 2  # Homework Club by org A, and by the school


def _payload(sw: SessionWorld, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "school_id": sw.school.pk,
        "organization_id": sw.t1.org_a.pk,
        "service_id": sw.w.service_a.pk,
        "kind": "group",
        "date": sw.today.isoformat(),
        "starts_at": "15:30",
        "duration_minutes": 60,
        "modality": "virtual",
        "attendance": [
            {"student_id": sw.w.own.pk, "present": True},
            {"student_id": sw.sibling.pk, "present": True, "minutes": 15},
        ],
    }
    data.update(extra)
    return data


def _post(client: Any, data: dict[str, Any]) -> Any:
    return client.post("/api/v1/sessions", json.dumps(data), content_type="application/json")


def test_create_a_session(sw: SessionWorld, as_user: Any) -> None:
    response = _post(as_user(sw.users["partner_staff_a"]), _payload(sw))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["present"], body["recorded"], body["modality"]) == (2, 2, "virtual")
    session = ServiceSession.objects.get(pk=body["id"])
    assert session.attendance.get(student=sw.sibling).minutes == 15


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("partner_staff_b", 404),
        ("network_admin", 403),
        ("coordinator", 404),
        ("evaluator", 404),
        ("outsider", 404),
    ],
)
def test_create_for_another_organization_is_refused(
    sw: SessionWorld, as_user: Any, persona: str, status: int
) -> None:
    before = ServiceSession.objects.count()
    response = _post(as_user(sw.users[persona]), _payload(sw))
    assert response.status_code == status
    assert "detail" in response.json()
    assert ServiceSession.objects.count() == before


def test_create_a_school_session_and_who_may(sw: SessionWorld, as_user: Any) -> None:
    data = _payload(sw, organization_id=None)
    assert _post(as_user(sw.users["principal"]), data).status_code == 403
    assert _post(as_user(sw.users["partner_staff_a"]), data).status_code == 404
    assert _post(as_user(sw.t2.users["network_admin"]), data).status_code == 404
    assert _post(as_user(sw.users["supervisor"]), data).status_code == 201


def test_create_with_bad_input_is_a_400_naming_it(sw: SessionWorld, as_user: Any) -> None:
    client = as_user(sw.users["partner_staff_a"])
    stranger = StudentFactory(school=sw.school)
    before = ServiceSession.objects.count()
    response = _post(
        client,
        _payload(sw, attendance=[{"student_id": stranger.pk, "present": True}]),
    )
    assert response.status_code == 400
    assert f"Student {stranger.pk} is not on this session's roster." in response.content.decode()
    response = _post(client, _payload(sw, duration_minutes=0))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "duration_minutes"
    response = _post(client, _payload(sw, kind="crowd"))
    assert response.status_code == 400
    response = _post(client, _payload(sw, service_id=sw.w.service_b.pk))
    assert response.status_code == 400
    response = _post(client, _payload(sw, date="2099-01-01"))
    assert response.status_code == 400
    assert "future" in response.content.decode()
    assert ServiceSession.objects.count() == before


def test_the_list_does_not_query_per_session(
    sw: SessionWorld, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(30):
        ServiceSessionFactory(school=sw.school, organization=sw.t1.org_a, service=sw.w.service_a)
    client = as_user(sw.users["partner_staff_a"])
    url = f"/api/v1/organizations/{sw.t1.org_a.pk}/sessions?page_size=50"
    with django_assert_max_num_queries(8):
        body = client.get(url).json()
    assert body["count"] == 31 and len(body["items"]) == 31
