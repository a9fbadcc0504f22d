"""Partner edits, review of changes, vetting and confirmation (services.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wraparound.core.models import AuditEvent, VettingStatus
from wraparound.directory import diff, selectors, services
from wraparound.directory.models import (
    Attribute,
    ChangeRequest,
    ChangeStatus,
    Location,
    Schedule,
    Service,
    ServiceArea,
)
from wraparound.directory.tests.factories import (
    LanguageFactory,
    LocationFactory,
    ScheduleFactory,
    ServiceCapacityFactory,
    ServiceFactory,
    TaxonomyFactory,
    TaxonomyTermFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshed(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The service ids passed to the search module's search-text refresh."""
    calls: list[list[int]] = []
    monkeypatch.setattr(
        "wraparound.directory.search.service_search_text_refresh",
        lambda *, service_ids: calls.append(sorted(service_ids)),
    )
    return calls


def vet(organization: Any) -> Any:
    organization.vetting_status = VettingStatus.VETTED
    organization.save(update_fields=["vetting_status"])
    return organization


def old_date(days: int = 400) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


@pytest.fixture
def service(t1: Any) -> Service:
    s = ServiceFactory.create(organization=t1.org_a, description="Homework help.")
    ServiceCapacityFactory(service=s, available=10, maximum=40)
    ScheduleFactory(service_at_location__service=s)
    LanguageFactory(service=s)
    return s


def edited(service: Service, **changes: Any) -> dict[str, Any]:
    return {**selectors.service_snapshot(service), **changes}


# --- unvetted: edits apply at once ------------------------------------------------------------


def test_an_unvetted_organizations_partner_admin_edits_at_once(
    t1: Any, service: Service, refreshed: list[list[int]], django_capture_on_commit_callbacks: Any
) -> None:
    admin = t1.users["partner_admin"]
    before_capacity = service.capacities.get().updated
    with django_capture_on_commit_callbacks(execute=True):
        result = services.service_update(
            actor=admin,
            service=service,
            data=edited(service, description="Tutoring in math.", capacity_available=3),
        )

    assert result.applied
    service.refresh_from_db()
    assert service.description == "Tutoring in math."
    capacity = service.capacities.get()
    assert capacity.available == 3 and capacity.updated > before_capacity
    assert not ChangeRequest.objects.exists()
    event = AuditEvent.objects.get(action="directory.service.update")
    assert event.actor == admin and set(event.data["fields"]) == {
        "description",
        "capacity_available",
    }
    assert refreshed == [[service.pk]]


