"""A coalition member posts a shared resource ("30 winter coats") — a mistake first, which the
form reports while keeping what was typed — another member agency's contact responds, and the
first sees the response (and the notification) and marks the post fulfilled. axe-core finds no
serious or critical violation on the coalition page, the board and the post."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.coalitions.models import PostStatus, ResourcePost
from wraparound.coalitions.tests.world import make_world
from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]


def _check(page: Page, problems: PageProblems) -> None:
    assert_no_serious_violations(page)
    assert not problems.errors and not problems.failed, (problems.errors, problems.failed)


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def test_members_share_a_resource_on_the_board(
    page: Page, live_server: LiveServer, page_problems: PageProblems, transactional_db: Any
) -> None:
    world = make_world(make_tenant("North"))
    coalition = world.t.coalition
    base = live_server.url

    sign_in(page, base, world.poster.username, TEST_PASSWORD)
    page.goto(f"{base}/coalitions/{coalition.pk}/")
    expect(page.locator("h1")).to_have_text(coalition.name)
    expect(page.locator("main")).to_contain_text(world.t.org_a.name)
    _check(page, page_problems)

    page.get_by_role("link", name=world.t.org_a.name).first.click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("Pat Poster")
    _check(page, page_problems)
    page.get_by_role("link", name="Record a commitment").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Record a commitment")
    _check(page, page_problems)
    page.goto(f"{base}/coalitions/{coalition.pk}/")

    page.get_by_role("link", name="Accountability measures").first.click()
    page.wait_for_load_state()
    expect(page.locator("#measures-table")).to_contain_text(world.t.org_a.name)
    _check(page, page_problems)

    page.get_by_role("link", name="Shared-resources board").first.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("Shared-resources board")
    _check(page, page_problems)

    form = page.locator("form.card")
    form.get_by_label("Offer").check()
    form.get_by_label("Details").fill("Children's sizes 4-14, new.")
    form.get_by_role("button", name="Post to the board").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("This field is required.")
    expect(form.get_by_label("Details")).to_have_value("Children's sizes 4-14, new.")
    assert not ResourcePost.objects.exists()

    form.get_by_label("Title").fill("30 winter coats")
    form.get_by_role("button", name="Post to the board").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("30 winter coats")
    expect(page.locator("#post-status")).to_have_text("Open")
    _check(page, page_problems)
    post_url = page.url
    _sign_out(page)

    # Another member agency's contact answers.
    sign_in(page, base, world.other.username, TEST_PASSWORD)
    page.goto(f"{base}/coalitions/{coalition.pk}/board/")
    page.get_by_role("link", name="30 winter coats").click()
    page.wait_for_load_state()
    page.get_by_label("Your response").fill("We can place twelve with our families.")
    page.get_by_role("button", name="Send the response").click()
    page.wait_for_load_state()
    expect(page.locator("#responses")).to_contain_text("We can place twelve with our families.")
    expect(page.locator("#responses")).to_contain_text(world.t.org_b.name)
    expect(page.get_by_role("button", name="Mark fulfilled")).to_have_count(0)
    _check(page, page_problems)
    _sign_out(page)

    # The poster sees the notification and the response, and closes the post.
    sign_in(page, base, world.poster.username, TEST_PASSWORD)
    page.goto(f"{base}/notifications/")
    page.get_by_role("button", name="responded to your post").first.click()
    page.wait_for_load_state()
    assert page.url.split("?")[0] == post_url.split("?")[0]
    expect(page.locator("#responses")).to_contain_text("We can place twelve with our families.")
    page.get_by_role("button", name="Mark fulfilled").click()
    page.wait_for_load_state()
    expect(page.locator("#post-status")).to_have_text("Fulfilled")
    expect(page.locator("#responses")).to_contain_text("We can place twelve with our families.")
    expect(page.get_by_label("Your response")).to_have_count(0)
    _check(page, page_problems)
    assert ResourcePost.objects.get().status == PostStatus.FULFILLED


def test_admin_pages_pass_axe(
    page: Page, live_server: LiveServer, page_problems: PageProblems, transactional_db: Any
) -> None:
    """The network admin's forms: the coalition list and form, a member agency with its contact
    form, the measures with the form to enter one."""
    world = make_world(make_tenant("North"))
    coalition = world.t.coalition
    base = live_server.url
    sign_in(page, base, world.t.users["network_admin"].username, TEST_PASSWORD)
    for path in (
        "/coalitions/",
        "/coalitions/new/",
        f"/coalitions/{coalition.pk}/members/{world.member_b.pk}/",
        f"/coalitions/{coalition.pk}/members/new/",
        f"/coalitions/{coalition.pk}/measures/",
    ):
        page.goto(f"{base}{path}")
        expect(page.locator("h1")).to_be_visible()
        _check(page, page_problems)
    # A contact form refused keeps what was typed.
    page.goto(f"{base}/coalitions/{coalition.pk}/members/{world.member_b.pk}/")
    form = page.locator("form.card")
    form.get_by_label("Name", exact=True).fill("Dana Diaz")
    form.locator("#id_email").fill("dana@example.org")
    form.locator("#id_account").fill("nobody-here")
    form.get_by_role("button", name="Add the contact").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("has a role in the network")
    expect(form.get_by_label("Name", exact=True)).to_have_value("Dana Diaz")
    _check(page, page_problems)
