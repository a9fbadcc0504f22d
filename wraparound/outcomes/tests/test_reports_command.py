"""manage.py report: a file per scope and format; exit status 2 and a clear message on a bad
scope, year or format."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook
from pypdf import PdfReader

from wraparound.core.tests.factories import CommunityFactory, NetworkFactory
from wraparound.core.tests.personas import make_tenant

from .factories import make_school

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    return make_tenant("North")


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def test_writes_a_school_pdf_and_a_network_xlsx(tenant, tmp_path):
    school = tenant.schools[0]
    pdf = tmp_path / "school.pdf"
    message = _run(
        "--scope", f"school:{school.code}", "--year", "2027", "--format", "pdf", "--out", str(pdf)
    )
    assert "written to" in message
    text = " ".join(PdfReader(str(pdf)).pages[0].extract_text().split())
    assert school.name in text and "2026–27" in text
    xlsx = tmp_path / "network.xlsx"
    _run("--scope", "network:north", "--year", "2027", "--format", "xlsx", "--out", str(xlsx))
    assert load_workbook(xlsx)["About"]["B2"].value == tenant.network.name


def test_writes_a_partner_report(tenant, tmp_path):
    out = tmp_path / "partner.xlsx"
    _run(
        "--scope",
        f"organization:{tenant.org_a.pk}",
        "--year",
        "2027",
        "--format",
        "xlsx",
        "--out",
        str(out),
    )
    assert load_workbook(out)["About"]["B2"].value == tenant.org_a.name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scope", "school:NOPE"], "No school has the code 'NOPE'"),
        (["--scope", "district:1"], "give school:CODE, network:SLUG or organization:ID"),
        (["--scope", "network:nowhere"], "No network has the slug 'nowhere'"),
        (["--scope", "organization:abc"], "the organization's id is a number"),
        (["--scope", "organization:999999"], "No organization has the id 999999"),
        (["--year", "27"], "give the calendar year in which the school year ends"),
        (["--format", "docx"], "give pdf or xlsx"),
    ],
    ids=["school", "kind", "network", "org-id", "org-missing", "year", "format"],
)
def test_bad_arguments_exit_2_with_a_clear_message(tenant, tmp_path, args, message):
    out = tmp_path / "r.pdf"
    defaults = {"--scope": "network:north", "--year": "2027", "--format": "pdf", "--out": str(out)}
    defaults.update(dict(zip(args[::2], args[1::2], strict=True)))
    argv = [x for pair in defaults.items() for x in pair]
    with pytest.raises(CommandError, match=message) as error:
        call_command("report", *argv)
    assert error.value.returncode == 2
    assert not out.exists()


def test_a_school_code_in_two_networks_needs_network(tenant, tmp_path):
    code = tenant.schools[0].code
    other = NetworkFactory(slug="west")
    make_school(network=other, community=CommunityFactory(network=other), code=code)
    out = tmp_path / "r.pdf"
    with pytest.raises(CommandError, match="give --network SLUG") as error:
        call_command(
            "report",
            "--scope",
            f"school:{code}",
            "--year",
            "2027",
            "--format",
            "pdf",
            "--out",
            str(out),
        )
    assert error.value.returncode == 2
    _run(
        "--scope",
        f"school:{code}",
        "--network",
        "west",
        "--year",
        "2027",
        "--format",
        "pdf",
        "--out",
        str(out),
    )
    assert out.read_bytes().startswith(b"%PDF")


def test_the_exit_status_is_2_from_the_command_line(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "report",
            "--scope",
            "network:x",
            "--year",
            "2027",
            "--format",
            "docx",
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "DEBUG": "true"},
        check=False,
    )
    assert result.returncode == 2
    assert "give pdf or xlsx" in result.stderr
