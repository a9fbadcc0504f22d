"""Writes of clearance: the network's requirements, the organization's campus staff, the records
(documents) partners submit and the network admin's review of them.

Each service takes the acting user, checks their role (`core.access`), refuses bad input with a
`ValidationError` naming the field and writing nothing, runs in one transaction and is audited.

Documents go to the private storage (`STORAGES["private"]`, ADR 0004) only after every check has
passed (`uploads.validate_upload`), under a random name of ours; if writing the record fails the
stored file is deleted again, so no file outlives a record that was not written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.models import Network, Organization, School
from wraparound.core.services import audit_record

from . import uploads
from .clearance import valid_through
from .models import (
    ClearanceRecord,
    ClearanceRequirement,
    RecordStatus,
    RequirementKind,
    RequirementSubject,
    StaffMember,
)
from .models.clearance import document_path, private_storage

REQUIREMENT_FIELDS = (
    "name",
    "kind",
    "applies_to",
    "description",
    "validity_months",
    "document_required",
    "minimum_coverage",
    "is_active",
)
STAFF_FIELDS = ("first_name", "last_name", "email", "phone", "title", "schools")
REASON_MAX_LENGTH = 500
DESCRIPTION_MAX_LENGTH = 5000
MAX_COVERAGE = Decimal("9999999999.99")  # what max_digits=12, decimal_places=2 holds


def _money(value: Decimal) -> str:
    return f"${value:,.2f}"


def _decimal(value: Any, field: str, errors: dict[str, str]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = _("Enter an amount in dollars, e.g. 1000000.")
        return None
    if not amount.is_finite() or amount < 0:
        errors[field] = _("Enter an amount of zero or more.")
        return None
    if amount > MAX_COVERAGE:
        errors[field] = _("Enter an amount up to %(max)s.") % {"max": _money(MAX_COVERAGE)}
        return None
    return amount.quantize(Decimal("0.01"))


# --- requirements ------------------------------------------------------------------------------


def _clean_requirement(
    network: Network, values: dict[str, Any], *, current: ClearanceRequirement | None
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = _("Give the requirement a name, e.g. Background check.")
    elif len(name) > 200:
        errors["name"] = _("Keep the name under 200 characters.")
    else:
        taken = ClearanceRequirement.objects.filter(network=network, name__iexact=name)
        if current is not None:
            taken = taken.exclude(pk=current.pk)
        if taken.exists():
            errors["name"] = _("The network already has a requirement named %(name)s.") % {
                "name": name
            }
    kind = values.get("kind")
    if kind not in RequirementKind.values:
        errors["kind"] = _("Choose one of the kinds listed.")
    applies_to = values.get("applies_to")
    if applies_to not in RequirementSubject.values:
        errors["applies_to"] = _("Choose whether it applies to each organization or each person.")
    description = str(values.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = _("Keep the description under %(n)d characters.") % {
            "n": DESCRIPTION_MAX_LENGTH
        }
    months = values.get("validity_months")
    if months in ("", None):
        months = None
    elif isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
        errors["validity_months"] = _("Enter a number of months from 1 to 120, or leave it empty.")
    document_required = bool(values.get("document_required"))
    coverage = _decimal(values.get("minimum_coverage"), "minimum_coverage", errors)
    is_active = bool(values.get("is_active", True))
    if kind == RequirementKind.SIGNED_MOU:
        if document_required:
            errors["document_required"] = _(
                "A signed MOU is met by the agreement signed in the app: no document is uploaded."
            )
        if months is not None:
            errors["validity_months"] = _(
                "A signed MOU is valid for the agreement's own term: leave the months empty."
            )
        if applies_to == RequirementSubject.PERSON:
            errors["applies_to"] = _("A signed MOU is the organization's, not each person's.")
    if coverage is not None and kind != RequirementKind.LIABILITY_INSURANCE:
        errors["minimum_coverage"] = _("A minimum coverage applies to liability insurance only.")
    if current is not None and current.records.exists():
        if applies_to != current.applies_to:
            errors["applies_to"] = _(
                "Records were already submitted for this requirement; to change whom it applies "
                "to, retire it and add a new one."
            )
        if (kind == RequirementKind.SIGNED_MOU) != (current.kind == RequirementKind.SIGNED_MOU):
            errors["kind"] = _(
                "Records were already submitted for this requirement; retire it and add a new one "
                "instead of turning it into another kind."
            )
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "kind": kind,
        "applies_to": applies_to,
        "description": description,
        "validity_months": months,
        "document_required": document_required,
        "minimum_coverage": coverage,
        "is_active": is_active,
    }


@transaction.atomic
def requirement_create(
    *,
    user: Any,
    network: Network,
    name: str,
    kind: str,
    applies_to: str,
    description: str = "",
    validity_months: int | None = None,
    document_required: bool = True,
    minimum_coverage: Decimal | None = None,
    is_active: bool = True,
) -> ClearanceRequirement:
    """A new requirement of the network (its network admins only)."""
    if not access.can_manage_clearance(user, network.pk):
        raise PermissionDenied
    values = _clean_requirement(
        network,
        {
            "name": name,
            "kind": kind,
            "applies_to": applies_to,
            "description": description,
            "validity_months": validity_months,
            "document_required": document_required,
            "minimum_coverage": minimum_coverage,
            "is_active": is_active,
        },
        current=None,
    )
    requirement = ClearanceRequirement.objects.create(network=network, **values)
    audit_record(
        actor=user,
        action="clearance.requirement.create",
        target=requirement,
        network=network,
        data={"name": requirement.name, "kind": requirement.kind},
    )
    return requirement


@transaction.atomic
def requirement_update(
    *, user: Any, requirement: ClearanceRequirement, **fields: Any
) -> ClearanceRequirement:
    """Change some of a requirement's fields (`REQUIREMENT_FIELDS`); the others keep their value.
    Retire one with `is_active=False` (its records stay)."""
    unknown = set(fields) - set(REQUIREMENT_FIELDS)
    if unknown:
        raise TypeError(f"requirement_update() got unexpected fields: {sorted(unknown)}")
    if not access.can_manage_clearance(user, requirement.network_id):
        raise PermissionDenied
    locked = ClearanceRequirement.objects.select_for_update().get(pk=requirement.pk)
    merged = {f: getattr(locked, f) for f in REQUIREMENT_FIELDS} | fields
    values = _clean_requirement(locked.network, merged, current=locked)
    changed = {f: v for f, v in values.items() if getattr(locked, f) != v}
    for f, v in values.items():
        setattr(locked, f, v)
    locked.save()
    audit_record(
        actor=user,
        action="clearance.requirement.update",
        target=locked,
        network=locked.network_id,
        data={"changed": sorted(changed)},
    )
    return locked


# --- campus staff ------------------------------------------------------------------------------


def _school_ids(schools: Iterable[School | int]) -> list[int]:
    ids: list[int] = []
    for school in schools:
        if isinstance(school, School):
            ids.append(school.pk)
        elif isinstance(school, int) and not isinstance(school, bool):
            ids.append(school)
        else:
            raise ValidationError({"schools": _("Choose schools from the list.")})
    return sorted(set(ids))


def _clean_staff(
    organization: Organization, values: dict[str, Any], *, current: StaffMember | None
) -> tuple[dict[str, Any], list[School]]:
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for field, label_max, required in (
        ("first_name", 100, True),
        ("last_name", 100, True),
        ("phone", 40, False),
        ("title", 100, False),
    ):
        value = str(values.get(field) or "").strip()
        if required and not value:
            errors[field] = (
                _("Enter the person's first name.")
                if field == "first_name"
                else _("Enter the person's last name.")
            )
        elif len(value) > label_max:
            errors[field] = _("Keep it under %(n)d characters.") % {"n": label_max}
        cleaned[field] = value
    email = str(values.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("Enter a valid e-mail address, or leave it empty.")
        else:
            same = StaffMember.objects.filter(
                organization=organization, is_active=True, email__iexact=email
            )
            if current is not None:
                same = same.exclude(pk=current.pk)
            if same.exists():
                errors["email"] = _(
                    "Someone with the e-mail %(email)s is already on the staff list."
                ) % {"email": email}
    cleaned["email"] = email
    try:
        ids = _school_ids(values.get("schools") or ())
    except ValidationError as error:
        errors["schools"] = error.messages[0]
        ids = []
    schools = list(School.objects.filter(pk__in=ids, network_id=organization.network_id))
    if len(schools) != len(ids) and "schools" not in errors:
        errors["schools"] = _("Choose schools of the organization's network.")
    if errors:
        raise ValidationError(errors)
    return cleaned, schools


@transaction.atomic
def staff_member_add(
    *,
    user: Any,
    organization: Organization,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    title: str = "",
    schools: Iterable[School | int] = (),
) -> StaffMember:
    """Put a person on the organization's campus staff list. `schools` are where the person will
    work (none: wherever the organization has a partnership)."""
    if not access.can_manage_staff(user, organization):
        raise PermissionDenied
    values, school_list = _clean_staff(
        organization,
        {
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "phone": phone,
            "title": title,
            "schools": schools,
        },
        current=None,
    )
    person = StaffMember.objects.create(
        network_id=organization.network_id, organization=organization, added_by=user, **values
    )
    person.schools.set(school_list)
    audit_record(
        actor=user,
        action="clearance.staff.add",
        target=person,
        network=organization.network_id,
        data={"organization": organization.pk, "schools": [s.pk for s in school_list]},
    )
    return person


def _locked_person(user: Any, person: StaffMember) -> StaffMember:
    locked = (
        StaffMember.objects.select_for_update()
        .select_related("organization")
        .filter(pk=person.pk)
        .first()
    )
    if locked is None:
        raise ValidationError(_("This person is no longer on the staff list."))
    if not access.can_manage_staff(user, locked.organization):
        raise PermissionDenied
    return locked


@transaction.atomic
def staff_member_update(*, user: Any, person: StaffMember, **fields: Any) -> StaffMember:
    """Change some of a person's details (`STAFF_FIELDS`); the others keep their value."""
    unknown = set(fields) - set(STAFF_FIELDS)
    if unknown:
        raise TypeError(f"staff_member_update() got unexpected fields: {sorted(unknown)}")
    locked = _locked_person(user, person)
    merged: dict[str, Any] = {f: getattr(locked, f) for f in STAFF_FIELDS if f != "schools"}
    merged["schools"] = [s.pk for s in locked.schools.all()]
    merged |= fields
    values, school_list = _clean_staff(locked.organization, merged, current=locked)
    for f, v in values.items():
        setattr(locked, f, v)
    locked.save()
    if "schools" in fields:
        locked.schools.set(school_list)
    audit_record(
        actor=user,
        action="clearance.staff.update",
        target=locked,
        network=locked.network_id,
        data={"fields": sorted(fields)},
    )
    return locked


