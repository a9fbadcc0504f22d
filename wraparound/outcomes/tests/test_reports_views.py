"""Report pages and downloads: who may fetch each one (every persona, the other network,
anonymous), what comes back, and a bad year."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS

pytestmark = pytest.mark.django_db

NETWORK_READERS = {"network_admin", "evaluator"}
SCHOOL_READERS = NETWORK_READERS | {
    "coordinator",
    "staff",
    "supervisor",
    "network_supervisor",
    "principal",
}
PARTNER_READERS = NETWORK_READERS | {"partner_admin", "partner_staff_a"}


def _urls(t) -> dict[str, tuple[str, set[str]]]:
    slug, school, org = t.network.slug, t.schools[0].pk, t.org_a.pk
    return {
        "page": (reverse("outcome_reports", args=[slug]), NETWORK_READERS),
        "network.pdf": (reverse("network_outcome_report", args=[slug, "pdf"]), NETWORK_READERS),
        "network.xlsx": (reverse("network_outcome_report", args=[slug, "xlsx"]), NETWORK_READERS),
        "extract": (reverse("outcome_extract", args=[slug]), NETWORK_READERS),
        "school.pdf": (reverse("school_outcome_report", args=[school, "pdf"]), SCHOOL_READERS),
        "school.xlsx": (reverse("school_outcome_report", args=[school, "xlsx"]), SCHOOL_READERS),
        "org.pdf": (reverse("organization_outcome_report", args=[org, "pdf"]), PARTNER_READERS),
        "org.xlsx": (reverse("organization_outcome_report", args=[org, "xlsx"]), PARTNER_READERS),
    }


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "extract": "text/csv; charset=utf-8",
    "page": "text/html; charset=utf-8",
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_report_url_for_every_persona(t1, as_user, persona):
    client = as_user(t1.users[persona])
    for name, (url, readers) in _urls(t1).items():
        response = client.get(url, {"year": "2027"})
        if persona in readers:
            assert response.status_code == 200, (name, response.status_code)
            kind = name.split(".")[-1]
            assert response["Content-Type"] == CONTENT_TYPES[kind], name
            if kind != "page":
                assert response["Content-Disposition"].startswith("attachment;")
                assert response["Cache-Control"] == "private, no-store"
        else:
            assert response.status_code in (403, 404), (name, response.status_code)


def test_the_other_network_and_anonymous_get_nothing(t1, t2, client, as_user):
    for name, (url, _readers) in _urls(t1).items():
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], name
    other = as_user(t2.users["network_admin"])
    for name, (url, _readers) in _urls(t1).items():
        assert other.get(url).status_code == 404, name


def test_the_reports_page_links_every_school_partner_and_the_extract(t1, as_user):
    client = as_user(t1.users["network_admin"])
    page = client.get(reverse("outcome_reports", args=[t1.network.slug]), {"year": "2027"})
    html = page.content.decode()
    for school in t1.schools:
        assert reverse("school_outcome_report", args=[school.pk, "pdf"]) + "?year=2027" in html
    assert reverse("organization_outcome_report", args=[t1.org_b.pk, "xlsx"]) in html
    assert reverse("outcome_extract", args=[t1.network.slug]) + "?year=2027" in html


def test_a_bad_year_is_a_400_with_a_message(t1, as_user):
    client = as_user(t1.users["network_admin"])
    for url in (
        reverse("network_outcome_report", args=[t1.network.slug, "pdf"]),
        reverse("outcome_extract", args=[t1.network.slug]),
        reverse("outcome_reports", args=[t1.network.slug]),
    ):
        response = client.get(url, {"year": "twenty"})
        assert response.status_code == 400
        assert b"the year in which it ends" in response.content


def test_the_extract_streams_a_csv_and_is_audited(t1, as_user):
    client = as_user(t1.users["evaluator"])
    response = client.get(reverse("outcome_extract", args=[t1.network.slug]), {"year": "2027"})
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    header = next(csv.reader(io.StringIO(text)))
    assert header[:3] == ["pseudonym", "school_code", "grade"]
    event = AuditEvent.objects.get(action="outcomes.extract")
    assert event.actor == t1.users["evaluator"] and event.data["year"] == 2027
