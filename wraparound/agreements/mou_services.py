"""Writes to MOUs: draft, edit, send for signature, sign, revise (amend), terminate, renew, the
daily status refresh, and the partner's certificate that the shared data was destroyed.

The agreement's status moves only along `STATUS_TRANSITIONS` (`_move` refuses anything else):

    draft → awaiting_signatures | terminated
    awaiting_signatures → draft (a sent version revised) | active (both signed) | terminated
    active → expiring | expired | terminated
    expiring → expired | terminated | active (an amendment extended the term)
    expired, terminated → nothing

A version is edited only while it is a draft. Sending freezes it and records the SHA-256 of its
canonical content (`mou_content.content_hash`); each signature keeps that hash, and signing is
refused when the version's content no longer hashes to it. A change after sending is a new
version: the sent one is withdrawn (its signatures stay as history but no longer count), and
both parties sign the new one. An agreement in force stays in force under its signed version
while an amendment is drafted and signed.

Every function takes the acting user, checks the permission in `core.access`, runs in one
transaction with the agreement row locked, writes an AuditEvent and records who changed the
status and when. Bad input raises ValidationError keyed by the form field names the pages use
("term_end", "deliverables-0-quantity", "data_sharing-retention_ends_on"); nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.models import Membership, Network, SchoolYear
from wraparound.core.roles import Role
from wraparound.core.services import audit_record
from wraparound.directory.models import Service

from . import mou_content
from .models import (
    OPEN_STATUSES,
    Agreement,
    AgreementStatus,
    AgreementVersion,
    DataDestruction,
    DataElement,
    DataSharingAgreement,
    Deliverable,
    DestructionMethod,
    LegalBasis,
    Partnership,
    PartnershipSource,
    PartnershipStatus,
    Party,
    Responsibility,
    Signature,
    VersionStatus,
)
from .models.mou import (
    FINAL_STATUSES,
    IN_FORCE_STATUSES,
    SHARING_ROLES,
    DeliverableFrequency,
    DeliverableUnit,
)

S = AgreementStatus

STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.AWAITING_SIGNATURES, S.TERMINATED}),
    S.AWAITING_SIGNATURES: frozenset({S.DRAFT, S.ACTIVE, S.TERMINATED}),
    S.ACTIVE: frozenset({S.EXPIRING, S.EXPIRED, S.TERMINATED}),
    S.EXPIRING: frozenset({S.EXPIRED, S.TERMINATED, S.ACTIVE}),
    S.EXPIRED: frozenset(),
    S.TERMINATED: frozenset(),
}

# The terms of a version a draft edit may set (besides the agreement's title).
VERSION_FIELDS = (
    "term_start",
    "term_end",
    "school_contact_name",
    "school_contact_email",
    "school_contact_phone",
    "partner_contact_name",
    "partner_contact_email",
    "partner_contact_phone",
    "purpose",
    "meeting_cadence",
    "meeting_details",
    "evaluation",
    "other_terms",
    "change_note",
)
RESPONSIBILITY_FIELDS = ("party", "description")
DELIVERABLE_FIELDS = (
    "service",
    "description",
    "tier",
    "quantity",
    "unit",
    "frequency",
    "target_students",
)
SHARING_FIELDS = (
    "legal_basis",
    "data_elements",
    "purpose",
    "partner_roles",
    "retention_ends_on",
    "destruction_method",
    "destruction_details",
)
TITLE_MAX_LENGTH = 200
REASON_MAX_LENGTH = 500
NAME_MAX_LENGTH = 200
CHANGE_NOTE_MAX_LENGTH = 500
DEFAULT_DATA_ELEMENTS = (DataElement.NAME, DataElement.GRADE, DataElement.SCHOOL)
DEFAULT_PARTNER_ROLES = (Role.PARTNER_STAFF,)


# --- helpers ------------------------------------------------------------------------------------


def _status_label(status: str) -> str:
    try:
        return str(AgreementStatus(status).label)
    except ValueError:
        return status


def _move(agreement: Agreement, to: str, user: Any) -> None:
    """Change the agreement's status along an allowed transition (saved), or refuse."""
    if to not in STATUS_TRANSITIONS.get(agreement.status, frozenset()):
        raise ValidationError(
            _("An agreement that is %(status)s cannot become %(to)s.")
            % {"status": _status_label(agreement.status), "to": _status_label(to)}
        )
    agreement.status = to
    agreement.status_changed_at = timezone.now()
    agreement.status_changed_by = user if user is not None and user.is_authenticated else None
    agreement.save(update_fields=["status", "status_changed_at", "status_changed_by"])


def status_by_date(*, term_end: dt.date, today: dt.date, expiring_days: int) -> str:
    """Where an agreement in force stands on `today`: active, expiring (its term ends within
    `expiring_days` days) or expired (its term ended)."""
    if term_end < today:
        return S.EXPIRED
    if (term_end - today).days <= expiring_days:
        return S.EXPIRING
    return S.ACTIVE


def _apply_date_rule(agreement: Agreement, user: Any, *, today: dt.date | None = None) -> bool:
    """Move an agreement in force to the status its signed term gives on the network's today."""
    if agreement.status not in IN_FORCE_STATUSES or agreement.signed_version is None:
        return False
    network = agreement.network
    target = status_by_date(
        term_end=agreement.signed_version.term_end,
        today=today or network.today(),
        expiring_days=network.agreement_expiring_days,
    )
    if target == agreement.status:
        return False
    _move(agreement, target, user)
    return True


