"""Contacts in and out as CSV files in Partnerbot's own layout (other programs' exports are
read by services.contact_files, vCards by services.contact_vcard).

CSV files are UTF-8 (a byte-order mark is accepted and written, for spreadsheets; UTF-16
with its byte-order mark is accepted too), comma separated, with a header row naming the
columns (`COLUMNS`; only name and organisation are required). Expertise topics are
separated by semicolons, languages by commas. Cells that a spreadsheet would run as
formulas are written with a `'` in front (services.spreadsheets), which an import removes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from domain.contacts import Contact
from services.contact_fields import Field, fold, parse_draft
from services.contact_rows import MAX_ROWS as MAX_ROWS
from services.contact_rows import CsvRefused as CsvRefused
from services.contact_rows import CsvRow as CsvRow
from services.contact_rows import FileProblem as FileProblem
from services.contact_rows import decode as decode
from services.contact_vcard import VCARD_LIMIT as VCARD_LIMIT
from services.contact_vcard import vcard as vcard
from services.spreadsheets import cell_value, safe_cell

COLUMNS: tuple[str, ...] = tuple(field.value for field in Field)
REQUIRED_COLUMNS = (Field.NAME.value, Field.ORGANISATION.value)
#: Other spellings accepted in a header row.
ALIASES = {
    "organization": Field.ORGANISATION.value,
    "org": Field.ORGANISATION.value,
    "organization_type": Field.ORGANISATION_TYPE.value,
    "type": Field.ORGANISATION_TYPE.value,
    "language": Field.LANGUAGES.value,
    "telephone": Field.PHONE.value,
    "phone_number": Field.PHONE.value,
    "mail": Field.EMAIL.value,
    "username": Field.TELEGRAM.value,
    "telegram_username": Field.TELEGRAM.value,
}


def header_cells(text: str) -> list[str]:
    """The cells of a CSV text's first row, as written; other delimiters than commas, and
    files that are not text, are refused (CsvRefused)."""
    if not text.strip():
        raise CsvRefused(FileProblem.EMPTY)
    if "\x00" in text:
        raise CsvRefused(FileProblem.NOT_CSV)
    first_line = text.lstrip("\r\n").splitlines()[0]
    cells = next(csv.reader([first_line]), [])
    if len(cells) <= 1:
        for separator in (";", "\t", "|"):
            if separator in first_line:
                raise CsvRefused(FileProblem.DELIMITER, separator)
    return cells


def records(text: str, *, max_rows: int = MAX_ROWS) -> Iterator[tuple[int, list[str]]]:
    """Each data row of a CSV text after its header row, with the number of the line it
    starts on; blank rows are left out. CsvRefused(NOT_CSV) or (TOO_MANY_ROWS) stop it."""
    reader = csv.reader(io.StringIO(text.lstrip("\r\n"), newline=""), strict=False)
    # The header row; lines are counted from the first one that is not blank.
    skipped = len(text) - len(text.lstrip("\r\n"))
    offset = text[:skipped].count("\n")
    next(reader, None)
    rows = 0
    while True:
        line = reader.line_num + 1 + offset
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise CsvRefused(FileProblem.NOT_CSV, f"{line}: {error}") from error
        if not any(cell.strip() for cell in cells):
            continue
        rows += 1
        if rows > max_rows:
            raise CsvRefused(FileProblem.TOO_MANY_ROWS, str(max_rows))
        yield line, cells


def _header(cells: list[str]) -> list[str]:
    """Column names of the header row, aliases resolved."""
    names = [fold(cell).replace(" ", "_") for cell in cells]
    return [ALIASES.get(name, name) for name in names]


def partnerbot_rows(text: str, *, max_rows: int = MAX_ROWS) -> Iterator[CsvRow]:
    """Parse and check every data row of a CSV text in Partnerbot's layout."""
    header = _header(header_cells(text))
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        raise CsvRefused(FileProblem.UNKNOWN_COLUMNS, ", ".join(unknown))
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise CsvRefused(FileProblem.MISSING_COLUMNS, ", ".join(missing))
    for line, cells in records(text, max_rows=max_rows):
        values = {name: cell_value(cell) for name, cell in zip(header, cells, strict=False) if name}
        draft, problems = parse_draft(values)
        yield CsvRow(line, draft, tuple(problems))


def read_rows(data: bytes, *, max_rows: int = MAX_ROWS) -> Iterator[CsvRow]:
    """Parse and check every data row of a contacts CSV (file problems raise CsvRefused)."""
    yield from partnerbot_rows(decode(data), max_rows=max_rows)


def write_csv(contacts: Iterable[Contact]) -> bytes:
    """A CSV file of contacts that `read_rows` reads back unchanged; no cell is a formula."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for contact in contacts:
        cells = [
            contact.name,
            contact.organisation,
            contact.organisation_type or "",
            contact.country,
            contact.role,
            "; ".join(contact.expertise),
            ", ".join(contact.languages),
            contact.phone or "",
            contact.email or "",
            contact.telegram or "",
            contact.notes,
        ]
        writer.writerow([safe_cell(cell) for cell in cells])
    # The byte-order mark makes spreadsheet programs open the file as UTF-8.
    return buffer.getvalue().encode("utf-8-sig")
