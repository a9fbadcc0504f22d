"""Roster import pages: authorization for every persona, upload (dry run and import), the
progress fragment, the error table and the summary."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wraparound.core.tests.personas import PERSONAS
from wraparound.students.models import ImportStatus, RosterImport, Student

from .oneroster_helpers import BULK, copy_bulk, edit, zip_folder

pytestmark = pytest.mark.django_db


def _zip(tmp_path: Path, folder: Path = BULK) -> SimpleUploadedFile:
    path = zip_folder(folder, tmp_path / "roster.zip")
    return SimpleUploadedFile("roster.zip", path.read_bytes(), content_type="application/zip")


def _list(t) -> str:
    return reverse("roster_import_list", args=[t.network.slug])


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_page_authorization(t1, t2, as_user, persona):
    response = as_user(t1.users[persona]).get(_list(t1))
    if persona == "network_admin":
        assert response.status_code == 200
        assert b"Upload a roster" in response.content
    else:
        assert response.status_code in (403, 404)


def test_other_tenant_admin_gets_404(t1, t2, as_user, tmp_path):
    client = as_user(t2.users["network_admin"])
    assert client.get(_list(t1)).status_code == 404
    roster_import = RosterImport.objects.create(network=t1.network, status=ImportStatus.DONE)
    for name in ("roster_import_detail", "roster_import_progress"):
        url = reverse(name, args=[t1.network.slug, roster_import.pk])
        assert client.get(url).status_code == 404
        # the other network's slug with this network's import: still not found
        assert (
            client.get(reverse(name, args=[t2.network.slug, roster_import.pk])).status_code == 404
        )
    response = client.post(_list(t1), {"file": _zip(tmp_path)})
    assert response.status_code == 404
    assert not RosterImport.objects.filter(network=t2.network).exists()


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "network_admin"])
def test_detail_and_upload_refused_to_other_roles(t1, as_user, persona, tmp_path):
    roster_import = RosterImport.objects.create(network=t1.network, status=ImportStatus.DONE)
    client = as_user(t1.users[persona])
    for name in ("roster_import_detail", "roster_import_progress"):
        url = reverse(name, args=[t1.network.slug, roster_import.pk])
        assert client.get(url).status_code in (403, 404)
    assert client.post(_list(t1), {"file": _zip(tmp_path)}).status_code in (403, 404)
    assert RosterImport.objects.count() == 1


def test_upload_imports_and_shows_the_summary(
    t1, as_user, tmp_path, django_capture_on_commit_callbacks
):
    client = as_user(t1.users["network_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_list(t1), {"file": _zip(tmp_path)})
    assert response.status_code == 302
    roster_import = RosterImport.objects.get()
    assert response["Location"] == reverse(
        "roster_import_detail", args=[t1.network.slug, roster_import.pk]
    )
    roster_import.refresh_from_db()
    assert roster_import.status == ImportStatus.DONE, roster_import.errors
    assert roster_import.created_by == t1.users["network_admin"]
    assert Student.objects.filter(network=t1.network).count() == 3
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"Students added" in page.content
    assert b"hx-trigger" not in page.content  # finished: no more polling


def test_dry_run_upload_writes_nothing_and_lists_errors(
    t1, as_user, tmp_path, django_capture_on_commit_callbacks
):
    folder = copy_bulk(tmp_path)
    edit(folder / "users.csv", 2, "grades", "G9")
    client = as_user(t1.users["network_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_list(t1), {"file": _zip(tmp_path, folder), "dry_run": "on"})
    roster_import = RosterImport.objects.get()
    assert roster_import.dry_run
    assert roster_import.status == ImportStatus.INVALID
    page = client.get(response["Location"])
    content = page.content.decode()
    assert "users.csv" in content and "G9 is not a grade code" in content
    assert '<th scope="col">' in content
    assert not Student.objects.exists()


def test_bad_upload_is_a_400_that_writes_nothing(t1, as_user):
    client = as_user(t1.users["network_admin"])
    not_zip = SimpleUploadedFile("roster.zip", b"sourcedId,name\n", content_type="application/zip")
    response = client.post(_list(t1), {"file": not_zip})
    assert response.status_code == 400
    assert b"not a zip archive" in response.content
    wrong_name = SimpleUploadedFile("roster.csv", b"x", content_type="text/csv")
    response = client.post(_list(t1), {"file": wrong_name})
    assert response.status_code == 400
    assert b"not a .zip file" in response.content
    assert client.post(_list(t1), {}).status_code == 400
    assert not RosterImport.objects.exists()


def test_zip_with_path_traversal_is_refused(t1, as_user):
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../manifest.csv", "propertyName,value\n")
    upload = SimpleUploadedFile("roster.zip", buffer.getvalue(), content_type="application/zip")
    response = as_user(t1.users["network_admin"]).post(_list(t1), {"file": upload})
    assert response.status_code == 400
    assert b"unsafe file name" in response.content


def test_running_import_polls_with_an_accessible_progress_bar(t1, as_user):
    roster_import = RosterImport.objects.create(
        network=t1.network, status=ImportStatus.RUNNING, stage="check:users.csv", done=42, total=100
    )
    client = as_user(t1.users["network_admin"])
    url = reverse("roster_import_progress", args=[t1.network.slug, roster_import.pk])
    content = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in content
    assert '<progress id="roster-bar" max="100" value="42">42%</progress>' in content
    assert "42% done" in content
    assert "Checking users.csv" in content
    assert '<label for="roster-bar">' in content


def test_list_query_count(t1, as_user, django_assert_max_num_queries):
    for _ in range(5):
        RosterImport.objects.create(
            network=t1.network, status=ImportStatus.DONE, created_by=t1.users["network_admin"]
        )
    client = as_user(t1.users["network_admin"])
    client.get(_list(t1))  # warm the session and grants
    with django_assert_max_num_queries(8):
        response = client.get(_list(t1))
    assert response.status_code == 200
    assert response.content.count(b"/rosters/") >= 5
