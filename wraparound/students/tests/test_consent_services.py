"""Consent services: recording a signed form (with its scan), asking a guardian by a one-time
link, the guardian's answer on that link, and revocation — and that visibility follows."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wraparound.core.models import AuditEvent, Organization
from wraparound.core.tests.factories import OrganizationFactory
from wraparound.students import consent_services as services
from wraparound.students.models import Consent, ConsentMethod, ConsentStatus
from wraparound.students.tests.factories import (
    GuardianFactory,
    StudentFactory,
    StudentGuardianFactory,
)
from wraparound.students.visibility import grounds_for

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def private_dir(settings: Any, tmp_path: Path) -> Path:
    storages = copy.deepcopy(settings.STORAGES)
    storages["private"]["OPTIONS"]["location"] = str(tmp_path / "private")
    settings.STORAGES = storages
    return tmp_path / "private"


def stored(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()] if directory.exists() else []


@pytest.fixture
def family(t1: Any) -> dict[str, Any]:
    student = StudentFactory(school=t1.schools[0], given_name="Lucia", family_name="Reyes")
    link = StudentGuardianFactory(student=student)
    return {"student": student, "guardian": link.guardian}


def record_kwargs(t1: Any, family: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    today = t1.network.today()
    kwargs: dict[str, Any] = {
        "user": t1.users["coordinator"],
        "student": family["student"],
        "guardian": family["guardian"],
        "data_elements": ["contact", "name"],
        "purpose": "To coordinate mentoring.",
        "recipient_organization": t1.org_b,
        "recipient_description": "",
        "method": ConsentMethod.PAPER,
        "signed_by_name": "Rosa Reyes",
        "signer_relationship": "parent",
        "signed_on": today,
        "effective_on": today,
        "expires_on": today + dt.timedelta(days=365),
        "scan": SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf"),
    }
    return kwargs | overrides


def request_kwargs(t1: Any, family: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "user": t1.users["coordinator"],
        "student": family["student"],
        "guardian": family["guardian"],
        "data_elements": ["name", "grade"],
        "purpose": "Tutoring after school.",
        "recipient_organization": t1.org_b,
        "recipient_description": "",
        "language": "es",
        "expires_on": t1.network.today() + dt.timedelta(days=300),
    }
    return kwargs | overrides


# --- recording -----------------------------------------------------------------------------------


def test_record_paper_consent_stores_scan_and_covers_the_partner(
    t1: Any, family: dict[str, Any], private_dir: Path
) -> None:
    consent = services.consent_record(**record_kwargs(t1, family))
    assert consent.status == ConsentStatus.SIGNED
    assert consent.data_elements == ["name", "contact"]  # the list's own order
    assert consent.school == t1.schools[0]
    files = stored(private_dir)
    assert len(files) == 1 and files[0].read_bytes() == PDF
    assert "form.pdf" not in str(consent.scan.name)  # our name, not the uploader's
    assert AuditEvent.objects.filter(action="consent.record", target_id=str(consent.pk)).exists()
    grounds = grounds_for(
        organization=t1.org_b,
        student=family["student"],
        role="partner_staff",
        day=t1.network.today(),
    )
    assert [g.record for g in grounds] == [consent]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"data_elements": []}, "data_elements"),
        ({"data_elements": ["name", "shoe_size"]}, "data_elements"),
        ({"purpose": "  "}, "purpose"),
        ({"recipient_organization": None, "recipient_description": ""}, "recipient_organization"),
        ({"signed_by_name": ""}, "signed_by_name"),
        ({"signer_relationship": "neighbour"}, "signer_relationship"),
        ({"guardian": None}, "guardian"),
        ({"signer_relationship": "eligible_student"}, "guardian"),
        ({"scan": None}, "scan"),
        ({"scan": SimpleUploadedFile("form.pdf", b"not a pdf at all")}, "scan"),
        ({"method": "in_app"}, "scan"),
        ({"method": "fax"}, "method"),
    ],
)
def test_record_refuses_bad_input_naming_the_field(
    t1: Any, family: dict[str, Any], private_dir: Path, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.consent_record(**record_kwargs(t1, family, **overrides))
    assert field in caught.value.message_dict
    assert not Consent.objects.exists()
    assert stored(private_dir) == []


def test_record_refuses_dates_out_of_order(
    t1: Any, family: dict[str, Any], private_dir: Path
) -> None:
    today = t1.network.today()
    with pytest.raises(ValidationError) as caught:
        services.consent_record(
            **record_kwargs(
                t1,
                family,
                signed_on=today + dt.timedelta(days=1),
                expires_on=today - dt.timedelta(days=1),
            )
        )
    assert set(caught.value.message_dict) == {"signed_on", "expires_on"}


def test_record_refuses_guardian_of_another_student_and_org_of_another_network(
    t1: Any, t2: Any, family: dict[str, Any], private_dir: Path
) -> None:
    stranger = GuardianFactory(network=t1.network)
    with pytest.raises(ValidationError) as caught:
        services.consent_record(
            **record_kwargs(t1, family, guardian=stranger, recipient_organization=t2.org_b)
        )
    assert set(caught.value.message_dict) == {"guardian", "recipient_organization"}


def test_eligible_student_signs_without_guardian(
    t1: Any, family: dict[str, Any], private_dir: Path
) -> None:
    consent = services.consent_record(
        **record_kwargs(
            t1,
            family,
            guardian=None,
            signer_relationship="eligible_student",
            method=ConsentMethod.IN_APP,
            scan=None,
            recipient_organization=None,
            recipient_description="Community partners with an active partnership",
        )
    )
    assert consent.guardian is None and consent.recipient_organization is None


@pytest.mark.parametrize("persona", ["principal", "supervisor", "partner_staff_b", "evaluator"])
def test_record_needs_the_right_role(
    t1: Any, family: dict[str, Any], private_dir: Path, persona: str
) -> None:
    with pytest.raises(PermissionDenied):
        services.consent_record(**record_kwargs(t1, family, user=t1.users[persona]))


def test_coordinator_of_other_tenant_cannot_record(
    t1: Any, t2: Any, family: dict[str, Any], private_dir: Path
) -> None:
    with pytest.raises(PermissionDenied):
        services.consent_record(**record_kwargs(t1, family, user=t2.users["coordinator"]))


# --- requesting and the link ---------------------------------------------------------------------


def test_request_stores_only_the_hash_and_mails_the_link_in_spanish(
    t1: Any, family: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        consent, raw = services.consent_request(**request_kwargs(t1, family))
    assert consent.status == ConsentStatus.REQUESTED
    assert consent.token_hash == Consent.hash_token(raw) and raw not in consent.token_hash
    assert consent.token_expires_at is not None
    assert (consent.token_expires_at - timezone.now()).days in (13, 14)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [family["guardian"].email]
    assert f"/consent/{raw}/" in message.body
    assert "Lucia" in message.body and "Reyes" not in message.body.replace(
        family["guardian"].family_name, ""
    )
    assert AuditEvent.objects.filter(action="consent.request").exists()


def test_request_mail_waits_for_the_commit(
    t1: Any, family: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.consent_request(**request_kwargs(t1, family))
    assert mail.outbox == []
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"language": "fr"}, "language"),
        ({"guardian": None}, "guardian"),
        ({"expires_on": dt.date(2020, 1, 1)}, "expires_on"),
        ({"data_elements": []}, "data_elements"),
    ],
)
def test_request_refuses_bad_input(
    t1: Any, family: dict[str, Any], overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.consent_request(**request_kwargs(t1, family, **overrides))
    assert field in caught.value.message_dict
    assert not Consent.objects.exists() and mail.outbox == []


def test_request_refuses_a_guardian_without_email(t1: Any, family: dict[str, Any]) -> None:
    family["guardian"].email = ""
    family["guardian"].save()
    with pytest.raises(ValidationError) as caught:
        services.consent_request(**request_kwargs(t1, family))
    assert "e-mail" in caught.value.message_dict["guardian"][0]


def test_sign_by_link_once(t1: Any, family: dict[str, Any]) -> None:
    consent, raw = services.consent_request(**request_kwargs(t1, family))
    signed = services.consent_sign_by_link(
        raw_token=raw, signer_name="Rosa Reyes", agree=True, ip_address="203.0.113.9"
    )
    assert signed.status == ConsentStatus.SIGNED
    assert signed.signature_ip == "203.0.113.9" and signed.signed_by_name == "Rosa Reyes"
    assert signed.in_force(t1.network.today())
    with pytest.raises(services.ConsentLinkError) as caught:
        services.consent_sign_by_link(
            raw_token=raw, signer_name="Someone", agree=False, ip_address=None
        )
    assert caught.value.state == "used"
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.SIGNED and consent.signed_by_name == "Rosa Reyes"
    event = AuditEvent.objects.get(action="consent.sign")
    assert event.actor is None and event.ip_address == "203.0.113.9"


def test_decline_by_link(t1: Any, family: dict[str, Any]) -> None:
    _consent, raw = services.consent_request(**request_kwargs(t1, family))
    declined = services.consent_sign_by_link(
        raw_token=raw, signer_name="Rosa Reyes", agree=False, ip_address="198.51.100.1"
    )
    assert declined.status == ConsentStatus.DECLINED
    assert not declined.in_force(t1.network.today())
    assert (
        grounds_for(
            organization=t1.org_b,
            student=family["student"],
            role="partner_staff",
            day=t1.network.today(),
        )
        == []
    )


def test_expired_and_unknown_links(t1: Any, family: dict[str, Any]) -> None:
    consent, raw = services.consent_request(**request_kwargs(t1, family))
    Consent.objects.filter(pk=consent.pk).update(
        token_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    for token, state in ((raw, "expired"), ("nope", "unknown"), ("", "unknown")):
        with pytest.raises(services.ConsentLinkError) as caught:
            services.consent_sign_by_link(
                raw_token=token, signer_name="X", agree=True, ip_address=None
            )
        assert caught.value.state == state
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.REQUESTED


def test_sign_needs_a_name(t1: Any, family: dict[str, Any]) -> None:
    consent, raw = services.consent_request(**request_kwargs(t1, family))
    with pytest.raises(ValidationError) as caught:
        services.consent_sign_by_link(raw_token=raw, signer_name=" ", agree=True, ip_address=None)
    assert "signer_name" in caught.value.message_dict
    consent.refresh_from_db()
    assert consent.token_used_at is None  # the link still works


# --- revocation ----------------------------------------------------------------------------------


def test_revoke_stops_covering_at_once(t1: Any, family: dict[str, Any], private_dir: Path) -> None:
    consent = services.consent_record(**record_kwargs(t1, family))
    day = t1.network.today()
    org: Organization = t1.org_b
    assert grounds_for(organization=org, student=family["student"], role="partner_staff", day=day)
    revoked = services.consent_revoke(
        user=t1.users["staff"], consent=consent, reason="Parent withdrew by letter."
    )
    assert revoked.status == ConsentStatus.REVOKED and revoked.revoked_by == t1.users["staff"]
    assert revoked.revocation_reason == "Parent withdrew by letter."
    assert (
        grounds_for(organization=org, student=family["student"], role="partner_staff", day=day)
        == []
    )
    assert AuditEvent.objects.filter(action="consent.revoke").exists()
    with pytest.raises(ValidationError):
        services.consent_revoke(user=t1.users["staff"], consent=revoked, reason="again")


def test_revoke_needs_reason_and_role(t1: Any, family: dict[str, Any], private_dir: Path) -> None:
    consent = services.consent_record(**record_kwargs(t1, family))
    with pytest.raises(ValidationError) as caught:
        services.consent_revoke(user=t1.users["coordinator"], consent=consent, reason="")
    assert "reason" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.consent_revoke(user=t1.users["principal"], consent=consent, reason="x")
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.SIGNED


def test_revoking_a_request_kills_the_link(t1: Any, family: dict[str, Any]) -> None:
    consent, raw = services.consent_request(**request_kwargs(t1, family))
    services.consent_revoke(user=t1.users["coordinator"], consent=consent, reason="Sent twice")
    with pytest.raises(services.ConsentLinkError):
        services.consent_sign_by_link(raw_token=raw, signer_name="R", agree=True, ip_address=None)


def test_class_of_parties_consent_covers_open_partners_only(
    t1: Any, family: dict[str, Any]
) -> None:
    from wraparound.students.tests.world import student_world

    world = student_world(t1)
    student = world.own
    StudentGuardianFactory(student=student, guardian=family["guardian"])
    consent = services.consent_record(
        **record_kwargs(
            t1,
            family,
            student=student,
            recipient_organization=None,
            recipient_description="Partners of the school",
            method=ConsentMethod.IN_APP,
            scan=None,
        )
    )
    day = t1.network.today()
    a = grounds_for(organization=t1.org_a, student=student, role="partner_staff", day=day)
    assert consent in [g.record for g in a]
    outsider_org: Any = OrganizationFactory(network=t1.network)
    assert (
        grounds_for(organization=outsider_org, student=student, role="partner_staff", day=day) == []
    )
