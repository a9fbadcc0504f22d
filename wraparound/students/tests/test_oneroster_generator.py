"""The demo OneRoster generator: deterministic, valid for the importer, realistic shares."""

from __future__ import annotations

import pytest

from wraparound.demo.oneroster import write_oneroster
from wraparound.students.models import Guardian, ImportStatus, Student

from .oneroster_helpers import read_rows, run_folder

pytestmark = pytest.mark.django_db


def test_generated_roster_imports_and_is_deterministic(t1, tmp_path):
    counts = write_oneroster(network=t1.network, out_dir=tmp_path / "a", students_per_school=60)
    write_oneroster(network=t1.network, out_dir=tmp_path / "b", students_per_school=60)
    for name in ("users.csv", "roles.csv", "demographics.csv", "orgs.csv", "manifest.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert counts["students"] == 60 * len(t1.schools)
    assert len(t1.schools) <= counts["guardians"] / 60 <= 2 * len(t1.schools)
    result = run_folder(t1.network, tmp_path / "a")
    assert result.status == ImportStatus.DONE, result.errors[:5]
    students = Student.objects.filter(network=t1.network)
    assert students.count() == counts["students"]
    assert Guardian.objects.filter(network=t1.network).count() == counts["guardians"]
    assert students.filter(school__isnull=True).count() == 0
    for student in students.select_related("school")[:50]:
        assert student.guardian_links.exists()
    users = read_rows(tmp_path / "a" / "users.csv")
    assert any(not row[6].isascii() for row in users[1:])  # non-ASCII names are there
    economically = students.filter(economically_disadvantaged=True).count() / students.count()
    assert 0.5 < economically < 0.95