def _locked(agreement: Agreement) -> Agreement:
    """The agreement row, locked for this transaction, with the rows every service reads."""
    # Only the agreement's own row is locked (PostgreSQL cannot lock the nullable side of the
    # joins; the other backends ignore FOR UPDATE).
    return (
        Agreement.objects.select_for_update(of=("self",))
        .select_related(
            "network",
            "school",
            "organization",
            "partnership__school_year",
            "current_version",
            "signed_version",
        )
        .get(pk=agreement.pk)
    )


def _current(agreement: Agreement) -> AgreementVersion:
    version = agreement.current_version
    if version is None:  # only a hand-made row lacks one
        raise ValidationError(_("This agreement has no version yet."))
    return version


def _sharing_of(version: AgreementVersion) -> DataSharingAgreement | None:
    try:
        return version.data_sharing
    except DataSharingAgreement.DoesNotExist:
        return None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _year_label(end_year: int) -> str:
    return f"{end_year - 1}-{end_year % 100:02d}"


def _parties(agreement: Agreement) -> tuple[str, str]:
    """The two parties that sign: the school (the network for a network-wide partnership) and
    the partner."""
    return (agreement.school_party, Party.PARTNER)


def _keyed(error: ValidationError, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for field, messages in error.message_dict.items():
        key = NON_FIELD_ERRORS if field == NON_FIELD_ERRORS else f"{prefix}{field}"
        out.setdefault(key, []).extend(messages)
    return out


def _merge(errors: dict[str, list[str]], more: Mapping[str, Iterable[str]]) -> None:
    for key, messages in more.items():
        errors.setdefault(key, []).extend(messages)


def _audit(
    user: Any, action: str, agreement: Agreement, *, ip_address: str | None = None, **data: Any
) -> None:
    audit_record(
        actor=user,
        action=action,
        target=agreement,
        network=agreement.network_id,
        data={"status": agreement.status, **data},
        ip_address=ip_address,
    )


def title_editable(agreement: Agreement) -> bool:
    """The title is part of every version's hashed content: it may change only until a version
    has been sent for signature."""
    return not agreement.versions.exclude(status=VersionStatus.DRAFT).exists()


# --- draft ----------------------------------------------------------------------------------------


def _first_member(role: str, **scope: Any) -> Any:
    membership = (
        Membership.objects.filter(role=role, is_active=True, **scope)
        .select_related("user")
        .order_by("created_at", "pk")
        .first()
    )
    return membership.user if membership is not None else None


def _name_of(user: Any) -> str:
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username())[:200]


def _default_responsibilities(school_party: str) -> list[tuple[str, str]]:
    school = [
        _("Provide a suitable space and the times when students can take part."),
        _("Name a coordinator who refers students and meets the partner regularly."),
        _("Share only the student data listed in the data-sharing terms."),
    ]
    partner = [
        _("Deliver the service described in the deliverables, with staff cleared for campus."),
        _("Record sessions and attendance in wraparound within a week."),
        _("Protect the shared student data and destroy it when the retention period ends."),
    ]
    return [(school_party, text) for text in school] + [(Party.PARTNER, text) for text in partner]


