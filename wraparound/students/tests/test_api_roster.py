"""The roster import API: authorization for every persona, upload, status, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wraparound.core.tests.personas import PERSONAS
from wraparound.students.models import ImportStatus, RosterImport, Student

from .oneroster_helpers import BULK, zip_folder

pytestmark = pytest.mark.django_db


def _zip(tmp_path: Path) -> SimpleUploadedFile:
    path = zip_folder(BULK, tmp_path / "roster.zip", nested="export/")
    return SimpleUploadedFile("roster.zip", path.read_bytes(), content_type="application/zip")


def _upload_url(t) -> str:
    return f"/api/v1/networks/{t.network.slug}/rosters"


@pytest.mark.parametrize("persona", PERSONAS)
def test_upload_authorization(
    t1, t2, as_user, persona, tmp_path, django_capture_on_commit_callbacks
):
    client = as_user(t1.users[persona])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_upload_url(t1), {"file": _zip(tmp_path), "dry_run": "true"})
    if persona == "network_admin":
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["network"] == t1.network.slug
        assert body["dry_run"] is True
        status = client.get(f"/api/v1/rosters/{body['id']}").json()
        assert status["status"] == ImportStatus.CHECKED, status["errors"]
        assert status["summary"]["students"] == 3
        assert not Student.objects.exists()
    else:
        assert response.status_code in (403, 404)
        assert "detail" in response.json()
        assert not RosterImport.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_status_authorization(t1, t2, as_user, persona):
    roster_import = RosterImport.objects.create(network=t1.network, status=ImportStatus.DONE)
    response = as_user(t1.users[persona]).get(f"/api/v1/rosters/{roster_import.pk}")
    if persona == "network_admin":
        assert response.status_code == 200
        assert response.json()["status"] == "done"
    else:
        assert response.status_code in (403, 404)


def test_other_tenant_admin_gets_404(t1, t2, as_user, tmp_path):
    roster_import = RosterImport.objects.create(network=t1.network, status=ImportStatus.DONE)
    client = as_user(t2.users["network_admin"])
    assert client.get(f"/api/v1/rosters/{roster_import.pk}").status_code == 404
    assert client.post(_upload_url(t1), {"file": _zip(tmp_path)}).status_code == 404
    assert client.get("/api/v1/rosters/999999").status_code == 404


def test_import_through_the_api(t1, as_user, tmp_path, django_capture_on_commit_callbacks):
    client = as_user(t1.users["network_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_upload_url(t1), {"file": _zip(tmp_path)})
    assert response.status_code == 201
    status = client.get(f"/api/v1/rosters/{response.json()['id']}").json()
    assert status["status"] == "done", status["errors"]
    assert status["mode"] == "bulk"
    assert Student.objects.filter(network=t1.network).count() == 3


def test_bad_input_is_a_400(t1, as_user):
    client = as_user(t1.users["network_admin"])
    bad = SimpleUploadedFile("roster.zip", b"hello", content_type="application/zip")
    response = client.post(_upload_url(t1), {"file": bad})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"
    assert client.post(_upload_url(t1), {}).status_code == 400
    assert client.get("/api/v1/rosters/0").status_code in (400, 422)
    assert not RosterImport.objects.exists()
