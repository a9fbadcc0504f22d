"""Writes on FERPA consents (34 CFR 99.30): recording a signed form, asking a guardian to sign
through a one-time link, the guardian's answer on that link, and revocation.

Every check runs before anything is written; a refusal is a `ValidationError` keyed by the field
it concerns. The raw link token leaves this module only once, in the e-mail (and to the caller,
for tests and for showing the link to the coordinator): the database keeps its hash.
"""

from __future__ import annotations

import datetime as dt
import secrets
from functools import partial
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from wraparound.agreements import uploads
from wraparound.agreements.models import DataElement
from wraparound.agreements.models.clearance import private_storage
from wraparound.core import access
from wraparound.core.models import Organization
from wraparound.core.services import audit_record
from wraparound.core.tasks import send_email

from .models import (
    Consent,
    ConsentMethod,
    ConsentStatus,
    Guardian,
    GuardianRelationship,
    SignerRelationship,
    Student,
    StudentGuardian,
    consent_scan_path,
)

LINK_DAYS = 14
LANGUAGES = ("en", "es")
PURPOSE_MAX = 2000
DESCRIPTION_MAX = 300


class ConsentLinkError(Exception):
    """A one-time link that cannot be used: `state` is "unknown", "expired" or "used". The
    message names no student: whoever holds a bad link learns nothing."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


# --- checks shared by recording and requesting --------------------------------------------------


def _check_school(user: Any, student: Student) -> None:
    if student.school is None or not access.can_record_consent(user, student.school):
        raise PermissionDenied


def _elements(data_elements: Any, errors: dict[str, Any]) -> list[str]:
    given = [str(e) for e in (data_elements or [])]
    unknown = sorted({e for e in given if e not in DataElement.values})
    if unknown:
        errors["data_elements"] = _("Unknown records: %(values)s. Choose from the list.") % {
            "values": ", ".join(unknown)
        }
        return []
    if not given:
        errors["data_elements"] = _("Choose at least one kind of record the consent covers.")
        return []
    # Stored in the list's own order, once each, so two consents for the same records compare.
    return [e for e in DataElement.values if e in given]


def _text(value: Any, field: str, label: str, limit: int, errors: dict[str, Any]) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        errors[field] = _("Keep %(label)s under %(limit)d characters.") % {
            "label": label,
            "limit": limit,
        }
    return text


def _recipient(
    student: Student,
    organization: Organization | None,
    description: Any,
    errors: dict[str, Any],
) -> str:
    text = _text(
        description, "recipient_description", _("the description"), DESCRIPTION_MAX, errors
    )
    if organization is not None and organization.network_id != student.network_id:
        errors["recipient_organization"] = _("Choose an organization of the student's network.")
    elif organization is None and not text and "recipient_description" not in errors:
        errors["recipient_organization"] = _(
            "Name the party the records may go to: an organization, or describe a class of "
            "parties (e.g. community partners with an active partnership with the school)."
        )
    return text


def _linked(student: Student, guardian: Guardian) -> StudentGuardian | None:
    return StudentGuardian.objects.filter(student=student, guardian=guardian).first()


def _term(effective_on: dt.date | None, expires_on: dt.date | None, errors: dict[str, Any]) -> None:
    if effective_on is None:
        errors["effective_on"] = _("Enter the day the consent takes effect.")
    elif expires_on is not None and expires_on <= effective_on:
        errors["expires_on"] = _(
            "The consent must expire after it takes effect (%(effective)s)."
        ) % {"effective": effective_on.isoformat()}


def _relationship_of(link: StudentGuardian) -> str:
    if link.relationship == GuardianRelationship.PARENT:
        return SignerRelationship.PARENT
    return SignerRelationship.GUARDIAN


def _store_scan(consent: Consent, checked: uploads.CheckedUpload) -> str:
    # The stored name is ours: nothing the uploader typed reaches the disk.
    suffix = PurePath(checked.name).suffix.lower()[:8]
    name = consent_scan_path(consent, f"{get_random_string(24)}{suffix}")
    checked.file.seek(0)
    return str(private_storage().save(name, checked.file))


# --- recording a signed consent -----------------------------------------------------------------


def consent_record(
    *,
    user: Any,
    student: Student,
    guardian: Guardian | None,
    data_elements: list[str],
    purpose: str,
    recipient_organization: Organization | None,
    recipient_description: str = "",
    method: str,
    signed_by_name: str,
    signer_relationship: str,
    signed_on: dt.date | None,
    effective_on: dt.date | None,
    expires_on: dt.date | None = None,
    scan: UploadedFile | None = None,
) -> Consent:
    """A consent the family signed on paper (with its scan) or in front of the coordinator."""
    _check_school(user, student)
    errors: dict[str, Any] = {}
    elements = _elements(data_elements, errors)
    purpose = _text(purpose, "purpose", _("the purpose"), PURPOSE_MAX, errors)
    if not purpose and "purpose" not in errors:
        errors["purpose"] = _("Say what the records will be used for.")
    description = _recipient(student, recipient_organization, recipient_description, errors)
    if method not in ConsentMethod.values:
        errors["method"] = _("Choose how the consent was given.")
    name = _text(signed_by_name, "signed_by_name", _("the name"), 200, errors)
    if not name and "signed_by_name" not in errors:
        errors["signed_by_name"] = _("Enter the name of the person who signed.")
    if signer_relationship not in SignerRelationship.values:
        errors["signer_relationship"] = _("Say who signed: a parent, a guardian or the student.")
    elif signer_relationship == SignerRelationship.ELIGIBLE_STUDENT:
        if guardian is not None:
            errors["guardian"] = _("The student signed: leave the guardian empty.")
    elif guardian is None:
        errors["guardian"] = _("Choose the guardian who signed.")
    if guardian is not None and "guardian" not in errors and _linked(student, guardian) is None:
        errors["guardian"] = _("Choose one of the student's guardians.")
    today = student.network.today()
    if signed_on is None:
        errors["signed_on"] = _("Enter the day it was signed.")
    elif signed_on > today:
        errors["signed_on"] = _("The day it was signed is in the future: today is %(today)s.") % {
            "today": today.isoformat()
        }
    _term(effective_on, expires_on, errors)
    checked: uploads.CheckedUpload | None = None
    if method == ConsentMethod.PAPER:
        if scan is None:
            errors["scan"] = _("Attach the scan of the signed form (PDF, PNG or JPEG).")
        else:
            try:
                checked = uploads.validate_upload(scan)
            except ValidationError as error:
                errors["scan"] = error.messages
    elif scan is not None and method == ConsentMethod.IN_APP:
        errors["scan"] = _("A consent signed in wraparound has no scan: leave it empty.")
    if errors:
        raise ValidationError(errors)
    assert signed_on is not None and effective_on is not None and student.school is not None

    consent = Consent(
        network_id=student.network_id,
        school=student.school,
        student=student,
        guardian=guardian,
        data_elements=elements,
        purpose=purpose,
        recipient_organization=recipient_organization,
        recipient_description=description,
        status=ConsentStatus.SIGNED,
        method=method,
        signed_by_name=name,
        signer_relationship=signer_relationship,
        signed_at=_signed_at(student, signed_on),
        effective_on=effective_on,
        expires_on=expires_on,
        created_by=user,
    )
    stored = _store_scan(consent, checked) if checked is not None else None
    if stored is not None:
        consent.scan.name = stored
    try:
        with transaction.atomic():
            consent.save()
            audit_record(
                actor=user,
                action="consent.record",
                target=consent,
                network=student.network_id,
                data={"student": student.pk, "elements": elements, "method": method},
            )
    except BaseException:
        # Nothing written means no scan left on disk either.
        if stored is not None:
            private_storage().delete(stored)
        raise
    return consent


def _signed_at(student: Student, day: dt.date) -> dt.datetime:
    today = student.network.today()
    if day == today:
        return timezone.now()
    # Noon on the network's clock: the form names a day, not an hour.
    return dt.datetime.combine(day, dt.time(12), tzinfo=student.network.tzinfo)


# --- asking a guardian to sign ------------------------------------------------------------------


def _absolute(path: str) -> str:
    return f"{settings.WRAPAROUND_BASE_URL.rstrip('/')}{path}"


def _send_request_mail(consent: Consent, raw: str, to: str) -> None:
    with translation.override(consent.language):
        context = {
            "consent": consent,
            "first_name": consent.student.preferred_name or consent.student.given_name,
            "school": consent.school.name,
            "guardian": consent.guardian.display_name if consent.guardian else "",
            "link": _absolute(reverse("consent_sign", args=[raw])),
            "expires_at": consent.token_expires_at,
        }
        subject = " ".join(
            render_to_string("students/consent_request_subject.txt", context).split()
        )
        body = render_to_string("students/consent_request_email.txt", context)
    transaction.on_commit(partial(send_email.delay, subject=subject, body=body, to=[to]))


@transaction.atomic
def consent_request(
    *,
    user: Any,
    student: Student,
    guardian: Guardian | None,
    data_elements: list[str],
    purpose: str,
    recipient_organization: Organization | None,
    recipient_description: str = "",
    language: str,
    expires_on: dt.date | None,
) -> tuple[Consent, str]:
    """A consent waiting for the guardian's signature, and the raw token of the link e-mailed
    to them (valid `LINK_DAYS` days, once)."""
    _check_school(user, student)
    errors: dict[str, Any] = {}
    elements = _elements(data_elements, errors)
    purpose = _text(purpose, "purpose", _("the purpose"), PURPOSE_MAX, errors)
    if not purpose and "purpose" not in errors:
        errors["purpose"] = _("Say what the records will be used for.")
    description = _recipient(student, recipient_organization, recipient_description, errors)
    link: StudentGuardian | None = None
    if guardian is None:
        errors["guardian"] = _("Choose the guardian to ask.")
    else:
        link = _linked(student, guardian)
        if link is None:
            errors["guardian"] = _("Choose one of the student's guardians.")
        elif not guardian.email.strip():
            errors["guardian"] = _(
                "%(name)s has no e-mail address on file: record a paper consent instead."
            ) % {"name": guardian.display_name}
    if language not in LANGUAGES:
        errors["language"] = _("Choose English or Spanish.")
    today = student.network.today()
    _term(today, expires_on, errors)
    if errors:
        raise ValidationError(errors)
    assert guardian is not None and link is not None and student.school is not None

    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    consent = Consent.objects.create(
        network_id=student.network_id,
        school=student.school,
        student=student,
        guardian=guardian,
        data_elements=elements,
        purpose=purpose,
        recipient_organization=recipient_organization,
        recipient_description=description,
        status=ConsentStatus.REQUESTED,
        method=ConsentMethod.IN_APP,
        signer_relationship=_relationship_of(link),
        effective_on=today,
        expires_on=expires_on,
        language=language,
        token_hash=Consent.hash_token(raw),
        token_expires_at=now + dt.timedelta(days=LINK_DAYS),
        created_by=user,
        created_at=now,
    )
    audit_record(
        actor=user,
        action="consent.request",
        target=consent,
        network=student.network_id,
        data={"student": student.pk, "guardian": guardian.pk, "language": language},
    )
    _send_request_mail(consent, raw, guardian.email.strip())
    return consent, raw


# --- the guardian's answer ----------------------------------------------------------------------


def consent_for_token(raw_token: str, *, lock: bool = False) -> Consent:
    """The consent a link opens, or `ConsentLinkError` saying why it opens nothing."""
    raw = str(raw_token or "")
    if not raw or len(raw) > 200:
        raise ConsentLinkError("unknown")
    qs = Consent.objects.filter(token_hash=Consent.hash_token(raw)).select_related(
        "student", "school", "network", "recipient_organization", "guardian"
    )
    if lock:
        qs = qs.select_for_update(of=("self",))
    consent = qs.first()
    if consent is None:
        raise ConsentLinkError("unknown")
    if consent.token_used_at is not None or consent.status != ConsentStatus.REQUESTED:
        raise ConsentLinkError("used")
    if consent.token_expires_at is None or consent.token_expires_at <= timezone.now():
        raise ConsentLinkError("expired")
    return consent


@transaction.atomic
def consent_sign_by_link(
    *, raw_token: str, signer_name: str, agree: bool, ip_address: str | None
) -> Consent:
    """The guardian signs (or declines) on the public page. The link works once."""
    consent = consent_for_token(raw_token, lock=True)
    name = str(signer_name or "").strip()
    if not name:
        raise ValidationError({"signer_name": _("Type your full name.")})
    if len(name) > 200:
        raise ValidationError({"signer_name": _("Keep your name under 200 characters.")})
    now = timezone.now()
    today = consent.network.today()
    if agree and consent.expires_on is not None and consent.expires_on <= today:
        raise ValidationError(
            _("This request ends on %(day)s, so it can no longer be signed. Ask the school.")
            % {"day": consent.expires_on.isoformat()}
        )
    consent.token_used_at = now
    consent.signed_by_name = name
    consent.signed_at = now
    consent.signature_ip = ip_address or None
    if agree:
        consent.status = ConsentStatus.SIGNED
        consent.effective_on = max(consent.effective_on, today)
    else:
        consent.status = ConsentStatus.DECLINED
    consent.save(
        update_fields=[
            "token_used_at",
            "signed_by_name",
            "signed_at",
            "signature_ip",
            "status",
            "effective_on",
        ]
    )
    audit_record(
        actor=None,
        action="consent.sign" if agree else "consent.decline",
        target=consent,
        network=consent.network_id,
        data={"student": consent.student_id, "method": "link"},
        ip_address=ip_address,
    )
    return consent


# --- revocation ---------------------------------------------------------------------------------


@transaction.atomic
def consent_revoke(*, user: Any, consent: Consent, reason: str) -> Consent:
    """Stop a consent covering anything from now on (a request: its link stops working)."""
    if not access.can_record_consent(user, consent.school):
        raise PermissionDenied
    consent = Consent.objects.select_for_update(of=("self",)).get(pk=consent.pk)
    if consent.status not in (ConsentStatus.SIGNED, ConsentStatus.REQUESTED):
        raise ValidationError(
            _("This consent is %(status)s: there is nothing to revoke.")
            % {"status": consent.get_status_display()}
        )
    text = str(reason or "").strip()
    if not text:
        raise ValidationError({"reason": _("Say why the consent is revoked.")})
    if len(text) > 2000:
        raise ValidationError({"reason": _("Keep the reason under 2000 characters.")})
    consent.status = ConsentStatus.REVOKED
    consent.revoked_at = timezone.now()
    consent.revoked_by = user
    consent.revocation_reason = text
    consent.save(update_fields=["status", "revoked_at", "revoked_by", "revocation_reason"])
    audit_record(
        actor=user,
        action="consent.revoke",
        target=consent,
        network=consent.network_id,
        data={"student": consent.student_id},
    )
    return consent


def consent_scan_open(*, user: Any, consent: Consent) -> Any:
    """Open a consent's scan for reading (school officials of its school); the read is
    audited. The caller closes the file."""
    if not access.is_school_official(user, consent.school):
        raise PermissionDenied
    if not consent.scan.name:
        raise ValidationError(_("This consent has no scan."))
    handle = private_storage().open(consent.scan.name, "rb")
    audit_record(actor=user, action="consent.scan_read", target=consent, network=consent.network_id)
    return handle
