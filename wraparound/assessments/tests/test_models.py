"""Assessment records refuse impossible values field by field (issue 4: bad input)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from wraparound.assessments.models import Need, NeedsAssessment, Tier
from wraparound.core.models import SchoolYear
from wraparound.directory.models import TaxonomyTerm
from wraparound.directory.taxonomy import taxonomy_ensure_default


@pytest.fixture
def assessment(t1):
    year = SchoolYear.objects.create(
        network=t1.network,
        end_year=2027,
        start_date=dt.date(2026, 9, 10),
        end_date=dt.date(2027, 6, 25),
    )
    taxonomy_ensure_default(network=t1.network)
    return NeedsAssessment.objects.create(school=t1.schools[0], school_year=year)


def tutoring(network):
    return TaxonomyTerm.objects.get(network=network, code="tutoring")


def test_a_sound_need_passes(t1, assessment):
    need = Need(assessment=assessment, category=tutoring(t1.network), severity=4,
                tier=Tier.SMALL_GROUP, students=40, grade_low="03", grade_high="05",
                languages="es", after_school=True)  # fmt: skip
    need.full_clean()
    need.save()
    assert need.timings == ["after_school"]


def test_impossible_values_are_refused_field_by_field(t1, t2, assessment):
    taxonomy_ensure_default(network=t2.network)
    need = Need(assessment=assessment, category=tutoring(t2.network), severity=9, tier=4,
                students=0, grade_low="08", grade_high="03")  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        need.full_clean()
    assert set(caught.value.message_dict) == {"severity", "tier", "students", "grade_high",
                                              "category"}  # fmt: skip


def test_one_assessment_per_school_and_year(t1, assessment):
    with pytest.raises(IntegrityError):
        NeedsAssessment.objects.create(school=assessment.school, school_year=assessment.school_year)
