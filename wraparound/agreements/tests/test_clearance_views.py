"""The clearance pages for every role: requirements and the review queue (network admins), an
organization's campus staff and submissions (its partner admins and network admins), the
private documents, the check and the front desk's printable week. Bad input keeps what was typed
and writes nothing; refused uploads leave nothing on disk; list pages cost a fixed number of
queries."""

from __future__ import annotations

import copy
import datetime as dt
import html
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wraparound.agreements import clearance_services as services
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
from wraparound.assessments.tests.factories import PartnershipFactory, SchoolYearFactory
from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.tests.factories import ServiceFactory

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40

NETWORK_ADMIN_ONLY = {"network_admin": 200, "outsider": 404}  # every other member: 403
STAFF_MANAGERS = {"network_admin": 200, "partner_admin": 200, "partner_staff_a": 403}  # else 404
CHECKERS = {
    "network_admin",
    "coordinator",
    "staff",
    "supervisor",
    "principal",
    "partner_admin",
    "partner_staff_a",
    "partner_staff_b",
}
FRONT_DESK = {"network_admin", "coordinator", "staff", "supervisor", "principal"}
SCHOOL_READERS_NOT_FRONT_DESK = {"evaluator", "network_supervisor"}


def text(response: Any) -> str:
    """The page's text, whitespace collapsed (for assertions on sentences)."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    collapsed = re.sub(r"\s+", " ", html.unescape(body)).strip()
    return re.sub(r" ([:;,)])", r"\1", collapsed)


@pytest.fixture
def private_dir(settings: Any, tmp_path: Path) -> Path:
    storages = copy.deepcopy(settings.STORAGES)
    storages["private"]["OPTIONS"]["location"] = str(tmp_path / "private")
    settings.STORAGES = storages
    return tmp_path / "private"


def stored_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()] if directory.exists() else []


@pytest.fixture
def world(t1: Any, private_dir: Path) -> dict[str, Any]:
    network = t1.network
    today = network.today()
    year = SchoolYearFactory.create(
        network=network,
        end_year=(today + dt.timedelta(days=200)).year,
        start_date=today - dt.timedelta(days=100),
        end_date=today + dt.timedelta(days=200),
    )
    school = t1.schools[0]
    for org in (t1.org_a, t1.org_b):
        PartnershipFactory.create(
            school=school, service=ServiceFactory.create(organization=org), school_year=year
        )
    background = ClearanceRequirementFactory.create(
        network=network, name="Background check", validity_months=24
    )
    insurance = ClearanceRequirementFactory.create(
        network=network,
        name="Liability insurance",
        kind=RequirementKind.LIABILITY_INSURANCE,
        applies_to=RequirementSubject.ORGANIZATION,
        validity_months=12,
        minimum_coverage=Decimal("1000000"),
    )
    ana = StaffMemberFactory.create(organization=t1.org_a, first_name="Ana", last_name="Ruiz")
    ben = StaffMemberFactory.create(organization=t1.org_a, first_name="Ben", last_name="Okafor")
    valid = {
        "status": RecordStatus.CLEARED,
        "issued_on": today - dt.timedelta(days=30),
        "expires_on": today + dt.timedelta(days=365),
    }
    ana_background = ClearanceRecordFactory.create(requirement=background, person=ana, **valid)
    ClearanceRecordFactory.create(
        requirement=insurance, person=None, organization=t1.org_a, network=network, **valid
    )
    waiting = services.record_submit(
        user=t1.users["partner_admin"],
        requirement=background,
        organization=t1.org_a,
        person=ben,
        issued_on=today - dt.timedelta(days=2),
        reference="NYS-0042",
        upload=_upload("Ben background.pdf"),
    )
    return {
        "t1": t1,
        "today": today,
        "year": year,
        "school": school,
        "background": background,
        "insurance": insurance,
        "ana": ana,
        "ben": ben,
        "ana_background": ana_background,
        "waiting": waiting,
    }


def _upload(name: str, content: bytes = PDF) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def status_for(expected: dict[str, int], persona: str, default: int) -> int:
    return expected.get(persona, default)


# --- requirements ------------------------------------------------------------------------------


def requirements_url(world: dict[str, Any], slug: str | None = None) -> str:
    return reverse("clearance_requirements", args=[slug or world["t1"].network.slug])


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_opens_the_requirements_page(world: Any, as_user: Any, persona: str) -> None:
    response = as_user(world["t1"].users[persona]).get(requirements_url(world))
    assert response.status_code == status_for(NETWORK_ADMIN_ONLY, persona, 403)
    if response.status_code == 200:
        page = text(response)
        assert "Background check" in page and "24 months" in page
        assert "$1,000,000.00" in page


def test_another_networks_admin_gets_404(world: Any, as_user: Any, t2: Any) -> None:
    client = as_user(t2.users["network_admin"])
    assert client.get(requirements_url(world)).status_code == 404
    assert (
        client.get(reverse("clearance_review", args=[world["t1"].network.slug])).status_code == 404
    )


def test_a_network_admin_adds_a_requirement(world: Any, as_user: Any) -> None:
    client = as_user(world["t1"].users["network_admin"])
    response = client.post(
        requirements_url(world),
        {
            "new-name": "TB test",
            "new-kind": "tb_test",
            "new-applies_to": "person",
            "new-validity_months": "12",
            "new-document_required": "on",
        },
    )
    assert response.status_code == 302
    requirement = ClearanceRequirement.objects.get(name="TB test")
    assert (requirement.validity_months, requirement.document_required) == (12, True)
    assert AuditEvent.objects.filter(action="clearance.requirement.create").count() == 1


def test_a_bad_requirement_keeps_what_was_typed(world: Any, as_user: Any) -> None:
    client = as_user(world["t1"].users["network_admin"])
    response = client.post(
        requirements_url(world),
        {
            "new-name": "Fingerprints",
            "new-kind": "fingerprinting",
            "new-applies_to": "person",
            "new-minimum_coverage": "5000",
        },
    )
    assert response.status_code == 400
    assert "A minimum coverage applies to liability insurance only." in text(response)
    assert 'value="Fingerprints"' in response.content.decode()
    assert not ClearanceRequirement.objects.filter(name="Fingerprints").exists()


def test_only_network_admins_post_requirements(world: Any, as_user: Any) -> None:
    response = as_user(world["t1"].users["coordinator"]).post(
        requirements_url(world),
        {"new-name": "X", "new-kind": "other", "new-applies_to": "person"},
    )
    assert response.status_code == 403
    assert not ClearanceRequirement.objects.filter(name="X").exists()


def test_a_network_admin_edits_a_requirement(world: Any, as_user: Any, t2: Any) -> None:
    client = as_user(world["t1"].users["network_admin"])
    url = reverse(
        "clearance_requirement_edit", args=[world["t1"].network.slug, world["background"].pk]
    )
    assert 'value="Background check"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "name": "Background check (state)",
            "kind": "background_check",
            "applies_to": "person",
            "validity_months": "36",
            "document_required": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    world["background"].refresh_from_db()
    assert world["background"].validity_months == 36
    # A requirement of another network through this network's page: 404.
    foreign = ClearanceRequirementFactory.create(network=t2.network)
    other = reverse("clearance_requirement_edit", args=[world["t1"].network.slug, foreign.pk])
    assert client.get(other).status_code == 404
    assert as_user(world["t1"].users["evaluator"]).get(url).status_code == 403


# --- an organization's staff -------------------------------------------------------------------


def staff_url(world: Any, org: Any = None) -> str:
    return reverse("organization_staff", args=[(org or world["t1"].org_a).pk])


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_opens_the_staff_page(world: Any, as_user: Any, persona: str) -> None:
    response = as_user(world["t1"].users[persona]).get(staff_url(world))
    assert response.status_code == status_for(STAFF_MANAGERS, persona, 404)


def test_the_staff_page_of_another_organization_or_tenant_is_404(
    world: Any, as_user: Any, t2: Any
) -> None:
    assert (
        as_user(world["t1"].users["partner_admin"])
        .get(staff_url(world, world["t1"].org_b))
        .status_code
        == 404
    )
    assert as_user(t2.users["network_admin"]).get(staff_url(world)).status_code == 404
    assert as_user(t2.users["partner_admin"]).get(staff_url(world)).status_code == 404


def test_the_staff_page_shows_each_persons_state_today(world: Any, as_user: Any) -> None:
    response = as_user(world["t1"].users["partner_admin"]).get(staff_url(world))
    page = text(response)
    assert "The organization meets every one of them today." in page
    ana_row = page[page.index("Ana Ruiz") : page.index("Edit Ana Ruiz")]
    assert "✓ cleared" in ana_row and "✓ yes" in ana_row
    ben_row = page[page.index("Ben Okafor") : page.index("Edit Ben Okafor")]
    assert "✗ waiting for review" in ben_row and "✗ no" in ben_row
    # The latest documents, with a link to each.
    assert "Ben background.pdf" in page
    document = reverse("clearance_record_document", args=[world["waiting"].pk])
    assert document in response.content.decode()


def test_the_staff_page_costs_a_fixed_number_of_queries(world: Any, as_user: Any) -> None:
    client = as_user(world["t1"].users["partner_admin"])
    client.get(staff_url(world))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(staff_url(world)).status_code == 200
        return len(queries)

    few = count()
    for _ in range(6):
        person = StaffMemberFactory.create(organization=world["t1"].org_a)
        person.schools.set([world["school"]])
        ClearanceRecordFactory.create(requirement=world["background"], person=person)
    assert count() == few <= 20


def test_a_partner_admin_adds_edits_and_takes_off_a_person(world: Any, as_user: Any) -> None:
    t1 = world["t1"]
    client = as_user(t1.users["partner_admin"])
    response = client.post(
        reverse("organization_staff_add", args=[t1.org_a.pk]),
        {
            "new-first_name": "Cam",
            "new-last_name": "Lee",
            "new-title": "Mentor",
            "new-schools": [str(world["school"].pk)],
        },
    )
    assert response.status_code == 302
    cam = StaffMember.objects.get(first_name="Cam")
    assert list(cam.schools.all()) == [world["school"]]
    edit = reverse("organization_staff_edit", args=[t1.org_a.pk, cam.pk])
    assert 'value="Mentor"' in client.get(edit).content.decode()
    response = client.post(edit, {"first_name": "Cam", "last_name": "Lee-Park", "title": "Tutor"})
    assert response.status_code == 302
    cam.refresh_from_db()
    assert (cam.last_name, cam.title, cam.schools.count()) == ("Lee-Park", "Tutor", 0)
    response = client.post(reverse("organization_staff_deactivate", args=[t1.org_a.pk, cam.pk]))
    assert response.status_code == 302
    cam.refresh_from_db()
    assert not cam.is_active
    response = client.post(
        reverse("organization_staff_deactivate", args=[t1.org_a.pk, cam.pk]), follow=True
    )
    assert "Cam Lee-Park is already off the staff list." in text(response)
    client.post(reverse("organization_staff_reactivate", args=[t1.org_a.pk, cam.pk]))
    cam.refresh_from_db()
    assert cam.is_active


def test_a_bad_person_keeps_what_was_typed(world: Any, as_user: Any) -> None:
    t1 = world["t1"]
    response = as_user(t1.users["partner_admin"]).post(
        reverse("organization_staff_add", args=[t1.org_a.pk]),
        {"new-first_name": "Dee", "new-last_name": "", "new-email": "dee@"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "Enter a valid email address." in page
    assert 'value="Dee"' in response.content.decode()
    assert not StaffMember.objects.filter(first_name="Dee").exists()


def test_partner_staff_and_others_may_not_change_the_list(world: Any, as_user: Any) -> None:
    t1 = world["t1"]
    ana = world["ana"]
    add = reverse("organization_staff_add", args=[t1.org_a.pk])
    off = reverse("organization_staff_deactivate", args=[t1.org_a.pk, ana.pk])
    for persona, expected in (
        ("partner_staff_a", 403),
        ("partner_staff_b", 404),
        ("coordinator", 404),
    ):
        client = as_user(t1.users[persona])
        assert (
            client.post(add, {"new-first_name": "X", "new-last_name": "Y"}).status_code == expected
        )
        assert client.post(off).status_code == expected
    ana.refresh_from_db()
    assert ana.is_active and not StaffMember.objects.filter(first_name="X").exists()


def test_a_person_of_another_organization_through_this_one_is_404(world: Any, as_user: Any) -> None:
    t1 = world["t1"]
    theirs = StaffMemberFactory.create(organization=t1.org_b)
    client = as_user(t1.users["network_admin"])
    assert (
        client.get(reverse("organization_staff_edit", args=[t1.org_a.pk, theirs.pk])).status_code
        == 404
    )
    assert (
        client.post(
            reverse("organization_staff_deactivate", args=[t1.org_a.pk, theirs.pk])
        ).status_code
        == 404
    )


def test_staff_actions_take_a_post(world: Any, as_user: Any) -> None:
    t1 = world["t1"]
    client = as_user(t1.users["partner_admin"])
    url = reverse("organization_staff_deactivate", args=[t1.org_a.pk, world["ana"].pk])
    assert client.get(url).status_code == 405


# --- submitting a document ---------------------------------------------------------------------


def submit_url(world: Any, org: Any = None) -> str:
    return reverse("organization_clearance_submit", args=[(org or world["t1"].org_a).pk])


def record_data(world: Any, **extra: Any) -> dict[str, Any]:
    data = {
        "requirement": str(world["background"].pk),
        "person": str(world["ana"].pk),
        "issued_on": (world["today"] - dt.timedelta(days=1)).isoformat(),
        "reference": "NYS-0099",
    }
    data.update(extra)
    return data


def multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    """A request body whose file name is sent exactly as given (the test client would strip it)."""
    boundary = "wraparound-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="document"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_opens_the_submit_page(world: Any, as_user: Any, persona: str) -> None:
    response = as_user(world["t1"].users[persona]).get(submit_url(world))
    assert response.status_code == status_for(STAFF_MANAGERS, persona, 404)


def test_the_submit_page_is_prefilled_from_the_staff_page_link(world: Any, as_user: Any) -> None:
    response = as_user(world["t1"].users["partner_admin"]).get(
        submit_url(world) + f"?requirement={world['background'].pk}&person={world['ben'].pk}"
    )
    body = response.content.decode()
    assert f'<option value="{world["background"].pk}" selected>' in body
    assert f'<option value="{world["ben"].pk}" selected>' in body
    assert 'enctype="multipart/form-data"' in body
    assert 'accept=".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"' in body


@pytest.mark.parametrize("persona", ["partner_admin", "network_admin"])
def test_submitting_a_document_stores_it_privately(
    world: Any, as_user: Any, private_dir: Path, persona: str
) -> None:
    before = set(stored_files(private_dir))
    response = as_user(world["t1"].users[persona]).post(
        submit_url(world), {**record_data(world), "document": _upload("Ana renewal.pdf")}
    )
    assert response.status_code == 302
    record = ClearanceRecord.objects.get(reference="NYS-0099")
    assert record.status == RecordStatus.SUBMITTED and record.document_name == "Ana renewal.pdf"
    [new] = set(stored_files(private_dir)) - before
    assert new.read_bytes() == PDF and new.name != "Ana renewal.pdf"


def refused_upload(
    world: Any, as_user: Any, private_dir: Path, response: Any, message: str
) -> None:
    assert response.status_code == 400
    assert message in text(response)
    assert 'value="NYS-0099"' in response.content.decode()  # what was typed is kept
    assert not ClearanceRecord.objects.filter(reference="NYS-0099").exists()
    # Only the fixture's document is on disk.
    assert stored_files(private_dir) == [private_dir / world["waiting"].document.name]


def test_a_document_of_the_wrong_type_is_refused_and_nothing_stored(
    world: Any, as_user: Any, private_dir: Path
) -> None:
    client = as_user(world["t1"].users["partner_admin"])
    response = client.post(
        submit_url(world), {**record_data(world), "document": _upload("notes.docx", PDF)}
    )
    refused_upload(
        world,
        as_user,
        private_dir,
        response,
        "notes.docx is not a PDF, PNG or JPEG file: send a .pdf, .png, .jpg or .jpeg file.",
    )
    response = client.post(
        submit_url(world), {**record_data(world), "document": _upload("scan.pdf", PNG)}
    )
    refused_upload(
        world,
        as_user,
        private_dir,
        response,
        "scan.pdf is named as a PDF file but its content is PNG: give it the right extension.",
    )


def test_an_oversized_document_is_refused_and_nothing_stored(
    world: Any, as_user: Any, private_dir: Path, settings: Any
) -> None:
    settings.WRAPAROUND_UPLOAD_MAX_BYTES = 4096
    response = as_user(world["t1"].users["partner_admin"]).post(
        submit_url(world),
        {**record_data(world), "document": _upload("big.pdf", PDF + b"0" * 5000)},
    )
    refused_upload(world, as_user, private_dir, response, "the largest file accepted is 4.0")


def test_a_name_with_dots_is_refused_and_nothing_stored(
    world: Any, as_user: Any, private_dir: Path
) -> None:
    body, content_type = multipart(record_data(world), "passport..pdf", PDF)
    response = as_user(world["t1"].users["partner_admin"]).post(
        submit_url(world), body, content_type=content_type
    )
    refused_upload(
        world, as_user, private_dir, response, 'The file name must not contain "..": passport..pdf'
    )


def test_a_bare_dot_dot_name_is_no_document_at_all(
    world: Any, as_user: Any, private_dir: Path
) -> None:
    body, content_type = multipart(record_data(world), "..", PDF)
    response = as_user(world["t1"].users["partner_admin"]).post(
        submit_url(world), body, content_type=content_type
    )
    refused_upload(
        world,
        as_user,
        private_dir,
        response,
        "Background check needs a document: attach it (PDF, PNG or JPEG).",
    )


def test_a_path_in_the_name_never_reaches_the_disk(
    world: Any, as_user: Any, private_dir: Path, tmp_path: Path
) -> None:
    # Django's request parser keeps only the last part of the name; the name on disk is ours.
    body, content_type = multipart(record_data(world), "../../../../evil.pdf", PDF)
    response = as_user(world["t1"].users["partner_admin"]).post(
        submit_url(world), body, content_type=content_type
    )
    assert response.status_code == 302
    record = ClearanceRecord.objects.get(reference="NYS-0099")
    assert record.document_name == "evil.pdf"
    assert not (tmp_path / "evil.pdf").exists() and not list(tmp_path.parent.glob("evil.pdf"))
    for path in stored_files(tmp_path):
        assert path.is_relative_to(private_dir / "clearance")
        assert path.name != "evil.pdf"


def test_a_partner_admin_of_another_organization_gets_404_and_nothing_stored(
    world: Any, as_user: Any, private_dir: Path
) -> None:
    t1 = world["t1"]
    theirs = StaffMemberFactory.create(organization=t1.org_b)
    response = as_user(t1.users["partner_admin"]).post(
        submit_url(world, t1.org_b),
        {**record_data(world, person=str(theirs.pk)), "document": _upload("x.pdf")},
    )
    assert response.status_code == 404
    assert len(stored_files(private_dir)) == 1
    assert not ClearanceRecord.objects.filter(reference="NYS-0099").exists()


@pytest.mark.parametrize(("persona", "expected"), [("partner_staff_a", 403), ("coordinator", 404)])
def test_others_may_not_submit(
    world: Any, as_user: Any, private_dir: Path, persona: str, expected: int
) -> None:
    response = as_user(world["t1"].users[persona]).post(
        submit_url(world), {**record_data(world), "document": _upload("x.pdf")}
    )
    assert response.status_code == expected
    assert len(stored_files(private_dir)) == 1


def test_bad_dates_and_coverage_are_shown_beside_their_fields(world: Any, as_user: Any) -> None:
    client = as_user(world["t1"].users["partner_admin"])
    response = client.post(
        submit_url(world),
        {
            **record_data(world, issued_on="31/02/2027"),
            "document": _upload("a.pdf"),
        },
    )
    assert response.status_code == 400
    assert "Enter the date as YYYY-MM-DD." in text(response)
    response = client.post(
        submit_url(world),
        {
            **record_data(world, requirement=str(world["insurance"].pk), person=""),
            "coverage_amount": "250000",
            "document": _upload("policy.pdf"),
        },
    )
    assert response.status_code == 400
    assert "The policy covers $250,000.00; the network requires at least $1,000,000.00." in text(
        response
    )
    assert 'value="250000"' in response.content.decode()


# --- documents ---------------------------------------------------------------------------------


def document_url(record: Any) -> str:
    return reverse("clearance_record_document", args=[record.pk])


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_a_document(world: Any, as_user: Any, persona: str) -> None:
    response = as_user(world["t1"].users[persona]).get(document_url(world["waiting"]))
    readers = {"network_admin", "partner_admin"}
    assert response.status_code == (200 if persona in readers else 404)
    if persona in readers:
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert 'filename="Ben background.pdf"' in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_documents_of_another_tenant_or_organization_are_404(
    world: Any, as_user: Any, t2: Any
) -> None:
    url = document_url(world["waiting"])
    assert as_user(t2.users["network_admin"]).get(url).status_code == 404
    assert as_user(t2.users["partner_admin"]).get(url).status_code == 404
    assert as_user(world["t1"].users["partner_staff_a"]).get(url).status_code == 404
    # No document, no such record: the same 404.
    client = as_user(world["t1"].users["network_admin"])
    assert client.get(document_url(world["ana_background"])).status_code == 404
    assert client.get(reverse("clearance_record_document", args=[999999])).status_code == 404


def test_a_document_is_never_served_without_login(world: Any, client: Any) -> None:
    response = client.get(document_url(world["waiting"]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_reading_a_document_is_audited(world: Any, as_user: Any) -> None:
    as_user(world["t1"].users["partner_admin"]).get(document_url(world["waiting"]))
    event = AuditEvent.objects.get(action="clearance.record.document_read")
    assert event.actor == world["t1"].users["partner_admin"]


# --- review ------------------------------------------------------------------------------------


def review_url(world: Any) -> str:
    return reverse("clearance_review", args=[world["t1"].network.slug])


def decide_url(world: Any, record: Any) -> str:
    return reverse("clearance_review_decide", args=[world["t1"].network.slug, record.pk])


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_opens_the_review_queue(world: Any, as_user: Any, persona: str) -> None:
    response = as_user(world["t1"].users[persona]).get(review_url(world))
    assert response.status_code == status_for(NETWORK_ADMIN_ONLY, persona, 403)


def test_the_queue_lists_submitted_records_oldest_first(world: Any, as_user: Any) -> None:
    t1 = world["t1"]
    policy = services.record_submit(
        user=t1.users["partner_admin"],
        requirement=world["insurance"],
        organization=t1.org_a,
        issued_on=world["today"],
        coverage_amount=Decimal("2000000"),
        upload=_upload("policy.pdf"),
    )
    response = as_user(t1.users["network_admin"]).get(review_url(world))
    page = text(response)
    assert page.index("Ben Okafor") < page.index("$2,000,000.00")
    assert "at least $1,000,000.00 required" in page and "NYS-0042" in page
    body = response.content.decode()
    assert document_url(world["waiting"]) in body and document_url(policy) in body
    assert "Ana Ruiz" not in page  # cleared records are not in the queue


def test_the_queue_costs_a_fixed_number_of_queries(world: Any, as_user: Any) -> None:
    client = as_user(world["t1"].users["network_admin"])
    client.get(review_url(world))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(review_url(world)).status_code == 200
        return len(queries)

    few = count()
    for _ in range(6):
        ClearanceRecordFactory.create(
            requirement=world["background"],
            person__organization=world["t1"].org_b,
            status=RecordStatus.SUBMITTED,
        )
    assert count() == few <= 12


def test_clearing_and_rejecting_from_the_queue(world: Any, as_user: Any) -> None:
    client = as_user(world["t1"].users["network_admin"])
    record = world["waiting"]
    prefix = f"r{record.pk}"
    response = client.post(decide_url(world, record), {f"{prefix}-decision": "reject"})
    assert response.status_code == 400
    assert "Say why it is rejected: the partner reads this." in text(response)
    record.refresh_from_db()
    assert record.status == RecordStatus.SUBMITTED
    response = client.post(
        decide_url(world, record),
        {f"{prefix}-decision": "reject", f"{prefix}-reason": "Blurred scan."},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.status, record.rejection_reason) == (RecordStatus.REJECTED, "Blurred scan.")
    # Reviewed already: said clearly at the top of the queue.
    response = client.post(decide_url(world, record), {f"{prefix}-decision": "clear"})
    assert response.status_code == 400
    assert "This record was already reviewed: rejected." in text(response)


def test_clearing_makes_the_person_cleared(world: Any, as_user: Any) -> None:
    record = world["waiting"]
    client = as_user(world["t1"].users["network_admin"])
    response = client.post(decide_url(world, record), {f"r{record.pk}-decision": "clear"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == RecordStatus.CLEARED
    assert record.reviewed_by == world["t1"].users["network_admin"]


def test_only_network_admins_decide(world: Any, as_user: Any, t2: Any) -> None:
    record = world["waiting"]
    data = {f"r{record.pk}-decision": "clear"}
    assert (
        as_user(world["t1"].users["partner_admin"])
        .post(decide_url(world, record), data)
        .status_code
        == 403
    )
    assert (
        as_user(t2.users["network_admin"]).post(decide_url(world, record), data).status_code == 404
    )
    # A record of another network through this network's queue.
    foreign = ClearanceRecordFactory.create(
        requirement__network=t2.network, person__organization=t2.org_a, status="submitted"
    )
    assert (
        as_user(world["t1"].users["network_admin"])
        .post(decide_url(world, foreign), {f"r{foreign.pk}-decision": "clear"})
        .status_code
        == 404
    )
    record.refresh_from_db()
    foreign.refresh_from_db()
    assert record.status == foreign.status == RecordStatus.SUBMITTED


# --- the check ---------------------------------------------------------------------------------


def check_url(**params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("clearance_check") + (f"?{query}" if query else "")


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_opens_the_check(world: Any, as_user: Any, persona: str) -> None:
    response = as_user(world["t1"].users[persona]).get(check_url())
    assert response.status_code == (200 if persona in CHECKERS else 403)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_ask_about_ana_at_her_school(world: Any, as_user: Any, persona: str) -> None:
    url = check_url(person=world["ana"].pk, school=world["school"].pk)
    response = as_user(world["t1"].users[persona]).get(url)
    sees = CHECKERS - {"partner_staff_b"}  # org B's staff do not see org A's people
    expected = 200 if persona in sees else (404 if persona in CHECKERS else 403)
    assert response.status_code == expected
    if expected == 200:
        day = world["today"].isoformat()
        assert f"Yes: Ana Ruiz may work at {world['school'].name} on {day}." in text(response)


def test_another_tenant_gets_404(world: Any, as_user: Any, t2: Any) -> None:
    url = check_url(person=world["ana"].pk, school=world["school"].pk)
    assert as_user(t2.users["network_admin"]).get(url).status_code == 404
    assert as_user(t2.users["coordinator"]).get(url).status_code == 404


def test_the_answer_says_what_is_missing_and_what_is_expiring(world: Any, as_user: Any) -> None:
    client = as_user(world["t1"].users["coordinator"])
    response = client.get(check_url(person=world["ben"].pk, school=world["school"].pk))
    page = text(response)
    assert f"No: Ben Okafor may not work at {world['school'].name}" in page
    assert "Missing Background check: submitted" in page and "waiting for review" in page
    # Near the end of Ana's record: still yes, but expiring.
    day = world["today"] + dt.timedelta(days=355)
    response = client.get(
        check_url(person=world["ana"].pk, school=world["school"].pk, date=day.isoformat())
    )
    page = text(response)
    assert "Yes: Ana Ruiz" in page
    expiring = page[page.index("Expiring soon") :]
    assert "Liability insurance: valid through" in expiring
    assert "Background check: valid through" in expiring


def test_a_school_without_partnership_is_a_no_for_its_own_coordinator(
    world: Any, as_user: Any
) -> None:
    t1 = world["t1"]
    response = as_user(t1.users["coordinator"]).get(
        check_url(person=world["ana"].pk, school=t1.schools[1].pk)
    )
    assert response.status_code == 200
    assert "an active partnership with this school: no active partnership on this date" in text(
        response
    )


def test_partner_users_ask_only_about_schools_they_work_at(world: Any, as_user: Any) -> None:
    t1 = world["t1"]
    client = as_user(t1.users["partner_staff_a"])
    body = client.get(check_url()).content.decode()
    assert world["school"].name in body and t1.schools[2].name not in body
    url = check_url(person=world["ana"].pk, school=t1.schools[2].pk)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"school": "{school}", "date": "2027-02-30"}, "Choose the person to check."),
        (
            {"person": "{ana}", "school": "{school}", "date": "2027-02-30"},
            "2027-02-30 is not a date",
        ),
        ({"person": "{ana}", "school": "{school}", "date": "tomorrow"}, "tomorrow is not a date"),
        ({"person": "abc", "school": "{school}"}, "Choose one from the list."),
        ({"person": "{ana}", "school": ""}, "Choose the school."),
    ],
)
def test_bad_input_is_a_form_error(
    world: Any, as_user: Any, params: dict[str, str], message: str
) -> None:
    values = {
        k: v.format(ana=world["ana"].pk, school=world["school"].pk) for k, v in params.items()
    }
    response = as_user(world["t1"].users["network_admin"]).get(check_url(**values))
    assert response.status_code == 400
    assert message in text(response)
    if values.get("date"):
        assert f'value="{values["date"]}"' in response.content.decode()


# --- the front desk's week ---------------------------------------------------------------------


def campus_url(world: Any, school: Any = None, week: str | None = None) -> str:
    url = reverse("school_campus_list", args=[(school or world["school"]).pk])
    return url + (f"?week={week}" if week else "")


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_opens_the_campus_list(world: Any, as_user: Any, persona: str) -> None:
    response = as_user(world["t1"].users[persona]).get(campus_url(world))
    if persona in FRONT_DESK:
        assert response.status_code == 200
    elif persona in SCHOOL_READERS_NOT_FRONT_DESK:
        assert response.status_code == 403
    else:
        assert response.status_code == 404


def test_the_campus_list_of_another_school_or_tenant_is_404(
    world: Any, as_user: Any, t2: Any
) -> None:
    t1 = world["t1"]
    assert as_user(t1.users["coordinator"]).get(campus_url(world, t1.schools[2])).status_code == 404
    assert as_user(t2.users["network_admin"]).get(campus_url(world)).status_code == 404
    assert as_user(t2.users["principal"]).get(campus_url(world)).status_code == 404


def test_the_week_shows_each_day_cleared_or_what_is_missing(world: Any, as_user: Any) -> None:
    today = world["today"]
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=14)
    # Ana's background check ends on the Wednesday of that week.
    ClearanceRecord.objects.filter(pk=world["ana_background"].pk).update(
        expires_on=monday + dt.timedelta(days=2)
    )
    response = as_user(world["t1"].users["principal"]).get(
        campus_url(world, week=(monday + dt.timedelta(days=3)).isoformat())
    )
    assert response.status_code == 200
    body = response.content.decode()
    page = text(response)
    # In order of organization, then last name: Okafor, then Ruiz.
    ana = page[page.index("Ana Ruiz") :]
    assert ana.count("✓ cleared") == 3
    assert ana.count("✗ not cleared: Background check (expired") == 2
    ben = page[page.index("Ben Okafor") : page.index("Ana Ruiz")]
    assert ben.count("✗ not cleared: Background check (submitted") == 5
    # Mon–Fri of the week asked for, and the weeks around it.
    assert f"?week={(monday - dt.timedelta(days=7)).isoformat()}" in body
    assert f"?week={(monday + dt.timedelta(days=7)).isoformat()}" in body
    assert "@media print" in body and "window.print()" in body
    assert page.count("Sat") == 0


def test_the_default_week_is_this_week_on_the_networks_clock(world: Any, as_user: Any) -> None:
    today = world["today"]
    monday = today - dt.timedelta(days=today.weekday())
    response = as_user(world["t1"].users["staff"]).get(campus_url(world))
    assert f"?week={(monday + dt.timedelta(days=7)).isoformat()}" in response.content.decode()


def test_people_of_partners_elsewhere_are_not_listed(world: Any, as_user: Any) -> None:
    t1 = world["t1"]
    elsewhere = StaffMemberFactory.create(organization=t1.org_a, first_name="Zed", last_name="Far")
    elsewhere.schools.set([t1.schools[1]])
    response = as_user(t1.users["coordinator"]).get(campus_url(world))
    assert "Zed Far" not in text(response)


@pytest.mark.parametrize("week", ["next", "2027-13-01", "9999-12-31", "0001-01-01", "20270301"])
def test_a_bad_week_is_said_clearly(world: Any, as_user: Any, week: str) -> None:
    response = as_user(world["t1"].users["coordinator"]).get(campus_url(world, week=week))
    assert response.status_code == 400
    assert f"{week} is not a date: enter it as YYYY-MM-DD. Showing this week." in text(response)


def test_the_campus_list_costs_a_fixed_number_of_queries(world: Any, as_user: Any) -> None:
    client = as_user(world["t1"].users["coordinator"])
    client.get(campus_url(world))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(campus_url(world)).status_code == 200
        return len(queries)

    few = count()
    for _ in range(6):
        person = StaffMemberFactory.create(organization=world["t1"].org_b)
        ClearanceRecordFactory.create(requirement=world["background"], person=person)
    assert count() == few <= 15


# --- the shared parsing of the check (the JSON API uses it too) ----------------------------------


def test_resolve_check_names_each_bad_field(world: Any) -> None:
    from django.core.exceptions import ValidationError

    from wraparound.agreements.clearance_selectors import resolve_check

    admin = world["t1"].users["network_admin"]
    with pytest.raises(ValidationError) as caught:
        resolve_check(admin, "", "x", "2027-02-29")
    assert caught.value.message_dict == {
        "person": ["Choose the person to check."],
        "school": ["Choose one from the list."],
        "date": ["2027-02-29 is not a date: enter it as YYYY-MM-DD."],
    }
    person, school, day = resolve_check(admin, world["ana"].pk, str(world["school"].pk), None)
    assert (person, school, day) == (world["ana"], world["school"], world["today"])
    _, _, leap = resolve_check(admin, world["ana"].pk, world["school"].pk, "2028-02-29")
    assert leap == dt.date(2028, 2, 29)


def test_resolve_check_is_404_for_people_and_schools_out_of_sight(world: Any, t2: Any) -> None:
    from django.http import Http404

    from wraparound.agreements.clearance_selectors import resolve_check

    t1 = world["t1"]
    with pytest.raises(Http404):
        resolve_check(t1.users["partner_staff_b"], world["ana"].pk, world["school"].pk, "")
    with pytest.raises(Http404):
        resolve_check(t1.users["partner_admin"], world["ana"].pk, t1.schools[2].pk, "")
    with pytest.raises(Http404):
        resolve_check(t1.users["network_admin"], world["ana"].pk, t2.schools[0].pk, "")
    with pytest.raises(Http404):
        resolve_check(t1.users["network_admin"], 10**17, world["school"].pk, "")