@transaction.atomic
def agreement_draft(*, user: Any, partnership: Partnership, title: str = "") -> Agreement:
    """Start the MOU of a partnership: the agreement and its version 1 (a draft), prefilled from
    the partnership (term = its school year, contacts, default responsibilities, one
    deliverable, default data-sharing terms)."""
    partnership = (
        Partnership.objects.select_for_update(of=("self",))
        .select_related("school", "organization", "service", "school_year", "network", "need")
        .get(pk=partnership.pk)
    )
    if not access.can_draft_agreement(user, partnership):
        raise PermissionDenied
    if partnership.status == PartnershipStatus.ENDED:
        raise ValidationError(
            _("This partnership has ended: an MOU is drafted for a proposed or active one.")
        )
    existing = (
        Agreement.objects.filter(partnership=partnership).exclude(status__in=FINAL_STATUSES).first()
    )
    if existing is not None:
        raise ValidationError(
            _(
                "This partnership already has an MOU (“%(title)s”, %(status)s): amend, renew or "
                "terminate that one instead of drafting another."
            )
            % {"title": existing.title, "status": existing.get_status_display()}
        )
    organization = partnership.organization
    school = partnership.school
    where = school.name if school is not None else partnership.network.name
    title = _text(title) or _("Memorandum of understanding: %(organization)s and %(where)s") % {
        "organization": organization.name,
        "where": where,
    }
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError(
            {"title": _("Keep the title under %(n)d characters.") % {"n": TITLE_MAX_LENGTH}}
        )
    now = timezone.now()
    agreement = Agreement.objects.create(
        network=partnership.network,
        partnership=partnership,
        school=school,
        organization=organization,
        title=title,
        status=S.DRAFT,
        created_by=user,
        status_changed_at=now,
        status_changed_by=user,
    )
    if school is not None:
        school_contact = _first_member(Role.SCHOOL_COORDINATOR, school=school)
    else:
        school_contact = _first_member(
            Role.NETWORK_ADMIN,
            network=partnership.network,
            school__isnull=True,
            organization__isnull=True,
            coalition__isnull=True,
        )
    partner_contact = _first_member(Role.PARTNER_ADMIN, organization=organization)
    year = partnership.school_year
    version = AgreementVersion.objects.create(
        agreement=agreement,
        number=1,
        status=VersionStatus.DRAFT,
        term_start=year.start_date,
        term_end=year.end_date,
        school_contact_name=_name_of(school_contact),
        school_contact_email=school_contact.email if school_contact is not None else "",
        partner_contact_name=_name_of(partner_contact),
        partner_contact_email=organization.email
        or (partner_contact.email if partner_contact is not None else ""),
        partner_contact_phone=organization.phone[:40],
        purpose=partnership.notes,
        created_by=user,
    )
    Responsibility.objects.bulk_create(
        Responsibility(version=version, party=party, description=text, position=n)
        for n, (party, text) in enumerate(_default_responsibilities(agreement.school_party))
    )
    service = partnership.service
    Deliverable.objects.create(
        version=version,
        service=service,
        description=(service.name if service is not None else organization.name)[:300],
        tier=partnership.need.tier if partnership.need is not None else None,
        quantity=partnership.units,
        unit=DeliverableUnit.STUDENTS,
        frequency=DeliverableFrequency.YEARLY,
    )
    DataSharingAgreement.objects.create(
        version=version,
        legal_basis=LegalBasis.SCHOOL_OFFICIAL,
        data_elements=[str(e) for e in DEFAULT_DATA_ELEMENTS],
        purpose=_(
            "To plan and deliver %(service)s for the students referred to it, and to report "
            "what was delivered to the school."
        )
        % {"service": service.name if service is not None else organization.name},
        partner_roles=[str(r) for r in DEFAULT_PARTNER_ROLES],
        retention_ends_on=year.end_date + relativedelta(years=1),
        destruction_method=DestructionMethod.SECURE_DELETION,
    )
    agreement.current_version = version
    agreement.save(update_fields=["current_version"])
    _audit(user, "agreement.draft", agreement, partnership=partnership.pk, version=1)
    return agreement


# --- edit a draft -------------------------------------------------------------------------------


def _check_version_fields(
    agreement: Agreement, version: AgreementVersion, fields: Mapping[str, Any]
) -> tuple[str, dict[str, list[str]]]:
    """Set the version's fields from `fields` (in memory) and validate; return the title."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(fields) - set(VERSION_FIELDS) - {"title"})
    if unknown:
        errors[NON_FIELD_ERRORS] = [_("Unknown terms: %(names)s.") % {"names": ", ".join(unknown)}]
    title = agreement.title
    if "title" in fields:
        wanted = _text(fields["title"])
        if wanted != agreement.title:
            if not title_editable(agreement):
                errors["title"] = [
                    _("The title is fixed once a version has been sent for signature.")
                ]
            elif not wanted:
                errors["title"] = [_("Give the agreement a title.")]
            elif len(wanted) > TITLE_MAX_LENGTH:
                errors["title"] = [
                    _("Keep the title under %(n)d characters.") % {"n": TITLE_MAX_LENGTH}
                ]
            else:
                title = wanted
    for name in VERSION_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(version, name, _text(value) if isinstance(value, str) else value)
    try:
        version.full_clean(validate_constraints=False, validate_unique=False)
    except ValidationError as error:
        _merge(errors, _keyed(error))
    if (
        "term_start" not in errors
        and "term_end" not in errors
        and isinstance(version.term_start, dt.date)
        and isinstance(version.term_end, dt.date)
        and version.term_end < version.term_start
    ):
        errors["term_end"] = [_("The term must end on or after the day it starts.")]
    return title, errors


def _check_responsibilities(
    agreement: Agreement, version: AgreementVersion, items: list[dict[str, Any]]
) -> tuple[list[Responsibility], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    parties = _parties(agreement)
    rows = []
    for n, item in enumerate(items):
        prefix = f"responsibilities-{n}-"
        row = Responsibility(
            version=version,
            party=_text(item.get("party")),
            description=_text(item.get("description")),
            position=n,
        )
        try:
            row.full_clean(exclude=["version"])
        except ValidationError as error:
            _merge(errors, _keyed(error, prefix))
        if row.party and f"{prefix}party" not in errors and row.party not in parties:
            errors[f"{prefix}party"] = [
                _("Choose one of the two parties: %(a)s or %(b)s.")
                % {"a": Party(parties[0]).label, "b": Party(parties[1]).label}
            ]
        rows.append(row)
    return rows, errors


def _service_id(value: Any) -> int | str | None:
    if value is None or value == "":
        return None
    if isinstance(value, Service):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError):
        return "invalid"


def _check_deliverables(
    agreement: Agreement, version: AgreementVersion, items: list[dict[str, Any]]
) -> tuple[list[Deliverable], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    services = set(
        Service.objects.filter(organization_id=agreement.organization_id).values_list(
            "pk", flat=True
        )
    )
    rows = []
    for n, item in enumerate(items):
        prefix = f"deliverables-{n}-"
        service_id = _service_id(item.get("service"))
        if service_id is not None and service_id not in services:
            errors[f"{prefix}service"] = [
                _("Choose one of %(organization)s’s services, or none.")
                % {"organization": agreement.organization.name}
            ]
            service_id = None
        tier = item.get("tier")
        quantity: Any = item.get("quantity")
        missing_quantity = quantity is None or quantity == ""
        row = Deliverable(
            version=version,
            service_id=service_id if isinstance(service_id, int) else None,
            description=_text(item.get("description")),
            tier=None if tier in (None, "") else tier,
            quantity=0 if missing_quantity else quantity,
            unit=_text(item.get("unit")),
            frequency=_text(item.get("frequency")),
            target_students=_text(item.get("target_students")),
            position=n,
        )
        if missing_quantity:
            errors[f"{prefix}quantity"] = [_("Say how many.")]
            exclude = ["version", "service", "quantity"]
        else:
            exclude = ["version", "service"]
        try:
            row.full_clean(exclude=exclude)
        except ValidationError as error:
            _merge(errors, _keyed(error, prefix))
        rows.append(row)
    return rows, errors


def _choice_list(value: Any, allowed: Iterable[str]) -> tuple[list[str], list[str]]:
    """(the values in the canonical order of `allowed`, the unknown ones)."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        value = [] if value in (None, "") else [value]
    given = [str(v) for v in value]
    order = [str(a) for a in allowed]
    return [a for a in order if a in given], [g for g in given if g not in order]


