"""The Spanish catalog covers the whole site, is compiled, and the pages speak it.

`make messages` regenerates the catalog (makemessages + compilemessages). These tests need no
gettext tools: they read the .po with a tiny parser, the .mo with Python's `gettext`, and find
the strings of the source the way makemessages does (Python's `ast` for code, Django's
`templatize` for templates), so a string added without its translation fails here."""

from __future__ import annotations

import ast
import gettext
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils.translation.template import templatize

LOCALE = Path(settings.LOCALE_PATHS[0])
PO = LOCALE / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
ROOT = Path(settings.BASE_DIR)
SOURCE_DIRS = [ROOT / "wraparound", ROOT / "config"]
FIX = "run `make messages`, translate every new entry in django.po, then `make messages` again"


# --- a tiny .po reader ---------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        """The key Python's gettext uses: "context\\x04msgid" or the msgid."""
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _unquote(text: str) -> str:
    value = ast.literal_eval(text)
    assert isinstance(value, str)
    return value


def read_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header included (msgid ""); obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] = ("msgid", 0)
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        starts_entry = line.startswith(("#", "msgctxt", "msgid ")) or not line
        if entry is not None and entry.msgstr and starts_entry:
            entries.append(entry)
            entry = None
        if not line or line.startswith("#~"):
            continue
        if entry is None:
            entry = Entry(line=number)
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif match := _KEYWORD.match(line):
            keyword, index, text = match.groups()
            if keyword.startswith("msgstr"):
                target = ("msgstr", int(index or 0))
                entry.msgstr[target[1]] = _unquote(text)
            else:
                target = (keyword, 0)
                setattr(entry, keyword, _unquote(text))
        elif line.startswith('"'):
            if target[0] == "msgstr":
                entry.msgstr[target[1]] += _unquote(line)
            else:
                setattr(entry, target[0], (getattr(entry, target[0]) or "") + _unquote(line))
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    if entry is not None:
        entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def catalog() -> list[Entry]:
    assert PO.exists(), f"{PO} is missing: {FIX}"
    entries = read_po(PO)
    assert entries and entries[0].msgid == "", "the catalog starts with its header"
    return entries[1:]


def test_the_parser_reads_plurals_contexts_flags_and_continued_lines(tmp_path: Path) -> None:
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: es\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "%(n)s day"\nmsgid_plural "%(n)s days"\n'
        'msgstr[0] "%(n)s día"\nmsgstr[1] ""\n"%(n)s días"\n\n'
        'msgctxt "month"\nmsgid "May"\nmsgstr "Mayo"\n'
        '#~ msgid "Old"\n#~ msgstr "Viejo"\n',
        encoding="utf-8",
    )

    header, plural, month = read_po(po)

    assert header.msgstr[0] == "Language: es\n"
    assert plural.msgstr == {0: "%(n)s día", 1: "%(n)s días"}
    assert plural.flags == {"fuzzy", "python-format"}
    assert month.key == "month\x04May" and month.msgstr == {0: "Mayo"}


# --- the catalog ---------------------------------------------------------------------------------


def test_every_entry_is_translated_and_none_is_fuzzy(catalog: list[Entry]) -> None:
    untranslated = [e.msgid for e in catalog if not all(e.msgstr.values()) or not e.msgstr]
    fuzzy = [e.msgid for e in catalog if "fuzzy" in e.flags]

    assert not untranslated, f"untranslated ({FIX}): {untranslated}"
    assert not fuzzy, f"fuzzy: check and un-flag them: {fuzzy}"


def test_plural_entries_have_both_spanish_forms(catalog: list[Entry]) -> None:
    header = read_po(PO)[0].msgstr[0]

    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header
    assert "Language: es" in header
    for entry in catalog:
        if entry.msgid_plural is not None:
            assert sorted(entry.msgstr) == [0, 1], entry.msgid


PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{(\w*)\}")


def test_translations_keep_the_placeholders(catalog: list[Entry]) -> None:
    wrong = []
    for entry in catalog:
        wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for text in entry.msgstr.values():
            if sorted(PLACEHOLDER.findall(text)) != wanted and not (
                # A singular may say "one" instead of the count.
                entry.msgid_plural
                and sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(PLACEHOLDER.findall(text))
            ):
                wrong.append((entry.msgid, text))
    assert not wrong, wrong


def test_the_compiled_catalog_matches_the_po(catalog: list[Entry]) -> None:
    assert MO.exists(), f"{MO} is missing: run `make messages`"
    with MO.open("rb") as handle:
        compiled: dict[Any, str] = gettext.GNUTranslations(handle)._catalog

    expected: dict[Any, str] = {"": read_po(PO)[0].msgstr[0]}
    for entry in catalog:
        if entry.msgid_plural is None:
            expected[entry.key] = entry.msgstr[0]
        else:
            for index, text in entry.msgstr.items():
                expected[(entry.key, index)] = text
    stale = {k for k in expected.keys() ^ compiled.keys()}
    assert not stale, f"django.mo is older than django.po ({len(stale)} messages differ): {FIX}"
    changed = [k for k in expected if k and expected[k] != compiled[k]]
    assert not changed, f"django.mo is older than django.po: {changed[:5]}; run `make messages`"


