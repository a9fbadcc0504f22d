"""On PostgreSQL a clean roster is checked and staged by SQL (`oneroster.sqlcheck`) without the
row-by-row reader, and writes exactly what the row-by-row path writes; a roster with problems
falls back to the reader, whose errors are those of the SQLite path."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from wraparound.students.models import (
    Guardian,
    ImportStatus,
    Student,
    StudentEnrollment,
    StudentGuardian,
)
from wraparound.students.oneroster import sqlcheck, staging
from wraparound.students.oneroster.reader import RosterReader

from .oneroster_helpers import (
    BULK,
    copy_bulk,
    edit,
    read_rows,
    run_folder,
    set_manifest,
    write_rows,
)

# The SQL path is PostgreSQL's: `.ci/run`'s PostgreSQL pass runs these; on SQLite they are
# deselected (conftest.py), not skipped.
pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


class _Undo(Exception):
    pass


def _snapshot(network: Any) -> dict[str, Any]:
    skip = {"id", "created_at", "updated_at", "network"}
    student_fields = [f.attname for f in Student._meta.concrete_fields if f.name not in skip]
    guardian_fields = [f.attname for f in Guardian._meta.concrete_fields if f.name not in skip]
    return {
        "students": sorted(
            Student.objects.filter(network=network).values_list(*student_fields), key=str
        ),
        "guardians": sorted(
            Guardian.objects.filter(network=network).values_list(*guardian_fields), key=str
        ),
        "links": sorted(
            StudentGuardian.objects.filter(student__network=network).values_list(
                "student__sourced_id", "guardian__sourced_id", "relationship"
            )
        ),
        "enrollments": sorted(
            StudentEnrollment.objects.filter(network=network).values_list(
                "sourced_id",
                "student__sourced_id",
                "school_id",
                "begin_date",
                "end_date",
                "is_primary",
            ),
            key=str,
        ),
    }


def _row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise sqlcheck.Unclean

    monkeypatch.setattr(sqlcheck, "check_and_stage", refuse)


def _no_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the row-by-row reader ran")

    monkeypatch.setattr(RosterReader, "read", forbidden)


def _both_paths(network: Any, folders: list[Path]) -> tuple[Any, Any]:
    """(summaries, snapshot) after importing the folders in turn, by the row-by-row path then by
    the SQL path, from the same starting point."""
    results = []
    for sql in (False, True):
        with pytest.MonkeyPatch.context() as patch:
            if sql:
                _no_reader(patch)
            else:
                _row_by_row(patch)
            try:
                with transaction.atomic():
                    summaries = []
                    for folder in folders:
                        result = run_folder(network, folder)
                        assert result.status == ImportStatus.DONE, result.errors
                        summaries.append(result.summary)
                    results.append((summaries, _snapshot(network)))
                    raise _Undo
            except _Undo:
                pass
    return results[0], results[1]


def test_bulk_roster_writes_the_same_by_sql(t1):
    row_by_row, by_sql = _both_paths(t1.network, [BULK])
    assert by_sql == row_by_row
    assert len(by_sql[1]["students"]) == 3


def test_messy_roster_writes_the_same_by_sql(t1, tmp_path: Path):
    folder = copy_bulk(tmp_path)
    for path in folder.glob("*.csv"):
        write_rows(path, read_rows(path), bom=True, crlf=True)
    rows = read_rows(folder / "users.csv")
    rows[1][rows[0].index("middleName")] = "Ángel\nde la Cruz"
    rows[3][rows[0].index("givenName")] = 'Ðaniel, "Dani"'
    rows[2][rows[0].index("grades")] = " 10 , 11"
    write_rows(folder / "users.csv", rows, bom=True, crlf=True)
    row_by_row, by_sql = _both_paths(t1.network, [folder])
    assert by_sql == row_by_row
    values = {s for student in by_sql[1]["students"] for s in student if isinstance(s, str)}
    assert {'Ðaniel, "Dani"', "Ángel\nde la Cruz"} <= values


def _delta(folder: Path) -> Path:
    folder.mkdir()
    stamp = "2026-12-01T10:00:00.000Z"
    write_rows(
        folder / "manifest.csv",
        [
            ["propertyName", "value"],
            ["manifest.version", "1.0"],
            ["oneroster.version", "1.2"],
            ["file.users", "delta"],
            ["file.roles", "delta"],
            ["file.demographics", "delta"],
        ],
    )
    header = read_rows(BULK / "users.csv")[0]
    blank = dict.fromkeys(header, "")
    users = [header]
    for values in (
        {"sourcedId": "stu-3", "status": "tobedeleted", "dateLastModified": stamp},
        {
            "sourcedId": "stu-1",
            "status": "active",
            "dateLastModified": "2026-12-01 05:00:00-05:00",
            "enabledUser": "true",
            "username": "jnunez",
            "givenName": "José",
            "familyName": "Núñez-García",
            "agentSourcedIds": "gua-1",
            "grades": "10",
        },
        {  # a guardian of the database, without a role in the delta
            "sourcedId": "gua-3",
            "status": "active",
            "dateLastModified": "2026-12-02",
            "enabledUser": "true",
            "username": "g3",
            "givenName": "Ana",
            "familyName": "Ruiz",
        },
        {  # nobody the database knows, without a role: counted, not kept
            "sourcedId": "new-1",
            "status": "active",
            "dateLastModified": stamp,
            "enabledUser": "true",
            "username": "n1",
            "givenName": "N",
            "familyName": "One",
        },
    ):
        users.append([{**blank, **values}[c] for c in header])
    write_rows(folder / "users.csv", users)
    roles_header = read_rows(BULK / "roles.csv")[0]
    write_rows(
        folder / "roles.csv",
        [
            roles_header,
            [
                *("r-stu-2c", "active", stamp, "stu-2", "secondary", "student"),
                *("2027-02-01", "", "01M011", ""),
            ],
            [
                *("r-stu-2b", "tobedeleted", stamp, "stu-2", "secondary", "student"),
                *("", "", "01M010", ""),
            ],
        ],
    )
    demo_header = read_rows(BULK / "demographics.csv")[0]
    demo = dict.fromkeys(demo_header, "")
    demo.update(
        {"sourcedId": "stu-2", "status": "active", "dateLastModified": stamp, "sex": "female"}
    )
    demo["metadata.englishLearner"] = "true"
    demo["asian"] = "true"
    demo["white"] = "true"
    write_rows(folder / "demographics.csv", [demo_header, [demo[c] for c in demo_header]])
    return folder


def test_delta_writes_the_same_by_sql(t1, tmp_path: Path):
    row_by_row, by_sql = _both_paths(t1.network, [BULK, _delta(tmp_path / "delta")])
    assert by_sql == row_by_row
    summary = by_sql[0][1]
    assert summary["users_without_role"] == 1
    assert summary["students_deactivated"] == 1


def test_dry_run_by_sql_writes_nothing(t1, monkeypatch):
    _no_reader(monkeypatch)
    result = run_folder(t1.network, BULK, dry_run=True)
    assert result.status == ImportStatus.CHECKED
    assert result.summary["students"] == 3
    assert result.summary["links"] == 3
    assert not Student.objects.exists()


@pytest.mark.parametrize(
    ("file", "row", "column", "value"),
    [
        ("users.csv", 2, "grades", "13th"),
        ("users.csv", 2, "agentSourcedIds", "gua-1,tea-1"),
        ("users.csv", 2, "agentSourcedIds", "gua-1,ghost"),
        ("roles.csv", 2, "userSourcedId", "ghost"),
        ("roles.csv", 8, "userSourcedId", "ghost"),
        ("roles.csv", 2, "beginDate", "2026-02-30"),
        ("demographics.csv", 2, "sourcedId", "ghost"),
        ("orgs.csv", 3, "identifier", "99X999"),
        ("academicSessions.csv", 2, "endDate", "2025-01-01"),
        ("enrollments.csv", 2, "primary", "yes"),
    ],
)
def test_a_problem_hands_over_to_the_reader(t1, tmp_path, monkeypatch, file, row, column, value):
    folder = copy_bulk(tmp_path)
    edit(folder / file, row, column, value)
    calls = []
    real = RosterReader.read

    def spy(self: RosterReader, *args: Any, **kwargs: Any) -> None:
        calls.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(RosterReader, "read", spy)
    result = run_folder(t1.network, folder)
    assert calls
    assert result.status == ImportStatus.INVALID
    assert any(e["file"] == file and e["row"] == row for e in result.errors), result.errors
    assert not Student.objects.filter(network=t1.network).exists()


def _first_import_rosters(tmp_path: Path) -> list[Path]:
    """Bulk users and roles (what `sqlcheck._write_first` writes) with demographics bulk, delta
    (one student without a row) and absent, and a messy one."""
    bulk_demo = copy_bulk(tmp_path / "bulk")
    delta_demo = copy_bulk(tmp_path / "delta")
    set_manifest(delta_demo, demographics="delta")
    rows = read_rows(delta_demo / "demographics.csv")
    for row in rows[1:]:
        row[1:3] = ["active", "2026-12-01"]
    write_rows(delta_demo / "demographics.csv", rows[:-1])
    no_demo = copy_bulk(tmp_path / "absent")
    set_manifest(no_demo, demographics="absent")
    (no_demo / "demographics.csv").unlink()
    messy = copy_bulk(tmp_path / "messy")
    edit(messy / "users.csv", 4, "grades", " 10 , 11")
    edit(messy / "users.csv", 2, "agentSourcedIds", " gua-1 ,gua-2,gua-1,")
    edit(messy / "roles.csv", 2, "roleType", "secondary")
    return [bulk_demo, delta_demo, no_demo, messy]


def test_a_first_import_writes_the_same_as_the_staged_merge_and_the_upserts(
    t1, tmp_path: Path, monkeypatch
):
    """A network's first import is written straight from the raw tables; the staging tables
    with `merge`'s first-import INSERTs, and its upserts, write exactly the same rows."""
    calls: list[int] = []
    real_first = sqlcheck._write_first

    def count_first(*args: Any, **kwargs: Any) -> sqlcheck.Checked:
        calls.append(1)
        return real_first(*args, **kwargs)

    monkeypatch.setattr(sqlcheck, "_write_first", count_first)
    _no_reader(monkeypatch)
    real_check = sqlcheck.check_and_stage
    for folder in _first_import_rosters(tmp_path):
        results = []
        for way in ("direct", "staged", "upserts"):
            with pytest.MonkeyPatch.context() as patch:
                if way != "direct":
                    patch.setattr(
                        sqlcheck,
                        "check_and_stage",
                        lambda *a, **k: real_check(*a, **{**k, "first": None}),
                    )
                if way == "upserts":
                    patch.setattr(staging, "is_first_import", lambda *a: False)
                calls.clear()
                try:
                    with transaction.atomic():
                        result = run_folder(t1.network, folder)
                        assert result.status == ImportStatus.DONE, result.errors
                        assert calls == ([1] if way == "direct" else [])
                        results.append((result.summary, _snapshot(t1.network)))
                        raise _Undo
                except _Undo:
                    pass
        (direct, snapshot), (staged, staged_snapshot), (upserts, upserts_snapshot) = results
        assert snapshot == staged_snapshot == upserts_snapshot, folder.name
        assert direct == staged, folder.name
        # The upserts also count what they deactivated and removed: nothing, here.
        assert upserts == {**{k: 0 for k in upserts if k not in direct}, **direct}, folder.name
        assert direct["links"] == len(snapshot["links"]) > 0