def _check_sharing(
    version: AgreementVersion, data: Mapping[str, Any]
) -> tuple[DataSharingAgreement, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    prefix = "data_sharing-"
    unknown = sorted(set(data) - set(SHARING_FIELDS))
    if unknown:
        errors[NON_FIELD_ERRORS] = [
            _("Unknown data-sharing terms: %(names)s.") % {"names": ", ".join(unknown)}
        ]
    sharing = _sharing_of(version) or DataSharingAgreement(version=version)
    elements, bad_elements = _choice_list(data.get("data_elements"), DataElement.values)
    roles, bad_roles = _choice_list(data.get("partner_roles"), SHARING_ROLES)
    sharing.legal_basis = _text(data.get("legal_basis"))
    sharing.data_elements = elements
    sharing.purpose = _text(data.get("purpose"))
    sharing.partner_roles = roles
    sharing.retention_ends_on = data.get("retention_ends_on")  # type: ignore[assignment]
    sharing.destruction_method = _text(data.get("destruction_method"))
    sharing.destruction_details = _text(data.get("destruction_details"))
    try:
        sharing.full_clean(exclude=["version"])
    except ValidationError as error:
        _merge(errors, _keyed(error, prefix))
    if bad_elements:
        errors.setdefault(f"{prefix}data_elements", []).append(
            _("Unknown data elements: %(list)s.") % {"list": ", ".join(bad_elements)}
        )
    elif not elements:
        errors.setdefault(f"{prefix}data_elements", []).append(
            _("Choose at least one data element the partner may see.")
        )
    if bad_roles:
        errors.setdefault(f"{prefix}partner_roles", []).append(
            _("Only partner admins and partner staff can be given the data; not %(list)s.")
            % {"list": ", ".join(bad_roles)}
        )
    elif not roles:
        errors.setdefault(f"{prefix}partner_roles", []).append(
            _("Choose at least one partner role that may see the data.")
        )
    if (
        f"{prefix}retention_ends_on" not in errors
        and isinstance(sharing.retention_ends_on, dt.date)
        and isinstance(version.term_end, dt.date)
        and sharing.retention_ends_on < version.term_end
    ):
        errors[f"{prefix}retention_ends_on"] = [
            _("The data must be kept at least until the term ends (%(day)s).")
            % {"day": version.term_end.isoformat()}
        ]
    if (
        sharing.destruction_method == DestructionMethod.OTHER
        and not sharing.destruction_details
        and f"{prefix}destruction_details" not in errors
    ):
        errors[f"{prefix}destruction_details"] = [_("Describe how the data will be destroyed.")]
    return sharing, errors


@transaction.atomic
def agreement_version_update(
    *,
    user: Any,
    agreement: Agreement,
    fields: dict[str, Any],
    responsibilities: list[dict[str, Any]],
    deliverables: list[dict[str, Any]],
    data_sharing: dict[str, Any],
) -> AgreementVersion:
    """Replace the terms of the current draft version: its fields (and the agreement's title
    while no version was sent), its responsibilities, deliverables and data-sharing terms.
    Everything is validated first; then all is written, or nothing."""
    agreement = _locked(agreement)
    if not access.can_draft_agreement(user, agreement.partnership):
        raise PermissionDenied
    version = _current(agreement)
    if agreement.status in FINAL_STATUSES:
        raise ValidationError(
            _("This agreement is %(status)s: its terms can no longer change.")
            % {"status": agreement.get_status_display()}
        )
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(
            _(
                "Version %(n)d is %(status)s and can no longer be edited: revise the agreement "
                "to draft a new version."
            )
            % {"n": version.number, "status": version.get_status_display()}
        )
    title, errors = _check_version_fields(agreement, version, fields)
    resp_rows, resp_errors = _check_responsibilities(agreement, version, responsibilities)
    deliv_rows, deliv_errors = _check_deliverables(agreement, version, deliverables)
    sharing, sharing_errors = _check_sharing(version, data_sharing)
    for more in (resp_errors, deliv_errors, sharing_errors):
        _merge(errors, more)
    if errors:
        raise ValidationError(errors)
    if title != agreement.title:
        agreement.title = title
        agreement.save(update_fields=["title"])
    version.save()
    version.responsibilities.all().delete()
    Responsibility.objects.bulk_create(resp_rows)
    version.deliverables.all().delete()
    Deliverable.objects.bulk_create(deliv_rows)
    sharing.save()
    _audit(
        user,
        "agreement.version_update",
        agreement,
        version=version.number,
        responsibilities=len(resp_rows),
        deliverables=len(deliv_rows),
    )
    return version


# --- send, sign ---------------------------------------------------------------------------------


def missing_terms(agreement: Agreement, version: AgreementVersion) -> list[str]:
    """What a version lacks before it can be sent for signature, in words (empty: ready)."""
    missing: list[str] = []
    parties = set(version.responsibilities.values_list("party", flat=True))
    for party in _parties(agreement):
        if party not in parties:
            missing.append(
                _("Add at least one responsibility of the %(party)s.")
                % {"party": Party(party).label}
            )
    if not version.deliverables.exists():
        missing.append(_("Add at least one deliverable."))
    if _sharing_of(version) is None:
        missing.append(_("Fill in the data-sharing terms."))
    if not version.school_contact_name:
        missing.append(_("Name the school’s contact."))
    if not version.partner_contact_name:
        missing.append(_("Name the partner’s contact."))
    if version.term_end < agreement.network.today():
        missing.append(
            _("The term ended on %(day)s: change the dates.")
            % {"day": version.term_end.isoformat()}
        )
    return missing


@transaction.atomic
def agreement_send(*, user: Any, agreement: Agreement) -> AgreementVersion:
    """Freeze the current draft and send it for signature: its hash is recorded; a new
    agreement awaits signatures, one in force keeps its status (the amendment's version
    awaits them)."""
    agreement = _locked(agreement)
    if not access.can_draft_agreement(user, agreement.partnership):
        raise PermissionDenied
    version = _current(agreement)
    if agreement.status in FINAL_STATUSES:
        raise ValidationError(
            _("This agreement is %(status)s: nothing can be sent.")
            % {"status": agreement.get_status_display()}
        )
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(
            _("Version %(n)d is %(status)s: only a draft can be sent for signature.")
            % {"n": version.number, "status": version.get_status_display()}
        )
    missing = missing_terms(agreement, version)
    if missing:
        raise ValidationError(missing)
    version.status = VersionStatus.SENT
    mou_content.freeze(version)
    version.sent_at = timezone.now()
    version.save(update_fields=["status", "content", "content_hash", "sent_at"])
    if agreement.status == S.DRAFT:
        _move(agreement, S.AWAITING_SIGNATURES, user)
    _audit(
        user,
        "agreement.send",
        agreement,
        version=version.number,
        content_hash=version.content_hash,
        amendment=agreement.signed_version_id is not None,
    )
    return version


def _complete(agreement: Agreement, version: AgreementVersion, user: Any) -> None:
    """Both parties signed: the version is in force; the one it replaces is superseded."""
    now = timezone.now()
    version.status = VersionStatus.SIGNED
    version.signed_at = now
    version.save(update_fields=["status", "signed_at"])
    previous = agreement.signed_version
    if previous is not None and previous.pk != version.pk:
        previous.status = VersionStatus.SUPERSEDED
        previous.save(update_fields=["status"])
    agreement.signed_version = version
    agreement.save(update_fields=["signed_version"])
    if agreement.status == S.AWAITING_SIGNATURES:
        _move(agreement, S.ACTIVE, user)
    _apply_date_rule(agreement, user)
    _audit(
        user,
        "agreement.in_force",
        agreement,
        version=version.number,
        content_hash=version.content_hash,
        superseded=previous.number if previous is not None else None,
    )


@transaction.atomic
def agreement_sign(
    *,
    user: Any,
    agreement: Agreement,
    signer_name: str,
    signer_title: str = "",
    ip_address: str | None = None,
) -> Signature:
    """Sign the version sent for signature, for the party the user signs for. The second
    signature puts the version in force."""
    agreement = _locked(agreement)
    party = access.signing_party(user, agreement)
    if party is None:
        raise PermissionDenied
    if agreement.status in FINAL_STATUSES:
        raise ValidationError(
            _("This agreement is %(status)s: nothing is left to sign.")
            % {"status": agreement.get_status_display()}
        )
    version = _current(agreement)
    if version.status != VersionStatus.SENT:
        raise ValidationError(
            _("Version %(n)d is %(status)s: only a version sent for signature can be signed.")
            % {"n": version.number, "status": version.get_status_display()}
        )
    signer_name = _text(signer_name)
    signer_title = _text(signer_title)
    errors: dict[str, str] = {}
    if not signer_name:
        errors["signer_name"] = _("Type your full name to sign.")
    elif len(signer_name) > NAME_MAX_LENGTH:
        errors["signer_name"] = _("Keep the name under %(n)d characters.") % {"n": NAME_MAX_LENGTH}
    if len(signer_title) > NAME_MAX_LENGTH:
        errors["signer_title"] = _("Keep the title under %(n)d characters.") % {
            "n": NAME_MAX_LENGTH
        }
    if errors:
        raise ValidationError(errors)
    if not mou_content.is_intact(version):
        raise ValidationError(
            _(
                "The terms of version %(n)d no longer match what was sent for signature (the "
                "content hash differs), so it cannot be signed. Revise the agreement and send it "
                "again."
            )
            % {"n": version.number}
        )
    if Signature.objects.filter(version=version, party=party).exists():
        raise ValidationError(
            _("The %(party)s has already signed version %(n)d.")
            % {"party": Party(party).label, "n": version.number}
        )
    signature = Signature.objects.create(
        version=version,
        party=party,
        user=user,
        signer_name=signer_name,
        signer_title=signer_title,
        ip_address=ip_address or None,
        content_hash=version.content_hash,
    )
    _audit(
        user,
        "agreement.sign",
        agreement,
        version=version.number,
        party=party,
        content_hash=version.content_hash,
        ip_address=ip_address or None,
    )
    signed = set(Signature.objects.filter(version=version).values_list("party", flat=True))
    if set(_parties(agreement)) <= signed:
        _complete(agreement, version, user)
    return signature


# --- revise, terminate, renew ---------------------------------------------------------------------


def _copy_version(
    source: AgreementVersion,
    *,
    agreement: Agreement,
    number: int,
    user: Any,
    change_note: str,
    years: int = 0,
) -> AgreementVersion:
    """A new draft version with every term of `source` (shifted `years` years)."""
    shift = relativedelta(years=years)
    version = AgreementVersion.objects.create(
        agreement=agreement,
        number=number,
        status=VersionStatus.DRAFT,
        term_start=source.term_start + shift,
        term_end=source.term_end + shift,
        school_contact_name=source.school_contact_name,
        school_contact_email=source.school_contact_email,
        school_contact_phone=source.school_contact_phone,
        partner_contact_name=source.partner_contact_name,
        partner_contact_email=source.partner_contact_email,
        partner_contact_phone=source.partner_contact_phone,
        purpose=source.purpose,
        meeting_cadence=source.meeting_cadence,
        meeting_details=source.meeting_details,
        evaluation=source.evaluation,
        other_terms=source.other_terms,
        change_note=change_note,
        created_by=user,
    )
    Responsibility.objects.bulk_create(
        Responsibility(version=version, party=r.party, description=r.description, position=n)
        for n, r in enumerate(source.responsibilities.order_by("position", "pk"))
    )
    Deliverable.objects.bulk_create(
        Deliverable(
            version=version,
            service_id=d.service_id,
            description=d.description,
            tier=d.tier,
            quantity=d.quantity,
            unit=d.unit,
            frequency=d.frequency,
            target_students=d.target_students,
            position=n,
        )
        for n, d in enumerate(source.deliverables.order_by("position", "pk"))
    )
    sharing = _sharing_of(source)
    if sharing is not None:
        DataSharingAgreement.objects.create(
            version=version,
            legal_basis=sharing.legal_basis,
            data_elements=list(sharing.data_elements),
            purpose=sharing.purpose,
            partner_roles=list(sharing.partner_roles),
            retention_ends_on=sharing.retention_ends_on + shift,
            destruction_method=sharing.destruction_method,
            destruction_details=sharing.destruction_details,
        )
    return version


@transaction.atomic
def agreement_revise(*, user: Any, agreement: Agreement, change_note: str = "") -> AgreementVersion:
    """A new draft version with every term of the current one. A sent, unsigned version is
    withdrawn (its signatures no longer count); an agreement in force stays in force under its
    signed version until the amendment is signed by both parties."""
    agreement = _locked(agreement)
    if not access.can_draft_agreement(user, agreement.partnership):
        raise PermissionDenied
    if agreement.status in FINAL_STATUSES:
        raise ValidationError(
            _(
                "This agreement is %(status)s and can no longer be changed; renew it to draft "
                "next year’s."
            )
            % {"status": agreement.get_status_display()}
        )
    current = _current(agreement)
    if current.status == VersionStatus.DRAFT:
        raise ValidationError(
            _("Version %(n)d is still a draft: edit it instead.") % {"n": current.number}
        )
    change_note = _text(change_note)
    if len(change_note) > CHANGE_NOTE_MAX_LENGTH:
        raise ValidationError(
            {
                "change_note": _("Keep the note under %(n)d characters.")
                % {"n": CHANGE_NOTE_MAX_LENGTH}
            }
        )
    withdrawn = current.status == VersionStatus.SENT
    if withdrawn:
        current.status = VersionStatus.WITHDRAWN
        current.save(update_fields=["status"])
        if agreement.signed_version_id is None:
            _move(agreement, S.DRAFT, user)
    version = _copy_version(
        current,
        agreement=agreement,
        number=current.number + 1,
        user=user,
        change_note=change_note,
    )
    agreement.current_version = version
    agreement.save(update_fields=["current_version"])
    _audit(
        user,
        "agreement.revise",
        agreement,
        version=version.number,
        from_version=current.number,
        withdrawn=withdrawn,
        amendment=agreement.signed_version_id is not None,
    )
    return version


@transaction.atomic
def agreement_terminate(*, user: Any, agreement: Agreement, reason: str) -> Agreement:
    """End the agreement before its term, saying why (either side may). A version waiting for
    signatures is withdrawn."""
    agreement = _locked(agreement)
    if not (
        access.can_draft_agreement(user, agreement.partnership)
        or access.signing_party(user, agreement) is not None
    ):
        raise PermissionDenied
    if S.TERMINATED not in STATUS_TRANSITIONS[agreement.status]:
        raise ValidationError(
            _("This agreement is %(status)s: it can no longer be terminated.")
            % {"status": agreement.get_status_display()}
        )
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": _("Say why the agreement is terminated.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("Keep the reason under %(n)d characters.") % {"n": REASON_MAX_LENGTH}}
        )
    previous = agreement.status
    _move(agreement, S.TERMINATED, user)
    agreement.terminated_reason = reason
    agreement.save(update_fields=["terminated_reason"])
    current = agreement.current_version
    if current is not None and current.status == VersionStatus.SENT:
        current.status = VersionStatus.WITHDRAWN
        current.save(update_fields=["status"])
    _audit(user, "agreement.terminate", agreement, reason=reason, previous=previous)
    return agreement


