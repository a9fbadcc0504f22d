"""The public family page: no login, English and Spanish, only what a family may see."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from wraparound.core.models import Network, School, VettingStatus
from wraparound.core.tests.factories import CommunityFactory, NetworkFactory, SchoolFactory
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.models import (
    Contact,
    Schedule,
    Service,
    ServiceStatus,
    TaxonomyTerm,
)
from wraparound.directory.search import service_search_text_refresh
from wraparound.directory.taxonomy import taxonomy_ensure_default
from wraparound.directory.tests.factories import (
    AddressFactory,
    LanguageFactory,
    LocationFactory,
    PhoneFactory,
    ScheduleFactory,
    ServiceAtLocationFactory,
    ServiceCapacityFactory,
    ServiceCategoryFactory,
    ServiceFactory,
    VettedOrganizationFactory,
)
from wraparound.directory.views.public import (
    PAGE_SIZE,
    cost_text,
    days_text,
    hours_text,
    language_name,
    locate,
    schedule_text,
)

SCHOOL_POINT = (Decimal("40.816000"), Decimal("-73.917000"))


@dataclass
class FamilyDirectory:
    network: Network
    school: School
    tutoring: TaxonomyTerm
    food: TaxonomyTerm
    service: Service  # vetted, active, near the school, Spanish spoken, free, MO/WE/FR 3-6 pm
    far: Service  # the same need, across town
    unvetted: Service
    suspended: Service
    inactive: Service


def add_service(
    network: Network,
    name: str,
    term: TaxonomyTerm,
    *,
    point: tuple[Decimal, Decimal],
    vetting: str = VettingStatus.VETTED,
    status: str = ServiceStatus.ACTIVE,
    phone: str = "",
    organization: Any = None,
    **fields: Any,
) -> Service:
    """A service at one place with a weekly schedule: what a family page result needs."""
    organization = organization or VettedOrganizationFactory.create(
        network=network, name=f"{name} Inc.", vetting_status=vetting
    )
    service = ServiceFactory.create(organization=organization, name=name, status=status, **fields)
    ServiceCategoryFactory.create(service=service, taxonomy_term=term)
    location = LocationFactory.create(
        organization=organization, name=f"{name} site", latitude=point[0], longitude=point[1]
    )
    AddressFactory.create(location=location, address_1="123 East 149th Street", postal_code="10451")
    at = ServiceAtLocationFactory.create(service=service, location=location)
    ScheduleFactory.create(service_at_location=at)
    if phone:
        PhoneFactory.create(service=service, number=phone)
    return service


def make_family_directory(network: Network | None = None) -> FamilyDirectory:
    """One network's directory as a family sees it, and what they must never see."""
    if network is None:
        network = NetworkFactory.create(name="Bronx Community Schools", slug="bronx")
    taxonomy_ensure_default(network=network)
    tutoring = TaxonomyTerm.objects.get(network=network, code="tutoring")
    food = TaxonomyTerm.objects.get(network=network, code="food")
    community = CommunityFactory.create(network=network, name="Mott Haven", borough="Bronx")
    school = SchoolFactory.create(
        community=community,
        code="07X157",
        name="P.S. 157 Grove Hill",
        postal_code="10455",
        latitude=SCHOOL_POINT[0],
        longitude=SCHOOL_POINT[1],
    )
    near = (Decimal("40.818000"), Decimal("-73.915000"))
    service = add_service(
        network,
        "Homework Help Club",
        tutoring,
        point=near,
        phone="(718) 555-0142",
        description="Free homework help with caring tutors after school.",
        application_process="Call us or come by with your child.",
        eligibility_description="Students in grades K to 8 and their families.",
    )
    LanguageFactory.create(service=service, name="Spanish", code="es")
    # Contacts are people: never on the public page.
    Contact.objects.create(
        network=network, service=service, name="Pat Private", email="pat.private@example.org"
    )
    far = add_service(
        network,
        "Uptown Tutoring",
        tutoring,
        point=(Decimal("40.880000"), Decimal("-73.850000")),
        phone="718-555-0199",
    )
    unvetted = add_service(
        network, "Unvetted Tutoring", tutoring, point=near, vetting=VettingStatus.UNVETTED
    )
    suspended = add_service(
        network, "Suspended Tutoring", tutoring, point=near, vetting=VettingStatus.SUSPENDED
    )
    inactive = add_service(
        network,
        "Closed Tutoring",
        tutoring,
        point=near,
        status=ServiceStatus.INACTIVE,
        organization=service.organization,
    )
    add_service(network, "Family Food Pantry", food, point=near, phone="718-555-0150")
    service_search_text_refresh(service_ids=Service.objects.values_list("id", flat=True))
    return FamilyDirectory(
        network, school, tutoring, food, service, far, unvetted, suspended, inactive
    )


