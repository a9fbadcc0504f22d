"""The HSDS API at /hsds/: public scope (vetted organizations, active services), HSDS pages and
filters, clear 4xx answers, constant query counts, and every response valid against the official
openapi.json (its `$ref`s resolved to the shared schema files)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from wraparound.core.models import VettingStatus
from wraparound.directory import models as m
from wraparound.directory.tests.factories import (
    AddressFactory,
    ServiceAtLocationFactory,
    ServiceCategoryFactory,
    ServiceFactory,
    TaxonomyTermFactory,
    VettedOrganizationFactory,
)
from wraparound.directory.tests.test_hsds_serialize import assert_valid, rich_service


def openapi_ref(path: str, status: str = "200") -> str:
    pointer = path.replace("~", "~0").replace("/", "~1")
    return f"openapi.json#/paths/{pointer}/get/responses/{status}/content/application~1json/schema"


def get(client: Any, url: str, status: int = 200, **params: Any) -> Any:
    response = client.get(url, params)
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


@pytest.fixture
def directory(t1, t2) -> dict[str, Any]:
    """Public and non-public records in two networks."""
    vetted = VettedOrganizationFactory(network=t1.network, name="Bronx Learning Partners")
    public = rich_service(organization=vetted, name="Homework Help", description="Math tutoring")
    second = ServiceFactory(organization=vetted, name="Chess Club", description="Strategy games")
    inactive = ServiceFactory(organization=vetted, name="Old Club", status=m.ServiceStatus.INACTIVE)
    unvetted = ServiceFactory(
        organization__network=t1.network,
        organization__vetting_status=VettingStatus.UNVETTED,
        name="Unvetted Tutoring",
    )
    suspended = ServiceFactory(
        organization__network=t1.network,
        organization__vetting_status=VettingStatus.SUSPENDED,
        name="Suspended Tutoring",
    )
    other = rich_service(network=t2.network, name="South Tutoring")
    return {
        "t1": t1,
        "t2": t2,
        "vetted": vetted,
        "public": public,
        "second": second,
        "inactive": inactive,
        "unvetted": unvetted,
        "suspended": suspended,
        "other": other,
    }


# --- conformance ------------------------------------------------------------------------------


def test_about_says_version_profile_and_openapi(client, db):
    body = get(client, "/hsds/")
    assert_valid(body, openapi_ref("/"))
    assert body["version"] == "3.0"
    assert body["openapi_url"].endswith("/hsds/openapi.json")
    assert client.get("/hsds/openapi.json").status_code == 200
    assert client.get("/hsds/docs").status_code == 200


@pytest.mark.parametrize(
    ("url", "path", "params"),
    [
        ("/hsds/services", "/services", {}),
        ("/hsds/services", "/services", {"full": "true"}),
        ("/hsds/services", "/services", {"minimal": "true"}),
        ("/hsds/organizations", "/organizations", {}),
        ("/hsds/organizations", "/organizations", {"full": "true"}),
        ("/hsds/organizations", "/organizations", {"full": "true", "full_service": "true"}),
        ("/hsds/taxonomies", "/taxonomies", {}),
        ("/hsds/taxonomy_terms", "/taxonomy_terms", {}),
        ("/hsds/service_at_locations", "/service_at_locations", {}),
        ("/hsds/service_at_locations", "/service_at_locations", {"full": "true"}),
    ],
)
def test_every_list_validates_against_the_official_openapi(client, directory, url, path, params):
    body = get(client, url, **params)
    assert body["total_items"] >= 1 and body["contents"]
    assert_valid(body, openapi_ref(path))


def test_every_detail_validates_against_the_official_openapi(client, directory):
    service = directory["public"]
    net = service.network.slug
    body = get(client, f"/hsds/services/{service.hsds_id}")
    assert_valid(body, openapi_ref("/services/{id}"))
    assert body["service_at_locations"][0]["location"]["addresses"]

    body = get(client, f"/hsds/organizations/{service.organization.hsds_id}", network=net)
    assert_valid(body, openapi_ref("/organizations/{id}"))
    body = get(client, f"/hsds/organizations/{service.organization.hsds_id}", full_service="true")
    assert_valid(body, openapi_ref("/organizations/{id}"))
    assert body["services"][0]["phones"]

    sal = service.at_locations.get()
    body = get(client, f"/hsds/service_at_locations/{sal.hsds_id}")
    assert_valid(body, openapi_ref("/service_at_locations/{id}"))
    assert_valid(body, "compiled/service_at_location.json")
    assert body["service"]["id"] == service.hsds_id

    term = service.attributes.get().taxonomy_term
    body = get(client, f"/hsds/taxonomy_terms/{term.hsds_id}")
    assert_valid(body, openapi_ref("/taxonomy_terms/{id}"))
    body = get(client, f"/hsds/taxonomies/{term.taxonomy_ref.hsds_id}")
    assert_valid(body, openapi_ref("/taxonomies/{id}"))


# --- scope --------------------------------------------------------------------------------------


def test_only_vetted_organizations_and_active_services_are_public(client, directory):
    names = {s["name"] for s in get(client, "/hsds/services", per_page=500)["contents"]}
    assert names == {"Homework Help", "Chess Club", "South Tutoring"}
    orgs = {o["id"] for o in get(client, "/hsds/organizations")["contents"]}
    assert directory["unvetted"].organization.hsds_id not in orgs
    assert directory["suspended"].organization.hsds_id not in orgs
    for key in ("inactive", "unvetted", "suspended"):
        body = get(client, f"/hsds/services/{directory[key].hsds_id}", status=404)
        assert "No service" in body["detail"]
    get(client, f"/hsds/organizations/{directory['unvetted'].organization.hsds_id}", status=404)
    services_of_vetted = get(client, f"/hsds/organizations/{directory['vetted'].hsds_id}")
    assert {s["name"] for s in services_of_vetted["services"]} == {"Homework Help", "Chess Club"}


def test_signed_in_users_see_the_same_public_scope(as_user, directory):
    client = as_user(directory["t1"].users["network_admin"])
    get(client, f"/hsds/services/{directory['unvetted'].hsds_id}", status=404)
    assert get(client, "/hsds/services")["total_items"] == 3


def test_network_limits_every_list(client, directory):
    body = get(client, "/hsds/services", network=directory["t2"].network.slug)
    assert [s["name"] for s in body["contents"]] == ["South Tutoring"]
    body = get(client, "/hsds/taxonomies", network=directory["t2"].network.slug)
    assert {t["id"] for t in body["contents"]} == {
        t.hsds_id for t in m.Taxonomy.objects.filter(network=directory["t2"].network)
    }
    body = get(client, "/hsds/services", status=404, network="no-such-network")
    assert "no-such-network" in body["detail"]
    sal = directory["public"].at_locations.get()
    get(client, f"/hsds/service_at_locations/{sal.hsds_id}", 404, network="south")


def test_an_id_in_two_networks_needs_the_network(client, directory):
    twin = ServiceFactory(
        organization=VettedOrganizationFactory(network=directory["t2"].network),
        hsds_id=directory["public"].hsds_id,
        name="Twin",
    )
    body = get(client, f"/hsds/services/{twin.hsds_id}", status=404)
    assert "more than one network" in body["detail"]
    assert "network=" in body["detail"]
    assert get(client, f"/hsds/services/{twin.hsds_id}", network="south")["name"] == "Twin"
    assert get(client, f"/hsds/services/{twin.hsds_id}", network="north")["name"] == (
        "Homework Help"
    )


# --- filters and pages ----------------------------------------------------------------------------


def test_filters_are_and_combined(client, directory):
    public = directory["public"]
    term = public.attributes.get().taxonomy_term

    def names(**params: Any) -> set[str]:
        return {s["name"] for s in get(client, "/hsds/services", **params)["contents"]}

    assert names(search="tutoring") == {"Homework Help", "South Tutoring"}
    assert names(search="math tutoring") == {"Homework Help"}
    assert names(search="bronx learning") == {"Homework Help", "Chess Club"}
    assert names(taxonomy_term_id=term.hsds_id) == {"Homework Help"}
    assert names(taxonomy_id=term.taxonomy_ref.hsds_id) == {"Homework Help"}
    assert names(organization_id=directory["vetted"].hsds_id) == {"Homework Help", "Chess Club"}
    assert names(organization_id=directory["vetted"].hsds_id, search="chess") == {"Chess Club"}
    assert names(taxonomy_term_id=term.hsds_id, search="chess") == set()
    m.Service.objects.filter(pk=directory["second"].pk).update(
        last_modified=timezone.now() + dt.timedelta(days=30)
    )
    later = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert names(modified_after=later) == {"Chess Club"}
    assert names(modified_after=later, search="homework") == set()


def test_taxonomy_term_filters(client, directory):
    term = directory["public"].attributes.get().taxonomy_term
    child = m.TaxonomyTerm.objects.get(parent=term)
    body = get(client, "/hsds/taxonomy_terms", parent_id=term.hsds_id)
    assert [t["id"] for t in body["contents"]] == [child.hsds_id]
    top = get(client, "/hsds/taxonomy_terms", top_only="true", network="north")["contents"]
    assert [t["id"] for t in top] == [term.hsds_id]
    body = get(client, "/hsds/taxonomy_terms", taxonomy_id=term.taxonomy_ref.hsds_id)
    assert {t["id"] for t in body["contents"]} == {term.hsds_id, child.hsds_id}


def test_service_at_locations_by_postcode_and_proximity(client, directory):
    public = directory["public"]
    near = ServiceAtLocationFactory(
        service=directory["second"], location__latitude=40.8200, location__longitude=-73.9170
    )
    AddressFactory(location=near.location, postal_code="10455")
    far = ServiceAtLocationFactory(
        service=directory["second"], location__latitude=40.7000, location__longitude=-74.0100
    )
    AddressFactory(location=far.location, postal_code="10004")

    def ids(**params: Any) -> set[str]:
        body = get(client, "/hsds/service_at_locations", network="north", **params)
        return {s["id"] for s in body["contents"]}

    sal = public.at_locations.get()
    assert ids(postcode="10451") == {sal.hsds_id}
    assert ids(postcode="10451", proximity="1000") == {sal.hsds_id, near.hsds_id}
    assert ids(postcode="10451", proximity="100000") == {sal.hsds_id, near.hsds_id, far.hsds_id}
    assert ids(postcode="99999", proximity="1000") == set()
    body = get(client, "/hsds/service_at_locations", 400, proximity="1000")
    assert "postcode" in body["detail"]


def test_pages_follow_hsds_page(client, directory):
    body = get(client, "/hsds/services", per_page=2, page=1)
    assert body | {"contents": None} == {
        "total_items": 3,
        "total_pages": 2,
        "page_number": 1,
        "size": 2,
        "first_page": True,
        "last_page": False,
        "empty": False,
        "contents": None,
    }
    body = get(client, "/hsds/services", per_page=2, page=2)
    assert (body["size"], body["first_page"], body["last_page"]) == (1, False, True)
    body = get(client, "/hsds/services", per_page=2, page=9)
    assert (body["size"], body["empty"], body["contents"]) == (0, True, [])
    body = get(client, "/hsds/services", search="nothing-like-this")
    assert (body["total_items"], body["total_pages"], body["empty"]) == (0, 0, True)
    body = get(client, "/hsds/services", minimal="true")
    assert set(body["contents"][0]) == {"id", "name", "status", "last_modified"}


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/hsds/services", {"page": "0"}, "page"),
        ("/hsds/services", {"page": "x"}, "page"),
        ("/hsds/services", {"per_page": "501"}, "per_page"),
        ("/hsds/services", {"per_page": "-1"}, "per_page"),
        ("/hsds/services", {"modified_after": "yesterday"}, "modified_after"),
        ("/hsds/services", {"format": "xml"}, "format"),
        ("/hsds/services", {"full": "perhaps"}, "full"),
        ("/hsds/services", {"search": "a\x00b"}, "search"),
        ("/hsds/organizations", {"per_page": "1000"}, "per_page"),
        ("/hsds/service_at_locations", {"proximity": "-5", "postcode": "1"}, "proximity"),
        ("/hsds/taxonomy_terms", {"top_only": "maybe"}, "top_only"),
    ],
)
def test_bad_parameters_get_a_clear_400(client, db, url, params, field):
    body = get(client, url, 400, **params)
    assert field in str(body)
    assert body["detail"]


def test_minimal_pages_may_be_large(client, directory):
    assert get(client, "/hsds/services", minimal="true", per_page=50_000)["total_items"] == 3


# --- queries --------------------------------------------------------------------------------------


def _more_services(network: Any, n: int) -> None:
    for i in range(n):
        org = VettedOrganizationFactory(network=network)
        service = rich_service(organization=org, name=f"Extra {i}")
        ServiceCategoryFactory(service=service, taxonomy_term=TaxonomyTermFactory())


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/hsds/services", {}),
        ("/hsds/services", {"full": "true"}),
        ("/hsds/services", {"minimal": "true"}),
        ("/hsds/organizations", {}),
        ("/hsds/organizations", {"full": "true", "full_service": "true"}),
        ("/hsds/service_at_locations", {}),
        ("/hsds/service_at_locations", {"full": "true"}),
        ("/hsds/taxonomy_terms", {}),
        ("/hsds/taxonomies", {}),
    ],
)
def test_list_queries_do_not_grow_with_rows(
    client, directory, django_assert_max_num_queries, url, params
):
    with django_assert_max_num_queries(80) as few:
        get(client, url, **params)
    _more_services(directory["t1"].network, 4)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = get(client, url, **params)
    assert body["size"] >= 4


# --- generated requests ---------------------------------------------------------------------------


@pytest.fixture
def hsds_schema(db):
    from config.wsgi import application

    # As Django's test client does: the test's transaction must survive each request's end
    # (otherwise, on PostgreSQL, the request's end closes the connection the test runs in).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/hsds/openapi.json", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("hsds_schema")


@schema.parametrize()
@hypothesis_settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_hsds_api_answers_every_generated_request_without_a_server_error(case, directory):
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
