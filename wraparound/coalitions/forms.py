"""Forms of the coalition pages: typing mistakes here, every rule in `services`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.students.forms_consent import DATE_ERRORS, DateInput

from .models import CoalitionMember, Commitment, CommitmentKind, MemberKind, PostKind

NUMBER_ERRORS = {"required": _("Enter a number."), "invalid": _("Enter a number.")}


def _choices(items: list[Any], label: Any = None, empty: Any = None) -> list[tuple[Any, Any]]:
    head = [("", empty)] if empty is not None else []
    return head + [(x.pk, label(x) if label else str(x)) for x in items]


class CoalitionForm(forms.Form):
    network = forms.TypedChoiceField(
        label=_("Network"),
        coerce=int,
        error_messages={"invalid_choice": _("Choose a network you administer.")},
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    community = forms.TypedChoiceField(
        label=_("Community"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a community of the network.")},
    )
    focus = forms.CharField(
        label=_("Focus"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the coalition works on together, e.g. early literacy in the district."),
    )
    principles = forms.CharField(
        label=_("Shared principles"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line."),
    )

    def __init__(
        self, *args: Any, networks: list[Any], communities: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        net: Any = self.fields["network"]
        net.choices = _choices(networks, label=lambda n: n.name)
        if len(networks) == 1:
            net.widget = forms.HiddenInput()
            net.initial = networks[0].pk
        com: Any = self.fields["community"]
        com.choices = _choices(
            communities,
            label=lambda c: f"{c} ({c.network.name})" if len(networks) > 1 else str(c),
            empty=_("None (network-wide)"),
        )


class MemberForm(forms.Form):
    organization = forms.TypedChoiceField(
        label=_("An organization of the directory"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose an organization of the network's directory.")},
    )
    school = forms.TypedChoiceField(
        label=_("A school of the network"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a school of the network.")},
    )
    name = forms.CharField(
        label=_("Or an agency outside the directory"),
        max_length=250,
        required=False,
        help_text=_("e.g. the district's Administration for Children's Services office."),
    )
    kind = forms.ChoiceField(
        label=_("Kind of agency"),
        choices=[c for c in MemberKind.choices if c[0] != MemberKind.SCHOOL],
        initial=MemberKind.COMMUNITY_ORGANIZATION,
        help_text=_("A school is always of the kind “school”."),
        error_messages={"invalid_choice": _("Choose the kind of agency.")},
    )

    def __init__(
        self, *args: Any, organizations: list[Any], schools: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        org: Any = self.fields["organization"]
        org.choices = _choices(organizations, label=lambda o: o.name, empty=_("—"))
        sch: Any = self.fields["school"]
        sch.choices = _choices(schools, label=lambda s: f"{s.code} {s.name}", empty=_("—"))


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        error_messages={"invalid": _("Enter a valid e-mail address.")},
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    account = forms.CharField(
        label=_("Account (username or e-mail)"),
        max_length=254,
        required=False,
        help_text=_(
            "Links the contact to a user of the network, who then takes part in the coalition."
        ),
    )
    is_primary = forms.BooleanField(label=_("Primary contact"), required=False)


class CommitmentForm(forms.Form):
    member = forms.TypedChoiceField(
        label=_("Member agency"),
        coerce=int,
        error_messages={
            "invalid_choice": _("Choose a member agency you may act for."),
            "required": _("Choose a member agency."),
        },
    )
    kind = forms.ChoiceField(
        label=_("Commitment"),
        choices=[("", _("Choose…")), *CommitmentKind.choices],
        error_messages={"invalid_choice": _("Choose what the agency commits.")},
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=0,
        error_messages={**NUMBER_ERRORS, "min_value": _("Enter a number of at least 0.")},
        help_text=_("Required for referrals accepted."),
    )
    unit = forms.CharField(
        label=_("Unit"), max_length=50, required=False, help_text=_("e.g. hours, USD, slots")
    )
    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    starts_on = forms.DateField(label=_("From"), widget=DateInput(), error_messages=DATE_ERRORS)
    ends_on = forms.DateField(label=_("To"), widget=DateInput(), error_messages=DATE_ERRORS)

    def __init__(self, *args: Any, members: list[CoalitionMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["member"]
        field.choices = _choices(members, label=lambda m: m.display_name, empty=_("Choose…"))

    def to_service(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            k: d[k] for k in ("kind", "description", "quantity", "unit", "starts_on", "ends_on")
        }


def initial_from_commitment(c: Commitment) -> dict[str, Any]:
    return {
        "member": c.member_id,
        "kind": c.kind,
        "quantity": c.quantity,
        "unit": c.unit,
        "description": c.description,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
    }


class MeasureEntryForm(forms.Form):
    member = forms.TypedChoiceField(
        label=_("For"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a member agency you may act for.")},
    )
    commitment = forms.TypedChoiceField(
        label=_("Reports on the commitment"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a commitment of the member agency.")},
    )
    name = forms.CharField(
        label=_("Measure"), max_length=200, help_text=_("e.g. families served at the food pantry")
    )
    value = forms.DecimalField(
        label=_("Value"), max_digits=14, decimal_places=2, error_messages=NUMBER_ERRORS
    )
    unit = forms.CharField(label=_("Unit"), max_length=50, required=False)
    starts_on = forms.DateField(label=_("From"), widget=DateInput(), error_messages=DATE_ERRORS)
    ends_on = forms.DateField(label=_("To"), widget=DateInput(), error_messages=DATE_ERRORS)
    note = forms.CharField(label=_("Source or note"), max_length=500, required=False)

    def __init__(
        self,
        *args: Any,
        members: list[CoalitionMember],
        commitments: list[Commitment],
        whole_coalition: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        member: Any = self.fields["member"]
        member.choices = _choices(
            members,
            label=lambda m: m.display_name,
            empty=_("The coalition as a whole") if whole_coalition else _("Choose…"),
        )
        member.required = not whole_coalition
        commitment: Any = self.fields["commitment"]
        commitment.choices = _choices(
            commitments,
            label=lambda c: (
                f"{c.member.display_name} · {c.get_kind_display()}"
                + (f" · {c.description}" if c.description else "")
            ),
            empty=_("None"),
        )


class PostForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("This is"),
        choices=PostKind.choices,
        widget=forms.RadioSelect,
        initial=PostKind.OFFER,
        error_messages={"invalid_choice": _("Choose an offer or a request.")},
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("e.g. 30 winter coats; room for a parent workshop on Tuesdays"),
    )
    body = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    member = forms.TypedChoiceField(
        label=_("Posted for"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a member agency you are a contact of.")},
    )

    def __init__(
        self, *args: Any, members: list[CoalitionMember], allow_none: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["member"]
        field.choices = _choices(
            members,
            label=lambda m: m.display_name,
            empty=_("The coalition (no member agency)") if allow_none else _("Choose…"),
        )
        field.required = not allow_none
        if len(members) == 1 and not allow_none:
            field.initial = members[0].pk


class ResponseForm(forms.Form):
    message = forms.CharField(
        label=_("Your response"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    member = forms.TypedChoiceField(
        label=_("Responding for"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a member agency you are a contact of.")},
    )

    def __init__(self, *args: Any, members: list[CoalitionMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["member"]
        field.choices = _choices(members, label=lambda m: m.display_name, empty=_("Myself"))
        if len(members) == 1:
            field.initial = members[0].pk


class PeriodForm(forms.Form):
    from_ = forms.DateField(
        label=_("From"), widget=DateInput(), required=False, error_messages=DATE_ERRORS
    )
    to = forms.DateField(
        label=_("To"), widget=DateInput(), required=False, error_messages=DATE_ERRORS
    )

    def __init__(self, data: Any, **kwargs: Any) -> None:
        # The query string says `from`, a Python keyword.
        if data is not None:
            data = {"from_": data.get("from", ""), "to": data.get("to", "")}
        super().__init__(data, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from_"), data.get("to")
        if start and end and end < start:
            self.add_error("to", _("The period must end on or after the day it starts."))
        return data
