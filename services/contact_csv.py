"""Contacts in and out: reading and writing CSV files, and vCards for phones.

CSV files are UTF-8 (a byte-order mark is accepted and written, for spreadsheets), comma
separated, with a header row naming the columns (`COLUMNS`; only name and organisation are
required). Expertise topics are separated by semicolons, languages by commas. Cells that a
spreadsheet would run as formulas are written with a `'` in front (services.spreadsheets),
which an import removes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from domain.contacts import Contact
from services.contact_fields import ContactDraft, Field, InvalidField, fold, parse_draft
from services.errors import ServiceError
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
MAX_ROWS = 10_000
#: vCards sent with sendContact may be at most 2048 bytes.
VCARD_LIMIT = 2048


class FileProblem(StrEnum):
    """Why a whole file was refused."""

    EMPTY = "empty"
    ENCODING = "encoding"
    DELIMITER = "delimiter"
    NOT_CSV = "not_csv"
    MISSING_COLUMNS = "missing_columns"
    UNKNOWN_COLUMNS = "unknown_columns"
    TOO_MANY_ROWS = "too_many_rows"


class CsvRefused(ServiceError):
    """The file cannot be read as a contacts CSV; `detail` says where or what."""

    def __init__(self, problem: FileProblem, detail: str = "") -> None:
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row of a file: its line number, its values, and what is wrong with them."""

    line: int
    draft: ContactDraft
    problems: tuple[InvalidField, ...]


def decode(data: bytes) -> str:
    """The text of a UTF-8 file; CsvRefused(ENCODING) names the first line that is not."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CsvRefused(FileProblem.ENCODING, "UTF-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CsvRefused(FileProblem.ENCODING, str(line)) from error


def _header(first_line: str) -> list[str]:
    """Column names of the header row, aliases resolved; other delimiters are refused."""
    cells = next(csv.reader([first_line]), [])
    if len(cells) <= 1:
        for separator in (";", "\t", "|"):
            if separator in first_line:
                raise CsvRefused(FileProblem.DELIMITER, separator)
    names = [fold(cell).replace(" ", "_") for cell in cells]
    return [ALIASES.get(name, name) for name in names]


def read_rows(data: bytes, *, max_rows: int = MAX_ROWS) -> Iterator[CsvRow]:
    """Parse and check every data row of a contacts CSV (file problems raise CsvRefused)."""
    text = decode(data)
    if not text.strip():
        raise CsvRefused(FileProblem.EMPTY)
    if "\x00" in text:
        raise CsvRefused(FileProblem.NOT_CSV)
    first_line = text.lstrip("\r\n").splitlines()[0]
    header = _header(first_line)
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        raise CsvRefused(FileProblem.UNKNOWN_COLUMNS, ", ".join(unknown))
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise CsvRefused(FileProblem.MISSING_COLUMNS, ", ".join(missing))
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    next(reader)  # the header, checked above
    rows = 0
    while True:
        line = reader.line_num + 1
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
        values = {name: cell_value(cell) for name, cell in zip(header, cells, strict=False) if name}
        draft, problems = parse_draft(values)
        yield CsvRow(line, draft, tuple(problems))


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


def _vcard_text(value: str) -> str:
    """Escape a vCard 3.0 text value."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace(",", "\\,").replace(";", "\\;")


def vcard(contact: Contact) -> str:
    """A vCard 3.0 a phone saves in one tap; details that do not fit Telegram's 2048 bytes
    are left out, least useful first."""
    name = _vcard_text(contact.name)
    essential = ["BEGIN:VCARD", "VERSION:3.0", f"N:;{name};;;", f"FN:{name}"]
    if contact.phone:
        essential.append(f"TEL;TYPE=CELL:{contact.phone}")
    if contact.email:
        essential.append(f"EMAIL;TYPE=INTERNET:{contact.email}")
    if contact.telegram:
        essential.append(f"URL:https://t.me/{contact.telegram}")
    optional = [f"ORG:{_vcard_text(contact.organisation)}"]
    if contact.role:
        optional.append(f"TITLE:{_vcard_text(contact.role)}")
    if contact.country:
        optional.append(f"ADR;TYPE=WORK:;;;;;;{_vcard_text(contact.country)}")
    note = "\n".join(part for part in ("; ".join(contact.expertise), contact.notes) if part)
    if note:
        optional.append(f"NOTE:{_vcard_text(note)}")
    lines = list(essential)
    for line in optional:
        if len("\r\n".join([*lines, line, "END:VCARD"]).encode()) <= VCARD_LIMIT:
            lines.append(line)
    return "\r\n".join([*lines, "END:VCARD"])
