"""The network's referral settings page: the business days partners have to answer a referral
and the holidays those days skip (one by one, or a year's public holidays at once). Network
admins only: the network's other members get a 403, anyone else a 404."""

from __future__ import annotations

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
    days: ResponseDaysForm | None = None,
    holiday: HolidayForm | None = None,
    public: PublicHolidaysForm | None = None,
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


@login_required
@require_http_methods(["GET", "POST"])
def referral_settings(request: HttpRequest, slug: str) -> HttpResponse:
    network = _admin_network(request, slug)
    if request.method != "POST":
        return _page(request, network)
    form = ResponseDaysForm(request.POST)
    if form.is_valid():
        try:
            holiday_services.referral_settings_update(
                user=request.user, network=network, response_days=form.cleaned_data["response_days"]
            )
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(request, _("Referral settings saved."))
            return redirect("referral_settings", slug=network.slug)
    return _page(request, network, days=form, status=400)


@login_required
@require_POST
def holiday_add(request: HttpRequest, slug: str) -> HttpResponse:
    network = _admin_network(request, slug)
    form = HolidayForm(request.POST)
    if form.is_valid():
        try:
            holiday = holiday_services.holiday_add(
                user=request.user, network=network, **form.cleaned_data
            )
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(
                request,
                _("%(name)s (%(date)s) added.")
                % {"name": holiday.name, "date": holiday.date.isoformat()},
            )
            return redirect("referral_settings", slug=network.slug)
    return _page(request, network, holiday=form, status=400)


@login_required
@require_POST
def public_holidays_add(request: HttpRequest, slug: str) -> HttpResponse:
    network = _admin_network(request, slug)
    form = PublicHolidaysForm(request.POST)
    if form.is_valid():
        try:
            added = holiday_services.public_holidays_add(
                user=request.user, network=network, **form.cleaned_data
            )
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(
                request,
                _("%(n)d public holidays added (days already holidays were left as they were).")
                % {"n": added},
            )
            return redirect("referral_settings", slug=network.slug)
    return _page(request, network, public=form, status=400)


@login_required
@require_POST
def holiday_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network = _admin_network(request, slug)
    holiday_services.holiday_remove(user=request.user, network=network, holiday_id=pk)
    messages.success(request, _("Holiday removed."))
    return redirect("referral_settings", slug=network.slug)
