"""The clearance services: requirements (network admins), campus staff (partner admins and
network admins), records with their private documents (checked before anything is written, and
written with the record or not at all) and the review. Every refusal writes nothing."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.utils import timezone

from wraparound.agreements import clearance_services as services
from wraparound.agreements.clearance import valid_through
from wraparound.agreements.models import (
    ClearanceRecord,
    ClearanceRequirement,
    RecordStatus,
    RequirementKind,
    RequirementSubject,
    StaffMember,
)
from wraparound.agreements.tests.factories import (
    ClearanceRecordFactory,
    ClearanceRequirementFactory,
    StaffMemberFactory,
)
from wraparound.core.models import AuditEvent

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
UTC = dt.UTC


@pytest.fixture
def private_dir(settings: Any, tmp_path: Path) -> Path:
    """The private storage in a fresh directory of this test."""
    storages = copy.deepcopy(settings.STORAGES)
    storages["private"]["OPTIONS"]["location"] = str(tmp_path / "private")
    settings.STORAGES = storages
    return tmp_path / "private"


def stored_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()] if directory.exists() else []


def pdf(name: str = "check.pdf", content: bytes = PDF) -> Any:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def actions(prefix: str) -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith=prefix)
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --- requirements ------------------------------------------------------------------------------


def new_requirement(t: Any, user: Any = None, **fields: Any) -> ClearanceRequirement:
    values: dict[str, Any] = {
        "name": "Background check",
        "kind": RequirementKind.BACKGROUND_CHECK,
        "applies_to": RequirementSubject.PERSON,
        "validity_months": 24,
    }
    values |= fields
    return services.requirement_create(
        user=user or t.users["network_admin"], network=t.network, **values
    )


def test_a_network_admin_adds_a_requirement(t1: Any) -> None:
    requirement = new_requirement(
        t1,
        name="  Liability insurance ",
        kind=RequirementKind.LIABILITY_INSURANCE,
        applies_to=RequirementSubject.ORGANIZATION,
        validity_months=12,
        minimum_coverage=Decimal("1000000"),
        description="Per occurrence.",
    )
    assert requirement.network == t1.network
    assert requirement.name == "Liability insurance"
    assert requirement.minimum_coverage == Decimal("1000000.00")
    assert requirement.document_required and requirement.is_active
    event = AuditEvent.objects.get(action="clearance.requirement.create")
    assert event.network_id == t1.network.pk and event.actor == t1.users["network_admin"]


@pytest.mark.parametrize(
    "persona",
    ["evaluator", "coordinator", "principal", "partner_admin", "partner_staff_a", "outsider"],
)
def test_only_network_admins_add_requirements(t1: Any, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        new_requirement(t1, user=t1.users[persona])
    assert not ClearanceRequirement.objects.exists()


def test_another_networks_admin_may_not_add_requirements(t1: Any, t2: Any) -> None:
    with pytest.raises(PermissionDenied):
        new_requirement(t1, user=t2.users["network_admin"])


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  "}, "name", "Give the requirement a name"),
        ({"name": "x" * 201}, "name", "Keep the name under 200 characters."),
        ({"kind": "tattoo"}, "kind", "Choose one of the kinds listed."),
        ({"applies_to": "pets"}, "applies_to", "Choose whether it applies"),
        ({"validity_months": 0}, "validity_months", "Enter a number of months from 1 to 120"),
        ({"validity_months": 121}, "validity_months", "Enter a number of months from 1 to 120"),
        (
            {"minimum_coverage": Decimal("500000")},
            "minimum_coverage",
            "A minimum coverage applies to liability insurance only.",
        ),
        (
            {"kind": RequirementKind.LIABILITY_INSURANCE, "minimum_coverage": Decimal("-1")},
            "minimum_coverage",
            "Enter an amount of zero or more.",
        ),
        (
            {
                "kind": RequirementKind.SIGNED_MOU,
                "applies_to": RequirementSubject.ORGANIZATION,
                "validity_months": None,
            },
            "document_required",
            "A signed MOU is met by the agreement signed in the app: no document is uploaded.",
        ),
        (
            {
                "kind": RequirementKind.SIGNED_MOU,
                "applies_to": RequirementSubject.ORGANIZATION,
                "document_required": False,
            },
            "validity_months",
            "A signed MOU is valid for the agreement's own term: leave the months empty.",
        ),
        (
            {
                "kind": RequirementKind.SIGNED_MOU,
                "document_required": False,
                "validity_months": None,
            },
            "applies_to",
            "A signed MOU is the organization's, not each person's.",
        ),
    ],
)
def test_a_requirement_is_refused_clearly(
    t1: Any, fields: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        new_requirement(t1, **fields)
    assert caught.value.message_dict[field][0].startswith(message)
    assert not ClearanceRequirement.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="clearance").exists()


def test_a_signed_mou_requirement_needs_no_document_and_no_validity(t1: Any) -> None:
    requirement = new_requirement(
        t1,
        name="Signed MOU",
        kind=RequirementKind.SIGNED_MOU,
        applies_to=RequirementSubject.ORGANIZATION,
        validity_months=None,
        document_required=False,
    )
    assert not requirement.has_records


def test_requirement_names_are_unique_in_a_network_whatever_the_case(t1: Any, t2: Any) -> None:
    new_requirement(t1)
    with pytest.raises(ValidationError) as caught:
        new_requirement(t1, name="BACKGROUND CHECK")
    assert caught.value.message_dict["name"] == [
        "The network already has a requirement named BACKGROUND CHECK."
    ]
    new_requirement(t2)  # another network may use the name


def test_updating_changes_only_the_fields_given(t1: Any) -> None:
    requirement = new_requirement(t1, description="County and state.")
    updated = services.requirement_update(
        user=t1.users["network_admin"], requirement=requirement, validity_months=36
    )
    assert (updated.validity_months, updated.description) == (36, "County and state.")
    event = AuditEvent.objects.get(action="clearance.requirement.update")
    assert event.data == {"changed": ["validity_months"]}
    retired = services.requirement_update(
        user=t1.users["network_admin"], requirement=requirement, is_active=False
    )
    assert not retired.is_active


def test_updating_refuses_unknown_fields_and_other_roles(t1: Any) -> None:
    requirement = new_requirement(t1)
    with pytest.raises(TypeError):
        services.requirement_update(
            user=t1.users["network_admin"], requirement=requirement, network=None
        )
    with pytest.raises(PermissionDenied):
        services.requirement_update(
            user=t1.users["partner_admin"], requirement=requirement, name="Mine"
        )


def test_whom_a_requirement_applies_to_is_fixed_once_records_exist(t1: Any) -> None:
    requirement = new_requirement(t1)
    ClearanceRecordFactory.create(requirement=requirement, person__organization=t1.org_a)
    with pytest.raises(ValidationError) as caught:
        services.requirement_update(
            user=t1.users["network_admin"],
            requirement=requirement,
            applies_to=RequirementSubject.ORGANIZATION,
        )
    assert "retire it and add a new one" in caught.value.message_dict["applies_to"][0]
    requirement.refresh_from_db()
    assert requirement.applies_to == RequirementSubject.PERSON


# --- campus staff ------------------------------------------------------------------------------


def add_person(t: Any, user: Any = None, organization: Any = None, **fields: Any) -> StaffMember:
    values: dict[str, Any] = {"first_name": "Ana", "last_name": "Ruiz"}
    values |= fields
    return services.staff_member_add(
        user=user or t.users["partner_admin"], organization=organization or t.org_a, **values
    )


@pytest.mark.parametrize("persona", ["partner_admin", "network_admin"])
def test_partner_admins_and_network_admins_list_campus_staff(t1: Any, persona: str) -> None:
    person = add_person(
        t1,
        user=t1.users[persona],
        email="ana@reading.example",
        title="Tutor",
        schools=[t1.schools[0], t1.schools[1].pk],
    )
    assert person.organization == t1.org_a and person.network == t1.network
    assert person.added_by == t1.users[persona]
    assert set(person.schools.all()) == {t1.schools[0], t1.schools[1]}
    assert actions("clearance.staff") == ["clearance.staff.add"]


@pytest.mark.parametrize(
    ("persona", "organization"),
    [
        ("partner_staff_a", "org_a"),
        ("partner_admin", "org_b"),  # the admin of another organization
        ("coordinator", "org_a"),
        ("evaluator", "org_a"),
    ],
)
def test_others_may_not_list_staff(t1: Any, persona: str, organization: str) -> None:
    with pytest.raises(PermissionDenied):
        add_person(t1, user=t1.users[persona], organization=getattr(t1, organization))
    assert not StaffMember.objects.exists()


def test_schools_must_be_of_the_organizations_network(t1: Any, t2: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        add_person(t1, schools=[t1.schools[0], t2.schools[0]])
    assert caught.value.message_dict["schools"] == ["Choose schools of the organization's network."]
    assert not StaffMember.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"first_name": " "}, "first_name", "Enter the person's first name."),
        ({"last_name": ""}, "last_name", "Enter the person's last name."),
        ({"email": "not-an-address"}, "email", "Enter a valid e-mail address, or leave it empty."),
        ({"title": "x" * 101}, "title", "Keep it under 100 characters."),
        ({"schools": ["x"]}, "schools", "Choose schools from the list."),
    ],
)
def test_staff_details_are_refused_clearly(
    t1: Any, fields: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        add_person(t1, **fields)
    assert caught.value.message_dict[field] == [message]


def test_the_same_email_twice_on_the_list_is_refused(t1: Any) -> None:
    add_person(t1, email="ana@reading.example")
    with pytest.raises(ValidationError) as caught:
        add_person(t1, first_name="Other", email="ANA@reading.example")
    assert "already on the staff list" in caught.value.message_dict["email"][0]
    add_person(
        t1, organization=t1.org_b, user=t1.users["network_admin"], email="ana@reading.example"
    )


def test_update_deactivate_and_reactivate(t1: Any) -> None:
    person = add_person(t1, schools=[t1.schools[0]])
    admin = t1.users["partner_admin"]
    person = services.staff_member_update(user=admin, person=person, title="Mentor", schools=[])
    assert person.title == "Mentor" and person.first_name == "Ana"
    assert not person.schools.exists()
    person = services.staff_member_deactivate(user=admin, person=person)
    assert not person.is_active
    with pytest.raises(ValidationError) as caught:
        services.staff_member_deactivate(user=admin, person=person)
    assert caught.value.messages == ["Ana Ruiz is already off the staff list."]
    person = services.staff_member_reactivate(user=admin, person=person)
    assert person.is_active
    assert actions("clearance.staff") == [
        "clearance.staff.add",
        "clearance.staff.update",
        "clearance.staff.deactivate",
        "clearance.staff.reactivate",
    ]


def test_partner_staff_may_not_change_the_list(t1: Any) -> None:
    person = add_person(t1)
    for service in (services.staff_member_deactivate, services.staff_member_reactivate):
        with pytest.raises(PermissionDenied):
            service(user=t1.users["partner_staff_a"], person=person)
    with pytest.raises(PermissionDenied):
        services.staff_member_update(user=t1.users["partner_staff_a"], person=person, title="X")


# --- records -----------------------------------------------------------------------------------


@pytest.fixture
def reqs(t1: Any) -> dict[str, ClearanceRequirement]:
    return {
        "background": ClearanceRequirementFactory.create(
            network=t1.network, name="Background check", validity_months=24
        ),
        "insurance": ClearanceRequirementFactory.create(
            network=t1.network,
            name="Liability insurance",
            kind=RequirementKind.LIABILITY_INSURANCE,
            applies_to=RequirementSubject.ORGANIZATION,
            validity_months=12,
            minimum_coverage=Decimal("1000000"),
        ),
        "ferpa": ClearanceRequirementFactory.create(
            network=t1.network,
            name="FERPA training",
            kind=RequirementKind.FERPA_TRAINING,
            validity_months=None,
            document_required=False,
        ),
        "mou": ClearanceRequirementFactory.create(
            network=t1.network,
            name="Signed MOU",
            kind=RequirementKind.SIGNED_MOU,
            applies_to=RequirementSubject.ORGANIZATION,
            validity_months=None,
            document_required=False,
        ),
    }


@pytest.fixture
def ana(t1: Any) -> StaffMember:
    return StaffMemberFactory.create(organization=t1.org_a, first_name="Ana", last_name="Ruiz")


def yesterday(t: Any) -> dt.date:
    return t.network.today() - dt.timedelta(days=1)


def submit(t: Any, requirement: Any, user: Any = None, **fields: Any) -> ClearanceRecord:
    values: dict[str, Any] = {"organization": t.org_a, "issued_on": yesterday(t)}
    values |= fields
    return services.record_submit(
        user=user or t.users["partner_admin"], requirement=requirement, **values
    )


def test_a_partner_admin_submits_a_document(
    t1: Any, reqs: Any, ana: Any, private_dir: Path
) -> None:
    issued = yesterday(t1)
    record = submit(
        t1,
        reqs["background"],
        person=ana,
        reference=" BG-1 ",
        note="Fingerprints too.",
        upload=pdf("Ana Ruiz background.pdf"),
    )
    record.refresh_from_db()
    assert record.status == RecordStatus.SUBMITTED
    assert (record.person, record.organization, record.network) == (ana, t1.org_a, t1.network)
    assert record.issued_on == issued
    # Valid through: issued + 24 calendar months.
    assert record.expires_on == valid_through(issued, 24)
    assert (record.reference, record.note) == ("BG-1", "Fingerprints too.")
    assert record.submitted_by == t1.users["partner_admin"]
    assert record.document_name == "Ana Ruiz background.pdf"
    assert (record.document_type, record.document_size) == ("application/pdf", len(PDF))
    [stored] = stored_files(private_dir)
    # Our name, not the uploader's, inside the private directory.
    assert stored.name != "Ana Ruiz background.pdf" and stored.suffix == ".pdf"
    assert stored.read_bytes() == PDF
    assert stored.relative_to(private_dir).parts[:3] == (
        "clearance",
        str(t1.network.pk),
        str(t1.org_a.pk),
    )
    assert record.document.name == str(stored.relative_to(private_dir))
    event = AuditEvent.objects.get(action="clearance.record.submit")
    assert event.data["person"] == ana.pk and event.data["document"] is True


def test_valid_through_defaults_to_the_requirements_validity(
    t1: Any, reqs: Any, ana: Any, private_dir: Path, monkeypatch: Any
) -> None:
    # 2028-02-29 + 24 months = 2030-02-28 (on a day when 29 February is in the past).
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2028, 3, 10, 12, tzinfo=UTC))
    record = submit(
        t1, reqs["background"], person=ana, issued_on=dt.date(2028, 2, 29), upload=pdf()
    )
    assert record.expires_on == dt.date(2030, 2, 28)
    endless = submit(t1, reqs["ferpa"], person=ana, issued_on=dt.date(2028, 2, 29))
    assert endless.expires_on is None and not endless.document


def test_a_network_admin_may_submit_for_an_organization(
    t1: Any, reqs: Any, private_dir: Path
) -> None:
    record = submit(
        t1,
        reqs["insurance"],
        user=t1.users["network_admin"],
        coverage_amount=Decimal("2000000"),
        upload=pdf(),
    )
    assert record.person is None and record.coverage_amount == Decimal("2000000.00")


@pytest.mark.parametrize(
    ("persona", "organization"),
    [
        ("partner_staff_a", "org_a"),
        ("partner_admin", "org_b"),
        ("coordinator", "org_a"),
        ("principal", "org_a"),
        ("evaluator", "org_a"),
    ],
)
def test_others_may_not_submit(
    t1: Any, reqs: Any, private_dir: Path, persona: str, organization: str
) -> None:
    person = StaffMemberFactory.create(organization=getattr(t1, organization))
    with pytest.raises(PermissionDenied):
        submit(
            t1,
            reqs["background"],
            user=t1.users[persona],
            organization=getattr(t1, organization),
            person=person,
            upload=pdf(),
        )
    assert stored_files(private_dir) == [] and not ClearanceRecord.objects.exists()


def test_another_networks_admin_may_not_submit(
    t1: Any, t2: Any, reqs: Any, ana: Any, private_dir: Path
) -> None:
    with pytest.raises(PermissionDenied):
        submit(t1, reqs["background"], user=t2.users["network_admin"], person=ana, upload=pdf())


def refused(t: Any, private_dir: Path, requirement: Any, **fields: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        submit(t, requirement, **fields)
    assert stored_files(private_dir) == []
    assert not ClearanceRecord.objects.exists()
    assert not AuditEvent.objects.filter(action="clearance.record.submit").exists()
    return caught.value.message_dict


def test_the_subject_must_match_the_requirement(
    t1: Any, reqs: Any, ana: Any, private_dir: Path
) -> None:
    errors = refused(t1, private_dir, reqs["background"], upload=pdf())
    assert errors["person"] == ["Background check is needed for each person: choose the person."]
    errors = refused(
        t1,
        private_dir,
        reqs["insurance"],
        person=ana,
        coverage_amount=Decimal("2000000"),
        upload=pdf(),
    )
    assert errors["person"] == [
        "Liability insurance is the organization's, not a person's: leave the person empty."
    ]


def test_the_person_must_be_on_this_organizations_list(
    t1: Any, reqs: Any, private_dir: Path
) -> None:
    stranger = StaffMemberFactory.create(organization=t1.org_b)
    errors = refused(t1, private_dir, reqs["background"], person=stranger, upload=pdf())
    assert errors["person"] == ["Choose a person on this organization's staff list."]
    gone = StaffMemberFactory.create(organization=t1.org_a, is_active=False, first_name="Bo")
    errors = refused(t1, private_dir, reqs["background"], person=gone, upload=pdf())
    assert errors["person"] == [f"{gone.full_name} is no longer on the staff list."]


def test_the_requirement_must_be_the_networks_and_in_effect(
    t1: Any, t2: Any, reqs: Any, ana: Any, private_dir: Path
) -> None:
    foreign = ClearanceRequirementFactory.create(network=t2.network)
    errors = refused(t1, private_dir, foreign, person=ana, upload=pdf())
    assert errors["requirement"] == ["Choose one of the network's requirements in effect."]
    reqs["background"].is_active = False
    reqs["background"].save()
    errors = refused(t1, private_dir, reqs["background"], person=ana, upload=pdf())
    assert "requirement" in errors
    errors = refused(t1, private_dir, reqs["mou"], upload=pdf())
    assert errors["requirement"] == [
        "Signed MOU is met by the MOU signed in the app: there is nothing to upload."
    ]


def test_a_document_is_needed_when_the_requirement_says_so(
    t1: Any, reqs: Any, ana: Any, private_dir: Path
) -> None:
    errors = refused(t1, private_dir, reqs["background"], person=ana)
    assert errors["document"] == [
        "Background check needs a document: attach it (PDF, PNG or JPEG)."
    ]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("notes.docx", PDF),
            "notes.docx is not a PDF, PNG or JPEG file: send a .pdf, .png, .jpg or .jpeg file.",
        ),
        (
            SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 this is a program"),
            "The content of scan.pdf is not a PDF file",
        ),
        (SimpleUploadedFile("scan.pdf", PNG), "scan.pdf is named as a PDF file"),
    ],
)
def test_a_bad_document_is_refused_before_anything_is_stored(
    t1: Any, reqs: Any, ana: Any, private_dir: Path, upload: Any, message: str
) -> None:
    errors = refused(t1, private_dir, reqs["background"], person=ana, upload=upload)
    assert errors["document"][0].startswith(message)


def test_an_oversized_document_is_refused_before_anything_is_stored(
    t1: Any, reqs: Any, ana: Any, private_dir: Path, settings: Any
) -> None:
    settings.WRAPAROUND_UPLOAD_MAX_BYTES = 1024
    big = pdf(content=PDF + b"0" * 1024)
    errors = refused(t1, private_dir, reqs["background"], person=ana, upload=big)
    assert "the largest file accepted is 1.0" in errors["document"][0]


@pytest.mark.parametrize(
    "raw_name", ["../../../etc/cron.d/evil.pdf", "..\\..\\evil.pdf", "evil\x00.pdf", ".."]
)
def test_a_path_trick_in_the_name_is_refused_before_anything_is_stored(
    t1: Any, reqs: Any, ana: Any, private_dir: Path, tmp_path: Path, raw_name: str
) -> None:
    upload = pdf()
    upload._name = raw_name
    errors = refused(t1, private_dir, reqs["background"], person=ana, upload=upload)
    assert errors["document"]
    assert stored_files(tmp_path) == []


def test_dates_are_checked_on_the_networks_clock(
    t1: Any, reqs: Any, ana: Any, private_dir: Path, monkeypatch: Any
) -> None:
    # 03:00 UTC on 1 March 2027 is still 28 February in New York.
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2027, 3, 1, 3, 0, tzinfo=UTC))
    t1.network.time_zone = "America/New_York"
    t1.network.save(update_fields=["time_zone"])
    t1.org_a.network.refresh_from_db()
    errors = refused(t1, private_dir, reqs["background"], person=ana, issued_on=dt.date(2027, 3, 1))
    assert errors["issued_on"] == [
        "The day it was issued (2027-03-01) is in the future: today is 2027-02-28."
    ]
    t1.network.time_zone = "Europe/Berlin"
    t1.network.save(update_fields=["time_zone"])
    t1.org_a.network.refresh_from_db()
    record = submit(t1, reqs["background"], person=ana, issued_on=dt.date(2027, 3, 1), upload=pdf())
    assert record.expires_on == dt.date(2029, 3, 1)


def test_the_last_valid_day_is_checked(t1: Any, reqs: Any, ana: Any, private_dir: Path) -> None:
    issued = dt.date(2026, 1, 31)
    errors = refused(
        t1,
        private_dir,
        reqs["background"],
        person=ana,
        issued_on=issued,
        expires_on=dt.date(2026, 1, 30),
        upload=pdf(),
    )
    assert errors["expires_on"] == [
        "The last valid day (2026-01-30) is before the day it was issued (2026-01-31)."
    ]
    errors = refused(
        t1,
        private_dir,
        reqs["background"],
        person=ana,
        issued_on=issued,
        expires_on=dt.date(2028, 2, 1),
        upload=pdf(),
    )
    assert errors["expires_on"] == [
        "The network accepts Background check for 24 months: valid through 2028-01-31 at the "
        "latest."
    ]
    # An earlier end than the requirement's (the certificate's own date) is fine.
    record = submit(
        t1,
        reqs["background"],
        person=ana,
        issued_on=issued,
        expires_on=dt.date(2027, 6, 30),
        upload=pdf(),
    )
    assert record.expires_on == dt.date(2027, 6, 30)


def test_insurance_needs_a_coverage_of_at_least_the_minimum(
    t1: Any, reqs: Any, private_dir: Path
) -> None:
    errors = refused(t1, private_dir, reqs["insurance"], upload=pdf())
    assert errors["coverage_amount"] == ["Enter the coverage of the policy, in dollars."]
    errors = refused(
        t1, private_dir, reqs["insurance"], coverage_amount=Decimal("500000"), upload=pdf()
    )
    assert errors["coverage_amount"] == [
        "The policy covers $500,000.00; the network requires at least $1,000,000.00."
    ]
    record = submit(t1, reqs["insurance"], coverage_amount=Decimal("1000000"), upload=pdf())
    assert record.coverage_amount == Decimal("1000000.00")


def test_a_coverage_is_for_insurance_only(t1: Any, reqs: Any, ana: Any, private_dir: Path) -> None:
    errors = refused(
        t1,
        private_dir,
        reqs["background"],
        person=ana,
        coverage_amount=Decimal("10"),
        upload=pdf(),
    )
    assert errors["coverage_amount"] == ["A coverage amount applies to insurance only."]


def test_every_problem_is_reported_at_once(t1: Any, reqs: Any, ana: Any, private_dir: Path) -> None:
    upload = SimpleUploadedFile("x.exe", b"MZ")
    errors = refused(
        t1,
        private_dir,
        reqs["insurance"],
        issued_on=t1.network.today() + dt.timedelta(days=3),
        reference="r" * 101,
        upload=upload,
    )
    assert set(errors) == {"issued_on", "coverage_amount", "reference", "document"}


def test_if_writing_the_record_fails_the_stored_file_is_deleted(
    t1: Any, reqs: Any, ana: Any, private_dir: Path, monkeypatch: Any
) -> None:
    def broken(**kwargs: Any) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(DatabaseError):
        submit(t1, reqs["background"], person=ana, upload=pdf())
    assert stored_files(private_dir) == []
    assert not ClearanceRecord.objects.exists()


# --- review ------------------------------------------------------------------------------------


@pytest.fixture
def waiting(t1: Any, reqs: Any, ana: Any) -> ClearanceRecord:
    return ClearanceRecordFactory.create(
        requirement=reqs["background"], person=ana, status=RecordStatus.SUBMITTED
    )


def test_a_network_admin_clears_a_record(t1: Any, waiting: Any) -> None:
    record = services.record_review(
        user=t1.users["network_admin"], record=waiting, decision="clear"
    )
    record.refresh_from_db()
    assert record.status == RecordStatus.CLEARED
    assert record.reviewed_by == t1.users["network_admin"] and record.reviewed_at is not None
    assert actions("clearance.record") == ["clearance.record.clear"]


def test_rejecting_needs_a_reason_the_partner_reads(t1: Any, waiting: Any) -> None:
    admin = t1.users["network_admin"]
    with pytest.raises(ValidationError) as caught:
        services.record_review(user=admin, record=waiting, decision="reject", reason="  ")
    assert caught.value.message_dict == {
        "reason": ["Say why it is rejected: the partner reads this."]
    }
    waiting.refresh_from_db()
    assert waiting.status == RecordStatus.SUBMITTED and waiting.reviewed_at is None
    record = services.record_review(
        user=admin, record=waiting, decision="reject", reason="The name does not match."
    )
    assert record.status == RecordStatus.REJECTED
    assert record.rejection_reason == "The name does not match."
    assert AuditEvent.objects.get(action="clearance.record.reject").data == {
        "reason": "The name does not match."
    }


def test_a_record_is_reviewed_once(t1: Any, waiting: Any) -> None:
    admin = t1.users["network_admin"]
    services.record_review(user=admin, record=waiting, decision="clear")
    with pytest.raises(ValidationError) as caught:
        services.record_review(user=admin, record=waiting, decision="reject", reason="Oops")
    assert caught.value.messages == ["This record was already reviewed: cleared."]


def test_an_unknown_decision_is_refused(t1: Any, waiting: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        services.record_review(user=t1.users["network_admin"], record=waiting, decision="maybe")
    assert caught.value.message_dict == {"decision": ["Choose to clear or to reject."]}


@pytest.mark.parametrize(
    "persona", ["partner_admin", "partner_staff_a", "coordinator", "principal", "evaluator"]
)
def test_only_network_admins_review(t1: Any, waiting: Any, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        services.record_review(user=t1.users[persona], record=waiting, decision="clear")
    waiting.refresh_from_db()
    assert waiting.status == RecordStatus.SUBMITTED


def test_another_networks_admin_may_not_review(t1: Any, t2: Any, waiting: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.record_review(user=t2.users["network_admin"], record=waiting, decision="clear")


# --- reading a document ------------------------------------------------------------------------


def test_opening_a_document_is_audited_and_limited(
    t1: Any, reqs: Any, ana: Any, private_dir: Path
) -> None:
    record = submit(t1, reqs["background"], person=ana, upload=pdf())
    with services.record_document_open(user=t1.users["network_admin"], record=record) as handle:
        assert handle.read() == PDF
    assert actions("clearance.record.document") == ["clearance.record.document_read"]
    for persona in ("partner_staff_a", "coordinator", "principal"):
        with pytest.raises(PermissionDenied):
            services.record_document_open(user=t1.users[persona], record=record)
