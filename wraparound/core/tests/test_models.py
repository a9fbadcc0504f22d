import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from wraparound.core.grades import grade_span_label, grades_in_span
from wraparound.core.models import Membership
from wraparound.core.roles import Role

from .factories import OrganizationFactory, SchoolFactory, UserFactory


def test_grade_span_labels_and_ranges():
    assert grade_span_label("KG", "05") == "K–5"
    assert grade_span_label("09", "12") == "9–12"
    assert grade_span_label("PK", "PK") == "PK"
    assert grades_in_span("06", "08") == ["06", "07", "08"]


@pytest.mark.django_db
def test_school_rejects_reversed_grades_and_foreign_community(t1, t2):
    school = SchoolFactory.build(
        community=t1.communities[0],
        network=t1.network,
        code="01M999",
        grade_low="09",
        grade_high="05",
    )
    with pytest.raises(ValidationError) as err:
        school.full_clean()
    assert "grade_high" in err.value.message_dict
    school = SchoolFactory.build(community=t2.communities[0], network=t1.network, code="01M998")
    with pytest.raises(ValidationError) as err:
        school.full_clean()
    assert "community" in err.value.message_dict


@pytest.mark.django_db
def test_school_cannot_feed_into_another_networks_school(t1, t2):
    school = t1.schools[0]
    school.feeder_to = t2.schools[0]
    with pytest.raises(ValidationError) as err:
        school.full_clean()
    assert "feeder_to" in err.value.message_dict


@pytest.mark.django_db
def test_membership_scope_must_fit_the_role(t1):
    user = UserFactory()
    wrong = Membership(user=user, role=Role.PARTNER_ADMIN, network=t1.network, school=t1.schools[0])
    with pytest.raises(ValidationError, match="organization level"):
        wrong.full_clean()
    wrong = Membership(user=user, role=Role.SCHOOL_COORDINATOR, network=t1.network)
    with pytest.raises(ValidationError, match="school level"):
        wrong.full_clean()
    ok = Membership(user=user, role=Role.CLINICAL_SUPERVISOR, network=t1.network)
    ok.full_clean()


@pytest.mark.django_db
def test_membership_scope_must_be_in_its_network(t1, t2):
    m = Membership(
        user=UserFactory(), role=Role.PRINCIPAL, network=t1.network, school=t2.schools[0]
    )
    with pytest.raises(ValidationError, match="another network"):
        m.full_clean()


@pytest.mark.django_db
def test_membership_holds_a_single_scope_in_the_database(t1):
    org = OrganizationFactory(network=t1.network)
    with pytest.raises(IntegrityError):
        Membership.objects.create(
            user=UserFactory(),
            role=Role.PARTNER_ADMIN,
            network=t1.network,
            organization=org,
            school=t1.schools[0],
        )


@pytest.mark.django_db
def test_membership_is_unique_per_role_and_scope(t1):
    user = t1.users["principal"]
    with pytest.raises(IntegrityError):
        Membership.objects.create(
            user=user, role=Role.PRINCIPAL, network=t1.network, school=t1.schools[0]
        )
