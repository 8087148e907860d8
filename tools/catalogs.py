"""Check the gettext catalogs against the code: `python -m tools.catalogs [check]`.

The catalogs are written by Babel's own tools: `make i18n` runs `pybabel extract` (with
`babel.cfg`) into the template `locales/messages.pot`, then `pybabel update` into every
catalog, keeping translations. `check` then lists, per language, the strings the code uses that
a catalog lacks or leaves untranslated, and translations whose placeholders differ from the
code's; the test suite runs the same check. `python -m tools.catalogs update` is `make i18n`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from domain.models import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
MAPPING = ROOT / "babel.cfg"
#: The folders `babel.cfg` names, for tests that read the code themselves.
SOURCES = ("bot", "services")
#: `pybabel extract --no-default-keywords -k _ -k N_ -k plural:1,2` in the Makefile, likewise.
KEYWORDS = {"_": None, "N_": None, "plural": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w*)\}")

MessageId = str | tuple[str, str]


def extract() -> dict[MessageId, list[str]]:
    """Every translatable string of the code, with where it is used, read as pybabel does."""
    with MAPPING.open(encoding="utf-8") as handle:
        # Babel ships this parser without type annotations.
        method_map, options_map = parse_mapping_cfg(handle, str(MAPPING))  # type: ignore[no-untyped-call]
    found: dict[MessageId, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        if not message or (isinstance(message, tuple) and not all(message)):
            continue
        key: MessageId = message if isinstance(message, str) else (message[0], message[1])
        found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


def catalog_path(language: str) -> Path:
    """Where a language's catalog lives."""
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


def load(language: str) -> Catalog:
    """A language's catalog (empty if it does not exist yet)."""
    path = catalog_path(language)
    if not path.exists():
        return Catalog(locale=language, project="Partnerbot")
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def problems(language: str) -> Iterator[str]:
    """What a catalog lacks, or gets wrong, for the strings the code uses."""
    catalog = load(language)
    for key in extract():
        msgid = key[0] if isinstance(key, tuple) else key
        entry = catalog.get(msgid)
        if entry is None:
            yield f"{language}: missing {msgid!r}"
            continue
        if language == "en":
            continue  # English falls back to the text in the code
        raw = entry.string if isinstance(entry.string, tuple | list) else (entry.string,)
        strings = [str(string or "") for string in raw]
        if entry.fuzzy or not all(strings):
            yield f"{language}: untranslated {msgid!r}"
            continue
        expected = set(PLACEHOLDER.findall(msgid if isinstance(key, str) else key[1]))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) - expected - {"count"}:
                yield f"{language}: unknown placeholder in {string!r}"
            if isinstance(key, str) and set(PLACEHOLDER.findall(string)) != expected:
                yield f"{language}: placeholders of {msgid!r} differ: {string!r}"


def main(argv: list[str]) -> int:
    """Command line entry point."""
    if argv[1:] == ["update"]:
        return subprocess.call(["make", "--no-print-directory", "i18n"], cwd=ROOT)
    found = [problem for language in LANGUAGES for problem in problems(language)]
    print("\n".join(found) or "catalogs complete")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
