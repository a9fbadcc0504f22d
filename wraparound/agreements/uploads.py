"""Checks on an uploaded clearance document, before anything is written (ADR 0004).

A document is accepted when its name is a plain file name (no path, no "..", no control
character, not empty, not too long), its extension is one we take (.pdf, .png, .jpg, .jpeg), its
size is within `settings.WRAPAROUND_UPLOAD_MAX_BYTES`, and its first bytes are those of the type
its extension names (a PDF starts with "%PDF-", a PNG with its 8-byte signature, a JPEG with
FF D8 FF). The type we store is the one the content proved, never the one the browser claimed.

Every refusal is a `ValidationError` with one specific message; the caller files it under its
own field name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# The longest file name kept (ClearanceRecord.document_name holds 200 characters).
MAX_NAME_LENGTH = 200

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"

# extension → the content type it promises
EXTENSIONS: dict[str, str] = {".pdf": PDF, ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG}
# content type → the bytes such a file starts with
SIGNATURES: dict[str, bytes] = {
    PDF: b"%PDF-",
    PNG: b"\x89PNG\r\n\x1a\n",
    JPEG: b"\xff\xd8\xff",
}
TYPE_NAMES: dict[str, str] = {PDF: "PDF", PNG: "PNG", JPEG: "JPEG"}
ACCEPT = ",".join([*EXTENSIONS, PDF, PNG, JPEG])  # for <input type="file" accept="…">


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed every check: the name to show, the proven type, the size."""

    file: UploadedFile
    name: str
    content_type: str
    size: int


def _max_bytes() -> int:
    return int(settings.WRAPAROUND_UPLOAD_MAX_BYTES)


def check_name(raw: Any) -> str:
    """The file name as given, when it is a plain, safe file name; otherwise a refusal."""
    name = unicodedata.normalize("NFC", str(raw or "")).strip()
    if not name:
        raise ValidationError(_("The file has no name. Rename it and choose it again."), "empty")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise ValidationError(
            _("The file name contains control characters. Rename the file and choose it again."),
            "control",
        )
    if "/" in name or "\\" in name:
        raise ValidationError(
            _("The file name must not contain a folder path (/ or \\): %(name)s") % {"name": name},
            "path",
        )
    if ".." in name:
        raise ValidationError(
            _('The file name must not contain "..": %(name)s') % {"name": name}, "dots"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            _("The file name is %(length)d characters long; shorten it to %(max)d or fewer.")
            % {"length": len(name), "max": MAX_NAME_LENGTH},
            "long",
        )
    return name


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _head(file: IO[bytes], length: int) -> bytes:
    file.seek(0)
    head = file.read(length)
    file.seek(0)
    return head if isinstance(head, bytes) else b""


def validate_upload(upload: UploadedFile) -> CheckedUpload:
    """Check an uploaded document; nothing is read beyond its first bytes, nothing is written."""
    name = check_name(upload.name)
    extension = _extension(name)
    content_type = EXTENSIONS.get(extension)
    if content_type is None:
        raise ValidationError(
            _("%(name)s is not a PDF, PNG or JPEG file: send a .pdf, .png, .jpg or .jpeg file.")
            % {"name": name},
            "extension",
        )
    size = upload.size or 0
    if size <= 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name}, "empty_file")
    limit = _max_bytes()
    if size > limit:
        shown, most = filesizeformat(size), filesizeformat(limit)
        if shown == most:  # 2,049 bytes and 2,048 bytes are both "2.0 KB"
            shown = _("%(size)s (%(bytes)s bytes)") % {"size": shown, "bytes": f"{size:,}"}
            most = _("%(size)s (%(bytes)s bytes)") % {"size": most, "bytes": f"{limit:,}"}
        raise ValidationError(
            _("%(name)s is %(size)s; the largest file accepted is %(limit)s.")
            % {"name": name, "size": shown, "limit": most},
            "size",
        )
    head = _head(upload, max(len(sig) for sig in SIGNATURES.values()))
    if not head.startswith(SIGNATURES[content_type]):
        found = next((t for t, sig in SIGNATURES.items() if head.startswith(sig)), None)
        if found is not None:
            message = _(
                "%(name)s is named as a %(expected)s file but its content is %(found)s: "
                "give it the right extension."
            ) % {"name": name, "expected": TYPE_NAMES[content_type], "found": TYPE_NAMES[found]}
        else:
            message = _(
                "The content of %(name)s is not a %(expected)s file (the file may be damaged or "
                "of another type)."
            ) % {"name": name, "expected": TYPE_NAMES[content_type]}
        raise ValidationError(message, "content")
    return CheckedUpload(file=upload, name=name, content_type=content_type, size=size)
