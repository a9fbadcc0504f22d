"""Attendance import pages: authorization for every persona, upload (dry run and import), the
status fragment, the error table and the summary."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wraparound.core.tests.personas import PERSONAS
from wraparound.students.tests.factories import StudentFactory

from ..models import AttendanceEvent, AttendanceImport, AttendanceImportStatus, InstructionalDay
from .factories import make_enrollment, zip_bytes

pytestmark = pytest.mark.django_db

PAGES = ("attendance_import_detail", "attendance_import_progress")


def _list(t) -> str:
    return reverse("attendance_import_list", args=[t.network.slug])


def _zip(t, name: str = "attendance.zip") -> SimpleUploadedFile:
    code = t.schools[0].code
    data = zip_bytes(
        calendar=f"school_code,date\n{code},2026-09-01\n{code},2026-09-02\n",
        attendance=(
            "student_id,school_code,date,category\n"
            f"s-1,{code},2026-09-01,Unexcused Absence\n"
            f"s-1,{code},2026-09-02,Tardy\n"
        ),
    )
    return SimpleUploadedFile(name, data, content_type="application/zip")


def _enrol(t) -> None:
    student = StudentFactory(network=t.network, school=t.schools[0], sourced_id="s-1")
    make_enrollment(student=student)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_is_for_the_network_admin_only(t1, t2, as_user, persona):
    run = AttendanceImport.objects.create(network=t1.network, status=AttendanceImportStatus.DONE)
    client = as_user(t1.users[persona])
    codes = [client.get(_list(t1)).status_code] + [
        client.get(reverse(name, args=[t1.network.slug, run.pk])).status_code for name in PAGES
    ]
    if persona == "network_admin":
        assert codes == [200, 200, 200]
    else:
        assert all(code in (403, 404) for code in codes), codes
        assert client.post(_list(t1), {"file": _zip(t1)}).status_code in (403, 404)
        assert AttendanceImport.objects.count() == 1


def test_the_network_page_links_the_admin_to_the_imports(t1, as_user):
    page = as_user(t1.users["network_admin"]).get(reverse("network_detail", args=[t1.network.slug]))
    assert _list(t1).encode() in page.content


def test_other_tenant_admin_gets_404(t1, t2, as_user):
    client = as_user(t2.users["network_admin"])
    assert client.get(_list(t1)).status_code == 404
    run = AttendanceImport.objects.create(network=t1.network, status=AttendanceImportStatus.DONE)
    for name in PAGES:
        assert client.get(reverse(name, args=[t1.network.slug, run.pk])).status_code == 404
        # their own network's slug with this network's import: still not found
        assert client.get(reverse(name, args=[t2.network.slug, run.pk])).status_code == 404
    assert client.post(_list(t1), {"file": _zip(t1)}).status_code == 404
    assert AttendanceImport.objects.count() == 1


def test_upload_imports_and_shows_the_summary(t1, as_user, django_capture_on_commit_callbacks):
    _enrol(t1)
    client = as_user(t1.users["network_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_list(t1), {"file": _zip(t1)})
    assert response.status_code == 302
    run = AttendanceImport.objects.get()
    assert response["Location"] == reverse(
        "attendance_import_detail", args=[t1.network.slug, run.pk]
    )
    run.refresh_from_db()
    assert run.status == AttendanceImportStatus.DONE, run.errors
    assert (run.created_by, run.dry_run) == (t1.users["network_admin"], False)
    assert AttendanceEvent.objects.count() == 2
    content = client.get(response["Location"]).content.decode()
    assert "The attendance was imported." in content
    assert "Attendance events checked" in content
    assert "hx-trigger" not in content  # finished: no more polling
    listing = client.get(_list(t1)).content.decode()
    assert "attendance.zip" in listing and "imported" in listing


def test_dry_run_upload_checks_and_writes_nothing(t1, as_user, django_capture_on_commit_callbacks):
    _enrol(t1)
    client = as_user(t1.users["network_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_list(t1), {"file": _zip(t1), "dry_run": "on"})
    run = AttendanceImport.objects.get()
    assert (run.dry_run, run.status) == (True, AttendanceImportStatus.CHECKED)
    assert not InstructionalDay.objects.exists() and not AttendanceEvent.objects.exists()
    content = client.get(response["Location"]).content.decode()
    assert "Attendance check (dry run)" in content
    assert "Every file passed the checks." in content


def test_errors_are_listed_by_file_row_and_column(t1, as_user, django_capture_on_commit_callbacks):
    code = t1.schools[0].code
    data = zip_bytes(
        calendar=f"school_code,date\n{code},2026-09-01\nZZ999,2026-09-02\n",
        attendance=f"student_id,school_code,date,category\nnobody,{code},2026-09-01,Sick\n",
    )
    upload = SimpleUploadedFile("bad.zip", data, content_type="application/zip")
    client = as_user(t1.users["network_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_list(t1), {"file": upload, "dry_run": "on"})
    run = AttendanceImport.objects.get()
    assert run.status == AttendanceImportStatus.INVALID
    content = client.get(response["Location"]).content.decode()
    assert "2 problems" in content
    assert (
        '<tr><th scope="row">calendar.csv</th><td class="num">3</td><td>school_code</td>'
        "<td>No school has the code ZZ999.</td></tr>"
    ) in content
    assert "Sick is not an Ed-Fi attendance category" in content
    assert "Nothing was written" in content


def test_a_capped_error_list_says_how_many_more(t1, as_user):
    errors = [
        {"file": "attendance.csv", "row": n, "column": "date", "message": "bad"}
        for n in range(2, 5)
    ]
    run = AttendanceImport.objects.create(
        network=t1.network, status=AttendanceImportStatus.INVALID, errors=errors, error_count=40
    )
    url = reverse("attendance_import_detail", args=[t1.network.slug, run.pk])
    content = as_user(t1.users["network_admin"]).get(url).content.decode()
    assert "3 problems" in content and "(and 37 more not listed)" in content


def test_a_bad_upload_is_a_400_that_keeps_the_form(t1, as_user):
    client = as_user(t1.users["network_admin"])
    not_zip = SimpleUploadedFile("a.zip", b"school_code,date\n", content_type="application/zip")
    response = client.post(_list(t1), {"file": not_zip, "dry_run": "on"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "not a zip archive" in content
    # the dry run box stays as it was posted: ticked, then unticked
    assert 'name="dry_run" id="id_dry_run" checked' in content
    response = client.post(_list(t1), {"file": not_zip})
    assert 'name="dry_run" id="id_dry_run" checked' not in response.content.decode()
    wrong_name = SimpleUploadedFile("a.csv", b"x", content_type="text/csv")
    response = client.post(_list(t1), {"file": wrong_name})
    assert response.status_code == 400
    assert b"not a .zip file" in response.content
    assert client.post(_list(t1), {}).status_code == 400
    assert not AttendanceImport.objects.exists()


def test_a_queued_import_polls_with_an_indeterminate_bar(t1, as_user):
    run = AttendanceImport.objects.create(network=t1.network, status=AttendanceImportStatus.QUEUED)
    url = reverse("attendance_import_progress", args=[t1.network.slug, run.pk])
    content = as_user(t1.users["network_admin"]).get(url).content.decode()
    assert f'hx-get="{url}" hx-trigger="every 1s"' in content
    assert '<label for="attendance-bar">Waiting to start</label>' in content
    assert '<progress id="attendance-bar"></progress>' in content


@pytest.mark.parametrize(
    ("dry_run", "stage", "label", "bar", "words"),
    [
        (False, "", "Starting", 'max="4" value="0">0/4', "step 1 of 4"),
        (
            False,
            "check:attendance",
            "Checking attendance.csv",
            'max="4" value="1">1/4',
            "step 2 of 4",
        ),
        (False, "write", "Writing the attendance", 'max="4" value="3">3/4', "step 4 of 4"),
        (True, "check:records", "Checking students", 'max="3" value="2">2/3', "step 3 of 3"),
    ],
)
def test_a_running_import_shows_its_step(t1, as_user, dry_run, stage, label, bar, words):
    run = AttendanceImport.objects.create(
        network=t1.network, status=AttendanceImportStatus.RUNNING, stage=stage, dry_run=dry_run
    )
    url = reverse("attendance_import_progress", args=[t1.network.slug, run.pk])
    content = as_user(t1.users["network_admin"]).get(url).content.decode()
    assert 'hx-trigger="every 1s"' in content
    assert f'<label for="attendance-bar">{label}' in content
    assert f'<progress id="attendance-bar" {bar}</progress>' in content
    assert words in content


def test_list_query_count(t1, as_user, django_assert_max_num_queries):
    for _ in range(5):
        AttendanceImport.objects.create(
            network=t1.network,
            status=AttendanceImportStatus.DONE,
            created_by=t1.users["network_admin"],
        )
    client = as_user(t1.users["network_admin"])
    client.get(_list(t1))  # warm the session and grants
    with django_assert_max_num_queries(8):
        response = client.get(_list(t1))
    assert response.status_code == 200
    assert response.content.count(b"/attendance/imports/") >= 5
