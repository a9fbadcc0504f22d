"""What a viewer may see of a student, and the FERPA record of each disclosure (34 CFR 99.32).

School officials see the students of their schools whole (`core.access.student_filter`).
A partner user sees a student only through a referral to their organization, and then only the
data elements that are (a) shared on that referral when it was sent and (b) still allowed today
by a data-sharing agreement in force for the user's role, or by a family consent in force that
names the organization (or a class of parties the organization belongs to). Every partner read of
identifiable fields writes a `Disclosure` per ground relied on — pages, exports and the API all
go through `partner_views()` so none of them can forget.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext as _

from wraparound.agreements.models import (
    OPEN_STATUSES,
    DataElement,
    DataSharingAgreement,
    Partnership,
)
from wraparound.agreements.mou_selectors import (
    sharing_terms_in_force,
    sharing_terms_in_force_for_pairs,
)
from wraparound.core import access
from wraparound.core.models import Disclosure, DisclosureBasis, Organization
from wraparound.core.roles import Role

from .models import Consent, ConsentStatus, Student

# The model fields each data element opens (besides the record's own id, which is not data).
ELEMENT_FIELDS: dict[str, tuple[str, ...]] = {
    DataElement.NAME: ("given_name", "family_name", "middle_name", "preferred_name"),
    DataElement.STUDENT_ID: ("identifier", "sourced_id"),
    DataElement.DATE_OF_BIRTH: ("birth_date",),
    DataElement.GRADE: ("grade",),
    DataElement.SCHOOL: ("school",),
    DataElement.CONTACT: ("email", "phone", "sms", "guardians"),
    DataElement.DEMOGRAPHICS: ("sex", "race_ethnicity"),
    DataElement.ENGLISH_LEARNER: ("english_learner", "home_language"),
    DataElement.IEP_504: ("disability",),
    DataElement.ECONOMIC: ("economically_disadvantaged",),
    DataElement.TIERS: ("tiers",),
    DataElement.NOTES: ("referral_reason",),
}
ALL_ELEMENTS: frozenset[str] = frozenset(DataElement.values)


@dataclass(frozen=True)
class Ground:
    """One lawful ground for showing elements of a student to an organization."""

    basis: str  # a DisclosureBasis value
    record: DataSharingAgreement | Consent
    elements: frozenset[str]

    @property
    def label(self) -> str:
        if isinstance(self.record, Consent):
            return _("consent signed %(date)s") % {
                "date": self.record.signed_at.date().isoformat() if self.record.signed_at else "?"
            }
        return _("data-sharing agreement, %(version)s") % {"version": self.record.version}


@dataclass
class StudentView:
    """A student as one viewer may see them: hidden fields are None, `elements` says which."""

    student: Student
    elements: frozenset[str]
    grounds: list[Ground] = field(default_factory=list)
    referral_reason: str | None = None

    def shows(self, element: str) -> bool:
        return element in self.elements

    def value(self, name: str) -> Any:
        for element, names in ELEMENT_FIELDS.items():
            if name in names:
                if element not in self.elements:
                    return None
                break
        else:
            raise KeyError(name)
        if name == "guardians":
            return list(self.student.guardian_links.select_related("guardian"))
        if name == "tiers":
            return list(self.student.tiers.filter(Q(ends_on__isnull=True)))
        if name == "referral_reason":
            return self.referral_reason
        if name == "school":
            return self.student.school
        return getattr(self.student, name)

    @property
    def display_name(self) -> str:
        if DataElement.NAME in self.elements:
            return self.student.display_name
        return _("Student %(id)s (name not shared)") % {"id": self.student.pk}

    def as_dict(self) -> dict[str, Any]:
        """The visible scalar fields, for exports and the API (hidden ones are left out)."""
        out: dict[str, Any] = {"id": self.student.pk}
        for element in sorted(self.elements):
            for name in ELEMENT_FIELDS.get(element, ()):
                if name in ("guardians", "tiers"):
                    continue
                value = self.value(name)
                if name == "school":
                    value = value.name if value is not None else None
                elif isinstance(value, dt.date):
                    value = value.isoformat()
                out[name] = value
        return out


def whole_view(student: Student) -> StudentView:
    """What a school official sees (no disclosure: the record stays within the school)."""
    return StudentView(student=student, elements=ALL_ELEMENTS)


# --- grounds --------------------------------------------------------------------------------


def _consent_grounds(*, student: Student, organization: Organization, day: dt.date) -> list[Ground]:
    consents = Consent.objects.filter(
        student_id=student.pk, status=ConsentStatus.SIGNED, effective_on__lte=day
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=day))
    consents = consents.filter(
        Q(recipient_organization_id=organization.pk)
        | Q(
            recipient_organization__isnull=True,
            school_id__in=Partnership.objects.filter(
                organization_id=organization.pk, status__in=OPEN_STATUSES
            ).values("school_id"),
        )
    )
    return [
        Ground(DisclosureBasis.CONSENT, consent, frozenset(consent.data_elements))
        for consent in consents.order_by("-signed_at", "-id")
    ]


def grounds_for(
    *, organization: Organization, student: Student, role: str, day: dt.date
) -> list[Ground]:
    """Every ground in force today on which `role` at the organization may see the student:
    agreements first (the school's own decision), then the family's consents. Consent is given
    to the organization's staff who serve the student, so it opens nothing to partner admins."""
    school = student.school
    found: list[Ground] = []
    if school is not None:
        for terms in sharing_terms_in_force(organization=organization, school=school, day=day):
            if role in terms.partner_roles and terms.data_elements:
                found.append(Ground(terms.legal_basis, terms, frozenset(terms.data_elements)))
    if role == Role.PARTNER_STAFF:
        found.extend(_consent_grounds(student=student, organization=organization, day=day))
    return found


class SharingRefused(Exception):
    """No agreement or consent covers what a referral would share; the message says what is
    missing and how to fix it."""

    def __init__(self, message: str, missing: Iterable[str]) -> None:
        super().__init__(message)
        self.missing = frozenset(missing)


def sharing_check(
    *,
    organization: Organization,
    student: Student,
    elements: Iterable[str],
    day: dt.date,
) -> list[Ground]:
    """The grounds that together cover `elements` for the organization's staff, or
    `SharingRefused` naming each element nothing covers. One ground covering everything is
    preferred (a single basis to cite); otherwise the fewest that do, in order."""
    wanted = frozenset(elements)
    if not wanted:
        return []
    grounds = grounds_for(
        organization=organization, student=student, role=Role.PARTNER_STAFF, day=day
    )
    for ground in grounds:
        if wanted <= ground.elements:
            return [ground]
    chosen: list[Ground] = []
    left = set(wanted)
    for ground in grounds:
        if left & ground.elements:
            chosen.append(ground)
            left -= ground.elements
    if left:
        labels = ", ".join(sorted(str(DataElement(e).label) for e in left))
        raise SharingRefused(
            _(
                "%(org)s may not receive: %(elements)s. No data-sharing agreement in force with "
                "this partner for this school covers it, and no signed consent from the family "
                "does. Record the family's consent, amend the agreement, or share less."
            )
            % {"org": organization.name, "elements": labels},
            left,
        )
    return chosen


# --- partner reads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerRead:
    """One referred student as a partner user may see them, with what allows it."""

    referral: Any
    view: StudentView


def _batched_grounds(
    referrals: Sequence[Any], roles: dict[int, str], day: dt.date | None
) -> dict[tuple[int, int, str], list[Ground]]:
    """`grounds_for` for every (organization, student, role) of the referrals, in one query for
    the agreements (per network calendar day: one, in practice) and one for all the consents —
    a partner's list page costs the same for 30 students of 10 schools as for 3 of one."""
    student_ids = {r.student_id for r in referrals if r.student_id}
    org_ids = {r.organization_id for r in referrals}
    days = {r.network_id: day or r.network.today() for r in referrals}
    open_pairs = set(
        Partnership.objects.filter(
            organization_id__in=org_ids, status__in=OPEN_STATUSES
        ).values_list("organization_id", "school_id")
    )
    consents_by_student: dict[int, list[Consent]] = {}
    if student_ids:
        earliest, latest = min(days.values()), max(days.values())
        for consent in (
            Consent.objects.filter(
                student_id__in=student_ids,
                status=ConsentStatus.SIGNED,
                effective_on__lte=latest,
            )
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=earliest))
            .filter(
                Q(recipient_organization_id__in=org_ids) | Q(recipient_organization__isnull=True)
            )
            .order_by("-signed_at", "-id")
        ):
            consents_by_student.setdefault(consent.student_id, []).append(consent)
    pairs_by_day: dict[dt.date, set[tuple[Organization, Any]]] = {}
    for referral in referrals:
        if referral.student is not None and referral.student.school is not None:
            pairs_by_day.setdefault(days[referral.network_id], set()).add(
                (referral.organization, referral.student.school)
            )
    terms_by_day = {
        today: sharing_terms_in_force_for_pairs(pairs, day=today)
        for today, pairs in pairs_by_day.items()
    }
    pair_terms: dict[tuple[int, int | None, str], list[Ground]] = {}
    out: dict[tuple[int, int, str], list[Ground]] = {}
    for referral in referrals:
        student = referral.student
        role = roles.get(referral.organization_id)
        if student is None or role is None:
            continue
        key = (referral.organization_id, student.pk, role)
        if key in out:
            continue
        today = days[referral.network_id]
        pair = (referral.organization_id, student.school_id, role)
        if pair not in pair_terms:
            found: list[Ground] = []
            if student.school_id is not None:
                for t in terms_by_day[today].get((referral.organization_id, student.school_id), []):
                    if role in t.partner_roles and t.data_elements:
                        found.append(Ground(t.legal_basis, t, frozenset(t.data_elements)))
            pair_terms[pair] = found
        grounds = list(pair_terms[pair])
        if role == Role.PARTNER_STAFF:
            for consent in consents_by_student.get(student.pk, []):
                named = consent.recipient_organization_id == referral.organization_id
                in_class = consent.recipient_organization_id is None and (
                    (referral.organization_id, consent.school_id) in open_pairs
                )
                if consent.in_force(today) and (named or in_class):
                    grounds.append(
                        Ground(DisclosureBasis.CONSENT, consent, frozenset(consent.data_elements))
                    )
        out[key] = grounds
    return out


