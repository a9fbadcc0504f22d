from decimal import Decimal
from functools import cache

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User

from wraparound.core.models import Coalition, Community, Membership, Network, Organization, School

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @factory.post_generation
    def password(self: User, create: bool, extracted: str | None, **kwargs: object) -> None:
        # Argon2 is slow on purpose; hash the shared test password once and reuse the hash.
        self.password = make_password(extracted) if extracted else _test_password_hash()
        if create:
            self.save(update_fields=["password"])


@cache
def _test_password_hash() -> str:
    return make_password(TEST_PASSWORD)


class NetworkFactory(factory.django.DjangoModelFactory[Network]):
    class Meta:
        model = Network

    name = factory.Sequence(lambda n: f"Network {n}")
    slug = factory.Sequence(lambda n: f"network-{n}")


class CommunityFactory(factory.django.DjangoModelFactory[Community]):
    class Meta:
        model = Community

    network = factory.SubFactory(NetworkFactory)
    code = factory.Sequence(lambda n: f"{100 + n}")
    name = factory.Sequence(lambda n: f"Community District {n}")
    borough = "Bronx"


class SchoolFactory(factory.django.DjangoModelFactory[School]):
    class Meta:
        model = School

    community = factory.SubFactory(CommunityFactory)
    network = factory.SelfAttribute("community.network")
    code = factory.Sequence(lambda n: f"09X{n % 1000:03d}")
    name = factory.Sequence(lambda n: f"P.S. {n}")
    grade_low = "KG"
    grade_high = "05"
    enrollment = 450
    share_economically_disadvantaged = Decimal("0.8100")
    share_english_learners = Decimal("0.2000")
    share_students_with_disabilities = Decimal("0.2200")
    chronic_absenteeism_rate = Decimal("0.3100")


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    network = factory.SubFactory(NetworkFactory)
    name = factory.Sequence(lambda n: f"Partner {n}")


class CoalitionFactory(factory.django.DjangoModelFactory[Coalition]):
    class Meta:
        model = Coalition

    network = factory.SubFactory(NetworkFactory)
    name = factory.Sequence(lambda n: f"Coalition {n}")


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    network = factory.SubFactory(NetworkFactory)
