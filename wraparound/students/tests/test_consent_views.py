"""Consent pages for every persona, and the guardian's public one-time link page."""

from __future__ import annotations

import copy
import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wraparound.core.tests.personas import PERSONAS
from wraparound.students import consent_services as services
from wraparound.students.models import Consent, ConsentMethod, ConsentStatus
from wraparound.students.tests.factories import (
    ConsentFactory,
    StudentFactory,
    StudentGuardianFactory,
)

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"

# Who sees school 0's students whole; everyone else gets a 404.
READERS = {"network_admin", "network_supervisor", "coordinator", "staff", "supervisor", "principal"}
WRITERS = {"network_admin", "coordinator", "staff"}  # can_record_consent; other readers: 403


def text(response: Any) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(body)).strip()


@pytest.fixture
def private_dir(settings: Any, tmp_path: Path) -> Path:
    storages = copy.deepcopy(settings.STORAGES)
    storages["private"]["OPTIONS"]["location"] = str(tmp_path / "private")
    settings.STORAGES = storages
    return tmp_path / "private"


@pytest.fixture
def world(t1: Any, private_dir: Path) -> dict[str, Any]:
    student: Any = StudentFactory(school=t1.schools[0], given_name="Lucia", family_name="Reyes")
    guardian: Any = StudentGuardianFactory(student=student, guardian__family_name="Madre").guardian
    today = t1.network.today()
    consent = services.consent_record(
        user=t1.users["coordinator"],
        student=student,
        guardian=guardian,
        data_elements=["name", "contact"],
        purpose="Mentoring.",
        recipient_organization=t1.org_b,
        method=ConsentMethod.PAPER,
        signed_by_name="Rosa Madre",
        signer_relationship="parent",
        signed_on=today,
        effective_on=today,
        expires_on=today + dt.timedelta(days=200),
        scan=SimpleUploadedFile("scan.pdf", PDF),
    )
    return {"student": student, "guardian": guardian, "consent": consent}


def record_post(t1: Any, world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    today = t1.network.today().isoformat()
    data: dict[str, Any] = {
        "data_elements": ["name", "grade"],
        "purpose": "Tutoring.",
        "recipient_organization": str(t1.org_a.pk),
        "recipient_description": "",
        "guardian": str(world["guardian"].pk),
        "signer_relationship": "parent",
        "signed_by_name": "Rosa Madre",
        "signed_on": today,
        "effective_on": today,
        "expires_on": "",
        "method": "paper",
        "scan": SimpleUploadedFile("form.pdf", PDF),
    }
    return data | overrides


# --- authorization, every persona ----------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_consent_list_by_persona(
    t1: Any, world: dict[str, Any], as_user: Any, persona: str
) -> None:
    response = as_user(t1.users[persona]).get(reverse("consent_list", args=[world["student"].pk]))
    assert response.status_code == (200 if persona in READERS else 404)
    if persona in READERS:
        assert t1.org_b.name in text(response) and "Rosa Madre" in text(response)
        has_record_link = reverse("consent_record", args=[world["student"].pk]) in (
            response.content.decode()
        )
        assert has_record_link == (persona in WRITERS)


@pytest.mark.parametrize("persona", PERSONAS)
def test_consent_detail_by_persona(
    t1: Any, world: dict[str, Any], as_user: Any, persona: str
) -> None:
    url = reverse("consent_detail", args=[world["student"].pk, world["consent"].pk])
    response = as_user(t1.users[persona]).get(url)
    assert response.status_code == (200 if persona in READERS else 404)


