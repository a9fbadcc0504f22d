"""Forms of the clearance pages. A form checks what a person can get wrong while typing (a date
that is not a date, a choice not offered) and says so beside the field; the services check the
rest (`clearance_services`). A form never saves anything: the view hands its values to a
service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.core.models import School

from . import uploads
from .models import ClearanceRequirement, RequirementKind, RequirementSubject, StaffMember

Choices = list[tuple[Any, Any]]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


DATE_ERRORS = {"invalid": _("Enter the date as YYYY-MM-DD.")}


class RequirementForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("Choose…")), *RequirementKind.choices],
        error_messages={"invalid_choice": _("Choose one of the kinds listed.")},
    )
    applies_to = forms.ChoiceField(
        label=_("Applies to"),
        choices=RequirementSubject.choices,
        initial=RequirementSubject.PERSON,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the options listed.")},
    )
    description = forms.CharField(
        label=_("What is needed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Partners read this when they gather the document."),
    )
    validity_months = forms.IntegerField(
        label=_("Valid for (months)"),
        required=False,
        min_value=1,
        max_value=120,
        help_text=_(
            "Empty when it does not expire (or the document carries its own end date). "
            "Empty for a signed MOU."
        ),
    )
    document_required = forms.BooleanField(
        label=_("A document is required"),
        required=False,
        initial=True,
        help_text=_("Not for a signed MOU: the agreement signed in the app meets it."),
    )
    minimum_coverage = forms.DecimalField(
        label=_("Minimum coverage (USD)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("Liability insurance only: the least coverage per occurrence accepted."),
    )
    is_active = forms.BooleanField(
        label=_("In effect"),
        required=False,
        initial=True,
        help_text=_("Untick to retire it: its records stay, nobody needs it any more."),
    )

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class StaffMemberForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    title = forms.CharField(
        label=_("Role"), max_length=100, required=False, help_text=_("e.g. tutor")
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    schools = forms.TypedMultipleChoiceField(
        label=_("Schools where this person works"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: wherever the organization has a partnership."),
        error_messages={"invalid_choice": _("Choose schools from the list.")},
    )

    def __init__(self, *args: Any, schools: list[School], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["schools"].choices = [(s.pk, s.name) for s in schools]  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class RecordForm(forms.Form):
    requirement = forms.TypedChoiceField(
        label=_("Requirement"),
        coerce=int,
        error_messages={"invalid_choice": _("Choose one of the requirements listed.")},
    )
    person = forms.TypedChoiceField(
        label=_("Person"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("For a requirement of each person; empty for the organization's own."),
        error_messages={"invalid_choice": _("Choose a person from the staff list.")},
    )
    issued_on = forms.DateField(
        label=_("Issued or completed on"), widget=DateInput(), error_messages=DATE_ERRORS
    )
    expires_on = forms.DateField(
        label=_("Valid through"),
        required=False,
        widget=DateInput(),
        error_messages=DATE_ERRORS,
        help_text=_(
            "The last day it is valid. Empty: worked out from the requirement's validity period."
        ),
    )
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        help_text=_("Policy or certificate number."),
    )
    coverage_amount = forms.DecimalField(
        label=_("Coverage (USD)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("Liability insurance only: the coverage per occurrence."),
    )
    document = forms.FileField(
        label=_("Document"),
        required=False,
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": uploads.ACCEPT}),
        help_text=_(
            "PDF, PNG or JPEG. If the page comes back with an error, choose the file again."
        ),
    )
    note = forms.CharField(
        label=_("Note for the reviewer"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        requirements: list[ClearanceRequirement],
        people: list[StaffMember],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.requirements = {r.pk: r for r in requirements}
        self.people = {p.pk: p for p in people}
        self.fields["requirement"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose…")),
            *[(r.pk, f"{r.name} ({r.get_applies_to_display()})") for r in requirements],
        ]
        self.fields["person"].choices = [  # type: ignore[attr-defined]
            ("", _("— the organization itself —")),
            *[(p.pk, p.full_name) for p in people],
        ]

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["requirement"] = self.requirements[data["requirement"]]
        person_id = data.get("person")
        data["person"] = self.people.get(person_id) if person_id is not None else None
        data["upload"] = data.pop("document", None) or None
        return data


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("clear", _("Clear")), ("reject", _("Reject"))],
        error_messages={"invalid_choice": _("Choose to clear or to reject.")},
    )
    reason = forms.CharField(
        label=_("Reason, if you reject it"),
        max_length=500,
        required=False,
        help_text=_("The partner reads this."),
    )


class CheckForm(forms.Form):
    """The check's three inputs, rendered as choices; `clearance_selectors.resolve_check` parses
    and scopes them (a person or school the user may not see is a 404, not a form error)."""

    person = forms.CharField(label=_("Person"), required=False, widget=forms.Select)
    school = forms.CharField(label=_("School"), required=False, widget=forms.Select)
    date = forms.CharField(
        label=_("Date"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: today."),
    )

    def __init__(self, *args: Any, people: Choices, schools: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].widget.choices = [("", _("Choose…")), *people]
        self.fields["school"].widget.choices = [("", _("Choose…")), *schools]
