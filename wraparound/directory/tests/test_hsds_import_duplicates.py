"""Possible duplicates: scoring realistic near misses, holding them, and the three decisions."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.core.models import AuditEvent, Organization
from wraparound.directory import models as m
from wraparound.directory.hsds.duplicates import PostalAddress, address_similarity, score_pair
from wraparound.directory.hsds.importer import hsds_import, possible_duplicate_resolve
from wraparound.directory.models import DuplicateStatus, ImportStatus, PossibleDuplicate

from .factories import AddressFactory, LocationFactory, VettedOrganizationFactory
from .test_hsds_import_helpers import address, location, organization, service, write_package

HERE = PostalAddress("123 East 149th Street", "Bronx", "10451")


@pytest.mark.parametrize(
    ("incoming", "incoming_address", "existing", "existing_address", "duplicate"),
    [
        # the same organization, written differently
        ("Bronx Tutoring Center, Inc.", "123 E 149th St", "The Bronx Tutoring Center", HERE, True),
        ("BRONX TUTORING CENTER", "123 East 149th St.", "Bronx Tutoring Center Inc", HERE, True),
        (
            "Bronx Tutoring & Mentoring",
            "123 E. 149th Street",
            "Bronx Tutoring and Mentoring",
            HERE,
            True,
        ),
        # alike names, different places: different organizations
        ("Brooklyn Tutoring Center", "123 E 149th St", "Bronx Tutoring Center", HERE, False),
        ("Bronx Tutoring Center", "125 E 149th St", "The Bronx Tutoring Center", HERE, False),
        ("Bronx Tutoring Center", "400 Grand Concourse", "The Bronx Tutoring Center", HERE, False),
        # same building, different organizations
        ("Bronx Youth Soccer League", "123 E 149th St", "Bronx Tutoring Center", HERE, False),
        ("Harlem Tutoring Center", "123 E 149th St", "Bronx Tutoring Center", HERE, False),
    ],
)
def test_score_pair_on_realistic_near_misses(
    incoming, incoming_address, existing, existing_address, duplicate
):
    mine = [PostalAddress(incoming_address, "Bronx", "10451")]
    match = score_pair(incoming, mine, existing, [existing_address])
    assert (match is not None) is duplicate
    if match:
        assert 0.85 <= match.score <= 1
        assert any("name" in r for r in match.reasons) and any(
            "address" in r for r in match.reasons
        )


def test_without_addresses_only_a_near_identical_name_is_a_duplicate():
    assert score_pair("The Bronx Tutoring Center", [], "Bronx Tutoring Center, Inc.", [HERE])
    assert score_pair("Bronx Tutoring Centre", [], "Bronx Tutoring Center", [])
    assert score_pair("Brooklyn Tutoring Center", [], "Bronx Tutoring Center", []) is None
    assert score_pair("Bronx Tutoring Project", [], "Bronx Tutoring Center", []) is None


def test_address_similarity_normalizes_but_keeps_numbers_and_postal_codes():
    assert address_similarity(PostalAddress("123 E 149th St"), HERE) >= 95
    assert address_similarity(PostalAddress("123 E 149th St", "Bronx", "10455"), HERE) <= 50


# --- held during import ---------------------------------------------------------------------------


@pytest.fixture
def existing(t1):
    org = VettedOrganizationFactory(
        network=t1.network,
        name="The Bronx Tutoring Center",
        email="",
        website="https://btc.example.org",
    )
    AddressFactory(
        location=LocationFactory(organization=org, network=t1.network),
        network=t1.network,
        address_1="123 East 149th Street",
        city="Bronx",
        postal_code="10451",
    )
    return org


def incoming_package(tmp_path: Path, name: str = "pkg") -> Path:
    return write_package(
        tmp_path / name,
        {
            "organization": [
                organization(
                    "btc", name="Bronx Tutoring Center, Inc.", email="info@btc.example.org"
                ),
                organization("other", name="Mott Haven Family Services"),
            ],
            "service": [service(1, "btc", name="Homework Help"), service(2, "other")],
            "location": [location("btc", "btc"), location("other", "other")],
            "address": [
                address("btc", "btc", "123 E 149th St"),
                address("other", "other", "500 E 138th St", postal_code="10454"),
            ],
            "phone": [{"id": "ph-1", "service_id": "svc-1", "number": "718-555-0100"}],
        },
    )


def test_an_organization_like_an_existing_one_is_held_with_its_records(t1, existing, tmp_path):
    result = hsds_import(
        network=t1.network, source=incoming_package(tmp_path), user=None, dry_run=False
    )
    assert result.status == ImportStatus.IMPORTED
    assert result.report["held_duplicates"] == 1
    held = {(h["table"], h["id"]) for h in result.report["held"]}
    assert held == {
        ("organization", "org-btc"),
        ("service", "svc-1"),
        ("location", "loc-btc"),
        ("address", "adr-btc"),
        ("phone", "ph-1"),
    }
    assert not Organization.objects.filter(network=t1.network, hsds_id="org-btc").exists()
    assert not m.Service.objects.filter(network=t1.network, hsds_id="svc-1").exists()
    assert m.Service.objects.filter(network=t1.network, hsds_id="svc-2").exists()  # not held
    duplicate = PossibleDuplicate.objects.get(hsds_import=result)
    assert duplicate.existing == existing and duplicate.status == DuplicateStatus.PENDING
    assert duplicate.incoming["organization"]["name"] == "Bronx Tutoring Center, Inc."
    assert duplicate.incoming["records"]["service"][0]["values"]["name"] == "Homework Help"
    assert duplicate.score >= 0.9 and len(duplicate.reasons) == 2


def test_dry_run_reports_duplicates_without_holding_them(t1, existing, tmp_path):
    result = hsds_import(
        network=t1.network, source=incoming_package(tmp_path), user=None, dry_run=True
    )
    assert result.status == ImportStatus.CHECKED
    assert result.report["held_duplicates"] == 1
    assert result.report["duplicates"][0]["existing_id"] == existing.pk
    assert not PossibleDuplicate.objects.exists()


def test_reimporting_refreshes_the_pending_review_instead_of_adding_one(t1, existing, tmp_path):
    hsds_import(network=t1.network, source=incoming_package(tmp_path), user=None, dry_run=False)
    second = hsds_import(
        network=t1.network, source=incoming_package(tmp_path, "again"), user=None, dry_run=False
    )
    assert PossibleDuplicate.objects.get().hsds_import == second


def test_known_ids_are_updated_never_held(t1, existing, tmp_path):
    existing.hsds_id = "org-btc"
    existing.save()
    result = hsds_import(
        network=t1.network, source=incoming_package(tmp_path), user=None, dry_run=False
    )
    assert result.report["held_duplicates"] == 0
    assert result.report["updated"]["organization"] == 1


# --- resolution -----------------------------------------------------------------------------------


@pytest.fixture
def held(t1, existing, tmp_path):
    hsds_import(network=t1.network, source=incoming_package(tmp_path), user=None, dry_run=False)
    return PossibleDuplicate.objects.get()


def test_same_organization_merges_the_records_into_the_existing_one(t1, existing, held):
    admin = t1.users["network_admin"]
    possible_duplicate_resolve(duplicate=held, user=admin, decision="merge")
    held.refresh_from_db()
    existing.refresh_from_db()
    assert held.status == DuplicateStatus.MERGED and held.resolved_by == admin
    assert existing.name == "The Bronx Tutoring Center"  # kept
    assert existing.email == "info@btc.example.org"  # was empty: filled
    assert existing.website == "https://btc.example.org"
    svc = m.Service.objects.get(network=t1.network, hsds_id="svc-1")
    assert svc.organization == existing and svc.phones.count() == 1
    assert m.Location.objects.get(network=t1.network, hsds_id="loc-btc").organization == existing
    assert not Organization.objects.filter(network=t1.network, hsds_id="org-btc").exists()
    event = AuditEvent.objects.get(action="directory.possible_duplicate.merge")
    assert event.actor == admin and event.data["filled"] == ["email"]


def test_different_organization_creates_it_with_its_records(t1, existing, held):
    possible_duplicate_resolve(duplicate=held, user=t1.users["network_admin"], decision="create")
    created = Organization.objects.get(network=t1.network, hsds_id="org-btc")
    assert created.name == "Bronx Tutoring Center, Inc."
    assert m.Service.objects.get(network=t1.network, hsds_id="svc-1").organization == created
    assert PossibleDuplicate.objects.get().status == DuplicateStatus.CREATED


def test_discard_writes_nothing(t1, existing, held):
    possible_duplicate_resolve(duplicate=held, user=t1.users["network_admin"], decision="discard")
    assert not m.Service.objects.filter(network=t1.network, hsds_id="svc-1").exists()
    assert not Organization.objects.filter(network=t1.network, hsds_id="org-btc").exists()
    assert PossibleDuplicate.objects.get().status == DuplicateStatus.DISCARDED


def test_a_decision_is_taken_once_by_a_network_admin_of_the_network(t1, t2, held):
    for user in (t1.users["coordinator"], t1.users["partner_admin"], t2.users["network_admin"]):
        with pytest.raises(PermissionDenied):
            possible_duplicate_resolve(duplicate=held, user=user, decision="discard")
    with pytest.raises(ValidationError):
        possible_duplicate_resolve(duplicate=held, user=t1.users["network_admin"], decision="maybe")
    possible_duplicate_resolve(duplicate=held, user=t1.users["network_admin"], decision="discard")
    with pytest.raises(ValidationError, match="already been resolved"):
        possible_duplicate_resolve(duplicate=held, user=t1.users["network_admin"], decision="merge")


def test_a_decision_that_no_longer_fits_the_directory_writes_nothing(t1, existing, held):
    # The service held with the organization pointed at a location that has since gone.
    held.incoming["records"]["service_at_location"] = [
        {
            "file": "x.csv",
            "row": 2,
            "values": {"id": "sal", "service_id": "svc-1", "location_id": "gone"},
        }
    ]
    held.save()
    with pytest.raises(ValidationError, match="No location with this id"):
        possible_duplicate_resolve(
            duplicate=held, user=t1.users["network_admin"], decision="create"
        )
    assert not Organization.objects.filter(network=t1.network, hsds_id="org-btc").exists()
    assert PossibleDuplicate.objects.get().status == DuplicateStatus.PENDING
