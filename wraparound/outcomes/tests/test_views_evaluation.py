"""The what-helped page: for the network's admins and evaluators only (every persona checked),
the form and its errors (400, never 500), the estimate with the numbers behind it and the chart
data, and no figure about fewer than 10 students anywhere on the page."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.urls import reverse

from wraparound.core.models import SchoolYear
from wraparound.core.tests.factories import UserFactory
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.tests.factories import ServiceFactory
from wraparound.referrals.models import ServiceSession, SessionAttendance
from wraparound.students.tests.factories import StudentFactory

from ..models import AttendanceMonth
from ..suppression import MIN_CELL, Cell

pytestmark = pytest.mark.django_db

MONTHS = [dt.date(2026, m, 1) for m in (9, 10, 11, 12)] + [dt.date(2027, m, 1) for m in (1, 2)]


def _url(t: Any) -> str:
    return reverse("outcomes_what_helped", args=[t.network.slug])


def _year(t: Any) -> SchoolYear:
    year, _created = SchoolYear.objects.get_or_create(
        network=t.network,
        end_year=2027,
        defaults={
            "start_date": dt.date(2026, 9, 10),
            "end_date": dt.date(2027, 6, 25),
            "is_current": True,
        },
    )
    return year


def _world(t: Any, *, served: int, pool: int = 40) -> dict[str, Any]:
    """`served` students with 4 or 30 hours of a service from October (improving by 10
    points from November), 3 with 2 hours, 2 served who left in November (excluded), and
    `pool` others; attendance patterns repeat so every served student has close matches."""
    school = t.schools[0]
    year = _year(t)
    service = ServiceFactory(organization=t.org_a, name="Reading Buddies")
    logger = UserFactory()
    rows: list[AttendanceMonth] = []
    sessions: list[tuple[Any, int, dt.date]] = []

    def student(k: int, hours: float = 0, leaves: bool = False) -> None:
        s = StudentFactory(network=t.network, school=school)
        base = 2 + k % 3
        for month in MONTHS[:3] if leaves else MONTHS:
            absent = base - (1 if hours >= 3 and month >= MONTHS[2] else 0)
            rows.append(
                AttendanceMonth(
                    network=t.network,
                    student=s,
                    school=school,
                    month=month,
                    enrolled_days=5 if leaves and month == MONTHS[2] else 20,
                    absent_days=absent,
                )
            )
        if hours:
            sessions.append((s, int(hours * 60), dt.date(2026, 10, 5)))

    for k in range(served):
        student(k, 4 if k % 4 else 30)
    for k in range(3):
        student(k, 2)
    for k in range(2):
        student(k, 5, leaves=True)
    for k in range(pool):
        student(k)
    AttendanceMonth.objects.bulk_create(rows)
    for s, minutes, day in sessions:
        session = ServiceSession.objects.create(
            network=t.network,
            school=school,
            organization=t.org_a,
            service=service,
            kind="individual",
            date=day,
            duration_minutes=minutes,
            logged_by=logger,
        )
        SessionAttendance.objects.create(session=session, student=s, present=True)
    return {"treatment": f"service:{service.pk}", "min_hours": "3", "year": year.pk}


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_admins_and_evaluators_see_the_page(t1, t2, as_user, persona):
    query = _world(t1, served=12)
    client = as_user(t1.users[persona])
    page, asked = client.get(_url(t1)), client.get(_url(t1), query)
    if persona in ("network_admin", "evaluator"):
        assert (page.status_code, asked.status_code) == (200, 200)
        assert "Reading Buddies" in asked.content.decode()
    else:
        assert page.status_code in (403, 404) and asked.status_code in (403, 404)
        assert b"Reading Buddies" not in asked.content


def test_other_network_and_anonymous(t1, t2, as_user, client):
    query = _world(t1, served=12)
    assert client.get(_url(t1), query).status_code == 302  # to the login page
    other = as_user(t2.users["network_admin"])
    assert other.get(_url(t1), query).status_code == 404
    # Their own network with this network's service and year: form errors, nothing shown.
    response = other.get(_url(t2), query)
    assert response.status_code == 400
    assert b"Reading Buddies" not in response.content


def _cells(result: Any) -> list[Cell]:
    found = [v for v in vars(result).values() if isinstance(v, Cell)]
    for band in result.bands:
        found += [band.treated_change, band.comparison_change, band.difference]
    return found


def test_the_estimate_and_the_numbers_behind_it(t1, as_user):
    query = _world(t1, served=12)
    response = as_user(t1.users["evaluator"]).get(_url(t1), query)
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.suppressed
    assert result.matched.value == 12
    # 14 reached the dosage, 2 of them left in November: the total would tell that 2 were
    # left out, so it is not shown.
    assert result.treated.suppressed
    assert result.difference.value == pytest.approx(5.0, abs=0.1)  # 1 day in 20 from November
    assert result.low.value <= result.difference.value <= result.high.value
    content = response.content.decode()
    assert "Estimated difference: 5.0 percentage points" in content
    assert "not proof" in content
    assert 'id="dosage-data"' in content and "chart.umd.min.js" in content
    chart = response.context["chart"]
    assert len(chart["labels"]) == len(result.bands) == 5


def test_no_cell_under_ten_appears(t1, as_user):
    """12 served: 9 with 4 hours and 3 with 30 (both bands under 10), 3 under the minimum,
    2 excluded: every one of those is 'fewer than 10', in the page and in the chart data."""
    query = _world(t1, served=12)
    response = as_user(t1.users["network_admin"]).get(_url(t1), query)
    result = response.context["result"]
    for c in _cells(result):
        assert c.suppressed or (c.n is not None and c.n >= MIN_CELL), c
    assert result.excluded.suppressed and result.unmatched.suppressed
    # Nor by subtraction: the total less the matched would give the two left out.
    assert result.treated.suppressed or result.treated.value - result.matched.value >= MIN_CELL
    assert all(b.difference.suppressed for b in result.bands)
    content = response.content.decode()
    facts = re.search(r'<dl class="facts">(.*?)</dl>', content, re.S)
    assert facts is not None
    shown = [int(n) for n in re.findall(r"<dd>(\d+)</dd>", facts.group(1))]
    assert shown and all(n >= MIN_CELL for n in shown), shown
    assert content.count("fewer than 10") >= 2 + 3 * len(result.bands)
    script = re.search(r'id="dosage-data"[^>]*>(.*?)</script>', content, re.S)
    assert script is not None
    data = json.loads(script.group(1))
    assert data["treated"] == [None] * 5 and data["comparison"] == [None] * 5


def test_too_few_students_withholds_the_estimate(t1, as_user):
    query = _world(t1, served=8)
    response = as_user(t1.users["network_admin"]).get(_url(t1), query)
    assert response.status_code == 200
    result = response.context["result"]
    assert result.suppressed and result.difference is None
    content = response.content.decode()
    assert "no estimate is shown" in content
    assert "Estimated difference" not in content and 'id="dosage-data"' not in content
    for c in _cells(result):
        assert c.suppressed or (c.n is not None and c.n >= MIN_CELL), c


@pytest.mark.parametrize(
    "change",
    [
        {"treatment": "service:999999"},
        {"treatment": "bogus"},
        {"treatment": "tier:x"},
        {"min_hours": "-1"},
        {"min_hours": "lots"},
        {"year": "999999"},
    ],
    ids=["unknown-service", "bogus", "bad-tier", "negative-hours", "text-hours", "unknown-year"],
)
def test_bad_input_gets_form_errors(t1, as_user, change):
    query = {**_world(t1, served=12, pool=0), **change}
    response = as_user(t1.users["network_admin"]).get(_url(t1), query)
    assert response.status_code == 400
    assert response.context["result"] is None
    assert 'class="error"' in response.content.decode()


def test_the_empty_form_shows_the_choices(t1, as_user):
    _world(t1, served=0, pool=0)
    response = as_user(t1.users["network_admin"]).get(_url(t1))
    content = response.content.decode()
    assert response.status_code == 200 and response.context["result"] is None
    for text in ("Reading Buddies", "Tier 3 (intensive)", "2026-27", "Minimum hours attended"):
        assert text in content


def test_a_year_without_attendance_says_so(t1, as_user):
    query = _world(t1, served=12)
    empty = SchoolYear.objects.create(
        network=t1.network,
        end_year=2026,
        start_date=dt.date(2025, 9, 4),
        end_date=dt.date(2026, 6, 26),
    )
    response = as_user(t1.users["network_admin"]).get(_url(t1), {**query, "year": empty.pk})
    assert response.status_code == 200
    result = response.context["result"]
    assert result.suppressed and result.months == 0
    assert "no estimate is shown" in response.content.decode()
