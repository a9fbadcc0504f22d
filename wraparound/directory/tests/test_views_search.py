"""The coordinator's directory search page and a service's page: roles, tenants, filters,
ranking, reasons, paging, query counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from wraparound.directory.models import Schedule, TaxonomyTerm
from wraparound.directory.search import service_search_text_refresh
from wraparound.directory.taxonomy import taxonomy_ensure_default
from wraparound.directory.tests.factories import (
    AddressFactory,
    LanguageFactory,
    LocationFactory,
    PhoneFactory,
    ScheduleFactory,
    ServiceAreaFactory,
    ServiceAtLocationFactory,
    ServiceCapacityFactory,
    ServiceCategoryFactory,
    ServiceFactory,
)
from wraparound.directory.views.search import schedule_in_words

ALLOWED = ["network_admin", "evaluator", "coordinator", "staff", "supervisor",
           "network_supervisor", "principal"]  # fmt: skip
DENIED = ["partner_admin", "partner_staff_a", "partner_staff_b", "coalition_member", "outsider"]
SEARCH = "directory_search"


def add_service(tenant: Any, name: str, *, code: str = "tutoring", **fields: Any) -> Any:
    taxonomy_ensure_default(network=tenant.network)
    term = TaxonomyTerm.objects.get(network=tenant.network, code=code)
    service = ServiceFactory(organization=tenant.org_a, name=name, **fields)
    ServiceCategoryFactory(service=service, taxonomy_term=term)
    service_search_text_refresh(service_ids=[service.pk])
    return service


@pytest.fixture
def school_at(t1: Any) -> Any:
    school = t1.schools[0]
    school.latitude, school.longitude = Decimal("40.816000"), Decimal("-73.917000")
    school.save()
    return school


def test_pages_need_a_login(client: Any, db: None) -> None:
    for url in (reverse(SEARCH), reverse("directory_service_detail", args=[1])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ALLOWED + DENIED)
def test_search_page_by_role(t1: Any, t2: Any, as_user: Any, persona: str) -> None:
    mine = add_service(t1, "North Tutoring")
    theirs = add_service(t2, "South Tutoring")
    client = as_user(t1.users[persona])
    response = client.get(reverse(SEARCH), {"q": "tutoring"})
    detail = client.get(reverse("directory_service_detail", args=[mine.pk]))
    if persona in DENIED:
        assert response.status_code == 403
        assert detail.status_code == 403
        return
    assert response.status_code == 200
    html = response.content.decode()
    assert "North Tutoring" in html and "South Tutoring" not in html
    assert detail.status_code == 200
    assert "North Tutoring" in detail.content.decode()
    # the other tenant's service does not exist for this user
    other = client.get(reverse("directory_service_detail", args=[theirs.pk]))
    assert other.status_code == 404


def test_a_network_the_user_is_not_in_is_a_404(t1: Any, t2: Any, as_user: Any) -> None:
    client = as_user(t1.users["coordinator"])
    assert client.get(reverse(SEARCH), {"network": t2.network.slug}).status_code == 404
    assert client.get(reverse(SEARCH), {"network": t1.network.slug}).status_code == 200


def test_the_form_offers_the_users_schools_and_categories_by_pillar(t1: Any, as_user: Any) -> None:
    taxonomy_ensure_default(network=t1.network)
    response = as_user(t1.users["coordinator"]).get(reverse(SEARCH))
    form = response.context["form"]
    schools = [label for value, label in form.fields["school"].choices if value]
    assert len(schools) == 2 and t1.schools[2].name not in " ".join(schools)
    groups = [label for label, _options in form.fields["category"].choices[1:]]
    assert groups == [
        "Integrated student supports",
        "Expanded and enriched learning",
        "Family and community engagement",
        "Collaborative leadership",
    ]
    html = response.content.decode()
    assert "cleared" not in html.lower()  # no filter the search cannot honour yet
    assert response.context["result"] is None


def test_each_filter_narrows(t1: Any, as_user: Any, school_at: Any) -> None:
    near = add_service(t1, "Near Tutoring", grade_low="KG", grade_high="05")
    location = LocationFactory(
        organization=t1.org_a, latitude=Decimal("40.820000"), longitude=Decimal("-73.917000")
    )
    ServiceAtLocationFactory(service=near, location=location)
    LanguageFactory(service=near, code="es")
    ServiceAreaFactory(service=near, community=t1.communities[0])
    ServiceCapacityFactory(service=near, available=4)
    far = add_service(t1, "Far Mentoring", code="mentoring", grade_low="09", grade_high="12",
                      after_school=False, weekend=True, cost_to_families=Decimal("20"))  # fmt: skip
    far_location = LocationFactory(
        organization=t1.org_a, latitude=Decimal("40.900000"), longitude=Decimal("-73.917000")
    )
    ServiceAtLocationFactory(service=far, location=far_location)
    ServiceAreaFactory(service=far, community=t1.communities[1])
    client = as_user(t1.users["coordinator"])
    mentoring = TaxonomyTerm.objects.get(network=t1.network, code="mentoring").pk

    def names(**params: Any) -> list[str]:
        response = client.get(reverse(SEARCH), params)
        assert response.status_code == 200, response.context["form"].errors
        return [m.service.name for m in response.context["result"].matches]

    assert names(q="") == ["Near Tutoring", "Far Mentoring"]  # places left rank higher
    assert names(q="near") == ["Near Tutoring"]
    assert names(category=mentoring) == ["Far Mentoring"]
    assert names(school=school_at.pk, within="3") == ["Near Tutoring"]
    assert names(school=school_at.pk, serving="on") == ["Near Tutoring"]
    assert names(language="es") == ["Near Tutoring"]
    assert names(grade="10") == ["Far Mentoring"]
    assert names(timing=["weekend", "summer"]) == ["Far Mentoring"]
    assert names(free_for_families="on") == ["Near Tutoring"]
    assert names(has_capacity="on") == ["Near Tutoring"]
    # near the school without a radius: both, nearest first, with its distance
    response = client.get(reverse(SEARCH), {"school": school_at.pk})
    matches = response.context["result"].matches
    assert [m.service.name for m in matches] == ["Near Tutoring", "Far Mentoring"]
    html = response.content.decode()
    assert "0.4 km away" in html and "Serves North CD 1" in html and "4 places left" in html


def test_radius_without_a_school_is_a_clear_error(t1: Any, as_user: Any) -> None:
    add_service(t1, "Tutoring")
    response = as_user(t1.users["coordinator"]).get(reverse(SEARCH), {"within": "3", "q": "tut"})
    assert response.status_code == 400
    assert "Choose a school" in response.content.decode()
    assert response.context["form"]["q"].value() == "tut"  # what was typed is kept
    assert response.context["result"] is None


def test_a_school_the_user_does_not_have_is_refused(t1: Any, as_user: Any) -> None:
    response = as_user(t1.users["coordinator"]).get(reverse(SEARCH), {"school": t1.schools[3].pk})
    assert response.status_code == 400
    assert response.context["form"].errors["school"]


def test_stale_badge_and_paging(t1: Any, as_user: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    old = timezone.now() - dt.timedelta(days=300)
    for n in range(23):
        add_service(t1, f"Tutoring {n:02d}", confirmed_at=old if n == 0 else timezone.now())
    client = as_user(t1.users["network_admin"])
    first = client.get(reverse(SEARCH), {"q": "tutoring"})
    assert first.context["result"].total == 23
    assert len(first.context["result"].matches) == 20
    html = first.content.decode()
    assert "Page 1 of 2" in html and "q=tutoring&amp;page=2" in html
    assert 'class="badge stale"' not in html
    second = client.get(reverse(SEARCH), {"q": "tutoring", "page": "2"})
    # the one not confirmed for ten months ranks last, flagged stale
    assert [m.service.name for m in second.context["result"].matches][-1] == "Tutoring 00"
    assert second.content.decode().count('class="badge stale"') == 1
    beyond = client.get(reverse(SEARCH), {"q": "tutoring", "page": "9"})
    assert beyond.context["page"].number == 2


@pytest.mark.parametrize("count", [2, 25])
def test_query_count_does_not_grow_with_rows(
    t1: Any, as_user: Any, django_assert_max_num_queries: Any, count: int
) -> None:
    for n in range(count):
        service = add_service(t1, f"Tutoring {n}")
        LanguageFactory(service=service, code="es")
        ServiceCapacityFactory(service=service)
    client = as_user(t1.users["coordinator"])
    client.get(reverse(SEARCH))  # session and grants
    with django_assert_max_num_queries(22):
        response = client.get(reverse(SEARCH), {"q": "tutoring", "language": "es"})
    assert response.status_code == 200
    assert response.context["result"].total == count


def test_service_page_shows_everything_hsds_has(
    t1: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    service = add_service(
        t1,
        "After-School Tutoring",
        description="Reading and math help.",
        eligibility_description="Students in grades K–5.",
        application_process="Call us.",
        email="info@example.org",
        url="https://example.org/tutoring",
        grade_low="KG",
        grade_high="05",
    )
    sal = ServiceAtLocationFactory(service=service)
    AddressFactory(location=sal.location, address_1="123 East 149th Street")
    ScheduleFactory(service_at_location=sal, byday="MO,TU,WE,TH,FR")
    PhoneFactory(service=service, number="(718) 555-0100")
    LanguageFactory(service=service, code="es", name="Spanish")
    ServiceAreaFactory(service=service, community=t1.communities[0])
    ServiceCapacityFactory(service=service, available=7, maximum=30, unit="students")
    client = as_user(t1.users["coordinator"])
    with django_assert_max_num_queries(25):
        response = client.get(reverse("directory_service_detail", args=[service.pk]))
    html = response.content.decode()
    for text in ("Reading and math help.", "Students in grades K–5.", "Call us.",
                 "info@example.org", "123 East 149th Street", "Monday to Friday, 15:00–18:00",
                 "(718) 555-0100", "Spanish", "North CD 1", "7 students can still join",
                 "Tutoring", "Verified on"):  # fmt: skip
        assert text in html, text


def test_schedule_in_words() -> None:
    assert schedule_in_words(Schedule(byday="MO,WE,FR")) == "Monday, Wednesday, Friday"
    import datetime as dt

    assert (
        schedule_in_words(Schedule(byday="SA,SU,FR", opens_at=dt.time(10), closes_at=dt.time(14)))
        == "Friday to Sunday, 10:00–14:00"
    )
    assert schedule_in_words(Schedule(description="By appointment")) == "By appointment"