@pytest.fixture
def family(db: None) -> FamilyDirectory:
    return make_family_directory()


def find_url(network: Network) -> str:
    return reverse("public_find", kwargs={"network_slug": network.slug})


def service_url(service: Service) -> str:
    return reverse(
        "public_service",
        kwargs={"network_slug": service.network.slug, "hsds_id": service.hsds_id},
    )


def text_of(response: Any) -> str:
    """The page's words, tags removed and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def result_names(response: Any) -> list[str]:
    return [info.name for info in response.context["results"]]


# --- the page, logged out ----------------------------------------------------------------------


def test_the_page_opens_without_login_in_english(client: Client, family: FamilyDirectory) -> None:
    response = client.get(find_url(family.network))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Find help for your family" in html
    assert "Tutoring" in html and "Food and nutrition" in html  # need buttons
    assert "P.S. 157 Grove Hill" in html  # the school list
    # A language switch that posts to Django's set_language and comes back to this page.
    assert f'action="{reverse("set_language")}"' in html
    assert 'name="next" type="hidden" value="/find/bronx/"' in html
    assert 'value="es" lang="es">Español</button>' in html
    # No sign-in prompt, no staff navigation.
    assert "/login/" not in html and "Sign in" not in html
    assert 'aria-label="Main"' not in html
    assert response.context["results"] == []


def test_pillars_are_not_needs_and_empty_categories_are_not_offered(
    client: Client, family: FamilyDirectory
) -> None:
    response = client.get(find_url(family.network))

    labels = [label for _id, label in response.context["top_needs"]]
    labels += [label for _id, label in response.context["more_needs"]]
    assert labels == ["Tutoring", "Food and nutrition"]  # most services first


def test_the_page_is_in_spanish_for_a_spanish_browser(
    client: Client, family: FamilyDirectory
) -> None:
    response = client.get(find_url(family.network), HTTP_ACCEPT_LANGUAGE="es")

    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "Encuentre ayuda para su familia" in html
    assert "Tutoría" in html and "Alimentos y nutrición" in html
    assert 'value="en" lang="en">English</button>' in html
    assert response["Content-Language"] == "es"


def test_the_language_cookie_chooses_spanish(client: Client, family: FamilyDirectory) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    response = client.get(find_url(family.network))

    assert '<html lang="es">' in response.content.decode()


def test_the_language_switch_keeps_the_search(client: Client, family: FamilyDirectory) -> None:
    page = f"{find_url(family.network)}?need={family.tutoring.pk}&school={family.school.pk}"

    response = client.post(reverse("set_language"), {"language": "es", "next": page})

    assert response.status_code == 302 and response["Location"] == page
    response = client.get(page)
    assert '<html lang="es">' in response.content.decode()
    assert result_names(response)[0] == "Homework Help Club"


def test_cache_headers_let_a_browser_keep_the_page_but_not_a_shared_cache(
    client: Client, family: FamilyDirectory
) -> None:
    response = client.get(find_url(family.network))

    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "max-age=300"} <= cache_control
    vary = {part.strip().lower() for part in response["Vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary


def test_search_engines_index_the_page_but_not_searches(
    client: Client, family: FamilyDirectory
) -> None:
    landing = client.get(find_url(family.network)).content.decode()
    searched = client.get(find_url(family.network), {"need": family.tutoring.pk}).content.decode()

    assert '<link rel="canonical" href="http://testserver/find/bronx/">' in landing
    assert 'name="robots"' not in landing
    assert '<meta name="robots" content="noindex, follow">' in searched


def test_another_networks_slug_is_a_page_not_found_for_families(client: Client, db: None) -> None:
    response = client.get("/find/no-such-network/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "/login/" not in html


@pytest.mark.parametrize("persona", PERSONAS)
def test_signed_in_users_of_every_role_see_the_same_public_page(
    as_user: Any, t1: Any, persona: str
) -> None:
    family = make_family_directory(t1.network)
    client = as_user(t1.users[persona])

    response = client.get(find_url(family.network), {"need": family.tutoring.pk})

    assert response.status_code == 200
    assert result_names(response) == ["Homework Help Club", "Uptown Tutoring"]
    html = response.content.decode()
    assert "Sign out" not in html and t1.users[persona].username not in html


# --- finding services --------------------------------------------------------------------------


def test_a_need_and_a_school_find_the_nearest_service_with_how_to_get_help(
    client: Client, family: FamilyDirectory
) -> None:
    response = client.get(
        find_url(family.network), {"need": family.tutoring.pk, "school": family.school.pk}
    )

    assert response.status_code == 200
    assert result_names(response) == ["Homework Help Club", "Uptown Tutoring"]
    html = response.content.decode()
    text = text_of(response)
    assert 'href="tel:7185550142"' in html
    assert "(718) 555-0142" in text
    assert "Monday, Wednesday and Friday, 3:00–6:00 p.m." in text
    assert "123 East 149th Street" in text and "openstreetmap.org" in html
    assert "Spanish" in text
    assert "Free" in text
    assert "Students in grades K to 8" in text
    assert "0.2 miles away" in text
    assert "2 services found" in text and "Tutoring, near P.S. 157 Grove Hill." in text
    # The form keeps what the family chose.
    assert f'value="{family.school.pk}" selected' in html
    assert f'value="{family.tutoring.pk}" checked' in html


def test_the_same_search_in_spanish(client: Client, family: FamilyDirectory) -> None:
    response = client.get(
        find_url(family.network),
        {"need": family.tutoring.pk, "school": family.school.pk},
        HTTP_ACCEPT_LANGUAGE="es",
    )

    text = text_of(response)
    assert "Lunes, miércoles y viernes, 3:00–6:00 p.m." in text
    assert "Gratis" in text
    assert "Español" in text
    assert "2 servicios encontrados" in text
    assert "Tutoría, cerca de P.S. 157 Grove Hill." in text


def test_unvetted_suspended_and_inactive_services_never_appear(
    client: Client, family: FamilyDirectory
) -> None:
    hidden = {"Unvetted Tutoring", "Suspended Tutoring", "Closed Tutoring"}
    searches: list[dict[str, int | str]] = [
        {"need": family.tutoring.pk},
        {"q": "tutoring"},
        {"school": family.school.pk},
        {"place": "10455"},
    ]
    for params in searches:
        response = client.get(find_url(family.network), params)
        names = set(result_names(response))
        assert names and not names & hidden, params
        assert not any(name in response.content.decode() for name in hidden), params
    for service in (family.unvetted, family.suspended, family.inactive):
        assert client.get(service_url(service)).status_code == 404


def test_typing_a_need_in_spanish_finds_it(client: Client, family: FamilyDirectory) -> None:
    response = client.get(find_url(family.network), {"q": "tutoria"}, HTTP_ACCEPT_LANGUAGE="es")

    assert result_names(response) == ["Homework Help Club", "Uptown Tutoring"]
    assert response.context["need"] == family.tutoring
    assert f'value="{family.tutoring.pk}" checked' in response.content.decode()


def test_words_search_the_services(client: Client, family: FamilyDirectory) -> None:
    response = client.get(find_url(family.network), {"q": "homework"})

    assert result_names(response) == ["Homework Help Club"]


def test_a_zip_code_finds_services_near_it(client: Client, family: FamilyDirectory) -> None:
    response = client.get(
        find_url(family.network), {"need": str(family.tutoring.pk), "place": "10455"}
    )

    assert result_names(response) == ["Homework Help Club", "Uptown Tutoring"]
    assert "near 10455" in text_of(response)


def test_a_place_we_cannot_find_says_so_keeps_it_and_still_searches_the_need(
    client: Client, family: FamilyDirectory
) -> None:
    response = client.get(
        find_url(family.network), {"need": str(family.tutoring.pk), "place": "221B Baker Street"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "We could not find “221B Baker Street”" in html
    assert 'value="221B Baker Street"' in html and 'aria-invalid="true"' in html
    assert set(result_names(response)) == {"Homework Help Club", "Uptown Tutoring"}
    assert "near 221B" not in text_of(response)


def test_a_need_of_another_network_is_refused_with_a_clear_error(
    client: Client, family: FamilyDirectory
) -> None:
    other = make_family_directory(NetworkFactory.create(slug="elsewhere"))

    response = client.get(find_url(family.network), {"need": other.tutoring.pk})

    assert response.status_code == 200
    assert response.context["form"].errors["need"]
    assert response.context["results"] == []
    assert 'role="alert"' in response.content.decode()


def test_a_school_of_another_network_is_refused(client: Client, family: FamilyDirectory) -> None:
    other = make_family_directory(NetworkFactory.create(slug="elsewhere"))

    response = client.get(find_url(family.network), {"school": other.school.pk})

    assert response.context["form"].errors["school"]
    assert response.context["results"] == []


def test_results_come_a_page_at_a_time(client: Client, family: FamilyDirectory) -> None:
    for i in range(PAGE_SIZE):
        add_service(
            family.network,
            f"Reading Buddies {i}",
            family.tutoring,
            point=(Decimal("40.830000"), Decimal("-73.900000")),
        )
    service_search_text_refresh(service_ids=Service.objects.values_list("id", flat=True))

    first = client.get(find_url(family.network), {"need": family.tutoring.pk})
    second = client.get(find_url(family.network), {"need": family.tutoring.pk, "page": 2})

    assert first.context["total"] == PAGE_SIZE + 2
    assert len(first.context["results"]) == PAGE_SIZE
    assert len(second.context["results"]) == 2
    assert not set(result_names(first)) & set(result_names(second))
    assert f"need={family.tutoring.pk}&amp;page=2" in first.content.decode()
    assert "Page 2 of 2" in text_of(second)


def test_the_results_page_reads_a_fixed_number_of_queries(
    client: Client, family: FamilyDirectory, django_assert_max_num_queries: Any
) -> None:
    for i in range(PAGE_SIZE):
        service = add_service(
            family.network,
            f"Reading Buddies {i}",
            family.tutoring,
            point=(Decimal("40.830000"), Decimal("-73.900000")),
            phone=f"718-555-01{i:02d}",
        )
        LanguageFactory.create(service=service)
    service_search_text_refresh(service_ids=Service.objects.values_list("id", flat=True))

    with django_assert_max_num_queries(25):
        response = client.get(
            find_url(family.network), {"need": family.tutoring.pk, "school": family.school.pk}
        )
    assert len(response.context["results"]) == PAGE_SIZE


# --- a service's page --------------------------------------------------------------------------


def test_a_service_page_shows_how_to_get_help_and_nothing_private(
    client: Client, family: FamilyDirectory
) -> None:
    ServiceCapacityFactory.create(service=family.service, available=7, maximum=40)
    family.service.organization.tax_id = "13-1234567"
    family.service.organization.save()

    response = client.get(service_url(family.service))

    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(response)
    assert "<h1>Homework Help Club</h1>" in html
    assert 'href="tel:7185550142"' in html
    assert "Call us or come by with your child." in text
    assert "Monday, Wednesday and Friday, 3:00–6:00 p.m." in text
    assert "Has space now" in text
    assert f'<link rel="canonical" href="http://testserver{service_url(family.service)}">' in html
    for private in ("pat.private@example.org", "Pat Private", "13-1234567", "7 places", "40"):
        assert private not in text, private


def test_a_service_page_from_a_search_shows_the_distance_and_links_back(
    client: Client, family: FamilyDirectory
) -> None:
    response = client.get(
        service_url(family.service), {"school": str(family.school.pk), "q": "", "need": "1"}
    )

    text = text_of(response)
    assert "0.2 miles away" in text
    assert f'href="/find/bronx/?need=1&amp;school={family.school.pk}"' in response.content.decode()
    assert '<meta name="robots" content="noindex, follow">' in response.content.decode()


def test_a_service_page_in_spanish(client: Client, family: FamilyDirectory) -> None:
    response = client.get(service_url(family.service), HTTP_ACCEPT_LANGUAGE="es")

    text = text_of(response)
    assert "Cómo obtener ayuda" in text
    assert "Lunes, miércoles y viernes, 3:00–6:00 p.m." in text
    assert "Gratis" in text and "Español" in text


def test_a_service_is_found_only_under_its_own_network(
    client: Client, family: FamilyDirectory
) -> None:
    other = make_family_directory(NetworkFactory.create(slug="elsewhere"))

    url = reverse(
        "public_service",
        kwargs={"network_slug": family.network.slug, "hsds_id": other.service.hsds_id},
    )

    assert client.get(url).status_code == 404
    assert client.get(service_url(other.service)).status_code == 200


def test_an_imported_id_with_odd_characters_has_a_page(
    client: Client, family: FamilyDirectory
) -> None:
    family.service.hsds_id = "org:42/service 7"
    family.service.save()

    response = client.get(service_url(family.service))

    assert response.status_code == 200


def test_a_full_service_says_so_without_numbers(client: Client, family: FamilyDirectory) -> None:
    ServiceCapacityFactory.create(service=family.service, available=0, maximum=25)

    text = text_of(client.get(service_url(family.service)))

    assert "Full right now. Ask about the waiting list." in text
    assert "25" not in text


def test_an_old_capacity_says_nothing(client: Client, family: FamilyDirectory) -> None:
    ServiceCapacityFactory.create(
        service=family.service, available=5, updated=timezone.now() - dt.timedelta(days=400)
    )

    text = text_of(client.get(service_url(family.service)))

    assert "Has space" not in text and "Full" not in text


# --- words: hours, cost, languages ---------------------------------------------------------------


def schedule(**fields: Any) -> Schedule:
    return Schedule(**fields)


@pytest.mark.parametrize(
    ("fields", "english", "spanish"),
    [
        (
            {"byday": "MO,WE,FR", "opens_at": dt.time(15), "closes_at": dt.time(18)},
            "Monday, Wednesday and Friday, 3:00–6:00 p.m.",
            "Lunes, miércoles y viernes, 3:00–6:00 p.m.",
        ),
        (
            {"byday": "MO,TU,WE,TH,FR", "opens_at": dt.time(9, 30), "closes_at": dt.time(13)},
            "Monday to Friday, 9:30 a.m.–1:00 p.m.",
            "De lunes a viernes, 9:30 a.m.–1:00 p.m.",
        ),
        (
            {"byday": "SA", "opens_at": dt.time(10)},
            "Saturday, from 10:00 a.m.",
            "Sábado, desde 10:00 a.m.",
        ),
        (
            {"freq": "MONTHLY", "byday": "1TU", "closes_at": dt.time(20)},
            "First Tuesday of the month, until 8:00 p.m.",
            "Primer martes del mes, hasta 8:00 p.m.",
        ),
        (
            {"freq": "DAILY", "opens_at": dt.time(8), "closes_at": dt.time(11)},
            "Every day, 8:00–11:00 a.m.",
            "Todos los días, 8:00–11:00 a.m.",
        ),
        (
            {"byday": "MO,TU,WE,FR,SA,SU,TH"},
            "Every day",
            "Todos los días",
        ),
        (
            {"description": "By appointment"},
            "By appointment",
            "By appointment",  # the partner's own words, as they wrote them
        ),
    ],
)
def test_schedules_in_plain_words(fields: dict[str, Any], english: str, spanish: str) -> None:
    with translation.override("en"):
        assert schedule_text(schedule(**fields)) == english
    with translation.override("es"):
        assert schedule_text(schedule(**fields)) == spanish


def test_a_schedule_that_has_ended_is_not_shown() -> None:
    today = dt.date(2026, 3, 1)
    past = schedule(byday="MO", opens_at=dt.time(9), valid_to=dt.date(2026, 2, 1))
    current = schedule(byday="MO", opens_at=dt.time(9), valid_to=dt.date(2026, 6, 1))

    assert schedule_text(past, today) == ""
    assert schedule_text(current, today) == "Monday, from 9:00 a.m."


def test_days_split_into_runs() -> None:
    with translation.override("en"):
        assert days_text(schedule(byday="MO,TU,WE,FR")) == "Monday to Wednesday and Friday"
        assert days_text(schedule(byday="TU,TH")) == "Tuesday and Thursday"
        assert days_text(schedule(byday="XX,")) == ""


def test_hours_across_noon_say_both_halves() -> None:
    with translation.override("en"):
        assert hours_text(dt.time(11), dt.time(14, 30)) == "11:00 a.m.–2:30 p.m."
        assert hours_text(None, None) == ""


def test_cost_in_plain_words() -> None:
    with translation.override("en"):
        assert cost_text(Service(cost_to_families=Decimal("0"))) == "Free"
        assert cost_text(Service(cost_to_families=Decimal("25"))) == "$25 for families"
        assert (
            cost_text(Service(cost_to_families=Decimal("12.50"), fees_description="Sliding scale"))
            == "$12.50 for families. Sliding scale"
        )
        assert cost_text(Service(cost_to_families=None)) == "Ask about the cost."
    with translation.override("es"):
        assert cost_text(Service(cost_to_families=Decimal("25"))) == "$25 para las familias"


def test_language_names_follow_the_page() -> None:
    with translation.override("en"):
        assert language_name("es", "Spanish") == "Spanish"
        assert language_name("", "ASL") == "ASL"
        assert language_name("xx-unknown", "Lenape") == "Lenape"
        assert language_name("de", "") == "German"
    with translation.override("es"):
        assert language_name("es", "Spanish") == "Español"
        assert language_name("zh-hans", "") == "Chino simplificado"
        assert language_name("CAB", "Garifuna") == "Garífuna"


# --- where the family is -----------------------------------------------------------------------


def test_locate_a_zip_code_school_code_and_school_name(family: FamilyDirectory) -> None:
    school_point = (float(SCHOOL_POINT[0]), float(SCHOOL_POINT[1]))

    assert locate("07x157", family.network) == school_point
    assert locate("P.S. 157 Grove Hill", family.network) == school_point
    assert locate("grove hill", family.network) == school_point
    assert locate(" 10455 ", family.network) == school_point
    assert locate("10455-1234", family.network) == school_point
    zip_of_locations = locate("10451", family.network)
    assert zip_of_locations is not None and abs(zip_of_locations[0] - 40.82) < 0.07


def test_locate_answers_none_for_what_it_does_not_know(family: FamilyDirectory) -> None:
    assert locate("", family.network) is None
    assert locate("99999", family.network) is None
    assert locate("1600 Pennsylvania Avenue", family.network) is None
    assert locate("ps", family.network) is None  # too short to pick one school


def test_locate_does_not_use_another_networks_places(family: FamilyDirectory) -> None:
    other = NetworkFactory.create()
    SchoolFactory.create(
        community=CommunityFactory.create(network=other),
        code="09X999",
        postal_code="10099",
        latitude=Decimal("40.7"),
        longitude=Decimal("-73.9"),
    )

    assert locate("09X999", family.network) is None
    assert locate("10099", family.network) is None


def fake_geocoder(text: str, network: Network) -> tuple[float, float] | None:
    return (40.81, -73.92) if "149th" in text else None


@override_settings(WRAPAROUND_GEOCODER="wraparound.directory.tests.test_views_public.fake_geocoder")
def test_a_geocoder_plugs_in_for_street_addresses(client: Client, family: FamilyDirectory) -> None:
    assert locate("300 East 149th Street", family.network) == (40.81, -73.92)
    assert locate("07X157", family.network) == (float(SCHOOL_POINT[0]), float(SCHOOL_POINT[1]))

    response = client.get(
        find_url(family.network),
        {"need": str(family.tutoring.pk), "place": "300 East 149th Street"},
    )
    assert not response.context["form"].errors
    assert result_names(response)[0] == "Homework Help Club"
