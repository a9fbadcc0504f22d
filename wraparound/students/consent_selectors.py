"""Reads on consents, scoped by `core.access.student_filter`: a consent is seen by whoever sees
its student whole (school officials). Partner users never reach these: what a consent lets them
see goes through `visibility`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from wraparound.agreements.models import DataElement
from wraparound.core import access
from wraparound.core.models import Organization

from .models import Consent, ConsentStatus, Guardian, Student


def visible_students(user: Any) -> QuerySet[Student]:
    return Student.objects.filter(access.student_filter(user))


def get_student_for_user(user: Any, pk: Any) -> Student:
    try:
        return visible_students(user).select_related("school", "network").get(pk=pk)
    except (Student.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def student_consents(user: Any, student: Student) -> QuerySet[Consent]:
    """The student's consents, newest first (empty unless the user sees the student)."""
    return (
        Consent.objects.filter(student__in=visible_students(user), student_id=student.pk)
        .select_related("recipient_organization", "guardian", "revoked_by", "created_by")
        .order_by("-created_at", "-id")
    )


def get_consent_for_user(user: Any, pk: Any, *, student: Student | None = None) -> Consent:
    qs = Consent.objects.filter(student__in=visible_students(user)).select_related(
        "student", "school", "network", "recipient_organization", "guardian", "revoked_by"
    )
    if student is not None:
        qs = qs.filter(student_id=student.pk)
    try:
        return qs.get(pk=pk)
    except (Consent.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def student_guardians(student: Student) -> list[Guardian]:
    return list(
        Guardian.objects.filter(student_links__student=student).order_by(
            "family_name", "given_name", "id"
        )
    )


def recipient_choices(student: Student) -> list[Organization]:
    return list(Organization.objects.filter(network_id=student.network_id).order_by("name", "id"))


def element_labels(values: list[str]) -> list[str]:
    labels = dict(DataElement.choices)
    return [str(labels.get(v, v)) for v in values]


@dataclass(frozen=True)
class ConsentState:
    """What a consent does today, in words (never colour alone)."""

    code: str  # in_force | not_yet | expired | requested | declined | revoked
    label: str


def consent_state(consent: Consent, day: dt.date) -> ConsentState:
    if consent.status == ConsentStatus.REVOKED:
        return ConsentState("revoked", _("revoked"))
    if consent.status == ConsentStatus.DECLINED:
        return ConsentState("declined", _("declined"))
    if consent.status == ConsentStatus.REQUESTED:
        return ConsentState("requested", _("awaiting signature"))
    if consent.effective_on > day:
        return ConsentState("not_yet", _("signed, not yet in effect"))
    if consent.expires_on is not None and consent.expires_on < day:
        return ConsentState("expired", _("expired"))
    return ConsentState("in_force", _("in force"))


@dataclass(frozen=True)
class ConsentRow:
    consent: Consent
    state: ConsentState
    elements: list[str]
    recipient: str


def recipient_label(consent: Consent) -> str:
    if consent.recipient_organization is not None:
        return consent.recipient_organization.name
    return consent.recipient_description


def consent_rows(user: Any, student: Student) -> list[ConsentRow]:
    day = student.network.today()
    return [
        ConsentRow(
            consent=c,
            state=consent_state(c, day),
            elements=element_labels(c.data_elements),
            recipient=recipient_label(c),
        )
        for c in student_consents(user, student)
    ]
