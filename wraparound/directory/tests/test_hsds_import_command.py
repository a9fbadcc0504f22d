"""`manage.py hsds_import`: exit codes and the printed report."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from wraparound.directory import models as m
from wraparound.directory.models import HsdsImport, ImportStatus

from .test_hsds_import_helpers import OFFICIAL, OFFICIAL_CSV, organization, service, write_package


def call(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("hsds_import", *args, stdout=out)
    except SystemExit as e:
        return int(e.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_dry_run_of_the_official_csv_exits_2_with_the_four_problems_by_file(t1):
    code, out = call(str(OFFICIAL_CSV), "--network", t1.network.slug, "--dry-run")
    assert code == 2
    assert "Problems (4):" in out
    assert "  locations.csv\n    row 2, organization_id: No organization with this id" in out
    assert "  taxonomy_terms.csv\n    row 2, taxonomy_id:" in out
    assert out.count("contacts.csv\n") == 1  # two problems, one heading
    assert HsdsImport.objects.get().status == ImportStatus.INVALID


def test_skip_invalid_exits_0_and_lists_the_skipped_rows(t1):
    code, out = call(str(OFFICIAL_CSV), "--network", t1.network.slug, "--skip-invalid")
    assert code == 0
    assert "Skipped (10):" in out
    assert "languages.csv\n    row 2, language 2989d3ed" in out
    assert "Created: 1 organization" in out
    assert m.Service.objects.filter(network=t1.network).count() == 1


def test_a_clean_import_exits_0_and_says_what_it_wrote(t1, tmp_path):
    source = write_package(
        tmp_path / "p", {"organization": [organization(1)], "service": [service(1, 1)]}
    )
    code, out = call(str(source), "--network", t1.network.slug, "--dry-run")
    assert code == 0 and "Would create: 1 organization, 1 service" in out
    assert not m.Service.objects.exists()
    code, out = call(str(source), "--network", t1.network.slug)
    assert code == 0 and "Created: 1 organization, 1 service" in out
    code, out = call(str(source), "--network", t1.network.slug)
    assert code == 0 and "Unchanged: 1 organization, 1 service" in out
    source = write_package(
        tmp_path / "p2", {"organization": [organization(1)], "service": [service(1, 1, name="New")]}
    )
    code, out = call(str(source), "--network", t1.network.slug)
    assert code == 0 and "Updated: 1 service" in out and "Unchanged: 1 organization" in out


def test_json_is_accepted(t1):
    code, out = call(str(OFFICIAL / "service_full.json"), "--network", t1.network.slug)
    assert code == 0, out
    assert "Imported" in out or "imported" in out


def test_unknown_network_and_missing_path_are_command_errors(t1, tmp_path):
    with pytest.raises(CommandError, match="No network with the slug 'nowhere'"):
        call_command("hsds_import", str(OFFICIAL_CSV), "--network", "nowhere")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("hsds_import", str(tmp_path / "x.zip"), "--network", t1.network.slug)


def test_a_failed_import_exits_1(t1, tmp_path, monkeypatch):
    from wraparound.directory.hsds import importer

    def broken(**kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(importer, "write_rows", broken)
    source = write_package(tmp_path / "p", {"organization": [organization(1)]})
    with pytest.raises(CommandError, match="The import failed: RuntimeError: boom"):
        call_command("hsds_import", str(source), "--network", t1.network.slug)
