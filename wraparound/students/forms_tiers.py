"""Forms of the tier pages: typing mistakes here, everything else in `tier_services`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms_consent import DATE_ERRORS, DateInput
from .models import Tier, TierDomain


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


class TierAssignForm(forms.Form):
    domain = forms.ChoiceField(
        label=_("Domain"),
        choices=[("", _("Choose…")), *TierDomain.choices],
        error_messages={"invalid_choice": _("Choose one of the domains listed.")},
    )
    tier = forms.TypedChoiceField(
        label=_("Tier"),
        coerce=int,
        choices=Tier.choices,
        initial=Tier.TARGETED,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose tier 1, 2 or 3.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason.")},
    )
    starts_on = forms.DateField(label=_("From"), widget=DateInput(), error_messages=DATE_ERRORS)
    ends_on = forms.DateField(
        label=_("Until"),
        required=False,
        widget=DateInput(),
        error_messages=DATE_ERRORS,
        help_text=_("Empty while it lasts."),
    )
    case_manager = forms.TypedChoiceField(
        label=_("Case manager"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Empty: you, when you work at the school."),
        error_messages={"invalid_choice": _("Choose someone who works at the school.")},
    )

    def __init__(self, *args: Any, people: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._people = {p.pk: p for p in people}
        self.fields["case_manager"].choices = [  # type: ignore[attr-defined]
            ("", _("Me")),
            *[(p.pk, _person(p)) for p in people],
        ]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        manager_id = data.get("case_manager")
        return {
            "domain": data["domain"],
            "tier": data["tier"],
            "reason": data["reason"],
            "starts_on": data["starts_on"],
            "ends_on": data.get("ends_on"),
            "case_manager": self._people.get(manager_id) if manager_id else None,
        }


class TierEndForm(forms.Form):
    ends_on = forms.DateField(label=_("Last day"), widget=DateInput(), error_messages=DATE_ERRORS)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the reason.")},
    )
