"""Cross-agency referrals between coalition member agencies: who may refer whom to whom, the
same sharing gate, the receiving agency's inbox, the closed loop, the coalition's counts, and
school referrals within a coalition."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from wraparound.coalitions.models import CoalitionMember, MemberKind
from wraparound.core.models import Disclosure
from wraparound.core.tests.factories import OrganizationFactory
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.tests.factories import ServiceFactory
from wraparound.referrals import referral_selectors as selectors
from wraparound.referrals import referral_services as services
from wraparound.referrals.models import Referral, ReferralStatus
from wraparound.students.tests.factories import ConsentFactory
from wraparound.students.tests.world import student_world
from wraparound.students.visibility import SharingRefused

pytestmark = pytest.mark.django_db

S = ReferralStatus


class World:
    def __init__(self, t1: Any, t2: Any = None) -> None:
        self.t1 = t1
        self.w = student_world(t1, t2)
        c = t1.coalition
        CoalitionMember.objects.create(
            coalition=c, kind=MemberKind.COMMUNITY_ORGANIZATION, organization=t1.org_a
        )
        CoalitionMember.objects.create(
            coalition=c, kind=MemberKind.COMMUNITY_ORGANIZATION, organization=t1.org_b
        )
        self.org_c = OrganizationFactory(network=t1.network, name="North Outside C")
        self.service_c = ServiceFactory(organization=self.org_c, name="Outside help")
        self.users = t1.users


@pytest.fixture
def x(t1: Any, t2: Any) -> World:
    return World(t1, t2)


def _consent_to_b(x: World, elements: list[str] | None = None) -> Any:
    return ConsentFactory(
        student=x.w.own,
        recipient_organization=x.t1.org_b,
        data_elements=elements or ["name", "grade"],
    )


def _refer(x: World, **kw: Any) -> Referral:
    args: dict[str, Any] = {
        "user": x.users["partner_staff_a"],
        "referring_organization": x.t1.org_a,
        "student": x.w.own,
        "service": x.w.service_b,
        "reason": "Needs a mentor after school.",
        "shared_elements": ["name", "grade"],
        "send": True,
    }
    args.update(kw)
    return services.referral_create_cross_agency(**args)


def test_a_refers_a_student_it_serves_to_member_b(x: World) -> None:
    _consent_to_b(x)
    r = _refer(x)
    assert r.status == S.SENT
    assert r.referring_organization == x.t1.org_a and r.coalition == x.t1.coalition
    assert r.school == x.w.own.school and r.organization == x.t1.org_b
    assert r.basis == "consent" and r.consent is not None
    assert r.response_due_on is not None  # the same SLA


def test_not_to_a_non_member(x: World) -> None:
    _consent_to_b(x)
    with pytest.raises(ValidationError) as e:
        _refer(x, service=x.service_c)
    assert "not a member agency" in e.value.message_dict["service"][0]
    with pytest.raises(ValidationError):
        _refer(x, service=x.w.service_a)  # its own service
    # An inactive membership does not count.
    CoalitionMember.objects.filter(organization=x.t1.org_b).update(is_active=False)
    with pytest.raises(ValidationError):
        _refer(x)


def test_not_a_student_it_does_not_serve(x: World, as_user: Any) -> None:
    with pytest.raises(PermissionDenied):
        _refer(x, student=x.w.consented)  # served by B, not A
    url = reverse("referral_cross_agency_new", args=[x.t1.org_a.pk])
    client = as_user(x.users["partner_staff_a"])
    assert client.get(url + f"?student={x.w.consented.pk}").status_code == 404
    assert client.get(url + f"?student={x.w.other_network.pk}").status_code == 404
    assert client.get(url).status_code == 404
    # A draft referral to A does not make A serve the student.
    assert client.get(url + f"?student={x.w.draft_to_a.student_id}").status_code == 404


def test_gate_refuses_without_dsa_or_consent_and_names_it(x: World, as_user: Any) -> None:
    count = Referral.objects.count()
    with pytest.raises(SharingRefused) as e:
        _refer(x)
    message = str(e.value)
    assert x.t1.org_b.name in message and "consent" in message and "agreement" in message
    assert Referral.objects.count() == count
    client = as_user(x.users["partner_staff_a"])
    url = reverse("referral_cross_agency_new", args=[x.t1.org_a.pk]) + f"?student={x.w.own.pk}"
    response = client.post(
        url,
        {
            "service": x.w.service_b.pk,
            "reason": "Mentor",
            "shared_elements": ["name", "grade"],
            "action": "send",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "No data-sharing agreement" in body and "Mentor" in body
    assert Referral.objects.count() == count


def test_b_sees_it_in_its_inbox_with_only_allowed_fields(x: World, as_user: Any) -> None:
    _consent_to_b(x, ["name"])  # the family allows B only the name
    r = _refer(x, shared_elements=["name"])
    client = as_user(x.users["partner_staff_b"])
    before = Disclosure.objects.filter(viewer=x.users["partner_staff_b"]).count()
    body = client.get(reverse("referral_partner_inbox", args=[x.t1.org_b.pk])).content.decode()
    assert "Ana Own" in body
    detail = client.get(reverse("referral_detail", args=[r.pk])).content.decode()
    assert "Ana Own" in detail and x.t1.org_a.name in detail
    assert "Needs a mentor" not in detail  # notes not shared
    assert Disclosure.objects.filter(viewer=x.users["partner_staff_b"]).count() > before


def test_the_loop_closes(x: World, as_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    _consent_to_b(x)
    with django_capture_on_commit_callbacks(execute=True):
        r = _refer(x)
    b, a = x.users["partner_staff_b"], x.users["partner_staff_a"]
    with pytest.raises(PermissionDenied):
        services.referral_accept(user=a, referral=r, expected_version=r.version)
    with django_capture_on_commit_callbacks(execute=True):
        r = services.referral_accept(user=b, referral=r, expected_version=r.version)
        r = services.referral_start(user=b, referral=r, expected_version=r.version)
        r = services.referral_complete(user=b, referral=r, expected_version=r.version)
    assert r.status == S.COMPLETED
    # A reads the outcome (and whom it referred, through its own referral); it is notified.
    response = as_user(a).get(reverse("referral_detail", args=[r.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ana Own" in body and "Needs a mentor" in body
    assert a.notifications.count() >= 3


def test_referrer_agency_withdraws_and_edits_drafts(x: World, as_user: Any) -> None:
    _consent_to_b(x)
    draft = _refer(x, send=False)
    assert draft.status == S.DRAFT
    # B never sees A's draft.
    b = as_user(x.users["partner_staff_b"])
    assert b.get(reverse("referral_detail", args=[draft.pk])).status_code == 404
    a = as_user(x.users["partner_staff_a"])
    assert a.get(reverse("referral_edit", args=[draft.pk])).status_code == 200
    sent = services.referral_send(
        user=x.users["partner_staff_a"], referral=draft, expected_version=draft.version
    )
    done = services.referral_withdraw(
        user=x.users["partner_staff_a"],
        referral=sent,
        expected_version=sent.version,
        reason="family_declined",
    )
    assert done.status == S.WITHDRAWN


def test_family_referral_across_agencies(x: World) -> None:
    guardian = x.w.consented.guardian_links.get().guardian
    r = services.referral_create_cross_agency(
        user=x.users["partner_staff_b"],
        referring_organization=x.t1.org_b,
        student=None,
        guardian=guardian,
        service=x.w.service_a,
        reason="The family needs homework help for the younger sibling.",
        shared_elements=[],
        send=True,
    )
    assert r.guardian == guardian and r.school == x.w.consented.school
    assert r.coalition == x.t1.coalition and r.status == S.SENT


NEW_PAGE = {p: 404 for p in PERSONAS} | {"partner_staff_a": 200}


@pytest.mark.parametrize("persona", PERSONAS)
def test_new_page_personas(x: World, as_user: Any, persona: str) -> None:
    url = reverse("referral_cross_agency_new", args=[x.t1.org_a.pk]) + f"?student={x.w.own.pk}"
    response = as_user(x.users[persona]).get(url)
    assert response.status_code == NEW_PAGE[persona]
    if response.status_code == 200:
        body = response.content.decode()
        assert "Mentoring —" in body
        assert "Outside help" not in body and "Homework Club —" not in body


def test_new_page_other_network(x: World, t2: Any, as_user: Any) -> None:
    url = reverse("referral_cross_agency_new", args=[x.t1.org_a.pk]) + f"?student={x.w.own.pk}"
    for persona in PERSONAS:
        assert as_user(t2.users[persona]).get(url).status_code == 404


def test_new_page_posts(x: World, as_user: Any) -> None:
    _consent_to_b(x)
    url = reverse("referral_cross_agency_new", args=[x.t1.org_a.pk]) + f"?student={x.w.own.pk}"
    response = as_user(x.users["partner_staff_a"]).post(
        url,
        {
            "service": x.w.service_b.pk,
            "reason": "Mentor",
            "shared_elements": ["name", "grade"],
            "action": "send",
        },
    )
    assert response.status_code == 302
    r = Referral.objects.latest("pk")
    assert r.referring_organization == x.t1.org_a and r.status == S.SENT
    bad = as_user(x.users["partner_staff_a"]).post(
        url, {"service": x.service_c.pk, "reason": "", "action": "send"}
    )
    assert bad.status_code == 400


COALITION_PAGE = {p: 404 for p in PERSONAS} | {
    "network_admin": 200,
    "coalition_member": 200,
    "partner_admin": 200,
    "partner_staff_a": 200,
    "partner_staff_b": 200,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_coalition_page(x: World, as_user: Any, persona: str) -> None:
    _consent_to_b(x)
    r = _refer(x)
    response = as_user(x.users[persona]).get(
        reverse("referral_coalition_list", args=[x.t1.coalition.pk])
    )
    assert response.status_code == COALITION_PAGE[persona]
    if response.status_code == 200:
        body = response.content.decode()
        assert 'id="count-sent">1<' in body
        assert "Ana Own" not in body  # never a student's name here
        link = reverse("referral_detail", args=[r.pk])
        # Rows only for those who could already open the referral.
        assert (link in body) == (
            persona in ("partner_staff_a", "partner_staff_b", "network_admin")
        )
        # The coalition's navigation for those who may open its pages, not for agency staff.
        home = reverse("coalition_detail", args=[x.t1.coalition.pk])
        assert (f'href="{home}"' in body) == (persona in ("network_admin", "coalition_member"))


def test_coalition_page_other_network(x: World, t2: Any, as_user: Any) -> None:
    url = reverse("referral_coalition_list", args=[x.t1.coalition.pk])
    for persona in PERSONAS:
        assert as_user(t2.users[persona]).get(url).status_code == 404
    assert as_user(x.users["staff"]).get("/coalitions/999999/referrals/").status_code == 404


def test_school_referral_within_the_coalition(x: World) -> None:
    service_c: Any = x.service_c
    # School 0 is in the coalition's community: a referral to a member agency carries it.
    ConsentFactory(student=x.w.own, recipient_organization=x.t1.org_b, data_elements=["name"])
    r = services.referral_create(
        user=x.users["coordinator"],
        school=x.t1.schools[0],
        student=x.w.own,
        service=x.w.service_b,
        reason="Mentor",
        shared_elements=["name"],
    )
    assert r.coalition == x.t1.coalition and r.referring_organization is None
    outside = services.referral_create(
        user=x.users["coordinator"],
        school=x.t1.schools[0],
        student=x.w.own,
        service=service_c,
        reason="Other",
        shared_elements=[],
    )
    assert outside.coalition is None
    # School 3 (another community, not a member) gets no coalition.
    far = services.referral_create(
        user=x.users["network_admin"],
        school=x.t1.schools[3],
        student=x.w.other_school,
        service=x.w.service_b,
        reason="Mentor",
        shared_elements=[],
    )
    assert far.coalition is None


def test_form_lists_member_services_first(x: World) -> None:
    names = [s.name for s in selectors.referable_services(x.t1.schools[0])]
    assert names.index("Outside help") > max(names.index("Mentoring"), names.index("Homework Club"))


def test_referral_detail_offers_the_onward_link(x: World, as_user: Any) -> None:
    body = (
        as_user(x.users["partner_staff_a"])
        .get(reverse("referral_detail", args=[x.w.to_a.pk]))
        .content.decode()
    )
    assert reverse("referral_cross_agency_new", args=[x.t1.org_a.pk]) in body
    body = (
        as_user(x.users["coordinator"])
        .get(reverse("referral_detail", args=[x.w.to_a.pk]))
        .content.decode()
    )
    assert reverse("referral_cross_agency_new", args=[x.t1.org_a.pk]) not in body


# --- API -----------------------------------------------------------------------------------------


def _api(x: World, **kw: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "referring_organization": x.t1.org_a.pk,
        "student": x.w.own.pk,
        "service": x.w.service_b.pk,
        "reason": "Mentor",
        "shared_elements": ["name", "grade"],
        "send": True,
    }
    payload.update(kw)
    return payload


API = {p: 404 for p in PERSONAS} | {"partner_staff_a": 201}


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_create_personas(x: World, as_user: Any, persona: str) -> None:
    _consent_to_b(x)
    response = as_user(x.users[persona]).post(
        "/api/v1/cross-agency-referrals", _api(x), content_type="application/json"
    )
    assert response.status_code == API[persona], response.content
    if response.status_code == 201:
        assert response.json()["organization_id"] == x.t1.org_b.pk
        assert response.json()["status"] == "sent"
    else:
        assert "detail" in response.json()


def test_api_errors(x: World, as_user: Any) -> None:
    client = as_user(x.users["partner_staff_a"])

    def post(**kw: Any) -> Any:
        return client.post(
            "/api/v1/cross-agency-referrals", _api(x, **kw), content_type="application/json"
        )

    refused = post()
    assert refused.status_code == 400 and "No data-sharing agreement" in refused.json()["detail"]
    assert post(student=x.w.consented.pk).status_code == 404
    outside = post(service=x.service_c.pk, shared_elements=[])
    assert outside.status_code == 400 and "not a member agency" in outside.json()["detail"]
    assert post(service=999999).status_code == 400
    assert post(guardian=1).status_code == 400
    assert post(reason="   ", shared_elements=[]).status_code == 400
