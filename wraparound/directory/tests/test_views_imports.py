"""The import pages: who may open them, the upload form, the report, history and duplicates."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wraparound.directory import models as m
from wraparound.directory.hsds.importer import hsds_import
from wraparound.directory.models import DuplicateStatus, HsdsImport, ImportStatus, PossibleDuplicate

from .test_hsds_import_duplicates import incoming_package
from .test_hsds_import_helpers import OFFICIAL, OFFICIAL_CSV, organization, service, write_package

FORBIDDEN = [
    "evaluator",
    "coordinator",
    "staff",
    "principal",
    "network_supervisor",
    "partner_admin",
    "partner_staff_a",
    "coalition_member",
    "outsider",
]


def official_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in OFFICIAL_CSV.iterdir():
            archive.write(path, path.name)
    return buffer.getvalue()


def urls(t) -> list[str]:
    result = hsds_import(network=t.network, source=OFFICIAL_CSV, user=None, dry_run=True)
    return [
        reverse("directory_import_list", args=[t.network.slug]),
        reverse("directory_import_new", args=[t.network.slug]),
        reverse("directory_import_detail", args=[t.network.slug, result.pk]),
        reverse("directory_duplicate_list", args=[t.network.slug]),
    ]


def test_pages_need_a_login(client, t1):
    for url in urls(t1):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_network_admin_opens_every_page(t1, as_user):
    client = as_user(t1.users["network_admin"])
    for url in urls(t1):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", FORBIDDEN)
def test_other_roles_are_refused(t1, as_user, persona):
    client = as_user(t1.users[persona])
    for url in urls(t1):
        assert client.get(url).status_code == 403, url
    upload = SimpleUploadedFile("x.json", b"{}")
    assert client.post(urls(t1)[1], {"source": upload}).status_code == 403


def test_another_networks_admin_gets_404(t1, t2, as_user):
    client = as_user(t2.users["network_admin"])
    for url in urls(t1):
        assert client.get(url).status_code == 404, url
    # and an import of another network, under their own network's address, is not found either
    other = HsdsImport.objects.filter(network=t1.network).first()
    assert other is not None
    url = reverse("directory_import_detail", args=[t2.network.slug, other.pk])
    assert client.get(url).status_code == 404


def test_upload_form_defaults_to_a_dry_run(t1, as_user):
    html = (
        as_user(t1.users["network_admin"])
        .get(reverse("directory_import_new", args=[t1.network.slug]))
        .content.decode()
    )
    assert 'name="dry_run" id="id_dry_run" aria-describedby="id_dry_run_help" checked' in html
    assert (
        'name="skip_invalid" id="id_skip_invalid" aria-describedby="id_skip_invalid_help">' in html
    )
    assert 'accept=".zip,.json"' in html and 'enctype="multipart/form-data"' in html


def test_the_form_keeps_the_checkboxes_on_error(t1, as_user):
    client = as_user(t1.users["network_admin"])
    url = reverse("directory_import_new", args=[t1.network.slug])
    response = client.post(
        url, {"source": SimpleUploadedFile("dir.csv", b"id\n"), "skip_invalid": "on"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a .zip of a tabular data package or a .json file" in html
    assert 'id="id_skip_invalid" aria-describedby="id_skip_invalid_help" checked' in html
    assert 'id="id_dry_run" aria-describedby="id_dry_run_help">' in html  # unticked: kept so
    assert not HsdsImport.objects.exists()


def test_an_upload_over_the_limit_is_refused(t1, as_user, monkeypatch):
    from wraparound.directory.views import imports

    monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", 10)
    response = as_user(t1.users["network_admin"]).post(
        reverse("directory_import_new", args=[t1.network.slug]),
        {"source": SimpleUploadedFile("big.json", b"[" + b" " * 20 + b"]"), "dry_run": "on"},
    )
    assert response.status_code == 400 and "the limit is" in response.content.decode()


def test_dry_run_upload_shows_the_report_by_file(t1, as_user):
    client = as_user(t1.users["network_admin"])
    response = client.post(
        reverse("directory_import_new", args=[t1.network.slug]),
        {"source": SimpleUploadedFile("official.zip", official_zip()), "dry_run": "on"},
        follow=True,
    )
    assert response.status_code == 200
    result = HsdsImport.objects.get()
    assert result.source_name == "official.zip" and result.dry_run
    assert result.created_by == t1.users["network_admin"]
    html = response.content.decode()
    assert "4 problems" in html
    assert "<caption>locations.csv</caption>" in html and "<caption>contacts.csv</caption>" in html
    assert "985e4a42-bd9f-4edc-911d-0243a4640aca" in html
    assert not m.Service.objects.exists()


def test_import_with_skip_invalid_shows_skipped_rows_and_counts(t1, as_user):
    client = as_user(t1.users["network_admin"])
    response = client.post(
        reverse("directory_import_new", args=[t1.network.slug]),
        {"source": SimpleUploadedFile("official.zip", official_zip()), "skip_invalid": "on"},
        follow=True,
    )
    html = response.content.decode()
    assert HsdsImport.objects.get().status == ImportStatus.IMPORTED_PARTLY
    assert "10 rows skipped" in html and "What was written" in html
    assert m.Service.objects.filter(network=t1.network).count() == 1


def test_json_upload_imports(t1, as_user):
    client = as_user(t1.users["network_admin"])
    data = (OFFICIAL / "service_full.json").read_bytes()
    client.post(
        reverse("directory_import_new", args=[t1.network.slug]),
        {"source": SimpleUploadedFile("service.json", data)},
    )
    assert HsdsImport.objects.get().status == ImportStatus.IMPORTED


def test_history_lists_the_networks_imports_in_few_queries(
    t1, t2, as_user, tmp_path, django_assert_max_num_queries
):
    source = write_package(
        tmp_path / "p", {"organization": [organization(1)], "service": [service(1, 1)]}
    )
    for _ in range(6):
        hsds_import(network=t1.network, source=source, user=t1.users["network_admin"], dry_run=True)
    hsds_import(
        network=t2.network, source=source, user=None, dry_run=True, source_name="theirs.zip"
    )
    client = as_user(t1.users["network_admin"])
    url = reverse("directory_import_list", args=[t1.network.slug])
    client.get(url)
    with django_assert_max_num_queries(9):  # 8, and the header's unread notifications count
        html = client.get(url).content.decode()
    assert html.count('href="/directory/imports/north/') >= 6
    assert "theirs.zip" not in html


def test_duplicate_review_shows_both_sides_and_resolves(t1, as_user, tmp_path):
    from .factories import AddressFactory, LocationFactory, VettedOrganizationFactory

    existing = VettedOrganizationFactory(network=t1.network, name="The Bronx Tutoring Center")
    AddressFactory(
        location=LocationFactory(organization=existing, network=t1.network),
        network=t1.network,
        address_1="123 East 149th Street",
        city="Bronx",
        postal_code="10451",
    )
    result = hsds_import(
        network=t1.network, source=incoming_package(tmp_path), user=None, dry_run=False
    )
    duplicate = PossibleDuplicate.objects.get()
    client = as_user(t1.users["network_admin"])
    report = client.get(reverse("directory_import_detail", args=[t1.network.slug, result.pk]))
    review_url = reverse("directory_duplicate_review", args=[t1.network.slug, duplicate.pk])
    assert review_url in report.content.decode()
    html = client.get(review_url).content.decode()
    assert "The Bronx Tutoring Center" in html and "Bronx Tutoring Center, Inc." in html
    assert "123 East 149th Street" in html and "123 E 149th St" in html
    for decision in ("merge", "create", "discard"):
        assert f'name="decision" value="{decision}"' in html

    resolve = reverse("directory_duplicate_resolve", args=[t1.network.slug, duplicate.pk])
    assert client.post(resolve, {"decision": "bogus"}).status_code == 400
    response = client.post(resolve, {"decision": "merge"}, follow=True)
    assert response.status_code == 200 and "Merged into" in response.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.status == DuplicateStatus.MERGED
    assert m.Service.objects.get(network=t1.network, hsds_id="svc-1").organization == existing
    assert client.post(resolve, {"decision": "discard"}).status_code == 400  # already resolved


def test_duplicate_pages_refuse_others(t1, t2, as_user, tmp_path):
    from .factories import VettedOrganizationFactory

    VettedOrganizationFactory(network=t1.network, name="Bronx Tutoring Center")
    src = write_package(
        tmp_path / "p", {"organization": [organization(1, name="The Bronx Tutoring Center")]}
    )
    hsds_import(network=t1.network, source=src, user=None, dry_run=False)
    duplicate = PossibleDuplicate.objects.get()
    review = reverse("directory_duplicate_review", args=[t1.network.slug, duplicate.pk])
    resolve = reverse("directory_duplicate_resolve", args=[t1.network.slug, duplicate.pk])
    assert as_user(t1.users["coordinator"]).get(review).status_code == 403
    assert (
        as_user(t1.users["partner_admin"]).post(resolve, {"decision": "discard"}).status_code == 403
    )
    assert as_user(t2.users["network_admin"]).get(review).status_code == 404
    assert (
        as_user(t2.users["network_admin"]).post(resolve, {"decision": "discard"}).status_code == 404
    )
    duplicate.refresh_from_db()
    assert duplicate.status == DuplicateStatus.PENDING
