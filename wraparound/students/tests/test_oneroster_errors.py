"""Bad rosters: every problem is reported by file, row and column, and nothing is written.
Messy but valid input (BOM, Windows line endings, quoted newlines, non-ASCII) imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from wraparound.students.models import Guardian, ImportStatus, Student, StudentEnrollment
from wraparound.students.oneroster.errors import ErrorList, format_error

from .oneroster_helpers import copy_bulk, edit, read_rows, run_folder, set_manifest, write_rows

pytestmark = pytest.mark.django_db


def _errors(result):
    return {(e["file"], e["row"], e["column"]) for e in result.errors}


def _nothing_written(network):
    assert not Student.objects.filter(network=network).exists()
    assert not Guardian.objects.filter(network=network).exists()
    assert not StudentEnrollment.objects.filter(network=network).exists()


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "needle"),
    [
        ("users.csv", 2, "grades", "13th", "not a grade code"),
        ("users.csv", 3, "enabledUser", "yes", '"true" or "false"'),
        ("users.csv", 4, "givenName", "", "givenName is required"),
        ("users.csv", 2, "agentSourcedIds", "gua-1,nobody", "No user has sourcedId nobody"),
        ("users.csv", 2, "agentSourcedIds", "tea-1", "not a parent, guardian or relative"),
        ("users.csv", 2, "status", "active", "blank in a bulk file"),
        ("roles.csv", 2, "role", "wizard", "not a OneRoster role"),
        ("roles.csv", 3, "roleType", "main", "roleType"),
        ("roles.csv", 2, "userSourcedId", "ghost", "No user has sourcedId ghost"),
        ("roles.csv", 2, "orgSourcedId", "org-x", "No org has sourcedId org-x"),
        ("roles.csv", 2, "beginDate", "2026-13-01", "not a date"),
        ("demographics.csv", 2, "sourcedId", "ghost", "No user has sourcedId ghost"),
        ("demographics.csv", 2, "birthDate", "03/04/2011", "not a date"),
        ("demographics.csv", 3, "sex", "f", "sex must be"),
        ("demographics.csv", 2, "white", "yes", '"true" or "false"'),
        ("demographics.csv", 2, "metadata.englishLearner", "Y", '"true" or "false"'),
        ("enrollments.csv", 2, "userSourcedId", "ghost", "No user has sourcedId ghost"),
        ("enrollments.csv", 2, "schoolSourcedId", "org-x", "No org has sourcedId org-x"),
        ("orgs.csv", 3, "identifier", "99X999", "matches no school"),
        ("academicSessions.csv", 2, "startDate", "2026-9-10", "not a date"),
    ],
)
def test_bad_value_is_reported_where_it_is(t1, tmp_path, file, row, column, value, needle):
    folder = copy_bulk(tmp_path)
    edit(folder / file, row, column, value)
    result = run_folder(t1.network, folder)
    assert result.status == ImportStatus.INVALID
    matching = [e for e in result.errors if e["file"] == file and e["row"] == row]
    assert matching, result.errors
    assert any(needle in e["message"] for e in matching), matching
    _nothing_written(t1.network)


def test_missing_required_column(t1, tmp_path: Path):
    folder = copy_bulk(tmp_path)
    rows = read_rows(folder / "users.csv")
    at = rows[0].index("familyName")
    write_rows(folder / "users.csv", [r[:at] + r[at + 1 :] for r in rows])
    result = run_folder(t1.network, folder)
    assert ("users.csv", 1, "familyName") in _errors(result)
    assert "missing from the header" in result.errors[0]["message"]
    _nothing_written(t1.network)


def test_duplicate_sourced_id(t1, tmp_path: Path):
    folder = copy_bulk(tmp_path)
    rows = read_rows(folder / "roles.csv")
    write_rows(folder / "roles.csv", [*rows, rows[1]])
    result = run_folder(t1.network, folder)
    assert ("roles.csv", len(rows) + 1, "sourcedId") in _errors(result)
    _nothing_written(t1.network)


def test_all_errors_are_collected_not_just_the_first(t1, tmp_path: Path):
    folder = copy_bulk(tmp_path)
    edit(folder / "users.csv", 2, "grades", "X1")
    edit(folder / "roles.csv", 3, "role", "wizard")
    edit(folder / "demographics.csv", 4, "sex", "?")
    result = run_folder(t1.network, folder)
    assert {("users.csv", 2, "grades"), ("roles.csv", 3, "role")} <= _errors(result)
    assert ("demographics.csv", 4, "sex") in _errors(result)


def test_ragged_row_and_delta_status(t1, tmp_path: Path):
    folder = copy_bulk(tmp_path)
    rows = read_rows(folder / "orgs.csv")
    rows[2] = rows[2][:3]
    write_rows(folder / "orgs.csv", rows)
    set_manifest(folder, academicSessions="delta")
    result = run_folder(t1.network, folder)
    errors = _errors(result)
    assert ("orgs.csv", 3, "") in errors
    assert ("academicSessions.csv", 2, "status") in errors


def test_manifest_problems(t1, tmp_path: Path):
    folder = copy_bulk(tmp_path)
    (folder / "demographics.csv").unlink()
    set_manifest(folder, users="sometimes")
    result = run_folder(t1.network, folder)
    columns = {e["column"] for e in result.errors if e["file"] == "manifest.csv"}
    assert {"file.users", "file.demographics"} <= columns


def test_not_utf8(t1, tmp_path: Path):
    folder = copy_bulk(tmp_path)
    path = folder / "users.csv"
    path.write_bytes(path.read_bytes().replace("José".encode(), "José".encode("latin-1")))
    result = run_folder(t1.network, folder)
    assert any("not UTF-8" in e["message"] for e in result.errors)
    _nothing_written(t1.network)


def test_bom_crlf_quoted_newlines_and_non_ascii_import(t1, tmp_path: Path):
    folder = copy_bulk(tmp_path)
    for path in folder.glob("*.csv"):
        write_rows(path, read_rows(path), bom=True, crlf=True)
    rows = read_rows(folder / "users.csv")
    rows[1][rows[0].index("middleName")] = "Ángel\nde la Cruz"
    rows[3][rows[0].index("givenName")] = 'Ðaniel, "Dani"'
    write_rows(folder / "users.csv", rows, bom=True, crlf=True)
    result = run_folder(t1.network, folder)
    assert result.status == ImportStatus.DONE, result.errors
    assert Student.objects.get(sourced_id="stu-1").middle_name == "Ángel\nde la Cruz"
    assert Student.objects.get(sourced_id="stu-3").given_name == 'Ðaniel, "Dani"'


def test_rows_after_a_quoted_newline_keep_their_spreadsheet_row_numbers(t1, tmp_path: Path):
    folder = copy_bulk(tmp_path)
    rows = read_rows(folder / "users.csv")
    rows[1][rows[0].index("middleName")] = "two\nlines"
    rows[3][rows[0].index("grades")] = "Z9"
    write_rows(folder / "users.csv", rows)
    result = run_folder(t1.network, folder)
    assert ("users.csv", 4, "grades") in _errors(result)


def test_error_list_is_capped_and_counts_the_rest():
    errors = ErrorList(cap=3)
    for i in range(5):
        errors.add("users.csv", i + 2, "grades", "bad")
    assert len(errors.items) == 3
    assert errors.more == 2
    assert format_error(errors.items[0]) == "users.csv:2:grades: bad"
