"""manage.py import_oneroster: exit 0 with a summary, exit 2 with file:row:column errors."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from wraparound.students.models import ImportStatus, RosterImport, Student

from .oneroster_helpers import BULK, copy_bulk, edit, zip_folder

pytestmark = pytest.mark.django_db


def test_imports_a_folder_and_prints_the_summary(t1):
    out = StringIO()
    call_command("import_oneroster", str(BULK), network=t1.network.slug, stdout=out)
    text = out.getvalue()
    assert "students: 3" in text
    assert "Roster imported" in text
    assert "check:users.csv" in text or "%" in text
    assert Student.objects.filter(network=t1.network).count() == 3
    assert RosterImport.objects.get().status == ImportStatus.DONE


def test_imports_a_nested_zip(t1, tmp_path):
    archive = zip_folder(BULK, tmp_path / "r.zip", nested="export-2026/")
    call_command("import_oneroster", str(archive), network=t1.network.slug, stdout=StringIO())
    assert Student.objects.filter(network=t1.network).count() == 3


def test_dry_run_writes_nothing(t1):
    out = StringIO()
    call_command("import_oneroster", str(BULK), network=t1.network.slug, dry_run=True, stdout=out)
    assert "dry run" in out.getvalue()
    assert not Student.objects.exists()
    assert RosterImport.objects.get().status == ImportStatus.CHECKED


def test_errors_exit_2_and_print_file_row_column(t1, tmp_path):
    folder = copy_bulk(tmp_path)
    edit(folder / "roles.csv", 3, "role", "wizard")
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_oneroster", str(folder), network=t1.network.slug, stdout=out)
    assert raised.value.returncode == 2
    assert "roles.csv:3:role: wizard is not a OneRoster role." in out.getvalue()
    assert not Student.objects.exists()


def test_unknown_network_and_path(t1, tmp_path):
    with pytest.raises(CommandError, match="No network"):
        call_command("import_oneroster", str(BULK), network="nowhere", stdout=StringIO())
    with pytest.raises(CommandError) as raised:
        call_command(
            "import_oneroster",
            str(tmp_path / "missing"),
            network=t1.network.slug,
            stdout=StringIO(),
        )
    assert raised.value.returncode == 2
