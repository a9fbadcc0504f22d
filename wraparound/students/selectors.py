"""Reads of student records, for school officials and for partners.

School officials (`access.student_filter`) read students whole. Partners never read a `Student`
here: they get `PartnerRead`s, through referrals to their organization, filtered and logged by
`visibility.partner_views` (one Disclosure per ground relied on). An object the user may not
see is a 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from wraparound.agreements.models import DataElement, DataSharingAgreement
from wraparound.core import access
from wraparound.core.models import Disclosure, DisclosureBasis, Organization, School
from wraparound.referrals.models import (
    OPEN_REFERRAL_STATUSES,
    PARTNER_VISIBLE_STATUSES,
    Referral,
)

from . import visibility
from .models import Consent, Student, TierAssignment
from .visibility import PartnerRead

# --- school officials ---------------------------------------------------------------------------


def visible_students(user: Any) -> QuerySet[Student]:
    """The students a school official sees whole; none for anyone else (partners see students
    through referrals only, see `partner_students`)."""
    if not access.sees_school_students(user):
        return Student.objects.none()
    return Student.objects.filter(access.student_filter(user))


def get_official_school(user: Any, school_pk: Any) -> School:
    """A school whose students the user sees whole; 404 otherwise (even when the user may see
    the school itself: its roster is another matter)."""
    try:
        school = School.objects.select_related("network").get(pk=school_pk)
    except (School.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not access.is_school_official(user, school):
        raise Http404
    return school


def search_students(qs: QuerySet[Student], q: str) -> QuerySet[Student]:
    # Every word must match a name or the student id: "ana own" finds Ana Own.
    for word in q.split():
        qs = qs.filter(
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(preferred_name__icontains=word)
            | Q(identifier__icontains=word)
            | Q(sourced_id=word)
        )
    return qs


def _count_of(qs: QuerySet[Any]) -> Any:
    """A per-student count as a correlated subquery (two joined counts would multiply)."""
    counted = (
        qs.filter(student_id=OuterRef("pk"))
        .order_by()
        .values("student_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_open_counts(qs: QuerySet[Student], day: dt.date) -> QuerySet[Student]:
    """Annotate `open_tiers` (no end, or ending today or later) and `open_referrals`."""
    return qs.annotate(
        open_tiers=_count_of(
            TierAssignment.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        ),
        open_referrals=_count_of(Referral.objects.filter(status__in=OPEN_REFERRAL_STATUSES)),
    )


def school_students(
    user: Any,
    school: School | int,
    q: str | None = None,
    grade: str | None = None,
    active: bool | None = True,
) -> QuerySet[Student]:
    """The school's roster as its officials see it, with open tier and referral counts;
    search by name or student id. 404 for a school the user is not an official of."""
    if not isinstance(school, School):
        school = get_official_school(user, school)
    elif not access.is_school_official(user, school):
        raise Http404
    qs = visible_students(user).filter(school_id=school.pk)
    if active is not None:
        qs = qs.filter(is_active=active)
    if grade:
        qs = qs.filter(grade=grade)
    if q:
        qs = search_students(qs, q)
    return with_open_counts(qs, school.network.today()).order_by("family_name", "given_name", "id")


def get_student_for_user(user: Any, pk: Any) -> Student:
    """A student the user sees whole; 404 otherwise (always for partners)."""
    try:
        return visible_students(user).select_related("school__network", "network").get(pk=pk)
    except (Student.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- partners --------------------------------------------------------------------------------


def get_partner_organization(user: Any, organization: Organization | int) -> Organization:
    """An organization for which the user receives referred students; 404 otherwise."""
    pk = organization.pk if isinstance(organization, Organization) else organization
    if pk not in access.partner_organizations(user):
        raise Http404
    if isinstance(organization, Organization):
        return organization
    try:
        return Organization.objects.select_related("network").get(pk=pk)
    except Organization.DoesNotExist:
        raise Http404 from None


def partner_referrals(
    user: Any, organization: Organization | int, *, student_pk: int | None = None
) -> QuerySet[Referral]:
    """The referrals of students the partner has received (never drafts, never family-only
    referrals), newest first: the only door through which a partner reaches a student."""
    org = get_partner_organization(user, organization)
    qs = Referral.objects.filter(
        organization_id=org.pk, status__in=PARTNER_VISIBLE_STATUSES, student__isnull=False
    )
    if student_pk is not None:
        qs = qs.filter(student_id=student_pk)
    return qs.select_related(
        "student__school__network", "organization__network", "network", "service"
    ).order_by("-sent_at", "-id")


def partner_reads(user: Any, referrals: Sequence[Referral], *, purpose: str) -> list[PartnerRead]:
    """The referred students as the user may see them; logs each disclosure."""
    return visibility.partner_views(user=user, referrals=referrals, purpose=purpose)


def partner_students(
    user: Any,
    organization: Organization | int,
    *,
    purpose: str,
    student_pk: int | None = None,
) -> list[PartnerRead]:
    """The students referred to the organization, one row per referral, field-filtered; each
    read is logged. 404 for an organization the user does not act for."""
    referrals = list(partner_referrals(user, organization, student_pk=student_pk))
    return partner_reads(user, referrals, purpose=purpose)


# --- the disclosure log (34 CFR 99.32) -----------------------------------------------------------


@dataclass(frozen=True)
class DisclosureRow:
    at: dt.datetime  # on the network's clock
    viewer: str
    organization: str
    fields: list[str]
    basis: str
    basis_record: str
    agreement_pk: int | None
    agreement_version: int | None
    consent_pk: int | None
    purpose: str


def _may_print_log(user: Any, student: Student) -> bool:
    if student.school is not None:
        return access.can_print_disclosure_log(user, student.school)
    return access.is_network_admin(user, student.network_id)


def student_disclosures(
    user: Any,
    student: Student | int,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[DisclosureRow]:
    """The student's record of disclosures, newest first, dates inclusive on the network's clock.
    404 for a student the user does not see; 403 for an official whose role does not answer
    parents' requests (`access.can_print_disclosure_log`)."""
    if not isinstance(student, Student):
        student = get_student_for_user(user, student)
    elif not visible_students(user).filter(pk=student.pk).exists():
        raise Http404
    if not _may_print_log(user, student):
        raise PermissionDenied
    tz = student.network.tzinfo
    qs = Disclosure.objects.filter(
        subject_type=ContentType.objects.get_for_model(Student), subject_id=student.pk
    )
    if since is not None:
        qs = qs.filter(created_at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=tz))
    if until is not None:
        after = until + dt.timedelta(days=1)
        qs = qs.filter(created_at__lt=dt.datetime.combine(after, dt.time.min, tzinfo=tz))
    disclosures = list(
        qs.select_related("viewer", "organization").order_by("-created_at", "-id")[:5000]
    )
    return _rows(disclosures, tz)


