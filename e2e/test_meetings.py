"""A coordinator schedules and records a leadership-team meeting — who came (staff ticked, a
parent typed in), minutes, decisions and two action items, one owned by the principal; a first
try with a half-filled action item is refused and keeps what was typed. The principal signs in,
sees the item on their home page, marks it done, and it leaves the home page. axe-core finds no
serious or critical violation on the meeting list, the forms, the meeting page, the home page and
the action item lists."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant
from wraparound.meetings.models import ActionItem, ActionItemStatus, Meeting

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]


def _check(page: Page, problems: PageProblems, where: str) -> None:
    assert_no_serious_violations(page, where)
    assert not problems.errors and not problems.failed, (problems.errors, problems.failed)


def test_coordinator_records_a_meeting_and_the_owner_closes_an_item(
    page: Page, live_server: LiveServer, page_problems: PageProblems, transactional_db: Any
) -> None:
    tenant = make_tenant("North")
    school = tenant.schools[0]
    principal = tenant.users["principal"]
    principal.first_name, principal.last_name = "Paula", "Ngata"
    principal.save()
    coordinator = tenant.users["coordinator"]
    coordinator.first_name, coordinator.last_name = "Carmen", "Diaz"
    coordinator.save()
    yesterday = tenant.network.today() - dt.timedelta(days=1)
    due = tenant.network.today() + dt.timedelta(days=14)
    base = live_server.url

    sign_in(page, base, coordinator.username, TEST_PASSWORD)
    page.goto(f"{base}/schools/{school.pk}/meetings/")
    expect(page.locator("h1")).to_have_text("Leadership team meetings")
    _check(page, page_problems, "meetings list")
    page.get_by_role("link", name="Schedule a meeting").click()
    page.wait_for_load_state()
    form = page.locator("form.card")
    form.get_by_label("Title").fill("Leadership team, December")
    form.get_by_label("Day").fill(f"{yesterday:%Y-%m-%d}")
    form.get_by_label("Starts at").fill("15:30")
    form.get_by_label("Place").fill("Library")
    _check(page, page_problems, "schedule form")
    form.get_by_role("button", name="Schedule the meeting").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Leadership team, December")
    meeting = Meeting.objects.get()

    page.get_by_role("link", name="Record this meeting").click()
    page.wait_for_load_state()
    page.get_by_role("textbox", name="Agenda").fill("1. Attendance\n2. Family night")
    page.get_by_label("Paula Ngata").check()
    page.get_by_label("Carmen Diaz").check()
    page.get_by_label("Name, attendee 1").fill("Rosa Alvarez")
    page.get_by_label("Came as, attendee 1").select_option("family")
    page.get_by_label("From, attendee 1").fill("PTA president")
    page.get_by_role("textbox", name="Minutes").fill("Chronic absence is down in grade 3.")
    page.get_by_role("textbox", name="Decisions").fill(
        "Hold a family night in January\nStart a walking bus"
    )
    page.get_by_label("Action, action item 1").fill("Book the gym for family night")
    page.get_by_label("Owner, action item 1").select_option(label="Paula Ngata")
    page.get_by_label("Due on, action item 1").fill(f"{due:%Y-%m-%d}")
    page.get_by_label("Action, action item 2").fill("Map the walking bus routes")
    page.get_by_role("button", name="Save the record").click()
    page.wait_for_load_state()
    expect(page.locator(".error-summary")).to_contain_text("nothing was saved")
    expect(page.locator("main")).to_contain_text("Choose who owns this action item.")
    expect(page.get_by_label("Name, attendee 1")).to_have_value("Rosa Alvarez")
    expect(page.get_by_label("Action, action item 1")).to_have_value(
        "Book the gym for family night"
    )
    assert not ActionItem.objects.exists()
    _check(page, page_problems, "record form with errors")

    page.get_by_label("Owner, action item 2").select_option(label="Carmen Diaz")
    page.get_by_label("Due on, action item 2").fill(f"{due:%Y-%m-%d}")
    page.get_by_role("button", name="Save the record").click()
    page.wait_for_load_state()
    expect(page.locator("#meeting-status")).to_have_text("Held")
    main = page.locator("main")
    expect(main).to_contain_text("Rosa Alvarez")
    expect(main).to_contain_text("Start a walking bus")
    expect(main).to_contain_text("Book the gym for family night")
    assert meeting.action_items.count() == 2
    _check(page, page_problems, "meeting page")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    sign_in(page, base, principal.username, TEST_PASSWORD)
    page.goto(f"{base}/")
    card = page.locator("section", has=page.get_by_role("heading", name="Your action items"))
    expect(card).to_contain_text("Book the gym for family night")
    expect(card).not_to_contain_text("Map the walking bus routes")
    _check(page, page_problems, "home with an action item")
    card.get_by_role(
        "button", name=re.compile(r"Mark done\W+Book the gym for family night")
    ).click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("is now done")
    expect(page.get_by_role("heading", name="Your action items")).to_have_count(0)
    item = ActionItem.objects.get(owner=principal)
    assert item.status == ActionItemStatus.DONE and item.done_by == principal
    _check(page, page_problems, "home after marking done")

    page.goto(f"{base}/action-items/?show=done")
    expect(page.locator("main")).to_contain_text("Book the gym for family night")
    _check(page, page_problems, "my action items")
    page.goto(f"{base}/schools/{school.pk}/meetings/action-items/?show=open")
    expect(page.locator("main")).to_contain_text("Map the walking bus routes")
    _check(page, page_problems, "the school's action items")
