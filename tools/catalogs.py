"""Keep the gettext catalogs in step with the code: `python -m tools.catalogs [update|check]`.

`update` extracts every translatable string from bot/ and services/ and merges it into
each language's catalog, keeping existing translations; `check` reports what is missing.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from domain.models import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
SOURCES = ("bot", "services")
KEYWORDS = {"_": None, "N_": None, "plural": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w*)\}")

MessageId = str | tuple[str, str]


def extract() -> dict[MessageId, list[str]]:
    """Every translatable string of the code, with where it is used."""
    found: dict[MessageId, list[str]] = {}
    for source in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / source, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if not message or (isinstance(message, tuple) and not all(message)):
                continue
            key: MessageId = message if isinstance(message, str) else (message[0], message[1])
            found.setdefault(key, []).append(f"{source}/{filename}:{lineno}")
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


def update() -> None:
    """Add new strings to every catalog and drop strings the code no longer uses."""
    messages = extract()
    for language in LANGUAGES:
        old = load(language)
        new = Catalog(
            locale=language,
            project="Partnerbot",
            version="1",
            copyright_holder="Partnerbot",
            msgid_bugs_address="-",
            header_comment=f"# {language} messages of Partnerbot.",
            creation_date=old.creation_date,
            revision_date=old.revision_date,
            last_translator="Partnerbot",
            language_team=language,
            fuzzy=False,
        )
        for key, places in sorted(messages.items(), key=lambda item: str(item[0])):
            msgid = key[0] if isinstance(key, tuple) else key
            previous = old.get(msgid)
            string: Any = _empty(key)
            # Keep a translation only if it has the same shape (a plural stays a plural).
            if previous is not None and isinstance(previous.string, str) == isinstance(key, str):
                string = previous.string
            new.add(key, string, locations=[_location(place) for place in places])
        path = catalog_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, new, width=100, sort_output=True, omit_header=False, no_location=True)


def _empty(key: MessageId) -> str | tuple[str, ...]:
    return ("", "") if isinstance(key, tuple) else ""


def _location(place: str) -> tuple[str, int]:
    filename, line = place.rsplit(":", 1)
    return filename, int(line)


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
        update()
        return 0
    found = [problem for language in LANGUAGES for problem in problems(language)]
    print("\n".join(found) or "catalogs complete")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
