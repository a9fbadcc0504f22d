"""The network's referral settings: business days to answer and holidays — every persona on
every page and action, bad input kept, the public-holiday lists, the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from wraparound.core.models import AuditEvent, Network, NetworkHoliday
from wraparound.core.tests.personas import PERSONAS
from wraparound.referrals import holiday_services as services
from wraparound.referrals.holiday_selectors import holidays_between

pytestmark = pytest.mark.django_db

# Network admins only; the network's other members 403; outsiders 404.
EXPECTED = {p: 403 for p in PERSONAS} | {"network_admin": 200, "outsider": 404}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_page_is_for_network_admins(t1: Any, as_user: Any, persona: str) -> None:
    response = as_user(t1.users[persona]).get(reverse("referral_settings", args=[t1.network.slug]))
    assert response.status_code == EXPECTED[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_action_is_for_network_admins(t1: Any, as_user: Any, persona: str) -> None:
    slug = t1.network.slug
    holiday = NetworkHoliday.objects.create(network=t1.network, date=dt.date(2027, 1, 1), name="NY")
    client = as_user(t1.users[persona])
    posts = [
        (reverse("referral_settings", args=[slug]), {"response_days": "5"}),
        (reverse("holiday_add", args=[slug]), {"date": "2027-03-01", "name": "Closed"}),
        (
            reverse("public_holidays_add", args=[slug]),
            {"country": "US", "subdivision": "", "year": str(t1.network.today().year)},
        ),
        (reverse("holiday_remove", args=[slug, holiday.pk]), {}),
    ]
    for url, data in posts:
        status = client.post(url, data).status_code
        assert status == (302 if persona == "network_admin" else EXPECTED[persona]), url
    t1.network.refresh_from_db()
    changed = persona == "network_admin"
    assert (t1.network.referral_response_days == 5) == changed
    assert NetworkHoliday.objects.filter(pk=holiday.pk).exists() != changed


def test_another_networks_admin_gets_404(t1: Any, t2: Any, as_user: Any) -> None:
    holiday = NetworkHoliday.objects.create(network=t1.network, date=dt.date(2027, 1, 1), name="NY")
    client = as_user(t2.users["network_admin"])
    assert client.get(reverse("referral_settings", args=[t1.network.slug])).status_code == 404
    # Their own page cannot remove another network's holiday.
    url = reverse("holiday_remove", args=[t2.network.slug, holiday.pk])
    assert client.post(url).status_code == 404
    assert NetworkHoliday.objects.filter(pk=holiday.pk).exists()


def test_bad_input_is_named_and_what_was_typed_is_kept(t1: Any, as_user: Any) -> None:
    client = as_user(t1.users["network_admin"])
    slug = t1.network.slug
    response = client.post(reverse("referral_settings", args=[slug]), {"response_days": "45"})
    assert response.status_code == 400
    assert response.context["days_form"]["response_days"].value() == "45"
    response = client.post(reverse("holiday_add", args=[slug]), {"date": "1 March", "name": "X"})
    assert response.status_code == 400
    assert "YYYY-MM-DD" in " ".join(response.context["holiday_form"].errors["date"])
    assert response.context["holiday_form"]["name"].value() == "X"
    NetworkHoliday.objects.create(network=t1.network, date=dt.date(2027, 3, 1), name="Closed")
    response = client.post(
        reverse("holiday_add", args=[slug]), {"date": "2027-03-01", "name": "Again"}
    )
    assert response.status_code == 400
    assert "already a holiday: Closed" in response.content.decode()
    response = client.post(
        reverse("public_holidays_add", args=[slug]),
        {"country": "US", "subdivision": "zz", "year": "2027"},
    )
    assert response.status_code == 400
    assert "No public holidays are known for US-ZZ" in response.content.decode()
    assert response.context["public_form"]["subdivision"].value() == "zz"
    assert NetworkHoliday.objects.count() == 1


def test_a_years_public_holidays_are_added_once(t1: Any) -> None:
    admin = t1.users["network_admin"]
    year = t1.network.today().year
    mine = NetworkHoliday.objects.create(
        network=t1.network, date=dt.date(year, 12, 25), name="Winter break"
    )
    added = services.public_holidays_add(
        user=admin, network=t1.network, country="US", subdivision="", year=year
    )
    days = dict(NetworkHoliday.objects.filter(network=t1.network).values_list("date", "name"))
    assert dt.date(year, 7, 4) in days and dt.date(year, 1, 1) in days
    assert days[dt.date(year, 12, 25)] == "Winter break"  # left as it was
    assert added == len(days) - 1
    assert (
        services.public_holidays_add(
            user=admin, network=t1.network, country="US", subdivision="", year=year
        )
        == 0
    )
    mine.refresh_from_db()
    assert AuditEvent.objects.filter(action="network.public_holidays_add").count() == 2
    # A state's own holidays too (New York: Lincoln's Birthday).
    services.public_holidays_add(
        user=admin, network=t1.network, country="US", subdivision="NY", year=year
    )
    assert NetworkHoliday.objects.filter(network=t1.network, date=dt.date(year, 2, 12)).exists()


def test_services_refuse_others_and_name_their_errors(t1: Any) -> None:
    admin = t1.users["network_admin"]
    with pytest.raises(PermissionDenied):
        services.holiday_add(
            user=t1.users["coordinator"], network=t1.network, date=dt.date(2027, 1, 2), name="X"
        )
    with pytest.raises(ValidationError) as refused:
        services.holiday_add(user=admin, network=t1.network, date=dt.date(2027, 1, 2), name="  ")
    assert "name" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.public_holidays_add(
            user=admin, network=t1.network, country="US", subdivision="", year=1990
        )
    assert "year" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.public_holidays_add(
            user=admin, network=t1.network, country="XX", subdivision="", year=2026
        )
    assert "country" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.referral_settings_update(user=admin, network=t1.network, response_days=0)
    with pytest.raises(Http404):
        services.holiday_remove(user=admin, network=t1.network, holiday_id=999_999)
    holiday = services.holiday_add(
        user=admin, network=t1.network, date=dt.date(2027, 1, 2), name="  Snow   day "
    )
    assert holiday.name == "Snow day"
    assert holidays_between(t1.network, dt.date(2027, 1, 1), dt.date(2027, 1, 3)) == {
        dt.date(2027, 1, 2)
    }
    network = services.referral_settings_update(user=admin, network=t1.network, response_days=7)
    assert Network.objects.get(pk=network.pk).referral_response_days == 7
    event = AuditEvent.objects.get(action="network.referral_settings")
    assert event.data == {"before": 3, "referral_response_days": 7}


def test_the_page_lists_this_years_holidays_on(t1: Any, as_user: Any) -> None:
    year = t1.network.today().year
    NetworkHoliday.objects.create(network=t1.network, date=dt.date(year - 1, 7, 4), name="Old")
    NetworkHoliday.objects.create(network=t1.network, date=dt.date(year, 7, 4), name="Fourth")
    body = (
        as_user(t1.users["network_admin"])
        .get(reverse("referral_settings", args=[t1.network.slug]))
        .content.decode()
    )
    assert "Fourth" in body and "Old" not in body
    network_page = as_user(t1.users["network_admin"]).get(
        reverse("network_detail", args=[t1.network.slug])
    )
    assert reverse("referral_settings", args=[t1.network.slug]) in network_page.content.decode()
