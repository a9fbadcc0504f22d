"""The OneRoster importer end to end on the hand-written roster: what it writes, idempotence,
bulk and delta modes, dry runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from wraparound.students.models import (
    Guardian,
    ImportStatus,
    Student,
    StudentEnrollment,
    StudentGuardian,
)

from .oneroster_helpers import BULK, copy_bulk, run_folder, set_manifest, write_rows

pytestmark = pytest.mark.django_db


def test_bulk_import_writes_students_guardians_links_and_enrollments(t1, t2):
    result = run_folder(t1.network, BULK)
    assert result.status == ImportStatus.DONE, result.errors
    assert result.mode == "bulk"
    jose = Student.objects.get(network=t1.network, sourced_id="stu-1")
    assert (jose.given_name, jose.family_name, jose.middle_name, jose.preferred_name) == (
        "José",
        "Núñez",
        "Ángel",
        "Pepe",
    )
    assert jose.school == t1.schools[0]
    assert jose.grade == "09"
    assert jose.birth_date == dt.date(2011, 3, 4)
    assert jose.sex == "male"
    assert jose.race_ethnicity == "hispanic"
    assert (jose.english_learner, jose.disability, jose.economically_disadvantaged) == (
        True,
        False,
        True,
    )
    assert jose.home_language == "es"
    assert jose.identifier == "S0001"
    zoe = Student.objects.get(sourced_id="stu-2")
    assert zoe.school == t1.schools[1]  # the primary role, not the secondary one
    assert zoe.grade == "10"
    assert zoe.race_ethnicity == "two_or_more"
    assert zoe.economically_disadvantaged is None
    li = Student.objects.get(sourced_id="stu-3")
    assert (li.given_name, li.family_name, li.race_ethnicity) == ("小龙", "李", "asian")
    assert Student.objects.filter(network=t1.network).count() == 3
    assert not Student.objects.filter(network=t2.network).exists()
    assert Guardian.objects.filter(network=t1.network).count() == 3
    links = {
        (link.student.sourced_id, link.guardian.sourced_id, link.relationship)
        for link in StudentGuardian.objects.select_related("student", "guardian")
    }
    assert links == {
        ("stu-1", "gua-1", "parent"),
        ("stu-1", "gua-2", "relative"),
        ("stu-2", "gua-3", "guardian"),
    }
    maria = Guardian.objects.get(sourced_id="gua-1")
    assert (maria.email, maria.phone, maria.sms) == (
        "maria@example.org",
        "+12125550100",
        "+12125550101",
    )
    enrollments = {
        (e.sourced_id, e.student.sourced_id, e.school_id, e.is_primary, e.end_date)
        for e in StudentEnrollment.objects.select_related("student")
    }
    assert enrollments == {
        ("r-stu-1", "stu-1", t1.schools[0].pk, True, None),
        ("r-stu-2", "stu-2", t1.schools[1].pk, True, None),
        ("r-stu-2b", "stu-2", t1.schools[0].pk, False, dt.date(2027, 1, 29)),
        ("r-stu-3", "stu-3", t1.schools[0].pk, True, None),
    }
    summary = result.summary
    assert summary["students"] == 3
    assert summary["students_created"] == 3
    assert summary["guardians"] == 3
    assert summary["other_users"] == 1  # the teacher: counted, not kept
    assert summary["class_enrollments"] == 2
    assert summary["academic_sessions"] == 2


def test_import_twice_is_idempotent(t1):
    run_folder(t1.network, BULK)
    before = list(Student.objects.order_by("sourced_id").values_list("id", "sourced_id"))
    again = run_folder(t1.network, BULK)
    assert again.status == ImportStatus.DONE
    assert again.summary["students_created"] == 0
    assert list(Student.objects.order_by("sourced_id").values_list("id", "sourced_id")) == before
    assert StudentGuardian.objects.count() == 3
    assert StudentEnrollment.objects.count() == 4


def test_bulk_deactivates_students_missing_from_the_file(t1, tmp_path: Path):
    run_folder(t1.network, BULK)
    folder = copy_bulk(tmp_path)
    rows = [r for r in _rows(folder / "users.csv") if r[0] != "stu-3"]
    write_rows(folder / "users.csv", rows)
    roles = [r for r in _rows(folder / "roles.csv") if r[3] != "stu-3"]
    write_rows(folder / "roles.csv", roles)
    demographics = [r for r in _rows(folder / "demographics.csv") if r[0] != "stu-3"]
    write_rows(folder / "demographics.csv", demographics)
    result = run_folder(t1.network, folder)
    assert result.status == ImportStatus.DONE, result.errors
    assert not Student.objects.get(sourced_id="stu-3").is_active
    assert Student.objects.get(sourced_id="stu-1").is_active
    assert result.summary["students_deactivated"] == 1
    assert not StudentEnrollment.objects.filter(sourced_id="r-stu-3").exists()


def _rows(path: Path) -> list[list[str]]:
    from .oneroster_helpers import read_rows

    return read_rows(path)


def test_delta_deactivates_updates_and_refers_to_database_records(t1, tmp_path: Path):
    run_folder(t1.network, BULK)
    folder = tmp_path / "delta"
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
    header = _rows(BULK / "users.csv")[0]
    users = [header]
    blank = dict.fromkeys(header, "")
    for values in (
        {"sourcedId": "stu-3", "status": "tobedeleted", "dateLastModified": stamp},
        {
            "sourcedId": "stu-1",
            "status": "active",
            "dateLastModified": stamp,
            "enabledUser": "true",
            "username": "jnunez",
            "givenName": "José",
            "familyName": "Núñez-García",
            "agentSourcedIds": "gua-1",  # gua-2 is no longer an agent; gua-1 is in the database
            "grades": "10",
        },
    ):
        users.append([{**blank, **values}[c] for c in header])
    write_rows(folder / "users.csv", users)
    roles_header = _rows(BULK / "roles.csv")[0]
    write_rows(
        folder / "roles.csv",
        [
            roles_header,
            # a new enrollment of a student who is only in the database; without orgs.csv a
            # delta names schools by their codes
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
    demo_header = _rows(BULK / "demographics.csv")[0]
    demo = dict.fromkeys(demo_header, "")
    demo.update(
        {"sourcedId": "stu-2", "status": "active", "dateLastModified": stamp, "sex": "female"}
    )
    demo["metadata.englishLearner"] = "true"
    write_rows(folder / "demographics.csv", [demo_header, [demo[c] for c in demo_header]])
    result = run_folder(t1.network, folder)
    assert result.status == ImportStatus.DONE, result.errors
    assert result.mode == "delta"
    assert not Student.objects.get(sourced_id="stu-3").is_active
    jose = Student.objects.get(sourced_id="stu-1")
    assert jose.family_name == "Núñez-García"
    assert jose.grade == "10"
    assert jose.school == t1.schools[0]  # no role in the delta: the school stays
    assert jose.birth_date == dt.date(2011, 3, 4)  # no demographics in the delta: they stay
    assert jose.source_modified_at == dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)
    assert set(jose.guardian_links.values_list("guardian__sourced_id", flat=True)) == {"gua-1"}
    zoe = Student.objects.get(sourced_id="stu-2")
    assert zoe.english_learner is True
    assert zoe.disability is None  # a delta row says everything about the student's demographics
    assert set(zoe.enrollments.values_list("sourced_id", flat=True)) == {"r-stu-2", "r-stu-2c"}


def test_dry_run_writes_nothing(t1):
    result = run_folder(t1.network, BULK, dry_run=True)
    assert result.status == ImportStatus.CHECKED
    assert result.summary["students"] == 3
    assert not Student.objects.exists()
    assert not Guardian.objects.exists()


def test_manifest_absent_file_is_not_read(t1, tmp_path: Path):
    folder = copy_bulk(tmp_path)
    (folder / "enrollments.csv").unlink()
    set_manifest(folder, enrollments="absent")
    result = run_folder(t1.network, folder)
    assert result.status == ImportStatus.DONE, result.errors
    assert "class_enrollments" not in result.summary
