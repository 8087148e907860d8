"""Which kind of contacts file was sent, and its rows: `read_contacts` is the one entry point
of imports.

A file whose first non-blank line is BEGIN:VCARD is read as vCards (services.contact_vcard),
whatever its name. Other files are CSV: the exports of Google Contacts (the current layout
and the older "Google CSV" one) and of Outlook (Outlook.com and the new Outlook, and the
classic desktop program) are recognised by their header rows, and anything else is read
as Partnerbot's own layout (services.contact_csv), which refuses unknown columns.

In Google and Outlook exports, the name is put together from the given, middle and family
names; the title (job title) is the role, followed by the department after a comma, as a
vCard's ORG department is read. A cell may hold several values separated by " ::: "
(Google): the first usable phone number is kept, a mobile one first, and the first usable
e-mail address. A t.me link among the websites gives the Telegram username. Columns of a
recognised export that Partnerbot has no field for are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from services.contact_csv import header_cells, partnerbot_rows, records
from services.contact_fields import Field, email, parse_draft, phone
from services.contact_rows import MAX_ROWS, CsvRefused, CsvRow, FileProblem, decode
from services.contact_vcard import card_rows, first_usable

_SEVERAL = re.compile(r"\s*:::\s*")
_TELEGRAM_LINK = re.compile(r"(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/\S+", re.IGNORECASE)
_VCARD_FILE_NAMES = (".vcf", ".vcard")


class Layout(StrEnum):
    """The kinds of contacts files Partnerbot reads."""

    PARTNERBOT = "partnerbot"  # Partnerbot's own CSV layout (services.contact_csv)
    GOOGLE = "google"  # Google Contacts' CSV export, current or older layout
    OUTLOOK = "outlook"  # Outlook's CSV export: Outlook.com, new Outlook or classic desktop
    VCARD = "vcard"  # vCard 2.1, 3.0 or 4.0 (.vcf)


@dataclass(frozen=True, slots=True)
class ContactFile:
    """A contacts file as read: its layout, and its rows (for vCards, one per card)."""

    layout: Layout
    rows: list[CsvRow]

    @property
    def by_card(self) -> bool:
        """True when rows are numbered by card rather than by line."""
        return self.layout is Layout.VCARD


def _key(column: str) -> str:
    """A column name compared ignoring case and spacing."""
    return " ".join(column.split()).casefold()


def _split(cell: str) -> list[str]:
    return [part for part in _SEVERAL.split(cell.strip()) if part]


class _Row:
    """One row of an export, its cells read by column name."""

    def __init__(self, header: Sequence[str], cells: Sequence[str]) -> None:
        self._cells: dict[str, str] = {}
        for name, cell in zip(header, cells, strict=False):
            # A repeated column keeps its first non-empty cell.
            if cell.strip() and not self._cells.get(name):
                self._cells[name] = cell.strip()

    def get(self, *columns: str) -> str:
        """The first non-empty cell of these columns."""
        return next((self._cells[c] for c in columns if self._cells.get(c)), "")

    def joined(self, *columns: str) -> str:
        """The non-empty cells of these columns, separated by spaces."""
        return " ".join(self._cells[c] for c in columns if self._cells.get(c))

    def numbered(self, pattern: str) -> list[tuple[int, str]]:
        """(n, cell) of the columns named like `pattern` with {n} for a number, in order."""
        regex = re.compile(re.escape(pattern).replace(r"\{n\}", r"(\d+)"))
        found = [
            (int(match[1]), cell)
            for name, cell in self._cells.items()
            if (match := regex.fullmatch(name))
        ]
        return sorted(found)


def _labelled(row: _Row, kind: str, label_names: tuple[str, ...]) -> list[tuple[str, str]]:
    """(label, value) of Google's numbered "Phone 1 - Value" columns and their labels, each
    cell's " ::: " values apart (a label cell may list one label per value)."""
    pairs: list[tuple[str, str]] = []
    for number, cell in row.numbered(f"{kind} {{n}} - value"):
        label_cell = row.get(*(f"{kind} {number} - {name}" for name in label_names))
        values, labels = _split(cell), _split(label_cell)
        for index, value in enumerate(values):
            label = labels[index] if len(labels) == len(values) else label_cell
            pairs.append((label.casefold(), value))
    return pairs


def _preferred(pairs: Sequence[tuple[str, str]], words: tuple[str, ...]) -> list[str]:
    """The values whose label has one of `words` first, then the others, in their order."""
    first = [value for label, value in pairs if any(word in label for word in words)]
    return first + [value for _label, value in pairs if value not in first]


def _role(title: str, department: str) -> str:
    return ", ".join(part for part in (title, department) if part)


