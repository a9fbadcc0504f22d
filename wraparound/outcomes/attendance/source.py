"""An attendance import's files, from a folder or a zip archive (the files at its top or inside
one folder), read as `wraparound.core.zipfiles` reads one (safe names, bounded size)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from wraparound.core.zipfiles import check_zip_file, missing_path, open_zip, zip_members

CALENDAR = "calendar.csv"
ATTENDANCE = "attendance.csv"
COURSE_RESULTS = "course_results.csv"
WANTED = frozenset({CALENDAR, ATTENDANCE, COURSE_RESULTS})
MAX_UNCOMPRESSED_BYTES = 8 * 1024**3


class AttendanceSource:
    names: frozenset[str]

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:  # pragma: no cover - interface
        raise NotImplementedError
        yield

    def close(self) -> None:
        pass


class FolderSource(AttendanceSource):
    def __init__(self, folder: Path) -> None:
        if not any((folder / n).is_file() for n in WANTED):
            subfolders = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
            if len(subfolders) == 1:
                folder = subfolders[0]
        self.folder = folder
        self.names = frozenset(n for n in WANTED if (folder / n).is_file())

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        with (self.folder / name).open("rb") as handle:
            yield handle


class ZipSource(AttendanceSource):
    def __init__(self, file: IO[bytes] | Path) -> None:
        self.zip = open_zip(file)
        self.members = _members(self.zip)
        self.names = frozenset(self.members)

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        with self.zip.open(self.members[name]) as handle:
            yield handle

    def close(self) -> None:
        self.zip.close()


def _members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    return zip_members(
        archive,
        wanted=WANTED,
        max_bytes=MAX_UNCOMPRESSED_BYTES,
        folders_message=_(
            "The zip archive holds attendance files in more than one folder: put them in one."
        ),
    )


def open_source(path: Path) -> AttendanceSource:
    """A folder or a zip archive given on the command line."""
    if path.is_dir():
        return FolderSource(path)
    if not path.is_file():
        raise missing_path(path)
    return ZipSource(path)


def check_zip_upload(file: IO[bytes], name: str, size: int, max_bytes: int) -> None:
    """Refuse an upload that is not a zip archive of a safe size holding calendar.csv,
    attendance.csv or course_results.csv, before it is stored (ValidationError)."""
    check_zip_file(file, name, size, max_bytes)
    source = ZipSource(file)
    try:
        if not source.names:
            raise ValidationError(
                _("%(name)s holds none of calendar.csv, attendance.csv and course_results.csv.")
                % {"name": name},
                "no_files",
            )
    finally:
        source.close()
    file.seek(0)
