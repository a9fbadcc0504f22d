"""/api/v1/students, /api/v1/students/{id}, /api/v1/organizations/{id}/students: shapes, search,
bad input (400 naming the field), anonymous (401), query counts, the partner's filtered view and
its Disclosures. (Every persona's status on each is in test_authorization_matrix.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wraparound.core.models import Disclosure
from wraparound.students.tests.factories import StudentFactory
from wraparound.students.tests.world import student_world

pytestmark = pytest.mark.django_db

API = "/api/v1"


def test_students_of_a_school(t1: Any, as_user: Any) -> None:
    w = student_world(t1)
    client = as_user(t1.users["staff"])
    body = client.get(f"{API}/students", {"school": t1.schools[0].pk}).json()
    assert body["count"] == 2
    row = {s["id"]: s for s in body["items"]}[w.consented.pk]
    assert row["family_name"] == "Consented" and row["school"]["id"] == t1.schools[0].pk
    assert row["birth_date"] == w.consented.birth_date.isoformat()
    assert (row["open_tiers"], row["open_referrals"]) == (0, 2)
    found = client.get(f"{API}/students", {"school": t1.schools[0].pk, "q": "ana"}).json()
    assert [s["id"] for s in found["items"]] == [w.own.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"school": "x"}, "school"),
        ({"school": 0}, "school"),
        ({"grade": "99"}, "grade"),
        ({"q": "x" * 201}, "q"),
        ({"page_size": 501}, "page_size"),
    ],
)
def test_students_bad_input_is_400_naming_the_field(
    t1: Any, as_user: Any, query: dict[str, Any], field: str
) -> None:
    response = as_user(t1.users["coordinator"]).get(f"{API}/students", query)
    assert response.status_code == 400, response.content
    assert field in {e["field"] for e in response.json()["errors"]}


def test_anonymous_is_401(t1: Any) -> None:
    assert Client().get(f"{API}/students").status_code == 401
    assert Client().get(f"{API}/organizations/{t1.org_a.pk}/students").status_code == 401


def test_students_list_query_count(
    t1: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    StudentFactory.create_batch(40, school=t1.schools[0])
    client = as_user(t1.users["coordinator"])
    # session, user, grants, school, count, page
    with django_assert_max_num_queries(7):
        body = client.get(f"{API}/students", {"school": t1.schools[0].pk}).json()
    assert body["count"] == 40 and len(body["items"]) == 40


def test_one_student_with_guardians(t1: Any, as_user: Any) -> None:
    w = student_world(t1)
    body = as_user(t1.users["network_admin"]).get(f"{API}/students/{w.consented.pk}").json()
    guardian = w.consented.guardian_links.get().guardian
    assert [g["email"] for g in body["guardians"]] == [guardian.email]
    response = as_user(t1.users["partner_staff_b"]).get(f"{API}/students/{w.consented.pk}")
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}


def test_partner_students_only_allowed_fields_and_logged(t1: Any, as_user: Any) -> None:
    w = student_world(t1)
    user = t1.users["partner_staff_a"]
    body = as_user(user).get(f"{API}/organizations/{t1.org_a.pk}/students").json()
    assert body["count"] == 2
    rows = {r["referral_id"]: r for r in body["items"]}
    seen = rows[w.to_a.pk]
    assert seen["elements"] == ["grade", "name", "notes"]
    assert set(seen["student"]) == {
        "id",
        "given_name",
        "family_name",
        "middle_name",
        "preferred_name",
        "grade",
        "referral_reason",
    }
    assert seen["grounds"][0]["basis"] == "school_official"
    assert rows[w.other_school_to_a.pk]["student"] == {"id": w.other_school.pk}
    row = Disclosure.objects.get(viewer=user)
    assert (row.subject_id, row.purpose) == (w.own.pk, "API")


def test_partner_students_page_logs_only_what_it_returns(t1: Any, as_user: Any) -> None:
    w = student_world(t1)
    user = t1.users["partner_staff_a"]
    client = as_user(user)
    # newest first: other_school_to_a was created last, so page 1 of size 1 is it (nothing shown)
    body = client.get(f"{API}/organizations/{t1.org_a.pk}/students", {"page_size": 1}).json()
    assert [r["referral_id"] for r in body["items"]] == [w.other_school_to_a.pk]
    assert not Disclosure.objects.filter(viewer=user).exists()
    client.get(f"{API}/organizations/{t1.org_a.pk}/students", {"page_size": 1, "page": 2})
    assert Disclosure.objects.filter(viewer=user).count() == 1


def test_partner_students_of_another_network_is_404(t1: Any, t2: Any, as_user: Any) -> None:
    student_world(t1, t2)
    response = as_user(t2.users["partner_staff_a"]).get(
        f"{API}/organizations/{t1.org_a.pk}/students"
    )
    assert response.status_code == 404
    assert not Disclosure.objects.exists()
