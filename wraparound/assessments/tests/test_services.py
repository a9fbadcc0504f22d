"""Starting (with copy-forward) and submitting assessments, for every role."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wraparound.assessments.models import (
    AssessmentStatus,
    Need,
    NeedsAssessment,
    Participant,
    ParticipantRole,
    Tier,
)
from wraparound.assessments.services import assessment_start, assessment_submit
from wraparound.core.models import AuditEvent, SchoolYear
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.models import TaxonomyTerm
from wraparound.directory.taxonomy import taxonomy_ensure_default


def year(network, end_year):
    return SchoolYear.objects.create(
        network=network,
        end_year=end_year,
        start_date=dt.date(end_year - 1, 9, 10),
        end_date=dt.date(end_year, 6, 25),
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_start_the_schools_assessment(t1, persona):
    school = t1.schools[0]
    user = t1.users[persona]
    if persona in {"network_admin", "coordinator", "principal"}:
        assert assessment_start(actor=user, school=school, school_year=year(t1.network, 2027))
    else:
        with pytest.raises(PermissionDenied):
            assessment_start(actor=user, school=school, school_year=year(t1.network, 2027))


def test_another_networks_admin_may_not_start_it(t1, t2):
    with pytest.raises(PermissionDenied):
        assessment_start(
            actor=t2.users["network_admin"],
            school=t1.schools[0],
            school_year=year(t1.network, 2027),
        )


def test_copy_forward_brings_last_years_needs_and_participants(t1):
    taxonomy_ensure_default(network=t1.network)
    coordinator, school = t1.users["coordinator"], t1.schools[0]
    last = assessment_start(actor=coordinator, school=school, school_year=year(t1.network, 2026))
    tutoring = TaxonomyTerm.objects.get(network=t1.network, code="tutoring")
    Need.objects.create(
        assessment=last, severity=4, tier=Tier.SMALL_GROUP, students=30, category=tutoring
    )
    Participant.objects.create(
        assessment=last, role=ParticipantRole.FAMILY, name="Survey", count=80
    )
    this = assessment_start(
        actor=coordinator, school=school, school_year=year(t1.network, 2027), copy_forward=True
    )
    assert this.copied_from == last
    assert [(n.severity, n.students) for n in this.needs.all()] == [(4, 30)]
    assert [(p.name, p.count) for p in this.participants.all()] == [("Survey", 80)]
    assert last.needs.count() == 1  # the old year is untouched
    assert AuditEvent.objects.filter(action="assessment.start").count() == 2


def test_start_refuses_a_second_assessment_and_a_copy_with_nothing_to_copy(t1):
    coordinator, school = t1.users["coordinator"], t1.schools[0]
    y = year(t1.network, 2027)
    with pytest.raises(ValidationError, match="no earlier assessment"):
        assessment_start(actor=coordinator, school=school, school_year=y, copy_forward=True)
    assessment_start(actor=coordinator, school=school, school_year=y)
    with pytest.raises(ValidationError) as caught:
        assessment_start(actor=coordinator, school=school, school_year=y)
    assert "already has an assessment" in str(caught.value)
    assert NeedsAssessment.objects.count() == 1


def test_only_the_principal_submits_and_only_a_complete_assessment(t1):
    taxonomy_ensure_default(network=t1.network)
    school = t1.schools[0]
    a = assessment_start(
        actor=t1.users["coordinator"], school=school, school_year=year(t1.network, 2027)
    )
    with pytest.raises(PermissionDenied):
        assessment_submit(actor=t1.users["coordinator"], assessment=a)
    with pytest.raises(ValidationError) as caught:
        assessment_submit(actor=t1.users["principal"], assessment=a)
    assert caught.value.messages == ["Record at least one need.", "Record who took part."]
    tutoring = TaxonomyTerm.objects.get(network=t1.network, code="tutoring")
    Need.objects.create(
        assessment=a, severity=3, tier=Tier.SCHOOL_WIDE, students=400, category=tutoring
    )
    Participant.objects.create(assessment=a, role=ParticipantRole.PRINCIPAL, name="Principal")
    done = assessment_submit(actor=t1.users["principal"], assessment=a)
    assert done.status == AssessmentStatus.SUBMITTED and done.submitted_by == t1.users["principal"]
    with pytest.raises(ValidationError, match="already submitted"):
        assessment_submit(actor=t1.users["principal"], assessment=a)
