"""The export page and its downloads: network admins only (other roles 403, other networks 404),
the files are the HSDS exports, and each download is audited."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from wraparound.core.models import AuditEvent
from wraparound.core.tests.personas import PERSONAS
from wraparound.directory.hsds.tables import TABLES
from wraparound.directory.tests.test_hsds_serialize import assert_valid, rich_service

PAGE = "/directory/exports/{slug}/"
ZIP = "/directory/exports/{slug}/hsds.zip"
JSON = "/directory/exports/{slug}/hsds.json"


@pytest.fixture
def directory(t1, t2):
    rich_service(network=t1.network, name="Homework Help")
    rich_service(network=t2.network, name="South Tutoring")
    return t1


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_network_admin_sees_the_page_with_both_downloads(as_user, directory):
    response = as_user(directory.users["network_admin"]).get(
        PAGE.format(slug=directory.network.slug)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Download HSDS data package (zip)" in html
    assert "Download HSDS JSON" in html
    assert ZIP.format(slug=directory.network.slug) in html
    assert JSON.format(slug=directory.network.slug) in html


def test_zip_download_is_the_data_package(as_user, directory):
    client = as_user(directory.users["network_admin"])
    response = client.get(ZIP.format(slug=directory.network.slug))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    assert f"{directory.network.slug}-hsds-" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(body(response))) as zf:
        assert set(zf.namelist()) == {t.path for t in TABLES} | {"datapackage.json"}
        services = zf.read("services.csv").decode()
    assert "Homework Help" in services and "South Tutoring" not in services
    event = AuditEvent.objects.get(action="directory.hsds_export")
    assert event.network_id == directory.network.pk and event.data == {"format": "zip"}
    assert event.actor == directory.users["network_admin"]


def test_json_download_is_the_list_of_services(as_user, directory):
    client = as_user(directory.users["network_admin"])
    response = client.get(JSON.format(slug=directory.network.slug))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    records = json.loads(body(response))
    assert [r["name"] for r in records] == ["Homework Help"]
    assert_valid(records[0], "compiled/service.json")


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p not in {"network_admin", "outsider"}])
@pytest.mark.parametrize("url", [PAGE, ZIP, JSON])
def test_other_roles_are_refused(as_user, directory, persona, url):
    response = as_user(directory.users[persona]).get(url.format(slug=directory.network.slug))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="directory.hsds_export").exists()


@pytest.mark.parametrize("url", [PAGE, ZIP, JSON])
def test_another_networks_admin_and_outsiders_get_404(as_user, directory, t2, url):
    slug = directory.network.slug
    assert as_user(t2.users["network_admin"]).get(url.format(slug=slug)).status_code == 404
    assert as_user(directory.users["outsider"]).get(url.format(slug=slug)).status_code == 404
    assert as_user(t2.users["network_admin"]).get(url.format(slug="nowhere")).status_code == 404


@pytest.mark.parametrize("url", [PAGE, ZIP, JSON])
def test_anonymous_users_are_sent_to_sign_in(client, directory, url):
    response = client.get(url.format(slug=directory.network.slug))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_downloads_only_answer_get(as_user, directory):
    client = as_user(directory.users["network_admin"])
    assert client.post(ZIP.format(slug=directory.network.slug)).status_code == 405


def test_export_page_queries_are_few(as_user, directory, django_assert_max_num_queries):
    client = as_user(directory.users["network_admin"])
    with django_assert_max_num_queries(8):
        client.get(PAGE.format(slug=directory.network.slug))
