"""The dashboard pages: who may see each (every persona), bad choices as form errors, no cell
under ten in the page or its chart data, the links from the school, network and organization
pages, and a fixed number of queries."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from wraparound.core.tests.personas import PERSONAS, Tenant

from ..subgroups import SPLITS
from .dashboard_world import SMALL_GROUPS, assert_no_small_cell, build_world

pytestmark = [
    pytest.mark.django_db,
]

# Who may see each page of tenant 1 (the personas' school is schools[0], their partner org_a).
SCHOOL_VIEWERS = {
    "network_admin",
    "evaluator",
    "coordinator",
    "staff",
    "supervisor",
    "principal",
    "network_supervisor",  # network-wide clinical supervisors read every school's outcomes
}
NETWORK_VIEWERS = {"network_admin", "evaluator"}
ORGANIZATION_VIEWERS = {"network_admin", "evaluator", "partner_admin", "partner_staff_a"}


@pytest.fixture
def world(t1: Tenant):
    return build_world(t1)


def _urls(t: Tenant) -> dict[str, str]:
    return {
        "school": reverse("school_outcomes", args=[t.schools[0].pk]),
        "network": reverse("network_outcomes", args=[t.network.slug]),
        "organization": reverse("organization_outcomes", args=[t.org_a.pk]),
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_for_every_persona(world, t1, t2, as_user, persona):
    client = as_user(t1.users[persona])
    allowed = {
        "school": SCHOOL_VIEWERS,
        "network": NETWORK_VIEWERS,
        "organization": ORGANIZATION_VIEWERS,
    }
    for page, url in _urls(t1).items():
        response = client.get(url)
        expected = 200 if persona in allowed[page] else 404
        assert response.status_code == expected, (page, persona)
    # The other tenant's pages: nobody of tenant 1 sees them.
    for page, url in _urls(t2).items():
        assert client.get(url).status_code == 404, (page, persona)


def test_anonymous_is_sent_to_log_in(world, t1, client):
    for url in _urls(t1).values():
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_school_coordinator_of_another_school_gets_404(world, t1, as_user):
    client = as_user(t1.users["coordinator"])
    assert client.get(reverse("school_outcomes", args=[t1.schools[2].pk])).status_code == 404
    assert client.get(reverse("school_outcomes", args=[t1.schools[1].pk])).status_code == 200


@pytest.mark.parametrize(
    "query",
    ["?split=hair_colour", "?year=abc", "?year=1999", "?order=worst&split=nope"],
    ids=["bad-split", "bad-year", "unknown-year", "bad-order-and-split"],
)
def test_bad_choices_are_form_errors_not_500(world, t1, as_user, query):
    client = as_user(t1.users["network_admin"])
    for url in _urls(t1).values():
        response = client.get(url + query)
        assert response.status_code == 200
        assert b"error-summary" in response.content


def _payload(response) -> dict:
    match = re.search(
        rb'<script id="dashboard-data" type="application/json">(.*?)</script>',
        response.content,
        re.S,
    )
    assert match, "no chart data"
    return json.loads(match.group(1))


@pytest.mark.parametrize("split", ["", *SPLITS], ids=["all", *SPLITS])
def test_no_page_or_chart_reveals_a_cell_under_ten(world, t1, as_user, split):
    client = as_user(t1.users["network_admin"])
    for page, url in _urls(t1).items():
        response = client.get(f"{url}?split={split}&year={world.year}")
        assert response.status_code == 200
        checked = assert_no_small_cell(_payload(response))
        assert checked > 10, page
        if split == "race_ethnicity" and page == "school":
            _assert_small_columns_hidden(response.content.decode())


def _assert_small_columns_hidden(html: str) -> None:
    """In the indicators table, every cell of a small group's column reads "fewer than 10"
    (or "—" when the indicator has no figure for the group)."""
    split = SPLITS["race_ethnicity"]
    table = html[html.index('id="indicators-table"') :]
    table = table[: table.index("</table>")]
    headers = [h.strip() for h in re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", table, re.S)]
    small = [
        headers.index(split.group_label(k)) for k in SMALL_GROUPS if split.group_label(k) in headers
    ]
    assert small, headers
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        for i in small:
            assert cells[i].strip() in ("fewer than 10", "—"), (headers[i], cells[i])


def test_school_page_hides_the_small_race_groups(world, t1, as_user):
    client = as_user(t1.users["coordinator"])
    url = reverse("school_outcomes", args=[t1.schools[0].pk])
    data = _payload(client.get(f"{url}?split=race_ethnicity"))
    for result in data["indicators"]:
        for group in result["groups"]:
            if group["key"] in SMALL_GROUPS:
                assert group["suppressed"] and group["value"] is None and group["n"] is None


def test_network_page_shows_figures_as_of_and_ranks_schools(world, t1, as_user):
    client = as_user(t1.users["evaluator"])
    response = client.get(reverse("network_outcomes", args=[t1.network.slug]))
    html = response.content.decode()
    assert "Figures as of" in html
    first = html.index(t1.schools[1].code, html.index('id="schools-table"'))
    second = html.index(t1.schools[0].code, html.index('id="schools-table"'))
    assert first < second  # 50 % chronic absence before 33 %
    assert "Recompute the figures now" not in html  # evaluators do not recompute


def test_network_admin_can_ask_for_a_recompute(
    world, t1, as_user, django_capture_on_commit_callbacks
):
    from ..models import RollupRefresh

    client = as_user(t1.users["network_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("network_outcomes_refresh", args=[t1.network.slug]), {"year": world.year}
        )
    assert response.status_code == 302
    assert RollupRefresh.objects.filter(network=t1.network, school_year=world.year).exists()
    evaluator = as_user(t1.users["evaluator"])
    assert (
        evaluator.post(reverse("network_outcomes_refresh", args=[t1.network.slug])).status_code
        == 404
    )


def test_detail_pages_link_to_the_dashboards(world, t1, as_user):
    client = as_user(t1.users["network_admin"])
    school = client.get(reverse("school_detail", args=[t1.schools[0].pk])).content.decode()
    assert reverse("school_outcomes", args=[t1.schools[0].pk]) in school
    network = client.get(reverse("network_detail", args=[t1.network.slug])).content.decode()
    assert reverse("network_outcomes", args=[t1.network.slug]) in network
    org = client.get(reverse("organization_detail", args=[t1.org_a.pk])).content.decode()
    assert reverse("organization_outcomes", args=[t1.org_a.pk]) in org


def test_partner_staff_of_another_org_sees_no_link(world, t1, as_user):
    client = as_user(t1.users["partner_staff_b"])
    response = client.get(reverse("organization_detail", args=[t1.org_b.pk]))
    assert response.status_code == 200
    assert reverse("organization_outcomes", args=[t1.org_b.pk]) in response.content.decode()
    response = client.get(reverse("organization_detail", args=[t1.org_a.pk]))
    assert reverse("organization_outcomes", args=[t1.org_a.pk]) not in response.content.decode()


# Fixed whatever the number of students (the partner's grows with its partnerships' MOU
# deliverables, a handful). The network page reads the rollup.
BUDGETS = {"school": 24, "network": 14, "organization": 21}


@pytest.mark.parametrize("page", ["school", "network", "organization"])
def test_query_counts(world, t1, as_user, django_assert_max_num_queries, page):
    client = as_user(t1.users["network_admin"])
    url = _urls(t1)[page]
    client.get(url)  # the network's rollup is built on the first visit
    with django_assert_max_num_queries(BUDGETS[page]):
        assert client.get(f"{url}?split=race_ethnicity").status_code == 200


def test_school_page_shows_the_goals_and_their_progress(world, t1, as_user):
    import datetime as dt
    from decimal import Decimal

    from ..models import Goal, GoalScope, GoalTerm

    Goal.objects.create(
        network=t1.network,
        scope=GoalScope.SCHOOL,
        school=world.school,
        indicator="attendance_rate",
        title="Every day counts",
        term=GoalTerm.SHORT,
        baseline=Decimal("0.9"),
        baseline_on=dt.date(world.year - 1, 9, 1),
        target=Decimal("0.95"),
        target_on=dt.date(world.year, 6, 30),
    )
    client = as_user(t1.users["principal"])
    html = client.get(reverse("school_outcomes", args=[world.school.pk])).content.decode()
    goals = html[html.index('id="goals-heading"') :]
    assert "Every day counts" in goals
    assert "95.0%" in goals


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_network_admin_may_ask_for_a_recompute(world, t1, t2, as_user, persona):
    client = as_user(t1.users[persona])
    url = reverse("network_outcomes_refresh", args=[t1.network.slug])
    expected = 302 if persona == "network_admin" else 404
    assert client.post(url, {"year": world.year}).status_code == expected
    assert client.get(url).status_code == 405  # a recompute is a POST
    other = reverse("network_outcomes_refresh", args=[t2.network.slug])
    assert client.post(other, {"year": world.year}).status_code == 404


def test_each_dashboard_links_to_its_report(t1, as_user):
    client = as_user(t1.users["network_admin"])
    school = t1.schools[0]
    pages = {
        reverse("school_outcomes", args=[school.pk]): reverse(
            "school_outcome_report", args=[school.pk, "pdf"]
        ),
        reverse("organization_outcomes", args=[t1.org_a.pk]): reverse(
            "organization_outcome_report", args=[t1.org_a.pk, "xlsx"]
        ),
        reverse("network_outcomes", args=[t1.network.slug]): reverse(
            "outcome_reports", args=[t1.network.slug]
        ),
    }
    for page, report in pages.items():
        body = client.get(page).content.decode()
        assert f'href="{report}?year=' in body, page
