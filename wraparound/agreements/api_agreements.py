"""The JSON API of MOUs and clearance: "may this person work at this school on this date?", the
agreements a caller reads and their terms, and the data-sharing terms in force. The same
selectors as the HTML pages (`clearance_selectors.resolve_check`, `mou_selectors`), and the same
rules:

- who may ask at all: network admins, the school's roles and partner users
  (`access.can_check_clearance`); anyone else gets a 403 (nothing is looked up);
- a person, school or agreement the caller may not see is a 404;
- bad input is a 400 whose errors name the field (person, school, date, status…)."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from wraparound.core import access
from wraparound.core.api import Id, Pages

from . import clearance_selectors, mou_selectors
from .models import (
    Agreement,
    AgreementVersion,
    DataSharingAgreement,
    Party,
)
from .models.mou import IN_FORCE_STATUSES

router = Router(tags=["agreements"])

AgreementStatusCode = Literal[
    "draft", "awaiting_signatures", "active", "expiring", "expired", "terminated"
]
PartyCode = Literal["school", "partner", "network"]


def _require_reader(user: Any) -> None:
    """Agreements and the clearance check are for network admins, the school's roles and partner
    users; evaluators and coalition members do not read them."""
    if not access.can_check_clearance(user):
        raise PermissionDenied


# --- the clearance check -----------------------------------------------------------------------


class CheckItem(Schema):
    code: str = Field(description="The requirement kind, or partnership / assignment / inactive")
    requirement_id: int | None
    requirement: str = Field(description="The requirement's name, or what is needed")
    subject: Literal["organization", "person"]
    state: Literal["missing", "submitted", "rejected", "expired", "expiring", "ok"]
    expires_on: dt.date | None
    detail: str


class CheckPerson(Schema):
    id: int
    name: str
    organization_id: int
    organization: str


class CheckSchool(Schema):
    id: int
    name: str


class CheckOut(Schema):
    cleared: bool = Field(description="May the person work at the school on the date")
    missing: list[CheckItem] = Field(description="What is missing: each stops the clearance")
    expiring: list[CheckItem] = Field(description="Met on the date, but ending within 30 days")
    person: CheckPerson
    school: CheckSchool
    date: dt.date = Field(description="The day asked about (today on the network's clock)")


@router.get(
    "/clearance/check",
    response=CheckOut,
    tags=["clearance"],
    summary="May this person work at this school on this date? What is missing or expiring",
)
def clearance_check(
    request: HttpRequest,
    person: Id,
    school: Id,
    date: Annotated[
        str, Field(max_length=40, description="YYYY-MM-DD; empty: today on the network's clock")
    ] = "",
) -> Any:
    _require_reader(request.user)
    who, where, day = clearance_selectors.resolve_check(request.user, person, school, date)
    answer = clearance_selectors.check(who, where, day)
    return {
        "cleared": answer.cleared,
        "missing": [item.as_dict() for item in answer.missing],
        "expiring": [item.as_dict() for item in answer.expiring],
        "person": {
            "id": who.pk,
            "name": who.full_name,
            "organization_id": who.organization_id,
            "organization": who.organization.name,
        },
        "school": {"id": where.pk, "name": where.name},
        "date": day,
    }


# --- agreements --------------------------------------------------------------------------------


class NamedRef(Schema):
    id: int
    name: str


class TermOut(Schema):
    version: int
    version_status: str
    term_start: dt.date
    term_end: dt.date


class SignaturesOut(Schema):
    version: int | None = Field(description="The latest version (being drafted or signed)")
    signed: list[PartyCode] = Field(description="Parties that signed it")
    awaiting: list[PartyCode] = Field(description="Parties still to sign it, once it is sent")


class AgreementOut(Schema):
    id: int
    network_id: int
    title: str
    status: AgreementStatusCode
    status_label: str
    school: NamedRef | None = Field(description="None for a network-wide agreement")
    organization: NamedRef
    partnership_id: int
    renewed_from_id: int | None
    term: TermOut | None = Field(description="The version in force, else the latest")
    signatures: SignaturesOut
    created_at: dt.datetime


class SharingOut(Schema):
    legal_basis: str
    legal_basis_label: str
    data_elements: list[str]
    purpose: str
    partner_roles: list[str]
    retention_ends_on: dt.date
    destruction_method: str
    destruction_method_label: str
    destruction_details: str


class ResponsibilityOut(Schema):
    party: PartyCode
    description: str


class DeliverableOut(Schema):
    description: str
    service_id: int | None
    tier: int | None
    quantity: int
    unit: str
    frequency: str
    target_students: str


class SignatureOut(Schema):
    party: PartyCode
    signer_name: str
    signer_title: str
    signed_at: dt.datetime


class VersionOut(Schema):
    number: int
    status: str
    term_start: dt.date
    term_end: dt.date
    purpose: str
    meeting_cadence: str
    meeting_details: str
    evaluation: str
    other_terms: str
    change_note: str
    content_hash: str = Field(description="SHA-256 of the canonical terms, set when sent")
    sent_at: dt.datetime | None
    signed_at: dt.datetime | None
    responsibilities: list[ResponsibilityOut]
    deliverables: list[DeliverableOut]
    data_sharing: SharingOut | None
    signatures: list[SignatureOut]


class AgreementDetailOut(AgreementOut):
    current_version: VersionOut | None = Field(description="The latest version")
    version_in_force: VersionOut | None = Field(description="The signed version in force, if any")


class SharingInForceOut(SharingOut):
    agreement_id: int
    version: int
    term_start: dt.date
    term_end: dt.date


def _term(version: AgreementVersion | None) -> dict[str, Any] | None:
    if version is None:
        return None
    return {
        "version": version.number,
        "version_status": version.status,
        "term_start": version.term_start,
        "term_end": version.term_end,
    }


def _agreement(agreement: Agreement) -> dict[str, Any]:
    current = agreement.current_version
    return {
        "id": agreement.pk,
        "network_id": agreement.network_id,
        "title": agreement.title,
        "status": agreement.status,
        "status_label": str(agreement.get_status_display()),
        "school": (
            {"id": agreement.school.pk, "name": agreement.school.name}
            if agreement.school is not None
            else None
        ),
        "organization": {"id": agreement.organization.pk, "name": agreement.organization.name},
        "partnership_id": agreement.partnership_id,
        "renewed_from_id": agreement.renewed_from_id,
        "term": _term(agreement.signed_version or current),
        "signatures": {
            "version": current.number if current is not None else None,
            "signed": [s.party for s in current.signatures.all()] if current is not None else [],
            "awaiting": mou_selectors.awaiting_parties(agreement),
        },
        "created_at": agreement.created_at,
    }


def _sharing(terms: DataSharingAgreement) -> dict[str, Any]:
    return {
        "legal_basis": terms.legal_basis,
        "legal_basis_label": str(terms.get_legal_basis_display()),
        "data_elements": list(terms.data_elements),
        "purpose": terms.purpose,
        "partner_roles": list(terms.partner_roles),
        "retention_ends_on": terms.retention_ends_on,
        "destruction_method": terms.destruction_method,
        "destruction_method_label": str(terms.get_destruction_method_display()),
        "destruction_details": terms.destruction_details,
    }


def _sharing_of(version: AgreementVersion) -> DataSharingAgreement | None:
    try:
        return version.data_sharing
    except DataSharingAgreement.DoesNotExist:
        return None


def _version(version: AgreementVersion | None) -> dict[str, Any] | None:
    if version is None:
        return None
    sharing = _sharing_of(version)
    return {
        "number": version.number,
        "status": version.status,
        "term_start": version.term_start,
        "term_end": version.term_end,
        "purpose": version.purpose,
        "meeting_cadence": version.meeting_cadence,
        "meeting_details": version.meeting_details,
        "evaluation": version.evaluation,
        "other_terms": version.other_terms,
        "change_note": version.change_note,
        "content_hash": version.content_hash,
        "sent_at": version.sent_at,
        "signed_at": version.signed_at,
        "responsibilities": [
            {"party": r.party, "description": r.description} for r in version.responsibilities.all()
        ],
        "deliverables": [
            {
                "description": d.description,
                "service_id": d.service_id,
                "tier": d.tier,
                "quantity": d.quantity,
                "unit": d.unit,
                "frequency": d.frequency,
                "target_students": d.target_students,
            }
            for d in version.deliverables.all()
        ],
        "data_sharing": _sharing(sharing) if sharing is not None else None,
        "signatures": [
            {
                "party": s.party,
                "signer_name": s.signer_name,
                "signer_title": s.signer_title,
                "signed_at": s.signed_at,
            }
            for s in version.signatures.all()
        ],
    }


def _listed(
    user: Any,
    status: str | None,
    school: int | None,
    organization: int | None,
) -> QuerySet[Agreement]:
    qs = mou_selectors.agreement_list(user, status=status or "")
    if school is not None:
        qs = qs.filter(school_id=school)
    if organization is not None:
        qs = qs.filter(organization_id=organization)
    return qs


@router.get(
    "/agreements",
    response=list[AgreementOut],
    summary="Agreements (MOUs) I may read, newest first",
)
@paginate(Pages, page_size=50)
def agreement_list(
    request: HttpRequest,
    status: AgreementStatusCode | None = None,
    school: Id | None = None,
    organization: Id | None = None,
) -> Any:
    _require_reader(request.user)
    # The page is read, then each agreement is shaped from what came along (no query per row).
    return _Shaped(_listed(request.user, status, school, organization))


class _Shaped:
    """A queryset whose slices come out as the response's dicts (the paginator counts and slices
    it as it would the queryset)."""

    def __init__(self, qs: QuerySet[Agreement]) -> None:
        self.qs = qs

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        return [_agreement(a) for a in self.qs[key]]


@router.get(
    "/agreements/{agreement_id}",
    response=AgreementDetailOut,
    summary="One agreement with the terms of its latest version and of the version in force",
)
def agreement_detail(request: HttpRequest, agreement_id: Id) -> Any:
    _require_reader(request.user)
    agreement = mou_selectors.get_agreement_for_user(request.user, agreement_id)
    current = mou_selectors.version_with_terms(agreement.current_version_id)
    in_force = None
    if agreement.signed_version_id is not None and agreement.status in IN_FORCE_STATUSES:
        in_force = (
            current
            if agreement.signed_version_id == agreement.current_version_id
            else mou_selectors.version_with_terms(agreement.signed_version_id)
        )
    if current is not None:
        agreement.current_version = current  # its signatures come prefetched
    return {
        **_agreement(agreement),
        "current_version": _version(current),
        "version_in_force": _version(in_force),
    }


@router.get(
    "/agreements/{agreement_id}/data-sharing",
    response=SharingInForceOut,
    summary="The data-sharing terms in force under an agreement (404 when none)",
)
def agreement_data_sharing(request: HttpRequest, agreement_id: Id) -> Any:
    _require_reader(request.user)
    agreement = mou_selectors.get_agreement_for_user(request.user, agreement_id)
    version = agreement.signed_version
    if version is None or agreement.status not in IN_FORCE_STATUSES:
        raise Http404
    terms = _sharing_of(version)
    if terms is None:
        raise Http404
    return {
        **_sharing(terms),
        "agreement_id": agreement.pk,
        "version": version.number,
        "term_start": version.term_start,
        "term_end": version.term_end,
    }


__all__ = ["Party", "router"]