RENEWABLE_STATUSES = (S.ACTIVE, S.EXPIRING, S.EXPIRED)


@transaction.atomic
def agreement_renew(*, user: Any, agreement: Agreement) -> Agreement:
    """Next school year's MOU: a new agreement (renewing this one) for next year's partnership
    (proposed now if there is none open), version 1 a draft copied from the signed version with
    the term and the retention moved on a year."""
    agreement = _locked(agreement)
    partnership = Partnership.objects.select_for_update().get(pk=agreement.partnership_id)
    if not access.can_draft_agreement(user, partnership):
        raise PermissionDenied
    if agreement.status not in RENEWABLE_STATUSES or agreement.signed_version is None:
        raise ValidationError(
            _("Only an agreement that is or was in force can be renewed; this one is %(status)s.")
            % {"status": agreement.get_status_display()}
        )
    this_year = agreement.partnership.school_year
    next_year = SchoolYear.objects.filter(
        network_id=agreement.network_id, end_year=this_year.end_year + 1
    ).first()
    if next_year is None:
        raise ValidationError(
            _("Add the %(year)s school year first: the renewal is for that year.")
            % {"year": _year_label(this_year.end_year + 1)}
        )
    same = Partnership.objects.select_for_update().filter(
        network_id=agreement.network_id,
        organization_id=partnership.organization_id,
        school_year=next_year,
        status__in=OPEN_STATUSES,
    )
    same = (
        same.filter(school_id=partnership.school_id)
        if partnership.school_id is not None
        else same.filter(school__isnull=True)
    )
    same = (
        same.filter(service_id=partnership.service_id)
        if partnership.service_id is not None
        else same.filter(service__isnull=True)
    )
    next_partnership = same.order_by("pk").first()
    created_partnership = next_partnership is None
    now = timezone.now()
    if next_partnership is None:
        next_partnership = Partnership.objects.create(
            network_id=agreement.network_id,
            school=partnership.school,
            organization=partnership.organization,
            service=partnership.service,
            school_year=next_year,
            units=partnership.units,
            status=PartnershipStatus.PROPOSED,
            source=PartnershipSource.DIRECT,
            notes=_("Renewal of the %(year)s partnership.") % {"year": this_year.label},
            proposed_by=user,
            status_changed_at=now,
            status_changed_by=user,
        )
        audit_record(
            actor=user,
            action="partnership.propose",
            target=next_partnership,
            network=agreement.network_id,
            data={"renewal_of": partnership.pk, "units": partnership.units},
        )
    else:
        existing = (
            Agreement.objects.filter(partnership=next_partnership)
            .exclude(status__in=FINAL_STATUSES)
            .first()
        )
        if existing is not None:
            raise ValidationError(
                _("The %(year)s partnership already has an MOU (“%(title)s”, %(status)s).")
                % {
                    "year": next_year.label,
                    "title": existing.title,
                    "status": existing.get_status_display(),
                }
            )
    renewal = Agreement.objects.create(
        network_id=agreement.network_id,
        partnership=next_partnership,
        school=agreement.school,
        organization=agreement.organization,
        title=agreement.title,
        status=S.DRAFT,
        renewed_from=agreement,
        created_by=user,
        status_changed_at=now,
        status_changed_by=user,
    )
    version = _copy_version(
        agreement.signed_version,
        agreement=renewal,
        number=1,
        user=user,
        change_note=_("Renewal for %(year)s of the agreement signed for %(previous)s.")
        % {"year": next_year.label, "previous": this_year.label},
        years=1,
    )
    renewal.current_version = version
    renewal.save(update_fields=["current_version"])
    _audit(
        user,
        "agreement.renew",
        agreement,
        renewal=renewal.pk,
        partnership=next_partnership.pk,
        partnership_created=created_partnership,
    )
    _audit(user, "agreement.draft", renewal, renewed_from=agreement.pk, version=1)
    return renewal


