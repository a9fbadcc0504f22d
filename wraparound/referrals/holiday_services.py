"""The network's referral settings: how many business days partners have to answer a referral,
and the holidays those days skip. Network admins only; every change audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from wraparound.core import access
from wraparound.core.models import Network, NetworkHoliday
from wraparound.core.services import audit_record

from . import holiday_selectors

NAME_MAX = NetworkHoliday._meta.get_field("name").max_length or 120
# Public-holiday lists are offered for last year to two years ahead.
YEARS_BACK, YEARS_AHEAD = 1, 2


def _admin(user: Any, network: Network) -> None:
    if not access.is_network_admin(user, network.pk):
        raise PermissionDenied


def referral_settings_update(*, user: Any, network: Network, response_days: int) -> Network:
    _admin(user, network)
    if not 1 <= response_days <= 30:
        raise ValidationError({"response_days": _("Give between 1 and 30 business days.")})
    with transaction.atomic():
        network = Network.objects.select_for_update().get(pk=network.pk)
        before = network.referral_response_days
        network.referral_response_days = response_days
        network.save(update_fields=["referral_response_days"])
        audit_record(
            actor=user,
            action="network.referral_settings",
            target=network,
            network=network.pk,
            data={"before": before, "referral_response_days": response_days},
        )
    return network


def holiday_add(*, user: Any, network: Network, date: dt.date, name: str) -> NetworkHoliday:
    _admin(user, network)
    name = " ".join((name or "").split())
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Name the holiday.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("Keep the name under %(n)d characters.") % {"n": NAME_MAX}
    with transaction.atomic():
        taken = (
            NetworkHoliday.objects.select_for_update().filter(network=network, date=date).first()
        )
        if taken is not None:
            errors["date"] = _("%(date)s is already a holiday: %(name)s.") % {
                "date": date.isoformat(),
                "name": taken.name,
            }
        if errors:
            raise ValidationError(errors)
        holiday = NetworkHoliday.objects.create(network=network, date=date, name=name)
        audit_record(
            actor=user,
            action="network.holiday_add",
            target=holiday,
            network=network.pk,
            data={"date": date.isoformat(), "name": name},
        )
    return holiday


def holiday_remove(*, user: Any, network: Network, holiday_id: int) -> None:
    _admin(user, network)
    with transaction.atomic():
        holiday = NetworkHoliday.objects.filter(network=network, pk=holiday_id).first()
        if holiday is None:
            raise Http404
        audit_record(
            actor=user,
            action="network.holiday_remove",
            target=holiday,
            network=network.pk,
            data={"date": holiday.date.isoformat(), "name": holiday.name},
        )
        holiday.delete()


def public_holidays_add(
    *, user: Any, network: Network, country: str, subdivision: str, year: int
) -> int:
    """Add a year's public holidays of a country (and state); days already holidays are left as
    they are. Returns how many were added."""
    _admin(user, network)
    this_year = network.today().year
    errors: dict[str, str] = {}
    if not this_year - YEARS_BACK <= year <= this_year + YEARS_AHEAD:
        errors["year"] = _("Choose a year from %(first)d to %(last)d.") % {
            "first": this_year - YEARS_BACK,
            "last": this_year + YEARS_AHEAD,
        }
    days: list[tuple[dt.date, str]] = []
    if not errors:
        try:
            days = holiday_selectors.public_holidays_of(country, subdivision, year)
        except ValueError:
            errors[
                "subdivision" if country in dict(holiday_selectors.countries()) else "country"
            ] = _("No public holidays are known for %(place)s.") % {
                "place": f"{country}-{subdivision}" if subdivision else country
            }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        taken = set(
            NetworkHoliday.objects.select_for_update()
            .filter(network=network, date__year=year)
            .values_list("date", flat=True)
        )
        new = [
            NetworkHoliday(network=network, date=day, name=name[:NAME_MAX])
            for day, name in days
            if day not in taken
        ]
        NetworkHoliday.objects.bulk_create(new)
        audit_record(
            actor=user,
            action="network.public_holidays_add",
            target=network,
            network=network.pk,
            data={
                "country": country,
                "subdivision": subdivision,
                "year": year,
                "added": [h.date.isoformat() for h in new],
            },
        )
    return len(new)
