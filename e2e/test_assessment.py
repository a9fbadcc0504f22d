"""A coordinator starts a school's needs-and-assets assessment for a new school year, adds a need
with the guided form (in place, with htmx), edits it in place, records who took part; the
principal submits it and the page turns read only. axe-core finds no serious or critical
violation on any page on the way."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.assessments.models import AssessmentStatus, NeedsAssessment
from wraparound.core.models import Membership, SchoolYear
from wraparound.core.roles import Role
from wraparound.demo.logins import DEMO_PASSWORD

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]


def check(page: Page, problems: PageProblems, where: str) -> None:
    page.wait_for_load_state("networkidle")
    assert not problems.failed, f"{where}: requests failed: {problems.failed}"
    assert not problems.errors, f"{where}: script errors: {problems.errors}"
    assert_no_serious_violations(page, where)


def test_a_coordinator_completes_an_assessment_and_the_principal_submits_it(
    demo: None, live_server: LiveServer, page: Page, page_problems: PageProblems
) -> None:
    base = live_server.url
    school = Membership.objects.get(user__username="principal", role=Role.PRINCIPAL).school
    assert school is not None
    assert Membership.objects.filter(
        user__username="coordinator", role=Role.SCHOOL_COORDINATOR, school=school
    ).exists()
    # The demo may already assess the current year: the test starts next year's, made here.
    current = SchoolYear.objects.get(network=school.network, is_current=True)
    next_year = SchoolYear.objects.create(
        network=school.network,
        end_year=current.end_year + 1,
        start_date=dt.date(current.end_year, 9, 9),
        end_date=dt.date(current.end_year + 1, 6, 25),
    )

    # The coordinator opens the school's assessments from the school page and starts one.
    sign_in(page, base, "coordinator", DEMO_PASSWORD)
    page.goto(f"{base}/schools/{school.pk}/")
    page.get_by_role("link", name="The school's yearly needs-and-assets assessments").click()
    expect(page.locator("h1")).to_have_text("Needs-and-assets assessments")
    check(page, page_problems, "the school's assessments")
    page.get_by_label("School year").select_option(label=next_year.label)
    page.get_by_role("button", name="Start the assessment").click()
    expect(page.locator("h1")).to_have_text(f"Needs-and-assets assessment {next_year.label}")
    expect(page.locator(".messages")).to_contain_text("assessment is started")
    check(page, page_problems, "the new assessment")
    assessment = NeedsAssessment.objects.get(school=school, school_year=next_year)

    # A need under "Expanded and enriched learning", added in place.
    section = page.locator("#pillar-expanded-learning")
    section.get_by_text("Add a need under Expanded and enriched learning").click()
    section.get_by_label("Category").select_option(label="Tutoring")
    section.get_by_label("Severity").select_option("4")
    section.get_by_label("Tier 2: small group").check()
    section.get_by_label("Students to serve").fill("35")
    section.get_by_label("Lowest grade").select_option(label="Grade 3")
    section.get_by_label("Highest grade").select_option(label="Grade 5")
    section.get_by_label("After school").check()
    section.get_by_label("Spanish").check()
    section.get_by_label("Data source").fill("State reading test")
    section.get_by_label("Figure").fill("58% below grade level in reading")
    check(page, page_problems, "the need form, filled in")
    url_before = page.url
    section.get_by_role("button", name="Add the need").click()
    section = page.locator("#pillar-expanded-learning")
    expect(page.locator("#needs [role=status]")).to_have_text("Need added: Tutoring.")
    row = section.locator("tbody tr", has_text="Tutoring")
    expect(row).to_contain_text("35")
    expect(row).to_contain_text("Spanish")
    expect(row).to_contain_text("After school")
    assert page.url == url_before  # in place: no page load
    check(page, page_problems, "the assessment with a need")

    # Edited in place: bad input first (kept, with the error beside the field), then good.
    row.get_by_role("link", name="Edit the need: Tutoring").click()
    edit = page.get_by_role("form", name="Edit the need: Tutoring")
    expect(edit.get_by_label("Students to serve")).to_have_value("35")
    check(page, page_problems, "a need edited in place")
    edit.get_by_label("Students to serve").fill("0")
    edit.get_by_role("button", name="Save the need").click()
    expect(edit.locator(".error")).to_contain_text("Give at least 1 student.")
    expect(edit.get_by_label("Students to serve")).to_have_value("0")
    edit.get_by_label("Students to serve").fill("40")
    edit.get_by_role("button", name="Save the need").click()
    expect(page.locator("#needs [role=status]")).to_have_text("Need saved: Tutoring.")
    expect(page.locator("#pillar-expanded-learning tbody tr", has_text="Tutoring")).to_contain_text(
        "40"
    )
    check(page, page_problems, "the assessment after an edit")

    # Who took part.
    participants = page.locator("#participants")
    participants.get_by_label("Role").select_option(label="family member")
    participants.get_by_label("Name or group").fill("Spring family survey")
    participants.get_by_label("How many").fill("64")
    participants.get_by_role("button", name="Add the participant").click()
    expect(page.locator("#participants tbody")).to_contain_text("Spring family survey")
    check(page, page_problems, "the assessment with a participant")
    assert assessment.needs.get().students == 40
    assert assessment.participants.get().count == 64

    # The coordinator does not submit: the principal does.
    expect(page.get_by_role("button", name="Submit the assessment")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    sign_in(page, base, "principal", DEMO_PASSWORD)
    page.goto(f"{base}/assessments/{assessment.pk}/")
    check(page, page_problems, "the assessment, for the principal")
    page.get_by_role("button", name="Submit the assessment").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("The assessment is submitted.")
    expect(page.locator("#submit")).to_contain_text(re.compile(r"Submitted by Paul Nguyen on"))
    expect(page.get_by_role("button", name="Add the need")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit the need: Tutoring")).to_have_count(0)
    check(page, page_problems, "the submitted assessment")
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert assessment.submitted_by is not None
    assert assessment.submitted_by.username == "principal"
