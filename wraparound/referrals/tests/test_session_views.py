from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wraparound.core.tests.personas import PERSONAS
from wraparound.referrals import session_services as services
from wraparound.referrals.models import ReferralStatus, ServiceSession
from wraparound.referrals.session_csv import COLUMNS
from wraparound.referrals.tests.factories import ReferralFactory, ServiceSessionFactory
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
    return build(t1, t2)


@pytest.fixture
def logged(sw: SessionWorld) -> dict[str, ServiceSession]:
    return {
        "partner": services.session_log(user=sw.users["partner_staff_a"], **group_args(sw)),
        "school": services.session_log(user=sw.users["staff"], **group_args(sw, organization=None)),
    }


def _expect(allowed: set[str], forbidden: set[str] = frozenset()) -> dict[str, int]:  # type: ignore[assignment]
    return {p: 200 if p in allowed else 403 if p in forbidden else 404 for p in PERSONAS}


def _matrix(sw: SessionWorld, as_user: Any, url: str, expected: dict[str, int]) -> None:
    got = {p: as_user(sw.users[p]).get(url).status_code for p in PERSONAS}
    assert got == expected
    assert as_user(sw.t2.users["network_admin"]).get(url).status_code == 404


# --- authorization, page by page ---------------------------------------------------------------


def test_organization_sessions_list(sw: SessionWorld, as_user: Any, logged: Any) -> None:
    url = reverse("session_org_list", args=[sw.t1.org_a.pk])
    _matrix(sw, as_user, url, _expect({"network_admin", "partner_admin", "partner_staff_a"}))


@pytest.mark.parametrize("page", ["session_org_log", "session_org_roster", "session_org_upload"])
def test_organization_logging_pages(sw: SessionWorld, as_user: Any, page: str) -> None:
    url = reverse(page, args=[sw.t1.org_a.pk])
    _matrix(sw, as_user, url, _expect({"partner_admin", "partner_staff_a"}, {"network_admin"}))


def test_school_sessions_list(sw: SessionWorld, as_user: Any, logged: Any) -> None:
    url = reverse("session_school_list", args=[sw.school.pk])
    _matrix(sw, as_user, url, _expect(SCHOOL_OFFICIALS, {"evaluator"}))


@pytest.mark.parametrize(
    "page", ["session_school_log", "session_school_roster", "session_school_upload"]
)
def test_school_logging_pages(sw: SessionWorld, as_user: Any, page: str) -> None:
    url = reverse(page, args=[sw.school.pk])
    _matrix(
        sw,
        as_user,
        url,
        _expect(
            {"network_admin", "coordinator", "staff", "supervisor"},
            {"evaluator", "principal", "network_supervisor"},
        ),
    )


def test_session_detail(sw: SessionWorld, as_user: Any, logged: Any) -> None:
    partner_url = reverse("session_detail", args=[logged["partner"].pk])
    _matrix(
        sw,
        as_user,
        partner_url,
        _expect(SCHOOL_OFFICIALS | {"partner_admin", "partner_staff_a"}),
    )
    _matrix(
        sw,
        as_user,
        reverse("session_detail", args=[logged["school"].pk]),
        _expect(SCHOOL_OFFICIALS),
    )


def test_session_edit(sw: SessionWorld, as_user: Any, logged: Any) -> None:
    url = reverse("session_edit", args=[logged["partner"].pk])
    _matrix(
        sw,
        as_user,
        url,
        _expect({"partner_admin", "partner_staff_a"}, SCHOOL_OFFICIALS),
    )


def test_student_sessions(sw: SessionWorld, as_user: Any, logged: Any) -> None:
    _matrix(sw, as_user, reverse("student_sessions", args=[sw.w.own.pk]), _expect(SCHOOL_OFFICIALS))


