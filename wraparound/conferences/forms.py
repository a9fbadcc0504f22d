"""The conference form: the record itself, and three small tables of rows (participants, needs,
follow-up actions) as formsets whose empty rows are ignored."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.students.models import TierDomain

from .conference_services import ActionIn, ConferenceIn, NeedIn, ParticipantIn
from .models import (
    ActionStatus,
    ConferenceStatus,
    FamilyConsentMethod,
    FamilyTeamConference,
    ParticipantKind,
)


def _user_label(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _user_label(obj)


class ConsentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        to = (
            obj.recipient_organization.name
            if obj.recipient_organization
            else obj.recipient_description
        )
        signed = obj.signed_at.date().isoformat() if obj.signed_at else "—"
        return str(
            _("Signed %(day)s by %(who)s, to %(to)s (until %(until)s)")
            % {
                "day": signed,
                "who": obj.signed_by_name or "—",
                "to": to,
                "until": obj.expires_on.isoformat() if obj.expires_on else _("no end date"),
            }
        )


class ReferralChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.service.name} — {obj.organization.name} ({obj.get_status_display()})"


class ConferenceForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(
        label=_("Status"),
        choices=ConferenceStatus.choices,
        initial=ConferenceStatus.HELD,
        widget=forms.RadioSelect,
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    consent = ConsentChoiceField(
        label=_("A signed consent on file"),
        queryset=None,
        required=False,
        help_text=_("It must be in force on the day and cover every partner organization present."),
    )
    consent_given_by = forms.CharField(
        label=_("Or: consent given by"), max_length=200, required=False
    )
    consent_method = forms.ChoiceField(
        label=_("How"), choices=[("", "—"), *FamilyConsentMethod.choices], required=False
    )
    consent_given_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    consent_witness = forms.CharField(
        label=_("Witness (for a verbal consent)"), max_length=200, required=False
    )
    strengths = forms.CharField(
        label=_("The family's strengths"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=8000,
    )
    decisions = forms.CharField(
        label=_("Decisions"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=8000,
    )
    referrals = ReferralChoiceField(
        label=_("Referrals made from this conference"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput, required=False)

    def __init__(self, data: Any = None, *, consents: Any, referrals: Any, **kw: Any) -> None:
        super().__init__(data, **kw)
        consent_field: Any = self.fields["consent"]
        consent_field.queryset = consents
        referral_field: Any = self.fields["referrals"]
        referral_field.queryset = referrals


class ParticipantForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *ParticipantKind.choices])
    user = UserChoiceField(label=_("User"), queryset=None, required=False)
    name = forms.CharField(label=_("Name (if not a user)"), max_length=200, required=False)
    role = forms.CharField(label=_("Role or relationship"), max_length=200, required=False)
    organization_name = forms.CharField(label=_("Organization"), max_length=200, required=False)
    present = forms.BooleanField(label=_("Present"), required=False, initial=True)

    def __init__(self, *args: Any, users: Any = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        user_field: Any = self.fields["user"]
        user_field.queryset = users


class NeedForm(forms.Form):
    domain = forms.ChoiceField(label=_("Domain"), choices=[("", "—"), *TierDomain.choices])
    description = forms.CharField(label=_("Need"), max_length=2000)


class ActionForm(forms.Form):
    description = forms.CharField(label=_("What"), max_length=500)
    owner = UserChoiceField(label=_("Owner (user)"), queryset=None, required=False)
    owner_name = forms.CharField(label=_("Or owner's name"), max_length=200, required=False)
    due_on = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=ActionStatus.choices, initial=ActionStatus.OPEN
    )

    def __init__(self, *args: Any, users: Any = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        owner_field: Any = self.fields["owner"]
        owner_field.queryset = users


ParticipantFormSet = forms.formset_factory(ParticipantForm, extra=3, max_num=40)
NeedFormSet = forms.formset_factory(NeedForm, extra=2, max_num=30)
ActionFormSet = forms.formset_factory(ActionForm, extra=2, max_num=40)

# Fields whose values alone do not make a row filled in (defaults a blank row starts with).
_DEFAULTS = {"kind", "present", "status", "domain"}


def _filled(form: forms.Form) -> bool:
    return any(
        v not in (None, "", False) for k, v in form.cleaned_data.items() if k not in _DEFAULTS
    )


class ConferenceForms:
    """The four forms of the page together: bound on POST, with what was typed kept on error."""

    def __init__(
        self,
        data: Any = None,
        *,
        consents: Any,
        referrals: Any,
        users: Any,
        conference: FamilyTeamConference | None = None,
    ) -> None:
        initial: dict[str, Any] = {}
        p_initial: list[dict[str, Any]] = []
        n_initial: list[dict[str, Any]] = []
        a_initial: list[dict[str, Any]] = []
        if conference is not None and data is None:
            initial = {
                "held_on": conference.held_on,
                "status": conference.status,
                "place": conference.place,
                "consent": conference.consent_id,
                "consent_given_by": conference.consent_given_by,
                "consent_method": conference.consent_method,
                "consent_given_at": conference.consent_given_at,
                "consent_witness": conference.consent_witness,
                "strengths": conference.strengths,
                "decisions": conference.decisions,
                "referrals": [r.pk for r in conference.referrals.all()],
                "expected_version": conference.version,
            }
            p_initial = [
                {
                    "kind": p.kind,
                    "user": p.user_id,
                    "name": p.name,
                    "role": p.role,
                    "organization_name": p.organization_name,
                    "present": p.present,
                }
                for p in conference.participants.all()
            ]
            n_initial = [
                {"domain": n.domain, "description": n.description} for n in conference.needs.all()
            ]
            a_initial = [
                {
                    "description": a.description,
                    "owner": a.owner_id,
                    "owner_name": a.owner_name,
                    "due_on": a.due_on,
                    "status": a.status,
                }
                for a in conference.actions.all()
            ]
        self.main = ConferenceForm(data, consents=consents, referrals=referrals, initial=initial)
        self.participants = ParticipantFormSet(
            data, prefix="p", initial=p_initial or None, form_kwargs={"users": users}
        )
        self.needs = NeedFormSet(data, prefix="n", initial=n_initial or None)
        self.actions = ActionFormSet(
            data, prefix="a", initial=a_initial or None, form_kwargs={"users": users}
        )

    def is_valid(self) -> bool:
        results = [
            self.main.is_valid(),
            self.participants.is_valid(),
            self.needs.is_valid(),
            self.actions.is_valid(),
        ]
        return all(results)

    def rows(self, formset: Any) -> list[dict[str, Any]]:
        return [
            f.cleaned_data
            for f in formset.forms
            if f.cleaned_data and _filled(f) and not f.cleaned_data.get("DELETE")
        ]

    def data(self) -> ConferenceIn:
        d = self.main.cleaned_data
        return ConferenceIn(
            held_on=d["held_on"],
            status=d["status"],
            place=d["place"],
            consent=d["consent"],
            consent_given_by=d["consent_given_by"],
            consent_method=d["consent_method"],
            consent_given_at=d["consent_given_at"],
            consent_witness=d["consent_witness"],
            strengths=d["strengths"],
            decisions=d["decisions"],
            referrals=list(d["referrals"]),
            participants=[
                ParticipantIn(
                    kind=r["kind"],
                    user=r["user"],
                    name=r["name"],
                    role=r["role"],
                    organization_name=r["organization_name"],
                    present=r["present"],
                )
                for r in self.rows(self.participants)
            ],
            needs=[
                NeedIn(domain=r["domain"], description=r["description"])
                for r in self.rows(self.needs)
            ],
            actions=[
                ActionIn(
                    description=r["description"],
                    owner=r["owner"],
                    owner_name=r["owner_name"],
                    due_on=r["due_on"],
                    status=r["status"],
                )
                for r in self.rows(self.actions)
            ],
        )

    def add_errors(self, error_dict: dict[str, list[str]]) -> None:
        for field, messages in error_dict.items():
            for message in messages:
                self.main.add_error(field if field in self.main.fields else None, message)
