"""Round trip (issue 3, "What it must show"): the official HSDS examples import and come out
again — through the exports and the HSDS API — equal on every HSDS field they carry.

Only what the directory cannot hold is exempt, and only where the import said so: a reference
to a record in neither the source nor the directory (a parent organization or parent term not in
the package) is dropped with a warning naming the file, row and field; the CSV example's four
dangling references skip their rows (and the rows depending on them), as the import report
lists. Everything else must come back as it went in."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from wraparound.core.models import Organization, VettingStatus
from wraparound.directory import models as m
from wraparound.directory.hsds.export import hsds_export_csv, hsds_export_json
from wraparound.directory.hsds.importer import hsds_import
from wraparound.directory.hsds.serialize import field_spec
from wraparound.directory.hsds.tables import BY_PATH
from wraparound.directory.tests.test_hsds_serialize import assert_valid

EXAMPLES = settings.HSDS_STANDARD_DIR / "examples"
DROPPED = "with this id in the source or the directory"


def imported(network: Any, user: Any, source: Path) -> m.HsdsImport:
    run = hsds_import(network=network, source=source, user=user, dry_run=False, skip_invalid=True)
    assert run.status in (m.ImportStatus.IMPORTED, m.ImportStatus.IMPORTED_PARTLY), run.report
    assert not run.report["held"]
    # The HSDS API shows vetted organizations only; these are the examples, vetted here.
    Organization.objects.filter(network=network).update(vetting_status=VettingStatus.VETTED)
    return run


def dropped_fields(run: m.HsdsImport) -> set[tuple[Any, str]]:
    """(row, field) of the references the import could not keep (it warned about each)."""
    return {(w["row"], w["field"]) for w in run.report["warnings"] if DROPPED in str(w["message"])}


def assert_carried(expected: Any, actual: Any, pointer: str, dropped: set[tuple[Any, str]]) -> None:
    """Every field of `expected` is in `actual` with the same value; list items are matched by
    id; `actual` may carry more."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{pointer}: {actual!r} is not an object"
        for key, value in expected.items():
            if (pointer or "/", key) in dropped:
                continue
            assert key in actual, f"{pointer}/{key} did not come back"
            assert_carried(value, actual[key], f"{pointer}/{key}", dropped)
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{pointer}: {actual!r} is not a list"
        assert len(actual) >= len(expected), f"{pointer}: items lost"
        by_id = {a.get("id"): a for a in actual if isinstance(a, dict)}
        for i, item in enumerate(expected):
            other = by_id.get(item["id"]) if isinstance(item, dict) and "id" in item else actual[i]
            assert other is not None, f"{pointer}/{i} ({item.get('id')}) did not come back"
            assert_carried(item, other, f"{pointer}/{i}", dropped)
    else:
        assert actual == expected, f"{pointer}: {actual!r} != {expected!r}"


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def api(client: Any, url: str, **params: Any) -> Any:
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return response.json()


# --- JSON examples ------------------------------------------------------------------------------


def test_service_full_comes_back_from_the_json_export_and_the_api(t1, client, tmp_path):
    run = imported(t1.network, t1.users["network_admin"], EXAMPLES / "service_full.json")
    expected = example("service_full.json")
    out = hsds_export_json(network=t1.network, out_file=tmp_path / "services.json")
    (record,) = [r for r in json.loads(out.read_text()) if r["id"] == expected["id"]]
    assert_valid(record, "compiled/service.json")
    assert_carried(expected, record, "", dropped_fields(run))
    from_api = api(client, f"/hsds/services/{expected['id']}", network=t1.network.slug)
    assert_carried(expected, from_api, "", dropped_fields(run))


def test_organization_full_comes_back_from_the_api(t1, client):
    run = imported(t1.network, t1.users["network_admin"], EXAMPLES / "organization_full.json")
    expected = example("organization_full.json")
    body = api(
        client,
        f"/hsds/organizations/{expected['id']}",
        network=t1.network.slug,
        full_service="true",
    )
    assert_carried(expected, body, "", dropped_fields(run))


def test_service_at_location_full_comes_back_from_the_api(t1, client):
    run = imported(
        t1.network, t1.users["network_admin"], EXAMPLES / "service_at_location_full.json"
    )
    expected = example("service_at_location_full.json")
    body = api(client, f"/hsds/service_at_locations/{expected['id']}", network=t1.network.slug)
    assert_carried(expected, body, "", dropped_fields(run))


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("service_list.json", "/hsds/services"),
        ("organization_list.json", "/hsds/organizations"),
        ("service_at_location_list.json", "/hsds/service_at_locations"),
        ("taxonomy_list.json", "/hsds/taxonomies"),
        ("taxonomy_term_list.json", "/hsds/taxonomy_terms"),
    ],
)
def test_list_examples_come_back_from_the_api_lists(t1, client, name, url):
    run = imported(t1.network, t1.users["network_admin"], EXAMPLES / name)
    expected = example(name)
    body = api(client, url, network=t1.network.slug)
    # The page's counts describe the example's server; the records are what must come back.
    assert_carried(expected["contents"], body["contents"], "/contents", dropped_fields(run))


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("taxonomy.json", "/hsds/taxonomies/{id}"),
        ("taxonomy_term.json", "/hsds/taxonomy_terms/{id}"),
    ],
)
def test_taxonomy_examples_come_back_from_the_api(t1, client, name, url):
    run = imported(t1.network, t1.users["network_admin"], EXAMPLES / name)
    expected = example(name)
    body = api(client, url.format(id=expected["id"]), network=t1.network.slug)
    assert_carried(expected, body, "", dropped_fields(run))


# --- CSV examples ---------------------------------------------------------------------------------


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_valid_part_of_the_csv_examples_comes_back_from_the_csv_export(t1, tmp_path):
    run = imported(t1.network, t1.users["network_admin"], EXAMPLES / "csv")
    skipped = {(s["table"], s["id"]) for s in run.report["skipped"]}
    assert len(skipped) >= 4  # the four dangling references and what depends on them
    dropped = {(w["row"], w["field"]) for w in run.report["warnings"] if DROPPED in w["message"]}
    out = hsds_export_csv(network=t1.network, out_dir=tmp_path / "export")
    compared = 0
    for source in sorted((EXAMPLES / "csv").glob("*.csv")):
        table = BY_PATH[source.name]
        ours = {r["id"]: r for r in read_rows(out / source.name)}
        for number, row in enumerate(read_rows(source), start=2):
            if (table.name, row["id"]) in skipped:
                assert row["id"] not in ours, f"{source.name} row {number} was skipped"
                continue
            assert row["id"] in ours, f"{source.name} row {number} did not come back"
            for column, value in row.items():
                if value == "" or (number, column) in dropped:
                    continue
                got = ours[row["id"]][column]
                if field_spec(table, column).type == "number":
                    assert Decimal(got) == Decimal(value), (source.name, number, column)
                else:
                    assert got == value, (source.name, number, column, got, value)
                compared += 1
    assert compared >= 80  # every cell of every row that came back
