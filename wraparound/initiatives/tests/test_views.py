"""Initiative pages: every persona of both networks on every page, forms that keep what was
typed, the feeder-pattern view, optimistic locking, query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from wraparound.core.tests.personas import PERSONAS
from wraparound.initiatives.models import Activity, Initiative, InitiativeGoal, SchoolPlan

from .world import arts_initiative

pytestmark = pytest.mark.django_db

NETWORK_WIDE = {"network_admin", "evaluator", "network_supervisor"}
SCHOOL_0 = {"coordinator", "staff", "supervisor", "principal"}
READERS = NETWORK_WIDE | SCHOOL_0
NETWORK_MEMBERS_DENIED = {"partner_admin", "partner_staff_a", "partner_staff_b", "coalition_member"}
PLAN_EDITORS = {"network_admin", "coordinator", "principal", "staff"}  # staff owns the plan
INITIATIVE_FORM = {
    "name": "Literacy across the years",
    "kind": "literacy",
    "description": "",
    "grade_low": "KG",
    "grade_high": "05",
    "start_year": "2027",
    "end_year": "2029",
    "status": "planning",
}


@pytest.fixture
def world(t1: Any, t2: Any) -> Any:
    return t1, t2, arts_initiative(t1), arts_initiative(t2, name="South arts")


def _expected_read(persona: str) -> int:
    return 200 if persona in READERS else 404


# --- reading -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_network_initiatives_page(world: Any, as_user: Any, persona: str) -> None:
    t1, t2, mine, _theirs = world
    client = as_user(t1.users[persona])
    response = client.get(reverse("network_initiatives", args=[t1.network.slug]))
    if persona in NETWORK_WIDE:
        assert response.status_code == 200
        assert mine.name in response.content.decode()
        assert "South arts" not in response.content.decode()
    elif persona == "outsider":
        assert response.status_code == 404
    else:  # a member of the network whose role does not open the network view
        assert response.status_code == 403
    assert client.get(reverse("network_initiatives", args=[t2.network.slug])).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_initiative_detail_page(world: Any, as_user: Any, persona: str) -> None:
    t1, _t2, mine, theirs = world
    client = as_user(t1.users[persona])
    response = client.get(reverse("initiative_detail", args=[mine.pk]))
    assert response.status_code == _expected_read(persona)
    if response.status_code == 200:
        page = response.content.decode()
        assert t1.schools[0].name in page
        # school roles see their own schools' plans only
        assert (t1.schools[3].name in page) == (persona in NETWORK_WIDE)
    assert client.get(reverse("initiative_detail", args=[theirs.pk])).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_feeder_pattern_page(world: Any, as_user: Any, persona: str) -> None:
    t1, _t2, mine, theirs = world
    client = as_user(t1.users[persona])
    response = client.get(reverse("initiative_feeder_patterns", args=[mine.pk]))
    assert response.status_code == _expected_read(persona)
    if response.status_code == 200:
        page = response.content.decode()
        assert "Grades 6–8 at North Network Middle: no plan" in page
        # the lone school's pattern is shown to network-wide roles only
        assert (f"{t1.schools[4].name} pattern" in page) == (persona in NETWORK_WIDE)
    response = client.get(reverse("initiative_feeder_patterns", args=[theirs.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_school_plan_page(world: Any, as_user: Any, persona: str) -> None:
    t1, _t2, mine, theirs = world
    client = as_user(t1.users[persona])
    url = reverse("initiative_school_plan", args=[mine.pk, t1.schools[0].pk])
    response = client.get(url)
    assert response.status_code == _expected_read(persona)
    if response.status_code == 200:
        page = response.content.decode()
        assert "Dance residency" in page
        assert ("Save the plan" in page) == (persona in PLAN_EDITORS)
    # a school of the network the persona has no role at
    other = client.get(reverse("initiative_school_plan", args=[mine.pk, t1.schools[4].pk]))
    assert other.status_code == (200 if persona in NETWORK_WIDE else 404)
    # a school of another network, and another network's initiative
    foreign = reverse("initiative_school_plan", args=[mine.pk, theirs.plans.first().school_id])
    assert client.get(foreign).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_school_initiatives_page(world: Any, as_user: Any, persona: str) -> None:
    t1, t2, mine, _theirs = world
    client = as_user(t1.users[persona])
    response = client.get(reverse("school_initiatives", args=[t1.schools[0].pk]))
    assert response.status_code == _expected_read(persona)
    if response.status_code == 200:
        assert mine.name in response.content.decode()
    other = client.get(reverse("school_initiatives", args=[t2.schools[0].pk]))
    assert other.status_code == 404


# --- writing -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_create_initiative(world: Any, as_user: Any, persona: str) -> None:
    t1, t2, _mine, _theirs = world
    client = as_user(t1.users[persona])
    response = client.post(reverse("network_initiatives", args=[t1.network.slug]), INITIATIVE_FORM)
    created = Initiative.objects.filter(name=INITIATIVE_FORM["name"]).first()
    if persona == "network_admin":
        assert response.status_code == 302
        assert created is not None and created.network == t1.network
    else:
        assert response.status_code == (404 if persona == "outsider" else 403)
        assert created is None
    response = client.post(reverse("network_initiatives", args=[t2.network.slug]), INITIATIVE_FORM)
    assert response.status_code == 404


def test_create_initiative_with_bad_input_keeps_what_was_typed(world: Any, as_user: Any) -> None:
    t1 = world[0]
    client = as_user(t1.users["network_admin"])
    data = {**INITIATIVE_FORM, "end_year": "2025", "grade_low": "06", "grade_high": "03"}
    response = client.post(reverse("network_initiatives", args=[t1.network.slug]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The last school year cannot come before the first." in page
    assert "The last grade cannot come before the first." in page
    assert 'value="Literacy across the years"' in page
    assert not Initiative.objects.filter(name=INITIATIVE_FORM["name"]).exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_change_initiative_and_add_goal(world: Any, as_user: Any, persona: str) -> None:
    t1, _t2, mine, theirs = world
    client = as_user(t1.users[persona])
    data = {f"edit-{k}": v for k, v in INITIATIVE_FORM.items()}
    response = client.post(
        reverse("initiative_edit", args=[mine.pk]), {**data, "version": mine.version}
    )
    goal = client.post(
        reverse("initiative_goal_add", args=[mine.pk]),
        {"goal-statement": "Every student 60 minutes of arts a week", "goal-status": "on_track"},
    )
    mine.refresh_from_db()
    if persona == "network_admin":
        assert response.status_code == 302 and goal.status_code == 302
        assert mine.name == INITIATIVE_FORM["name"] and mine.version == 2
        assert InitiativeGoal.objects.filter(initiative=mine).count() == 1
    else:
        expected = 403 if persona in READERS else 404
        assert response.status_code == expected and goal.status_code == expected
        assert mine.version == 1
    assert client.post(reverse("initiative_edit", args=[theirs.pk]), data).status_code == 404


def test_initiative_edit_conflict(world: Any, as_user: Any) -> None:
    t1, _t2, mine, _theirs = world
    client = as_user(t1.users["network_admin"])
    data = {f"edit-{k}": v for k, v in INITIATIVE_FORM.items()}
    response = client.post(reverse("initiative_edit", args=[mine.pk]), {**data, "version": 7})
    assert response.status_code == 409
    assert "Someone changed this" in response.content.decode()


def test_goal_edit_and_delete(world: Any, as_user: Any) -> None:
    t1, _t2, mine, _theirs = world
    goal = InitiativeGoal.objects.create(initiative=mine, statement="Sixty minutes a week")
    url = reverse("initiative_goal_edit", args=[goal.pk])
    assert as_user(t1.users["evaluator"]).get(url).status_code == 403
    assert as_user(t1.users["partner_admin"]).get(url).status_code == 404
    client = as_user(t1.users["network_admin"])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"statement": "", "measure": "minutes", "status": "met"})
    assert bad.status_code == 400 and 'value="minutes"' in bad.content.decode()
    ok = client.post(url, {"statement": "Ninety minutes a week", "status": "met"})
    assert ok.status_code == 302
    goal.refresh_from_db()
    assert goal.statement == "Ninety minutes a week" and goal.status == "met"
    staff = as_user(t1.users["staff"])
    assert staff.post(reverse("initiative_goal_delete", args=[goal.pk])).status_code == 403
    client = as_user(t1.users["network_admin"])
    assert client.post(reverse("initiative_goal_delete", args=[goal.pk])).status_code == 302
    assert not InitiativeGoal.objects.filter(pk=goal.pk).exists()


def _plan_form(**kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "status": "active",
        "owner": "",
        "owner_title": "Arts Lead",
        "grades": ["KG", "01", "02", "03"],
        "notes": "",
    }
    data.update(kw)
    return data


@pytest.mark.parametrize("persona", PERSONAS)
def test_edit_school_plan(world: Any, as_user: Any, persona: str) -> None:
    t1, _t2, mine, theirs = world
    plan = SchoolPlan.objects.get(initiative=mine, school=t1.schools[0])
    client = as_user(t1.users[persona])
    url = reverse("initiative_school_plan", args=[mine.pk, t1.schools[0].pk])
    data = _plan_form(owner=str(t1.users["staff"].pk), version=plan.version)
    response = client.post(url, data)
    plan.refresh_from_db()
    if persona in PLAN_EDITORS:
        assert response.status_code == 302
        assert plan.grades == ["KG", "01", "02", "03"] and plan.version == 2
    else:
        assert response.status_code == (403 if persona in READERS else 404)
        assert plan.version == 1
    foreign = reverse("initiative_school_plan", args=[theirs.pk, t1.schools[0].pk])
    assert client.post(foreign, data).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_start_a_plan(world: Any, as_user: Any, persona: str) -> None:
    t1, _t2, mine, _theirs = world
    client = as_user(t1.users[persona])
    # schools[1] is the coordinator's second school; the principal and staff are not there.
    url = reverse("initiative_school_plan", args=[mine.pk, t1.schools[1].pk])
    response = client.post(url, _plan_form())
    created = SchoolPlan.objects.filter(initiative=mine, school=t1.schools[1]).exists()
    if persona in {"network_admin", "coordinator"}:
        assert response.status_code == 302 and created
    else:
        assert response.status_code == (403 if persona in NETWORK_WIDE else 404)
        assert not created


def test_plan_bad_input_keeps_values_and_names_the_problem(world: Any, as_user: Any) -> None:
    t1, _t2, mine, _theirs = world
    plan = SchoolPlan.objects.get(initiative=mine, school=t1.schools[0])
    client = as_user(t1.users["coordinator"])
    url = reverse("initiative_school_plan", args=[mine.pk, t1.schools[0].pk])
    response = client.post(
        url, _plan_form(grades=["KG", "09"], owner_title="Arts Lead", version=plan.version)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "09 is not taught at this school (grades K–5)." in page
    assert 'value="Arts Lead"' in page
    outsider_owner = _plan_form(owner=str(t1.users["partner_admin"].pk), version=plan.version)
    response = client.post(url, outsider_owner)
    assert response.status_code == 400
    assert "Choose someone who works at the school." in response.content.decode()
    stale = client.post(url, _plan_form(version=plan.version + 5))
    assert stale.status_code == 409
    assert "Someone changed this" in stale.content.decode()
    plan.refresh_from_db()
    assert plan.version == 1


@pytest.mark.parametrize("persona", PERSONAS)
def test_add_and_remove_activity(world: Any, as_user: Any, persona: str) -> None:
    t1, _t2, mine, _theirs = world
    plan = SchoolPlan.objects.get(initiative=mine, school=t1.schools[0])
    client = as_user(t1.users[persona])
    response = client.post(
        reverse("initiative_activity_add", args=[plan.pk]),
        {
            "activity-title": "Mural project",
            "activity-grades": ["04", "05"],
            "activity-partners": [str(t1.org_b.pk)],
            "activity-schedule": "Fridays",
            "activity-minutes_per_week": "60",
        },
    )
    existing = Activity.objects.get(plan=plan, title="Dance residency")
    removed = client.post(reverse("initiative_activity_delete", args=[existing.pk]))
    added = Activity.objects.filter(plan=plan, title="Mural project").first()
    if persona in PLAN_EDITORS:
        assert response.status_code == 302 and added is not None
        assert list(added.partners.all()) == [t1.org_b]
        assert removed.status_code == 302
        assert not Activity.objects.filter(pk=existing.pk).exists()
    else:
        expected = 403 if persona in READERS else 404
        assert response.status_code == expected and removed.status_code == expected
        assert added is None


def test_activity_bad_input(world: Any, as_user: Any) -> None:
    t1, t2, mine, _theirs = world
    plan = SchoolPlan.objects.get(initiative=mine, school=t1.schools[0])
    client = as_user(t1.users["coordinator"])
    response = client.post(
        reverse("initiative_activity_add", args=[plan.pk]),
        {
            "activity-title": "Band",
            "activity-grades": ["11"],
            "activity-partners": [str(t2.org_a.pk)],
            "activity-minutes_per_week": "5000",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "11 is not taught at this school" in page
    assert "Choose partners from the network&#x27;s directory." in page
    assert 'value="Band"' in page
    assert not Activity.objects.filter(title="Band").exists()


def test_a_coordinator_adding_grades_updates_the_feeder_view(world: Any, as_user: Any) -> None:
    t1, _t2, mine, _theirs = world
    admin = as_user(t1.users["network_admin"])
    url = reverse("initiative_feeder_patterns", args=[mine.pk])
    before = admin.get(url).content.decode()
    assert "Grades 6–8 at North Network Middle: no plan" in before
    assert f"Grades K–5 at {t1.schools[1].name}: no plan" in before
    coordinator = as_user(t1.users["coordinator"])
    response = coordinator.post(
        reverse("initiative_school_plan", args=[mine.pk, t1.schools[1].pk]),
        _plan_form(grades=["KG", "01", "02", "03", "04", "05"]),
    )
    assert response.status_code == 302
    page = as_user(t1.users["network_admin"]).get(url).content.decode()
    assert f"at {t1.schools[1].name}" not in page.split("School by school")[0]


def test_network_page_query_count(
    world: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    t1, _t2, mine, _theirs = world
    for n in range(5):
        arts_initiative_extra = Initiative.objects.create(
            network=t1.network, name=f"Extra {n}", kind="sel", start_year=2027
        )
        SchoolPlan.objects.create(
            initiative=arts_initiative_extra, school=t1.schools[n], status="active", grades=["06"]
        )
    client = as_user(t1.users["network_admin"])
    url = reverse("network_initiatives", args=[t1.network.slug])
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("initiative_feeder_patterns", args=[mine.pk])).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("initiative_detail", args=[mine.pk])).status_code == 200


@pytest.mark.parametrize("persona", PERSONAS)
def test_change_activity(world: Any, as_user: Any, persona: str) -> None:
    t1, _t2, mine, theirs = world
    activity = Activity.objects.get(plan__initiative=mine, title="Dance residency")
    client = as_user(t1.users[persona])
    url = reverse("initiative_activity_edit", args=[activity.pk])
    page = client.get(url)
    response = client.post(
        url, {"title": "Dance and drumming", "grades": ["05"], "minutes_per_week": "50"}
    )
    activity.refresh_from_db()
    if persona in PLAN_EDITORS:
        assert page.status_code == 200 and 'value="Dance residency"' in page.content.decode()
        assert response.status_code == 302
        assert (activity.title, activity.grades, activity.minutes_per_week) == (
            "Dance and drumming",
            ["05"],
            50,
        )
        assert activity.plan.version == 2
    else:
        expected = 403 if persona in READERS else 404
        assert page.status_code == expected and response.status_code == expected
        assert activity.title == "Dance residency"
    foreign = Activity.objects.filter(plan__initiative=theirs).first()
    assert (
        foreign is None
        or client.get(reverse("initiative_activity_edit", args=[foreign.pk])).status_code == 404
    )


def test_change_activity_bad_input(world: Any, as_user: Any) -> None:
    t1, _t2, mine, _theirs = world
    activity = Activity.objects.get(plan__initiative=mine, title="Dance residency")
    client = as_user(t1.users["coordinator"])
    url = reverse("initiative_activity_edit", args=[activity.pk])
    response = client.post(url, {"title": "Dance", "minutes_per_week": "0"})
    assert response.status_code == 400
    assert "Enter between 1 and 2400 minutes a week." in response.content.decode()
    assert 'value="Dance"' in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_delete_an_initiative_entered_by_mistake(world: Any, as_user: Any, persona: str) -> None:
    t1, t2, arts, _south = world
    mistake = Initiative.objects.create(
        network=t1.network, name="Typo", kind="arts", start_year=2027
    )
    SchoolPlan.objects.create(initiative=mistake, school=t1.schools[0])  # nothing planned yet
    url = reverse("initiative_delete", args=[mistake.pk])
    assert as_user(t2.users[persona]).post(url).status_code == 404
    client = as_user(t1.users[persona])
    got = client.post(url)
    if persona == "network_admin":
        assert got.status_code == 302
        assert got["Location"] == reverse("network_initiatives", args=[t1.network.slug])
        assert not Initiative.objects.filter(pk=mistake.pk).exists()
        # One schools have planned for stays, with a message saying what to do instead.
        kept = client.post(reverse("initiative_delete", args=[arts.pk]), follow=True)
        assert "pause it or mark it complete" in kept.content.decode()
        assert Initiative.objects.filter(pk=arts.pk).exists()
        assert SchoolPlan.objects.filter(initiative=arts).count() == 2
    else:
        assert got.status_code == (403 if persona in READERS else 404)
        assert Initiative.objects.filter(pk=mistake.pk).exists()
