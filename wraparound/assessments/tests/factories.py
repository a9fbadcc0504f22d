"""factory_boy factories for assessments and partnerships (shared by the assessments, matching
and agreements tests)."""

from __future__ import annotations

import datetime as dt

import factory

from wraparound.agreements.models import Partnership, PartnershipStatus
from wraparound.assessments import models as m
from wraparound.core.models import SchoolYear
from wraparound.core.tests.factories import SchoolFactory
from wraparound.directory.tests.factories import ServiceFactory, TaxonomyTermFactory


class SchoolYearFactory(factory.django.DjangoModelFactory[SchoolYear]):
    class Meta:
        model = SchoolYear
        django_get_or_create = ("network", "end_year")

    network = factory.SubFactory("wraparound.core.tests.factories.NetworkFactory")
    end_year = 2027
    start_date = factory.LazyAttribute(lambda y: dt.date(y.end_year - 1, 9, 8))
    end_date = factory.LazyAttribute(lambda y: dt.date(y.end_year, 6, 26))


class NeedsAssessmentFactory(factory.django.DjangoModelFactory[m.NeedsAssessment]):
    class Meta:
        model = m.NeedsAssessment

    school = factory.SubFactory(SchoolFactory)
    school_year = factory.SubFactory(
        SchoolYearFactory, network=factory.SelfAttribute("..school.network")
    )
    status = m.AssessmentStatus.SUBMITTED


class NeedFactory(factory.django.DjangoModelFactory[m.Need]):
    class Meta:
        model = m.Need

    assessment = factory.SubFactory(NeedsAssessmentFactory)
    category = factory.SubFactory(
        TaxonomyTermFactory,
        taxonomy_ref__network=factory.SelfAttribute("...assessment.school.network"),
    )
    severity = 3
    tier = m.Tier.SMALL_GROUP
    students = 20


class AssetFactory(factory.django.DjangoModelFactory[m.Asset]):
    class Meta:
        model = m.Asset

    assessment = factory.SubFactory(NeedsAssessmentFactory)
    kind = m.AssetKind.STAFF
    category = factory.SubFactory(
        TaxonomyTermFactory,
        taxonomy_ref__network=factory.SelfAttribute("...assessment.school.network"),
    )
    name = factory.Sequence(lambda n: f"Asset {n}")
    students = 5


class ParticipantFactory(factory.django.DjangoModelFactory[m.Participant]):
    class Meta:
        model = m.Participant

    assessment = factory.SubFactory(NeedsAssessmentFactory)
    role = m.ParticipantRole.PRINCIPAL
    name = factory.Sequence(lambda n: f"Participant {n}")


class PartnershipFactory(factory.django.DjangoModelFactory[Partnership]):
    class Meta:
        model = Partnership

    school = factory.SubFactory(SchoolFactory)
    network = factory.SelfAttribute("school.network")
    service = factory.SubFactory(
        ServiceFactory, organization__network=factory.SelfAttribute("...school.network")
    )
    organization = factory.SelfAttribute("service.organization")
    school_year = factory.SubFactory(
        SchoolYearFactory, network=factory.SelfAttribute("..school.network")
    )
    units = 10
    status = PartnershipStatus.ACTIVE
