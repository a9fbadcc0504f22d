"""Attendance sources: folders, zips, and zips refused for unsafe names."""

from __future__ import annotations

import zipfile

import pytest
from django.core.exceptions import ValidationError

from ..attendance.source import FolderSource, ZipSource, open_source


def test_a_folder_one_level_down(tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "attendance.csv").write_text("x\n")
    assert open_source(tmp_path).names == frozenset({"attendance.csv"})
    assert isinstance(open_source(tmp_path), FolderSource)


def test_a_zip_with_an_unsafe_name_is_refused(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../calendar.csv", "x")
    with pytest.raises(ValidationError):
        ZipSource(archive)


def test_not_a_zip(tmp_path):
    path = tmp_path / "a.zip"
    path.write_text("hello")
    with pytest.raises(ValidationError):
        open_source(path)


def test_missing_path(tmp_path):
    with pytest.raises(ValidationError):
        open_source(tmp_path / "nope")
