"""The what-helped form (a GET form: the page is a report, asking changes nothing): what to
evaluate (one select, grouped by kind: `service:ID`, `organization:ID`, `category:ID`,
`tier:N`), the minimum dosage in hours and the school year."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wraparound.core.models import Network, Organization, SchoolYear
from wraparound.directory.models import Service
from wraparound.directory.selectors import category_groups
from wraparound.referrals.models import ServiceSession
from wraparound.students.models import Tier

from .evaluation import Treatment, TreatmentKind


def treatment_choices(network: Network) -> list[tuple[str, list[tuple[str, str]]]]:
    """Services and organizations that have logged sessions in the network, the network's
    categories, and the tiers; a few queries."""
    sessions = ServiceSession.objects.filter(network_id=network.pk)
    services = (
        Service.objects.filter(pk__in=sessions.values("service_id"))
        .select_related("organization")
        .order_by("name", "pk")
    )
    organizations = Organization.objects.filter(pk__in=sessions.values("organization_id")).order_by(
        "name", "pk"
    )
    categories = [
        (f"category:{pk}", f"{group} › {name}" if name != group else str(name))
        for group, members in category_groups(network)
        for pk, name in members
    ]
    return [
        (
            str(_("Services")),
            [(f"service:{s.pk}", f"{s.name} ({s.organization.name})") for s in services],
        ),
        (str(_("Organizations")), [(f"organization:{o.pk}", o.name) for o in organizations]),
        (str(_("Categories of services")), categories),
        (
            str(_("Tiers (any service)")),
            [(f"tier:{value}", str(label)) for value, label in Tier.choices],
        ),
    ]


class EvaluationForm(forms.Form):
    treatment = forms.ChoiceField(
        label=_("What to evaluate"),
        help_text=_(
            "A service, all of an organization's services, a category of services, or any "
            "service for students at a tier."
        ),
    )
    min_hours = forms.DecimalField(
        label=_("Minimum hours attended"),
        min_value=Decimal("0.5"),
        max_value=Decimal("500"),
        decimal_places=1,
        initial=Decimal("3"),
        help_text=_("Students who attended at least this many hours count as served."),
    )
    year = forms.ModelChoiceField(
        label=_("School year"), queryset=SchoolYear.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["treatment"].choices = [("", "—"), *treatment_choices(network)]  # type: ignore[attr-defined]
        years = SchoolYear.objects.filter(network=network).order_by("-end_year")
        self.fields["year"].queryset = years  # type: ignore[attr-defined]
        current = years.filter(is_current=True).first()
        if current is not None:
            self.fields["year"].initial = current.pk

    def clean_treatment(self) -> Treatment:
        kind, _sep, value = self.cleaned_data["treatment"].partition(":")
        return Treatment(TreatmentKind(kind), int(value))

    def treatment_label(self) -> str:
        chosen = self.data.get("treatment", "")
        for _group, options in self.fields["treatment"].choices:  # type: ignore[attr-defined]
            if isinstance(options, list):
                for value, label in options:
                    if value == chosen:
                        return str(label)
        return ""
