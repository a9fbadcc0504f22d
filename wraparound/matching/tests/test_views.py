"""The school's gaps and recommendations page and its one-click proposal: every role (200, 403,
404), what the page shows, the "why left out" section (plain and htmx), bad input (a clear
message, what was typed kept, nothing written, never a 500) and a bounded number of queries."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wraparound.agreements.models import Partnership, PartnershipStatus
from wraparound.assessments.models import AssessmentStatus
from wraparound.assessments.tests.factories import (
    AssetFactory,
    NeedFactory,
    NeedsAssessmentFactory,
    PartnershipFactory,
    SchoolYearFactory,
)
from wraparound.core.models import AuditEvent, VettingStatus
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.models import ServiceStatus, TaxonomyTerm
from wraparound.directory.taxonomy import taxonomy_ensure_default
from wraparound.directory.tests.factories import (
    ServiceAreaFactory,
    ServiceCapacityFactory,
    ServiceCategoryFactory,
    ServiceFactory,
    VettedOrganizationFactory,
)

READERS = {
    "network_admin",
    "evaluator",
    "coordinator",
    "staff",
    "supervisor",
    "network_supervisor",
    "principal",
}
PROPOSERS = {"network_admin", "coordinator"}


def term(network: Any, code: str) -> TaxonomyTerm:
    return TaxonomyTerm.objects.get(network=network, code=code)


def add_service(
    network: Any, code: str, name: str, *, organization: Any = None, capacity: int = 10, **kw: Any
) -> Any:
    organization = organization or VettedOrganizationFactory.create(network=network)
    service = ServiceFactory.create(organization=organization, name=name, **kw)
    ServiceCategoryFactory.create(service=service, taxonomy_term=term(network, code))
    ServiceAreaFactory.create(service=service, community=network.communities.order_by("pk")[0])
    ServiceCapacityFactory.create(service=service, available=capacity)
    return service


@pytest.fixture
def world(t1: Any) -> dict[str, Any]:
    network = t1.network
    taxonomy_ensure_default(network=network)
    t1.org_a.vetting_status = VettingStatus.VETTED
    t1.org_a.save()
    year = SchoolYearFactory.create(network=network, end_year=2027, is_current=True)
    SchoolYearFactory.create(network=network, end_year=2026)
    homework = add_service(network, "tutoring", "Homework club", organization=t1.org_a)
    closed = add_service(network, "tutoring", "Closed club", status=ServiceStatus.INACTIVE)
    counselors = add_service(network, "counseling", "School counselors", capacity=5)
    assessment = NeedsAssessmentFactory.create(school=t1.schools[0], school_year=year)
    tutoring = NeedFactory.create(
        assessment=assessment, category=term(network, "tutoring"), severity=4, students=30
    )
    counseling = NeedFactory.create(
        assessment=assessment, category=term(network, "counseling"), severity=5, students=8
    )
    families = NeedFactory.create(
        assessment=assessment, category=term(network, "family-support"), severity=2, students=10
    )
    AssetFactory.create(
        assessment=assessment, category=term(network, "counseling"), students=8, name="Counselor"
    )
    return {
        "t1": t1,
        "network": network,
        "school": t1.schools[0],
        "year": year,
        "assessment": assessment,
        "homework": homework,
        "closed": closed,
        "counselors": counselors,
        "tutoring": tutoring,
        "counseling": counseling,
        "families": families,
    }


def gaps_url(world: dict[str, Any], query: str = "") -> str:
    return reverse("school_gaps", kwargs={"school_pk": world["school"].pk}) + query


def propose_url(world: dict[str, Any]) -> str:
    return reverse("school_gaps_propose", kwargs={"school_pk": world["school"].pk})


def text(response: Any) -> str:
    """The page's text with tags dropped and spaces collapsed (for phrases split by markup)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


# --- who sees the page ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_the_gaps_page(world: dict[str, Any], as_user: Any, persona: str) -> None:
    response = as_user(world["t1"].users[persona]).get(gaps_url(world))
    if persona in READERS:
        assert response.status_code == 200
        propose_buttons = response.content.decode().count("Propose partnership")
        assert (propose_buttons > 0) == (persona in PROPOSERS)
    else:
        assert response.status_code == 404


