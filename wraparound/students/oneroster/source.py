"""A roster's files, from a folder or a zip archive.

A zip is read as `wraparound.core.zipfiles` reads one (safe names, one folder, bounded size)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from wraparound.core.zipfiles import check_zip_file, missing_path, open_zip, zip_members

from . import spec

# A city's roster (900,000 students, their guardians and roles) is about 1 GB of CSV.
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
WANTED = frozenset({spec.MANIFEST, *spec.FILES})


class RosterSource:
    """The roster files present (by their OneRoster names) and a way to open each as bytes."""

    names: frozenset[str]

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:  # pragma: no cover - interface
        raise NotImplementedError
        yield

    def size(self, name: str) -> int:  # pragma: no cover - interface
        """The file's size in bytes (uncompressed)."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class FolderSource(RosterSource):
    def __init__(self, folder: Path) -> None:
        self.folder = _roster_folder(folder)
        self.names = frozenset(n for n in WANTED if (self.folder / n).is_file())

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        with (self.folder / name).open("rb") as handle:
            yield handle

    def size(self, name: str) -> int:
        return (self.folder / name).stat().st_size


def _roster_folder(folder: Path) -> Path:
    """The folder itself, or its only subfolder when the files are one level down."""
    if (folder / spec.MANIFEST).is_file():
        return folder
    subfolders = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    if len(subfolders) == 1 and (subfolders[0] / spec.MANIFEST).is_file():
        return subfolders[0]
    return folder


class ZipSource(RosterSource):
    def __init__(self, file: IO[bytes] | Path) -> None:
        self.zip = open_zip(file)
        self.members = _members(self.zip)
        self.names = frozenset(self.members)

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        with self.zip.open(self.members[name]) as handle:
            yield handle

    def size(self, name: str) -> int:
        return self.members[name].file_size

    def close(self) -> None:
        self.zip.close()


def _members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    return zip_members(
        archive,
        wanted=WANTED,
        max_bytes=MAX_UNCOMPRESSED_BYTES,
        folders_message=_(
            "The zip archive holds roster files in more than one folder: put them in one."
        ),
    )


def open_source(path: Path) -> RosterSource:
    """A folder or a zip archive given on the command line."""
    if path.is_dir():
        return FolderSource(path)
    if not path.is_file():
        raise missing_path(path)
    return ZipSource(path)


def check_zip_upload(file: IO[bytes], name: str, size: int, max_bytes: int) -> None:
    """Refuse an upload that is not a zip archive of a safe size, before it is stored."""
    check_zip_file(file, name, size, max_bytes)
    ZipSource(file).close()
    file.seek(0)
