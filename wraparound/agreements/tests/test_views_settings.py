"""The network's agreement settings page: network admins only; bad input kept and refused."""

from __future__ import annotations

from typing import Any

import pytest

from wraparound.core.models import AuditEvent, Network
from wraparound.core.tests.personas import PERSONAS

pytestmark = pytest.mark.django_db


def url(network: Network) -> str:
    return f"/networks/{network.slug}/agreements/settings/"


def test_admin_changes_the_clock_and_the_expiring_days(t1: Any, as_user: Any) -> None:
    client = as_user(t1.users["network_admin"])
    assert client.get(url(t1.network)).status_code == 200
    response = client.post(
        url(t1.network), {"time_zone": "America/Chicago", "agreement_expiring_days": "45"}
    )
    assert response.status_code == 302
    t1.network.refresh_from_db()
    assert (t1.network.time_zone, t1.network.agreement_expiring_days) == ("America/Chicago", 45)
    assert AuditEvent.objects.filter(action="network.agreement_settings").count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"time_zone": "Mars/Olympus", "agreement_expiring_days": "45"}, "time_zone"),
        ({"time_zone": "America/Chicago", "agreement_expiring_days": "0"}, "agreement_expiring"),
        ({"time_zone": "America/Chicago", "agreement_expiring_days": "x"}, "agreement_expiring"),
    ],
)
def test_bad_input_is_refused_and_kept(
    t1: Any, as_user: Any, data: dict[str, str], field: str
) -> None:
    client = as_user(t1.users["network_admin"])
    response = client.post(url(t1.network), data)
    assert response.status_code == 400
    assert field in "".join(response.context["form"].errors)
    assert (
        response.context["form"].data["agreement_expiring_days"] == data["agreement_expiring_days"]
    )
    t1.network.refresh_from_db()
    assert t1.network.agreement_expiring_days == 60


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "network_admin"])
def test_nobody_else_opens_it(t1: Any, t2: Any, as_user: Any, persona: str) -> None:
    client = as_user(t1.users[persona])
    for method in ("get", "post"):
        response = getattr(client, method)(url(t1.network))
        assert response.status_code in (403, 404), (persona, method)
    assert as_user(t2.users["network_admin"]).get(url(t1.network)).status_code == 404
    t1.network.refresh_from_db()
    assert t1.network.time_zone == "America/New_York"