def test_another_networks_admin_and_a_stranger_school_get_404(
    world: dict[str, Any], as_user: Any, t2: Any
) -> None:
    assert as_user(t2.users["network_admin"]).get(gaps_url(world)).status_code == 404
    client = as_user(world["t1"].users["coordinator"])
    # The coordinator's school is schools[0] and schools[1]; schools[3] is not theirs.
    other = reverse("school_gaps", kwargs={"school_pk": world["t1"].schools[3].pk})
    assert client.get(other).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(world: dict[str, Any], client: Any) -> None:
    response = client.get(gaps_url(world))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- what the page shows --------------------------------------------------------------------------


def test_needs_grouped_by_pillar_with_the_gap_arithmetic(
    world: dict[str, Any], as_user: Any
) -> None:
    PartnershipFactory.create(
        school=world["school"],
        service=world["homework"],
        school_year=world["year"],
        need=world["tutoring"],
        units=4,
        status=PartnershipStatus.ACTIVE,
    )
    response = as_user(world["t1"].users["principal"]).get(gaps_url(world))
    page = text(response)
    assert "2026-27, submitted" in page
    # Pillars in the taxonomy's order: integrated student supports, expanded learning, family.
    pillars = [
        page.index("Integrated student supports"),
        page.index("Expanded and enriched learning"),
        page.index("Family and community engagement"),
    ]
    assert pillars == sorted(pillars)
    # Tutoring: 30 students − 0 assets − 4 active = 26; 0 proposed; 26 unplanned.
    assert re.search(r"Tutoring 4 Tier 2: small group 30 0 4 26 0 26", page)
    # Counseling is covered by the school's counselor.
    assert re.search(
        r"Counseling and mental health covered 5 Tier 2: small group 8 8 0 0 0 0", page
    )
    assert "Homework club" in page
    assert "No service in the directory meets every rule for this need." in page
    assert "Why were other services left out?" in page
    # The principal reads; only coordinators and network admins propose.
    assert "Propose partnership" not in page


def test_a_draft_assessment_is_labelled(world: dict[str, Any], as_user: Any) -> None:
    world["assessment"].status = AssessmentStatus.DRAFT
    world["assessment"].save()
    page = text(as_user(world["t1"].users["coordinator"]).get(gaps_url(world)))
    assert "2026-27, draft (not yet submitted)" in page


def test_recommendations_show_reasons_score_and_the_default_units(
    world: dict[str, Any], as_user: Any
) -> None:
    response = as_user(world["t1"].users["coordinator"]).get(gaps_url(world))
    content = response.content.decode()
    page = text(response)
    assert f"Serves {world['school'].community.name}" in page
    assert "10 places left" in page
    assert "Free for the school" in page
    assert re.search(r"Match score 0\.\d\d out of 1", page)
    # min(30 unplanned, 10 places left) = 10.
    units_input = re.search(
        rf'id="units-{world["tutoring"].pk}-{world["homework"].pk}"[^>]*>', content
    )
    assert units_input and 'value="10"' in units_input.group(0)
    assert f'<label for="units-{world["tutoring"].pk}-{world["homework"].pk}">' in content
    assert reverse("school_partnerships", kwargs={"school_pk": world["school"].pk}) in content


def test_a_service_already_partnered_for_another_need_says_so(
    world: dict[str, Any], as_user: Any
) -> None:
    # Homework club also offers counseling; the school works with it for that need already.
    ServiceCategoryFactory.create(
        service=world["homework"], taxonomy_term=term(world["network"], "counseling")
    )
    world["counseling"].students = 20
    world["counseling"].save()
    PartnershipFactory.create(
        school=world["school"],
        service=world["homework"],
        school_year=world["year"],
        need=world["counseling"],
        units=3,
        status=PartnershipStatus.ACTIVE,
    )
    page = text(as_user(world["t1"].users["coordinator"]).get(gaps_url(world)))
    assert (
        "Already in an active partnership with this school this year "
        "(for Counseling and mental health)." in page
    )
    assert "Active partnership for 3 students or slots." in page  # under the counseling need
    assert "Propose partnership with Homework club" not in page


