"""A coordinator opens the school's gaps page in the demo, reads a recommendation and its
reasons, asks why other services were left out, proposes a partnership in one click and sees it
proposed; the organization's partner admin accepts it on the organization's partnerships page.
axe-core finds no serious or critical violation on any page on the way."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from wraparound.agreements.models import OPEN_STATUSES, Partnership, PartnershipStatus
from wraparound.assessments.gaps import gaps_for
from wraparound.assessments.models import AssessmentStatus, Need, NeedsAssessment, Tier
from wraparound.core.models import Membership, Organization, School, SchoolYear
from wraparound.core.roles import Role
from wraparound.core.tests.factories import TEST_PASSWORD, UserFactory
from wraparound.demo.logins import DEMO_PASSWORD
from wraparound.directory.models import ServiceStatus, TaxonomyTerm
from wraparound.directory.tests.factories import (
    ServiceAreaFactory,
    ServiceCapacityFactory,
    ServiceCategoryFactory,
    ServiceFactory,
    VettedOrganizationFactory,
)
from wraparound.matching.recommend import recommend

from .axe import assert_no_serious_violations
from .conftest import PageProblems
from .test_demo_logins import sign_in

pytestmark = [pytest.mark.e2e]

SHOWN = 5  # recommendations the gaps page shows per need


@dataclass
class Pick:
    school: School
    year: SchoolYear
    need: Need
    service_id: int
    service_name: str
    organization: Organization


def _candidate(school: School, year: SchoolYear) -> Pick | None:
    """A need of the school with an open, unplanned gap, a recommended service (among those
    shown) the school has no open partnership with, and at least one service left out."""
    needs = Need.objects.filter(
        assessment__school=school, assessment__school_year=year
    ).select_related(
        "assessment__school__community", "assessment__school__network", "assessment__school_year"
    )
    gaps = gaps_for(network=school.network, school_year=year, schools=[school])
    taken = set(
        Partnership.objects.filter(
            school=school, school_year=year, status__in=OPEN_STATUSES
        ).values_list("service_id", flat=True)
    )
    for need in needs.order_by("-severity", "pk"):
        if gaps[need.pk].unplanned <= 0:
            continue
        result = recommend(need, limit=SHOWN)
        if not result.excluded:
            continue
        for rec in result.eligible:
            if rec.service.id not in taken:
                return Pick(
                    school,
                    year,
                    need,
                    rec.service.id,
                    rec.service.name,
                    Organization.objects.get(pk=rec.service.organization_id),
                )
    return None


def _make_one(school: School, year: SchoolYear) -> Pick:
    """When the demo gives nothing to propose (its assessments are still being written): a
    submitted assessment with a tutoring need, a service that fits it and one that does not."""
    network = school.network
    assessment, _created = NeedsAssessment.objects.get_or_create(
        school=school, school_year=year, defaults={"status": AssessmentStatus.SUBMITTED}
    )
    tutoring = TaxonomyTerm.objects.get(network=network, code="tutoring")
    need = Need.objects.create(
        assessment=assessment, category=tutoring, severity=5, tier=Tier.SMALL_GROUP, students=25
    )
    organization = VettedOrganizationFactory.create(network=network, name="E2E Tutoring Partners")
    fits = ServiceFactory.create(
        organization=organization, name="E2E homework help", grade_low="", grade_high=""
    )
    closed = ServiceFactory.create(
        organization=organization, name="E2E closed club", status=ServiceStatus.INACTIVE
    )
    for service in (fits, closed):
        ServiceCategoryFactory.create(service=service, taxonomy_term=tutoring)
        ServiceAreaFactory.create(service=service, community=school.community)
        ServiceCapacityFactory.create(service=service, available=8)
    pick = _candidate(school, year)
    assert pick is not None and pick.need == need
    return pick


@pytest.fixture
def scene(demo: None) -> dict[str, Any]:
    coordinator = get_user_model().objects.get(username="coordinator")
    school = (
        Membership.objects.filter(user=coordinator, role=Role.SCHOOL_COORDINATOR, is_active=True)
        .order_by("pk")
        .select_related("school__network", "school__community")
        .first()
    )
    assert school is not None and school.school is not None
    year = SchoolYear.objects.get(network=school.school.network, is_current=True)
    pick = _candidate(school.school, year) or _make_one(school.school, year)
    admin_membership = Membership.objects.filter(
        organization=pick.organization, role=Role.PARTNER_ADMIN, is_active=True
    ).first()
    if admin_membership is not None:
        # A demo partner admin of another login's making: give it a known password.
        admin = admin_membership.user
        admin.set_password(TEST_PASSWORD)
        admin.save()
    else:
        admin = UserFactory.create(username="e2e_partner_admin")
        membership = Membership(
            user=admin,
            role=Role.PARTNER_ADMIN,
            network=pick.organization.network,
            organization=pick.organization,
        )
        membership.full_clean()
        membership.save()
    return {"coordinator": coordinator, "pick": pick, "partner_admin": admin}


def check(page: Page, problems: PageProblems, where: str) -> None:
    page.wait_for_load_state("networkidle")
    assert not problems.failed, f"{where}: requests failed: {problems.failed}"
    assert not problems.errors, f"{where}: script errors: {problems.errors}"
    assert_no_serious_violations(page, where)


def test_coordinator_proposes_and_the_partner_accepts(
    scene: dict[str, Any], live_server: LiveServer, page: Page, page_problems: PageProblems
) -> None:
    base = live_server.url
    pick: Pick = scene["pick"]
    need_section = f"#need-{pick.need.pk}"

    # The coordinator opens the school's gaps page.
    sign_in(page, base, "coordinator", DEMO_PASSWORD)
    page.goto(f"{base}/schools/{pick.school.pk}/gaps/")
    expect(page.locator("h1")).to_have_text("Gaps and recommendations")
    expect(page.locator("main")).to_contain_text(pick.year.label)
    check(page, page_problems, "the gaps page")

    # A recommendation with its reasons and score.
    section = page.locator(need_section)
    service_link = page.locator(f'a[href="/directory/services/{pick.service_id}/"]')
    card = section.locator("li.result", has=service_link)
    expect(card.get_by_role("link", name=pick.service_name)).to_be_visible()
    expect(card).to_have_count(1)
    expect(card.locator(".why")).to_contain_text("place")  # "N places left"
    expect(card).to_contain_text("Match score")

    # Why were the others left out? (htmx puts the answer in place.)
    section.get_by_role("link", name="Why were other services left out?").click()
    excluded = page.locator(f"#excluded-{pick.need.pk}")
    expect(
        excluded.get_by_role("heading", name="Services of this category left out")
    ).to_be_visible()
    expect(excluded.locator("tbody tr").first).to_be_visible()
    assert page.url.endswith("/gaps/")  # it was loaded in place, not as a new page
    check(page, page_problems, "the gaps page with the services left out")

    # One click proposes the partnership (for one student fewer than offered when possible).
    units = card.get_by_label("Students or slots")
    offered = int(units.input_value())
    chosen = max(1, offered - 1)
    units.fill(str(chosen))
    card.get_by_role("button", name=re.compile("Propose partnership")).click()
    page.wait_for_load_state()
    expect(page.get_by_role("status")).to_contain_text(f"Proposed to {pick.organization.name}")
    card = page.locator(need_section).locator("li.result", has=service_link)
    expect(card).to_contain_text("waiting for the organization’s answer")
    expect(card.get_by_role("button", name=re.compile("Propose partnership"))).to_have_count(0)
    check(page, page_problems, "the gaps page after proposing")
    partnership = Partnership.objects.get(
        school=pick.school, service_id=pick.service_id, school_year=pick.year, need=pick.need
    )
    assert (partnership.status, partnership.units) == (PartnershipStatus.PROPOSED, chosen)

    # The school's partnerships list it as proposed.
    page.get_by_role("link", name="The school’s partnerships", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator(f"#partnership-{partnership.pk}")).to_contain_text("proposed")
    check(page, page_problems, "the school's partnerships")

    # The organization's partner admin accepts it.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    sign_in(page, base, scene["partner_admin"].username, TEST_PASSWORD)
    page.goto(f"{base}/organizations/{pick.organization.pk}/")
    page.get_by_role("link", name="Proposals to answer, active and past partnerships").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Partnerships with schools")
    proposal = page.locator(f"#partnership-{partnership.pk}")
    expect(proposal).to_contain_text(pick.school.name)
    check(page, page_problems, "the organization's partnerships")
    proposal.get_by_role("button", name=re.compile("^Accept")).click()
    page.wait_for_load_state()
    expect(page.get_by_role("status")).to_contain_text("The partnership is active.")
    active = page.locator("section", has=page.get_by_role("heading", name="Active", exact=True))
    expect(active.locator(f"#partnership-{partnership.pk}")).to_be_visible()
    check(page, page_problems, "the organization's partnerships after accepting")
    partnership.refresh_from_db()
    assert partnership.status == PartnershipStatus.ACTIVE
    assert partnership.activated_at is not None
    assert partnership.status_changed_by == scene["partner_admin"]