@transaction.atomic
def staff_member_deactivate(*, user: Any, person: StaffMember) -> StaffMember:
    """Take a person off the campus list (they are no longer cleared anywhere; records stay)."""
    locked = _locked_person(user, person)
    if not locked.is_active:
        raise ValidationError(
            _("%(name)s is already off the staff list.") % {"name": locked.full_name}
        )
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    audit_record(
        actor=user, action="clearance.staff.deactivate", target=locked, network=locked.network_id
    )
    return locked


@transaction.atomic
def staff_member_reactivate(*, user: Any, person: StaffMember) -> StaffMember:
    """Put a person taken off the list back on it (their records count again)."""
    locked = _locked_person(user, person)
    if locked.is_active:
        raise ValidationError(_("%(name)s is on the staff list.") % {"name": locked.full_name})
    if (
        locked.email
        and StaffMember.objects.filter(
            organization_id=locked.organization_id, is_active=True, email__iexact=locked.email
        ).exists()
    ):
        raise ValidationError(
            _("Someone with the e-mail %(email)s is already on the staff list.")
            % {"email": locked.email}
        )
    locked.is_active = True
    locked.save(update_fields=["is_active"])
    audit_record(
        actor=user, action="clearance.staff.reactivate", target=locked, network=locked.network_id
    )
    return locked


