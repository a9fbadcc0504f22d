"""The organization and service edit forms: snapshots in and out, and clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from wraparound.core.tests.factories import CommunityFactory, OrganizationFactory
from wraparound.directory import selectors
from wraparound.directory.forms import OrganizationForm, ServiceEditForm
from wraparound.directory.models import Contact, Phone
from wraparound.directory.tests.factories import (
    LanguageFactory,
    LocationFactory,
    ScheduleFactory,
    ServiceAreaFactory,
    ServiceCapacityFactory,
    ServiceCategoryFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

SCALARS = [
    "name",
    "description",
    "status",
    "eligibility_description",
    "grade_low",
    "grade_high",
    "cost_to_school",
    "cost_to_families",
    "capacity_available",
    "capacity_maximum",
    "capacity_unit",
]
BOOLEANS = ["during_school_day", "after_school", "weekend", "summer", "virtual"]


def _management(prefix: str, rows: int, extra: int = 1) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(rows + extra),
        f"{prefix}-INITIAL_FORMS": str(rows),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def service_post_data(snap: dict[str, Any], *, base_hash: str = "") -> dict[str, Any]:
    """What a browser posts for a service form showing `snap` (the test's stand-in for a user
    who changes nothing); tests then change what they need."""

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    data: dict[str, Any] = {k: text(snap.get(k)) for k in SCALARS}
    data["base_hash"] = base_hash
    for key in BOOLEANS:
        if snap.get(key):
            data[key] = "on"
    data["categories"] = [str(i) for i in snap.get("categories", [])]
    data["communities"] = [str(i) for i in snap.get("communities", [])]
    languages = snap.get("languages", [])
    data.update(_management("languages", len(languages)))
    for i, row in enumerate(languages):
        data[f"languages-{i}-code"] = row["code"]
        data[f"languages-{i}-name"] = row["name"]
    locations = snap.get("locations", [])
    data.update(_management("locations", len(locations)))
    for i, row in enumerate(locations):
        data[f"locations-{i}-location"] = text(row["location"])
        for key in ("name", "address_1", "city", "state_province", "postal_code"):
            data[f"locations-{i}-{key}"] = row[key]
        data[f"locations-{i}-latitude"] = text(row["latitude"])
        data[f"locations-{i}-longitude"] = text(row["longitude"])
        data[f"locations-{i}-days"] = list(row["days"])
        data[f"locations-{i}-opens_at"] = row["opens_at"]
        data[f"locations-{i}-closes_at"] = row["closes_at"]
        data[f"locations-{i}-schedule_description"] = row["schedule_description"]
    contacts = snap.get("contacts", [])
    data.update(_management("contacts", len(contacts)))
    for i, row in enumerate(contacts):
        data[f"contacts-{i}-id"] = text(row["id"])
        for key in ("name", "title", "email", "phone"):
            data[f"contacts-{i}-{key}"] = row[key]
    return data


def make_form(organization: Any, data: Any, initial: dict[str, Any] | None) -> ServiceEditForm:
    return ServiceEditForm(
        data,
        initial=initial,
        category_groups=selectors.category_groups(organization.network),
        communities=selectors.community_choices(organization.network),
        locations=selectors.location_choices(organization),
    )


@pytest.fixture
def full_service() -> Any:
    """A service with one of every related row the form edits."""
    service = ServiceFactory.create(organization=OrganizationFactory())
    ServiceCapacityFactory(service=service, available=5, maximum=20)
    ServiceCategoryFactory(service=service)
    ServiceAreaFactory(service=service)
    LanguageFactory(service=service)
    ScheduleFactory(service_at_location__service=service)
    contact = Contact.objects.create(
        network=service.network, service=service, name="Ana Ruiz", email="ana@example.org"
    )
    Phone.objects.create(network=service.network, contact=contact, number="718-555-0100")
    return service


def test_an_unchanged_form_gives_back_the_snapshot_it_was_filled_from(full_service: Any) -> None:
    snap = selectors.service_snapshot(full_service)
    assert snap["languages"] and snap["locations"] and snap["contacts"] and snap["categories"]

    form = make_form(full_service.organization, service_post_data(snap), snap)

    assert form.is_valid(), form.main.errors
    assert form.snapshot() == snap


def test_rows_are_added_and_removed(full_service: Any) -> None:
    snap = selectors.service_snapshot(full_service)
    data = service_post_data(snap)
    data["languages-0-DELETE"] = "on"
    data["languages-1-code"] = "zh"
    data["languages-1-name"] = "Chinese"
    data["contacts-1-name"] = "Lee Chan"
    data["contacts-1-phone"] = "212-555-0199"

    form = make_form(full_service.organization, data, snap)

    assert form.is_valid()
    result = form.snapshot()
    assert result["languages"] == [{"code": "zh", "name": "Chinese"}]
    assert result["contacts"][-1] == {
        "id": None,
        "name": "Lee Chan",
        "title": "",
        "email": "",
        "phone": "212-555-0199",
    }


def test_a_new_location_with_hours_is_described(full_service: Any) -> None:
    snap = selectors.service_snapshot(full_service)
    data = service_post_data(snap)
    data.update(
        {
            "locations-1-name": "Annex",
            "locations-1-address_1": "1 Main St",
            "locations-1-city": "Bronx",
            "locations-1-state_province": "NY",
            "locations-1-postal_code": "10451",
            "locations-1-days": ["TU", "MO"],
            "locations-1-opens_at": "09:00",
            "locations-1-closes_at": "12:30",
        }
    )

    form = make_form(full_service.organization, data, snap)

    assert form.is_valid(), [f.errors for f in form.locations]
    row = form.snapshot()["locations"][-1]
    assert row["location"] is None
    assert row["name"] == "Annex"
    assert row["days"] == ["MO", "TU"]
    assert (row["opens_at"], row["closes_at"]) == ("09:00", "12:30")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"grade_low": "05", "grade_high": "KG"}, "grade_high", "comes before"),
        ({"grade_low": "05", "grade_high": ""}, "grade_high", "both"),
        ({"capacity_available": "", "capacity_maximum": "9"}, "capacity_available", "available"),
        ({"capacity_available": "30", "capacity_maximum": "20"}, "capacity_maximum", "more"),
        ({"capacity_unit": ""}, "capacity_unit", "counted"),
        ({"cost_to_families": "-1"}, "cost_to_families", "cannot be negative"),
        ({"name": ""}, "name", "required"),
        ({"status": "gone"}, "status", "valid choice"),
    ],
)
def test_service_errors_are_specific(
    full_service: Any, changes: dict[str, str], field: str, message: str
) -> None:
    snap = selectors.service_snapshot(full_service)
    data = service_post_data(snap)
    data.update(changes)

    form = make_form(full_service.organization, data, snap)

    assert not form.is_valid()
    assert message in " ".join(str(e) for e in form.main.errors[field])
    # What was typed is kept for the re-rendered form.
    for key, value in changes.items():
        assert form.main[key].value() == value


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"locations-0-name": "Also new"}, "location", "not both"),
        ({"locations-0-location": ""}, "location", "Pick one"),
        ({"locations-0-opens_at": "18:00", "locations-0-closes_at": "09:00"}, "closes_at", "after"),
        ({"locations-0-closes_at": ""}, "closes_at", "both"),
        ({"locations-0-days": []}, "days", "Pick the days"),
    ],
)
def test_location_errors_are_specific(
    full_service: Any, changes: dict[str, Any], field: str, message: str
) -> None:
    snap = selectors.service_snapshot(full_service)
    data = service_post_data(snap)
    data.update(changes)

    form = make_form(full_service.organization, data, snap)

    assert not form.is_valid()
    assert message in " ".join(str(e) for e in form.locations.forms[0].errors[field])


def test_a_location_of_another_organization_cannot_be_picked(full_service: Any) -> None:
    other = LocationFactory()
    snap = selectors.service_snapshot(full_service)
    data = service_post_data(snap)
    data["locations-0-location"] = str(other.pk)

    form = make_form(full_service.organization, data, snap)

    assert not form.is_valid()
    assert "valid choice" in " ".join(str(e) for e in form.locations.forms[0].errors["location"])


def test_a_language_listed_twice_and_a_bad_code_are_errors(full_service: Any) -> None:
    snap = selectors.service_snapshot(full_service)
    data = service_post_data(snap)
    data["languages-1-code"] = "es"
    data["languages-1-name"] = "Spanish again"
    form = make_form(full_service.organization, data, snap)
    assert not form.is_valid()
    assert "twice" in " ".join(str(e) for e in form.languages.forms[1].errors["code"])

    data["languages-1-code"] = "Spanish"
    form = make_form(full_service.organization, data, snap)
    assert not form.is_valid()
    assert "two- or three-letter" in " ".join(
        str(e) for e in form.languages.forms[1].errors["code"]
    )


def test_an_empty_contact_row_is_an_error_unless_it_is_the_spare_one(full_service: Any) -> None:
    snap = selectors.service_snapshot(full_service)
    data = service_post_data(snap)
    data["contacts-0-name"] = ""
    data["contacts-0-email"] = ""
    data["contacts-0-phone"] = ""

    form = make_form(full_service.organization, data, snap)

    assert not form.is_valid()
    assert "at least" in " ".join(str(e) for e in form.contacts.forms[0].errors["name"])
    assert not form.contacts.forms[1].errors


def test_categories_and_communities_must_be_the_networks() -> None:
    service = ServiceFactory.create(organization=OrganizationFactory())
    foreign_term = ServiceCategoryFactory().taxonomy_term
    foreign_community = CommunityFactory()
    snap = selectors.service_snapshot(service)
    data = service_post_data(snap)
    data["categories"] = [str(foreign_term.pk)]
    data["communities"] = [str(foreign_community.pk)]

    form = make_form(service.organization, data, snap)

    assert not form.is_valid()
    assert set(form.main.errors) == {"categories", "communities"}


def test_organization_form_snapshot_and_errors() -> None:
    form = OrganizationForm(
        {
            "name": " Bronx Books ",
            "email": "not-an-email",
            "website": "https://example.org",
            "year_incorporated": "98",
        }
    )
    assert not form.is_valid()
    assert "email" in form.errors and "year_incorporated" in form.errors

    form = OrganizationForm(
        {"name": " Bronx Books ", "email": "hi@example.org", "year_incorporated": "1998"}
    )
    assert form.is_valid(), form.errors
    snap = form.snapshot()
    assert snap["name"] == "Bronx Books"
    assert snap["year_incorporated"] == 1998
    assert snap["website"] == ""


def test_a_blank_new_service_form_has_the_active_status() -> None:
    organization = OrganizationFactory()
    form = make_form(organization, None, None)
    assert form.main["status"].value() == "active"
