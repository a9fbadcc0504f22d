import pytest
from django.urls import reverse

from .factories import SchoolFactory

NETWORK_WIDE = {"network_admin", "evaluator", "network_supervisor"}
SCHOOL_ROLES = {"coordinator", "staff", "supervisor", "principal"}
ALL = [
    "network_admin",
    "evaluator",
    "coordinator",
    "staff",
    "supervisor",
    "network_supervisor",
    "principal",
    "partner_admin",
    "partner_staff_a",
    "partner_staff_b",
    "coalition_member",
    "outsider",
]


@pytest.mark.parametrize(
    "name", ["home", "school_list", "network_list", "account", "api_tokens", "api_guide"]
)
def test_pages_need_a_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "heading"),
    [
        ("network_admin", "Communities and schools"),
        ("evaluator", "Communities and schools"),
        ("coordinator", "Your schools"),
        ("staff", "Your schools"),
        ("principal", "Your schools"),
        ("partner_admin", "Your organization"),
        ("partner_staff_a", "Your organization"),
        ("coalition_member", "Your coalition"),
        ("outsider", "No role yet"),
    ],
)
def test_home_page_is_made_for_the_role(t1, t2, as_user, persona, heading):
    response = as_user(t1.users[persona]).get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert heading in html
    assert t2.network.name not in html  # nothing from the other tenant


def test_home_shows_coordinator_their_two_schools_only(t1, as_user):
    html = as_user(t1.users["coordinator"]).get(reverse("home")).content.decode()
    assert t1.schools[0].name in html and t1.schools[1].name in html
    assert t1.schools[2].name not in html


def test_home_shows_network_admin_communities_and_schools(t1, as_user):
    html = as_user(t1.users["network_admin"]).get(reverse("home")).content.decode()
    for thing in [*t1.communities, *t1.schools]:
        assert thing.name in html


@pytest.mark.parametrize(
    ("persona", "present", "absent"),
    [
        (
            "network_admin",
            ["Network", "Schools", "Directory", "Review", "Account", "Training", "Action items"],
            ["Organization", "Coalition", "Caseload", "Referrals", "Conferences"],
        ),
        (
            "evaluator",
            ["Network", "Schools", "Directory"],
            ["Review", "Caseload", "Training", "Action items", "Conferences"],
        ),
        (
            "coordinator",
            ["Schools", "Directory", "Caseload", "Training", "Action items", "Conferences"],
            ["Network", "Organization", "Review", "Referrals"],
        ),
        ("staff", ["Caseload", "Conferences"], ["Referrals"]),
        ("principal", ["Training", "Action items"], ["Conferences"]),
        ("network_supervisor", ["Conferences"], ["Training", "Action items"]),
        (
            "partner_admin",
            ["Organization", "Referrals", "Training", "Action items"],
            ["Schools", "Network", "Directory", "Review", "Caseload", "Conferences"],
        ),
        (
            "partner_staff_a",
            ["Organization", "Referrals", "Training", "Conferences"],
            ["Caseload", "Schools"],
        ),
        (
            "coalition_member",
            ["Coalition", "Action items"],
            ["Schools", "Organization", "Directory", "Training", "Conferences"],
        ),
        (
            "outsider",
            ["Home", "Account"],
            ["Schools", "Network", "Organization", "Directory", "Training", "Action items"],
        ),
    ],
)
def test_navigation_shows_only_what_the_role_may_use(t1, as_user, persona, present, absent):
    response = as_user(t1.users[persona]).get(reverse("home"))
    labels = [item.label for item in response.context["nav_items"]]
    for label in present:
        assert label in labels
    for label in absent:
        assert label not in labels


@pytest.mark.parametrize("persona", ALL)
def test_school_list_by_role(t1, t2, as_user, persona):
    response = as_user(t1.users[persona]).get(reverse("school_list"))
    if persona in NETWORK_WIDE | SCHOOL_ROLES:
        assert response.status_code == 200
        html = response.content.decode()
        assert t2.schools[0].name not in html
    else:
        assert response.status_code == 403


def test_school_list_filters_by_community_and_words(t1, as_user):
    client = as_user(t1.users["network_admin"])
    response = client.get(reverse("school_list"), {"community": t1.communities[1].pk})
    assert [s.pk for s in response.context["page"].object_list] == [
        t1.schools[3].pk,
        t1.schools[4].pk,
    ]
    response = client.get(reverse("school_list"), {"q": "School 2"})
    assert [s.pk for s in response.context["page"].object_list] == [t1.schools[2].pk]


def test_school_list_ignores_a_community_of_another_network(t1, t2, as_user):
    response = as_user(t1.users["network_admin"]).get(
        reverse("school_list"), {"community": t2.communities[0].pk}
    )
    assert response.status_code == 200
    assert response.context["form"].errors  # not one of the choices
    assert t2.schools[0].name not in response.content.decode()


