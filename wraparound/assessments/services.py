"""Writes to needs-and-assets assessments: start (optionally copying last year's forward) and
submit. Each checks the actor's role, runs in one transaction and is audited."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.models import School, SchoolYear
from wraparound.core.services import audit_record

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