# --- records -----------------------------------------------------------------------------------


def _as_date(value: Any, field: str, errors: dict[str, str]) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        errors[field] = _("Enter a date, without a time.")
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors[field] = _("Enter the date as YYYY-MM-DD.")
        return None


def record_submit(
    *,
    user: Any,
    requirement: ClearanceRequirement,
    organization: Organization,
    person: StaffMember | None = None,
    issued_on: dt.date,
    expires_on: dt.date | None = None,
    reference: str = "",
    coverage_amount: Decimal | None = None,
    note: str = "",
    upload: UploadedFile | None = None,
) -> ClearanceRecord:
    """A record showing `requirement` met for the organization (or one of its people), waiting
    for the network admin's review. Every check, the document's included, passes before anything
    is written; the record and its file are written together or not at all."""
    if not access.can_manage_staff(user, organization):
        raise PermissionDenied
    errors: dict[str, Any] = {}
    network = organization.network
    if requirement.network_id != organization.network_id or not requirement.is_active:
        errors["requirement"] = _("Choose one of the network's requirements in effect.")
    elif not requirement.has_records:
        errors["requirement"] = _(
            "%(requirement)s is met by the MOU signed in the app: there is nothing to upload."
        ) % {"requirement": requirement.name}
    elif requirement.applies_to == RequirementSubject.PERSON:
        if person is None:
            errors["person"] = _(
                "%(requirement)s is needed for each person: choose the person."
            ) % {"requirement": requirement.name}
        elif person.organization_id != organization.pk:
            errors["person"] = _("Choose a person on this organization's staff list.")
        elif not person.is_active:
            errors["person"] = _("%(name)s is no longer on the staff list.") % {
                "name": person.full_name
            }
    elif person is not None:
        errors["person"] = _(
            "%(requirement)s is the organization's, not a person's: leave the person empty."
        ) % {"requirement": requirement.name}

    today = network.today()
    issued = _as_date(issued_on, "issued_on", errors)
    expires = _as_date(expires_on, "expires_on", errors)
    if issued is None and "issued_on" not in errors:
        errors["issued_on"] = _("Enter the day it was issued or completed.")
    elif issued is not None:
        if issued > today:
            errors["issued_on"] = _(
                "The day it was issued (%(issued)s) is in the future: today is %(today)s."
            ) % {"issued": issued, "today": today}
        elif issued.year < 1900:
            errors["issued_on"] = _("Enter a date after 1900.")
    if issued is not None and "issued_on" not in errors and "expires_on" not in errors:
        latest = valid_through(issued, requirement.validity_months)
        if expires is None:
            expires = latest
        elif expires < issued:
            errors["expires_on"] = _(
                "The last valid day (%(expires)s) is before the day it was issued (%(issued)s)."
            ) % {"expires": expires, "issued": issued}
        elif latest is not None and expires > latest:
            errors["expires_on"] = _(
                "The network accepts %(requirement)s for %(months)d months: valid through "
                "%(latest)s at the latest."
            ) % {
                "requirement": requirement.name,
                "months": requirement.validity_months,
                "latest": latest,
            }

    coverage = _decimal(coverage_amount, "coverage_amount", errors)
    if requirement.kind == RequirementKind.LIABILITY_INSURANCE:
        minimum = requirement.minimum_coverage
        if coverage is None and "coverage_amount" not in errors:
            errors["coverage_amount"] = _("Enter the coverage of the policy, in dollars.")
        elif coverage is not None and minimum is not None and coverage < minimum:
            errors["coverage_amount"] = _(
                "The policy covers %(coverage)s; the network requires at least %(minimum)s."
            ) % {"coverage": _money(coverage), "minimum": _money(minimum)}
    elif coverage is not None:
        errors["coverage_amount"] = _("A coverage amount applies to insurance only.")

    reference = str(reference or "").strip()
    if len(reference) > 100:
        errors["reference"] = _("Keep the reference under 100 characters.")
    note = str(note or "").strip()
    if len(note) > 500:
        errors["note"] = _("Keep the note under 500 characters.")

    checked: uploads.CheckedUpload | None = None
    if upload is not None:
        try:
            checked = uploads.validate_upload(upload)
        except ValidationError as error:
            errors["document"] = error.messages
    elif requirement.document_required and "requirement" not in errors:
        errors["document"] = _(
            "%(requirement)s needs a document: attach it (PDF, PNG or JPEG)."
        ) % {"requirement": requirement.name}
    if errors:
        raise ValidationError(errors)
    assert issued is not None

    record = ClearanceRecord(
        network_id=organization.network_id,
        requirement=requirement,
        organization=organization,
        person=person if requirement.applies_to == RequirementSubject.PERSON else None,
        status=RecordStatus.SUBMITTED,
        issued_on=issued,
        expires_on=expires,
        reference=reference,
        coverage_amount=coverage,
        note=note,
        submitted_at=timezone.now(),
        submitted_by=user,
    )
    storage = private_storage()
    stored: str | None = None
    try:
        with transaction.atomic():
            if checked is not None:
                checked.file.seek(0)
                stored = storage.save(document_path(record, checked.name), checked.file)
                record.document = stored
                record.document_name = checked.name
                record.document_type = checked.content_type
                record.document_size = checked.size
            record.save()
            audit_record(
                actor=user,
                action="clearance.record.submit",
                target=record,
                network=organization.network_id,
                data={
                    "requirement": requirement.pk,
                    "organization": organization.pk,
                    "person": record.person_id,
                    "document": bool(stored),
                },
            )
    except BaseException:
        if stored is not None:
            storage.delete(stored)
        raise
    return record


