"""The MOU PDF (agreements.mou_pdf) and its download view (agreements.views_pdf).

The PDFs are rendered once per module (WeasyPrint takes a moment): a module-scoped fixture
builds the agreements in a transaction it rolls back, renders them, and keeps the bytes and the
values to look for. The view tests render only for the roles that get the PDF."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import formats, translation
from pypdf import PdfReader

from wraparound.agreements import models as m
from wraparound.agreements.mou_content import content_hash, freeze
from wraparound.agreements.mou_pdf import css_page_counter, css_string, refuse_fetch
from wraparound.agreements.tests.factories import (
    AgreementVersionFactory,
    DeliverableFactory,
    ResponsibilityFactory,
    signed_agreement,
)
from wraparound.agreements.views_pdf import pdf_filename
from wraparound.core.roles import Role
from wraparound.core.tests.personas import Tenant

URLCONF = "wraparound.agreements.tests.urls_pdf_test"

# Every test is a database test, so that the test database exists for the module fixture even
# when only the document tests are selected (pytest-django sets up the databases tests ask for).
pytestmark = pytest.mark.django_db


def squash(text: str) -> str:
    """Text without whitespace: line breaks fall where the layout puts them."""
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


@dataclass
class Rendered:
    pdf: bytes
    text: str
    expect: dict[str, Any] = field(default_factory=dict)

    def has(self, value: object) -> bool:
        return squash(str(value)) in squash(self.text)


@pytest.fixture(scope="module")
def rendered(django_db_setup: None, django_db_blocker: Any) -> dict[str, Rendered]:
    from wraparound.agreements.mou_pdf import render_mou_pdf

    out: dict[str, Rendered] = {}
    with django_db_blocker.unblock(), transaction.atomic():
        agreement: Any = signed_agreement(title="Tutoring at Lincoln Middle")
        signed = agreement.signed_version
        sharing = signed.data_sharing
        sharing.data_elements = [e.value for e in m.DataElement]
        sharing.legal_basis = m.LegalBasis.SCHOOL_OFFICIAL
        sharing.partner_roles = ["partner_admin", "partner_staff"]
        sharing.save()
        DeliverableFactory(
            version=signed, description="Family nights", quantity=4, unit="events", tier=None
        )
        freeze(signed)
        signed.save(update_fields=["content", "content_hash"])
        signed.signatures.update(content_hash=signed.content_hash)
        signed.signatures.filter(party=m.Party.PARTNER).update(
            signer_title="Executive director",
            ip_address="203.0.113.7",
            signed_at=dt.datetime(2026, 9, 1, 18, 30, tzinfo=dt.UTC),
        )
        agreement.network.time_zone = "America/Los_Angeles"
        agreement.network.save(update_fields=["time_zone"])

        def expect(version: Any) -> dict[str, Any]:
            return {
                "title": agreement.title,
                "school": agreement.school.name,
                "school_code": agreement.school.code,
                "organization": agreement.organization.name,
                "network": agreement.network.name,
                "term": [
                    formats.date_format(version.term_start, "DATE_FORMAT"),
                    formats.date_format(version.term_end, "DATE_FORMAT"),
                ],
                "responsibilities": [r.description for r in version.responsibilities.all()],
                "deliverables": [(d.description, d.quantity) for d in version.deliverables.all()],
                "signers": [s.signer_name for s in signed.signatures.all()],
                "hash": version.content_hash or content_hash(version),
            }

        text = pdf_text(pdf := render_mou_pdf(signed))
        out["signed"] = Rendered(pdf, text, expect(signed))
        with translation.override("es"):
            pdf = render_mou_pdf(signed)
            out["signed_es"] = Rendered(pdf, pdf_text(pdf), expect(signed))

        # An amendment being drafted: version 2, after the signed version 1.
        draft: Any = AgreementVersionFactory(
            agreement=agreement, number=2, purpose="Tutoring and family nights."
        )
        ResponsibilityFactory(version=draft, party=m.Party.PARTNER, description="Run nights")
        DeliverableFactory(version=draft, description="Homework club", quantity=35)
        pdf = render_mou_pdf(draft)
        out["draft"] = Rendered(pdf, pdf_text(pdf), expect(draft))

        # A network-wide agreement whose partner was renamed after it was signed.
        wide: Any = signed_agreement(
            partnership__school=None,
            partnership__network=agreement.network,
            partnership__school_year__network=agreement.network,
            partnership__service__organization__network=agreement.network,
        )
        old_name = wide.organization.name
        wide.organization.name = "Renamed Partner"
        wide.organization.save(update_fields=["name"])
        version = m.AgreementVersion.objects.get(pk=wide.signed_version_id)
        pdf = render_mou_pdf(version)
        out["network_wide"] = Rendered(
            pdf, pdf_text(pdf), {"old_name": old_name, "hash": version.content_hash}
        )
        # Terms changed behind the services' back: the PDF says the recorded hash no longer holds.
        m.Deliverable.objects.filter(version=version).update(quantity=999)
        pdf = render_mou_pdf(m.AgreementVersion.objects.get(pk=version.pk))
        out["tampered"] = Rendered(
            pdf, pdf_text(pdf), {"hash": version.content_hash, "now": content_hash(version)}
        )
        transaction.set_rollback(True)
    return out


# --- the document ---------------------------------------------------------------------------


def test_signed_pdf_is_a_letter_pdf_with_page_numbers(rendered: dict[str, Rendered]) -> None:
    doc = rendered["signed"]
    assert doc.pdf.startswith(b"%PDF-")
    page = PdfReader(io.BytesIO(doc.pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)
    pages = len(PdfReader(io.BytesIO(doc.pdf)).pages)
    assert f"Page 1 of {pages}" in doc.text
    assert doc.has(doc.expect["network"])  # the running header


def test_signed_pdf_shows_every_term(rendered: dict[str, Rendered]) -> None:
    doc = rendered["signed"]
    e = doc.expect
    assert doc.has(e["title"])
    assert doc.has(e["school"]) and doc.has(e["school_code"]) and doc.has(e["organization"])
    assert doc.has("Pat Principal") and doc.has("ari@partner.example")  # contacts
    assert all(doc.has(day) for day in e["term"])
    assert doc.has("Tutoring for students who need it.")  # purpose
    assert e["responsibilities"] == ["Provide a room", "Send tutors"]
    assert all(doc.has(r) for r in e["responsibilities"])
    assert len(e["deliverables"]) == 2
    for description, quantity in e["deliverables"]:
        assert doc.has(description) and doc.has(quantity)
    assert doc.has("grades 6-8") and doc.has("each week") and doc.has("every student")
    assert doc.has("Attendance and grades reviewed each term.")  # evaluation


def test_signed_pdf_shows_the_data_sharing_terms(rendered: dict[str, Rendered]) -> None:
    doc = rendered["signed"]
    assert doc.has(m.LegalBasis.SCHOOL_OFFICIAL.label)
    for element in m.DataElement:
        assert doc.has(element.label), element
    assert doc.has("Partner admin, Partner staff")
    assert doc.has(m.DestructionMethod.SECURE_DELETION.label)
    assert doc.has("To plan and deliver tutoring.")


def test_signed_pdf_shows_signatures_and_the_hash(rendered: dict[str, Rendered]) -> None:
    doc = rendered["signed"]
    assert sorted(doc.expect["signers"]) == ["Signer for partner", "Signer for school"]
    assert all(doc.has(name) for name in doc.expect["signers"])
    assert doc.has("Executive director") and doc.has("203.0.113.7")
    # Signed-at stamps on the network's clock, whatever the server's time zone.
    assert doc.has("Signed at (America/Los_Angeles)") and doc.has("2026-09-01 11:30 PDT")
    assert re.fullmatch(r"[0-9a-f]{64}", doc.expect["hash"])
    assert doc.has(doc.expect["hash"])
    assert doc.has("the hash of the exact text signed")
    assert not doc.has("does not match")
    assert "DRAFT" not in doc.text and not doc.has("Not signed.")


def test_draft_pdf_is_marked_and_unsigned(rendered: dict[str, Rendered]) -> None:
    doc = rendered["draft"]
    assert "DRAFT" in doc.text
    assert doc.has("Draft: these terms are still being written.")
    assert not any(doc.has(name) for name in rendered["signed"].expect["signers"])
    assert doc.has("Not signed.") and doc.has("Signature")
    assert doc.has("Run nights") and doc.has("Homework club") and doc.has(35)
    assert doc.has(doc.expect["hash"])  # the draft's terms as they stand
    assert doc.expect["hash"] != rendered["signed"].expect["hash"]
    assert "Page 1 of" in doc.text


def test_network_wide_pdf_names_the_network_and_survives_a_rename(
    rendered: dict[str, Rendered],
) -> None:
    doc = rendered["network_wide"]
    assert doc.has("Network-wide: every school of the network")
    assert doc.has("For the network") and doc.has("For the partner organization")
    assert doc.has("Renamed Partner") and not doc.has(doc.expect["old_name"])
    # A new name is not a new term: the recorded hash (what was signed) still holds.
    assert doc.has(doc.expect["hash"])
    assert not doc.has("no longer match")
    assert not doc.has("does not match")  # the signatures match the recorded hash


def test_pdf_flags_terms_changed_behind_the_services_back(rendered: dict[str, Rendered]) -> None:
    doc = rendered["tampered"]
    assert doc.expect["hash"] != doc.expect["now"]
    assert doc.has(doc.expect["hash"]) and doc.has(doc.expect["now"])
    assert doc.has("no longer match")


def test_spanish_pdf_uses_the_spanish_labels(rendered: dict[str, Rendered]) -> None:
    doc = rendered["signed_es"]
    # Strings the Spanish catalog already has: a legal basis, a data element, a partner role.
    with translation.override("es"):
        basis = str(m.LegalBasis.SCHOOL_OFFICIAL.label)
        name = str(m.DataElement.NAME.label)
        staff = str(Role.PARTNER_STAFF.label)
    assert basis == "Funcionario escolar con interés educativo legítimo"
    assert name == "nombre" and staff == "Personal del socio"
    assert doc.has(basis) and doc.has(staff)
    assert doc.has("Nivel") and doc.has("Unidad")  # the deliverables' column heads
    assert re.search(r"^\s*nombre\s*$", doc.text, re.MULTILINE)
    assert not doc.has(str(m.LegalBasis.SCHOOL_OFFICIAL.label))  # not the English one
    assert doc.has(doc.expect["hash"]) and doc.has(doc.expect["signers"][0])


# --- safety helpers ---------------------------------------------------------------------------


def test_no_resource_is_fetched_but_inline_data() -> None:
    with pytest.raises(ValueError):
        refuse_fetch("https://example.org/logo.png")
    with pytest.raises(ValueError):
        refuse_fetch("file:///etc/passwd")
    assert refuse_fetch("data:text/plain,hi")["file_obj"].read() == b"hi"


def test_css_strings_cannot_escape() -> None:
    value = css_string('A "quoted" </style> name\n')
    assert '"' not in value[1:-1] and "<" not in value and "\n" not in value
    assert css_page_counter("Página %(page)s de %(pages)s") == (
        '"Página " counter(page) " de " counter(pages)'
    )


# --- the download view -------------------------------------------------------------------------


@pytest.fixture
def school_agreement(t1: Tenant) -> Any:
    return signed_agreement(
        partnership__school=t1.schools[0], partnership__service__organization=t1.org_a
    )


def pdf_url(agreement: Any, number: int = 1) -> str:
    return reverse("agreement_pdf", urlconf=URLCONF, kwargs={"pk": agreement.pk, "number": number})


@pytest.mark.urls(URLCONF)
@pytest.mark.parametrize("persona", ["partner_admin", "coordinator"])
def test_readers_download_the_pdf(
    persona: str, t1: Tenant, school_agreement: Any, as_user: Any
) -> None:
    response = as_user(t1.users[persona]).get(pdf_url(school_agreement))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    name = f"mou-{t1.schools[0].code}-north-tutoring-a-v1.pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.urls(URLCONF)
@pytest.mark.parametrize(
    "persona", ["partner_staff_b", "evaluator", "coalition_member", "outsider"]
)
def test_others_in_the_network_get_404(
    persona: str, t1: Tenant, school_agreement: Any, as_user: Any
) -> None:
    response = as_user(t1.users[persona]).get(pdf_url(school_agreement))
    assert response.status_code == 404


@pytest.mark.urls(URLCONF)
@pytest.mark.parametrize("persona", ["network_admin", "coordinator", "partner_admin", "principal"])
def test_other_tenant_gets_404(
    persona: str, t2: Tenant, school_agreement: Any, as_user: Any
) -> None:
    response = as_user(t2.users[persona]).get(pdf_url(school_agreement))
    assert response.status_code == 404


@pytest.mark.urls(URLCONF)
def test_unknown_version_or_agreement_is_404(
    t1: Tenant, school_agreement: Any, as_user: Any
) -> None:
    client = as_user(t1.users["partner_admin"])
    assert client.get(pdf_url(school_agreement, number=2)).status_code == 404
    url = reverse("agreement_pdf", urlconf=URLCONF, kwargs={"pk": 999_999, "number": 1})
    assert client.get(url).status_code == 404


@pytest.mark.urls(URLCONF)
def test_anonymous_is_sent_to_log_in(school_agreement: Any, client: Any) -> None:
    response = client.get(pdf_url(school_agreement))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.urls(URLCONF)
def test_post_is_not_allowed(t1: Tenant, school_agreement: Any, as_user: Any) -> None:
    response = as_user(t1.users["partner_admin"]).post(pdf_url(school_agreement))
    assert response.status_code == 405


def test_network_wide_filename_uses_the_network_slug(t1: Tenant) -> None:
    agreement: Any = signed_agreement(
        partnership__school=None,
        partnership__network=t1.network,
        partnership__service__organization=t1.org_b,
        partnership__school_year__network=t1.network,
    )
    assert agreement.school is None
    assert pdf_filename(agreement, 3) == "mou-north-north-mentoring-b-v3.pdf"
