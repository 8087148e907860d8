"""Translations: gettext catalogs loaded with Babel, one `Translator` per language.

Every user-facing text goes through a `Translator`. Values passed to it are HTML-escaped
(markupsafe) unless they are already `Markup`, and in right-to-left languages each value is
wrapped in Unicode isolates so Latin names, codes and numbers keep their own direction.
"""

from __future__ import annotations

import gettext
import os
import struct
from collections.abc import Iterable
from functools import cache
from io import BytesIO
from pathlib import Path

from markupsafe import Markup, escape

from domain.models import LANGUAGES, RTL_LANGUAGES, cldr_locale

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


class Verbatim(Markup):
    """Markup inserted exactly as it is, never isolated (e.g. an @mention, which an
    invisible isolate character would break)."""

    __slots__ = ()


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (translated where shown)."""
    return message


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of a language, from the .po file.

    Compiling the five catalogs took a tenth of a second of every start; the compiled file is
    kept beside the .po (`messages.mo`, not versioned) and used while it is newer. Where the
    folder cannot be written, each start compiles in memory as before.
    """
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    mo_path = po_path.with_suffix(".mo")
    try:
        if mo_path.stat().st_mtime_ns >= po_path.stat().st_mtime_ns:
            with mo_path.open("rb") as mo_file:
                return gettext.GNUTranslations(mo_file)
    except (OSError, ValueError, struct.error):
        pass  # missing, stale or unreadable: compiled again below
    compiled = _compile(po_path, language)
    try:
        partial = mo_path.with_suffix(f".mo.{os.getpid()}")
        partial.write_bytes(compiled)
        partial.replace(mo_path)  # atomic: a reader never sees half a file
    except OSError:
        pass
    return gettext.GNUTranslations(BytesIO(compiled))


def _compile(po_path: Path, language: str) -> bytes:
    """A .po file compiled to .mo bytes."""
    # Imported here: Babel's catalog modules are needed only when a catalog changed.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = BytesIO()
    # Fuzzy entries are left out: an unchecked guess must not reach users.
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


class Translator:
    """Translates and fills in messages for one language."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "en"
        self.rtl = self.language in RTL_LANGUAGES
        #: The Babel locale for dates and names (Portugal's for Portuguese).
        self.locale = cldr_locale(self.language)
        self._catalog = _catalog(self.language)

    def _prepare(self, value: object) -> object:
        if isinstance(value, Verbatim):
            return value
        if isinstance(value, int | float) and not self.rtl:
            return value
        escaped = escape(value) if isinstance(value, Markup) else escape(str(value))
        if self.rtl:
            return Markup(FIRST_STRONG_ISOLATE) + escaped + Markup(POP_DIRECTIONAL_ISOLATE)
        return escaped

    def __call__(self, message: str, /, **values: object) -> Markup:
        """Translate `message` and fill `{placeholders}` with escaped values."""
        translated = self._catalog.gettext(message)
        return self._fill(translated, values)

    def plural(self, singular: str, plural: str, count: int, /, **values: object) -> Markup:
        """Translate a message whose form depends on `count` (available as `{count}`)."""
        translated = self._catalog.ngettext(singular, plural, count)
        return self._fill(translated, {"count": count, **values})

    def _fill(self, translated: str, values: dict[str, object]) -> Markup:
        template = Markup(translated)
        if not values:
            return template
        return template.format(**{name: self._prepare(value) for name, value in values.items()})

    def join(self, items: Iterable[str]) -> str:
        """Items of a list as the language separates them: the Arabic comma in Arabic."""
        return ("، " if self.language == "ar" else ", ").join(items)

    def text(self, message: str) -> str:
        """Translate without HTML, for places that take plain text (command menus, alerts)."""
        return self._catalog.gettext(message)


@cache
def translator(language: str) -> Translator:
    """The shared translator of a language."""
    return Translator(language)
