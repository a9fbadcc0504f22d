"""The assessment forms: what a person can get wrong while typing is refused beside the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from wraparound.assessments.forms import AssetForm, NeedForm, ParticipantForm, StartForm
from wraparound.assessments.selectors import categories
from wraparound.assessments.tests.factories import NeedFactory
from wraparound.core.models import SchoolYear
from wraparound.directory.models import TaxonomyTerm
from wraparound.directory.taxonomy import taxonomy_ensure_default


@pytest.fixture
def cats(t1: Any) -> Any:
    taxonomy_ensure_default(network=t1.network)
    return categories(t1.network.pk)


def need_form(cats: Any, data: dict[str, Any], pillar: str = "expanded-learning") -> NeedForm:
    choices = cats.pillar(pillar).categories
    return NeedForm(data, category_choices=choices, terms=cats.terms)


def tutoring(t1: Any) -> TaxonomyTerm:
    return TaxonomyTerm.objects.get(network=t1.network, code="tutoring")


def test_the_pillars_come_in_order_with_their_categories(cats):
    assert [p.code for p in cats.pillars] == [
        "integrated-student-supports",
        "expanded-learning",
        "family-engagement",
        "collaborative-leadership",
    ]
    labels = [label for _id, label in cats.pillar("integrated-student-supports").categories]
    assert "Health › Dental care" in labels and "Tutoring" not in labels
    assert labels.index("Health") < labels.index("Health › Dental care") < labels.index("Legal aid")


def test_a_sound_need(t1, cats):
    form = need_form(
        cats,
        {
            "category": tutoring(t1).pk,
            "severity": "5",
            "tier": "3",
            "students": "12",
            "grade_low": "KG",
            "grade_high": "02",
            "languages": ["es", "ht"],
            "weekend": "on",
        },
    )
    assert form.is_valid(), form.errors
    data = form.data_for_service()
    assert data["category"] == tutoring(t1)
    assert (data["severity"], data["tier"], data["students"]) == (5, 3, 12)
    assert data["languages"] == ["es", "ht"]
    assert (data["weekend"], data["summer"]) == (True, False)


def test_impossible_values_are_refused_field_by_field(t1, t2, cats):
    taxonomy_ensure_default(network=t2.network)
    other = TaxonomyTerm.objects.get(network=t2.network, code="tutoring")
    form = need_form(
        cats,
        {
            "category": other.pk,
            "severity": "9",
            "tier": "4",
            "students": "0",
            "grade_low": "08",
            "grade_high": "03",
            "languages": ["xx"],
        },
    )
    assert not form.is_valid()
    assert form.errors == {
        "category": ["Choose one of the categories listed."],
        "severity": ["Choose a severity from 1 to 5."],
        "tier": ["Choose tier 1, 2 or 3."],
        "students": ["Give at least 1 student."],
        "grade_high": ["The highest grade comes before the lowest grade."],
        "languages": ["Choose languages from the list."],
    }


def test_required_fields_and_too_many_students(cats):
    form = need_form(cats, {"students": "100001"})
    assert not form.is_valid()
    assert set(form.errors) == {"category", "severity", "tier", "students"}
    assert form.errors["students"] == ["Give at most 100,000 students."]


def test_a_category_of_another_pillar_is_not_a_choice(t1, cats):
    form = need_form(cats, {"category": tutoring(t1).pk}, pillar="family-engagement")
    assert not form.is_valid()
    assert form.errors["category"] == ["Choose one of the categories listed."]


def test_one_grade_alone_is_allowed(t1, cats):
    data = {"category": tutoring(t1).pk, "severity": "2", "tier": "1", "students": "300"}
    assert need_form(cats, {**data, "grade_low": "06"}).is_valid()


def test_initial_values_from_a_need(t1, cats):
    need = NeedFactory.create(category=tutoring(t1), languages="es,zh", summer=True)
    initial = NeedForm.initial_from(need)
    assert initial["category"] == tutoring(t1).pk
    assert initial["languages"] == ["es", "zh"]
    assert initial["summer"] is True


def test_an_error_is_tied_to_its_field_for_screen_readers(t1, cats):
    form = need_form(cats, {"category": tutoring(t1).pk, "students": "0"})
    form.is_valid()
    html = str(form["students"])
    assert 'aria-invalid="true"' in html
    assert "id_students_helptext id_students_error" in html


def test_asset_form(t1, cats):
    grouped = cats.grouped()
    ok = AssetForm(
        {"kind": "program", "category": tutoring(t1).pk, "name": " Reading club ", "students": 0},
        category_choices=grouped,
        terms=cats.terms,
    )
    assert ok.is_valid(), ok.errors
    assert ok.data_for_service()["students"] == 0
    bad = AssetForm(
        {"kind": "robot", "category": "x", "name": "", "students": "-3"},
        category_choices=grouped,
        terms=cats.terms,
    )
    assert not bad.is_valid()
    assert set(bad.errors) == {"kind", "category", "name", "students"}


def test_participant_form():
    assert ParticipantForm({"role": "student", "name": "Student council", "count": 6}).is_valid()
    bad = ParticipantForm({"role": "mayor", "name": "", "count": 0})
    assert not bad.is_valid()
    assert set(bad.errors) == {"role", "name", "count"}


def test_start_form_offers_only_the_years_given(t1):
    year = SchoolYear.objects.create(
        network=t1.network,
        end_year=2027,
        start_date=dt.date(2026, 9, 1),
        end_date=dt.date(2027, 6, 1),
    )
    form = StartForm({"school_year": str(year.pk)}, years=[year])
    assert form.is_valid() and form.chosen_year() == year
    assert not StartForm({"school_year": str(year.pk + 1)}, years=[year]).is_valid()
