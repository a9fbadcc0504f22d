"""Shared fixtures of the matching tests: a small network whose needs compete for capacity."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wraparound.assessments.tests.factories import (
    NeedFactory,
    NeedsAssessmentFactory,
    SchoolYearFactory,
)
from wraparound.core.models import School
from wraparound.directory.models import TaxonomyTerm
from wraparound.directory.taxonomy import taxonomy_ensure_default
from wraparound.directory.tests.factories import (
    ServiceAreaFactory,
    ServiceCapacityFactory,
    ServiceCategoryFactory,
    ServiceFactory,
)


def term(network, code):
    return TaxonomyTerm.objects.get(network=network, code=code)


def service_for(network, community, category, *, capacity=10, **fields):
    service = ServiceFactory.create(organization__network=network, **fields)
    ServiceCategoryFactory.create(service=service, taxonomy_term=category)
    ServiceAreaFactory.create(service=service, community=community)
    if capacity is not None:
        ServiceCapacityFactory.create(service=service, available=capacity)
    return service


def need_at(school, year, category, **fields):
    assessment = NeedsAssessmentFactory.create(school=school, school_year=year)
    return NeedFactory.create(assessment=assessment, category=category, **fields)


@pytest.fixture
def city(t1):
    """Two schools in one community — one with far greater need — competing for one
    tutoring service of 10 places; a mentoring need with no service at all."""
    network = t1.network
    taxonomy_ensure_default(network=network)
    year = SchoolYearFactory.create(network=network, end_year=2027)
    high, low = t1.schools[0], t1.schools[1]
    School.objects.filter(pk=high.pk).update(
        share_economically_disadvantaged=Decimal("0.95"), chronic_absenteeism_rate=Decimal("0.45")
    )
    School.objects.filter(pk=low.pk).update(
        share_economically_disadvantaged=Decimal("0.20"),
        share_english_learners=Decimal("0.02"),
        share_students_with_disabilities=Decimal("0.08"),
        chronic_absenteeism_rate=Decimal("0.05"),
    )
    tutoring = term(network, "tutoring")
    tutor = service_for(network, t1.communities[0], tutoring, capacity=10)
    high_need = need_at(high, year, tutoring, severity=4, students=8)
    low_need = need_at(low, year, tutoring, severity=4, students=8)
    mentoring_need = NeedFactory.create(
        assessment=high_need.assessment, category=term(network, "mentoring"), students=5
    )
    return {
        "t": t1,
        "year": year,
        "tutor": tutor,
        "high": high_need,
        "low": low_need,
        "mentoring": mentoring_need,
    }
