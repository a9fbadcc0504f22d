"""Conference pages and API: every persona on every page and endpoint (present vs absent,
supervisor of the school vs of another school, network admin denied, other network 404), a
Disclosure for each partner read, bad input keeps what was typed, optimistic locking."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from wraparound.conferences.models import FamilyTeamConference
from wraparound.conferences.tests.world import conference_world
from wraparound.core.models import Disclosure
from wraparound.core.tests.personas import PERSONAS
from wraparound.students.models import Student

pytestmark = pytest.mark.django_db

# The conference: staff facilitated; partner_staff_a present; coordinator absent.
DETAIL = {p: 404 for p in PERSONAS} | {
    "staff": 200,
    "partner_staff_a": 200,
    "supervisor": 200,
    "network_supervisor": 200,
}
EDIT = DETAIL | {"supervisor": 403, "network_supervisor": 403}
LIST = {p: 403 for p in PERSONAS} | {
    "staff": 200,
    "coordinator": 200,
    "supervisor": 200,
    "network_supervisor": 200,
    "partner_staff_a": 200,
    "partner_staff_b": 200,
}
# New conference for `own` (school 0), whom org A serves.
NEW = {p: 404 for p in PERSONAS} | {
    "staff": 200,
    "coordinator": 200,
    "supervisor": 200,
    "partner_staff_a": 200,
    "network_admin": 403,  # sees the student, does not hold conferences
    "network_supervisor": 403,
    "principal": 403,
}


@pytest.fixture
def cw(t1: Any, t2: Any) -> Any:
    return conference_world(t1, t2)


def _disclosures(user: Any) -> int:
    return Disclosure.objects.filter(
        viewer=user, subject_type=ContentType.objects.get_for_model(Student)
    ).count()


@pytest.mark.parametrize("persona", PERSONAS)
def test_detail(cw: Any, as_user: Any, persona: str) -> None:
    user = cw.users[persona]
    before = _disclosures(user)
    response = as_user(user).get(reverse("conference_detail", args=[cw.conference.pk]))
    assert response.status_code == DETAIL[persona]
    if response.status_code == 200:
        body = response.content.decode()
        assert "Ana Own" in body and "Reading two grades behind" in body
        assert "Call the family after the first week" in body
    logged = _disclosures(user) - before
    assert logged == (1 if persona == "partner_staff_a" else 0)
    if persona == "partner_staff_a":
        d = Disclosure.objects.filter(viewer=user).latest("created_at")
        assert d.basis == "consent" and d.organization_id == cw.w.t1.org_a.pk
        assert d.subject_id == cw.w.own.pk


def test_detail_other_school_supervisor_and_other_network(cw: Any, t2: Any, as_user: Any) -> None:
    url = reverse("conference_detail", args=[cw.conference.pk])
    assert as_user(cw.other_supervisor).get(url).status_code == 404
    for persona in PERSONAS:
        assert as_user(t2.users[persona]).get(url).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_edit_page(cw: Any, as_user: Any, persona: str) -> None:
    response = as_user(cw.users[persona]).get(reverse("conference_edit", args=[cw.conference.pk]))
    assert response.status_code == EDIT[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_list(cw: Any, as_user: Any, persona: str) -> None:
    user = cw.users[persona]
    before = _disclosures(user)
    response = as_user(user).get(reverse("conference_list"))
    assert response.status_code == LIST[persona]
    if response.status_code == 200:
        shown = reverse("conference_detail", args=[cw.conference.pk]) in response.content.decode()
        assert shown == (DETAIL[persona] == 200)
    assert _disclosures(user) - before == (1 if persona == "partner_staff_a" else 0)


def test_list_query_count(cw: Any, as_user: Any, django_assert_max_num_queries: Any) -> None:
    client = as_user(cw.users["supervisor"])
    client.get(reverse("conference_list"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("conference_list")).status_code == 200


def test_list_for_a_student(cw: Any, as_user: Any) -> None:
    url = reverse("conference_list") + f"?student={cw.w.own.pk}"
    assert as_user(cw.users["staff"]).get(url).status_code == 200
    # Someone who reads none of the student's conferences learns nothing: 404.
    assert as_user(cw.users["coordinator"]).get(url).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_new_page(cw: Any, as_user: Any, persona: str) -> None:
    user = cw.users[persona]
    before = _disclosures(user)
    url = reverse("conference_new") + f"?student={cw.w.own.pk}"
    assert as_user(user).get(url).status_code == NEW[persona]
    # The form shows the family's name, consents and referrals: a partner's read is logged.
    assert _disclosures(user) - before == (1 if persona == "partner_staff_a" else 0)
    if persona == "partner_staff_a":
        d = Disclosure.objects.filter(viewer=user).latest("created_at")
        assert (d.subject_id, d.organization_id, d.basis) == (
            cw.w.own.pk,
            cw.w.t1.org_a.pk,
            "consent",
        )
        assert d.purpose == "family team conference (new)"


def test_new_page_other_network_and_bad_query(cw: Any, t2: Any, as_user: Any) -> None:
    client = as_user(cw.users["staff"])
    assert client.get(reverse("conference_new") + "?student=abc").status_code == 404
    assert client.get(reverse("conference_new")).status_code == 404
    far = reverse("conference_new") + f"?student={cw.w.other_network.pk}"
    assert client.get(far).status_code == 404
    assert (
        as_user(t2.users["staff"])
        .get(reverse("conference_new") + f"?student={cw.w.own.pk}")
        .status_code
        == 404
    )


def _post_data(cw: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "held_on": cw.w.t1.network.today().isoformat(),
        "status": "held",
        "place": "Room 4",
        "consent_given_by": "Rosa Own",
        "consent_method": "paper",
        "consent_given_at": "2026-01-05T10:00",
        "strengths": "Loves music",
        "decisions": "Weekly check-in",
        "referrals": [cw.w.to_a.pk],
        "p-TOTAL_FORMS": "2",
        "p-INITIAL_FORMS": "0",
        "p-0-kind": "family",
        "p-0-name": "Rosa Own",
        "p-0-role": "mother",
        "p-0-present": "on",
        "p-1-kind": "staff",
        "p-1-present": "on",
        "n-TOTAL_FORMS": "1",
        "n-INITIAL_FORMS": "0",
        "n-0-domain": "health",
        "n-0-description": "Needs glasses",
        "a-TOTAL_FORMS": "1",
        "a-INITIAL_FORMS": "0",
        "a-0-description": "Book an eye exam",
        "a-0-owner_name": "Rosa Own",
        "a-0-due_on": "",
        "a-0-status": "open",
    }
    data.update(overrides)
    return data


def test_create_by_post(cw: Any, as_user: Any) -> None:
    client = as_user(cw.users["staff"])
    url = reverse("conference_new") + f"?student={cw.w.own.pk}"
    response = client.post(url, _post_data(cw))
    assert response.status_code == 302, response.content.decode()[:3000]
    c = FamilyTeamConference.objects.latest("pk")
    assert c.student == cw.w.own and c.facilitator == cw.users["staff"]
    # The blank staff row (no user, no name) is ignored; the family row is kept.
    assert [p.name for p in c.participants.all()] == ["Rosa Own"]
    assert c.needs.get().description == "Needs glasses"
    assert c.actions.get().owner_name == "Rosa Own"


def test_bad_input_keeps_values(cw: Any, as_user: Any) -> None:
    client = as_user(cw.users["staff"])
    url = reverse("conference_new") + f"?student={cw.w.own.pk}"
    count = FamilyTeamConference.objects.count()
    response = client.post(
        url,
        _post_data(
            cw, consent_given_by="", consent_method="", consent_given_at="", place="Library"
        ),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "only with the family" in body
    assert 'value="Library"' in body and "Needs glasses" in body and "Book an eye exam" in body
    assert FamilyTeamConference.objects.count() == count
    response = client.post(url, _post_data(cw, held_on="not a date"))
    assert response.status_code == 400 and "Enter a valid date" in response.content.decode()


def test_refer_link_prefills_student(cw: Any, as_user: Any) -> None:
    body = (
        as_user(cw.users["staff"])
        .get(reverse("conference_detail", args=[cw.conference.pk]))
        .content.decode()
    )
    refer = reverse("referral_new", args=[cw.w.t1.schools[0].pk]) + f"?student={cw.w.own.pk}"
    assert refer in body
    # The partner does not refer for the school: no such button.
    body = (
        as_user(cw.users["partner_staff_a"])
        .get(reverse("conference_detail", args=[cw.conference.pk]))
        .content.decode()
    )
    assert refer not in body


def test_edit_optimistic(cw: Any, as_user: Any) -> None:
    url = reverse("conference_edit", args=[cw.conference.pk])
    staff = as_user(cw.users["staff"])
    ok = staff.post(url, _post_data(cw, expected_version="1", decisions="First edit"))
    assert ok.status_code == 302
    stale = staff.post(url, _post_data(cw, expected_version="1", decisions="Second edit"))
    assert stale.status_code == 409
    assert "Someone else changed this conference" in stale.content.decode()
    cw.conference.refresh_from_db()
    assert cw.conference.decisions == "First edit" and cw.conference.version == 2


# --- API -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_detail(cw: Any, as_user: Any, persona: str) -> None:
    user = cw.users[persona]
    before = _disclosures(user)
    response = as_user(user).get(f"/api/v1/conferences/{cw.conference.pk}")
    assert response.status_code == DETAIL[persona]
    if response.status_code == 200:
        body = response.json()
        assert body["family"] == "Ana Own" and body["needs"][0]["domain"] == "academics"
        assert [p["present"] for p in body["participants"]] == [True, True, True, False]
    else:
        assert "detail" in response.json()
    assert _disclosures(user) - before == (1 if persona == "partner_staff_a" else 0)


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_list(cw: Any, as_user: Any, persona: str) -> None:
    response = as_user(cw.users[persona]).get("/api/v1/conferences")
    assert response.status_code == LIST[persona]
    if response.status_code == 200:
        ids = [c["id"] for c in response.json()["items"]]
        assert (cw.conference.pk in ids) == (DETAIL[persona] == 200)


def test_api_other_network_and_bad_id(cw: Any, t2: Any, as_user: Any) -> None:
    client = as_user(t2.users["staff"])
    assert client.get(f"/api/v1/conferences/{cw.conference.pk}").status_code == 404
    assert client.get("/api/v1/conferences/0").status_code in (400, 422)
    assert client.get("/api/v1/conferences/abc").status_code in (400, 422)


def test_api_query_count(cw: Any, as_user: Any, django_assert_max_num_queries: Any) -> None:
    client = as_user(cw.users["partner_staff_a"])
    client.get("/api/v1/conferences")
    with django_assert_max_num_queries(14):
        assert client.get("/api/v1/conferences").status_code == 200


def test_student_link_helper(cw: Any) -> None:
    from wraparound.conferences.views import student_link

    url, n = student_link(cw.users["staff"], cw.w.own)
    assert n == 1 and url.endswith(f"?student={cw.w.own.pk}")
    assert student_link(cw.users["coordinator"], cw.w.own) == ("", 0)
    assert student_link(cw.users["network_admin"], cw.w.own) == ("", 0)


FAMILY_NEW = {p: 404 for p in PERSONAS} | {
    "staff": 200,
    "coordinator": 200,
    "supervisor": 200,
    "partner_staff_b": 200,  # org B serves the family (the referral of their child)
    "network_admin": 403,
    "network_supervisor": 403,
    "principal": 403,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_new_family_conference_page(cw: Any, as_user: Any, persona: str) -> None:
    guardian = cw.w.consented.guardian_links.get().guardian
    url = reverse("conference_new") + f"?guardian={guardian.pk}"
    response = as_user(cw.users[persona]).get(url)
    assert response.status_code == FAMILY_NEW[persona]
    if response.status_code == 200:
        assert guardian.display_name in response.content.decode()


def test_those_present_who_left_the_network_read_it_no_more(cw: Any, as_user: Any) -> None:
    from wraparound.core.models import Membership

    url = reverse("conference_detail", args=[cw.conference.pk])
    for persona in ("staff", "partner_staff_a"):  # the facilitator and a partner present
        user = cw.users[persona]
        assert as_user(user).get(url).status_code == 200
        Membership.objects.filter(user=user).update(is_active=False)
        assert as_user(user).get(url).status_code == 404
