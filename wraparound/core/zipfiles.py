"""Reading a set of CSV files from an uploaded or given zip archive, safely: the roster and the
attendance imports both take one.

A zip is accepted when every member name is a plain relative path (no absolute path, no "..",
no backslash, no drive letter), the wanted files sit at its top or inside one folder, and its
uncompressed size is bounded, so that a small upload cannot unpack into a huge one."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ZIP_SIGNATURE = b"PK\x03\x04"


def check_zip_file(file: IO[bytes], name: str, size: int, max_bytes: int) -> None:
    """Refuse an upload that is not a .zip of a safe size (ValidationError), before anything
    of it is stored or unpacked."""
    if not name.lower().endswith(".zip"):
        raise ValidationError(_("%(name)s is not a .zip file.") % {"name": name}, "extension")
    if size <= 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name}, "empty_file")
    if size > max_bytes:
        raise ValidationError(
            _("%(name)s is %(size)s bytes; the largest file accepted is %(limit)s bytes.")
            % {"name": name, "size": f"{size:,}", "limit": f"{max_bytes:,}"},
            "size",
        )
    file.seek(0)
    head = file.read(4)
    file.seek(0)
    if head != ZIP_SIGNATURE:
        raise ValidationError(
            _("The content of %(name)s is not a zip archive.") % {"name": name}, "content"
        )


def open_zip(file: IO[bytes] | Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError) as error:
        raise ValidationError(
            _("The file is not a zip archive that can be read (%(error)s).") % {"error": error},
            "zip",
        ) from error


def zip_members(
    archive: zipfile.ZipFile, *, wanted: frozenset[str], max_bytes: int, folders_message: str
) -> dict[str, zipfile.ZipInfo]:
    """The wanted files of the archive by name (the first of each); ValidationError for an
    unsafe name, an archive unpacking past `max_bytes`, or wanted files in several folders
    (`folders_message`)."""
    total = 0
    found: dict[str, zipfile.ZipInfo] = {}
    folders: set[PurePosixPath] = set()
    for info in archive.infolist():
        name = info.filename
        path = PurePosixPath(name)
        if (
            "\\" in name
            or name.startswith("/")
            or ".." in path.parts
            or (path.parts and ":" in path.parts[0])
        ):
            raise ValidationError(
                _("The zip archive contains an unsafe file name: %(name)s") % {"name": name},
                "zip_path",
            )
        if info.is_dir() or path.name.startswith(".") or "__MACOSX" in path.parts:
            continue
        total += info.file_size
        if len(path.parts) <= 2 and path.name in wanted:
            found.setdefault(path.name, info)
            folders.add(path.parent)
    if total > max_bytes:
        raise ValidationError(
            _("The zip archive unpacks to more than %(gb)d GB.") % {"gb": max_bytes // 1024**3},
            "zip_size",
        )
    if len(folders) > 1:
        raise ValidationError(folders_message, "zip_folders")
    return found


def missing_path(path: Path) -> ValidationError:
    return ValidationError(_("No such file or folder: %(path)s") % {"path": path}, "missing")
