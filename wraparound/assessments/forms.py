"""Forms of the assessment pages. A form checks what a person can get wrong while typing (and says
so beside the field); the services check the rest with the model's own validation. A form never
saves anything: the view hands its `data()` to a service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.core.grades import GRADE_ORDER, Grade
from wraparound.core.models import SchoolYear
from wraparound.directory.models import TIMING_FIELDS, TaxonomyTerm
from wraparound.directory.search import LANGUAGE_NAMES, TIMING_LABELS

from .models import AssetKind, ParticipantRole, Tier
from .services import ASSET_FIELDS, NEED_FIELDS, PARTICIPANT_FIELDS

Choices = list[tuple[Any, Any]]

SEVERITY_CHOICES = [
    (1, _("1 — minor")),
    (2, _("2")),
    (3, _("3 — serious")),
    (4, _("4")),
    (5, _("5 — critical")),
]


class StartForm(forms.Form):
    school_year = forms.TypedChoiceField(
        label=_("School year"),
        coerce=int,
        error_messages={"invalid_choice": _("Choose one of the school years listed.")},
    )
    copy_forward = forms.BooleanField(
        label=_("Copy last year’s needs, assets and participants forward, to be revised"),
        required=False,
    )

    def __init__(self, *args: Any, years: list[SchoolYear], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.years = {y.pk: y for y in years}
        self.fields["school_year"].choices = [(y.pk, y.label) for y in years]  # type: ignore[attr-defined]

    def chosen_year(self) -> SchoolYear:
        return self.years[self.cleaned_data["school_year"]]


class _CategoryForm(forms.Form):
    """A form with a `category` chosen among terms the view allows (already loaded: validating
    the choice costs no query, and a term of another network is simply not a choice)."""

    category = forms.TypedChoiceField(
        label=_("Category"),
        coerce=int,
        error_messages={"invalid_choice": _("Choose one of the categories listed.")},
    )

    def __init__(
        self,
        *args: Any,
        category_choices: Choices,
        terms: dict[int, TaxonomyTerm],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.terms = terms
        self.fields["category"].choices = [("", _("Choose…")), *category_choices]  # type: ignore[attr-defined]

    def clean_category(self) -> TaxonomyTerm:
        value = self.cleaned_data["category"]
        term = self.terms.get(value)
        if term is None:
            raise forms.ValidationError(_("Choose one of the categories listed."))
        return term


class NeedForm(_CategoryForm):
    severity = forms.TypedChoiceField(
        label=_("Severity"),
        coerce=int,
        choices=[("", _("Choose…")), *SEVERITY_CHOICES],
        help_text=_("How serious the need is, from 1 (minor) to 5 (critical)."),
        error_messages={"invalid_choice": _("Choose a severity from 1 to 5.")},
    )
    tier = forms.TypedChoiceField(
        label=_("Tier"),
        coerce=int,
        choices=Tier.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose tier 1, 2 or 3.")},
    )
    students = forms.IntegerField(
        label=_("Students to serve"),
        min_value=1,
        max_value=100_000,
        help_text=_("How many students need this (at least 1)."),
        error_messages={
            "min_value": _("Give at least 1 student."),
            "max_value": _("Give at most 100,000 students."),
        },
    )
    grade_low = forms.ChoiceField(label=_("Lowest grade"), required=False)
    grade_high = forms.ChoiceField(label=_("Highest grade"), required=False)
    languages = forms.MultipleChoiceField(
        label=_("Languages services must offer"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose languages from the list.")},
    )
    during_school_day = forms.BooleanField(label=TIMING_LABELS["during_school_day"], required=False)
    after_school = forms.BooleanField(label=TIMING_LABELS["after_school"], required=False)
    weekend = forms.BooleanField(label=TIMING_LABELS["weekend"], required=False)
    summer = forms.BooleanField(label=TIMING_LABELS["summer"], required=False)
    virtual = forms.BooleanField(label=TIMING_LABELS["virtual"], required=False)
    evidence_source = forms.CharField(
        label=_("Data source"),
        max_length=200,
        required=False,
        help_text=_("e.g. attendance records, family survey, school climate survey"),
    )
    evidence_figure = forms.CharField(
        label=_("Figure"),
        max_length=200,
        required=False,
        help_text=_("e.g. 31% of students chronically absent"),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        grades = [("", _("Any")), *[(code, Grade(code).label) for code in GRADE_ORDER]]
        self.fields["grade_low"].choices = grades  # type: ignore[attr-defined]
        self.fields["grade_high"].choices = grades  # type: ignore[attr-defined]
        self.fields["languages"].choices = sorted(  # type: ignore[attr-defined]
            ((code, str(name)) for code, name in LANGUAGE_NAMES.items()), key=lambda c: c[1]
        )
        self.fields["students"].widget.attrs.update({"inputmode": "numeric"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("grade_low"), data.get("grade_high")
        if low and high and GRADE_ORDER[low] > GRADE_ORDER[high]:
            self.add_error("grade_high", _("The highest grade comes before the lowest grade."))
        return data

    def timing_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in TIMING_FIELDS]

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in NEED_FIELDS}

    @staticmethod
    def initial_from(need: Any) -> dict[str, Any]:
        initial = {name: getattr(need, name) for name in NEED_FIELDS if name != "category"}
        initial["category"] = need.category_id
        initial["languages"] = [c for c in need.languages.split(",") if c]
        return initial


class AssetForm(_CategoryForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("Choose…")), *AssetKind.choices])
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("e.g. the school counselor, a reading program, a partner not in the directory"),
    )
    students = forms.IntegerField(
        label=_("Students served"),
        min_value=0,
        max_value=100_000,
        initial=0,
        help_text=_("How many students it serves now: a gap subtracts them from a need."),
        error_messages={
            "min_value": _("The number of students cannot be negative."),
            "max_value": _("Give at most 100,000 students."),
        },
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    field_order = ["kind", "category", "name", "students", "notes"]

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ASSET_FIELDS}

    @staticmethod
    def initial_from(asset: Any) -> dict[str, Any]:
        initial = {name: getattr(asset, name) for name in ASSET_FIELDS if name != "category"}
        initial["category"] = asset.category_id
        return initial


class ParticipantForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("Choose…")), *ParticipantRole.choices]
    )
    name = forms.CharField(
        label=_("Name or group"),
        max_length=200,
        help_text=_("A person’s name, or a group such as “Family survey”"),
    )
    count = forms.IntegerField(
        label=_("How many"),
        min_value=1,
        max_value=100_000,
        initial=1,
        error_messages={"min_value": _("At least 1 person took part.")},
    )

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PARTICIPANT_FIELDS}
