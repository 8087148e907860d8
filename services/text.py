"""Text people send, made safe before anything searches, stores or shows it.

Telegram's updates are JSON, which can carry characters no text should hold: a NUL byte ends
an FTS5 query in the middle of a string, a lone UTF-16 surrogate cannot be encoded as UTF-8
(SQLite refuses it, and so would Telegram in a reply), and other control characters are
invisible. Every service passes what a person typed through `clean` (or `one_line`) before
using it, so no handler has to remember it.
"""

from __future__ import annotations

import re
import unicodedata

#: Control characters kept: they shape text people write.
KEPT_CONTROLS = frozenset("\n\t")
REPLACEMENT = "\ufffd"


def clean(text: str) -> str:
    """`text` without control characters (newline and tab excepted), its lone surrogates
    replaced by U+FFFD; a surrogate pair becomes the character it encodes."""
    if text.isprintable():
        return text  # the usual case, checked at C speed
    # Through UTF-16, pairs join and lone surrogates become U+FFFD.
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return "".join(
        char for char in text if char in KEPT_CONTROLS or unicodedata.category(char) != "Cc"
    )


def one_line(text: str) -> str:
    """`clean` text on one line: every run of whitespace becomes a single space."""
    return " ".join(clean(text).split())


def fold(text: str) -> str:
    """Text compared without case or accents, its spacing folded: 'Réglages ' -> 'reglages'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def prefix_match(text: str, most: int = 12) -> str | None:
    """An FTS5 query in which every word must begin a word of the record (None: no words).
    Words are quoted, so nothing typed is read as FTS5 syntax."""
    words = [w for w in re.split(r"[^\w]+", text) if w]
    if not words:
        return None
    return " AND ".join('"' + word.replace('"', '""') + '"*' for word in words[:most])
