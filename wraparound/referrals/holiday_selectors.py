"""The network's holidays: the days off that referral deadlines skip."""

from __future__ import annotations

import datetime as dt

import holidays as public_holidays
from django.db.models import QuerySet

from wraparound.core.models import Network, NetworkHoliday

# Countries offered for the public-holiday lists, by ISO code (the `holidays` library's).
DEFAULT_COUNTRY = "US"


def holidays_between(network: Network | int, start: dt.date, end: dt.date) -> frozenset[dt.date]:
    network_id = network if isinstance(network, int) else network.pk
    return frozenset(
        NetworkHoliday.objects.filter(
            network_id=network_id, date__gte=start, date__lte=end
        ).values_list("date", flat=True)
    )


def network_holidays(network: Network, *, since: dt.date | None = None) -> QuerySet[NetworkHoliday]:
    qs = NetworkHoliday.objects.filter(network=network)
    if since is not None:
        qs = qs.filter(date__gte=since)
    return qs.order_by("date")


def countries() -> list[tuple[str, str]]:
    """(code, code) of every country the public-holiday lists cover."""
    return [(code, code) for code in sorted(public_holidays.list_supported_countries())]


def subdivisions(country: str) -> list[str]:
    return list(public_holidays.list_supported_countries().get(country, []))


def public_holidays_of(country: str, subdivision: str, year: int) -> list[tuple[dt.date, str]]:
    """The public holidays of a country (and one of its states or provinces) in a year, in
    English; ValueError for a country or subdivision the library does not know."""
    known = public_holidays.list_supported_countries()
    if country not in known:
        raise ValueError(country)
    if subdivision and subdivision not in known[country]:
        raise ValueError(subdivision)
    days = public_holidays.country_holidays(
        country, subdiv=subdivision or None, years=year, language="en_US"
    )
    return sorted((day, str(name)) for day, name in days.items())
