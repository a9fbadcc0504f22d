"""Every demo login that `make demo` prints works in a real browser, sees the navigation of its
role, and every page that navigation opens passes axe-core (no serious or critical violation).

Also: sign-in lockout after repeated failures (django-axes), the sign-in page's accessibility, and
the password-reset request."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.core.roles import Role
from wraparound.demo.logins import DEMO_LOGINS, DEMO_PASSWORD, DemoLogin

from .axe import assert_no_serious_violations, serious_violations_report
from .conftest import PageProblems

pytestmark = [pytest.mark.e2e]

MAIN_NAV = 'nav[aria-label="Main"]'
# Every signed-in user has these.
COMMON = {"Home", "API", "Account"}
# Roles that read MOUs and ask whether a partner's person is cleared for campus.
AGREEMENTS = {"Agreements", "Clearance check"}
# Roles that train and follow up on meetings.
WORK = {"Training", "Action items"}
# The main-navigation links each role must see (exactly), from what the role may open
# (DESIGN.md §1, wraparound/core/navigation.py). Optional links depend only on how wide the
# demo makes a membership (a clinical supervisor may work for a school or the whole network).
EXPECTED_NAV: dict[str, tuple[set[str], set[str]]] = {
    Role.NETWORK_ADMIN: (
        COMMON | AGREEMENTS | WORK | {"Network", "Schools", "Directory", "Review"},
        set(),
    ),
    Role.NETWORK_EVALUATOR: (COMMON | {"Network", "Schools", "Directory"}, set()),
    Role.SCHOOL_COORDINATOR: (
        COMMON | AGREEMENTS | WORK | {"Schools", "Directory", "Caseload", "Conferences"},
        set(),
    ),
    Role.SCHOOL_STAFF: (
        COMMON | AGREEMENTS | WORK | {"Schools", "Directory", "Caseload", "Conferences"},
        set(),
    ),
    # A school's supervisor reads its agreements and checks clearance; a network one does not.
    Role.CLINICAL_SUPERVISOR: (
        COMMON | {"Schools", "Directory", "Conferences"},
        AGREEMENTS | WORK | {"Network", "Caseload"},
    ),
    Role.PRINCIPAL: (COMMON | AGREEMENTS | WORK | {"Schools", "Directory", "Caseload"}, set()),
    Role.PARTNER_ADMIN: (COMMON | AGREEMENTS | WORK | {"Organization", "Referrals"}, set()),
    Role.PARTNER_STAFF: (
        COMMON | AGREEMENTS | WORK | {"Organization", "Referrals", "Conferences"},
        set(),
    ),
    Role.COALITION_MEMBER: (COMMON | {"Coalition", "Action items"}, set()),
}


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def open_main_nav(page: Page) -> list[tuple[str, str]]:
    """Open the main navigation (it may sit behind a "Menu" disclosure) and return the
    (label, href) of each of its links, in order, checking a sighted user can see them."""
    nav = page.locator(MAIN_NAV)
    expect(nav).to_have_count(1)
    links = nav.locator("a")
    if links.count() and not links.first.is_visible():
        page.locator(f"details:has({MAIN_NAV}) > summary").click()
    result = []
    for i in range(links.count()):
        link = links.nth(i)
        expect(link).to_be_visible()
        result.append(
            (" ".join((link.text_content() or "").split()), link.get_attribute("href") or "")
        )
    return result


def test_every_role_is_covered_by_a_demo_login() -> None:
    assert {login.role for login in DEMO_LOGINS} == set(Role.values)
    assert set(EXPECTED_NAV) == set(Role.values)


@pytest.mark.parametrize("login", DEMO_LOGINS, ids=[login.username for login in DEMO_LOGINS])
def test_demo_login_home_navigation_and_accessibility(
    demo: None, live_server: LiveServer, page: Page, page_problems: PageProblems, login: DemoLogin
) -> None:
    base_url = live_server.url

    sign_in(page, base_url, login.username, DEMO_PASSWORD)

    assert path_of(page) == "/", f"{login.username} landed on {page.url}, not the home page"
    expect(page.locator("h2", has_text=login.home_heading).first).to_be_visible()

    links = open_main_nav(page)
    labels = [label for label, _href in links]
    required, optional = EXPECTED_NAV[login.role]
    assert len(labels) == len(set(labels)), f"duplicate links in the main navigation: {labels}"
    assert required <= set(labels) <= required | optional, (
        f"{login.username} ({login.role}) sees {sorted(labels)} in the main navigation; "
        f"expected {sorted(required)}" + (f" and optionally {sorted(optional)}" if optional else "")
    )
    if login.role == Role.NETWORK_ADMIN:
        assert {"Network", "Schools"} <= set(labels)
    if login.role == Role.PARTNER_ADMIN:
        assert "Schools" not in labels

    # Visit every page of the navigation, then report every problem found, not just the first.
    problems: list[str] = []
    for label, href in links:
        where = f"{label} ({href}) as {login.username}"
        if not href.startswith("/"):
            problems.append(f"{where}: the link points off-site")
            continue
        page_problems.clear()
        response = page.goto(f"{base_url}{href}")
        page.wait_for_load_state("networkidle")
        if response is None or response.status != 200:
            problems.append(f"{where}: answered {response.status if response else 'nothing'}")
            continue
        if page_problems.failed:
            problems.append(f"{where}: requests failed: {page_problems.failed}")
        if page_problems.errors:
            problems.append(f"{where}: script errors: {page_problems.errors}")
        report = serious_violations_report(page, where)
        if report:
            problems.append(report)
    assert not problems, "\n\n".join(problems)


def test_login_page_passes_axe(
    live_server: LiveServer, page: Page, page_problems: PageProblems
) -> None:
    base_url = live_server.url
    response = page.goto(f"{base_url}/login/")
    assert response is not None and response.status == 200
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    assert not page_problems.failed, page_problems.failed
    assert_no_serious_violations(page, "the sign-in page")


def test_a_failed_sign_in_keeps_the_username_and_says_why(
    demo: None, live_server: LiveServer, page: Page
) -> None:
    base_url = live_server.url
    username = DEMO_LOGINS[0].username

    sign_in(page, base_url, username, "not-the-password")

    assert path_of(page) == "/login/"
    expect(page.locator("#id_username")).to_have_value(username)
    expect(page.get_by_role("alert")).to_be_visible()
    assert_no_serious_violations(page, "the sign-in page with an error")


def test_five_failures_lock_the_account_out(
    demo: None, live_server: LiveServer, page: Page
) -> None:
    base_url = live_server.url
    username = DEMO_LOGINS[0].username
    assert settings.AXES_FAILURE_LIMIT == 5

    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(page, base_url, username, "wrong-password-123")
        assert path_of(page) != "/", "a wrong password signed in"

    sign_in(page, base_url, username, DEMO_PASSWORD)

    assert path_of(page) != "/", "the right password still signed in after five failures"
    expect(page.locator("main")).to_contain_text(re.compile("locked", re.IGNORECASE))
    assert_no_serious_violations(page, "the lockout page")


def test_password_reset_sends_a_link(demo: None, live_server: LiveServer, page: Page) -> None:
    base_url = live_server.url
    user = get_user_model().objects.get(username=DEMO_LOGINS[0].username)
    assert user.email, "demo logins have an e-mail address"
    mail.outbox.clear()

    page.goto(f"{base_url}/login/")
    page.get_by_role("link", name=re.compile("forgot", re.IGNORECASE)).click()
    page.wait_for_load_state()
    assert path_of(page) == "/password-reset/"
    assert_no_serious_violations(page, "the password-reset page")
    page.fill("#id_email", user.email)
    page.get_by_role("button").filter(has_text=re.compile("send", re.IGNORECASE)).click()
    page.wait_for_load_state()

    assert path_of(page) == "/password-reset/sent/"
    expect(page.locator("h1")).to_contain_text(re.compile("e-?mail", re.IGNORECASE))
    assert_no_serious_violations(page, "the password-reset sent page")
    # Tasks run inline in tests (the repository conftest), here in the live server's thread.
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert f"{base_url}/password-reset/" in mail.outbox[0].body