def partner_views(
    *,
    user: Any,
    referrals: Sequence[Any],
    purpose: str,
    day: dt.date | None = None,
) -> list[PartnerRead]:
    """The referred students of `referrals` (already scoped to the user's organizations) as
    the user may see them, writing one Disclosure per ground relied on. Referrals to a family
    (no student) carry no student record and are left out. Callers select_related `student`,
    `student__school`, `organization` and `network`."""
    reads: list[PartnerRead] = []
    rows: list[Disclosure] = []
    student_type = ContentType.objects.get_for_model(Student)
    roles = {
        org_id: role
        for org_id in {r.organization_id for r in referrals}
        if (role := access.partner_role(user, org_id)) is not None
    }
    grounds_by_key = _batched_grounds(referrals, roles, day)
    for referral in referrals:
        student = referral.student
        role = roles.get(referral.organization_id)
        if student is None or role is None:
            continue
        grounds = grounds_by_key[(referral.organization_id, student.pk, role)]
        shared = frozenset(referral.shared_elements or ())
        allowed = frozenset().union(*(g.elements for g in grounds)) if grounds else frozenset()
        elements = shared & allowed
        used: list[Ground] = []
        left = set(elements)
        for ground in grounds:
            if left & ground.elements:
                used.append(ground)
                covered = sorted(left & ground.elements)
                left -= ground.elements
                rows.append(
                    Disclosure(
                        network_id=referral.network_id,
                        subject_type=student_type,
                        subject_id=student.pk,
                        viewer=user,
                        organization_id=referral.organization_id,
                        basis=ground.basis,
                        basis_type=ContentType.objects.get_for_model(type(ground.record)),
                        basis_id=ground.record.pk,
                        fields=covered,
                        purpose=purpose[:200],
                    )
                )
        view = StudentView(
            student=student,
            elements=elements,
            grounds=used,
            referral_reason=referral.reason if DataElement.NOTES in elements else None,
        )
        reads.append(PartnerRead(referral=referral, view=view))
    if rows:
        Disclosure.objects.bulk_create(rows)
    return reads


def disclosure_log(*, student: Student) -> list[Disclosure]:
    """Every recorded disclosure of the student's record, newest first (34 CFR 99.32)."""
    return list(
        Disclosure.objects.filter(
            subject_type=ContentType.objects.get_for_model(Student), subject_id=student.pk
        ).select_related("viewer", "organization")
    )
