"""factory_boy factories for referrals, sessions and case notes."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from wraparound.core.tests.factories import UserFactory
from wraparound.directory.tests.factories import ServiceFactory
from wraparound.referrals import models as m
from wraparound.students.tests.factories import StudentFactory


class ReferralFactory(factory.django.DjangoModelFactory[m.Referral]):
    """A referral as sent (status SENT) with name, grade and notes shared; give it a `basis`,
    `data_sharing` or `consent` when a test needs the partner to see anything."""

    class Meta:
        model = m.Referral

    student = factory.SubFactory(StudentFactory)
    school = factory.SelfAttribute("student.school")
    network = factory.SelfAttribute("student.network")
    service = factory.SubFactory(
        ServiceFactory, organization__network=factory.SelfAttribute("...student.network")
    )
    organization = factory.SelfAttribute("service.organization")
    status = m.ReferralStatus.SENT
    reason = "Falling behind in reading; family asked for help."
    referred_by = factory.SubFactory(UserFactory)
    shared_elements = factory.LazyFunction(lambda: ["name", "grade", "notes"])
    sent_at = factory.LazyFunction(timezone.now)
    response_due_on = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=3))


class ServiceSessionFactory(factory.django.DjangoModelFactory[m.ServiceSession]):
    class Meta:
        model = m.ServiceSession

    school = factory.SubFactory("wraparound.core.tests.factories.SchoolFactory")
    network = factory.SelfAttribute("school.network")
    kind = m.SessionKind.INDIVIDUAL
    date = factory.LazyFunction(dt.date.today)
    duration_minutes = 45
    modality = m.Modality.IN_PERSON
    logged_by = factory.SubFactory(UserFactory)


class SessionAttendanceFactory(factory.django.DjangoModelFactory[m.SessionAttendance]):
    class Meta:
        model = m.SessionAttendance

    session = factory.SubFactory(ServiceSessionFactory)
    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..session.school"))
    present = True


class CaseNoteFactory(factory.django.DjangoModelFactory[m.CaseNote]):
    class Meta:
        model = m.CaseNote

    student = factory.SubFactory(StudentFactory)
    school = factory.SelfAttribute("student.school")
    network = factory.SelfAttribute("student.network")
    author = factory.SubFactory(UserFactory)
    body = "Met with student; discussed sleep and anxiety before tests."
