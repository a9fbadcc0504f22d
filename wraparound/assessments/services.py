"""Writes to needs-and-assets assessments: start (optionally copying last year's forward), the
needs, assets and participants of a draft, and submit. Each checks the actor's role, runs in one
transaction and is audited."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.models import School, SchoolYear
from wraparound.core.services import audit_record
from wraparound.directory.models import TIMING_FIELDS
from wraparound.directory.search import LANGUAGE_NAMES

from .models import AssessmentStatus, Asset, Need, NeedsAssessment, Participant


@transaction.atomic
def assessment_start(
    *, actor: Any, school: School, school_year: SchoolYear, copy_forward: bool = False
) -> NeedsAssessment:
    """A draft assessment for the school and year; with `copy_forward`, last submitted or
    drafted year's needs, assets and participants are copied in to be revised."""
    if not access.can_edit_assessment(actor, school):
        raise PermissionDenied
    if school_year.network_id != school.network_id:
        raise ValidationError({"school_year": _("Choose a school year of the school's network.")})
    if NeedsAssessment.objects.filter(school=school, school_year=school_year).exists():
        raise ValidationError(
            {"school_year": _("This school already has an assessment for that year.")}
        )
    previous = None
    if copy_forward:
        previous = (
            NeedsAssessment.objects.filter(
                school=school, school_year__end_year__lt=school_year.end_year
            )
            .order_by("-school_year__end_year")
            .first()
        )
        if previous is None:
            raise ValidationError(_("There is no earlier assessment to copy."))
    assessment = NeedsAssessment.objects.create(
        school=school,
        school_year=school_year,
        copied_from=previous,
        summary=previous.summary if previous else "",
        created_by=actor,
    )
    if previous is not None:
        _copy_rows(Need, previous, assessment)
        _copy_rows(Asset, previous, assessment)
        _copy_rows(Participant, previous, assessment)
    audit_record(
        actor=actor,
        action="assessment.start",
        target=assessment,
        network=school.network_id,
        data={"copied_from": previous.pk if previous else None},
    )
    return assessment


M = TypeVar("M", Need, Asset, Participant)


def _copy_rows(model: type[M], source: NeedsAssessment, target: NeedsAssessment) -> None:
    rows = list(model._default_manager.filter(assessment=source))
    for row in rows:
        row.pk = None
        row.assessment = target
    model._default_manager.bulk_create(rows)


@transaction.atomic
def assessment_submit(*, actor: Any, assessment: NeedsAssessment) -> NeedsAssessment:
    assessment = NeedsAssessment.objects.select_for_update().get(pk=assessment.pk)
    school = assessment.school
    if not access.can_submit_assessment(actor, school):
        raise PermissionDenied
    if assessment.status == AssessmentStatus.SUBMITTED:
        raise ValidationError(_("This assessment was already submitted."))
    problems = []
    if not assessment.needs.exists():
        problems.append(_("Record at least one need."))
    if not assessment.participants.exists():
        problems.append(_("Record who took part."))
    if problems:
        raise ValidationError(problems)
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_by = actor
    assessment.submitted_at = timezone.now()
    assessment.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
    audit_record(
        actor=actor, action="assessment.submit", target=assessment, network=school.network_id
    )
    return assessment


# --- needs, assets and participants -------------------------------------------------------------
#
# Each write locks the assessment, checks that the actor may edit the school's assessment and that
# it is still a draft (a submitted assessment is the leadership team's signed record: read only),
# validates the row with `full_clean` so that impossible values are refused field by field, and is
# audited. `data` holds the row's fields by name (a form's cleaned data); unknown names are a
# programming error.

NEED_FIELDS = (
    "category",
    "severity",
    "tier",
    "students",
    "grade_low",
    "grade_high",
    "languages",
    *TIMING_FIELDS,
    "evidence_source",
    "evidence_figure",
    "notes",
)
ASSET_FIELDS = ("kind", "category", "name", "students", "notes")
PARTICIPANT_FIELDS = ("role", "name", "count")


class AssessmentLocked(ValidationError):
    """The assessment was submitted: nothing in it changes any more."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(
            message
            or _("This assessment was submitted: it is read only and can no longer be changed.")
        )


def _editable(actor: Any, assessment_id: int) -> NeedsAssessment:
    assessment = NeedsAssessment.objects.select_for_update().get(pk=assessment_id)
    if not access.can_edit_assessment(actor, assessment.school):
        raise PermissionDenied
    if assessment.status != AssessmentStatus.DRAFT:
        raise AssessmentLocked
    return assessment


def _languages(value: Any) -> str:
    """Language codes (a list, or comma-separated) as stored: known codes, lower case, once each.
    Unknown codes are refused."""
    if value is None:
        return ""
    items = value.split(",") if isinstance(value, str) else list(value)
    codes: list[str] = []
    for item in items:
        code = str(item).strip().lower()
        if not code or code in codes:
            continue
        if code not in LANGUAGE_NAMES:
            raise ValidationError(
                {"languages": _("“%(code)s” is not a language this form knows.") % {"code": code}}
            )
        codes.append(code)
    return ",".join(codes)


def _assign(row: M, data: Mapping[str, Any], allowed: tuple[str, ...]) -> list[str]:
    """Set the row's fields from `data`; the names of those that changed."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields for {type(row).__name__}: {sorted(unknown)}")
    changed: list[str] = []
    for name, value in data.items():
        if name == "languages":
            # kept as given when refused: _validate_and_save reports it with the other fields
            with contextlib.suppress(ValidationError):
                value = _languages(value)
        elif isinstance(value, str):
            value = value.strip()
        if name == "category":
            before = getattr(row, "category_id", None)
            after = getattr(value, "pk", None)
        else:
            before, after = getattr(row, name), value
        if before != after:
            changed.append(name)
        setattr(row, name, value)
    return changed