def _rows(disclosures: list[Disclosure], tz: Any) -> list[DisclosureRow]:
    sharing_type = ContentType.objects.get_for_model(DataSharingAgreement)
    consent_type = ContentType.objects.get_for_model(Consent)
    sharing_ids = {d.basis_id for d in disclosures if d.basis_type_id == sharing_type.pk}
    consent_ids = {d.basis_id for d in disclosures if d.basis_type_id == consent_type.pk}
    terms = (
        DataSharingAgreement.objects.select_related("version__agreement").in_bulk(sharing_ids)
        if sharing_ids
        else {}
    )
    consents = Consent.objects.in_bulk(consent_ids) if consent_ids else {}
    labels = dict(DataElement.choices)
    bases = dict(DisclosureBasis.choices)
    rows = []
    for d in disclosures:
        record, agreement_pk, number, consent_pk = "", None, None, None
        if d.basis_type_id == sharing_type.pk and d.basis_id in terms:
            version = terms[d.basis_id].version
            agreement_pk, number = version.agreement_id, version.number
            record = f"{version.agreement.title}, v{version.number}"
        elif d.basis_type_id == consent_type.pk and d.basis_id in consents:
            consent = consents[d.basis_id]
            consent_pk = consent.pk
            signed = ""
            if consent.signed_at is not None:
                signed = consent.signed_at.astimezone(tz).date().isoformat()
            record = " ".join(p for p in (consent.signed_by_name, signed) if p)
        viewer = d.viewer.get_full_name() or d.viewer.get_username()
        rows.append(
            DisclosureRow(
                at=d.created_at.astimezone(tz),
                viewer=viewer,
                organization=d.organization.name if d.organization is not None else "",
                fields=[str(labels.get(f, f)) for f in d.fields],
                basis=str(bases.get(d.basis, d.basis)),
                basis_record=record,
                agreement_pk=agreement_pk,
                agreement_version=number,
                consent_pk=consent_pk,
                purpose=d.purpose,
            )
        )
    return rows