# --- the daily status refresh -------------------------------------------------------------------


def agreement_statuses_refresh(*, now: dt.datetime | None = None) -> int:
    """Move every agreement in force to the status its signed term gives on its network's
    today: expiring within `Network.agreement_expiring_days` days of the end, expired after it,
    back to active when an amendment extended the term. Idempotent; returns how many changed."""
    now = now or timezone.now()
    changed = 0
    candidates = (
        Agreement.objects.filter(status__in=IN_FORCE_STATUSES, signed_version__isnull=False)
        .select_related("network", "signed_version")
        .only(
            "pk",
            "status",
            "network__time_zone",
            "network__agreement_expiring_days",
            "signed_version__term_end",
        )
        .order_by("pk")
    )
    todays: dict[int, dt.date] = {}
    for candidate in candidates.iterator(chunk_size=500):
        network = candidate.network
        today = todays.setdefault(network.pk, network.today(now))
        assert candidate.signed_version is not None
        target = status_by_date(
            term_end=candidate.signed_version.term_end,
            today=today,
            expiring_days=network.agreement_expiring_days,
        )
        if target == candidate.status:
            continue
        with transaction.atomic():
            agreement = _locked(candidate)
            before = agreement.status
            if _apply_date_rule(agreement, None, today=today):
                changed += 1
                audit_record(
                    actor=None,
                    action="agreement.status_refresh",
                    target=agreement,
                    network=agreement.network_id,
                    data={"from": before, "to": agreement.status, "today": today.isoformat()},
                )
    return changed


