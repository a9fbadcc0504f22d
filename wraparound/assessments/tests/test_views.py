"""The assessment pages for every role: a school's assessments (list, start with copy-forward),
one assessment (needs by pillar, assets, participants, submit), as plain form posts and with htmx;
bad input refused field by field with what was typed kept; a submitted assessment read only."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from wraparound.assessments.models import (
    AssessmentStatus,
    Asset,
    AssetKind,
    Need,
    NeedsAssessment,
    Participant,
    ParticipantRole,
)
from wraparound.assessments.tests.factories import (
    AssetFactory,
    NeedFactory,
    NeedsAssessmentFactory,
    ParticipantFactory,
)
from wraparound.core.models import AuditEvent, SchoolYear
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.models import TaxonomyTerm
from wraparound.directory.taxonomy import taxonomy_ensure_default

EDITORS = {"network_admin", "coordinator", "principal"}
READERS = {"evaluator", "staff", "supervisor", "network_supervisor"}
HIDDEN = {"partner_admin", "partner_staff_a", "partner_staff_b", "coalition_member", "outsider"}
assert set(PERSONAS) == EDITORS | READERS | HIDDEN

HTMX = {"HTTP_HX_REQUEST": "true"}


def make_year(network: Any, end_year: int, *, current: bool = False) -> SchoolYear:
    return SchoolYear.objects.create(
        network=network,
        end_year=end_year,
        start_date=dt.date(end_year - 1, 9, 10),
        end_date=dt.date(end_year, 6, 25),
        is_current=current,
    )


def term(network: Any, code: str) -> TaxonomyTerm:
    return TaxonomyTerm.objects.get(network=network, code=code)


@pytest.fixture
def year(t1: Any) -> SchoolYear:
    taxonomy_ensure_default(network=t1.network)
    return make_year(t1.network, 2027, current=True)


@pytest.fixture
def draft(t1: Any, year: SchoolYear) -> NeedsAssessment:
    return NeedsAssessmentFactory.create(
        school=t1.schools[0], school_year=year, status=AssessmentStatus.DRAFT
    )


def need_data(category: TaxonomyTerm, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": category.pk,
        "severity": "4",
        "tier": "2",
        "students": "35",
        "grade_low": "03",
        "grade_high": "05",
        "languages": ["es", "zh"],
        "after_school": "on",
        "evidence_source": "Attendance records",
        "evidence_figure": "31% chronically absent",
        "notes": "Mostly grade 4.",
    }
    data.update(overrides)
    return data


def add_need_url(assessment: NeedsAssessment, pillar: str = "expanded-learning") -> str:
    return reverse("assessment_need_add", args=[assessment.pk, pillar])


def detail_url(assessment: NeedsAssessment) -> str:
    return reverse("assessment_detail", args=[assessment.pk])


def list_url(school: Any) -> str:
    return reverse("assessment_list", args=[school.pk])


def errors_of(html: str) -> dict[str, str]:
    """Field id → its error message, as the page shows them."""
    return {
        m.group(1): re.sub(r"\s+", " ", m.group(2)).strip()
        for m in re.finditer(r'<p class="error" id="([^"]+)_error">(.*?)</p>', html, re.S)
    }


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


# --- who may open what --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_schools_assessments_by_role(t1, draft, client, persona):
    make_year(t1.network, 2028)  # a year still to start
    response = login(client, t1.users[persona]).get(list_url(t1.schools[0]))
    if persona in HIDDEN:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026-27" in html and "Draft" in html
    assert (reverse("assessment_start", args=[t1.schools[0].pk]) in html) == (persona in EDITORS)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_assessment_page_by_role(t1, draft, client, persona):
    NeedFactory.create(assessment=draft, category=term(t1.network, "tutoring"), students=12)
    response = login(client, t1.users[persona]).get(detail_url(draft))
    if persona in HIDDEN:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tutoring" in html
    assert ("Add a need under" in html) == (persona in EDITORS)
    assert ("Add the participant" in html) == (persona in EDITORS)
    assert ("Submit the assessment" in html) == (persona == "principal")


def test_anonymous_users_are_sent_to_sign_in(t1, draft, client):
    for url in (list_url(t1.schools[0]), detail_url(draft)):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    response = client.post(add_need_url(draft), need_data(term(t1.network, "tutoring")))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not Need.objects.exists()


@pytest.mark.parametrize("persona", ["network_admin", "coordinator", "principal", "evaluator"])
def test_another_tenant_gets_404_everywhere(t1, t2, draft, client, persona):
    need = NeedFactory.create(assessment=draft, category=term(t1.network, "tutoring"))
    login(client, t2.users[persona])
    assert client.get(list_url(t1.schools[0])).status_code == 404
    assert client.get(detail_url(draft)).status_code == 404
    start = reverse("assessment_start", args=[t1.schools[0].pk])
    assert client.post(start, {"school_year": draft.school_year.pk}).status_code == 404
    tutoring = term(t1.network, "tutoring")
    assert client.post(add_need_url(draft), need_data(tutoring)).status_code == 404
    edit = reverse("assessment_need_edit", args=[draft.pk, need.pk])
    assert client.get(edit).status_code == 404
    delete = reverse("assessment_need_delete", args=[draft.pk, need.pk])
    assert client.post(delete).status_code == 404
    assert client.post(reverse("assessment_submit", args=[draft.pk])).status_code == 404
    assert Need.objects.count() == 1


def test_a_coordinator_does_not_see_another_schools_assessment(t1, year, client):
    other = NeedsAssessmentFactory.create(school=t1.schools[2], school_year=year)
    login(client, t1.users["coordinator"])
    assert client.get(detail_url(other)).status_code == 404
    assert client.get(list_url(t1.schools[2])).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_add_a_need(t1, draft, client, persona):
    tutoring = term(t1.network, "tutoring")
    response = login(client, t1.users[persona]).post(add_need_url(draft), need_data(tutoring))
    if persona in EDITORS:
        assert response.status_code == 302
        assert response.url == detail_url(draft) + "#pillar-expanded-learning"
        assert Need.objects.filter(assessment=draft).count() == 1
    else:
        assert response.status_code == (403 if persona in READERS else 404)
        assert not Need.objects.exists()


@pytest.mark.parametrize("persona", sorted(READERS | HIDDEN))
def test_readers_and_strangers_change_nothing(t1, draft, client, persona):
    need = NeedFactory.create(assessment=draft, category=term(t1.network, "tutoring"))
    asset = AssetFactory.create(assessment=draft, category=term(t1.network, "tutoring"))
    participant = ParticipantFactory.create(assessment=draft)
    expected = 403 if persona in READERS else 404
    login(client, t1.users[persona])
    posts = [
        (reverse("assessment_need_edit", args=[draft.pk, need.pk]), {"severity": "1"}),
        (reverse("assessment_need_delete", args=[draft.pk, need.pk]), {}),
        (reverse("assessment_asset_add", args=[draft.pk]), {"name": "X"}),
        (reverse("assessment_asset_edit", args=[draft.pk, asset.pk]), {"name": "X"}),
        (reverse("assessment_asset_delete", args=[draft.pk, asset.pk]), {}),
        (reverse("assessment_participant_add", args=[draft.pk]), {"name": "X"}),
        (reverse("assessment_participant_delete", args=[draft.pk, participant.pk]), {}),
        (reverse("assessment_start", args=[t1.schools[0].pk]), {}),
        (reverse("assessment_submit", args=[draft.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == expected, url
    assert client.get(reverse("assessment_need_edit", args=[draft.pk, need.pk])).status_code == (
        expected
    )
    assert (Need.objects.count(), Asset.objects.count(), Participant.objects.count()) == (1, 1, 1)
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.DRAFT


def test_the_school_page_links_to_its_assessments(t1, draft, client):
    login(client, t1.users["staff"])
    response = client.get(reverse("school_detail", args=[t1.schools[0].pk]))
    assert list_url(t1.schools[0]) in response.content.decode()


# --- starting an assessment -----------------------------------------------------------------------


def test_the_start_form_offers_the_current_year_first(t1, year, client):
    make_year(t1.network, 2026)
    html = login(client, t1.users["coordinator"]).get(list_url(t1.schools[0])).content.decode()
    assert f'<option value="{year.pk}" selected>2026-27</option>' in html
    assert "2025-26" in html
    assert "Copy last year" not in html  # nothing to copy yet


def test_a_coordinator_starts_this_years_assessment(t1, year, client):
    response = login(client, t1.users["coordinator"]).post(
        reverse("assessment_start", args=[t1.schools[0].pk]), {"school_year": year.pk}
    )
    assessment = NeedsAssessment.objects.get()
    assert response.status_code == 302 and response.url == detail_url(assessment)
    assert (assessment.school, assessment.school_year) == (t1.schools[0], year)
    assert assessment.status == AssessmentStatus.DRAFT
    assert AuditEvent.objects.filter(action="assessment.start").count() == 1
    follow = client.get(response.url)
    assert "The 2026-27 assessment is started." in follow.content.decode()


def test_copy_forward_through_the_page(t1, year, client):
    last = NeedsAssessmentFactory.create(
        school=t1.schools[0], school_year=make_year(t1.network, 2026)
    )
    NeedFactory.create(assessment=last, category=term(t1.network, "tutoring"), students=30)
    AssetFactory.create(assessment=last, category=term(t1.network, "tutoring"), name="Tutor")
    ParticipantFactory.create(assessment=last, name="Family survey", count=80)
    login(client, t1.users["principal"])
    assert "Copy last year" in client.get(list_url(t1.schools[0])).content.decode()
    response = client.post(
        reverse("assessment_start", args=[t1.schools[0].pk]),
        {"school_year": year.pk, "copy_forward": "on"},
    )
    this = NeedsAssessment.objects.get(school_year=year)
    assert response.status_code == 302
    assert this.copied_from == last
    assert [n.students for n in this.needs.all()] == [30]
    assert [a.name for a in this.assets.all()] == ["Tutor"]
    assert [(p.name, p.count) for p in this.participants.all()] == [("Family survey", 80)]
    assert "Copied forward from 2025-26." in client.get(response.url).content.decode()


def test_copy_forward_with_nothing_to_copy_is_a_field_error(t1, year, client):
    response = login(client, t1.users["coordinator"]).post(
        reverse("assessment_start", args=[t1.schools[0].pk]),
        {"school_year": year.pk, "copy_forward": "on"},
    )
    assert response.status_code == 400
    errors = errors_of(response.content.decode())
    assert "no earlier assessment" in errors["id_copy_forward"]
    assert not NeedsAssessment.objects.exists()


def test_start_refuses_a_year_of_another_network_or_one_already_assessed(t1, t2, draft, client):
    login(client, t1.users["coordinator"])
    url = reverse("assessment_start", args=[t1.schools[0].pk])
    for bad in (make_year(t2.network, 2027).pk, draft.school_year.pk, "abc"):
        response = client.post(url, {"school_year": bad})
        assert response.status_code == 400
        assert (
            "Choose one of the school years listed."
            in errors_of(response.content.decode())["id_school_year"]
        )
    assert NeedsAssessment.objects.count() == 1


def test_when_every_year_has_an_assessment_the_page_says_so(t1, draft, client):
    html = login(client, t1.users["coordinator"]).get(list_url(t1.schools[0])).content.decode()
    assert "Every school year of the network has an assessment" in html


# --- needs ----------------------------------------------------------------------------------------


def test_a_need_is_added_with_every_field(t1, draft, client):
    login(client, t1.users["coordinator"])
    tutoring = term(t1.network, "tutoring")
    response = client.post(add_need_url(draft), need_data(tutoring))
    assert response.status_code == 302
    need = Need.objects.get()
    assert (need.category, need.severity, need.tier, need.students) == (tutoring, 4, 2, 35)
    assert (need.grade_low, need.grade_high, need.languages) == ("03", "05", "es,zh")
    assert need.timings == ["after_school"]
    assert (need.evidence_source, need.evidence_figure) == (
        "Attendance records",
        "31% chronically absent",
    )
    html = client.get(response.url).content.decode()
    assert "Need added: Tutoring." in html
    section = html.split('id="pillar-expanded-learning"')[1].split("</section>")[0]
    assert "Tutoring" in section and "Spanish, Chinese" in section and "After school" in section
    assert AuditEvent.objects.filter(action="assessment.need_create").count() == 1


def test_impossible_values_are_refused_field_by_field_and_what_was_typed_is_kept(
    t1, t2, draft, client
):
    taxonomy_ensure_default(network=t2.network)
    login(client, t1.users["coordinator"])
    data = need_data(
        term(t2.network, "tutoring"),
        severity="9",
        students="0",
        grade_low="08",
        grade_high="03",
        evidence_source="Family survey, spring",
        notes="Typed with care",
    )
    response = client.post(add_need_url(draft), data)
    assert response.status_code == 400
    html = response.content.decode()
    errors = errors_of(html)
    p = "add-expanded-learning-"
    assert errors[p + "category"] == "Choose one of the categories listed."
    assert errors[p + "severity"] == "Choose a severity from 1 to 5."
    assert errors[p + "students"] == "Give at least 1 student."
    assert errors[p + "grade_high"] == "The highest grade comes before the lowest grade."
    assert "nothing was saved" in html
    # what was typed is still there
    assert 'value="Family survey, spring"' in html
    assert re.search(r'name="students" value="0"', html)
    assert '<option value="08" selected>' in html and '<option value="03" selected>' in html
    assert "Typed with care" in html
    assert re.search(r'value="es" id="add-expanded-learning-languages_\d+" checked', html)
    assert re.search(r'<details class="add" open>\s*<summary>Add a need under Expanded', html)
    assert not Need.objects.exists()


def test_a_category_of_another_pillar_is_not_a_choice(t1, draft, client):
    login(client, t1.users["coordinator"])
    response = client.post(
        add_need_url(draft, "integrated-student-supports"),
        need_data(term(t1.network, "tutoring")),
    )
    assert response.status_code == 400
    errors = errors_of(response.content.decode())
    assert errors["add-integrated-student-supports-category"] == (
        "Choose one of the categories listed."
    )


def test_an_unknown_pillar_is_404(t1, draft, client):
    login(client, t1.users["coordinator"])
    response = client.post(add_need_url(draft, "nope"), need_data(term(t1.network, "tutoring")))
    assert response.status_code == 404


def test_a_need_is_added_in_place_with_htmx(t1, draft, client):
    login(client, t1.users["coordinator"])
    response = client.post(add_need_url(draft), need_data(term(t1.network, "tutoring")), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="needs">') and "<html" not in html
    assert "Need added: Tutoring." in html
    # the pillar's add form stays open for the next need, empty
    assert re.search(r'<details class="add" open>\s*<summary>Add a need under Expanded', html)
    assert Need.objects.count() == 1


def test_bad_input_with_htmx_answers_the_form_again_with_its_errors(t1, draft, client):
    login(client, t1.users["coordinator"])
    data = need_data(term(t1.network, "tutoring"), students="0")
    response = client.post(add_need_url(draft), data, **HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert html.startswith('<div id="needs">')
    assert errors_of(html)["add-expanded-learning-students"] == "Give at least 1 student."
    assert not Need.objects.exists()


def test_a_need_is_edited(t1, draft, client):
    need = NeedFactory.create(
        assessment=draft, category=term(t1.network, "tutoring"), languages="es", students=10
    )
    login(client, t1.users["coordinator"])
    url = reverse("assessment_need_edit", args=[draft.pk, need.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Edit the need: Tutoring" in html and 'value="10"' in html
    assert re.search(r'value="es" id="need-\d+-languages_\d+" checked', html)
    data = need_data(term(t1.network, "mentoring"), students="60", languages=["ht"])
    response = client.post(url, data)
    assert response.status_code == 302 and response.url.endswith(f"#need-{need.pk}")
    need.refresh_from_db()
    assert (need.category.code, need.students, need.languages) == ("mentoring", 60, "ht")
    event = AuditEvent.objects.get(action="assessment.need_update")
    assert {"category", "students", "languages"} <= set(event.data["changed"])


def test_a_bad_edit_keeps_what_was_typed(t1, draft, client):
    need = NeedFactory.create(assessment=draft, category=term(t1.network, "tutoring"))
    login(client, t1.users["coordinator"])
    url = reverse("assessment_need_edit", args=[draft.pk, need.pk])
    data = need_data(term(t1.network, "tutoring"), severity="0", evidence_figure="about 40")
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert errors_of(html)[f"need-{need.pk}-severity"] == "Choose a severity from 1 to 5."
    assert 'value="about 40"' in html
    need.refresh_from_db()
    assert need.severity == 3


def test_a_need_is_edited_in_place_with_htmx(t1, draft, client):
    need = NeedFactory.create(assessment=draft, category=term(t1.network, "tutoring"))
    login(client, t1.users["coordinator"])
    url = reverse("assessment_need_edit", args=[draft.pk, need.pk])
    row = client.get(url, **HTMX)
    assert row.status_code == 200
    html = row.content.decode()
    assert html.startswith(f'<tr id="need-{need.pk}" class="editing">')
    bad = client.post(url, need_data(term(t1.network, "tutoring"), students="0"), **HTMX)
    assert bad.status_code == 400
    html = bad.content.decode()
    assert html.startswith('<div id="needs">')
    assert f'<tr id="need-{need.pk}" class="editing">' in html
    assert errors_of(html)[f"need-{need.pk}-students"] == "Give at least 1 student."
    good = client.post(url, need_data(term(t1.network, "tutoring"), students="77"), **HTMX)
    assert good.status_code == 200
    assert "Need saved: Tutoring." in good.content.decode()
    need.refresh_from_db()
    assert need.students == 77


def test_a_need_is_deleted(t1, draft, client):
    need = NeedFactory.create(assessment=draft, category=term(t1.network, "tutoring"))
    login(client, t1.users["principal"])
    response = client.post(reverse("assessment_need_delete", args=[draft.pk, need.pk]))
    assert response.status_code == 302
    assert not Need.objects.exists()
    assert AuditEvent.objects.filter(action="assessment.need_delete").count() == 1


def test_a_need_of_another_assessment_is_404(t1, draft, year, client):
    other = NeedsAssessmentFactory.create(
        school=t1.schools[1], school_year=year, status=AssessmentStatus.DRAFT
    )
    need = NeedFactory.create(assessment=other, category=term(t1.network, "tutoring"))
    login(client, t1.users["coordinator"])  # coordinates both schools
    assert client.get(reverse("assessment_need_edit", args=[draft.pk, need.pk])).status_code == 404
    response = client.post(reverse("assessment_need_delete", args=[draft.pk, need.pk]))
    assert response.status_code == 404
    assert Need.objects.filter(pk=need.pk).exists()


def test_a_need_under_no_pillar_is_still_listed(t1, draft, client):
    loose = TaxonomyTerm.objects.create(network=t1.network, name="Imported category", code="x")
    NeedFactory.create(assessment=draft, category=loose)
    html = login(client, t1.users["evaluator"]).get(detail_url(draft)).content.decode()
    assert "Other categories" in html and "Imported category" in html


# --- assets and participants ----------------------------------------------------------------------


def test_assets_are_added_edited_and_deleted(t1, draft, client):
    login(client, t1.users["coordinator"])
    counseling = term(t1.network, "counseling")
    add = reverse("assessment_asset_add", args=[draft.pk])
    data = {"kind": "staff", "category": counseling.pk, "name": "School counselor", "students": 40}
    response = client.post(add, data)
    assert response.status_code == 302 and response.url.endswith("#assets")
    asset = Asset.objects.get()
    assert (asset.kind, asset.category, asset.students) == (AssetKind.STAFF, counseling, 40)
    assert "School counselor" in client.get(detail_url(draft)).content.decode()

    edit = reverse("assessment_asset_edit", args=[draft.pk, asset.pk])
    assert 'value="School counselor"' in client.get(edit).content.decode()
    assert client.get(edit, **HTMX).content.decode().startswith(f'<tr id="asset-{asset.pk}"')
    response = client.post(edit, {**data, "name": "Two counselors", "students": 80}, **HTMX)
    assert (
        response.status_code == 200 and "Asset saved: Two counselors." in response.content.decode()
    )
    asset.refresh_from_db()
    assert (asset.name, asset.students) == ("Two counselors", 80)

    response = client.post(reverse("assessment_asset_delete", args=[draft.pk, asset.pk]))
    assert response.status_code == 302
    assert not Asset.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"assessment.asset_create", "assessment.asset_update", "assessment.asset_delete"} <= (
        actions
    )


def test_bad_assets_are_refused_field_by_field(t1, t2, draft, client):
    taxonomy_ensure_default(network=t2.network)
    login(client, t1.users["coordinator"])
    data = {
        "kind": "robot",
        "category": term(t2.network, "counseling").pk,
        "name": "",
        "students": -1,
    }
    response = client.post(reverse("assessment_asset_add", args=[draft.pk]), data)
    assert response.status_code == 400
    errors = errors_of(response.content.decode())
    assert set(errors) == {
        "asset-add-kind",
        "asset-add-category",
        "asset-add-name",
        "asset-add-students",
    }
    assert errors["asset-add-students"] == "The number of students cannot be negative."
    assert 'value="-1"' in response.content.decode()
    assert not Asset.objects.exists()


def test_participants_are_added_and_removed(t1, draft, client):
    login(client, t1.users["coordinator"])
    add = reverse("assessment_participant_add", args=[draft.pk])
    response = client.post(add, {"role": "family", "name": "Family survey", "count": 85}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<section class="card" id="participants"')
    assert "Family survey" in html and "Participant added: Family survey." in html
    participant = Participant.objects.get()
    assert (participant.role, participant.count) == (ParticipantRole.FAMILY, 85)
    bad = client.post(add, {"role": "family", "name": "Teachers", "count": 0})
    assert bad.status_code == 400
    assert errors_of(bad.content.decode())["participant-add-count"] == (
        "At least 1 person took part."
    )
    assert 'value="Teachers"' in bad.content.decode()
    delete = reverse("assessment_participant_delete", args=[draft.pk, participant.pk])
    assert client.post(delete).status_code == 302
    assert not Participant.objects.exists()


# --- submitting ----------------------------------------------------------------------------------


def test_the_principal_cannot_submit_an_empty_assessment(t1, draft, client):
    login(client, t1.users["principal"])
    response = client.post(reverse("assessment_submit", args=[draft.pk]), follow=True)
    html = response.content.decode()
    assert "Record at least one need." in html and "Record who took part." in html
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.DRAFT


@pytest.mark.parametrize("persona", ["coordinator", "network_admin"])
def test_only_the_principal_submits(t1, draft, client, persona):
    NeedFactory.create(assessment=draft, category=term(t1.network, "tutoring"))
    ParticipantFactory.create(assessment=draft)
    response = login(client, t1.users[persona]).post(reverse("assessment_submit", args=[draft.pk]))
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.DRAFT


@pytest.fixture
def submitted(t1: Any, draft: NeedsAssessment, client: Client) -> NeedsAssessment:
    NeedFactory.create(assessment=draft, category=term(t1.network, "tutoring"))
    AssetFactory.create(assessment=draft, category=term(t1.network, "tutoring"))
    ParticipantFactory.create(assessment=draft, name="Ms. Principal")
    principal = t1.users["principal"]
    principal.first_name, principal.last_name = "Paula", "Nguyen"
    principal.save()
    response = login(client, principal).post(reverse("assessment_submit", args=[draft.pk]))
    assert response.status_code == 302
    client.logout()
    draft.refresh_from_db()
    return draft


def test_a_submitted_assessment_shows_who_submitted_it(t1, submitted, client):
    assert submitted.status == AssessmentStatus.SUBMITTED
    html = login(client, t1.users["staff"]).get(detail_url(submitted)).content.decode()
    assert "Submitted by Paula Nguyen on" in html
    listing = client.get(list_url(t1.schools[0])).content.decode()
    assert "Submitted" in listing and "Paula Nguyen" in listing


@pytest.mark.parametrize("persona", sorted(EDITORS))
def test_a_submitted_assessment_is_read_only_for_everyone(t1, submitted, client, persona):
    login(client, t1.users[persona])
    html = client.get(detail_url(submitted)).content.decode()
    assert "It is read only." in html
    for absent in ("Add a need under", "Add an asset", "Add the participant", "Submit the"):
        assert absent not in html
    assert "assessment_need_edit" not in html and "/edit/" not in html
    need, asset = submitted.needs.get(), submitted.assets.get()
    participant = submitted.participants.get()
    posts = [
        (add_need_url(submitted), need_data(term(t1.network, "tutoring"))),
        (reverse("assessment_need_edit", args=[submitted.pk, need.pk]), need_data(need.category)),
        (reverse("assessment_need_delete", args=[submitted.pk, need.pk]), {}),
        (
            reverse("assessment_asset_add", args=[submitted.pk]),
            {"kind": "staff", "category": need.category_id, "name": "New", "students": 1},
        ),
        (reverse("assessment_asset_delete", args=[submitted.pk, asset.pk]), {}),
        (
            reverse("assessment_participant_add", args=[submitted.pk]),
            {"role": "staff", "name": "New", "count": 1},
        ),
        (reverse("assessment_participant_delete", args=[submitted.pk, participant.pk]), {}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 302 and response.url == detail_url(submitted), url
    follow = client.get(detail_url(submitted)).content.decode()
    assert "it is read only and can no longer be changed" in follow
    edit = client.get(reverse("assessment_need_edit", args=[submitted.pk, need.pk]))
    assert edit.status_code == 302
    htmx = client.post(reverse("assessment_need_delete", args=[submitted.pk, need.pk]), **HTMX)
    assert htmx["HX-Redirect"] == detail_url(submitted)
    assert (Need.objects.count(), Asset.objects.count(), Participant.objects.count()) == (1, 1, 1)


# --- what the page shows, and what it costs -------------------------------------------------------


def test_the_school_data_beside_the_form(t1, draft, client):
    school = t1.schools[0]
    school.enrollment = 512
    school.chronic_absenteeism_rate = Decimal("0.3125")
    school.share_english_learners = None
    school.save()
    html = login(client, t1.users["coordinator"]).get(detail_url(draft)).content.decode()
    aside = html.split('id="school-data-h"')[1].split("</section>")[0]
    assert "<dd>512</dd>" in aside
    assert "<dt>Chronically absent</dt><dd>31%</dd>" in aside
    assert "<dt>English learners</dt><dd>not known</dd>" in aside
    assert "Need index" in aside


def test_the_page_links_to_gaps_and_recommendations(t1, draft, client):
    html = login(client, t1.users["coordinator"]).get(detail_url(draft)).content.decode()
    gaps = reverse("school_gaps", args=[t1.schools[0].pk])
    assert f'href="{gaps}?year=2027"' in html


def test_the_assessment_page_costs_a_bounded_number_of_queries(
    t1, draft, client, django_assert_max_num_queries
):
    codes = ["tutoring", "mentoring", "counseling", "food", "family-support", "data-evaluation"]
    for i in range(10):
        NeedFactory.create(assessment=draft, category=term(t1.network, codes[i % len(codes)]))
    for i in range(5):
        AssetFactory.create(assessment=draft, category=term(t1.network, codes[i]))
        ParticipantFactory.create(assessment=draft)
    login(client, t1.users["coordinator"])
    with django_assert_max_num_queries(15):  # 9 today
        response = client.get(detail_url(draft))
    assert response.status_code == 200
    assert response.content.decode().count('class="actions"') == 20


def test_the_list_costs_a_bounded_number_of_queries(t1, client, django_assert_max_num_queries):
    for end_year in range(2020, 2028):
        a = NeedsAssessmentFactory.create(
            school=t1.schools[0], school_year=make_year(t1.network, end_year)
        )
        NeedFactory.create(assessment=a)
        ParticipantFactory.create(assessment=a)
    login(client, t1.users["coordinator"])
    with django_assert_max_num_queries(15):
        response = client.get(list_url(t1.schools[0]))
    assert response.status_code == 200
    assert response.content.decode().count('<th scope="row">') == 8


def test_the_pages_only_answer_get(t1, draft, client):
    login(client, t1.users["coordinator"])
    assert client.post(detail_url(draft)).status_code == 405
    assert client.post(list_url(t1.schools[0])).status_code == 405
    assert client.get(add_need_url(draft)).status_code == 405