WRITTEN = ("students_written", "guardians_written", "enrollments_written", "links_written")


def test_reimport_of_an_unchanged_roster_rewrites_nothing(t1):
    first = run_folder(t1.network, BULK)
    assert [first.summary[k] for k in WRITTEN] == [3, 3, 4, 3]  # the first import's INSERTs
    stamps = dict(
        Student.objects.filter(network=t1.network).values_list("sourced_id", "updated_at")
    )
    link_ids = set(StudentGuardian.objects.values_list("id", flat=True))
    before = _snapshot(t1.network)
    again = run_folder(t1.network, BULK)
    assert again.status == ImportStatus.DONE
    assert [again.summary[k] for k in WRITTEN] == [0, 0, 0, 0]
    assert again.summary["links_removed"] == 0
    assert _snapshot(t1.network) == before
    assert (
        dict(Student.objects.filter(network=t1.network).values_list("sourced_id", "updated_at"))
        == stamps
    )
    assert set(StudentGuardian.objects.values_list("id", flat=True)) == link_ids


def test_reimport_rewrites_only_what_changed_and_the_same_by_sql(t1, tmp_path: Path):
    folder = copy_bulk(tmp_path)
    edit(folder / "users.csv", 2, "givenName", "Josep")  # stu-1
    edit(folder / "users.csv", 2, "agentSourcedIds", "gua-1,gua-3")  # gua-2 out, gua-3 in
    edit(folder / "users.csv", 5, "email", "carlos@example.org")  # gua-2
    row_by_row, by_sql = _both_paths(t1.network, [BULK, folder])
    assert by_sql == row_by_row
    second = by_sql[0][1]
    assert second["students_written"] == 1
    assert second["guardians_written"] == 1
    assert second["enrollments_written"] == 0
    assert (second["links_removed"], second["links_written"]) == (1, 1)
    assert ("stu-1", "gua-3") in {(s, g) for s, g, _r in by_sql[1]["links"]}
    assert not any(s == "stu-1" and g == "gua-2" for s, g, _r in by_sql[1]["links"])


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return str(cursor.fetchone()[0])