def _telegram(row: _Row, *columns: str) -> str:
    for column in columns:
        for value in _split(row.get(column)):
            if _TELEGRAM_LINK.fullmatch(value):
                return value
    return ""


def _google(row: _Row) -> dict[str, str]:
    """A row of Google Contacts' export (current layout, or the older one)."""
    countries = [part for _, cell in row.numbered("address {n} - country") for part in _split(cell)]
    country = next(iter(countries), "")
    phones = _preferred(_labelled(row, "phone", ("label", "type")), ("mobile", "cell"))
    # Google marks the primary address with a "*" before its label.
    emails = _preferred(_labelled(row, "e-mail", ("label", "type")), ("*",))
    websites = [f"website {n} - value" for n, _ in row.numbered("website {n} - value")]
    name = row.get("name") or row.joined(
        "first name", "middle name", "last name"
    ) or row.joined("given name", "additional name", "family name")  # fmt: skip
    return {
        Field.NAME: name,
        Field.ORGANISATION: row.get("organization name", "organization 1 - name"),
        Field.COUNTRY: country,
        Field.ROLE: _role(
            row.get("organization title", "organization 1 - title"),
            row.get("organization department", "organization 1 - department"),
        ),
        Field.PHONE: first_usable(phones, lambda value: phone(value, country)),
        Field.EMAIL: first_usable(emails, email),
        Field.TELEGRAM: _telegram(row, *websites),
        Field.NOTES: row.get("notes"),
    }


#: Outlook's phone columns, in the order they are preferred.
_OUTLOOK_PHONES = (
    "mobile phone",
    "primary phone",
    "business phone",
    "business phone 2",
    "company main phone",
    "home phone",
    "home phone 2",
    "other phone",
    "car phone",
)


def _outlook(row: _Row) -> dict[str, str]:
    """A row of Outlook's export (Outlook.com and the new Outlook, or classic Outlook)."""
    country = row.get("business country/region", "home country/region", "other country/region")
    phones = [value for column in _OUTLOOK_PHONES for value in _split(row.get(column))]
    emails = [row.get(column) for column in ("e-mail address", "e-mail 2 address",
                                             "e-mail 3 address")]  # fmt: skip
    return {
        Field.NAME: row.joined("first name", "middle name", "last name"),
        Field.ORGANISATION: row.get("company"),
        Field.COUNTRY: country,
        Field.ROLE: _role(row.get("job title"), row.get("department")),
        Field.PHONE: first_usable(phones, lambda value: phone(value, country)),
        Field.EMAIL: first_usable([e for e in emails if e], email),
        Field.TELEGRAM: _telegram(row, "web page", "personal web page"),
        Field.NOTES: row.get("notes"),
    }


#: Columns that every export of a layout has, which no other layout has together.
_SIGNATURES: tuple[tuple[Layout, frozenset[str], Callable[[_Row], Mapping[str, str]]], ...] = (
    (Layout.GOOGLE, frozenset({"first name", "last name", "organization name"}), _google),
    (Layout.GOOGLE, frozenset({"given name", "additional name", "family name"}), _google),
    (Layout.OUTLOOK, frozenset({"first name", "last name", "company", "e-mail address"}), _outlook),
)


def _export_rows(
    text: str, header: Sequence[str], read: Callable[[_Row], Mapping[str, str]], max_rows: int
) -> Iterator[CsvRow]:
    for line, cells in records(text, max_rows=max_rows):
        draft, problems = parse_draft(read(_Row(header, cells)))
        yield CsvRow(line, draft, tuple(problems))


def _is_vcard(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return first.strip().upper() == "BEGIN:VCARD"


def read_contacts(
    data: bytes, filename: str | None = None, *, max_rows: int = MAX_ROWS
) -> ContactFile:
    """Read a contacts file of any layout Partnerbot knows, deciding by its content.

    A file named .vcf that is not a vCard is refused as one (NOT_VCARD); every other
    problem of the file as a whole raises CsvRefused too.
    """
    text = decode(data)
    if not text.strip():
        raise CsvRefused(FileProblem.EMPTY)
    if _is_vcard(text):
        return ContactFile(Layout.VCARD, list(card_rows(text, max_cards=max_rows)))
    if filename and filename.lower().endswith(_VCARD_FILE_NAMES):
        raise CsvRefused(FileProblem.NOT_VCARD)
    header = [_key(cell) for cell in header_cells(text)]
    for layout, signature, read in _SIGNATURES:
        if signature <= set(header):
            return ContactFile(layout, list(_export_rows(text, header, read, max_rows)))
    return ContactFile(Layout.PARTNERBOT, list(partnerbot_rows(text, max_rows=max_rows)))