def test_partnership_delivery(sw: SessionWorld, as_user: Any, logged: Any) -> None:
    url = reverse("partnership_delivery", args=[sw.w.partnership_a.pk])
    readers = SCHOOL_OFFICIALS | {"partner_admin", "partner_staff_a"}
    # Evaluators read partnerships but not the counts of children served (403: no secret).
    _matrix(sw, as_user, url, _expect(readers, {"evaluator"}))


# --- behaviour ---------------------------------------------------------------------------------


def _post(sw: SessionWorld, **extra: Any) -> dict[str, Any]:
    data = {
        "kind": "group",
        "school": str(sw.school.pk),
        "service": str(sw.w.service_a.pk),
        "date": sw.today.isoformat(),
        "starts_at": "15:30",
        "duration_minutes": "60",
        "modality": "in_person",
        "place": "Library",
        "notes": "",
        f"present_{sw.w.own.pk}": "on",
        f"minutes_{sw.w.consented.pk}": "20",
        f"present_{sw.w.consented.pk}": "on",
    }
    data.update(extra)
    return data


def test_the_group_form_lists_the_roster_and_logs_it(sw: SessionWorld, as_user: Any) -> None:
    client = as_user(sw.users["partner_staff_a"])
    url = reverse("session_org_log", args=[sw.t1.org_a.pk])
    page = client.get(url, {"school": sw.school.pk, "service": sw.w.service_a.pk})
    body = page.content.decode()
    assert "Ana Own" in body and "Cy Consented" in body
    assert f'name="present_{sw.w.own.pk}"' in body
    response = client.post(url, _post(sw))
    session = ServiceSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("session_detail", args=[session.pk])
    assert {(a.student_id, a.present, a.minutes) for a in session.attendance.all()} == {
        (sw.w.own.pk, True, None),
        (sw.w.consented.pk, True, 20),
        (sw.sibling.pk, False, None),  # its box was not ticked
    }


def test_the_partner_admin_sees_the_roster_without_names(sw: SessionWorld, as_user: Any) -> None:
    client = as_user(sw.users["partner_admin"])
    url = reverse("session_org_roster", args=[sw.t1.org_a.pk])
    body = client.get(url, {"school": sw.school.pk, "service": sw.w.service_a.pk}).content.decode()
    assert "Ana Own" not in body
    assert f"Student {sw.w.own.pk} (name not shared)" in body


def test_a_posted_student_not_on_the_roster_is_a_400_naming_it(
    sw: SessionWorld, as_user: Any
) -> None:
    stranger = StudentFactory(school=sw.school)
    client = as_user(sw.users["partner_staff_a"])
    url = reverse("session_org_log", args=[sw.t1.org_a.pk])
    response = client.post(url, _post(sw, **{f"present_{stranger.pk}": "on", "place": "Gym 2"}))
    assert response.status_code == 400
    body = response.content.decode()
    assert f"Student {stranger.pk} is not on this session&#x27;s roster." in body
    assert 'value="Gym 2"' in body  # what was typed is kept
    assert not ServiceSession.objects.exists()


def test_bad_details_are_a_400(sw: SessionWorld, as_user: Any) -> None:
    client = as_user(sw.users["partner_staff_a"])
    url = reverse("session_org_log", args=[sw.t1.org_a.pk])
    response = client.post(url, _post(sw, duration_minutes="601"))
    assert response.status_code == 400
    response = client.post(url, _post(sw, school=str(sw.t2.schools[0].pk)))
    assert response.status_code == 400
    assert not ServiceSession.objects.exists()


def test_school_staff_log_an_individual_session(sw: SessionWorld, as_user: Any) -> None:
    student = StudentFactory(school=sw.school, given_name="Dora", family_name="Walkin")
    client = as_user(sw.users["staff"])
    url = reverse("session_school_log", args=[sw.school.pk])
    page = client.get(url, {"kind": "individual"}).content.decode()
    assert "Dora Walkin" in page
    data = _post(sw, kind="individual", service="", student=str(student.pk), present="on")
    del data["school"]
    response = client.post(url, data)
    assert response.status_code == 302
    session = ServiceSession.objects.get()
    assert session.organization is None
    assert session.attendance.get().student == student


