"""Sign-in lockouts behind proxies: the client address axes locks on (core/client_address.py)."""

import pytest
from django.test import RequestFactory, override_settings
from django.urls import reverse

from wraparound.core.client_address import client_address

from .factories import TEST_PASSWORD, UserFactory

rf = RequestFactory()


def request(remote: str, forwarded: str | None = None):
    req = rf.get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        req.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return req


@override_settings(AXES_IPWARE_PROXY_COUNT=0)
def test_without_proxies_the_connection_address_counts_and_the_header_is_ignored():
    assert client_address(request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "198.51.100.7", "198.51.100.7"),
        # What the client sent itself sits further left and is never trusted.
        (1, "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        (2, "1.2.3.4, 198.51.100.7, 10.0.0.5", "198.51.100.7"),
        (2, " 198.51.100.7 ,10.0.0.5 ", "198.51.100.7"),
        # Fewer entries than proxies: not from the configured proxies; use the connection.
        (2, "198.51.100.7", "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (1, None, "10.0.0.2"),
    ],
)
def test_behind_n_proxies_the_nth_forwarded_address_from_the_right_counts(
    proxies, forwarded, expected
):
    with override_settings(AXES_IPWARE_PROXY_COUNT=proxies):
        assert client_address(request("10.0.0.2", forwarded)) == expected


@pytest.mark.django_db
@override_settings(AXES_IPWARE_PROXY_COUNT=1)
def test_behind_a_proxy_a_lockout_holds_for_the_attacker_not_for_everyone(client):
    user = UserFactory()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    attacker = {**proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    colleague = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.20"}
    for _ in range(5):
        client.post(reverse("login"), {"username": user.username, "password": "guess"}, **attacker)
    # Forging an address in front of the proxy's entry does not get the attacker out.
    forged = {**proxy, "HTTP_X_FORWARDED_FOR": "192.0.2.1, 198.51.100.66"}
    response = client.post(
        reverse("login"), {"username": user.username, "password": TEST_PASSWORD}, **forged
    )
    assert response.status_code == 429
    response = client.post(
        reverse("login"), {"username": user.username, "password": TEST_PASSWORD}, **colleague
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
