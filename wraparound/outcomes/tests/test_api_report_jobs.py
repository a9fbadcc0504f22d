"""The report jobs' API: preparing a report, following its job and fetching its file — who may
(every persona, the other network), bad input, and the file and audit as on the pages."""

from __future__ import annotations

import json

import pytest

from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS

from ..models import ReportJob, ReportJobStatus
from .test_api_outcomes import bearer
from .test_report_jobs import YEAR, done_job
from .test_reports_views import NETWORK_READERS, PARTNER_READERS, SCHOOL_READERS

pytestmark = pytest.mark.django_db


def _prepare_paths(t) -> dict[str, tuple[str, set[str]]]:
    return {
        "network": (f"/api/v1/outcomes/networks/{t.network.slug}/reports", NETWORK_READERS),
        "school": (f"/api/v1/outcomes/schools/{t.schools[0].pk}/reports", SCHOOL_READERS),
        "organization": (
            f"/api/v1/outcomes/organizations/{t.org_a.pk}/reports",
            PARTNER_READERS,
        ),
    }


def _post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_prepare_each_report(t1, persona):
    client = bearer(t1.users[persona])
    for kind, (path, readers) in _prepare_paths(t1).items():
        response = _post(client, path, {"format": "pdf", "year": YEAR})
        if persona in readers:
            assert response.status_code == 202, (kind, response.content)
            body = response.json()
            job = ReportJob.objects.get(kind=kind)
            assert body["id"] == job.pk and body["kind"] == kind and body["year"] == YEAR
            assert body["network"] == t1.network.slug
            assert job.requested_by == t1.users[persona]
        else:
            assert response.status_code == 404, (kind, persona, response.status_code)
            assert not ReportJob.objects.filter(kind=kind).exists()
        ReportJob.objects.filter(kind=kind).delete()


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_follow_a_job_and_fetch_its_file(t1, persona):
    client = bearer(t1.users[persona])
    for kind, readers in (
        ("network", NETWORK_READERS),
        ("school", SCHOOL_READERS),
        ("organization", PARTNER_READERS),
    ):
        target = {"network": t1.network, "school": t1.schools[0], "organization": t1.org_a}[kind]
        job = done_job(target)
        detail = client.get(f"/api/v1/outcomes/report-jobs/{job.pk}")
        file = client.get(f"/api/v1/outcomes/report-jobs/{job.pk}/file")
        if persona in readers:
            assert detail.status_code == 200 and file.status_code == 200, kind
            assert detail.json()["download_url"] == f"/api/v1/outcomes/report-jobs/{job.pk}/file"
            assert b"".join(file.streaming_content) == b"%PDF-1.7 test"
        else:
            assert detail.status_code == 404 and file.status_code == 404, (kind, persona)
        downloads = AuditEvent.objects.filter(action="outcomes.report", actor=t1.users[persona])
        assert downloads.count() == (1 if persona in readers else 0), kind
        AuditEvent.objects.filter(action="outcomes.report").delete()


def test_the_other_network_sees_nothing(t1, t2):
    client = bearer(t2.users["network_admin"])
    for path, _readers in _prepare_paths(t1).values():
        assert _post(client, path, {"format": "pdf"}).status_code == 404
    job = done_job(t1.network)
    assert client.get(f"/api/v1/outcomes/report-jobs/{job.pk}").status_code == 404
    assert client.get(f"/api/v1/outcomes/report-jobs/{job.pk}/file").status_code == 404
    assert ReportJob.objects.count() == 1


def test_the_job_is_prepared_and_its_file_fetched(t1, django_capture_on_commit_callbacks):
    """Without a broker the task runs after the commit: the job is then done."""
    client = bearer(t1.users["network_admin"])
    path = f"/api/v1/outcomes/schools/{t1.schools[0].pk}/reports"
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, path, {"format": "xlsx", "year": YEAR})
    assert response.status_code == 202
    job_id = response.json()["id"]
    detail = client.get(f"/api/v1/outcomes/report-jobs/{job_id}").json()
    assert detail["status"] == "done" and detail["file_available"] is True
    file = client.get(detail["download_url"])
    assert file["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert b"".join(file.streaming_content)[:2] == b"PK"
    # The same report asked for again within minutes is the same job.
    again = _post(client, path, {"format": "xlsx", "year": YEAR})
    assert again.json()["id"] == job_id


def test_a_job_not_ready_or_deleted_is_a_409_and_nothing_is_audited(t1):
    client = bearer(t1.users["network_admin"])
    job = done_job(t1.network)
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJobStatus.RUNNING)
    response = client.get(f"/api/v1/outcomes/report-jobs/{job.pk}/file")
    assert response.status_code == 409 and "not ready" in response.json()["detail"]
    assert client.get(f"/api/v1/outcomes/report-jobs/{job.pk}").json()["download_url"] is None
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJobStatus.DONE, file="")
    assert client.get(f"/api/v1/outcomes/report-jobs/{job.pk}/file").status_code == 409
    assert not AuditEvent.objects.filter(action="outcomes.report").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"format": "docx"}, "format"),
        ({}, "format"),
        ({"format": "pdf", "year": 1999}, "year"),
        ({"format": "pdf", "year": "soon"}, "year"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_no_job(t1, body, field):
    client = bearer(t1.users["network_admin"])
    response = _post(client, f"/api/v1/outcomes/networks/{t1.network.slug}/reports", body)
    assert response.status_code == 400
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not ReportJob.objects.exists()
