"""The field filter and the disclosure log behind every partner read."""

from __future__ import annotations

from typing import Any

import pytest

from wraparound.core.models import Disclosure
from wraparound.students import visibility
from wraparound.students.tests.world import student_world

pytestmark = pytest.mark.django_db


def test_partner_staff_see_the_shared_fields_the_agreement_allows_and_each_read_is_logged(
    t1: Any,
) -> None:
    w = student_world(t1)
    user = w.users["partner_staff_a"]
    reads = visibility.partner_views(user=user, referrals=[w.to_a], purpose="referral page")
    view = reads[0].view
    assert view.elements == {"name", "grade", "notes"}
    assert view.value("given_name") == "Ana"
    assert view.value("birth_date") is None
    assert view.value("email") is None
    assert view.referral_reason == w.to_a.reason
    row = Disclosure.objects.get()
    assert (row.viewer, row.organization, row.subject_id) == (user, t1.org_a, w.own.pk)
    assert row.basis == "school_official"
    assert row.basis_record == w.agreement_a.signed_version.data_sharing
    assert sorted(row.fields) == ["grade", "name", "notes"]


def test_consent_opens_only_its_elements_to_staff_of_the_named_organization(t1: Any) -> None:
    w = student_world(t1)
    staff_b = w.users["partner_staff_b"]
    view = visibility.partner_views(user=staff_b, referrals=[w.to_b], purpose="p")[0].view
    assert view.elements == {"name", "contact"}
    assert Disclosure.objects.get().basis == "consent"


def test_revoked_consent_shows_nothing_and_logs_nothing(t1: Any) -> None:
    w = student_world(t1)
    w.consent_b.status = "revoked"
    w.consent_b.save()
    view = visibility.partner_views(
        user=w.users["partner_staff_b"], referrals=[w.to_b], purpose="p"
    )[0].view
    assert view.elements == frozenset()
    assert view.value("given_name") is None
    assert "not shared" in view.display_name
    assert not Disclosure.objects.exists()


def test_partner_admin_is_not_among_the_agreements_roles(t1: Any) -> None:
    w = student_world(t1)
    view = visibility.partner_views(user=w.users["partner_admin"], referrals=[w.to_a], purpose="p")[
        0
    ].view
    assert view.elements == frozenset()


def test_sharing_check_names_what_is_missing(t1: Any) -> None:
    w = student_world(t1)
    grounds = visibility.sharing_check(
        organization=t1.org_a, student=w.own, elements=["name", "grade"], day=t1.network.today()
    )
    assert [g.basis for g in grounds] == ["school_official"]
    with pytest.raises(visibility.SharingRefused) as refused:
        visibility.sharing_check(
            organization=t1.org_a,
            student=w.own,
            elements=["name", "date_of_birth", "health"],
            day=t1.network.today(),
        )
    assert refused.value.missing == {"date_of_birth", "health"}
    assert "date of birth" in str(refused.value) and "health information" in str(refused.value)


def test_a_partner_page_over_students_of_many_schools_costs_the_same_queries(t1: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wraparound.referrals.models import Referral

    w = student_world(t1)
    user = w.users["partner_staff_a"]

    def read(referrals: list[Any]) -> int:
        fresh = list(
            Referral.objects.filter(pk__in=[r.pk for r in referrals]).select_related(
                "student__school", "organization", "network"
            )
        )
        with CaptureQueriesContext(connection) as queries:
            visibility.partner_views(user=user, referrals=fresh, purpose="list")
        return len(queries)

    read([w.to_a])  # warms the content-type cache the disclosures use
    one_school = read([w.to_a])
    two_schools = read([w.to_a, w.other_school_to_a])
    assert w.to_a.student.school_id != w.other_school_to_a.student.school_id
    assert two_schools == one_school