def _validate_and_save(row: M) -> M:
    """Every field's problem at once (field by field), then save."""
    errors: dict[str, Any] = {}
    if isinstance(row, Need):
        try:
            row.languages = _languages(row.languages)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
            row.languages = ""
    try:
        row.full_clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if (
        isinstance(row, Asset)
        and row.category_id
        and "category" not in errors
        and row.category.network_id != row.assessment.school.network_id
    ):
        # Need.clean() compares the networks; Asset.clean() does not, so it is done here.
        errors["category"] = [_("Choose a category of this network.")]
    if errors:
        raise ValidationError(errors)
    row.save()
    return row


def _touch(assessment: NeedsAssessment) -> None:
    assessment.save(update_fields=["updated_at"])


def _record(actor: Any, action: str, row: M, assessment: NeedsAssessment, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=row,
        network=assessment.school.network_id,
        data={"assessment": assessment.pk, **data},
    )


@transaction.atomic
def need_create(*, actor: Any, assessment: NeedsAssessment, data: Mapping[str, Any]) -> Need:
    assessment = _editable(actor, assessment.pk)
    need = Need(assessment=assessment)
    _assign(need, data, NEED_FIELDS)
    _validate_and_save(need)
    _touch(assessment)
    _record(actor, "assessment.need_create", need, assessment)
    return need


@transaction.atomic
def need_update(*, actor: Any, need: Need, data: Mapping[str, Any]) -> Need:
    assessment = _editable(actor, need.assessment_id)
    need = Need.objects.select_related("category").get(pk=need.pk, assessment=assessment)
    need.assessment = assessment
    changed = _assign(need, data, NEED_FIELDS)
    _validate_and_save(need)
    if changed:
        _touch(assessment)
        _record(actor, "assessment.need_update", need, assessment, changed=changed)
    return need


@transaction.atomic
def need_delete(*, actor: Any, need: Need) -> None:
    assessment = _editable(actor, need.assessment_id)
    need = Need.objects.get(pk=need.pk, assessment=assessment)
    _record(
        actor,
        "assessment.need_delete",
        need,
        assessment,
        category=need.category_id,
        students=need.students,
    )
    need.delete()
    _touch(assessment)


@transaction.atomic
def asset_create(*, actor: Any, assessment: NeedsAssessment, data: Mapping[str, Any]) -> Asset:
    assessment = _editable(actor, assessment.pk)
    asset = Asset(assessment=assessment)
    _assign(asset, data, ASSET_FIELDS)
    _validate_and_save(asset)
    _touch(assessment)
    _record(actor, "assessment.asset_create", asset, assessment)
    return asset


@transaction.atomic
def asset_update(*, actor: Any, asset: Asset, data: Mapping[str, Any]) -> Asset:
    assessment = _editable(actor, asset.assessment_id)
    asset = Asset.objects.select_related("category").get(pk=asset.pk, assessment=assessment)
    asset.assessment = assessment
    changed = _assign(asset, data, ASSET_FIELDS)
    _validate_and_save(asset)
    if changed:
        _touch(assessment)
        _record(actor, "assessment.asset_update", asset, assessment, changed=changed)
    return asset


@transaction.atomic
def asset_delete(*, actor: Any, asset: Asset) -> None:
    assessment = _editable(actor, asset.assessment_id)
    asset = Asset.objects.get(pk=asset.pk, assessment=assessment)
    _record(actor, "assessment.asset_delete", asset, assessment, name=asset.name)
    asset.delete()
    _touch(assessment)


@transaction.atomic
def participant_create(
    *, actor: Any, assessment: NeedsAssessment, data: Mapping[str, Any]
) -> Participant:
    assessment = _editable(actor, assessment.pk)
    participant = Participant(assessment=assessment)
    _assign(participant, data, PARTICIPANT_FIELDS)
    _validate_and_save(participant)
    _touch(assessment)
    _record(actor, "assessment.participant_create", participant, assessment)
    return participant


@transaction.atomic
def participant_delete(*, actor: Any, participant: Participant) -> None:
    assessment = _editable(actor, participant.assessment_id)
    participant = Participant.objects.get(pk=participant.pk, assessment=assessment)
    _record(actor, "assessment.participant_delete", participant, assessment, name=participant.name)
    participant.delete()
    _touch(assessment)