def test_top_five_then_show_more(world: dict[str, Any], as_user: Any) -> None:
    for n in range(6):
        add_service(world["network"], "tutoring", f"Extra tutors {n}")
    client = as_user(world["t1"].users["coordinator"])
    page = text(client.get(gaps_url(world)))
    assert "Show 2 more recommended services" in page
    shown = page.count("Propose partnership with")
    more = text(client.get(gaps_url(world, f"?year=2027&more={world['tutoring'].pk}")))
    assert more.count("Propose partnership with") == shown + 2
    assert "Show fewer" in more


def test_why_left_out_as_a_plain_page(world: dict[str, Any], as_user: Any) -> None:
    response = as_user(world["t1"].users["staff"]).get(
        gaps_url(world, f"?year=2027&excluded={world['tutoring'].pk}")
    )
    page = text(response)
    assert "Services of this category left out" in page
    assert re.search(r"Closed club .*? The service is not active\.", page)


def test_why_left_out_for_htmx_is_the_section_only(world: dict[str, Any], as_user: Any) -> None:
    response = as_user(world["t1"].users["coordinator"]).get(
        gaps_url(world, f"?year=2027&excluded={world['tutoring'].pk}"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content and "Closed club" in content
    assert "The service is not active." in content
    assert "HX-Request" in response["Vary"]


def test_why_left_out_of_a_need_elsewhere_is_404(
    world: dict[str, Any], as_user: Any, t2: Any
) -> None:
    elsewhere = NeedFactory.create(
        assessment__school=world["t1"].schools[1], assessment__school_year=world["year"]
    )
    response = as_user(world["t1"].users["coordinator"]).get(
        gaps_url(world, f"?year=2027&excluded={elsewhere.pk}"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("year", ["1999", "abc", "-1"])
def test_an_unknown_year_is_404(world: dict[str, Any], as_user: Any, year: str) -> None:
    client = as_user(world["t1"].users["coordinator"])
    assert client.get(gaps_url(world, f"?year={year}")).status_code == 404


def test_a_year_without_an_assessment(world: dict[str, Any], as_user: Any) -> None:
    page = text(as_user(world["t1"].users["coordinator"]).get(gaps_url(world, "?year=2026")))
    assert "The school has no needs-and-assets assessment for 2025-26 yet." in page


def test_the_current_year_is_the_default(world: dict[str, Any], as_user: Any) -> None:
    SchoolYearFactory.create(network=world["network"], end_year=2028)
    response = as_user(world["t1"].users["coordinator"]).get(gaps_url(world))
    assert response.context["year"] == world["year"]


def test_the_page_costs_a_bounded_number_of_queries(world: dict[str, Any], as_user: Any) -> None:
    client = as_user(world["t1"].users["coordinator"])
    client.get(gaps_url(world))  # warm the session

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(gaps_url(world)).status_code == 200
        return len(queries)

    few = count()
    codes = ["tutoring", "literacy", "mentoring", "arts", "sports", "stem", "food", "housing"]
    for n in range(12):
        NeedFactory.create(
            assessment=world["assessment"],
            category=term(world["network"], codes[n % len(codes)]),
            students=5 + n,
        )
        add_service(world["network"], codes[n % len(codes)], f"More help {n}")
    many = count()
    assert many == few  # the same whatever the number of needs and services
    assert many <= 25


# --- proposing ----------------------------------------------------------------------------------


def post_data(world: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = {
        "year": "2027",
        "need": str(world["tutoring"].pk),
        "service": str(world["homework"].pk),
        "units": "6",
    }
    data.update(changes)
    return data


def test_one_click_proposes_and_the_page_shows_it(world: dict[str, Any], as_user: Any) -> None:
    client = as_user(world["t1"].users["coordinator"])
    response = client.post(propose_url(world), post_data(world))
    assert response.status_code == 302
    assert response["Location"] == gaps_url(world, f"?year=2027#need-{world['tutoring'].pk}")
    partnership = Partnership.objects.get()
    assert (partnership.status, partnership.units, partnership.need) == (
        PartnershipStatus.PROPOSED,
        6,
        world["tutoring"],
    )
    assert partnership.source == "recommendation"
    page = text(client.get(response["Location"]))
    assert f"Proposed to {world['t1'].org_a.name}: Homework club for 6 students or slots." in page
    assert "Proposed for 6 students or slots, waiting for the organization’s answer." in page
    # Tutoring: 30 − 0 − 0 = 30 open; 6 proposed; 24 unplanned.
    assert re.search(r"Tutoring 4 Tier 2: small group 30 0 0 30 6 24", page)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_propose(world: dict[str, Any], as_user: Any, persona: str) -> None:
    response = as_user(world["t1"].users[persona]).post(propose_url(world), post_data(world))
    if persona in PROPOSERS:
        assert response.status_code == 302
        assert Partnership.objects.count() == 1
    else:
        assert response.status_code == (403 if persona in READERS else 404)
        assert not Partnership.objects.exists()


def test_another_networks_admin_may_not_propose(
    world: dict[str, Any], as_user: Any, t2: Any
) -> None:
    response = as_user(t2.users["network_admin"]).post(propose_url(world), post_data(world))
    assert response.status_code == 404
    assert not Partnership.objects.exists()


def test_proposing_takes_a_post(world: dict[str, Any], as_user: Any) -> None:
    assert as_user(world["t1"].users["coordinator"]).get(propose_url(world)).status_code == 405


def bad(world: dict[str, Any], as_user: Any, **changes: Any) -> str:
    """Post a bad proposal: a 400 page with the message; nothing is written."""
    events = AuditEvent.objects.count()
    response = as_user(world["t1"].users["coordinator"]).post(
        propose_url(world), post_data(world, **changes)
    )
    assert response.status_code == 400
    assert not Partnership.objects.filter(status=PartnershipStatus.PROPOSED).exists()
    assert AuditEvent.objects.count() == events
    return text(response)


def test_zero_units_are_refused_and_kept(world: dict[str, Any], as_user: Any) -> None:
    page = bad(world, as_user, units="0")
    assert "The partnership was not proposed: Propose at least one student or slot." in page


def test_the_typed_units_are_kept_beside_the_right_service(
    world: dict[str, Any], as_user: Any
) -> None:
    response = as_user(world["t1"].users["coordinator"]).post(
        propose_url(world), post_data(world, units="11")
    )
    assert response.status_code == 400
    content = response.content.decode()
    field = re.search(rf'id="units-{world["tutoring"].pk}-{world["homework"].pk}"[^>]*>', content)
    assert field and 'value="11"' in field.group(0) and 'aria-invalid="true"' in field.group(0)
    assert "Homework club has 10 places left this year; propose at most that many." in text(
        response
    )


def test_a_duplicate_proposal_is_refused(world: dict[str, Any], as_user: Any) -> None:
    client = as_user(world["t1"].users["coordinator"])
    assert client.post(propose_url(world), post_data(world, units="2")).status_code == 302
    response = client.post(propose_url(world), post_data(world, units="2"))
    assert response.status_code == 400
    assert "already has an open partnership with Homework club for 2026-27" in text(response)
    assert Partnership.objects.count() == 1


def test_an_ineligible_service_is_refused(world: dict[str, Any], as_user: Any) -> None:
    page = bad(world, as_user, service=str(world["closed"].pk))
    assert "Closed club is not active" in page


def test_a_service_of_another_category_is_refused(world: dict[str, Any], as_user: Any) -> None:
    page = bad(world, as_user, service=str(world["counselors"].pk), units="1")
    assert "School counselors cannot serve this need: It is not offered in this category." in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"units": "abc"}, "Enter a whole number of students or slots."),
        ({"units": ""}, "Enter how many students or slots to propose."),
        ({"need": "999999"}, "Choose a need of this school's assessment."),
        ({"need": "x"}, "Enter a whole number."),
        ({"service": "999999"}, "Choose a service of this network's directory."),
        ({"year": "1999"}, "Choose a school year of this network."),
        ({"year": "2026"}, "Choose a need of this school's assessment."),
    ],
)
def test_bad_input_gets_a_clear_message(
    world: dict[str, Any], as_user: Any, changes: dict[str, str], message: str
) -> None:
    assert message in bad(world, as_user, **changes)


def test_a_need_or_service_of_another_tenant_is_refused(
    world: dict[str, Any], as_user: Any, t2: Any
) -> None:
    foreign_service = ServiceFactory.create(organization__network=t2.network)
    assert "Choose a service of this network's directory." in bad(
        world, as_user, service=str(foreign_service.pk)
    )
    foreign_need = NeedFactory.create(assessment__school=t2.schools[0])
    assert "Choose a need of this school's assessment." in bad(
        world, as_user, need=str(foreign_need.pk)
    )