# --- data destruction ---------------------------------------------------------------------------


@transaction.atomic
def data_destruction_certify(
    *,
    user: Any,
    agreement: Agreement,
    destroyed_on: dt.date,
    method: str,
    details: str,
    certifier_name: str,
    ip_address: str | None = None,
) -> DataDestruction:
    """The partner admin certifies that the data shared under the agreement was destroyed: once,
    when the retention period of the signed terms has ended (or the agreement was terminated)."""
    agreement = _locked(agreement)
    if not access.can_certify_destruction(user, agreement):
        raise PermissionDenied
    done = DataDestruction.objects.filter(agreement=agreement).first()
    if done is not None:
        raise ValidationError(
            _("The destruction of this agreement’s data was already certified (%(day)s).")
            % {"day": done.destroyed_on.isoformat()}
        )
    signed = agreement.signed_version
    sharing = _sharing_of(signed) if signed is not None else None
    if sharing is None:
        raise ValidationError(
            _("No data was shared under this agreement: it was never signed by both parties.")
        )
    today = agreement.network.today()
    if agreement.status != S.TERMINATED and today < sharing.retention_ends_on:
        raise ValidationError(
            _("The data may be kept until %(day)s; certify its destruction from that day on.")
            % {"day": sharing.retention_ends_on.isoformat()}
        )
    errors: dict[str, str] = {}
    if not isinstance(destroyed_on, dt.date):
        errors["destroyed_on"] = _("Enter the date the data was destroyed.")
    elif destroyed_on > today:
        errors["destroyed_on"] = _("The date cannot be in the future.")
    if method not in DestructionMethod.values:
        errors["method"] = _("Choose how the data was destroyed.")
    details = _text(details)
    if method == DestructionMethod.OTHER and not details:
        errors["details"] = _("Describe how the data was destroyed.")
    elif len(details) > 500:
        errors["details"] = _("Keep the details under %(n)d characters.") % {"n": 500}
    certifier_name = _text(certifier_name)
    if not certifier_name:
        errors["certifier_name"] = _("Type your full name to certify.")
    elif len(certifier_name) > NAME_MAX_LENGTH:
        errors["certifier_name"] = _("Keep the name under %(n)d characters.") % {
            "n": NAME_MAX_LENGTH
        }
    if errors:
        raise ValidationError(errors)
    destruction = DataDestruction.objects.create(
        agreement=agreement,
        destroyed_on=destroyed_on,
        method=method,
        details=details,
        certified_by=user,
        certifier_name=certifier_name,
        ip_address=ip_address or None,
    )
    _audit(
        user,
        "agreement.destruction_certify",
        agreement,
        destroyed_on=destroyed_on.isoformat(),
        method=method,
        ip_address=ip_address or None,
    )
    return destruction


def network_agreement_settings_update(
    *, user: Any, network: Network, time_zone: str, agreement_expiring_days: int
) -> Network:
    """The network's clock (days of expiry and reminders are counted there) and how many days
    before its end an MOU is *expiring*. Network admins only."""
    if not access.is_network_admin(user, network.pk):
        raise PermissionDenied
    with transaction.atomic():
        network = Network.objects.select_for_update().get(pk=network.pk)
        before = {
            "time_zone": network.time_zone,
            "agreement_expiring_days": network.agreement_expiring_days,
        }
        network.time_zone = (time_zone or "").strip()
        network.agreement_expiring_days = agreement_expiring_days
        network.full_clean(exclude=[f.name for f in Network._meta.fields if f.name not in before])
        network.save(update_fields=list(before))
        audit_record(
            actor=user,
            action="network.agreement_settings",
            target=network,
            network=network.pk,
            data={"before": before, "time_zone": network.time_zone,
                  "agreement_expiring_days": network.agreement_expiring_days},
        )  # fmt: skip
    return network
