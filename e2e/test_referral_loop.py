"""The closed referral loop in a browser.

A coordinator refers a student from the student's record (a send that would share more than the
MOU allows is refused, and says what is missing); partner staff accept the referral, start the
service and log a group session, taking attendance on the roster that htmx loads when the service
is chosen; the partner completes the referral and the coordinator sees it completed, with the
timeline of who did what and when. A partner user sees only what the data-sharing agreement
allows, and another organization's staff get a 404 on the referral.

axe-core finds no serious or critical violation on any page on the way."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.agreements.models import PartnershipStatus
from wraparound.agreements.tests.factories import signed_agreement
from wraparound.assessments.tests.factories import PartnershipFactory, SchoolYearFactory
from wraparound.core.tests.factories import TEST_PASSWORD
from wraparound.core.tests.personas import make_tenant
from wraparound.directory.tests.factories import ServiceFactory
from wraparound.referrals import referral_services
from wraparound.referrals.models import Referral, ReferralStatus, ServiceSession
from wraparound.students.tests.factories import StudentFactory

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import MAIN_NAV, sign_in

pytestmark = [pytest.mark.e2e]

SHARED_BY_MOU = ["name", "grade", "school", "notes"]
REASON = "Falling behind in reading since October; the family asked for help after school."
ANA_BIRTH = dt.date(2013, 3, 9)
ANA_EMAIL = "ana.rivera@students.example"


@dataclass
class World:
    tenant: Any
    school: Any
    service: Any
    ana: Any
    ben: Any
    cleo: Any

    @property
    def users(self) -> dict[str, Any]:
        users: dict[str, Any] = self.tenant.users
        return users


def _current_year(network: Any) -> Any:
    today = network.today()
    start = dt.date(today.year if today.month >= 7 else today.year - 1, 7, 1)
    return SchoolYearFactory(
        network=network,
        end_year=start.year + 1,
        start_date=start,
        end_date=dt.date(start.year + 1, 6, 30),
        is_current=True,
    )


def _world() -> World:
    """Org A's "Homework Club" at school 0, under a signed MOU in force whose data-sharing
    agreement lets partner staff see name, grade, school and referral notes only."""
    tenant = make_tenant("North")
    school = tenant.schools[0]
    service = ServiceFactory(organization=tenant.org_a, name="Homework Club")
    partnership = PartnershipFactory(
        school=school,
        service=service,
        school_year=_current_year(tenant.network),
        status=PartnershipStatus.ACTIVE,
    )
    agreement = signed_agreement(partnership=partnership)
    sharing: Any = agreement.signed_version.data_sharing  # type: ignore[union-attr]
    sharing.data_elements = SHARED_BY_MOU
    sharing.partner_roles = ["partner_staff"]
    sharing.save(update_fields=["data_elements", "partner_roles"])
    for persona, full in (("coordinator", "Cora Lindqvist"), ("partner_staff_a", "Pat Okoye")):
        user = tenant.users[persona]
        user.first_name, user.last_name = full.split()
        user.save(update_fields=["first_name", "last_name"])
    ana = StudentFactory(
        school=school,
        given_name="Ana",
        family_name="Rivera",
        grade="07",
        birth_date=ANA_BIRTH,
        email=ANA_EMAIL,
    )
    ben = StudentFactory(
        school=school,
        given_name="Ben",
        family_name="Okafor",
        grade="07",
        birth_date=dt.date(2013, 11, 2),
    )
    cleo = StudentFactory(
        school=school,
        given_name="Cleo",
        family_name="Park",
        grade="06",
        birth_date=dt.date(2014, 1, 20),
    )
    return World(tenant, school, service, ana, ben, cleo)


def _refer(world: World, student: Any, *, accept: bool = False) -> Referral:
    """A referral made and answered through the services (what the browser does elsewhere)."""
    referral = referral_services.referral_create(
        user=world.users["coordinator"],
        school=world.school,
        student=student,
        service=world.service,
        reason="Needs homework support.",
        send=True,
    )
    if accept:
        referral = referral_services.referral_accept(
            user=world.users["partner_staff_a"],
            referral=referral,
            expected_version=referral.version,
        )
    return referral


def _check(page: Page, problems: PageProblems) -> None:
    assert_no_serious_violations(page)
    assert not problems.errors and not problems.failed, (problems.errors, problems.failed)


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def _follow(page: Page, name: str | re.Pattern[str], *, exact: bool = True) -> None:
    page.locator("main").get_by_role("link", name=name, exact=exact).first.click()
    page.wait_for_load_state()


def _nav(page: Page, name: str) -> None:
    """Follow a link of the main navigation (behind the "Menu" disclosure on narrow screens)."""
    link = page.locator(MAIN_NAV).get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        page.locator(f"details:has({MAIN_NAV}) > summary").click()
    link.click()
    page.wait_for_load_state()


def _act(page: Page, status_label: str) -> None:
    """Press one of the referral page's "Next steps" buttons."""
    page.get_by_role("button", name=f"Mark as {status_label}", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text(f"The referral is now {status_label}.")


def _status(page: Page) -> Any:
    return page.locator("dl.facts dt:text-is('Status') + dd")


def test_refer_serve_and_close_the_loop(
    page: Page, live_server: LiveServer, page_problems: PageProblems, transactional_db: Any
) -> None:
    world = _world()
    users, school, service, ana, ben = (
        world.users,
        world.school,
        world.service,
        world.ana,
        world.ben,
    )
    base = live_server.url
    started = timezone.now().replace(microsecond=0)
    # A second referral, already accepted, shares the group session with Ana.
    _refer(world, ben, accept=True)

    # 1. The coordinator refers Ana from her record.
    sign_in(page, base, users["coordinator"].username, TEST_PASSWORD)
    page.goto(f"{base}/schools/{school.pk}/")
    _check(page, page_problems)
    _follow(page, "Students")
    expect(page.get_by_role("heading", level=1)).to_have_text("Students")
    _check(page, page_problems)
    _follow(page, "Rivera, Ana")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ana Rivera")
    _check(page, page_problems)
    _follow(page, "Refer this student")
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a referral")
    _check(page, page_problems)
    expect(page.get_by_role("radio", name=re.compile("^Ana Rivera"))).to_be_checked()
    page.get_by_label("Service", exact=True).select_option(str(service.pk))
    page.get_by_label("Reason for the referral").fill(REASON)
    # The form ticks what an MOU usually allows; each is covered here.
    for label in ("name", "grade level", "school", "referral notes"):
        expect(page.get_by_label(label, exact=True)).to_be_checked()
    expect(page.get_by_label("date of birth", exact=True)).not_to_be_checked()

    # Sharing the date of birth is refused: the MOU does not allow it, and the page says so.
    page.get_by_label("date of birth", exact=True).check()
    page.get_by_role("button", name="Send to the partner").click()
    page.wait_for_load_state()
    error = page.locator("#id_shared_elements_error")
    expect(error).to_contain_text(f"{world.tenant.org_a.name} may not receive: date of birth.")
    _check(page, page_problems)
    assert not Referral.objects.filter(student=ana).exists()
    # What was typed and chosen is kept.
    expect(page.get_by_label("Reason for the referral")).to_have_value(REASON)
    expect(page.get_by_label("Service", exact=True)).to_have_value(str(service.pk))
    expect(page.get_by_role("radio", name=re.compile("^Ana Rivera"))).to_be_checked()
    page.get_by_label("date of birth", exact=True).uncheck()
    page.get_by_role("button", name="Send to the partner").click()
    page.wait_for_load_state()
    referral = Referral.objects.get(student=ana)
    assert page.url.endswith(f"/referrals/{referral.pk}/")
    expect(page.locator("main")).to_contain_text("Referral sent.")
    expect(_status(page)).to_have_text("Sent")
    _check(page, page_problems)
    assert referral.status == ReferralStatus.SENT
    assert sorted(referral.shared_elements) == sorted(SHARED_BY_MOU)
    _sign_out(page)

    # 2. Partner staff accept it, start the service and log a group session.
    sign_in(page, base, users["partner_staff_a"].username, TEST_PASSWORD)
    _nav(page, "Referrals")
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals received")
    _check(page, page_problems)
    _follow(page, "Ana Rivera")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Rivera")
    expect(page.locator("main")).to_contain_text(REASON)
    _check(page, page_problems)
    _act(page, "accepted")
    expect(_status(page)).to_have_text("Accepted")
    _check(page, page_problems)
    _act(page, "in service")
    expect(_status(page)).to_have_text("In service")
    _check(page, page_problems)

    _nav(page, "Organization")
    _check(page, page_problems)
    _follow(page, "Service sessions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sessions")
    _check(page, page_problems)
    _follow(page, "Log a session")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a session")
    expect(page.locator("#roster")).to_contain_text("Choose the school to see the roster.")
    _check(page, page_problems)
    expect(page.get_by_label("group", exact=True)).to_be_checked()
    page.get_by_label("School", exact=True).select_option(str(school.pk))
    expect(page.locator("#roster")).to_contain_text("Choose the service to see its roster.")
    page.get_by_label("Service", exact=True).select_option(str(service.pk))
    roster = page.locator("#roster table")
    expect(roster.locator("caption")).to_have_text("Attendance: 2 students on the roster")
    expect(page.get_by_label("Ana Rivera was present")).to_be_checked()
    expect(page.get_by_label("Ben Okafor was present")).to_be_checked()
    # Cleo was never referred: she is not on the service's roster.
    expect(roster).not_to_contain_text(world.cleo.display_name)
    _check(page, page_problems)
    today = world.tenant.network.today()
    expect(page.get_by_label("Date", exact=True)).to_have_value(today.isoformat())
    page.get_by_label("Duration (minutes)").fill("45")
    page.get_by_label("Ben Okafor was present").uncheck()
    page.get_by_role("button", name="Log the session").click()
    page.wait_for_load_state()
    session = ServiceSession.objects.get(service=service)
    assert page.url.endswith(f"/sessions/{session.pk}/")
    expect(page.locator("main")).to_contain_text("Session logged.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Session of {today:%Y-%m-%d}")
    attendance = page.get_by_role("table", name="Who took part and for how long")
    expect(attendance.get_by_role("row", name=re.compile("^Ana Rivera"))).to_contain_text("yes")
    expect(attendance.get_by_role("row", name=re.compile("^Ana Rivera"))).to_contain_text("45")
    expect(attendance.get_by_role("row", name=re.compile("^Ben Okafor"))).to_contain_text("no")
    _check(page, page_problems)
    present = {a.student_id: a.present for a in session.attendance.all()}
    assert present == {ana.pk: True, ben.pk: False}

    # 3. The partner completes Ana's referral; the coordinator sees the loop closed.
    page.goto(f"{base}/referrals/{referral.pk}/")
    _act(page, "completed")
    expect(_status(page)).to_have_text("Completed")
    expect(page.get_by_role("button", name=re.compile("^Mark as"))).to_have_count(0)
    _check(page, page_problems)
    _sign_out(page)

    sign_in(page, base, users["coordinator"].username, TEST_PASSWORD)
    page.goto(f"{base}/schools/{school.pk}/")
    _follow(page, "Referrals")
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals")
    row = page.get_by_role("row", name=re.compile("^Ana Rivera"))
    expect(row).to_contain_text("Completed")
    expect(page.get_by_role("row", name=re.compile("^Ben Okafor"))).to_contain_text("Accepted")
    _check(page, page_problems)
    row.get_by_role("link", name="Ana Rivera").click()
    page.wait_for_load_state()
    expect(_status(page)).to_have_text("Completed")
    steps = page.locator("ol.timeline > li")
    expected = [
        ("created as draft", "Cora Lindqvist"),
        ("draft → sent", "Cora Lindqvist"),
        ("sent → accepted", "Pat Okoye"),
        ("accepted → in service", "Pat Okoye"),
        ("in service → completed", "Pat Okoye"),
    ]
    expect(steps).to_have_count(len(expected))
    for i, (move, who) in enumerate(expected):
        step = steps.nth(i)
        expect(step).to_contain_text(move)
        expect(step).to_contain_text(f"by {who}")
        when = dt.datetime.fromisoformat(step.locator("time").get_attribute("datetime") or "")
        assert started <= when <= timezone.now(), (move, when)
    _check(page, page_problems)


def test_partner_sees_only_the_shared_fields(
    page: Page, live_server: LiveServer, page_problems: PageProblems, transactional_db: Any
) -> None:
    world = _world()
    users, ana = world.users, world.ana
    referral = _refer(world, ana)
    base = live_server.url

    sign_in(page, base, users["partner_staff_a"].username, TEST_PASSWORD)
    _nav(page, "Organization")
    _follow(page, "Students referred to us")
    expect(page.get_by_role("heading", level=1)).to_have_text("Referred students")
    row = page.get_by_role("row", name=re.compile("^Ana Rivera"))
    expect(row).to_contain_text("Grade 7")
    _check(page, page_problems)
    text = page.locator("main").inner_text()
    assert ANA_BIRTH.isoformat() not in text and ANA_EMAIL not in text

    row.get_by_role("link", name="Ana Rivera").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Rivera")
    facts = page.locator("section[aria-labelledby=facts-heading]")
    expect(facts.locator("dt:text-is('Grade') + dd")).to_have_text("Grade 7")
    expect(facts.locator("dt:text-is('School') + dd")).to_have_text(world.school.name)
    for hidden in ("Date of birth", "Contact", "Student id"):
        expect(facts.locator(f"dt:text-is('{hidden}') + dd")).to_have_text("not shared")
    _check(page, page_problems)
    text = page.locator("main").inner_text()
    for secret in (ANA_BIRTH.isoformat(), ANA_EMAIL, ana.identifier, ana.phone):
        assert secret not in text, secret
    _sign_out(page)

    # Another organization's staff: the referral and the record do not exist for them.
    sign_in(page, base, users["partner_staff_b"].username, TEST_PASSWORD)
    for path in (
        f"/referrals/{referral.pk}/",
        f"/organizations/{world.tenant.org_a.pk}/students/{ana.pk}/",
    ):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 404, path
        assert "Ana" not in page.locator("body").inner_text()
        _check(page, page_problems)
