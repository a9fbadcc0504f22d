"""A network admin sets how many business days partners have to answer a referral, adds a
year's public holidays and a snow day (a first try without a name is refused and keeps the
date), removes one; a coordinator then moves a leadership-team meeting to another day. axe-core
finds no serious or critical violation on the settings page (with and without errors), the
meeting's change form and its page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.core.models import Network, NetworkHoliday
from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant
from wraparound.meetings.models import Meeting, MeetingStatus

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]


def _check(page: Page, problems: PageProblems, where: str) -> None:
    assert_no_serious_violations(page, where)
    assert not problems.errors and not problems.failed, (problems.errors, problems.failed)


def test_admin_keeps_holidays_and_a_coordinator_moves_a_meeting(
    page: Page, live_server: LiveServer, page_problems: PageProblems, transactional_db: Any
) -> None:
    tenant = make_tenant("North")
    network = tenant.network
    year = network.today().year
    base = live_server.url

    sign_in(page, base, tenant.users["network_admin"].username, TEST_PASSWORD)
    page.goto(f"{base}/networks/{network.slug}/")
    page.get_by_role("link", name="Referral settings").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Referral settings")
    expect(page.locator("main")).to_contain_text("No holidays yet")
    _check(page, page_problems, "referral settings")

    days = page.get_by_label("Partners answer a referral within this many business days")
    days.fill("5")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Referral settings saved.")
    assert Network.objects.get(pk=network.pk).referral_response_days == 5

    public = page.locator(
        "form", has=page.get_by_role("heading", name="Add a year's public holidays")
    )
    public.get_by_label("Country").select_option("US")
    public.get_by_label("Year").fill(str(year))
    public.get_by_role("button", name="Add them").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("public holidays added")
    table = page.get_by_role("table", name="Holidays from this year on")
    expect(table).to_contain_text("Independence Day")

    one = page.locator("form", has=page.get_by_role("heading", name="Add a holiday"))
    snow = dt.date(year, 2, 3)  # listed: the page shows the holidays from 1 January on
    one.get_by_label("Date").fill(snow.isoformat())
    one.get_by_role("button", name="Add").click()
    page.wait_for_load_state()
    expect(page.locator(".error-summary")).to_contain_text("The holiday was not added")
    one = page.locator("form", has=page.get_by_role("heading", name="Add a holiday"))
    expect(one.get_by_label("Date")).to_have_value(snow.isoformat())
    _check(page, page_problems, "referral settings with an error")
    one.get_by_label("Name").fill("Snow day")
    one.get_by_role("button", name="Add").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Snow day")
    assert NetworkHoliday.objects.filter(network=network, name="Snow day", date=snow).exists()

    page.get_by_role("button", name=f"Remove Snow day ({snow:%Y-%m-%d})").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Holiday removed.")
    assert not NetworkHoliday.objects.filter(network=network, name="Snow day").exists()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    school = tenant.schools[0]
    starts = dt.datetime.combine(
        network.today() + dt.timedelta(days=7), dt.time(15, 30), tzinfo=network.tzinfo
    )
    meeting = Meeting.objects.create(
        network=network,
        school=school,
        title="Leadership team",
        starts_at=starts,
        status=MeetingStatus.SCHEDULED,
    )
    sign_in(page, base, tenant.users["coordinator"].username, TEST_PASSWORD)
    page.goto(f"{base}/meetings/{meeting.pk}/")
    page.get_by_role("link", name="Change the time, place or agenda").click()
    page.wait_for_load_state()
    _check(page, page_problems, "meeting change form")
    new_day = starts.date() + dt.timedelta(days=1)
    page.get_by_label("Day").fill(new_day.isoformat())
    page.get_by_label("Place").fill("Room 204")
    page.get_by_role("button", name="Save the changes").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Meeting changed.")
    expect(page.locator("main")).to_contain_text(f"{new_day:%Y-%m-%d} 15:30")
    expect(page.locator("main")).to_contain_text("Room 204")
    _check(page, page_problems, "the moved meeting")