def test_school_list_query_count_does_not_grow_with_rows(t1, as_user, django_assert_num_queries):
    client = as_user(t1.users["network_admin"])
    client.get(reverse("school_list"))  # warm session/caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("school_list"))
    for i in range(25):
        SchoolFactory(community=t1.communities[i % 2], code=f"05K{100 + i}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("school_list"))
    assert len(response.context["page"].object_list) == 30
    assert len(many) == len(few)


def test_home_query_count_does_not_grow_with_schools(t1, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(t1.users["network_admin"])
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    for i in range(20):
        SchoolFactory(community=t1.communities[i % 2], code=f"06K{100 + i}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("home"))
    assert len(many) == len(few)


@pytest.mark.parametrize("persona", ALL)
def test_school_detail_by_role(t1, t2, as_user, persona):
    client = as_user(t1.users[persona])
    response = client.get(reverse("school_detail", args=[t1.schools[0].pk]))
    expected = 200 if persona in NETWORK_WIDE | SCHOOL_ROLES else 404
    assert response.status_code == expected
    assert client.get(reverse("school_detail", args=[t2.schools[0].pk])).status_code == 404


def test_school_detail_shows_need_figures_and_visible_feeders(t1, as_user):
    t1.schools[1].feeder_to = t1.schools[0]
    t1.schools[1].save()
    url = reverse("school_detail", args=[t1.schools[0].pk])
    html = as_user(t1.users["coordinator"]).get(url).content.decode()
    assert "81%" in html  # economically disadvantaged share of the factory
    assert "Schools that feed into this one" in html
    assert t1.schools[1].name in html
    # the principal does not see school 1, so it is not listed even though it feeds in
    html = as_user(t1.users["principal"]).get(url).content.decode()
    assert t1.schools[1].name not in html


@pytest.mark.parametrize("persona", ALL)
def test_network_detail_by_role(t1, t2, as_user, persona):
    client = as_user(t1.users[persona])
    response = client.get(reverse("network_detail", args=[t1.network.slug]))
    if persona in NETWORK_WIDE:
        assert response.status_code == 200
        assert t1.communities[0].name in response.content.decode()
    elif persona == "outsider":
        assert response.status_code == 404
    else:
        assert response.status_code == 403
    assert client.get(reverse("network_detail", args=[t2.network.slug])).status_code == 404


@pytest.mark.parametrize("persona", ALL)
def test_network_list_by_role(t1, t2, as_user, persona):
    response = as_user(t1.users[persona]).get(reverse("network_list"))
    if persona in NETWORK_WIDE:
        assert response.status_code == 200
        assert t2.network.name not in response.content.decode()
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", ALL)
def test_organization_detail_by_role(t1, t2, as_user, persona):
    client = as_user(t1.users[persona])
    response = client.get(reverse("organization_detail", args=[t1.org_a.pk]))
    expected = 200 if persona in {"network_admin", "partner_admin", "partner_staff_a"} else 404
    assert response.status_code == expected
    assert client.get(reverse("organization_detail", args=[t2.org_a.pk])).status_code == 404


@pytest.mark.parametrize("persona", ALL)
def test_coalition_detail_by_role(t1, t2, as_user, persona):
    client = as_user(t1.users[persona])
    response = client.get(reverse("coalition_detail", args=[t1.coalition.pk]))
    expected = 200 if persona in {"network_admin", "coalition_member"} else 404
    assert response.status_code == expected
    assert client.get(reverse("coalition_detail", args=[t2.coalition.pk])).status_code == 404


def test_account_lists_the_users_roles(t1, as_user):
    html = as_user(t1.users["coordinator"]).get(reverse("account")).content.decode()
    assert html.count("School coordinator") == 2


def test_healthz_answers_200_with_the_database_up(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("persona", ALL)
def test_api_guide_lists_the_live_endpoints_for_every_role(t1, as_user, persona):
    response = as_user(t1.users[persona]).get(reverse("api_guide"))
    assert response.status_code == 200
    html = response.content.decode()
    for path in (
        "/api/v1/me",
        "/api/v1/networks",
        "/api/v1/schools",
        "/api/v1/schools/{school_id}",
    ):
        assert f"<code>{path}</code>" in html
    assert reverse("api-v1:openapi-json") in html
    assert reverse("api-v1:openapi-view") in html
    assert reverse("api_tokens") in html


def test_navigation_api_link_opens_the_api_guide(t1, as_user):
    response = as_user(t1.users["partner_admin"]).get(reverse("home"))
    urls = {item.label: item.url for item in response.context["nav_items"]}
    assert urls["API"] == reverse("api_guide")


@pytest.mark.parametrize(
    ("persona", "sees_students"),
    [("coordinator", True), ("staff", True), ("network_admin", True), ("evaluator", False)],
)
def test_school_page_links_the_students_only_for_school_officials(
    t1, as_user, persona, sees_students
):
    school = t1.schools[0]
    html = as_user(t1.users[persona]).get(reverse("school_detail", args=[school.pk])).content
    assert (reverse("student_school_list", args=[school.pk]).encode() in html) is sees_students
    assert (reverse("referral_school_list", args=[school.pk]).encode() in html) is sees_students


@pytest.mark.parametrize(
    ("persona", "receives"),
    [("partner_admin", True), ("partner_staff_a", True), ("network_admin", False)],
)
def test_organization_page_links_the_referrals_to_its_partner_users(t1, as_user, persona, receives):
    org = t1.org_a
    html = as_user(t1.users[persona]).get(reverse("organization_detail", args=[org.pk])).content
    assert (reverse("referral_partner_inbox", args=[org.pk]).encode() in html) is receives
    assert (reverse("student_partner_list", args=[org.pk]).encode() in html) is receives


def test_partner_home_counts_the_referrals_waiting_for_an_answer(t1, as_user):
    from wraparound.referrals.models import ReferralStatus
    from wraparound.referrals.tests.factories import ReferralFactory
    from wraparound.students.tests.factories import StudentFactory

    for status in (ReferralStatus.SENT, ReferralStatus.SENT, ReferralStatus.ACCEPTED):
        ReferralFactory(
            student=StudentFactory(school=t1.schools[0]),
            service__organization=t1.org_a,
            status=status,
        )
    html = as_user(t1.users["partner_staff_a"]).get(reverse("home")).content.decode()
    assert "2 referrals waiting for your answer" in html
    assert reverse("referral_partner_inbox", args=[t1.org_a.pk]) in html
