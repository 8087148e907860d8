"""The Excel writer: a `Workbook` as an .xlsx file (openpyxl).

Each `Sheet` becomes a worksheet whose header row is bold, shaded, frozen and carries an
autofilter over the rows; columns are as wide as their longest cell (within bounds) and long
texts wrap. Dates and datetimes are real spreadsheet dates (`yyyy-mm-dd`, `yyyy-mm-dd hh:mm`),
numbers stay numbers, and no text is ever a formula: every string goes through
`services.spreadsheets.safe_cell`, the rule the CSV exports follow, and is stored as a string
cell whatever it starts with. Arabic sheets read right to left. A `marking` (RESTRICTED) heads
every printed page and is kept in the file's properties.

Datetimes are written as the caller gives them, in the partnership's local time: a spreadsheet
date has no time zone, so a tz-aware datetime keeps its wall-clock time and loses its zone.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.documents.model import CellValue, Sheet, Workbook
from services.spreadsheets import safe_cell

#: Excel's limit on a sheet title.
TITLE_LIMIT = 31
#: Excel's limit on the characters of a cell.
CELL_LIMIT = 32767
#: Column widths, in characters of the default font.
MIN_WIDTH = 8
MAX_WIDTH = 60
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_FILL = "DCE6F1"

# Characters Excel refuses in a sheet title.
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Control characters XML 1.0 cannot carry (tab, line feed and carriage return it can).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Room for the autofilter's drop-down button beside a header.
_FILTER_BUTTON = 2
# Shown dates and datetimes take as many characters as their formats.
_DATE_WIDTH = len("2026-12-31")
_DATETIME_WIDTH = len("2026-12-31 23:59")


def render_xlsx(workbook: Workbook) -> bytes:
    """The workbook as the bytes of an .xlsx file."""
    book = OpenpyxlWorkbook()
    # openpyxl starts with one empty sheet; ours are added in order instead.
    book.remove(book.active)
    titles: set[str] = set()
    for position, sheet in enumerate(workbook.sheets, start=1):
        title = sheet_title(sheet.title, titles, position)
        titles.add(title.casefold())
        _write_sheet(book.create_sheet(title), sheet, workbook)
    if not workbook.sheets:
        # A workbook needs at least one sheet to open.
        book.create_sheet(sheet_title("", titles, 1))
    _set_properties(book, workbook)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_title(title: str, taken: set[str], position: int) -> str:
    """A title Excel accepts: forbidden characters replaced, at most 31 characters, no
    leading or trailing apostrophe, and unlike the casefolded titles in `taken` (a number is
    added to a repeated one). An empty title becomes "Sheet" and the sheet's position."""
    cleaned = _ILLEGAL.sub("", _TITLE_FORBIDDEN.sub("-", title)).strip().strip("'").strip()
    cleaned = cleaned or f"Sheet {position}"
    candidate = cleaned[:TITLE_LIMIT].rstrip().strip("'")
    number = 2
    while candidate.casefold() in taken:
        suffix = f" ({number})"
        candidate = cleaned[: TITLE_LIMIT - len(suffix)].rstrip().strip("'") + suffix
        number += 1
    return candidate


def _write_sheet(ws: Any, sheet: Sheet, workbook: Workbook) -> None:
    columns = max([len(sheet.header), *(len(row) for row in sheet.rows)])
    widths = [0.0] * columns
    header_font = Font(bold=True)
    header_fill = PatternFill(fill_type="solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    horizontal = "right" if workbook.rtl else None
    for index, label in enumerate(sheet.header, start=1):
        cell = ws.cell(row=1, column=index)
        _set_value(cell, label)
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal=horizontal, vertical="top", wrap_text=True)
        # Bold type and the filter button need a little more room than body text.
        widths[index - 1] = _width(label) * 1.1 + _FILTER_BUTTON
    for row_number, row in enumerate(sheet.rows, start=2):
        for index, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(row=row_number, column=index)
            _set_value(cell, value)
            width = _width(value)
            widths[index - 1] = max(widths[index - 1], width)
            if isinstance(value, str):
                wrap = width > MAX_WIDTH or "\n" in value
                cell.alignment = Alignment(horizontal=horizontal, vertical="top", wrap_text=wrap)
            else:
                cell.alignment = Alignment(vertical="top")
    for index, width in enumerate(widths, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = min(MAX_WIDTH, max(MIN_WIDTH, math.ceil(width) + 1))
    if sheet.header:
        last_row = len(sheet.rows) + 1
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(columns)}{last_row}"
        # Printed pages repeat the header row.
        ws.print_title_rows = "1:1"
    if workbook.rtl:
        ws.sheet_view.rightToLeft = True
    if workbook.marking:
        for header in (ws.oddHeader, ws.evenHeader, ws.firstHeader):
            header.center.text = workbook.marking
            header.center.font = "-,Bold"


def _set_value(cell: Any, value: CellValue) -> None:
    """Write one typed value: dates as dates, numbers as numbers, text never as a formula."""
    if isinstance(value, str):
        text = safe_cell(_ILLEGAL.sub("", value))[:CELL_LIMIT]
        cell.value = text
        # openpyxl reads a string starting with "=" as a formula; a cell's type says it is text.
        cell.data_type = "s"
    elif isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None) if value.tzinfo is not None else value
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif isinstance(value, float) and not math.isfinite(value):
        # Excel has no infinity or NaN; the file would not open with one.
        cell.value = str(value)
        cell.data_type = "s"
    else:
        cell.value = value


def _width(value: CellValue) -> float:
    """How many characters of the default font a value takes on its longest line."""
    if isinstance(value, datetime):
        return _DATETIME_WIDTH
    if isinstance(value, date):
        return _DATE_WIDTH
    if isinstance(value, str):
        return max(_text_width(line) for line in value.split("\n"))
    if value is None:
        return 0
    return len(str(value))


def _text_width(text: str) -> float:
    # East Asian wide characters take two columns; Arabic letters, joined and in a font
    # other than the default, are counted a little wider than Latin ones. Combining marks
    # (Arabic vowel signs among them) take no room of their own.
    width = 0.0
    for character in text:
        if unicodedata.combining(character):
            continue
        if unicodedata.east_asian_width(character) in ("W", "F"):
            width += 2
        elif "\u0600" <= character <= "\u06ff" or "\u0750" <= character <= "\u077f":
            width += 1.2
        else:
            width += 1
    return width


def _set_properties(book: Any, workbook: Workbook) -> None:
    properties = book.properties
    properties.title = workbook.title or None
    properties.creator = workbook.author
    properties.lastModifiedBy = workbook.author
    properties.language = workbook.language
    if workbook.created is not None:
        created = workbook.created
        # The file stores UTC without a zone.
        if created.tzinfo is not None:
            created = created.astimezone(UTC).replace(tzinfo=None)
        properties.created = created
        properties.modified = created
    if workbook.marking:
        properties.keywords = workbook.marking
        properties.category = workbook.marking
