"""Forms of the MOU pages. They parse what was typed; the services decide (their errors are put
back on the field they name). The edit page is one form: the version's terms, a formset of
responsibilities, a formset of deliverables and the data-sharing terms (prefix "data_sharing")."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wraparound.assessments.models import Tier
from wraparound.core.roles import Role
from wraparound.directory.models import Service

from .models import (
    AgreementStatus,
    AgreementVersion,
    DataElement,
    DestructionMethod,
    LegalBasis,
)
from .models.mou import SHARING_ROLES, DeliverableFrequency, DeliverableUnit
from .mou_services import (
    CHANGE_NOTE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    REASON_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    VERSION_FIELDS,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


VERSION_FORM_FIELDS = list(VERSION_FIELDS)


class VersionForm(forms.Form):
    """The version's own terms (and the agreement's title while it may change)."""

    def __init__(self, *args: Any, title_editable: bool, amendment: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if title_editable:
            self.fields["title"] = forms.CharField(
                label=pgettext_lazy("agreement", "Title"), max_length=TITLE_MAX_LENGTH
            )
        self.fields.update(
            fields_for_model(
                AgreementVersion,
                fields=VERSION_FORM_FIELDS,
                widgets={
                    "term_start": DateInput(),
                    "term_end": DateInput(),
                    "purpose": _textarea(),
                    "evaluation": _textarea(),
                    "other_terms": _textarea(),
                },
            )
        )
        if not amendment:
            del self.fields["change_note"]


class ResponsibilityForm(forms.Form):
    party = forms.ChoiceField(label=_("Party"))
    description = forms.CharField(label=_("Responsibility"), max_length=500)

    def __init__(self, *args: Any, parties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        party = self.fields["party"]
        assert isinstance(party, forms.ChoiceField)
        party.choices = [("", "—"), *parties]


ResponsibilityFormSet = forms.formset_factory(ResponsibilityForm, extra=2, can_delete=True)


class DeliverableForm(forms.Form):
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=_("— no particular service —"),
    )
    description = forms.CharField(label=_("Deliverable"), max_length=300)
    tier = forms.TypedChoiceField(
        label=_("Tier"),
        choices=[("", _("every student")), *Tier.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000)
    unit = forms.ChoiceField(label=_("Unit"), choices=[("", "—"), *DeliverableUnit.choices])
    frequency = forms.ChoiceField(
        label=_("Frequency"), choices=[("", "—"), *DeliverableFrequency.choices]
    )
    target_students = forms.CharField(
        label=_("Target students"),
        max_length=300,
        required=False,
        help_text=_("e.g. grades 6–8, tier 2"),
    )

    def __init__(self, *args: Any, services: QuerySet[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service = self.fields["service"]
        assert isinstance(service, forms.ModelChoiceField)
        service.queryset = services


DeliverableFormSet = forms.formset_factory(DeliverableForm, extra=1, can_delete=True)


def sharing_role_choices() -> list[tuple[str, str]]:
    return [(str(r), str(Role(r).label)) for r in SHARING_ROLES]


class DataSharingForm(forms.Form):
    legal_basis = forms.ChoiceField(
        label=_("Legal basis"), choices=LegalBasis.choices, widget=forms.RadioSelect
    )
    data_elements = forms.MultipleChoiceField(
        label=_("Data elements the partner may see"),
        choices=DataElement.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one data element the partner may see.")},
    )
    purpose = forms.CharField(label=_("Purpose of the sharing"), widget=_textarea())
    partner_roles = forms.MultipleChoiceField(
        label=_("Partner roles that may see the data"),
        choices=sharing_role_choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one partner role that may see the data.")},
    )
    retention_ends_on = forms.DateField(
        label=_("Data kept until"),
        widget=DateInput(),
        help_text=_("At least until the term ends."),
    )
    destruction_method = forms.ChoiceField(
        label=_("Destruction method"), choices=DestructionMethod.choices
    )
    destruction_details = forms.CharField(
        label=_("Destruction details"), max_length=300, required=False
    )


class SignForm(forms.Form):
    signer_name = forms.CharField(
        label=_("Your full name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("Typing your full name here is your signature."),
    )
    signer_title = forms.CharField(
        label=_("Your title"), max_length=NAME_MAX_LENGTH, required=False
    )
    confirm = forms.BooleanField(
        label=_("I have read these terms and sign them on behalf of the party I represent."),
        error_messages={"required": _("Confirm that you have read the terms.")},
    )
    content_hash = forms.CharField(widget=forms.HiddenInput, max_length=64)


class ReviseForm(forms.Form):
    change_note = forms.CharField(
        label=_("What the new version will change"),
        max_length=CHANGE_NOTE_MAX_LENGTH,
        required=False,
    )


class TerminateForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the agreement is terminated"),
        max_length=REASON_MAX_LENGTH,
        widget=_textarea(2),
        help_text=_("Both parties see this."),
    )


class DestructionForm(forms.Form):
    destroyed_on = forms.DateField(label=_("Destroyed on"), widget=DateInput())
    method = forms.ChoiceField(label=_("Method"), choices=DestructionMethod.choices)
    details = forms.CharField(label=_("Details"), max_length=500, required=False)
    certifier_name = forms.CharField(
        label=_("Your full name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("Typing your full name certifies that the data was destroyed."),
    )


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("every status")), *AgreementStatus.choices],
        required=False,
    )
