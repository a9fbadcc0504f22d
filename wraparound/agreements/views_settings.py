"""The network's agreement settings: its clock and when an MOU counts as expiring."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from wraparound.core import access

from . import mou_services

TIME_ZONES = sorted(zoneinfo.available_timezones())


class AgreementSettingsForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[(tz, tz) for tz in TIME_ZONES],
        help_text=_("Expiry days and reminders are counted on this clock."),
    )
    agreement_expiring_days = forms.IntegerField(
        label=_("An MOU is expiring this many days before it ends"),
        min_value=1,
        max_value=365,
    )


@login_required
def network_agreement_settings(request: HttpRequest, slug: str) -> HttpResponse:
    network = access.get_network_for_user(request.user, slug)
    if not access.is_network_admin(request.user, network.pk):
        raise PermissionDenied
    initial = {
        "time_zone": network.time_zone,
        "agreement_expiring_days": network.agreement_expiring_days,
    }
    form = AgreementSettingsForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            mou_services.network_agreement_settings_update(
                user=request.user, network=network, **form.cleaned_data
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Agreement settings saved."))
            return redirect("network_agreement_settings", slug=network.slug)
    return render(
        request,
        "agreements/network_agreement_settings.html",
        {"network": network, "form": form},
        status=400 if request.method == "POST" else 200,
    )
