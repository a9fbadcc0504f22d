"""Reads of MOUs and their data-sharing terms, scoped by `core.access.agreement_filter`: network
admins read their networks' agreements, the school's roles their schools' (and the network-wide
ones of their network), partner users their organizations'. Anyone else gets a 404.

`sharing_terms_in_force` is what the students issue enforces: the data-sharing terms of the
signed version of each agreement in force for an organization at a school on a day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404

from wraparound.core import access
from wraparound.core.models import Organization, School
from wraparound.core.roles import Role

from . import mou_content
from .models import (
    Agreement,
    AgreementStatus,
    AgreementVersion,
    DataDestruction,
    DataElement,
    DataSharingAgreement,
    Deliverable,
    Party,
    Signature,
    VersionStatus,
)
from .models.mou import FINAL_STATUSES, IN_FORCE_STATUSES
from .mou_content import DiffLine

RENEWABLE_STATUSES = (AgreementStatus.ACTIVE, AgreementStatus.EXPIRING, AgreementStatus.EXPIRED)


def visible_agreements(user: Any) -> QuerySet[Agreement]:
    return Agreement.objects.filter(access.agreement_filter(user))


def get_agreement_for_user(user: Any, pk: Any) -> Agreement:
    """One agreement the user reads, with what its pages show; 404 outside their scope."""
    qs = visible_agreements(user).select_related(
        "network",
        "school",
        "organization",
        "partnership__school_year",
        "partnership__service",
        "current_version",
        "signed_version",
        "renewed_from",
        "status_changed_by",
    )
    try:
        return qs.get(pk=pk)
    except (Agreement.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- the list -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementRow:
    agreement: Agreement
    term: AgreementVersion | None  # the version in force, else the latest
    awaiting: list[str]  # labels of the parties that still have to sign the sent version
    destruction_due: bool  # the shared data must now be certified destroyed


def agreement_list(user: Any, *, status: str = "") -> QuerySet[Agreement]:
    """The agreements a user reads, newest first, with what the list shows (a fixed number of
    queries however many)."""
    qs = (
        visible_agreements(user)
        .select_related(
            "network",
            "school",
            "organization",
            "current_version",
            "signed_version__data_sharing",
            "destruction",
        )
        .prefetch_related("current_version__signatures")
        .order_by("-created_at", "-pk")
    )
    if status:
        qs = qs.filter(status=status)
    return qs


def awaiting_parties(agreement: Agreement) -> list[str]:
    """The parties (codes) that still have to sign the version sent for signature."""
    version = agreement.current_version
    if version is None or version.status != VersionStatus.SENT:
        return []
    signed = {s.party for s in version.signatures.all()}
    return [p for p in (agreement.school_party, Party.PARTNER) if p not in signed]


def _destruction_due(agreement: Agreement, today: dt.date) -> bool:
    signed = agreement.signed_version
    if signed is None or _has_destruction(agreement):
        return False
    try:
        sharing = signed.data_sharing
    except DataSharingAgreement.DoesNotExist:
        return False
    return agreement.status == AgreementStatus.TERMINATED or today >= sharing.retention_ends_on


def _has_destruction(agreement: Agreement) -> bool:
    try:
        return agreement.destruction is not None
    except DataDestruction.DoesNotExist:
        return False


def agreement_rows(agreements: list[Agreement]) -> list[AgreementRow]:
    todays: dict[int, dt.date] = {}
    rows = []
    for agreement in agreements:
        today = todays.setdefault(agreement.network_id, agreement.network.today())
        rows.append(
            AgreementRow(
                agreement=agreement,
                term=agreement.signed_version or agreement.current_version,
                awaiting=[str(Party(p).label) for p in awaiting_parties(agreement)],
                destruction_due=_destruction_due(agreement, today),
            )
        )
    return rows


def agreements_by_partnership(user: Any, partnership_ids: list[int]) -> dict[int, Agreement]:
    """Partnership id → the agreement the user reads for it: the one not yet ended if any,
    else the latest (one query)."""
    found: dict[int, Agreement] = {}
    if not partnership_ids:
        return found
    for agreement in (
        visible_agreements(user)
        .filter(partnership_id__in=partnership_ids)
        .only("pk", "partnership_id", "status", "title", "created_at")
        .order_by("partnership_id", "-created_at", "-pk")
    ):
        kept = found.get(agreement.partnership_id)
        if kept is None or (
            kept.status in FINAL_STATUSES and agreement.status not in FINAL_STATUSES
        ):
            found[agreement.partnership_id] = agreement
    return found


# --- one agreement ------------------------------------------------------------------------------


def _with_terms(qs: QuerySet[AgreementVersion]) -> QuerySet[AgreementVersion]:
    return qs.select_related("data_sharing").prefetch_related(
        "responsibilities",
        Prefetch("deliverables", queryset=Deliverable.objects.select_related("service")),
        Prefetch("signatures", queryset=Signature.objects.select_related("user")),
    )


def get_version(agreement: Agreement, number: Any) -> AgreementVersion:
    """The agreement's version with this number, with its terms and signatures; 404 if none."""
    try:
        return _with_terms(AgreementVersion.objects.filter(agreement=agreement)).get(number=number)
    except (AgreementVersion.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def version_with_terms(version_id: int | None) -> AgreementVersion | None:
    if version_id is None:
        return None
    return _with_terms(AgreementVersion.objects.filter(pk=version_id)).first()


@dataclass(frozen=True)
class SharingView:
    """A version's data-sharing terms with the labels people read."""

    terms: DataSharingAgreement
    elements: list[str]
    roles: list[str]


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def sharing_view(version: AgreementVersion | None) -> SharingView | None:
    if version is None:
        return None
    try:
        terms = version.data_sharing
    except DataSharingAgreement.DoesNotExist:
        return None
    return SharingView(
        terms=terms,
        elements=[_label(DataElement, e) for e in terms.data_elements],
        roles=[_label(Role, r) for r in terms.partner_roles],
    )


def agreement_history(agreement: Agreement) -> list[AgreementVersion]:
    """Every version, newest first, with its signatures (who, when, from where, which hash)."""
    return list(
        AgreementVersion.objects.filter(agreement=agreement)
        .prefetch_related(
            Prefetch("signatures", queryset=Signature.objects.select_related("user").order_by("pk"))
        )
        .select_related("created_by")
        .order_by("-number")
    )


def previous_version(version: AgreementVersion) -> AgreementVersion | None:
    return (
        AgreementVersion.objects.filter(
            agreement_id=version.agreement_id, number__lt=version.number
        )
        .order_by("-number")
        .first()
    )


def version_diff(version: AgreementVersion) -> list[DiffLine]:
    """What this version changes from the previous one, line by line (the first version: every
    line added)."""
    previous = previous_version(version)
    old = mou_content.frozen_content(previous) if previous is not None else None
    return mou_content.diff_lines(old, mou_content.frozen_content(version))


@dataclass(frozen=True)
class AgreementActions:
    """What a user may do with an agreement now (the pages show only these)."""

    edit: bool = False
    send: bool = False
    sign_as: str | None = None  # the party the user may sign for now
    revise: bool = False
    terminate: bool = False
    renew: bool = False
    certify: bool = False

    @property
    def any(self) -> bool:
        return any(
            (
                self.edit,
                self.send,
                self.sign_as,
                self.revise,
                self.terminate,
                self.renew,
                self.certify,
            )
        )


def agreement_actions(user: Any, agreement: Agreement) -> AgreementActions:
    final = agreement.status in FINAL_STATUSES
    drafter = access.can_draft_agreement(user, agreement.partnership)
    party = access.signing_party(user, agreement)
    current = agreement.current_version
    current_status = current.status if current is not None else None
    sign_as = None
    if (
        party is not None
        and not final
        and current is not None
        and current_status == VersionStatus.SENT
        and not current.signatures.filter(party=party).exists()
    ):
        sign_as = party
    renew = (
        drafter
        and agreement.status in RENEWABLE_STATUSES
        and agreement.signed_version_id is not None
        and not agreement.renewals.exclude(status__in=FINAL_STATUSES).exists()
    )
    certify = (
        access.can_certify_destruction(user, agreement)
        and _destruction_due(agreement, agreement.network.today())
        if agreement.signed_version_id is not None
        else False
    )
    return AgreementActions(
        edit=drafter and not final and current_status == VersionStatus.DRAFT,
        send=drafter and not final and current_status == VersionStatus.DRAFT,
        sign_as=sign_as,
        revise=drafter
        and not final
        and current_status in (VersionStatus.SENT, VersionStatus.SIGNED),
        terminate=(drafter or party is not None) and not final,
        renew=renew,
        certify=certify,
    )


# --- data sharing in force ------------------------------------------------------------------------


def _terms_in_force(day: dt.date) -> QuerySet[DataSharingAgreement]:
    """Terms of the signed version of agreements in force whose term covers the day."""
    return (
        DataSharingAgreement.objects.filter(
            version__agreement__status__in=IN_FORCE_STATUSES,
            version__agreement__signed_version_id=F("version_id"),
            version__status=VersionStatus.SIGNED,
            version__term_start__lte=day,
            version__term_end__gte=day,
        )
        .select_related("version__agreement")
        .order_by("version__agreement_id")
    )


def sharing_terms_in_force(
    *, organization: Organization, school: School | None, day: dt.date
) -> list[DataSharingAgreement]:
    """The data-sharing terms under which the organization may receive data of students of the
    school on `day`: those of the signed version of each agreement in force (active or
    expiring) between the organization and the school, or network-wide in the school's network,
    whose term covers the day. `school=None`: the network-wide agreements only. Withdrawn,
    superseded, unsigned, terminated and expired terms never count."""
    if school is not None and school.network_id != organization.network_id:
        return []
    where = Q(version__agreement__school__isnull=True)
    if school is not None:
        where |= Q(version__agreement__school_id=school.pk)
    return list(
        _terms_in_force(day).filter(
            where,
            version__agreement__organization_id=organization.pk,
            version__agreement__network_id=organization.network_id,
        )
    )


def sharing_terms_in_force_for_pairs(
    pairs: Iterable[tuple[Organization, School]], *, day: dt.date
) -> dict[tuple[int, int], list[DataSharingAgreement]]:
    """`sharing_terms_in_force` for many (organization, school) pairs at once, keyed by their
    ids, in one query: a partner's list page names students of many schools."""
    wanted = {(o.pk, s.pk): (o, s) for o, s in pairs if s.network_id == o.network_id}
    if not wanted:
        return {}
    terms = list(
        _terms_in_force(day).filter(
            Q(version__agreement__school__isnull=True)
            | Q(version__agreement__school_id__in={s for _o, s in wanted}),
            version__agreement__organization_id__in={o for o, _s in wanted},
            version__agreement__network_id__in={o.network_id for o, _s in wanted.values()},
        )
    )
    out: dict[tuple[int, int], list[DataSharingAgreement]] = {}
    for (org_id, school_id), (organization, _school) in wanted.items():
        out[(org_id, school_id)] = [
            t
            for t in terms
            if (agreement := t.version.agreement).organization_id == org_id
            and agreement.network_id == organization.network_id
            and agreement.school_id in (None, school_id)
        ]
    return out


def allowed_elements(
    *, organization: Organization, school: School | None, day: dt.date, role: str
) -> frozenset[str]:
    """The data elements a holder of `role` at the organization may see of the school's students
    on `day` (the union over the terms in force; empty: nothing)."""
    return frozenset(
        element
        for terms in sharing_terms_in_force(organization=organization, school=school, day=day)
        if role in terms.partner_roles
        for element in terms.data_elements
    )


def destruction_due(*, organization: Organization, day: dt.date) -> list[Agreement]:
    """The organization's agreements whose shared data must now be certified destroyed: signed
    at some point, not yet certified, and terminated or past the retention end of the terms
    last signed."""
    candidates = (
        Agreement.objects.filter(
            organization=organization,
            signed_version__isnull=False,
            destruction__isnull=True,
            signed_version__data_sharing__isnull=False,
        )
        .filter(
            Q(status=AgreementStatus.TERMINATED)
            | Q(signed_version__data_sharing__retention_ends_on__lte=day)
        )
        .select_related("school", "signed_version__data_sharing")
        .order_by("signed_version__data_sharing__retention_ends_on", "pk")
    )
    return list(candidates)
