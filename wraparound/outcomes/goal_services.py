"""Writes on goals: set one, change it, remove it, and enter a measurement for an indicator the
system does not compute (graduation rate).

Values are stored as the indicators compute them: shares as fractions (0–1), days as days. A
refusal is a `ValidationError` keyed by the field it concerns; a change made to a goal someone
else changed since it was read is a `GoalConflict` (optimistic locking on `version`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from wraparound.agreements.models.partnership import Partnership
from wraparound.core import access
from wraparound.core.models import Network, School
from wraparound.core.services import audit_record

from .indicators import ENTERED_INDICATORS, SHARE_INDICATORS
from .models import Goal, GoalMeasurement, GoalScope, GoalTerm, Indicator

MAX_DAYS = Decimal(365)
TITLE_MAX = 200


class GoalConflict(Exception):
    """The goal changed (or was removed) since the caller read it."""


def can_set(user: Any, *, network: Network, school: School | None, partnership: Any) -> bool:
    if partnership is not None:
        if partnership.school is None:
            return access.can_set_network_goals(user, network.pk)
        return access.can_set_school_goals(user, partnership.school)
    if school is not None:
        return access.can_set_school_goals(user, school)
    return access.can_set_network_goals(user, network.pk)


def can_change(user: Any, goal: Goal) -> bool:
    return can_set(user, network=goal.network, school=goal.school, partnership=goal.partnership)


def _value(raw: Any, indicator: str, field: str, errors: dict[str, Any]) -> Decimal:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = _("Enter a number.")
        return Decimal(0)
    if not value.is_finite():
        errors[field] = _("Enter a number.")
        return Decimal(0)
    if indicator in SHARE_INDICATORS and not (0 <= value <= 1):
        errors[field] = _("A rate is between 0 and 100 %.")
    elif indicator not in SHARE_INDICATORS and not (0 <= value <= MAX_DAYS):
        errors[field] = _("Enter a number of days between 0 and 365.")
    return value.quantize(Decimal("0.0001"))


def _clean(
    *,
    network: Network,
    scope: str,
    school: School | None,
    partnership: Partnership | None,
    indicator: str,
    term: str,
    title: str,
    baseline: Any,
    baseline_on: dt.date | None,
    target: Any,
    target_on: dt.date | None,
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if indicator not in Indicator.values:
        errors["indicator"] = _("Choose one of the indicators listed.")
    if term not in GoalTerm.values:
        errors["term"] = _("Choose short- or long-term.")
    if scope == GoalScope.SCHOOL:
        if school is None or school.network_id != network.pk:
            errors["school"] = _("Choose a school of the network.")
        partnership = None
    elif scope == GoalScope.PARTNERSHIP:
        if partnership is None or partnership.network_id != network.pk:
            errors["partnership"] = _("Choose a partnership of the network.")
        elif school is not None and partnership.school_id != school.pk:
            errors["partnership"] = _("Choose one of this school's partnerships.")
        school = None
    elif scope == GoalScope.NETWORK:
        school, partnership = None, None
    else:
        errors["scope"] = _("Choose the school, the network or a partnership.")
    title = str(title or "").strip()
    if len(title) > TITLE_MAX:
        errors["title"] = _("Keep the title under %(limit)d characters.") % {"limit": TITLE_MAX}
    base = _value(baseline, indicator, "baseline", errors)
    goal_value = _value(target, indicator, "target", errors)
    if "baseline" not in errors and "target" not in errors and base == goal_value:
        errors["target"] = _("The target must differ from the baseline.")
    if baseline_on is None:
        errors["baseline_on"] = _("Give the date of the baseline.")
    if target_on is None:
        errors["target_on"] = _("Give the date the target should be reached.")
    elif baseline_on is not None and target_on <= baseline_on:
        errors["target_on"] = _("The target date must come after the baseline date.")
    if errors:
        raise ValidationError(errors)
    return {
        "scope": scope,
        "school": school,
        "partnership": partnership,
        "indicator": indicator,
        "term": term,
        "title": title,
        "baseline": base,
        "baseline_on": baseline_on,
        "target": goal_value,
        "target_on": target_on,
    }


@transaction.atomic
def goal_create(*, user: Any, network: Network, **fields: Any) -> Goal:
    """Set a goal (fields: scope, school, partnership, indicator, term, title, baseline,
    baseline_on, target, target_on)."""
    data = _clean(network=network, **fields)
    if not can_set(user, network=network, school=data["school"], partnership=data["partnership"]):
        raise PermissionDenied
    goal = Goal.objects.create(network=network, created_by=user, **data)
    audit_record(actor=user, action="goal.create", target=goal, network=network)
    return goal


@transaction.atomic
def goal_update(*, user: Any, goal: Goal, expected_version: int, **fields: Any) -> Goal:
    """Change a goal read at `expected_version`; its scope stays."""
    if not can_change(user, goal):
        raise PermissionDenied
    data = _clean(
        network=goal.network,
        scope=goal.scope,
        school=goal.school,
        partnership=goal.partnership,
        **fields,
    )
    data.pop("scope"), data.pop("school"), data.pop("partnership")
    updated = Goal.objects.filter(pk=goal.pk, version=expected_version).update(
        version=F("version") + 1, **data
    )
    if not updated:
        raise GoalConflict
    goal.refresh_from_db()
    audit_record(actor=user, action="goal.update", target=goal, network=goal.network)
    return goal


@transaction.atomic
def goal_delete(*, user: Any, goal: Goal, expected_version: int) -> None:
    if not can_change(user, goal):
        raise PermissionDenied
    deleted, _count = Goal.objects.filter(pk=goal.pk, version=expected_version).delete()
    if not deleted:
        raise GoalConflict
    audit_record(actor=user, action="goal.delete", network=goal.network, data={"goal": goal.pk})


@transaction.atomic
def goal_record_measurement(
    *, user: Any, goal: Goal, measured_on: dt.date | None, value: Any, note: str = ""
) -> GoalMeasurement:
    """Enter a figure for a goal whose indicator the system does not compute."""
    if not can_change(user, goal):
        raise PermissionDenied
    errors: dict[str, Any] = {}
    if goal.indicator not in ENTERED_INDICATORS:
        raise ValidationError(_("This indicator is computed from the system's own data."))
    number = _value(value, goal.indicator, "value", errors)
    if measured_on is None:
        errors["measured_on"] = _("Give the date of the figure.")
    note = str(note or "").strip()
    if len(note) > 300:
        errors["note"] = _("Keep the note under 300 characters.")
    if errors or measured_on is None:
        raise ValidationError(errors)
    measurement = GoalMeasurement.objects.create(
        goal=goal, measured_on=measured_on, value=number, note=note, entered_by=user
    )
    audit_record(actor=user, action="goal.measure", target=goal, network=goal.network)
    return measurement