def test_the_search_text_follows_an_edit(
    t1: Any, service: Service, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.service_update(
            actor=t1.users["partner_admin"],
            service=service,
            data=edited(service, description="Robotics and chess."),
        )
    service.refresh_from_db()
    assert "robotics" in service.search_text


def test_capacity_date_is_kept_when_capacity_does_not_change(t1: Any, service: Service) -> None:
    stamp = service.capacities.get().updated
    services.service_update(
        actor=t1.users["partner_admin"], service=service, data=edited(service, name="Renamed")
    )
    assert service.capacities.get().updated == stamp


def test_every_related_row_is_written(t1: Any, service: Service) -> None:
    taxonomy = TaxonomyFactory(network=t1.network)
    pillar = TaxonomyTermFactory(taxonomy_ref=taxonomy, name="Integrated student supports")
    term = TaxonomyTermFactory(taxonomy_ref=taxonomy, parent=pillar, name="Tutoring")
    existing = LocationFactory(organization=t1.org_a, name="Main site")
    old_location = service.at_locations.get().location
    snap = edited(
        service,
        categories=[term.pk],
        communities=[t1.communities[1].pk],
        languages=[{"code": "fr", "name": "French"}, {"code": "zh", "name": "Chinese"}],
        locations=[
            {
                "location": existing.pk,
                **dict.fromkeys(("name", "address_1", "city", "state_province", "postal_code"), ""),
                "latitude": None,
                "longitude": None,
                "days": ["MO", "TU"],
                "opens_at": "15:00",
                "closes_at": "17:30",
                "schedule_description": "",
            },
            {
                "location": None,
                "name": "Annex",
                "address_1": "1 Grand Concourse",
                "city": "Bronx",
                "state_province": "NY",
                "postal_code": "10451",
                "latitude": "40.800000",
                "longitude": "-73.900000",
                "days": ["SA"],
                "opens_at": "10:00",
                "closes_at": "12:00",
                "schedule_description": "Saturday mornings",
            },
        ],
        contacts=[{"id": None, "name": "Ana", "title": "Lead", "email": "", "phone": "718-555-1"}],
        grade_low="03",
        grade_high="05",
        weekend=True,
        cost_to_families="12.50",
    )
    services.service_update(actor=t1.users["partner_admin"], service=service, data=snap)

    service.refresh_from_db()
    assert list(service.categories.all()) == [term]
    attribute = Attribute.objects.get(service=service)
    assert (attribute.link_entity, attribute.link_id) == ("service", service.hsds_id)
    assert list(
        ServiceArea.objects.filter(service=service).values_list("community", flat=True)
    ) == [t1.communities[1].pk]
    assert sorted(service.languages.values_list("code", flat=True)) == ["fr", "zh"]
    assert service.cost_to_families == Decimal("12.50") and service.weekend
    locations = {sal.location.name: sal for sal in service.at_locations.all()}
    assert set(locations) == {"Main site", "Annex"}
    assert Location.objects.filter(pk=old_location.pk).exists()  # only unlinked, not deleted
    main = locations["Main site"].schedules.get()
    assert (main.freq, main.byday, main.opens_at) == ("WEEKLY", "MO,TU", dt.time(15, 0))
    annex = Location.objects.get(name="Annex")
    assert annex.organization == t1.org_a and annex.addresses.get().postal_code == "10451"
    contact = service.contacts.get()
    assert contact.phones.get().number == "718-555-1"
    # The snapshot of what was written is what was asked for (ids filled in for new rows).
    written = selectors.service_snapshot(service)
    assert written["categories"] == [term.pk]
    assert written["locations"][0]["days"] == ["MO", "TU"]


def test_partner_staff_and_other_roles_cannot_edit(t1: Any, t2: Any, service: Service) -> None:
    for user in (
        t1.users["partner_staff_a"],
        t1.users["partner_staff_b"],
        t1.users["coordinator"],
        t1.users["principal"],
        t1.users["outsider"],
        t2.users["partner_admin"],
        t2.users["network_admin"],
    ):
        with pytest.raises(PermissionDenied):
            services.service_update(actor=user, service=service, data=edited(service, name="X"))
        with pytest.raises(PermissionDenied):
            services.organization_update(
                actor=user,
                organization=t1.org_a,
                data={**selectors.organization_snapshot(t1.org_a), "name": "X"},
            )
    service.refresh_from_db()
    assert service.name != "X"


def test_a_partner_admin_cannot_edit_another_organization(t1: Any) -> None:
    other = ServiceFactory.create(organization=t1.org_b)
    with pytest.raises(PermissionDenied):
        services.service_update(
            actor=t1.users["partner_admin"], service=other, data=edited(other, name="Mine now")
        )
    with pytest.raises(PermissionDenied):
        services.service_create(
            actor=t1.users["partner_admin"],
            organization=t1.org_b,
            data=edited(other, name="New"),
        )


def test_a_stale_base_is_refused(t1: Any, service: Service) -> None:
    seen = diff.snapshot_hash(selectors.service_snapshot(service))
    Service.objects.filter(pk=service.pk).update(name="Changed by someone else")
    service.refresh_from_db()

    with pytest.raises(ValidationError, match="changed this record"):
        services.service_update(
            actor=t1.users["partner_admin"],
            service=service,
            data=edited(service, description="Mine"),
            base_hash=seen,
        )
    service.refresh_from_db()
    assert service.description == "Homework help."


# --- vetted: edits wait for review ---------------------------------------------------------------


def test_a_vetted_organizations_edit_waits_for_review(t1: Any, service: Service) -> None:
    vet(t1.org_a)
    admin = t1.users["partner_admin"]
    before = selectors.service_snapshot(service)

    result = services.service_update(
        actor=admin, service=service, data=edited(service, description="New words")
    )

    assert not result.applied and result.change is not None
    change = result.change
    assert change.status == ChangeStatus.PENDING and change.kind == "service"
    assert change.before == before
    assert change.after["description"] == "New words"
    assert change.network_id == t1.network.pk and change.submitted_by == admin
    service.refresh_from_db()
    assert service.description == "Homework help."
    assert AuditEvent.objects.filter(action="directory.change.submit").count() == 1


def test_a_second_edit_updates_the_pending_change(t1: Any, service: Service) -> None:
    vet(t1.org_a)
    admin = t1.users["partner_admin"]
    first = services.service_update(
        actor=admin, service=service, data=edited(service, description="One")
    ).change
    assert first is not None
    second = services.service_update(
        actor=admin,
        service=service,
        data={**first.after, "name": "Two"},
        base_hash=diff.snapshot_hash(first.after),
    ).change

    assert second is not None and second.pk == first.pk
    assert ChangeRequest.objects.filter(status=ChangeStatus.PENDING).count() == 1
    second.refresh_from_db()
    assert (second.after["description"], second.after["name"]) == ("One", "Two")
    assert second.before["description"] == "Homework help."


def test_editing_back_to_the_live_record_withdraws_the_pending_change(
    t1: Any, service: Service
) -> None:
    vet(t1.org_a)
    admin = t1.users["partner_admin"]
    change = services.service_update(
        actor=admin, service=service, data=edited(service, description="One")
    ).change
    assert change is not None

    result = services.service_update(
        actor=admin, service=service, data=selectors.service_snapshot(service)
    )

    assert result.unchanged
    change.refresh_from_db()
    assert change.status == ChangeStatus.WITHDRAWN


def test_an_unchanged_submission_creates_nothing(t1: Any, service: Service) -> None:
    vet(t1.org_a)
    result = services.service_update(
        actor=t1.users["partner_admin"], service=service, data=edited(service)
    )
    assert result.unchanged
    assert not ChangeRequest.objects.exists()


def test_a_network_admin_edits_a_vetted_organization_directly(t1: Any, service: Service) -> None:
    vet(t1.org_a)
    result = services.service_update(
        actor=t1.users["network_admin"], service=service, data=edited(service, name="Direct")
    )
    assert result.applied
    service.refresh_from_db()
    assert service.name == "Direct"


def test_suspended_organizations_edits_wait_for_review_too(t1: Any, service: Service) -> None:
    t1.org_a.vetting_status = VettingStatus.SUSPENDED
    t1.org_a.save()
    result = services.organization_update(
        actor=t1.users["partner_admin"],
        organization=t1.org_a,
        data={**selectors.organization_snapshot(t1.org_a), "phone": "718-555-0000"},
    )
    assert result.change is not None and result.change.kind == "organization"


# --- review ---------------------------------------------------------------------------------------


def submit(t1: Any, service: Service, **changes: Any) -> ChangeRequest:
    vet(t1.org_a)
    change = services.service_update(
        actor=t1.users["partner_admin"], service=service, data=edited(service, **changes)
    ).change
    assert change is not None
    return change


def test_approval_applies_verifies_and_tells_the_partner(
    t1: Any, service: Service, refreshed: list[list[int]], django_capture_on_commit_callbacks: Any
) -> None:
    Service.objects.filter(pk=service.pk).update(verified_on=None, confirmed_at=old_date())
    service.refresh_from_db()
    change = submit(t1, service, description="Reviewed words", capacity_available=2)
    reviewer = t1.users["network_admin"]

    with django_capture_on_commit_callbacks(execute=True):
        services.change_approve(actor=reviewer, change=change)

    change.refresh_from_db()
    service.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED and change.reviewed_by == reviewer
    assert service.description == "Reviewed words"
    assert service.capacities.get().available == 2
    assert service.verified_on == timezone.localdate()
    assert service.confirmed_at is not None and service.confirmed_at > old_date(1)
    assert refreshed == [[service.pk]]
    assert [m.to for m in mail.outbox] == [[t1.users["partner_admin"].email]]
    assert "published" in mail.outbox[0].subject
    assert f"/directory/organizations/{t1.org_a.pk}/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="directory.change.approve", actor=reviewer).exists()


def test_approving_an_organization_change_sets_verified_by(t1: Any) -> None:
    vet(t1.org_a)
    change = services.organization_update(
        actor=t1.users["partner_admin"],
        organization=t1.org_a,
        data={**selectors.organization_snapshot(t1.org_a), "description": "We tutor."},
    ).change
    assert change is not None

    services.change_approve(actor=t1.users["network_admin"], change=change)

    t1.org_a.refresh_from_db()
    assert t1.org_a.description == "We tutor."
    assert t1.org_a.verified_by == t1.users["network_admin"]
    assert t1.org_a.verified_on == timezone.localdate()


def test_approval_is_refused_when_the_same_field_changed_since(t1: Any, service: Service) -> None:
    change = submit(t1, service, description="Partner's words")
    # The network admin edits the live record meanwhile: same field, and another one.
    services.service_update(
        actor=t1.users["network_admin"],
        service=service,
        data=edited(service, description="Admin's words", name="Admin's name"),
    )

    assert services.change_conflicts(change) == ["description"]
    with pytest.raises(ValidationError, match="Description"):
        services.change_approve(actor=t1.users["network_admin"], change=change)
    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING

    services.change_approve(actor=t1.users["network_admin"], change=change, force=True)

    service.refresh_from_db()
    # The partner's field wins when forced; the admin's untouched change is kept.
    assert (service.description, service.name) == ("Partner's words", "Admin's name")


def test_a_live_change_to_other_fields_is_not_a_conflict(t1: Any, service: Service) -> None:
    change = submit(t1, service, description="Partner's words")
    Service.objects.filter(pk=service.pk).update(eligibility_description="Everyone")

    services.change_approve(actor=t1.users["network_admin"], change=change)

    service.refresh_from_db()
    assert service.description == "Partner's words"
    assert service.eligibility_description == "Everyone"


def test_rejection_needs_a_reason_and_tells_the_partner(
    t1: Any, service: Service, django_capture_on_commit_callbacks: Any
) -> None:
    change = submit(t1, service, description="Nope")
    reviewer = t1.users["network_admin"]
    with pytest.raises(ValidationError):
        services.change_reject(actor=reviewer, change=change, reason="  ")

    with django_capture_on_commit_callbacks(execute=True):
        services.change_reject(actor=reviewer, change=change, reason="Say which schools.")

    change.refresh_from_db()
    service.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED and change.review_note == "Say which schools."
    assert service.description == "Homework help."
    assert "Say which schools." in mail.outbox[0].body
    assert "not approved" in mail.outbox[0].subject


def test_only_a_network_admin_of_the_network_reviews(t1: Any, t2: Any, service: Service) -> None:
    change = submit(t1, service, description="Mine")
    for user in (
        t2.users["network_admin"],
        t1.users["partner_admin"],
        t1.users["coordinator"],
        t1.users["evaluator"],
    ):
        with pytest.raises(PermissionDenied):
            services.change_approve(actor=user, change=change)
        with pytest.raises(PermissionDenied):
            services.change_reject(actor=user, change=change, reason="no")
    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING


def test_a_reviewed_change_cannot_be_reviewed_or_withdrawn_again(t1: Any, service: Service) -> None:
    change = submit(t1, service, description="Mine")
    services.change_approve(actor=t1.users["network_admin"], change=change)
    with pytest.raises(ValidationError, match="already"):
        services.change_reject(actor=t1.users["network_admin"], change=change, reason="late")
    with pytest.raises(ValidationError, match="already"):
        services.change_withdraw(actor=t1.users["partner_admin"], change=change)


def test_the_partner_withdraws_a_pending_change(t1: Any, service: Service) -> None:
    change = submit(t1, service, description="Mine")
    with pytest.raises(PermissionDenied):
        services.change_withdraw(actor=t1.users["partner_staff_a"], change=change)

    services.change_withdraw(actor=t1.users["partner_admin"], change=change)

    change.refresh_from_db()
    assert change.status == ChangeStatus.WITHDRAWN
    with pytest.raises(ValidationError):
        services.change_approve(actor=t1.users["network_admin"], change=change)


def test_a_new_service_of_a_vetted_organization_is_created_on_approval(
    t1: Any, service: Service
) -> None:
    vet(t1.org_a)
    data = edited(service, name="Family literacy nights", contacts=[], locations=[])
    result = services.service_create(
        actor=t1.users["partner_admin"], organization=t1.org_a, data=data
    )
    assert result.change is not None and result.change.kind == "new_service"
    assert not Service.objects.filter(name="Family literacy nights").exists()

    change = services.change_approve(actor=t1.users["network_admin"], change=result.change)

    created = Service.objects.get(name="Family literacy nights")
    assert change.service == created
    assert created.organization == t1.org_a and created.network == t1.network
    assert created.verified_on == timezone.localdate()
    assert created.languages.get().code == "es"


def test_an_unvetted_organization_adds_a_service_at_once(t1: Any, service: Service) -> None:
    result = services.service_create(
        actor=t1.users["partner_admin"],
        organization=t1.org_a,
        data=edited(service, name="Chess club", contacts=[], locations=[]),
    )
    assert result.applied and result.service is not None
    assert result.service.name == "Chess club" and result.service.confirmed_at is not None


def test_a_deleted_location_makes_approval_fail_cleanly(t1: Any, service: Service) -> None:
    spare = LocationFactory(organization=t1.org_a)
    snap = selectors.service_snapshot(service)
    row = {**snap["locations"][0], "location": spare.pk}
    change = submit(t1, service, locations=[*snap["locations"], row])
    spare.delete()

    with pytest.raises(ValidationError, match="no longer exists"):
        services.change_approve(actor=t1.users["network_admin"], change=change)

    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING
    assert Schedule.objects.filter(service_at_location__service=service).count() == 1


# --- vetting and confirmation ---------------------------------------------------------------------


def test_network_admin_sets_vetting(t1: Any, t2: Any) -> None:
    services.organization_set_vetting(
        actor=t1.users["network_admin"], organization=t1.org_a, status=VettingStatus.VETTED
    )
    t1.org_a.refresh_from_db()
    assert t1.org_a.vetting_status == VettingStatus.VETTED
    assert t1.org_a.verified_by == t1.users["network_admin"]
    for user in (t1.users["partner_admin"], t2.users["network_admin"]):
        with pytest.raises(PermissionDenied):
            services.organization_set_vetting(
                actor=user, organization=t1.org_a, status=VettingStatus.SUSPENDED
            )
    with pytest.raises(ValidationError):
        services.organization_set_vetting(
            actor=t1.users["network_admin"], organization=t1.org_a, status="banned"
        )


def test_confirming_touches_only_the_dates(t1: Any, service: Service) -> None:
    vet(t1.org_a)
    t1.org_a.confirmed_at = old_date()
    t1.org_a.save()
    Service.objects.filter(pk=service.pk).update(confirmed_at=old_date())

    count = services.organization_confirm_current(
        actor=t1.users["partner_admin"], organization=t1.org_a
    )

    assert count == 1
    t1.org_a.refresh_from_db()
    service.refresh_from_db()
    cutoff = selectors.stale_cutoff(t1.network)
    assert not selectors.organization_has_stale_records(t1.org_a, cutoff)
    assert service.description == "Homework help."
    assert not ChangeRequest.objects.exists()
    with pytest.raises(PermissionDenied):
        services.organization_confirm_current(
            actor=t1.users["partner_staff_a"], organization=t1.org_a
        )
