"""A family, with no login, searches the network's public page in Spanish and finds a service.

On a desktop window and on a phone-sized one (390×844): the page, the results and the service's
page pass axe-core (no serious or critical violation) in English and in Spanish."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.directory.tests.test_views_public import FamilyDirectory, make_family_directory

from .axe import serious_violations_report
from .conftest import PageProblems

pytestmark = [pytest.mark.e2e]

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
MIN_TAP_PX = 44  # WCAG 2.5.5 target size; the page aims at 48


@pytest.fixture
def family(transactional_db: None) -> FamilyDirectory:
    return make_family_directory()


def check_page(page: Page, problems: list[str], page_problems: PageProblems, where: str) -> None:
    """Collect (rather than stop at) what is wrong with the page as it is now."""
    page.wait_for_load_state("networkidle")
    if page_problems.failed:
        problems.append(f"{where}: requests failed: {page_problems.failed}")
    if page_problems.errors:
        problems.append(f"{where}: script errors: {page_problems.errors}")
    page_problems.clear()
    report = serious_violations_report(page, where)
    if report:
        problems.append(report)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 1:
        problems.append(f"{where}: the page scrolls sideways by {overflow}px")


def tap_height(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return float(box["height"])


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_family_searches_in_spanish_and_finds_a_service(
    family: FamilyDirectory,
    live_server: LiveServer,
    page: Page,
    page_problems: PageProblems,
    viewport: ViewportSize,
) -> None:
    problems: list[str] = []
    page.set_viewport_size(viewport)
    size = f"{viewport['width']}×{viewport['height']}"

    # The network's page, in English first (the browser asks for en-US), with no login.
    response = page.goto(f"{live_server.url}/find/{family.network.slug}/")
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find help for your family")
    expect(page.get_by_role("link", name=re.compile("sign in", re.I))).to_have_count(0)
    check_page(page, problems, page_problems, f"the family page in English at {size}")

    # The language switch is visible and keeps the page.
    switch = page.get_by_role("button", name="Español")
    expect(switch).to_be_visible()
    switch.click()
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/find/{family.network.slug}/"
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Encuentre ayuda para su familia")
    check_page(page, problems, page_problems, f"the family page in Spanish at {size}")

    # A need (a big button, in Spanish) and their school.
    need = page.get_by_label("Tutoría")
    expect(need).to_be_visible()
    need.check()
    if viewport == PHONE:
        assert tap_height(page, ".tile:has-text('Tutoría')") >= MIN_TAP_PX
    page.get_by_label("Su escuela").select_option(label="P.S. 157 Grove Hill")
    page.get_by_role("button", name="Buscar ayuda").click()
    page.wait_for_load_state()

    expect(page.get_by_role("heading", name="2 servicios encontrados")).to_be_visible()
    card = page.locator("article.service-card").first
    expect(card.get_by_role("heading", level=3)).to_have_text("Homework Help Club")
    phone = card.get_by_role("link", name="(718) 555-0142")
    expect(phone).to_have_attribute("href", "tel:7185550142")
    expect(card).to_contain_text("Lunes, miércoles y viernes, 3:00–6:00 p.m.")
    expect(card).to_contain_text("Gratis")
    expect(card).to_contain_text("Español")
    expect(card).to_contain_text("A 0.2 millas")
    for hidden in ("Unvetted Tutoring", "Suspended Tutoring", "Closed Tutoring"):
        expect(page.get_by_text(hidden)).to_have_count(0)
    # What the family chose is still chosen.
    expect(page.get_by_label("Tutoría")).to_be_checked()
    expect(page.get_by_label("Su escuela")).to_have_value(str(family.school.pk))
    if viewport == PHONE:
        assert tap_height(page, "article.service-card a.phone") >= MIN_TAP_PX
    check_page(page, problems, page_problems, f"the results in Spanish at {size}")

    # The service's own page, with how to get help.
    card.get_by_role("link", name="Homework Help Club", exact=True).click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Homework Help Club")
    expect(page.get_by_role("heading", name="Cómo obtener ayuda")).to_be_visible()
    expect(page.get_by_role("link", name="Llamar (718) 555-0142")).to_have_attribute(
        "href", "tel:7185550142"
    )
    expect(page.locator("main")).to_contain_text("Call us or come by with your child.")
    expect(page.locator("main")).to_contain_text("Lunes, miércoles y viernes, 3:00–6:00 p.m.")
    expect(page.locator("main")).not_to_contain_text("pat.private@example.org")
    check_page(page, problems, page_problems, f"the service page in Spanish at {size}")

    # Back in English on the same page.
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="How to get help")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Monday, Wednesday and Friday, 3:00–6:00 p.m.")
    check_page(page, problems, page_problems, f"the service page in English at {size}")

    # And back to the list the family came from.
    page.get_by_role("link", name="Back to the list").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="2 services found")).to_be_visible()
    check_page(page, problems, page_problems, f"the results in English at {size}")

    assert not problems, "\n\n".join(problems)


def test_a_place_the_page_cannot_find_is_explained_accessibly(
    family: FamilyDirectory, live_server: LiveServer, page: Page, page_problems: PageProblems
) -> None:
    problems: list[str] = []
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/find/{family.network.slug}/")

    page.get_by_label("Or your ZIP code").fill("221B Baker Street")
    page.get_by_role("button", name="Find help").click()
    page.wait_for_load_state()

    expect(page.get_by_role("alert")).to_contain_text("We could not find “221B Baker Street”")
    expect(page.get_by_label("Or your ZIP code")).to_have_value("221B Baker Street")
    check_page(page, problems, page_problems, "the family page with an error")
    assert not problems, "\n\n".join(problems)


def test_an_unknown_network_is_a_plain_not_found_page(
    transactional_db: None, live_server: LiveServer, page: Page, page_problems: PageProblems
) -> None:
    problems: list[str] = []
    response = page.goto(f"{live_server.url}/find/nowhere/")

    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    check_page(page, problems, page_problems, "the public not-found page")
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("No se encontró la página")
    check_page(page, problems, page_problems, "the public not-found page in Spanish")
    assert not problems, "\n\n".join(problems)