def _merge_spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The session_replication_role in force while the rows are written: by `staging.merge`,
    or, in a network's first import, by `sqlcheck._write_first`."""
    seen: list[str] = []
    real_merge, real_first = staging.merge, sqlcheck._write_first

    def spy(cursor: Any, **kwargs: Any) -> dict[str, int]:
        seen.append(_setting("session_replication_role"))
        return real_merge(cursor, **kwargs)

    def spy_first(*args: Any, **kwargs: Any) -> sqlcheck.Checked:
        seen.append(_setting("session_replication_role"))
        return real_first(*args, **kwargs)

    monkeypatch.setattr(staging, "merge", spy)
    monkeypatch.setattr(sqlcheck, "_write_first", spy_first)
    return seen


def _dangling_link() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            f"INSERT INTO {StudentGuardian._meta.db_table} (student_id, guardian_id, relationship)"  # noqa: S608
            " VALUES (-1, -1, 'parent')"
        )


def test_the_import_writes_without_row_triggers_and_turns_them_back_on(t1, monkeypatch):
    seen = _merge_spy(monkeypatch)
    result = run_folder(t1.network, BULK)
    assert result.status == ImportStatus.DONE
    assert seen == ["replica"]  # the test runs as a superuser: the privilege is there
    # Inside the caller's transaction (this test's), what follows the import is checked again.
    assert _setting("session_replication_role") == "origin"
    with pytest.raises(IntegrityError):
        _dangling_link()
    assert StudentGuardian.objects.filter(student__network=t1.network).count() == 3


def test_a_failed_import_leaves_the_row_triggers_on(t1, tmp_path, monkeypatch):
    folder = copy_bulk(tmp_path)
    edit(folder / "users.csv", 2, "grades", "13th")
    result = run_folder(t1.network, folder)
    assert result.status == ImportStatus.INVALID
    assert _setting("session_replication_role") == "origin"
    with pytest.raises(IntegrityError):
        _dangling_link()


def test_without_the_privilege_the_import_runs_with_its_foreign_key_checks(t1, monkeypatch):
    role = f"roster_no_privilege_{os.getpid()}"  # the test's transaction rolls it back
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role}")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
    seen = _merge_spy(monkeypatch)
    result = run_folder(t1.network, BULK)
    assert result.status == ImportStatus.DONE, result.errors
    assert seen == ["origin"]
    assert Student.objects.filter(network=t1.network).count() == 3
    assert StudentGuardian.objects.filter(student__network=t1.network).count() == 3
