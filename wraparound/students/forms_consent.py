"""Forms of the consent pages. They check what a person can get wrong while typing (a date that
is not a date, a choice not offered); `consent_services` checks the rest. A form saves nothing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.agreements import uploads
from wraparound.agreements.models import DataElement
from wraparound.core.models import Organization

from .models import ConsentMethod, Guardian, SignerRelationship

DATE_ERRORS = {"invalid": _("Enter the date as YYYY-MM-DD.")}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _guardian_field(required: bool) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("Guardian"),
        coerce=int,
        required=required,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose one of the student's guardians.")},
    )


class _ConsentTerms(forms.Form):
    """What is shared, with whom and why: common to recording and requesting."""

    data_elements = forms.MultipleChoiceField(
        label=_("Records that may be disclosed"),
        choices=DataElement.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one kind of record the consent covers."),
            "invalid_choice": _("Choose records from the list."),
        },
    )
    purpose = forms.CharField(
        label=_("Purpose of the disclosure"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say what the records will be used for.")},
    )
    recipient_organization = forms.TypedChoiceField(
        label=_("Organization the records may go to"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Leave empty to describe a class of parties instead."),
        error_messages={"invalid_choice": _("Choose an organization of the student's network.")},
    )
    recipient_description = forms.CharField(
        label=_("Or a class of parties"),
        max_length=300,
        required=False,
        help_text=_(
            "e.g. community partners with an active partnership with the school. Such a consent "
            "covers every organization in an open partnership with the school."
        ),
    )

    def __init__(
        self,
        *args: Any,
        guardians: list[Guardian],
        organizations: list[Organization],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._guardians = {g.pk: g for g in guardians}
        self._organizations = {o.pk: o for o in organizations}
        self.fields["guardian"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose…")),
            *[(g.pk, _guardian_label(g)) for g in guardians],
        ]
        self.fields["recipient_organization"].choices = [  # type: ignore[attr-defined]
            ("", _("None: a class of parties")),
            *[(o.pk, o.name) for o in organizations],
        ]

    def common_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        org_id = data.get("recipient_organization")
        guardian_id = data.get("guardian")
        return {
            "guardian": self._guardians.get(guardian_id) if guardian_id else None,
            "data_elements": list(data["data_elements"]),
            "purpose": data["purpose"],
            "recipient_organization": self._organizations.get(org_id) if org_id else None,
            "recipient_description": data.get("recipient_description", ""),
        }


def _guardian_label(guardian: Guardian) -> str:
    if guardian.email:
        return f"{guardian.display_name} ({guardian.email})"
    return guardian.display_name


class ConsentRecordForm(_ConsentTerms):
    guardian = _guardian_field(required=False)
    signer_relationship = forms.ChoiceField(
        label=_("Who signed"),
        choices=SignerRelationship.choices,
        initial=SignerRelationship.PARENT,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the options listed.")},
    )
    signed_by_name = forms.CharField(label=_("Name of the person who signed"), max_length=200)
    signed_on = forms.DateField(
        label=_("Signed on"), widget=DateInput(), error_messages=DATE_ERRORS
    )
    effective_on = forms.DateField(
        label=_("Effective from"), widget=DateInput(), error_messages=DATE_ERRORS
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=DateInput(),
        error_messages=DATE_ERRORS,
        help_text=_("Empty when the form names no end."),
    )
    method = forms.ChoiceField(
        label=_("How it was given"),
        choices=ConsentMethod.choices,
        initial=ConsentMethod.PAPER,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the options listed.")},
    )
    scan = forms.FileField(
        label=_("Scan of the signed form"),
        required=False,
        help_text=_("For a paper form: PDF, PNG or JPEG."),
        widget=forms.ClearableFileInput(attrs={"accept": uploads.ACCEPT}),
    )

    field_order = [
        "data_elements",
        "purpose",
        "recipient_organization",
        "recipient_description",
        "guardian",
        "signer_relationship",
        "signed_by_name",
        "signed_on",
        "effective_on",
        "expires_on",
        "method",
        "scan",
    ]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return self.common_values() | {
            "method": data["method"],
            "signed_by_name": data["signed_by_name"],
            "signer_relationship": data["signer_relationship"],
            "signed_on": data["signed_on"],
            "effective_on": data["effective_on"],
            "expires_on": data.get("expires_on"),
            "scan": data.get("scan") or None,
        }


class ConsentRequestForm(_ConsentTerms):
    guardian = _guardian_field(required=True)
    language = forms.ChoiceField(
        label=_("Language of the form and e-mail"),
        choices=[("en", _("English")), ("es", _("Spanish"))],
        initial="en",
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose English or Spanish.")},
    )
    expires_on = forms.DateField(
        label=_("Consent expires on"), widget=DateInput(), error_messages=DATE_ERRORS
    )

    field_order = [
        "guardian",
        "language",
        "data_elements",
        "purpose",
        "recipient_organization",
        "recipient_description",
        "expires_on",
    ]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return self.common_values() | {
            "language": data["language"],
            "expires_on": data["expires_on"],
        }


class ConsentRevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revocation"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("e.g. the parent withdrew consent by letter dated …"),
        error_messages={"required": _("Say why the consent is revoked.")},
    )


class ConsentSignForm(forms.Form):
    signer_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        error_messages={"required": _("Type your full name.")},
    )
    agree = forms.BooleanField(
        label=_("I have read the above and I agree that these records may be shared."),
        required=False,
    )
