"""The network's referral settings page: the business days partners have to answer a referral
and the holidays those days skip (one by one, or a year's public holidays at once). Network
admins only: the network's other members get a 403, anyone else a 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from wraparound.agreements.forms_clearance import DATE_ERRORS, DateInput
from wraparound.core import access
from wraparound.core.models import Network

from . import holiday_selectors, holiday_services


class ResponseDaysForm(forms.Form):
    response_days = forms.IntegerField(
        label=gettext_lazy("Partners answer a referral within this many business days"),
        min_value=1,
        max_value=30,
        help_text=gettext_lazy(
            "Counted from the day after it is sent, Monday to Friday, skipping the holidays "
            "below. When the day passes unanswered, the referrer is reminded and the school's "
            "coordinators alerted."
        ),
    )


class HolidayForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=DateInput(), error_messages=DATE_ERRORS
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=holiday_services.NAME_MAX)


class PublicHolidaysForm(forms.Form):
    country = forms.ChoiceField(label=gettext_lazy("Country"), choices=())
    subdivision = forms.CharField(
        label=gettext_lazy("State or province"),
        required=False,
        max_length=10,
        help_text=gettext_lazy("Its code, e.g. NY; leave empty for the national holidays only."),
    )
    year = forms.IntegerField(label=gettext_lazy("Year"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = holiday_selectors.countries()

    def clean_subdivision(self) -> str:
        return str(self.cleaned_data.get("subdivision") or "").strip().upper()


def _admin_network(request: HttpRequest, slug: str) -> Network:
    network = access.get_network_for_user(request.user, slug)
    if not access.is_network_admin(request.user, network.pk):
        raise PermissionDenied
    return network


def _page(
    request: HttpRequest,
    network: Network,
    *,
    days: forms.Form | None = None,
    holiday: forms.Form | None = None,
    public: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    today = network.today()
    return render(
        request,
        "referrals/referral_settings.html",
        {
            "network": network,
            "days_form": days
            or ResponseDaysForm(initial={"response_days": network.referral_response_days}),
            "holiday_form": holiday or HolidayForm(),
            "public_form": public
            or PublicHolidaysForm(
                initial={"country": holiday_selectors.DEFAULT_COUNTRY, "year": today.year}
            ),
            "holidays": holiday_selectors.network_holidays(
                network, since=today.replace(month=1, day=1)
            ),
        },
        status=status,
    )


def _errors_to(form: forms.Form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


def _submit(
    request: HttpRequest,
    network: Network,
    form: forms.Form,
    slot: str,
    save: Callable[..., Any],
    said: Callable[[Any], str],
) -> HttpResponse:
    """One of the page's forms posted: the service called with the form's values, back to the
    page with the message `said` makes of its result — or the page again, 400, this form with
    its errors and what was typed (`slot`: which of the page's forms it is)."""
    if form.is_valid():
        try:
            result = save(user=request.user, network=network, **form.cleaned_data)
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(request, said(result))
            return redirect("referral_settings", slug=network.slug)
    return _page(request, network, status=400, **{slot: form})


@login_required
@require_http_methods(["GET", "POST"])
def referral_settings(request: HttpRequest, slug: str) -> HttpResponse:
    network = _admin_network(request, slug)
    if request.method != "POST":
        return _page(request, network)
    return _submit(
        request,
        network,
        ResponseDaysForm(request.POST),
        "days",
        holiday_services.referral_settings_update,
        lambda _network: _("Referral settings saved."),
    )


@login_required
@require_POST
def holiday_add(request: HttpRequest, slug: str) -> HttpResponse:
    network = _admin_network(request, slug)
    return _submit(
        request,
        network,
        HolidayForm(request.POST),
        "holiday",
        holiday_services.holiday_add,
        lambda h: _("%(name)s (%(date)s) added.") % {"name": h.name, "date": h.date.isoformat()},
    )


@login_required
@require_POST
def public_holidays_add(request: HttpRequest, slug: str) -> HttpResponse:
    network = _admin_network(request, slug)
    return _submit(
        request,
        network,
        PublicHolidaysForm(request.POST),
        "public",
        holiday_services.public_holidays_add,
        lambda n: (
            _("%(n)d public holidays added (days already holidays were left as they were).")
            % {"n": n}
        ),
    )


@login_required
@require_POST
def holiday_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network = _admin_network(request, slug)
    holiday_services.holiday_remove(user=request.user, network=network, holiday_id=pk)
    messages.success(request, _("Holiday removed."))
    return redirect("referral_settings", slug=network.slug)
