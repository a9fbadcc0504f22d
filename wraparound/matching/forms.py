"""Forms of the network admin's matching pages. They parse and keep what was typed; the rules
(limits of an assignment, the weights' sum) are the services' and come back as field errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.core.models import SchoolYear, UnclearedServices


class GapMapFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("School year"), required=False, coerce=int)
    community = forms.TypedChoiceField(
        label=_("Community"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        years: list[SchoolYear],
        communities: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y.end_year, y.label) for y in years]  # type: ignore[attr-defined]
        self.fields["community"].choices = [("", _("All communities")), *communities]  # type: ignore[attr-defined]


class RunForm(forms.Form):
    school_year = forms.ModelChoiceField(
        label=_("School year"),
        queryset=SchoolYear.objects.none(),
        empty_label=None,
        help_text=_("The needs of this year's submitted assessments are planned."),
    )

    def __init__(self, *args: Any, years: list[SchoolYear], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["school_year"]
        field.queryset = SchoolYear.objects.filter(pk__in=[y.pk for y in years]).order_by(  # type: ignore[attr-defined]
            "-end_year"
        )
        field.label_from_instance = lambda y: y.label  # type: ignore[attr-defined]


class ItemForm(forms.Form):
    """One assignment of the optimal plan: how many students, or leave it out."""

    units = forms.IntegerField(label=_("Students"), min_value=0, max_value=100_000, required=False)
    leave_out = forms.BooleanField(label=_("Leave out"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("leave_out") and data.get("units") is None and "units" not in self.errors:
            self.add_error("units", _("Enter how many students, or leave the assignment out."))
        return data


def _weight(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=6,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "0.05", "inputmode": "decimal"}),
    )


class MatchingSettingsForm(forms.Form):
    economically_disadvantaged = _weight(_("Economically disadvantaged"))
    english_learners = _weight(_("English learners"))
    students_with_disabilities = _weight(_("Students with disabilities"))
    chronic_absenteeism = _weight(_("Chronic absenteeism"))
    distance_km = forms.DecimalField(
        label=_("Services serve schools within (km)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=1,
        help_text=_(
            "A service with a location this close to a school counts as serving it, even when "
            "it does not name the school's community."
        ),
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )

    # Not required: a form posted without it (an older page, a script) keeps the saved choice.
    uncleared_services = forms.ChoiceField(
        label=_("Services of organizations not yet cleared"),
        choices=UnclearedServices.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "An organization is cleared when it meets every organization requirement of the "
            "network's clearance today. Left out, its services are not recommended or allocated "
            "and say why; pending, they are recommended with a “pending clearance” badge."
        ),
    )

    WEIGHT_FIELDS = (
        "economically_disadvantaged",
        "english_learners",
        "students_with_disabilities",
        "chronic_absenteeism",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values = [data.get(name) for name in self.WEIGHT_FIELDS]
        if all(v is not None for v in values) and sum(values) <= 0:  # type: ignore[arg-type]
            raise forms.ValidationError(_("Give at least one share a weight above 0."))
        return data

    def weights(self) -> dict[str, float]:
        return {name: float(self.cleaned_data[name]) for name in self.WEIGHT_FIELDS}