@transaction.atomic
def record_review(
    *, user: Any, record: ClearanceRecord, decision: str, reason: str = ""
) -> ClearanceRecord:
    """The network admin clears a submitted record, or rejects it with a reason the partner
    reads."""
    if not access.can_manage_clearance(user, record.network_id):
        raise PermissionDenied
    if decision not in ("clear", "reject"):
        raise ValidationError({"decision": _("Choose to clear or to reject.")})
    reason = str(reason or "").strip()
    if decision == "reject" and not reason:
        raise ValidationError({"reason": _("Say why it is rejected: the partner reads this.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("Keep the reason under %(n)d characters.") % {"n": REASON_MAX_LENGTH}}
        )
    locked = ClearanceRecord.objects.select_for_update().filter(pk=record.pk).first()
    if locked is None:
        raise ValidationError(_("This record no longer exists."))
    if locked.status != RecordStatus.SUBMITTED:
        raise ValidationError(
            _("This record was already reviewed: %(status)s.")
            % {"status": locked.get_status_display()}
        )
    locked.status = RecordStatus.CLEARED if decision == "clear" else RecordStatus.REJECTED
    locked.rejection_reason = reason if decision == "reject" else ""
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = user
    locked.save(update_fields=["status", "rejection_reason", "reviewed_at", "reviewed_by"])
    audit_record(
        actor=user,
        action=f"clearance.record.{decision}",
        target=locked,
        network=locked.network_id,
        data={"reason": locked.rejection_reason} if locked.rejection_reason else {},
    )
    return locked


def record_document_open(*, user: Any, record: ClearanceRecord) -> Any:
    """Open a record's document for reading (its organization's partner admins and the network's
    admins only); the read is audited. The caller closes the file."""
    if not access.can_read_clearance_documents(user, record.organization):
        raise PermissionDenied
    if not record.document.name:
        raise ValidationError(_("This record has no document."))
    handle = private_storage().open(record.document.name, "rb")
    audit_record(
        actor=user,
        action="clearance.record.document_read",
        target=record,
        network=record.network_id,
    )
    return handle