# --- every string of the source is in the catalog ------------------------------------------------

# makemessages' keywords (Django adds the lazy and context forms to xgettext's defaults):
# name → (index of the context argument or None, indexes of the message arguments).
KEYWORDS: dict[str, tuple[int | None, tuple[int, ...]]] = {
    "_": (None, (0,)),
    "gettext": (None, (0,)),
    "gettext_lazy": (None, (0,)),
    "gettext_noop": (None, (0,)),
    "ngettext": (None, (0, 1)),
    "ngettext_lazy": (None, (0, 1)),
    "pgettext": (0, (1,)),
    "pgettext_lazy": (0, (1,)),
    "npgettext": (0, (1, 2)),
    "npgettext_lazy": (0, (1, 2)),
}


def _message(name: str, args: list[str | None]) -> str | None:
    context_at, message_at = KEYWORDS[name]
    if len(args) <= max(message_at) or args[message_at[0]] is None:
        return None
    msgid = args[message_at[0]]
    if context_at is not None:
        if args[context_at] is None:
            return None
        return f"{args[context_at]}\x04{msgid}"
    return msgid


def python_messages(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute)
            else ""
        )
        if name not in KEYWORDS:
            continue
        args = [
            a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
            for a in node.args
        ]
        message = _message(name, args)
        if message:
            yield message


_TEMPLATE_CALL = re.compile(r"\b(n?p?gettext)\(((?:\s*u'(?:[^'\\]|\\.)*'\s*,?)+)")
_QUOTED = re.compile(r"u'((?:[^'\\]|\\.)*)'")


def template_messages(path: Path) -> Iterator[str]:
    source = templatize(path.read_text(encoding="utf-8"), str(path))
    for match in _TEMPLATE_CALL.finditer(source):
        args: list[str | None] = [
            ast.literal_eval(f"'{q}'") for q in _QUOTED.findall(match.group(2))
        ]
        message = _message(match.group(1), args)
        if message:
            yield message


def source_messages() -> dict[str, str]:
    """Every message the source marks for translation → the first file that marks it."""
    found: dict[str, str] = {}
    for directory in SOURCE_DIRS:
        for path in sorted(directory.rglob("*")):
            if "locale" in path.parts or not path.is_file():
                continue
            if path.suffix == ".py":
                messages = python_messages(path)
            elif path.suffix in {".html", ".txt"} and "templates" in path.parts:
                messages = template_messages(path)
            else:
                continue
            for message in messages:
                found.setdefault(message, str(path.relative_to(ROOT)))
    return found


def test_the_extractor_finds_python_and_template_strings() -> None:
    messages = source_messages()

    assert messages["Find help for your family"].endswith(".html")  # {% translate %}
    assert "%(counter)s service found" in messages  # {% blocktranslate count %}
    assert messages["Ask about the cost."].endswith("public.py")  # gettext as _
    assert "Sign in" in messages and "Skip to content" in messages


def test_every_string_of_the_source_is_in_the_catalog(catalog: list[Entry]) -> None:
    known = {entry.key for entry in catalog}

    missing = {m: where for m, where in source_messages().items() if m not in known}

    assert not missing, f"strings not in the Spanish catalog ({FIX}):\n" + "\n".join(
        f"  {where}: {message!r}" for message, where in sorted(missing.items())
    )


# --- the pages speak Spanish ---------------------------------------------------------------------


def test_the_sign_in_page_in_spanish_by_accept_language(client: Client, db: None) -> None:
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9,en;q=0.5")

    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "Iniciar sesión" in html and "¿Olvidó su contraseña?" in html
    assert "Sign in" not in html


def test_the_sign_in_page_in_spanish_by_the_language_cookie(client: Client, db: None) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    html = client.get("/login/").content.decode()

    assert "Iniciar sesión" in html


def test_english_stays_english(client: Client, db: None) -> None:
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()

    assert '<html lang="en">' in html and "Sign in" in html


def test_signed_in_pages_in_spanish(as_user: Any, t1: Any) -> None:
    client = as_user(t1.users["network_admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    home = client.get("/").content.decode()
    account = client.get("/account/").content.decode()
    guide = client.get("/developers/api/").content.decode()

    assert "Cerrar sesión" in home and "Inicio" in home
    assert "Su cuenta" in account
    assert "La API de wraparound" in guide


def test_switching_language_sets_the_cookie_and_returns(client: Client, db: None) -> None:
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/login/"})

    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert "Iniciar sesión" in client.get("/login/").content.decode()


def test_no_module_hides_gettext_under_a_name_makemessages_does_not_know() -> None:
    # makemessages collects `_`, `gettext`, `gettext_lazy`, `ngettext`, `pgettext`, …: a string
    # marked with an alias such as `_l` is never extracted and stays in English.
    root = Path(settings.BASE_DIR) / "wraparound"
    alias = re.compile(r"import\s+(?:gettext|gettext_lazy|ngettext|pgettext)\s+as\s+(?!_\b)\w+")
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if alias.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