def test_upload_dry_run_then_write(sw: SessionWorld, as_user: Any) -> None:
    client = as_user(sw.users["partner_staff_a"])
    url = reverse("session_org_upload", args=[sw.t1.org_a.pk])
    day, svc = sw.today.isoformat(), sw.w.service_a.pk
    row = f"{day},15:30,60,in_person,Library,{svc},{sw.w.own.sourced_id},yes,,,"
    content = (",".join(COLUMNS) + "\n" + row + "\n").encode()

    def send(dry: bool, data: bytes = content) -> Any:
        form = {"school": sw.school.pk, "file": SimpleUploadedFile("s.csv", data)}
        if dry:
            form["dry_run"] = "on"
        return client.post(url, form)

    response = send(True)
    assert response.status_code == 200
    assert "sessions would be logged" in response.content.decode()
    assert not ServiceSession.objects.exists()
    bad = send(False, content.replace(b",yes,", b",perhaps,"))
    assert bad.status_code == 400
    assert "Write yes or no." in bad.content.decode()
    assert not ServiceSession.objects.exists()
    assert send(False).status_code == 302
    assert ServiceSession.objects.count() == 1


def test_edit_and_delete(sw: SessionWorld, as_user: Any, logged: Any) -> None:
    session = logged["partner"]
    client = as_user(sw.users["partner_staff_a"])
    url = reverse("session_edit", args=[session.pk])
    page = client.get(url).content.decode()
    assert 'value="Library"' in page and "Ana Own" in page
    data = _post(sw, place="Gym", duration_minutes="45")
    for name in ("kind", "school", "service"):
        del data[name]
    response = client.post(url, data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.place, session.duration_minutes) == ("Gym", 45)
    assert (
        as_user(sw.users["coordinator"])
        .post(reverse("session_delete", args=[session.pk]))
        .status_code
        == 403
    )
    assert (
        as_user(sw.users["partner_staff_b"])
        .post(reverse("session_delete", args=[session.pk]))
        .status_code
        == 404
    )
    response = as_user(sw.users["partner_admin"]).post(reverse("session_delete", args=[session.pk]))
    assert response.status_code == 302
    assert not ServiceSession.objects.filter(pk=session.pk).exists()


def test_detail_names_as_the_viewer_may_see(sw: SessionWorld, as_user: Any, logged: Any) -> None:
    url = reverse("session_detail", args=[logged["partner"].pk])
    assert "Ana Own" in as_user(sw.users["partner_staff_a"]).get(url).content.decode()
    hidden = as_user(sw.users["partner_admin"]).get(url).content.decode()
    assert "Ana Own" not in hidden and f"Student {sw.w.own.pk} (name not shared)" in hidden
    assert "Ana Own" in as_user(sw.users["principal"]).get(url).content.decode()


def test_student_dosage_page(sw: SessionWorld, as_user: Any, logged: Any) -> None:
    body = (
        as_user(sw.users["coordinator"])
        .get(reverse("student_sessions", args=[sw.w.consented.pk]))
        .content.decode()
    )
    # Ben: 30 minutes of the partner session and 30 of the school's (both Homework Club).
    assert "2 sessions attended, 1.0 hours in all." in body


def test_delivery_page(sw: SessionWorld, as_user: Any, logged: Any) -> None:
    body = (
        as_user(sw.users["partner_staff_a"])
        .get(reverse("partnership_delivery", args=[sw.w.partnership_a.pk]))
        .content.decode()
    )
    assert "Small-group tutoring" in body and "Delivered against promised" in body


# --- query counts ------------------------------------------------------------------------------


