"""Browser tests: pytest-django's live server, Playwright's sync API, Debian's Chromium.

The browser is /usr/bin/chromium (`make chromium` installs it); Playwright never downloads one.
Pages may only load from the live server: any other request is aborted, so the tests never
depend on the network and a page that needs a CDN shows up as broken here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, Request, Response, Route, sync_playwright
from pytest_django.live_server_helper import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    e2e_dir = Path(__file__).resolve().parent
    for item in items:
        if item.path.is_relative_to(e2e_dir) and item.get_closest_marker("e2e") is None:
            raise pytest.UsageError(f"{item.nodeid}: browser tests must be marked e2e (pytestmark)")


@pytest.fixture(scope="module", autouse=True)
def allow_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an asyncio loop in this thread; Django would refuse the ORM calls
    of fixtures and assertions as "async unsafe". Allowed only while browser tests run: set for
    the whole session, the variable would leak into subprocesses of other tests (`check --deploy`
    reports it as async.E001)."""
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


# Module scope: Playwright's loop stops when a module's browser tests are done, so tests collected
# after them (other directories) run without an event loop in the main thread.
@pytest.fixture(scope="module")
def browser(allow_orm_beside_playwright: None) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class PageProblems:
    """What went wrong while the page loaded: script errors and failed same-origin requests."""

    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.errors.clear()
        self.failed.clear()


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, page_problems: PageProblems) -> Iterator[Page]:
    origin = live_server.url

    def only_live_server(route: Route) -> None:
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            route.abort()

    def on_response(response: Response) -> None:
        # A form refused by an htmx request answers 400 with the form and its errors, which
        # the page shows: that is the form working, not a failed request.
        form_refused = response.status == 400 and "hx-request" in response.request.headers
        if (
            response.url.startswith(origin)
            and response.status >= 400
            and (response.request.resource_type != "document")
            and not form_refused
        ):
            page_problems.failed.append(f"{response.status} {response.url}")

    def on_request_failed(request: Request) -> None:
        page_problems.failed.append(f"{request.failure} {request.url}")

    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", only_live_server)
    page = context.new_page()
    page.on("pageerror", lambda exc: page_problems.errors.append(str(exc)))
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def demo(transactional_db: None) -> None:
    """The small demo network of `make demo`, with the logins of wraparound.demo.logins."""
    call_command("seed_demo", profile="small", seed=1, verbosity=0)
