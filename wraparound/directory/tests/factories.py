"""factory_boy factories for the directory (HSDS) models. Every record takes its network from
the record it hangs on, so a factory call never crosses tenants by accident."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from wraparound.core.models import VettingStatus
from wraparound.core.tests.factories import CommunityFactory, NetworkFactory, OrganizationFactory
from wraparound.directory import models as m


class VettedOrganizationFactory(OrganizationFactory):
    # Fixed words, not Faker's: word searches in tests must not match by chance.
    description = factory.LazyAttribute(lambda o: f"{o.name} works with schools and families.")
    vetting_status = VettingStatus.VETTED
    verified_on = factory.LazyFunction(lambda: timezone.localdate())
    confirmed_at = factory.LazyFunction(timezone.now)


class TaxonomyFactory(factory.django.DjangoModelFactory[m.Taxonomy]):
    class Meta:
        model = m.Taxonomy

    network = factory.SubFactory(NetworkFactory)
    name = "wraparound service categories"
    description = "Service categories grouped by the four community-school pillars."


class TaxonomyTermFactory(factory.django.DjangoModelFactory[m.TaxonomyTerm]):
    class Meta:
        model = m.TaxonomyTerm

    taxonomy_ref = factory.SubFactory(TaxonomyFactory)
    network = factory.SelfAttribute("taxonomy_ref.network")
    code = factory.Sequence(lambda n: f"term-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    description = factory.LazyAttribute(lambda t: f"Services for {t.name.lower()}.")
    taxonomy = factory.SelfAttribute("taxonomy_ref.name")


class ServiceFactory(factory.django.DjangoModelFactory[m.Service]):
    class Meta:
        model = m.Service

    organization = factory.SubFactory(VettedOrganizationFactory)
    network = factory.SelfAttribute("organization.network")
    name = factory.Sequence(lambda n: f"Service {n}")
    description = "A service for students and families."
    status = m.ServiceStatus.ACTIVE
    grade_low = "KG"
    grade_high = "08"
    after_school = True
    cost_to_school = Decimal("0")
    cost_to_families = Decimal("0")
    eligibility_description = "Students of the school and their families."
    verified_on = factory.LazyFunction(lambda: timezone.localdate())
    confirmed_at = factory.LazyFunction(timezone.now)


class LocationFactory(factory.django.DjangoModelFactory[m.Location]):
    class Meta:
        model = m.Location

    organization = factory.SubFactory(VettedOrganizationFactory)
    network = factory.SelfAttribute("organization.network")
    name = factory.Sequence(lambda n: f"Site {n}")
    location_type = m.LocationType.PHYSICAL
    latitude = Decimal("40.816000")
    longitude = Decimal("-73.917000")


class AddressFactory(factory.django.DjangoModelFactory[m.Address]):
    class Meta:
        model = m.Address

    location = factory.SubFactory(LocationFactory)
    network = factory.SelfAttribute("location.network")
    address_1 = factory.Sequence(lambda n: f"{100 + n} East 149th Street")
    city = "Bronx"
    state_province = "NY"
    postal_code = "10451"
    country = "US"
    address_type = "physical"


class ServiceAtLocationFactory(factory.django.DjangoModelFactory[m.ServiceAtLocation]):
    class Meta:
        model = m.ServiceAtLocation

    service = factory.SubFactory(ServiceFactory)
    network = factory.SelfAttribute("service.network")
    location = factory.SubFactory(
        LocationFactory, organization=factory.SelfAttribute("..service.organization")
    )


class ScheduleFactory(factory.django.DjangoModelFactory[m.Schedule]):
    class Meta:
        model = m.Schedule

    service_at_location = factory.SubFactory(ServiceAtLocationFactory)
    network = factory.SelfAttribute("service_at_location.network")
    freq = "WEEKLY"
    byday = "MO,WE,FR"
    opens_at = dt.time(15, 0)
    closes_at = dt.time(18, 0)
    description = "Mondays, Wednesdays and Fridays after school."


class PhoneFactory(factory.django.DjangoModelFactory[m.Phone]):
    class Meta:
        model = m.Phone

    service = factory.SubFactory(ServiceFactory)
    network = factory.SelfAttribute("service.network")
    number = factory.Sequence(lambda n: f"718-555-{n % 10000:04d}")
    type = "voice"


class LanguageFactory(factory.django.DjangoModelFactory[m.Language]):
    class Meta:
        model = m.Language

    service = factory.SubFactory(ServiceFactory)
    network = factory.SelfAttribute("service.network")
    name = "Spanish"
    code = "es"


class ServiceAreaFactory(factory.django.DjangoModelFactory[m.ServiceArea]):
    class Meta:
        model = m.ServiceArea

    service = factory.SubFactory(ServiceFactory)
    network = factory.SelfAttribute("service.network")
    community = factory.SubFactory(
        CommunityFactory, network=factory.SelfAttribute("..service.network")
    )
    name = factory.SelfAttribute("community.name")


class ServiceCapacityFactory(factory.django.DjangoModelFactory[m.ServiceCapacity]):
    class Meta:
        model = m.ServiceCapacity

    service = factory.SubFactory(ServiceFactory)
    network = factory.SelfAttribute("service.network")
    unit = "students"
    available = 10
    maximum = 40
    updated = factory.LazyFunction(timezone.now)


class ServiceCategoryFactory(factory.django.DjangoModelFactory[m.Attribute]):
    """A service's category: an HSDS attribute linking the service to a taxonomy term."""

    class Meta:
        model = m.Attribute

    service = factory.SubFactory(ServiceFactory)
    network = factory.SelfAttribute("service.network")
    taxonomy_term = factory.SubFactory(
        TaxonomyTermFactory, taxonomy_ref__network=factory.SelfAttribute("...service.network")
    )
    link_entity = "service"
    link_id = factory.SelfAttribute("service.hsds_id")
