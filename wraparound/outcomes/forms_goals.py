"""Forms of the goal pages: typing mistakes here, everything else in `goal_services`.

People type rates as percentages (92.5); the goal stores the fraction the indicators compute
(0.925). `to_service` / `initial_from_goal` convert."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.agreements.models.partnership import Partnership
from wraparound.students.forms_consent import DATE_ERRORS, DateInput

from .indicators import ENTERED_INDICATORS, SHARE_INDICATORS
from .models import Goal, GoalScope, GoalTerm, Indicator

HUNDRED = Decimal(100)
NUMBER_ERRORS = {"required": _("Enter a number."), "invalid": _("Enter a number.")}


def _partnership_label(p: Partnership) -> str:
    service = f" — {p.service.name}" if p.service_id and p.service else ""
    return f"{p.organization.name}{service}"


class GoalForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("For"),
        choices=GoalScope.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose the school, the network or a partnership.")},
    )
    partnership = forms.TypedChoiceField(
        label=_("Partnership"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Only for a partnership goal."),
        error_messages={"invalid_choice": _("Choose one of this school's partnerships.")},
    )
    indicator = forms.ChoiceField(
        label=_("Indicator"),
        choices=[("", _("Choose…")), *Indicator.choices],
        error_messages={"invalid_choice": _("Choose one of the indicators listed.")},
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    term = forms.ChoiceField(
        label=_("Term"),
        choices=GoalTerm.choices,
        initial=GoalTerm.SHORT,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose short- or long-term.")},
    )
    baseline = forms.DecimalField(
        label=_("Baseline"),
        max_digits=9,
        decimal_places=2,
        help_text=_("Rates in percent (e.g. 88.5); days as days."),
        error_messages=NUMBER_ERRORS,
    )
    baseline_on = forms.DateField(
        label=_("Baseline date"), widget=DateInput(), error_messages=DATE_ERRORS
    )
    target = forms.DecimalField(
        label=_("Target"), max_digits=9, decimal_places=2, error_messages=NUMBER_ERRORS
    )
    target_on = forms.DateField(
        label=_("Target date"), widget=DateInput(), error_messages=DATE_ERRORS
    )

    def __init__(
        self,
        data: Any = None,
        *,
        scopes: list[str],
        partnerships: list[Partnership] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        scope_field = self.fields["scope"]
        assert isinstance(scope_field, forms.ChoiceField)
        scope_field.choices = [(v, label) for v, label in GoalScope.choices if v in scopes]
        if len(scopes) == 1:
            scope_field.initial = scopes[0]
            scope_field.widget = forms.HiddenInput()
        partnership_field = self.fields["partnership"]
        assert isinstance(partnership_field, forms.TypedChoiceField)
        if partnerships:
            partnership_field.choices = [("", _("Choose…"))] + [
                (p.pk, _partnership_label(p)) for p in partnerships
            ]
        else:
            del self.fields["partnership"]
        self.partnerships = {p.pk: p for p in partnerships or []}

    def to_service(self) -> dict[str, Any]:
        """The cleaned values in the units the goal stores."""
        data = self.cleaned_data
        indicator = data["indicator"]
        scale = HUNDRED if indicator in SHARE_INDICATORS else Decimal(1)
        return {
            "indicator": indicator,
            "term": data["term"],
            "title": data.get("title", ""),
            "baseline": data["baseline"] / scale,
            "baseline_on": data["baseline_on"],
            "target": data["target"] / scale,
            "target_on": data["target_on"],
        }

    def chosen_partnership(self) -> Partnership | None:
        pk = self.cleaned_data.get("partnership")
        return self.partnerships.get(pk) if pk else None


def initial_from_goal(goal: Goal) -> dict[str, Any]:
    scale = HUNDRED if goal.indicator in SHARE_INDICATORS else Decimal(1)
    return {
        "scope": goal.scope,
        "partnership": goal.partnership_id,
        "indicator": goal.indicator,
        "title": goal.title,
        "term": goal.term,
        "baseline": (goal.baseline * scale).quantize(Decimal("0.01")),
        "baseline_on": goal.baseline_on,
        "target": (goal.target * scale).quantize(Decimal("0.01")),
        "target_on": goal.target_on,
    }


class MeasurementForm(forms.Form):
    measured_on = forms.DateField(label=_("Date"), widget=DateInput(), error_messages=DATE_ERRORS)
    value = forms.DecimalField(
        label=_("Value"),
        max_digits=9,
        decimal_places=2,
        help_text=_("In percent."),
        error_messages=NUMBER_ERRORS,
    )
    note = forms.CharField(label=_("Source or note"), max_length=300, required=False)

    def to_service(self, goal: Goal) -> dict[str, Any]:
        scale = HUNDRED if goal.indicator in SHARE_INDICATORS else Decimal(1)
        return {
            "measured_on": self.cleaned_data["measured_on"],
            "value": self.cleaned_data["value"] / scale,
            "note": self.cleaned_data.get("note", ""),
        }


def takes_measurements(goal: Goal) -> bool:
    return goal.indicator in ENTERED_INDICATORS