@pytest.mark.parametrize("name", ["consent_record", "consent_request"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_write_forms_by_persona(
    t1: Any, world: dict[str, Any], as_user: Any, persona: str, name: str
) -> None:
    response = as_user(t1.users[persona]).get(reverse(name, args=[world["student"].pk]))
    expected = 200 if persona in WRITERS else 403 if persona in READERS else 404
    assert response.status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_revoke_form_by_persona(t1: Any, world: dict[str, Any], as_user: Any, persona: str) -> None:
    url = reverse("consent_revoke", args=[world["student"].pk, world["consent"].pk])
    response = as_user(t1.users[persona]).get(url)
    assert response.status_code == (
        200 if persona in WRITERS else 403 if persona in READERS else 404
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_scan_by_persona(t1: Any, world: dict[str, Any], as_user: Any, persona: str) -> None:
    url = reverse("consent_scan", args=[world["student"].pk, world["consent"].pk])
    response = as_user(t1.users[persona]).get(url)
    assert response.status_code == (200 if persona in READERS else 404)
    if persona in READERS:
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content) == PDF


def test_other_tenant_gets_404_everywhere(
    t1: Any, t2: Any, world: dict[str, Any], as_user: Any
) -> None:
    student, consent = world["student"], world["consent"]
    urls = [
        reverse("consent_list", args=[student.pk]),
        reverse("consent_record", args=[student.pk]),
        reverse("consent_request", args=[student.pk]),
        reverse("consent_detail", args=[student.pk, consent.pk]),
        reverse("consent_revoke", args=[student.pk, consent.pk]),
        reverse("consent_scan", args=[student.pk, consent.pk]),
    ]
    for persona in ("network_admin", "coordinator", "staff"):
        client = as_user(t2.users[persona])
        for url in urls:
            assert client.get(url).status_code == 404, (persona, url)


def test_coordinator_of_another_school_gets_404(
    t1: Any, world: dict[str, Any], as_user: Any
) -> None:
    elsewhere = StudentFactory(school=t1.schools[3])
    consent = ConsentFactory(student=elsewhere, created_by=t1.users["network_admin"])
    client = as_user(t1.users["coordinator"])  # schools 0 and 1 only
    assert client.get(reverse("consent_list", args=[elsewhere.pk])).status_code == 404
    assert client.get(reverse("consent_detail", args=[elsewhere.pk, consent.pk])).status_code == 404
    # A consent asked for under another student's address is not found either.
    assert (
        client.get(reverse("consent_detail", args=[world["student"].pk, consent.pk])).status_code
        == 404
    )


def test_anonymous_is_sent_to_login(client: Client, world: dict[str, Any]) -> None:
    response = client.get(reverse("consent_list", args=[world["student"].pk]))
    assert response.status_code == 302 and "login" in response["Location"]


# --- recording, requesting, revoking through the pages ------------------------------------------


def test_record_through_the_page(t1: Any, world: dict[str, Any], as_user: Any) -> None:
    client = as_user(t1.users["staff"])
    url = reverse("consent_record", args=[world["student"].pk])
    response = client.post(url, record_post(t1, world))
    assert response.status_code == 302
    assert Consent.objects.filter(recipient_organization=t1.org_a, status="signed").exists()


def test_record_bad_input_keeps_what_was_typed(
    t1: Any, world: dict[str, Any], as_user: Any, private_dir: Path
) -> None:
    client = as_user(t1.users["coordinator"])
    before = Consent.objects.count()
    files_before = len([p for p in private_dir.rglob("*") if p.is_file()])
    url = reverse("consent_record", args=[world["student"].pk])
    response = client.post(
        url,
        record_post(
            t1, world, purpose="Keep this purpose", expires_on="2000-01-01", data_elements=[]
        ),
    )
    assert response.status_code == 400
    page = text(response)
    assert "Keep this purpose" in page
    assert "Choose at least one kind of record" in page
    assert Consent.objects.count() == before
    assert len([p for p in private_dir.rglob("*") if p.is_file()]) == files_before
    response = client.post(url, record_post(t1, world, expires_on="2000-01-01"))
    assert response.status_code == 400 and "must expire after" in text(response)
    response = client.post(url, record_post(t1, world, scan=SimpleUploadedFile("x.pdf", b"GIF")))
    assert response.status_code == 400 and "not a PDF file" in text(response)
    assert Consent.objects.count() == before


def test_request_through_the_page_mails_the_guardian(
    t1: Any, world: dict[str, Any], as_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = as_user(t1.users["coordinator"])
    url = reverse("consent_request", args=[world["student"].pk])
    data = {
        "guardian": str(world["guardian"].pk),
        "language": "es",
        "data_elements": ["name"],
        "purpose": "Tutoring.",
        "recipient_organization": str(t1.org_a.pk),
        "expires_on": (t1.network.today() + dt.timedelta(days=90)).isoformat(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302
    consent = Consent.objects.get(status=ConsentStatus.REQUESTED)
    assert consent.language == "es" and consent.token_hash
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [world["guardian"].email]
    response = client.post(url, data | {"language": "de"})
    assert response.status_code == 400 and "Choose English or Spanish" in text(response)


def test_revoke_through_the_page(t1: Any, world: dict[str, Any], as_user: Any) -> None:
    client = as_user(t1.users["coordinator"])
    url = reverse("consent_revoke", args=[world["student"].pk, world["consent"].pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "Say why" in text(response)
    response = client.post(url, {"reason": "Mother withdrew."})
    assert response.status_code == 302
    world["consent"].refresh_from_db()
    assert world["consent"].status == ConsentStatus.REVOKED
    response = client.post(url, {"reason": "again"})
    assert response.status_code == 400 and "nothing to revoke" in text(response)


def test_consent_list_query_count(
    t1: Any, world: dict[str, Any], as_user: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(10):
        ConsentFactory(
            student=world["student"],
            recipient_organization=t1.org_a,
            created_by=t1.users["coordinator"],
        )
    client = as_user(t1.users["coordinator"])
    url = reverse("consent_list", args=[world["student"].pk])
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert text(response).count("Tutoring A") >= 10


# --- the public link -----------------------------------------------------------------------------


@pytest.fixture
def link(t1: Any, world: dict[str, Any]) -> tuple[Consent, str]:
    return services.consent_request(
        user=t1.users["coordinator"],
        student=world["student"],
        guardian=world["guardian"],
        data_elements=["name", "grade"],
        purpose="Homework help on Tuesdays.",
        recipient_organization=t1.org_a,
        recipient_description="",
        language="en",
        expires_on=t1.network.today() + dt.timedelta(days=120),
    )


def test_sign_page_shows_terms_with_first_name_only(
    client: Client, t1: Any, link: tuple[Consent, str]
) -> None:
    _consent, raw = link
    response = client.get(reverse("consent_sign", args=[raw]))
    assert response.status_code == 200
    page = text(response)
    assert "Lucia" in page and "Reyes" not in page
    assert t1.org_a.name in page and "Homework help on Tuesdays." in page
    assert "grade level" in page and "You do not have to agree" in page
    assert "revoke" in page
    assert "<table" not in response.content.decode()  # phones
    assert 'lang="en"' in response.content.decode()


def test_sign_once_then_used(client: Client, link: tuple[Consent, str]) -> None:
    consent, raw = link
    url = reverse("consent_sign", args=[raw])
    response = client.post(
        url,
        {"signer_name": "Rosa Madre", "agree": "on", "decision": "agree"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 200 and "Your consent has been recorded" in text(response)
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.SIGNED and consent.signature_ip == "203.0.113.7"
    for again in (client.get(url), client.post(url, {"signer_name": "X", "decision": "decline"})):
        assert again.status_code == 410
        assert "This link has already been used" in text(again)
        assert "Lucia" not in text(again)
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.SIGNED


def test_decline(client: Client, link: tuple[Consent, str]) -> None:
    consent, raw = link
    response = client.post(
        reverse("consent_sign", args=[raw]), {"signer_name": "Rosa Madre", "decision": "decline"}
    )
    assert response.status_code == 200 and "nothing will be shared" in text(response)
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.DECLINED


def test_agree_needs_the_box_and_a_name(client: Client, link: tuple[Consent, str]) -> None:
    consent, raw = link
    url = reverse("consent_sign", args=[raw])
    response = client.post(url, {"signer_name": "Rosa Madre", "decision": "agree"})
    assert response.status_code == 400 and "Tick the box" in text(response)
    assert 'value="Rosa Madre"' in response.content.decode()
    response = client.post(url, {"signer_name": "", "agree": "on", "decision": "agree"})
    assert response.status_code == 400 and "Type your full name" in text(response)
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.REQUESTED and consent.token_used_at is None


def test_expired_and_unknown_links_reveal_nothing(
    client: Client, link: tuple[Consent, str]
) -> None:
    consent, raw = link
    unknown = client.get(reverse("consent_sign", args=["not-a-token"]))
    assert unknown.status_code == 404
    Consent.objects.filter(pk=consent.pk).update(
        token_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    expired = client.get(reverse("consent_sign", args=[raw]))
    assert expired.status_code == 410
    posted = client.post(
        reverse("consent_sign", args=[raw]),
        {"signer_name": "R", "agree": "on", "decision": "agree"},
    )
    assert posted.status_code == 410
    for response in (unknown, expired, posted):
        page = text(response)
        assert "Lucia" not in page and "Homework" not in page and "Tutoring" not in page
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.REQUESTED


def test_sign_page_in_spanish(t1: Any, world: dict[str, Any], client: Client) -> None:
    _consent, raw = services.consent_request(
        user=t1.users["coordinator"],
        student=world["student"],
        guardian=world["guardian"],
        data_elements=["name"],
        purpose="Tutoría.",
        recipient_organization=t1.org_a,
        recipient_description="",
        language="es",
        expires_on=None,
    )
    response = client.get(reverse("consent_sign", args=[raw]))
    assert response.status_code == 200
    assert '<html lang="es">' in response.content.decode()
    assert response["Content-Language"] == "es"
    # The language is the request's, not the visitor's cookie.
    client.cookies["django_language"] = "en"
    assert '<html lang="es">' in client.get(reverse("consent_sign", args=[raw])).content.decode()