def _count(client: Any, url: str, params: Any = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_session_lists_do_not_query_per_session(
    sw: SessionWorld, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    ServiceSessionFactory(school=sw.school, organization=sw.t1.org_a, service=sw.w.service_a)
    org_client = as_user(sw.users["partner_staff_a"])
    org_url = reverse("session_org_list", args=[sw.t1.org_a.pk])
    school_url = reverse("session_school_list", args=[sw.school.pk])
    one_org = _count(org_client, org_url)
    one_school = _count(as_user(sw.users["coordinator"]), school_url)
    for _ in range(29):
        ServiceSessionFactory(school=sw.school, organization=sw.t1.org_a, service=sw.w.service_a)
    org_client = as_user(sw.users["partner_staff_a"])
    with django_assert_max_num_queries(one_org):
        assert org_client.get(org_url).status_code == 200
    school_client = as_user(sw.users["coordinator"])
    with django_assert_max_num_queries(one_school):
        response = school_client.get(school_url)
    assert "30 sessions" in response.content.decode()
    assert one_org <= 10 and one_school <= 10


def test_session_lists_page_through_every_session_latest_first(
    sw: SessionWorld, as_user: Any
) -> None:
    first = dt.date(2026, 1, 5)
    made = [
        ServiceSessionFactory(
            school=sw.school,
            organization=sw.t1.org_a,
            service=sw.w.service_a,
            date=first + dt.timedelta(days=i),
        )
        for i in range(55)
    ]
    client = as_user(sw.users["partner_staff_a"])
    url = reverse("session_org_list", args=[sw.t1.org_a.pk])
    page_one = client.get(url).content.decode()
    assert "55 sessions" in page_one and "1–50, latest first" in page_one
    assert reverse("session_detail", args=[made[-1].pk]) in page_one
    assert reverse("session_detail", args=[made[4].pk]) not in page_one
    assert 'href="?page=2"' in page_one
    page_two = client.get(url, {"page": 2}).content.decode()
    # The oldest five, the first of them among them: nothing is out of reach.
    assert all(reverse("session_detail", args=[m.pk]) in page_two for m in made[:5])
    assert reverse("session_detail", args=[made[5].pk]) not in page_two
    assert client.get(url, {"page": "x"}).status_code == 200


def test_the_group_form_does_not_query_per_roster_student(
    sw: SessionWorld, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    client = as_user(sw.users["staff"])
    url = reverse("session_school_log", args=[sw.school.pk])
    params = {"service": sw.w.service_a.pk}
    small = _count(client, url, params)
    for i in range(27):
        ReferralFactory(
            student=StudentFactory(school=sw.school, family_name=f"Zed{i:02d}"),
            service=sw.w.service_a,
            referred_by=sw.users["coordinator"],
            status=ReferralStatus.IN_SERVICE,
        )
    client = as_user(sw.users["staff"])
    with django_assert_max_num_queries(small):
        response = client.get(url, params)
    assert "30 students on the roster" in response.content.decode()
    assert small <= 15


def test_the_partner_group_form_queries_stay_bounded(
    sw: SessionWorld, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    """Partner names come through `visibility.partner_views`, which reads the grounds (the
    agreement in force, the family's consents) in batches: ten times the roster, same count."""
    client = as_user(sw.users["partner_staff_a"])
    url = reverse("session_org_log", args=[sw.t1.org_a.pk])
    params = {"school": sw.school.pk, "service": sw.w.service_a.pk}
    small = _count(client, url, params)  # 3 roster students
    for i in range(27):
        ReferralFactory(
            student=StudentFactory(school=sw.school, family_name=f"Zed{i:02d}"),
            service=sw.w.service_a,
            partnership=sw.w.partnership_a,
            referred_by=sw.users["coordinator"],
            status=ReferralStatus.IN_SERVICE,
            shared_elements=["name"],
        )
    client = as_user(sw.users["partner_staff_a"])
    with django_assert_max_num_queries(small):
        response = client.get(url, params)
    assert "30 students on the roster" in response.content.decode()
    assert small <= 25
