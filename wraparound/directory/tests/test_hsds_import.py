"""HSDS import: the official examples, idempotency, skip-invalid, mapping, and every bad input."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from wraparound.core.models import AuditEvent, Organization
from wraparound.directory import models as m
from wraparound.directory.hsds import importer, reader
from wraparound.directory.hsds.importer import hsds_import
from wraparound.directory.models import ImportStatus

from .test_hsds_import_helpers import (
    OFFICIAL,
    OFFICIAL_CSV,
    address,
    location,
    organization,
    service,
    write_package,
    zip_directory,
)

# The four dangling references the official CSV examples carry (issue 3).
OFFICIAL_DANGLING = {
    ("locations.csv", 2, "organization_id", "985e4a42-bd9f-4edc-911d-0243a4640aca"),
    ("contacts.csv", 2, "organization_id", "ae67a707-5893-4225-b0b1-320ab9cb596b"),
    ("contacts.csv", 2, "service_at_location_id", "93eaf18d-1cd2-4ec7-bffb-3c9172ee5070"),
    ("taxonomy_terms.csv", 2, "taxonomy_id", "07ff6aee-a219-438c-b694-d2fcb6c5373b"),
}


def problems(result: m.HsdsImport) -> set[tuple]:
    return {(p["file"], p["row"], p["field"], p["value"]) for p in result.report["problems"]}


def nothing_written(network) -> bool:
    return (
        not any(
            model.objects.filter(network=network).exists()
            for model in (m.Service, m.Location, m.Taxonomy, m.TaxonomyTerm, m.Phone, m.Attribute)
        )
        and not Organization.objects.filter(network=network, hsds_id__startswith="org-").exists()
    )


def run(network, source: Path, **kw) -> m.HsdsImport:
    kw.setdefault("dry_run", False)
    return hsds_import(network=network, source=source, user=kw.pop("user", None), **kw)


# --- the official examples ------------------------------------------------------------------------


def test_official_csv_dry_run_reports_exactly_the_four_dangling_references(t1):
    before = Organization.objects.filter(network=t1.network).count()
    result = run(t1.network, OFFICIAL_CSV, dry_run=True)
    assert result.status == ImportStatus.INVALID
    assert problems(result) == OFFICIAL_DANGLING
    assert len(result.report["problems"]) == 4
    assert all("No " in p["message"] for p in result.report["problems"])
    assert Organization.objects.filter(network=t1.network).count() == before
    assert nothing_written(t1.network)


def test_official_csv_without_skip_invalid_writes_nothing(t1):
    result = run(t1.network, OFFICIAL_CSV)
    assert result.status == ImportStatus.INVALID
    assert not m.Service.objects.filter(network=t1.network).exists()


def test_official_csv_with_skip_invalid_imports_the_rest_and_lists_the_skipped(t1):
    result = run(t1.network, OFFICIAL_CSV, skip_invalid=True)
    assert result.status == ImportStatus.IMPORTED_PARTLY
    skipped = {(s["file"], s["id"]) for s in result.report["skipped"]}
    assert skipped == {
        # invalid themselves
        ("locations.csv", "3a19ff88-4620-4d17-9830-ac1d859eb5d5"),
        ("contacts.csv", "1e7efce3-639b-4880-940c-b95cd30cdb50"),
        ("taxonomy_terms.csv", "3f7b145d-84af-42d7-8fae-eaca714b02b2"),
        # and everything that depends on them
        ("service_at_location.csv", "e94c9f38-1e8f-4564-91d4-d53501ab1765"),
        ("addresses.csv", "74706e55-df26-4b84-80fe-ecc30b5befb4"),
        ("accessibility.csv", "afcf296e-1cb2-4139-9c88-33d587d1a50b"),
        ("phones.csv", "1554f2e2-a373-45db-a3fa-9fc48a61c15e"),
        ("schedules.csv", "48102e86-bb50-41c4-8f1e-e269368c41d1"),
        ("languages.csv", "2989d3ed-c547-48f8-8f9d-432d81c7892e"),
        ("attributes.csv", "ae58cc39-8b70-4ab1-8aea-786882e5ac8e"),
    }
    dependent = next(s for s in result.report["skipped"] if s["file"] == "languages.csv")
    assert "phone 1554f2e2" in dependent["reason"]
    # 21 rows: 10 skipped, 11 written; nothing dropped silently.
    assert result.report["rows"] == 21
    assert sum(result.report["created"].values()) == 11
    svc = m.Service.objects.get(network=t1.network, hsds_id="ac148810-d857-441c-9679-408f346de14b")
    assert svc.name == "Community Counselling"
    assert str(svc.minimum_age) == "12.00" and str(svc.assured_date) == "2005-01-01"
    assert svc.organization.name == "Example Organization Inc."
    assert svc.program is not None and svc.program.name == "Community Mental Health Support"
    assert svc.organization.parent_organization is None  # its parent is nowhere: a warning
    assert any(w["field"] == "parent_organization_id" for w in result.report["warnings"])
    assert not m.Location.objects.filter(network=t1.network).exists()


JSON_EXAMPLES = sorted(p.name for p in OFFICIAL.glob("*.json") if p.name != "base.json")


@pytest.mark.parametrize("name", JSON_EXAMPLES)
def test_official_json_examples_import(t1, name):
    result = run(t1.network, OFFICIAL / name)
    if name == "tabular.json":  # the CSV examples as JSON: the same four dangling references
        assert {(p["field"], p["value"]) for p in result.report["problems"]} == {
            (f, v) for (_, _, f, v) in OFFICIAL_DANGLING
        }
        return
    assert result.status == ImportStatus.IMPORTED, result.report
    assert result.report["problems"] == []
    assert sum(result.report["created"].values()) >= 1


def test_official_service_json_maps_its_nested_records(t1):
    result = run(t1.network, OFFICIAL / "service_full.json")
    assert result.status == ImportStatus.IMPORTED
    svc = m.Service.objects.get(network=t1.network)
    assert svc.organization.hsds_id == "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
    phone = svc.phones.get()
    assert phone.extension == 100 and phone.languages.get().code == "ur"
    schedule = svc.schedules.get()
    assert schedule.freq == "WEEKLY" and str(schedule.opens_at) == "10:00:00"
    sal = svc.at_locations.get()
    assert sal.location.addresses.exists()
    attribute = m.Attribute.objects.get(network=t1.network)
    assert attribute.taxonomy_term.taxonomy_ref is not None
    assert svc.last_modified is not None and svc.last_modified.year == 2023


def test_a_json_object_of_no_known_kind_is_a_clear_error(t1):
    result = run(t1.network, OFFICIAL / "base.json")
    assert result.status == ImportStatus.INVALID
    assert "Cannot tell which HSDS object" in result.report["problems"][0]["message"]


# --- idempotency and mapping ----------------------------------------------------------------------


def small_package(tmp_path: Path, name: str = "pkg", **overrides) -> Path:
    tables = {
        "organization": [organization(1), organization(2)],
        "service": [service(1, 1), service(2, 1), service(3, 2)],
        "location": [location(1, 1)],
        "address": [address(1, 1, "123 East 149th Street")],
        "service_at_location": [
            {"id": "sal-1", "service_id": "svc-1", "location_id": "loc-1"},
        ],
        "phone": [{"id": "ph-1", "service_id": "svc-1", "number": "718-555-0100"}],
    }
    tables.update(overrides)
    return write_package(tmp_path / name, tables)


def test_reimporting_the_same_package_updates_instead_of_duplicating(t1, tmp_path):
    source = small_package(tmp_path)
    first = run(t1.network, source)
    assert first.status == ImportStatus.IMPORTED
    assert first.report["created"]["service"] == 3
    same = run(t1.network, source)
    assert same.report["created"] == {} and same.report["updated"] == {}
    assert same.report["unchanged"] == first.report["created"]
    changed = small_package(
        tmp_path,
        "pkg2",
        service=[service(1, 1, name="Homework help"), service(2, 1), service(3, 2)],
    )
    again = run(t1.network, changed)
    assert again.status == ImportStatus.IMPORTED
    assert again.report["created"] == {}
    assert again.report["updated"] == {"service": 1}
    assert again.report["unchanged"]["service"] == 2
    assert m.Service.objects.filter(network=t1.network).count() == 3
    assert m.Service.objects.get(network=t1.network, hsds_id="svc-1").name == "Homework help"
    assert Organization.objects.filter(network=t1.network, hsds_id__startswith="org-").count() == 2


def test_same_ids_in_two_networks_are_two_records(t1, t2, tmp_path):
    run(t1.network, small_package(tmp_path))
    result = run(t2.network, small_package(tmp_path, "again"))
    assert result.report["created"]["service"] == 3
    assert m.Service.objects.filter(hsds_id="svc-1").count() == 2


def test_references_may_point_at_existing_records_of_the_same_network_only(t1, t2, tmp_path):
    run(t1.network, small_package(tmp_path))
    extra = write_package(tmp_path / "extra", {"service": [service(9, 1)]})
    assert run(t1.network, extra).status == ImportStatus.IMPORTED
    result = run(t2.network, extra)
    assert result.status == ImportStatus.INVALID
    assert problems(result) == {("services.csv", 2, "organization_id", "org-1")}


def test_attributes_link_their_record_and_service_areas_their_community(t1, tmp_path):
    community = t1.communities[0]
    source = small_package(
        tmp_path,
        taxonomy=[{"id": "tx", "name": "Categories", "description": "ours"}],
        taxonomy_term=[{"id": "tt", "name": "Tutoring", "description": "d", "taxonomy_id": "tx"}],
        attribute=[
            {"id": "a1", "link_id": "svc-1", "taxonomy_term_id": "tt", "link_entity": "service"},
            {
                "id": "a2",
                "link_id": "org-2",
                "taxonomy_term_id": "tt",
                "link_entity": "organization",
            },
            {"id": "a3", "link_id": "loc-1", "taxonomy_term_id": "tt", "link_entity": "location"},
        ],
        service_area=[
            {"id": "sa1", "service_id": "svc-1", "name": community.name},
            {"id": "sa2", "service_id": "svc-2", "extent": community.code},
            {"id": "sa3", "service_id": "svc-3", "name": "Somewhere else"},
        ],
    )
    result = run(t1.network, source)
    assert result.status == ImportStatus.IMPORTED, result.report["problems"]
    a1, a2, a3 = m.Attribute.objects.filter(network=t1.network).order_by("hsds_id")
    assert a1.service is not None and a1.service.hsds_id == "svc-1" and a1.organization is None
    assert a2.organization is not None and a2.organization.hsds_id == "org-2"
    assert a2.service is None
    assert a3.location is not None and a3.location.hsds_id == "loc-1"
    areas = {a.hsds_id: a.community_id for a in m.ServiceArea.objects.filter(network=t1.network)}
    assert areas == {"sa1": community.pk, "sa2": community.pk, "sa3": None}


def test_attribute_linking_a_missing_record_is_a_problem(t1, tmp_path):
    source = small_package(
        tmp_path,
        taxonomy_term=[{"id": "tt", "name": "Tutoring", "description": "d"}],
        attribute=[
            {"id": "a1", "link_id": "svc-x", "taxonomy_term_id": "tt", "link_entity": "service"}
        ],
    )
    result = run(t1.network, source)
    assert problems(result) == {("attributes.csv", 2, "link_id", "svc-x")}


def test_search_text_is_refreshed_for_the_written_services(t1, tmp_path, monkeypatch):
    seen: list[list[int]] = []
    monkeypatch.setattr(
        importer.search,
        "service_search_text_refresh",
        lambda *, service_ids: seen.append(list(service_ids)),
    )
    run(t1.network, small_package(tmp_path))
    assert sorted(seen[0]) == sorted(
        m.Service.objects.filter(network=t1.network).values_list("pk", flat=True)
    )


def test_import_is_audited_and_checks_the_user(t1, t2, tmp_path):
    result = run(t1.network, small_package(tmp_path), user=t1.users["network_admin"])
    assert result.created_by == t1.users["network_admin"]
    event = AuditEvent.objects.get(action="directory.hsds_import", target_id=str(result.pk))
    assert event.network_id == t1.network.pk and event.data["created"]["service"] == 3
    for user in (t1.users["coordinator"], t1.users["partner_admin"], t2.users["network_admin"]):
        with pytest.raises(PermissionDenied):
            run(t1.network, small_package(tmp_path, "again"), user=user)


def test_a_failure_while_writing_is_recorded_and_rolls_back(t1, tmp_path, monkeypatch):
    real = importer.write_rows

    def broken(**kw):
        real(**kw)
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "write_rows", broken)
    result = run(t1.network, small_package(tmp_path))
    assert result.status == ImportStatus.FAILED
    assert "disk full" in result.report["error"]
    assert nothing_written(t1.network)


# --- skip invalid ---------------------------------------------------------------------------------


def test_skip_invalid_skips_invalid_rows_and_everything_depending_on_them(t1, tmp_path):
    source = small_package(
        tmp_path,
        organization=[organization(1, email="not-an-email"), organization(2)],
        taxonomy_term=[{"id": "tt", "name": "Tutoring", "description": "d"}],
        attribute=[
            {"id": "a1", "link_id": "svc-1", "taxonomy_term_id": "tt", "link_entity": "service"}
        ],
    )
    strict = run(t1.network, source)
    assert strict.status == ImportStatus.INVALID
    assert problems(strict) == {("organizations.csv", 2, "email", "not-an-email")}
    assert nothing_written(t1.network)

    result = run(t1.network, source, skip_invalid=True)
    assert result.status == ImportStatus.IMPORTED_PARTLY
    skipped = {(s["table"], s["id"]) for s in result.report["skipped"]}
    assert skipped == {
        ("organization", "org-1"),
        ("service", "svc-1"),
        ("service", "svc-2"),
        ("location", "loc-1"),
        ("address", "adr-1"),
        ("service_at_location", "sal-1"),
        ("phone", "ph-1"),
        ("attribute", "a1"),  # links a skipped service
    }
    assert set(m.Service.objects.filter(network=t1.network).values_list("hsds_id", flat=True)) == {
        "svc-3"
    }


def test_skip_invalid_dry_run_lists_what_would_be_skipped_and_writes_nothing(t1, tmp_path):
    source = small_package(tmp_path, service=[service(1, 1, status="closed"), service(2, 1)])
    result = run(t1.network, source, skip_invalid=True, dry_run=True)
    assert result.status == ImportStatus.CHECKED
    assert {s["id"] for s in result.report["skipped"]} == {"svc-1", "sal-1", "ph-1"}
    assert result.report["planned"]["create"]["service"] == 1
    assert nothing_written(t1.network)


# --- bad input: each a clear error, nothing written -----------------------------------------------


def write_raw(tmp_path: Path, files: Mapping[str, str | bytes]) -> Path:
    directory = tmp_path / "raw"
    directory.mkdir()
    for name, content in files.items():
        target = directory / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return directory


ORG_HEADER = "id,name,description\n"
PACKAGE = {"datapackage.json": "{}"}


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"organizations.csv": ORG_HEADER + 'org-1,"Unterminated,desc\norg-2,B,c\n'},
            ("organizations.csv", "malformed"),
            id="unterminated-quote",
        ),
        pytest.param(
            {"organizations.csv": ORG_HEADER + "org-1,A,desc,extra\n"},
            ("organizations.csv", "The row has 4 columns; the header has 3."),
            id="wrong-column-count",
        ),
        pytest.param(
            {"organizations.csv": "id,name\norg-1,A\n"},
            ("organizations.csv", "Required columns are missing"),
            id="missing-required-column",
        ),
        pytest.param(
            {"organizations.csv": ORG_HEADER + "org-1,,desc\n"},
            ("organizations.csv", "Required; it is empty."),
            id="empty-required-value",
        ),
        pytest.param(
            {"organizations.csv": ORG_HEADER + "org-1,A,d\norg-1,B,d\n"},
            ("organizations.csv", "ids must be unique"),
            id="duplicate-id",
        ),
        pytest.param(
            {"organizations.csv": "id,name,description,year_incorporated\norg-1,A,d,nineteen\n"},
            ("organizations.csv", "Expected a number."),
            id="not-a-number",
        ),
        pytest.param(
            {"organizations.csv": "id,name,description,year_incorporated\norg-1,A,d,1999.5\n"},
            ("organizations.csv", "Expected a whole number."),
            id="not-a-whole-number",
        ),
        pytest.param(
            {"organizations.csv": "id,name,description,website\norg-1,A,d,www example\n"},
            ("organizations.csv", "Enter a valid URL."),
            id="bad-website",
        ),
        pytest.param(
            {
                "organizations.csv": ORG_HEADER + "org-1,A,d\n",
                "services.csv": "id,organization_id,name,status,assured_date\n"
                "s,org-1,S,active,01/02/2024\n",
            },
            ("services.csv", "Expected a date as YYYY-MM-DD."),
            id="bad-date",
        ),
        pytest.param(
            {
                "organizations.csv": ORG_HEADER + "org-1,A,d\n",
                "services.csv": "id,organization_id,name,status,last_modified\n"
                "s,org-1,S,active,yesterday\n",
            },
            ("services.csv", "Expected a date and time"),
            id="bad-datetime",
        ),
        pytest.param(
            {"schedules.csv": "id,opens_at\nsch,9am\n"},
            ("schedules.csv", "Expected a time as HH:MM"),
            id="bad-time",
        ),
        pytest.param(
            {
                "organizations.csv": ORG_HEADER + "org-1,A,d\n",
                "services.csv": "id,organization_id,name,status\ns,org-1,S,open\n",
            },
            ("services.csv", "Not an allowed value; use one of: active, inactive, defunct"),
            id="unknown-enum",
        ),
        pytest.param(
            {"schedules.csv": "id,freq\nsch,DAILY\n"},
            ("schedules.csv", "use one of: WEEKLY, MONTHLY"),
            id="unknown-schedule-freq",
        ),
        pytest.param(
            {"services.csv": "id,organization_id,name,status\ns,org-404,S,active\n"},
            ("services.csv", "No organization with this id"),
            id="broken-reference",
        ),
        pytest.param(
            {"organizations.csv": ORG_HEADER.encode() + "org-1,Caf\xe9,d\n".encode("latin-1")},
            ("organizations.csv", "not UTF-8"),
            id="not-utf8",
        ),
        pytest.param(
            {"organizations.csv": ""},
            ("organizations.csv", "The file is empty"),
            id="empty-file",
        ),
        pytest.param(
            {"organizations.csv": ORG_HEADER},
            ("raw", "The source holds no HSDS records."),
            id="empty-package",
        ),
        pytest.param(
            {
                "datapackage.json": json.dumps({"resources": [{"path": "services.csv"}]}),
                "organizations.csv": ORG_HEADER + "org-1,A,d\n",
            },
            ("services.csv", "datapackage.json lists this file"),
            id="missing-listed-file",
        ),
    ],
)
def test_bad_package_is_a_clear_error_and_writes_nothing(t1, tmp_path, files, expected):
    source = write_raw(tmp_path, PACKAGE | files)
    result = run(t1.network, source)
    assert result.status == ImportStatus.INVALID
    file, message = expected
    assert any(p["file"] == file and message in p["message"] for p in result.report["problems"]), (
        result.report["problems"]
    )
    assert nothing_written(t1.network)


def test_a_package_without_datapackage_json_is_refused(t1, tmp_path):
    result = run(t1.network, write_raw(tmp_path, {"organizations.csv": ORG_HEADER + "o,A,d\n"}))
    assert result.status == ImportStatus.INVALID
    assert "no datapackage.json" in result.report["problems"][0]["message"]


def test_unknown_columns_and_files_are_warnings_and_ignored(t1, tmp_path):
    source = write_raw(
        tmp_path,
        PACKAGE
        | {
            "organizations.csv": "id,name,description,colour\norg-1,A,d,blue\n",
            "notes.txt": "hello",
        },
    )
    result = run(t1.network, source)
    assert result.status == ImportStatus.IMPORTED
    warnings = {(w["file"], w["field"], w["message"]) for w in result.report["warnings"]}
    assert (
        "organizations.csv",
        "colour",
        "Not HSDS 3.0 columns of this file; ignored.",
    ) in warnings
    assert ("notes.txt", "", "Not an HSDS 3.0 file name; ignored.") in warnings


def test_row_numbers_count_the_header_as_row_one(t1, tmp_path):
    source = write_raw(tmp_path, PACKAGE | {"organizations.csv": ORG_HEADER + "a,A,d\nb,,d\n"})
    assert problems(run(t1.network, source)) == {("organizations.csv", 3, "name", "")}


def test_a_file_over_the_limit_is_refused_unread(t1, tmp_path):
    source = write_raw(tmp_path, PACKAGE | {"organizations.csv": ORG_HEADER})
    with (source / "services.csv").open("wb") as f:
        f.truncate(reader.MAX_IMPORT_BYTES + 1)  # sparse: nothing is really written to disk
    result = run(t1.network, source)
    assert result.status == ImportStatus.INVALID
    assert "the limit is 50 MB" in result.report["problems"][0]["message"]


def test_a_json_file_over_the_limit_is_refused(t1, tmp_path):
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(reader.MAX_IMPORT_BYTES + 1)
    result = run(t1.network, big)
    assert "the limit is 50 MB" in result.report["problems"][0]["message"]


@pytest.mark.parametrize(
    "member", ["../organizations.csv", "/etc/organizations.csv", "a/../../x.csv"]
)
def test_a_zip_with_paths_outside_itself_is_refused(t1, tmp_path, member):
    target = tmp_path / "evil.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("datapackage.json", "{}")
        archive.writestr("organizations.csv", ORG_HEADER + "org-1,A,d\n")
        info = zipfile.ZipInfo(member)
        archive.writestr(info, ORG_HEADER + "org-2,B,d\n")
    result = run(t1.network, target)
    assert result.status == ImportStatus.INVALID
    assert "leads outside it" in result.report["problems"][0]["message"]
    assert result.report["problems"][0]["value"] == member
    assert nothing_written(t1.network)


def test_a_zip_bomb_is_refused_before_it_is_inflated(t1, tmp_path):
    target = tmp_path / "bomb.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datapackage.json", "{}")
        archive.writestr("organizations.csv", b"\0" * (reader.MAX_IMPORT_BYTES + 1))
    assert target.stat().st_size < 1024 * 1024
    result = run(t1.network, target)
    assert "unpacks to" in result.report["problems"][0]["message"]
    assert nothing_written(t1.network)


def test_a_zip_imports_like_its_directory_even_zipped_as_a_folder(t1, tmp_path):
    package = small_package(tmp_path)
    flat = run(t1.network, zip_directory(package, tmp_path / "flat.zip"))
    assert flat.status == ImportStatus.IMPORTED
    folder = tmp_path / "folder.zip"
    with zipfile.ZipFile(folder, "w") as archive:
        for p in package.iterdir():
            archive.write(p, f"pkg/{p.name}")
    again = run(t1.network, folder)
    assert again.status == ImportStatus.IMPORTED and again.report["unchanged"]["service"] == 3


def test_not_a_zip_and_malformed_json_are_clear_errors(t1, tmp_path):
    (tmp_path / "x.zip").write_text("not a zip")
    assert (
        "not a readable zip" in run(t1.network, tmp_path / "x.zip").report["problems"][0]["message"]
    )
    (tmp_path / "x.json").write_text('{"id": "a",')
    message = run(t1.network, tmp_path / "x.json").report["problems"][0]["message"]
    assert message.startswith("The JSON is malformed")
    (tmp_path / "empty.json").write_text("[]")
    assert run(t1.network, tmp_path / "empty.json").report["problems"][0]["message"] == (
        "The source holds no HSDS records."
    )


def test_json_rows_are_json_pointers(t1, tmp_path):
    document = {
        "contents": [
            {
                "id": "org-1",
                "name": "A",
                "description": "d",
                "phones": [
                    {"id": "p1", "number": "1"},
                    {"id": "p2", "number": "", "extension": "x"},
                ],
            }
        ],
        "total_items": 1,
    }
    source = tmp_path / "page.json"
    source.write_text(json.dumps(document))
    result = run(t1.network, source)
    assert problems(result) == {
        ("page.json", "/contents/0/phones/1", "number", ""),
        ("page.json", "/contents/0/phones/1", "extension", "x"),
    }


def test_import_checks_the_types_and_enums_the_official_files_state():
    import json

    from django.conf import settings

    from wraparound.directory.hsds.import_schema import column_enums, column_types

    standard = settings.HSDS_STANDARD_DIR
    descriptor = json.loads((standard / "datapackage.json").read_text())
    official_types = {
        r["name"]: {f["name"]: f.get("type", "string") for f in r["schema"]["fields"]}
        for r in descriptor["resources"]
    }
    assert column_types() == official_types
    official_enums: dict[str, dict[str, tuple[str, ...]]] = {}
    for table in official_types:
        path = standard / "schema" / f"{table}.json"
        if path.exists():
            for column, spec in json.loads(path.read_text()).get("properties", {}).items():
                if isinstance(spec, dict) and isinstance(spec.get("enum"), list):
                    official_enums.setdefault(table, {})[column] = tuple(map(str, spec["enum"]))
    assert column_enums() == official_enums
