"""Profile, service, review and freshness pages: who may open what, what they do, query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from wraparound.core.models import VettingStatus
from wraparound.directory import diff, selectors, services
from wraparound.directory.models import ChangeRequest, ChangeStatus, Service
from wraparound.directory.tests.factories import (
    LanguageFactory,
    ScheduleFactory,
    ServiceCapacityFactory,
    ServiceFactory,
)
from wraparound.directory.tests.test_forms import service_post_data

pytestmark = pytest.mark.django_db


def vet(organization: Any) -> None:
    organization.vetting_status = VettingStatus.VETTED
    organization.save(update_fields=["vetting_status"])


@pytest.fixture
def service(t1: Any) -> Service:
    s = ServiceFactory.create(organization=t1.org_a, description="Homework help.")
    ServiceCapacityFactory(service=s, available=10, maximum=40)
    ScheduleFactory(service_at_location__service=s)
    LanguageFactory(service=s)
    return s


def urls(t1: Any, service: Service) -> dict[str, str]:
    org = t1.org_a.pk
    return {
        "profile": reverse("directory_organization", args=[org]),
        "service": reverse("directory_service", args=[org, service.pk]),
        "edit": reverse("directory_organization_edit", args=[org]),
        "service_edit": reverse("directory_service_edit", args=[org, service.pk]),
        "service_new": reverse("directory_service_new", args=[org]),
    }


def post_for(service: Service, **changes: Any) -> dict[str, Any]:
    snap = selectors.service_snapshot(service)
    data = service_post_data(snap, base_hash=diff.snapshot_hash(snap))
    data.update(changes)
    return data


# --- who may open what ----------------------------------------------------------------------------


VIEWERS = {"partner_admin": 200, "partner_staff_a": 200, "network_admin": 200}
NOT_VIEWERS = ["partner_staff_b", "coordinator", "principal", "staff", "evaluator", "outsider"]


@pytest.mark.parametrize("persona", [*VIEWERS, *NOT_VIEWERS])
def test_profile_and_service_pages_by_role(
    t1: Any, service: Service, as_user: Any, persona: str
) -> None:
    client = as_user(t1.users[persona])
    for name in ("profile", "service"):
        response = client.get(urls(t1, service)[name])
        assert response.status_code == VIEWERS.get(persona, 404), (persona, name)


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("partner_admin", 200),
        ("network_admin", 200),
        ("partner_staff_a", 403),
        ("partner_staff_b", 404),
        ("coordinator", 404),
        ("principal", 404),
        ("outsider", 404),
    ],
)
def test_edit_pages_by_role(
    t1: Any, service: Service, as_user: Any, persona: str, status: int
) -> None:
    client = as_user(t1.users[persona])
    for name in ("edit", "service_edit", "service_new"):
        assert client.get(urls(t1, service)[name]).status_code == status, (persona, name)
    response = client.post(urls(t1, service)["service_edit"], post_for(service, name="Hijacked"))
    assert response.status_code == (302 if status == 200 else status)
    confirm = client.post(reverse("directory_organization_confirm", args=[t1.org_a.pk]))
    assert confirm.status_code == (302 if status == 200 else status)
    if status != 200:
        service.refresh_from_db()
        assert service.name != "Hijacked"


def test_other_tenant_sees_nothing(t1: Any, t2: Any, service: Service, as_user: Any) -> None:
    for persona in ("partner_admin", "network_admin", "partner_staff_a"):
        client = as_user(t2.users[persona])
        for url in urls(t1, service).values():
            assert client.get(url).status_code == 404, (persona, url)


def test_a_partner_admin_cannot_reach_another_organizations_service(t1: Any, as_user: Any) -> None:
    other = ServiceFactory.create(organization=t1.org_b)
    client = as_user(t1.users["partner_admin"])
    # Through the other organization's address: 404; through their own: 404 too.
    assert (
        client.get(reverse("directory_service_edit", args=[t1.org_b.pk, other.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("directory_service_edit", args=[t1.org_a.pk, other.pk])).status_code
        == 404
    )
    response = client.post(
        reverse("directory_service_edit", args=[t1.org_a.pk, other.pk]), post_for(other, name="X")
    )
    assert response.status_code == 404


def test_anonymous_users_are_sent_to_sign_in(t1: Any, service: Service, client: Any) -> None:
    response = client.get(urls(t1, service)["profile"])
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- partner edits --------------------------------------------------------------------------------


def test_partner_admin_edits_an_unvetted_service_at_once(
    t1: Any, service: Service, as_user: Any
) -> None:
    client = as_user(t1.users["partner_admin"])
    response = client.post(
        urls(t1, service)["service_edit"],
        post_for(service, description="Math and reading", capacity_available="4"),
    )
    assert response.status_code == 302
    assert response["Location"] == urls(t1, service)["service"]
    service.refresh_from_db()
    assert service.description == "Math and reading"
    page = client.get(urls(t1, service)["service"])
    assert b"Math and reading" in page.content and b"4 students available" in page.content


def test_an_invalid_service_edit_keeps_what_was_typed_and_writes_nothing(
    t1: Any, service: Service, as_user: Any
) -> None:
    client = as_user(t1.users["partner_admin"])
    response = client.post(
        urls(t1, service)["service_edit"],
        post_for(service, description="Typed text", capacity_available="50"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Typed text" in html
    assert "There cannot be more places available than in all." in html
    assert 'role="alert"' in html
    service.refresh_from_db()
    assert service.description == "Homework help."


def test_a_vetted_edit_goes_to_review_and_can_be_withdrawn(
    t1: Any, service: Service, as_user: Any
) -> None:
    vet(t1.org_a)
    client = as_user(t1.users["partner_admin"])
    form = client.get(urls(t1, service)["service_edit"])
    assert b"Send for review" in form.content

    response = client.post(
        urls(t1, service)["service_edit"], post_for(service, description="Proposed"), follow=True
    )

    assert b"Sent for review" in response.content
    change = ChangeRequest.objects.get()
    assert change.status == ChangeStatus.PENDING
    profile = client.get(urls(t1, service)["profile"])
    assert b"Waiting for review" in profile.content and b"Withdraw" in profile.content
    # The edit form now shows the proposal, so a second edit refines it.
    again = client.get(urls(t1, service)["service_edit"])
    assert b"Proposed" in again.content and b"you are editing it" in again.content

    withdraw = reverse("directory_change_withdraw", args=[t1.org_a.pk, change.pk])
    assert as_user(t1.users["partner_staff_a"]).post(withdraw).status_code == 403
    client = as_user(t1.users["partner_admin"])
    assert client.post(withdraw).status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeStatus.WITHDRAWN


def test_a_form_opened_before_someone_else_saved_is_refused_with_the_typing_kept(
    t1: Any, service: Service, as_user: Any
) -> None:
    client = as_user(t1.users["partner_admin"])
    data = post_for(service, description="My version")
    Service.objects.filter(pk=service.pk).update(name="Renamed by a colleague")

    response = client.post(urls(t1, service)["service_edit"], data)

    assert response.status_code == 400
    assert b"Someone else changed this record" in response.content
    assert b"My version" in response.content
    service.refresh_from_db()
    assert service.description == "Homework help."


def test_organization_profile_edit(t1: Any, as_user: Any) -> None:
    client = as_user(t1.users["partner_admin"])
    url = reverse("directory_organization_edit", args=[t1.org_a.pk])
    initial = client.get(url)
    assert t1.org_a.name.encode() in initial.content
    data = {
        **{k: v or "" for k, v in selectors.organization_snapshot(t1.org_a).items()},
        "description": "We tutor.",
        "website": "https://tutoring.example.org",
        "base_hash": diff.snapshot_hash(selectors.organization_snapshot(t1.org_a)),
    }
    bad = client.post(url, {**data, "email": "nope"})
    assert bad.status_code == 400 and b"We tutor." in bad.content and b"valid email" in bad.content

    assert client.post(url, data).status_code == 302
    t1.org_a.refresh_from_db()
    assert t1.org_a.description == "We tutor."


def test_add_a_service(t1: Any, service: Service, as_user: Any) -> None:
    client = as_user(t1.users["partner_admin"])
    data = post_for(service, name="Chess club")
    data.pop("base_hash")
    for key in [k for k in data if k.startswith(("languages-", "locations-", "contacts-"))]:
        data.pop(key)
    for prefix in ("languages", "locations", "contacts"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "1",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    response = client.post(urls(t1, service)["service_new"], data)
    created = Service.objects.get(name="Chess club")
    assert response.status_code == 302
    assert response["Location"] == reverse("directory_service", args=[t1.org_a.pk, created.pk])


def test_confirm_everything_is_current(t1: Any, service: Service, as_user: Any) -> None:
    Service.objects.filter(pk=service.pk).update(confirmed_at=None)
    client = as_user(t1.users["partner_admin"])
    page = client.get(urls(t1, service)["profile"])
    assert b"needs confirming" in page.content
    assert b"Confirm everything is current" in page.content

    client.post(reverse("directory_organization_confirm", args=[t1.org_a.pk]))

    page = client.get(urls(t1, service)["profile"])
    assert b"needs confirming" not in page.content


def test_partner_staff_see_the_profile_without_edit_links(
    t1: Any, service: Service, as_user: Any
) -> None:
    Service.objects.filter(pk=service.pk).update(confirmed_at=None)
    page = as_user(t1.users["partner_staff_a"]).get(urls(t1, service)["profile"])
    assert page.status_code == 200
    assert service.name.encode() in page.content
    assert b"Add a service" not in page.content
    assert b"Confirm everything is current" not in page.content


def test_network_admin_sets_vetting_from_the_profile(t1: Any, as_user: Any) -> None:
    url = reverse("directory_organization_vetting", args=[t1.org_a.pk])
    assert as_user(t1.users["partner_admin"]).post(url, {"status": "vetted"}).status_code == 403
    client = as_user(t1.users["network_admin"])
    assert client.post(url, {"status": "vetted"}).status_code == 302
    t1.org_a.refresh_from_db()
    assert t1.org_a.vetting_status == VettingStatus.VETTED


# --- review ---------------------------------------------------------------------------------------


def pending_change(t1: Any, service: Service, **changes: Any) -> ChangeRequest:
    vet(t1.org_a)
    snap = {**selectors.service_snapshot(service), **changes}
    change = services.service_update(
        actor=t1.users["partner_admin"], service=service, data=snap
    ).change
    assert change is not None
    return change


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("network_admin", 200),
        ("partner_admin", 403),
        ("partner_staff_a", 403),
        ("coordinator", 403),
        ("evaluator", 403),
        ("outsider", 403),
    ],
)
def test_review_queue_by_role(t1: Any, as_user: Any, persona: str, status: int) -> None:
    response = as_user(t1.users[persona]).get(reverse("directory_review_queue"))
    assert response.status_code == status


def test_review_queue_shows_only_the_own_networks_changes_oldest_first(
    t1: Any, t2: Any, service: Service, as_user: Any
) -> None:
    mine = pending_change(t1, service, description="North proposal")
    ChangeRequest.objects.filter(pk=mine.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=2)
    )
    newer = services.organization_update(
        actor=t1.users["partner_admin"],
        organization=t1.org_a,
        data={**selectors.organization_snapshot(t1.org_a), "phone": "718-555-0101"},
    ).change
    theirs = pending_change(
        t2, ServiceFactory.create(organization=t2.org_a, name="South secret service"), name="South"
    )
    assert newer is not None

    response = as_user(t1.users["network_admin"]).get(reverse("directory_review_queue"))

    assert [c.pk for c in response.context["changes"]] == [mine.pk, newer.pk]
    assert b"South secret service" not in response.content
    # And another network's change is not found, by any door.
    client = as_user(t1.users["network_admin"])
    for name in ("directory_review_detail",):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    for name in ("directory_review_approve", "directory_review_reject"):
        assert client.post(reverse(name, args=[theirs.pk]), {"reason": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ChangeStatus.PENDING


def test_review_queue_query_count_does_not_grow(
    t1: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    vet(t1.org_a)
    for i in range(12):
        s = ServiceFactory.create(organization=t1.org_a, name=f"Service {i}")
        pending_change(t1, s, description=f"Change {i}")
    client = as_user(t1.users["network_admin"])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("directory_review_queue"))
    assert len(response.context["changes"]) == 12


def test_profile_query_count_does_not_grow(
    t1: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(15):
        ServiceFactory.create(organization=t1.org_a, name=f"Service {i}")
    client = as_user(t1.users["partner_admin"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("directory_organization", args=[t1.org_a.pk]))
    assert len(response.context["services"]) == 15


def test_review_detail_shows_a_labelled_diff_and_approval_publishes(
    t1: Any, service: Service, as_user: Any
) -> None:
    change = pending_change(t1, service, description="Proposed words", capacity_available=3)
    client = as_user(t1.users["network_admin"])

    page = client.get(reverse("directory_review_detail", args=[change.pk]))

    html = page.content.decode()
    assert "Description" in html and "Homework help." in html and "Proposed words" in html
    assert "Places available" in html
    response = client.post(reverse("directory_review_approve", args=[change.pk]))
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.description == "Proposed words"
    assert service.verified_on == timezone.localdate()


def test_review_detail_warns_of_a_conflict_and_needs_the_overwrite_box(
    t1: Any, service: Service, as_user: Any
) -> None:
    change = pending_change(t1, service, description="Partner's words")
    Service.objects.filter(pk=service.pk).update(description="Someone else's words")
    client = as_user(t1.users["network_admin"])

    page = client.get(reverse("directory_review_detail", args=[change.pk]))
    assert b"Changed since the partner saw it" in page.content
    assert b"Someone else&#x27;s words" in page.content

    refused = client.post(reverse("directory_review_approve", args=[change.pk]))
    assert refused.status_code == 409
    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING

    client.post(reverse("directory_review_approve", args=[change.pk]), {"force": "on"})
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED


def test_rejection_without_a_reason_is_a_clear_error(
    t1: Any, service: Service, as_user: Any
) -> None:
    change = pending_change(t1, service, description="Partner's words")
    client = as_user(t1.users["network_admin"])
    response = client.post(reverse("directory_review_reject", args=[change.pk]), {"reason": ""})
    assert response.status_code == 400
    assert b"Say why" in response.content
    response = client.post(
        reverse("directory_review_reject", args=[change.pk]), {"reason": "Which schools?"}
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED
    profile = as_user(t1.users["partner_admin"]).get(urls(t1, service)["profile"])
    assert b"Which schools?" in profile.content
