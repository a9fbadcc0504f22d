"""HSDS 3.0 export: the generated datapackage.json matches the official one, every CSV package
validates against the official descriptor with frictionless, every JSON record against the
compiled service schema; the whole network and nothing else; queries do not grow with rows; the
`hsds_export` command."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import frictionless
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from wraparound.core.models import VettingStatus
from wraparound.directory import models as m
from wraparound.directory.hsds.export import (
    datapackage_descriptor,
    hsds_export_csv,
    hsds_export_json,
    hsds_export_zip,
)
from wraparound.directory.hsds.tables import BY_PATH, TABLES
from wraparound.directory.tests.factories import (
    ServiceFactory,
    TaxonomyTermFactory,
    VettedOrganizationFactory,
)
from wraparound.directory.tests.test_hsds_serialize import assert_valid, rich_service


def official_descriptor() -> dict[str, Any]:
    return json.loads((settings.HSDS_STANDARD_DIR / "datapackage.json").read_text())


def validate_package(folder: Path, descriptor: dict[str, Any]) -> frictionless.Report:
    """frictionless on the exported CSVs, described by `descriptor` (written beside a copy)."""
    check = folder.parent / f"{folder.name}-check"
    shutil.copytree(folder, check)
    (check / "datapackage.json").write_text(json.dumps(descriptor))
    return frictionless.validate(str(check / "datapackage.json"))


def errors_of(report: frictionless.Report) -> list[str]:
    return [f"{task.name}: {e.type}: {e.message}" for task in report.tasks for e in task.errors]


def read_csv(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def network(t1, t2):
    """A network with rich records, an unvetted organization, and a second network."""
    rich_service(network=t1.network, name="Homework Help")
    org = VettedOrganizationFactory(network=t1.network)
    rich_service(organization=org, name="Chess Club", status=m.ServiceStatus.INACTIVE)
    ServiceFactory(
        organization__network=t1.network,
        organization__vetting_status=VettingStatus.UNVETTED,
        organization__description="Not yet vetted.",
        name="Unvetted Tutoring",
    )
    rich_service(network=t2.network, name="South Tutoring")
    # Organizations made by the personas have no description (required by HSDS): give them one.
    m.Organization.objects.filter(description="").update(description="A partner.")
    return t1.network


# --- the descriptor ----------------------------------------------------------------------------


def _essence(resource: dict[str, Any]) -> dict[str, Any]:
    schema = resource["schema"]
    return {
        "name": resource["name"],
        "path": resource["path"],
        "format": resource.get("format"),
        "fields": [
            {
                "name": f["name"],
                "type": f["type"],
                "format": f.get("format"),
                "required": f.get("constraints", {}).get("required", False),
                "unique": f.get("constraints", {}).get("unique", False),
                "enum": f.get("constraints", {}).get("enum"),
            }
            for f in schema["fields"]
        ],
        "primaryKey": schema.get("primaryKey"),
        "foreignKeys": sorted(
            (fk["fields"], fk["reference"]["resource"], fk["reference"]["fields"])
            for fk in schema.get("foreignKeys", [])
        ),
    }


def test_generated_descriptor_matches_the_official_one():
    ours = datapackage_descriptor()
    official = official_descriptor()
    assert ours["profile"] == official["profile"] == "tabular-data-package"
    assert ours["version"] == official["version"]
    assert {r["name"]: _essence(r) for r in ours["resources"]} == {
        r["name"]: _essence(r) for r in official["resources"]
    }
    # HSDS 3.1's service_capacity is not a 3.0 table.
    assert "service_capacity" not in {r["name"] for r in ours["resources"]}
    assert frictionless.Package.validate_descriptor(ours).valid


# --- the CSV package ------------------------------------------------------------------------------


def test_csv_package_validates_against_the_official_datapackage(network, tmp_path):
    out = hsds_export_csv(network=network, out_dir=tmp_path / "export")
    assert {p.name for p in out.iterdir()} == {t.path for t in TABLES} | {"datapackage.json"}
    report = validate_package(out, official_descriptor())
    assert report.valid, errors_of(report)
    # Its own datapackage.json says the same.
    own = frictionless.validate(str(out / "datapackage.json"))
    assert own.valid, errors_of(own)


def test_csv_package_has_the_whole_network_and_nothing_else(network, tmp_path):
    out = hsds_export_csv(network=network, out_dir=tmp_path / "export")
    services = read_csv(out, "services.csv")
    assert {s["name"] for s in services} == {"Homework Help", "Chess Club", "Unvetted Tutoring"}
    for table in TABLES:
        rows = read_csv(out, table.path)
        assert {r["id"] for r in rows} == set(
            table.model._default_manager.filter(network=network).values_list("hsds_id", flat=True)
        ), table.name
        assert list(rows[0]) if rows else True
        with (out / table.path).open(encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == list(table.columns)


def test_csv_values_follow_the_field_types(network, tmp_path):
    out = hsds_export_csv(network=network, out_dir=tmp_path / "export")
    service = m.Service.objects.get(network=network, name="Homework Help")
    (row,) = [r for r in read_csv(out, "services.csv") if r["id"] == service.hsds_id]
    assert row["organization_id"] == service.organization.hsds_id
    assert service.program is not None and row["program_id"] == service.program.hsds_id
    assert (row["minimum_age"], row["maximum_age"]) == ("5", "13.5")
    assert row["assured_date"] == "2024-09-01"
    assert row["alternate_name"] == ""  # null
    assert row["last_modified"].endswith("Z")
    location = read_csv(out, "locations.csv")[0]
    assert (location["latitude"], location["longitude"]) == ("40.816", "-73.917")
    schedule = next(r for r in read_csv(out, "schedules.csv") if r["service_at_location_id"])
    assert (schedule["opens_at"], schedule["closes_at"]) == ("15:00:00", "18:00:00")
    assert schedule["service_id"] == ""
    phone = next(r for r in read_csv(out, "phones.csv") if r["extension"])
    assert phone["extension"] == "12"
    cost = read_csv(out, "cost_options.csv")[0]
    assert cost["amount"] == "35"


def test_zip_holds_the_same_package(network, tmp_path):
    folder = hsds_export_csv(network=network, out_dir=tmp_path / "folder")
    archive = hsds_export_zip(network=network, out_file=tmp_path / "export.zip")
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        assert names == {t.path for t in TABLES} | {"datapackage.json"}
        for name in names:
            assert zf.read(name) == (folder / name).read_bytes(), name
        zf.extractall(tmp_path / "unzipped")
    report = validate_package(tmp_path / "unzipped", official_descriptor())
    assert report.valid, errors_of(report)


def test_an_invalid_record_is_reported_by_the_official_validation(network, tmp_path):
    """The conformance check can fail: a service without its required status is caught."""
    m.Service.objects.filter(network=network, name="Chess Club").update(status="")
    out = hsds_export_csv(network=network, out_dir=tmp_path / "export")
    report = validate_package(out, official_descriptor())
    assert not report.valid
    assert any("status" in e for e in errors_of(report))


def test_csv_export_queries_do_not_grow_with_rows(network, tmp_path, django_assert_num_queries):
    with django_assert_num_queries(len(TABLES)):
        hsds_export_csv(network=network, out_dir=tmp_path / "a")
    for _ in range(5):
        rich_service(organization=VettedOrganizationFactory(network=network))
    TaxonomyTermFactory(taxonomy_ref__network=network)
    with django_assert_num_queries(len(TABLES)):
        hsds_export_csv(network=network, out_dir=tmp_path / "b")
    assert len(read_csv(tmp_path / "b", "services.csv")) == 8


# --- the JSON form --------------------------------------------------------------------------------


def test_json_export_is_a_list_of_valid_full_service_records(network, tmp_path):
    out = hsds_export_json(network=network, out_file=tmp_path / "services.json")
    records = json.loads(out.read_text())
    assert {r["name"] for r in records} == {"Homework Help", "Chess Club", "Unvetted Tutoring"}
    for record in records:
        assert_valid(record, "compiled/service.json")
    homework = next(r for r in records if r["name"] == "Homework Help")
    assert homework["service_at_locations"][0]["location"]["addresses"]
    assert homework["organization"]["organization_identifiers"]
    assert homework["capacities"][0]["available"] == 10


def test_json_export_of_an_empty_directory_is_an_empty_list(t1, tmp_path):
    out = hsds_export_json(network=t1.network, out_file=tmp_path / "services.json")
    assert json.loads(out.read_text()) == []


def test_json_export_queries_do_not_grow_with_rows(
    network, tmp_path, django_assert_max_num_queries, django_assert_num_queries
):
    with django_assert_max_num_queries(60) as few:
        hsds_export_json(network=network, out_file=tmp_path / "a.json")
    for _ in range(5):
        rich_service(organization=VettedOrganizationFactory(network=network))
    with django_assert_num_queries(len(few.captured_queries)):
        hsds_export_json(network=network, out_file=tmp_path / "b.json")
    assert len(json.loads((tmp_path / "b.json").read_text())) == 8


# --- the command ----------------------------------------------------------------------------------


def test_command_writes_a_folder_a_zip_or_json(network, tmp_path, capsys):
    call_command("hsds_export", str(tmp_path / "pkg"), network=network.slug, format="csv")
    assert {p.name for p in (tmp_path / "pkg").iterdir()} >= set(BY_PATH)
    call_command("hsds_export", str(tmp_path / "pkg.zip"), network=network.slug, format="csv")
    assert zipfile.is_zipfile(tmp_path / "pkg.zip")
    call_command("hsds_export", str(tmp_path / "d.json"), network=network.slug, format="json")
    assert len(json.loads((tmp_path / "d.json").read_text())) == 3
    assert "Exported the directory" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"network": "nowhere", "format": "csv"}, "No network"),
        ({"network": "north", "format": "xml"}, "Unknown format"),
    ],
)
def test_command_rejects_bad_options(network, tmp_path, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("hsds_export", str(tmp_path / "out"), **options)
    assert not (tmp_path / "out").exists()


def test_command_rejects_a_missing_folder_and_a_directory_for_json(network, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command(
            "hsds_export", str(tmp_path / "no" / "x.zip"), network=network.slug, format="csv"
        )
    with pytest.raises(CommandError, match="is a directory"):
        call_command("hsds_export", str(tmp_path), network=network.slug, format="json")
