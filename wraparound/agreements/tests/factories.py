"""factory_boy factories for MOUs and clearance (shared by the agreements, matching and demo
tests). `PartnershipFactory` and `SchoolYearFactory` live with the assessments factories."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from wraparound.agreements import models as m
from wraparound.agreements.mou_content import freeze
from wraparound.assessments.tests.factories import PartnershipFactory


class AgreementFactory(factory.django.DjangoModelFactory[m.Agreement]):
    class Meta:
        model = m.Agreement

    partnership = factory.SubFactory(PartnershipFactory)
    network = factory.SelfAttribute("partnership.network")
    school = factory.SelfAttribute("partnership.school")
    organization = factory.SelfAttribute("partnership.organization")
    title = factory.Sequence(lambda n: f"MOU {n}")
    status = m.AgreementStatus.DRAFT


class AgreementVersionFactory(factory.django.DjangoModelFactory[m.AgreementVersion]):
    class Meta:
        model = m.AgreementVersion
        skip_postgeneration_save = True

    agreement = factory.SubFactory(AgreementFactory)
    number = 1
    status = m.VersionStatus.DRAFT
    term_start = factory.LazyAttribute(lambda v: v.agreement.partnership.school_year.start_date)
    term_end = factory.LazyAttribute(lambda v: v.agreement.partnership.school_year.end_date)
    school_contact_name = "Pat Principal"
    school_contact_email = "pat@school.example"
    partner_contact_name = "Ari Partner"
    partner_contact_email = "ari@partner.example"
    purpose = "Tutoring for students who need it."
    evaluation = "Attendance and grades reviewed each term."

    @factory.post_generation
    def link(obj: m.AgreementVersion, create: bool, extracted: object, **kwargs: object) -> None:
        if create and obj.agreement.current_version_id is None:
            obj.agreement.current_version = obj
            obj.agreement.save(update_fields=["current_version"])


class ResponsibilityFactory(factory.django.DjangoModelFactory[m.Responsibility]):
    class Meta:
        model = m.Responsibility

    version = factory.SubFactory(AgreementVersionFactory)
    party = m.Party.PARTNER
    description = factory.Sequence(lambda n: f"Responsibility {n}")


class DeliverableFactory(factory.django.DjangoModelFactory[m.Deliverable]):
    class Meta:
        model = m.Deliverable

    version = factory.SubFactory(AgreementVersionFactory)
    service = factory.LazyAttribute(lambda d: d.version.agreement.partnership.service)
    description = "Small-group tutoring"
    tier = 2
    quantity = 20
    unit = "students"
    frequency = "weekly"
    target_students = "grades 6-8"


class DataSharingAgreementFactory(factory.django.DjangoModelFactory[m.DataSharingAgreement]):
    class Meta:
        model = m.DataSharingAgreement

    version = factory.SubFactory(AgreementVersionFactory)
    legal_basis = m.LegalBasis.SCHOOL_OFFICIAL
    data_elements = factory.LazyFunction(lambda: ["name", "grade", "attendance"])
    purpose = "To plan and deliver tutoring."
    partner_roles = factory.LazyFunction(lambda: ["partner_staff"])
    retention_ends_on = factory.LazyAttribute(lambda d: d.version.term_end + dt.timedelta(days=365))
    destruction_method = m.DestructionMethod.SECURE_DELETION


def signed_agreement(**kwargs: object) -> m.Agreement:
    """An agreement in force: version 1 with terms, data sharing and both signatures."""
    from wraparound.core.tests.factories import UserFactory

    agreement: Any = AgreementFactory(status=m.AgreementStatus.ACTIVE, **kwargs)
    version: Any = AgreementVersionFactory(agreement=agreement, status=m.VersionStatus.SIGNED)
    ResponsibilityFactory(version=version, party=m.Party.SCHOOL, description="Provide a room")
    ResponsibilityFactory(version=version, party=m.Party.PARTNER, description="Send tutors")
    DeliverableFactory(version=version)
    DataSharingAgreementFactory(version=version)
    freeze(version)
    version.save(update_fields=["content", "content_hash"])
    for party in (agreement.school_party, m.Party.PARTNER):
        m.Signature.objects.create(
            version=version,
            party=party,
            user=UserFactory(),
            signer_name=f"Signer for {party}",
            content_hash=version.content_hash,
        )
    agreement.current_version = version
    agreement.signed_version = version
    agreement.save(update_fields=["current_version", "signed_version"])
    return agreement


class ClearanceRequirementFactory(factory.django.DjangoModelFactory[m.ClearanceRequirement]):
    class Meta:
        model = m.ClearanceRequirement

    network = factory.SubFactory("wraparound.core.tests.factories.NetworkFactory")
    name = factory.Sequence(lambda n: f"Requirement {n}")
    kind = m.RequirementKind.BACKGROUND_CHECK
    applies_to = m.RequirementSubject.PERSON
    validity_months = 24
    document_required = True


class StaffMemberFactory(factory.django.DjangoModelFactory[m.StaffMember]):
    class Meta:
        model = m.StaffMember

    organization = factory.SubFactory("wraparound.core.tests.factories.OrganizationFactory")
    network = factory.SelfAttribute("organization.network")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Faker("email")
    title = "Tutor"


class ClearanceRecordFactory(factory.django.DjangoModelFactory[m.ClearanceRecord]):
    class Meta:
        model = m.ClearanceRecord

    person = factory.SubFactory(StaffMemberFactory)
    organization = factory.SelfAttribute("person.organization")
    network = factory.SelfAttribute("organization.network")
    requirement = factory.SubFactory(
        ClearanceRequirementFactory, network=factory.SelfAttribute("..network")
    )
    status = m.RecordStatus.CLEARED
    issued_on = dt.date(2026, 8, 1)
    expires_on = dt.date(2028, 8, 1)
