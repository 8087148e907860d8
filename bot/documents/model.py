"""What a document says, apart from how a file format writes it.

A report or the minutes of a meeting is built once as a `Document` (translated texts in
blocks: headings, paragraphs, label–value pairs, tables, images, page breaks); the Word and PDF
writers (`docx.py`, `pdf.py`) each render every block, so both files say the same. A
`Workbook` is the same idea for spreadsheets: sheets of typed cells, which the Excel writer
(`xlsx.py`) renders with real dates and numbers.

Texts are plain (no HTML): writers escape what their format needs. `Document.rtl` says the
language is written right to left (Arabic): writers align and order everything that way.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text in a paragraph; `bold` for emphasis."""

    text: str
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Heading:
    """A section title: level 1 (a chapter), 2 or 3."""

    text: str
    level: Literal[1, 2, 3] = 1


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Body text. `note` is smaller and grey (a reminder, a source); `warning` stands out
    (the personal-data rule, a restriction)."""

    spans: tuple[Span, ...]
    style: Literal["body", "note", "warning"] = "body"

    @classmethod
    def of(cls, text: str, style: Literal["body", "note", "warning"] = "body") -> Paragraph:
        """A paragraph of one plain run."""
        return cls((Span(text),), style)


@dataclass(frozen=True, slots=True)
class Bullets:
    """A bulleted list, one plain text per item."""

    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Fields:
    """Label–value pairs, one per line (the cover's partnership and period, a meeting's date
    and place): labels bold."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A table with a header row. `widths` are relative column widths (as many as columns);
    `numeric` marks columns of numbers (aligned to the end). Cells are plain text."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    numeric: tuple[bool, ...] = ()
    #: Said instead of the table when it has no rows ("No meetings in this period.").
    empty: str = ""


@dataclass(frozen=True, slots=True)
class Image:
    """A PNG picture (a chart, a map) across `width` of the text width (0–1), with a caption."""

    png: bytes
    caption: str = ""
    width: float = 1.0


@dataclass(frozen=True, slots=True)
class PageBreak:
    """The next block starts a new page."""


Block = Heading | Paragraph | Bullets | Fields | Table | Image | PageBreak


@dataclass(frozen=True, slots=True)
class Document:
    """A whole document: its cover, then its body.

    `marking` (e.g. "RESTRICTED" in the document's language), when set, is printed on the cover
    and in every page's header (PDF) or the section header (Word). `footer` is printed on every
    page with the page number (`page_label`). `title` also becomes the file's metadata title;
    `language` is a shipped language code (en, fr, ar, pt, es), `rtl` true for Arabic."""

    title: str
    language: str
    rtl: bool
    cover: tuple[Block, ...]
    body: tuple[Block, ...]
    footer: str = ""
    marking: str | None = None
    author: str = "Partnerbot"
    created: datetime | None = None
    #: The page number where a format prints it (PDF), in the document's language.
    page_label: str = "{page} / {pages}"


def written_left_to_right(text: str) -> bool:
    """Whether a text's first letter of a script with a direction is left to right (a French
    summary in an Arabic report): such a paragraph is laid out left to right, as a browser
    does with `dir="auto"`. A text with no such letter takes the document's direction."""
    for character in text:
        direction = unicodedata.bidirectional(character)
        if direction == "L":
            return True
        if direction in ("R", "AL"):
            return False
    return False


CellValue = str | int | float | date | datetime | None


@dataclass(frozen=True, slots=True)
class Sheet:
    """One sheet: a title (at most 31 characters), a header row and typed rows. Dates and
    datetimes become real spreadsheet dates; numbers stay numbers; text is never a formula."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[CellValue, ...], ...]


@dataclass(frozen=True, slots=True)
class Workbook:
    """Sheets in order; `rtl` sheets read right to left (Arabic). `marking` (RESTRICTED), when
    set, heads every sheet's print header."""

    sheets: tuple[Sheet, ...]
    language: str
    rtl: bool
    title: str = ""
    marking: str | None = None
    author: str = "Partnerbot"
    created: datetime | None = field(default=None)
