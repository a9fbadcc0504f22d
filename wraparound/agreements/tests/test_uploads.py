"""The checks on an uploaded clearance document (agreements.uploads): size, extension, content
(magic bytes) and a plain file name, each with its own clear message. No database."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from wraparound.agreements import uploads

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def named(raw_name: str, content: bytes = PDF) -> Any:
    """An upload whose name was not cleaned on the way in (Django's own request parser strips
    paths; another upload handler or a future API might not): the check must not rely on it."""
    file = upload("placeholder.pdf", content)
    file._name = raw_name
    return file


def text(error: ValidationError) -> str:
    return error.messages[0].replace("\xa0", " ")


def refusal(file: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        uploads.validate_upload(file)
    return caught.value


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("certificate.pdf", PDF, "application/pdf"),
        ("SCAN.PDF", PDF, "application/pdf"),
        ("badge.png", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.JPEG", JPEG, "image/jpeg"),
        ("Señora Pérez — TB test 2027.pdf", PDF, "application/pdf"),
    ],
)
def test_pdf_png_and_jpeg_files_pass(name: str, content: bytes, expected: str) -> None:
    checked = uploads.validate_upload(upload(name, content, content_type="text/plain"))
    # The stored type is the one the content proved, not the browser's claim.
    assert checked.content_type == expected
    assert checked.name == name
    assert checked.size == len(content)


def test_the_check_leaves_the_file_readable_from_the_start() -> None:
    file = upload("certificate.pdf", PDF)
    uploads.validate_upload(file)
    assert file.read() == PDF


@pytest.mark.parametrize("name", ["report.docx", "virus.exe", "page.html", "README", "x.pdf.exe"])
def test_other_extensions_are_refused(name: str) -> None:
    error = refusal(upload(name, PDF))
    assert error.code == "extension"
    assert "not a PDF, PNG or JPEG file" in error.messages[0]
    assert name in error.messages[0]


def test_a_pdf_name_with_png_content_says_what_it_is() -> None:
    error = refusal(upload("insurance.pdf", PNG))
    assert error.code == "content"
    assert error.messages == [
        "insurance.pdf is named as a PDF file but its content is PNG: give it the right extension."
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("insurance.pdf", b"<html><script>alert(1)</script></html>"),
        ("photo.png", b"GIF89a......"),
        ("photo.jpg", b"%PDF"),  # shorter than a signature
        ("scan.jpeg", b"\xff\xd8"),
    ],
)
def test_content_that_is_not_what_the_extension_says_is_refused(name: str, content: bytes) -> None:
    error = refusal(upload(name, content))
    assert error.code == "content"
    assert f"The content of {name} is not a" in error.messages[0]


def test_an_empty_file_is_refused() -> None:
    error = refusal(upload("empty.pdf", b""))
    assert error.code == "empty_file"
    assert error.messages == ["empty.pdf is empty."]


def test_size_limit_from_the_settings(settings: Any) -> None:
    settings.WRAPAROUND_UPLOAD_MAX_BYTES = 2048
    exactly = PDF + b"0" * (2048 - len(PDF))
    assert uploads.validate_upload(upload("ok.pdf", exactly)).size == 2048
    error = refusal(upload("big.pdf", exactly + b"0"))
    assert error.code == "size"
    assert text(error) == (
        "big.pdf is 2.0 KB (2,049 bytes); the largest file accepted is 2.0 KB (2,048 bytes)."
    )


def test_the_default_limit_is_ten_megabytes(settings: Any) -> None:
    assert settings.WRAPAROUND_UPLOAD_MAX_BYTES == 10 * 1024 * 1024
    error = refusal(upload("huge.pdf", PDF + b"0" * (10 * 1024 * 1024 + 200_000)))
    assert text(error) == "huge.pdf is 10.2 MB; the largest file accepted is 10.0 MB."


@pytest.mark.parametrize(
    ("raw_name", "code", "message"),
    [
        (
            "../../etc/passwd.pdf",
            "path",
            "The file name must not contain a folder path (/ or \\): ../../etc/passwd.pdf",
        ),
        ("/etc/cron.d/job.pdf", "path", "The file name must not contain a folder path"),
        ("..\\..\\windows\\win.pdf", "path", "The file name must not contain a folder path"),
        ("C:\\Users\\me\\scan.pdf", "path", "The file name must not contain a folder path"),
        ("..pdf", "dots", 'The file name must not contain "..": ..pdf'),
        ("scan..pdf", "dots", 'The file name must not contain "..": scan..pdf'),
        ("scan\x00.png.pdf", "control", "The file name contains control characters."),
        ("scan\n.pdf", "control", "The file name contains control characters."),
        ("scan\x1b[31m.pdf", "control", "The file name contains control characters."),
        # A right-to-left override makes "fdp.exe" look like "exe.pdf".
        ("scan\u202efdp.exe", "control", "The file name contains control characters."),
        ("", "empty", "The file has no name."),
        ("   ", "empty", "The file has no name."),
        ("a" * 197 + ".pdf", "long", "The file name is 201 characters long; shorten it to 200"),
    ],
)
def test_names_with_paths_dots_control_characters_or_no_length_are_refused(
    raw_name: str, code: str, message: str
) -> None:
    error = refusal(named(raw_name))
    assert error.code == code
    assert error.messages[0].startswith(message)


def test_a_name_of_exactly_the_longest_length_passes() -> None:
    name = "a" * 196 + ".pdf"
    assert uploads.validate_upload(named(name)).name == name


def test_the_name_is_checked_before_the_content() -> None:
    # A path trick is reported as such even when the content is wrong too.
    assert refusal(named("../x.pdf", content=b"nope")).code == "path"
