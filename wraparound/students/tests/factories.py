"""factory_boy factories for students, guardians, consents and tiers (shared by the students,
referrals and demo tests)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from wraparound.core.tests.factories import SchoolFactory, UserFactory
from wraparound.students import models as m


class StudentFactory(factory.django.DjangoModelFactory[m.Student]):
    class Meta:
        model = m.Student

    school = factory.SubFactory(SchoolFactory)
    network = factory.SelfAttribute("school.network")
    sourced_id = factory.Sequence(lambda n: f"stu-{n:06d}")
    identifier = factory.Sequence(lambda n: f"{200000000 + n}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    grade = "06"
    birth_date = dt.date(2014, 5, 17)
    email = factory.LazyAttribute(lambda s: f"{s.sourced_id}@students.example")
    phone = "555-0100"
    sex = m.Sex.FEMALE
    race_ethnicity = m.RaceEthnicity.HISPANIC
    english_learner = False
    disability = False
    economically_disadvantaged = True


class GuardianFactory(factory.django.DjangoModelFactory[m.Guardian]):
    class Meta:
        model = m.Guardian

    network = factory.SubFactory("wraparound.core.tests.factories.NetworkFactory")
    sourced_id = factory.Sequence(lambda n: f"gdn-{n:06d}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda g: f"{g.sourced_id}@family.example")
    phone = "555-0199"
    preferred_language = "en"


class StudentGuardianFactory(factory.django.DjangoModelFactory[m.StudentGuardian]):
    class Meta:
        model = m.StudentGuardian

    student = factory.SubFactory(StudentFactory)
    guardian = factory.SubFactory(
        GuardianFactory, network=factory.SelfAttribute("..student.network")
    )
    relationship = m.GuardianRelationship.PARENT


class ConsentFactory(factory.django.DjangoModelFactory[m.Consent]):
    """A signed paper consent to one organization, in force from a year ago for two years."""

    class Meta:
        model = m.Consent

    student = factory.SubFactory(StudentFactory)
    school = factory.SelfAttribute("student.school")
    network = factory.SelfAttribute("student.network")
    data_elements = factory.LazyFunction(lambda: ["name", "grade", "contact"])
    purpose = "To coordinate tutoring."
    recipient_organization = factory.SubFactory(
        "wraparound.core.tests.factories.OrganizationFactory",
        network=factory.SelfAttribute("..student.network"),
    )
    status = m.ConsentStatus.SIGNED
    method = m.ConsentMethod.PAPER
    signed_by_name = "Rosa Parent"
    signer_relationship = m.SignerRelationship.PARENT
    signed_at = factory.LazyFunction(timezone.now)
    effective_on = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=365))
    expires_on = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=365))
    created_by = factory.SubFactory(UserFactory)


class TierAssignmentFactory(factory.django.DjangoModelFactory[m.TierAssignment]):
    class Meta:
        model = m.TierAssignment

    student = factory.SubFactory(StudentFactory)
    school = factory.SelfAttribute("student.school")
    network = factory.SelfAttribute("student.network")
    domain = m.TierDomain.ATTENDANCE
    tier = m.Tier.TARGETED
    reason = "Missed 12 of the first 60 days."
    starts_on = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=30))
    created_by = factory.SubFactory(UserFactory)
