"""Writes on tiered supports (MTSS): assigning a student a tier in one domain, and ending it.

A student has at most one assignment per domain at a time: a new one ends the previous one the
day before it starts. Refusals are `ValidationError`s keyed by the field they concern.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.models import Membership
from wraparound.core.roles import SCHOOL_ROLES
from wraparound.core.services import audit_record

from .models import Student, Tier, TierAssignment, TierDomain

REASON_MAX = 2000


def holds_school_role(user: Any, school_id: int) -> bool:
    return Membership.objects.filter(
        user_id=user.pk, school_id=school_id, role__in=SCHOOL_ROLES, is_active=True
    ).exists()


def case_manager_choices(school_id: int) -> list[Any]:
    """The people who may hold a caseload at the school: its active school roles."""
    user_model = get_user_model()
    return list(
        user_model.objects.filter(
            memberships__school_id=school_id,
            memberships__role__in=SCHOOL_ROLES,
            memberships__is_active=True,
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def _reason(reason: Any, errors: dict[str, Any]) -> str:
    text = str(reason or "").strip()
    if not text:
        errors["reason"] = _("Give the reason.")
    elif len(text) > REASON_MAX:
        errors["reason"] = _("Keep the reason under %(limit)d characters.") % {"limit": REASON_MAX}
    return text


@transaction.atomic
def tier_assign(
    *,
    user: Any,
    student: Student,
    domain: str,
    tier: int,
    reason: str,
    starts_on: dt.date | None,
    ends_on: dt.date | None = None,
    case_manager: Any = None,
) -> TierAssignment:
    """Put the student at `tier` in `domain` from `starts_on`. An earlier assignment in the same
    domain still open then ends the day before."""
    school = student.school
    if school is None or not access.can_assign_tier(user, school):
        raise PermissionDenied
    errors: dict[str, Any] = {}
    if domain not in TierDomain.values:
        errors["domain"] = _("Choose one of the domains listed.")
    try:
        tier_value = int(tier)
    except (TypeError, ValueError):
        tier_value = 0
    if tier_value not in Tier.values:
        errors["tier"] = _("Choose tier 1, 2 or 3.")
    text = _reason(reason, errors)
    if starts_on is None:
        errors["starts_on"] = _("Enter the first day.")
    elif ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("The last day (%(end)s) is before the first (%(start)s).") % {
            "end": ends_on.isoformat(),
            "start": starts_on.isoformat(),
        }
    if case_manager is None:
        if holds_school_role(user, school.pk):
            case_manager = user
    elif not holds_school_role(case_manager, school.pk):
        errors["case_manager"] = _("Choose someone who works at %(school)s.") % {
            "school": school.name
        }
    previous: TierAssignment | None = None
    if not errors:
        assert starts_on is not None
        overlapping = list(
            TierAssignment.objects.select_for_update(of=("self",))
            .filter(student_id=student.pk, domain=domain)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
            .order_by("starts_on", "id")
        )
        later = [a for a in overlapping if a.starts_on >= starts_on]
        if later:
            errors["starts_on"] = _(
                "The student already has an assignment in %(domain)s from %(day)s: start this "
                "one after it, or end that one first."
            ) % {"domain": TierDomain(domain).label, "day": later[0].starts_on.isoformat()}
        elif overlapping:
            previous = overlapping[-1]
    if errors:
        raise ValidationError(errors)
    assert starts_on is not None

    if previous is not None:
        previous.ends_on = starts_on - dt.timedelta(days=1)
        previous.save(update_fields=["ends_on"])
        audit_record(
            actor=user,
            action="tier.end",
            target=previous,
            network=student.network_id,
            data={"ends_on": previous.ends_on.isoformat(), "reason": "replaced"},
        )
    assignment = TierAssignment.objects.create(
        network_id=student.network_id,
        school=school,
        student=student,
        domain=domain,
        tier=tier_value,
        reason=text,
        starts_on=starts_on,
        ends_on=ends_on,
        case_manager=case_manager,
        created_by=user,
    )
    audit_record(
        actor=user,
        action="tier.assign",
        target=assignment,
        network=student.network_id,
        data={
            "student": student.pk,
            "domain": domain,
            "tier": tier_value,
            "replaces": previous.pk if previous else None,
        },
    )
    return assignment


@transaction.atomic
def tier_end(
    *, user: Any, assignment: TierAssignment, ends_on: dt.date | None, reason: str
) -> TierAssignment:
    """Close an open assignment on `ends_on` (its last day)."""
    if not access.can_assign_tier(user, assignment.school):
        raise PermissionDenied
    assignment = TierAssignment.objects.select_for_update(of=("self",)).get(pk=assignment.pk)
    errors: dict[str, Any] = {}
    text = _reason(reason, errors)
    today = assignment.school.network.today()
    if assignment.ends_on is not None and assignment.ends_on < today:
        raise ValidationError(
            _("This assignment already ended on %(day)s.") % {"day": assignment.ends_on.isoformat()}
        )
    if ends_on is None:
        errors["ends_on"] = _("Enter the last day.")
    elif ends_on < assignment.starts_on:
        errors["ends_on"] = _("The last day cannot be before the first (%(start)s).") % {
            "start": assignment.starts_on.isoformat()
        }
    if errors:
        raise ValidationError(errors)
    assert ends_on is not None
    assignment.ends_on = ends_on
    assignment.save(update_fields=["ends_on"])
    audit_record(
        actor=user,
        action="tier.end",
        target=assignment,
        network=assignment.network_id,
        data={"ends_on": ends_on.isoformat(), "reason": text},
    )
    return assignment
