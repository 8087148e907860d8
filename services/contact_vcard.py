"""Contacts in and out as vCards: the files phones, Outlook and Google write (`read_cards`),
one file of the whole directory that a phone imports in one tap (`write_vcards`), and a
single card small enough for Telegram's sendContact (`vcard`).

Reading accepts vCard 2.1, 3.0 and 4.0 as phones and mail programs export them: folded
lines, quoted-printable values with soft line breaks and a CHARSET, `item1.` groups,
base64 photos (left out), and backslash escapes. The lines themselves are read by
`vobject`; the values are decoded here, the same way for every version.

Each card gives one row, numbered from 1: FN (or N) is the name, ORG's first part the
organisation, TITLE (or ROLE) the role, to which ORG's department parts are added after a
comma, as the CSV exports of Google and Outlook are read (services.contact_files). ADR
gives the country, TEL the phone (mobile first, then work, then any), EMAIL the e-mail
(preferred first), a https://t.me/NAME link the Telegram username, CATEGORIES the
expertise and NOTE the notes. What vCard 3.0 has no property for is written as
X-PARTNERBOT-ORGANISATION-TYPE and X-PARTNERBOT-LANGUAGES.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from domain.contacts import Contact
from services.contact_fields import Field, InvalidField, email, parse_draft, phone
from services.contact_rows import MAX_ROWS, CsvRefused, CsvRow, FileProblem, decode

# vobject (some 6 MB and 30 ms) is imported when a vCard file is read, not at start.
if TYPE_CHECKING:
    from vobject.base import ContentLine

#: vCards sent with sendContact may be at most 2048 bytes.
VCARD_LIMIT = 2048
#: RFC 2426 and RFC 6350: lines longer than this many octets are folded.
LINE_OCTETS = 75
ORGANISATION_TYPE = "X-PARTNERBOT-ORGANISATION-TYPE"
LANGUAGES = "X-PARTNERBOT-LANGUAGES"

_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_TELEGRAM_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/@?([A-Za-z0-9_]+)/?", re.IGNORECASE
)
# A property that declares quoted-printable in its parameters (not a continuation line).
_DECLARES_QP = re.compile(r"^[^\s:][^:\r\n]*;(?:ENCODING=)?QUOTED-PRINTABLE[;:]", re.I | re.M)
_MOBILE = frozenset({"CELL", "MOBILE", "IPHONE"})
_NOT_VOICE = frozenset({"FAX", "PAGER", "MODEM"})


# -- writing ------------------------------------------------------------------------------


def escape(value: str) -> str:
    """A vCard 3.0 text value: backslashes, line breaks, commas and semicolons escaped."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace(",", "\\,").replace(";", "\\;")


def fold_line(line: str, octets: int = LINE_OCTETS) -> str:
    """A content line folded into lines of at most `octets` UTF-8 bytes (the space that
    starts each continuation counts), never inside a character's bytes."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        if size + width > octets:
            carry = ""
            # A line ending in "=" is taken for a quoted-printable soft break by readers
            # of vCard 2.1 (vobject among them): the "=" starts the next line instead.
            if current.endswith("=") and len(current) > 2:
                current, carry = current[:-1], "="
            parts.append(current)
            current, size = " " + carry, 1 + len(carry)
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def _identity(contact: Contact) -> list[str]:
    """The lines a phone needs to call or write to the contact."""
    name = escape(contact.name)
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"N:;{name};;;", f"FN:{name}"]
    if contact.phone:
        lines.append(f"TEL;TYPE=CELL:{contact.phone}")
    if contact.email:
        lines.append(f"EMAIL;TYPE=INTERNET:{contact.email}")
    if contact.telegram:
        lines.append(f"URL:https://t.me/{contact.telegram}")
    return lines


def _workplace(contact: Contact) -> list[str]:
    """The lines saying where the contact works and as what."""
    lines = [f"ORG:{escape(contact.organisation)}"]
    if contact.role:
        lines.append(f"TITLE:{escape(contact.role)}")
    if contact.country:
        lines.append(f"ADR;TYPE=WORK:;;;;;;{escape(contact.country)}")
    return lines


def vcard(contact: Contact) -> str:
    """A vCard 3.0 a phone saves in one tap; details that do not fit Telegram's 2048 bytes
    are left out, least useful first."""
    essential = _identity(contact)
    optional = _workplace(contact)
    note = "\n".join(part for part in ("; ".join(contact.expertise), contact.notes) if part)
    if note:
        optional.append(f"NOTE:{escape(note)}")
    lines = list(essential)
    for line in optional:
        if len("\r\n".join([*lines, line, "END:VCARD"]).encode()) <= VCARD_LIMIT:
            lines.append(line)
    return "\r\n".join([*lines, "END:VCARD"])


def full_vcard(contact: Contact) -> str:
    """Every value of a contact as one vCard 3.0 (folded, CRLF), which `read_cards` reads
    back to the same values."""
    lines = [*_identity(contact), *_workplace(contact)]
    if contact.organisation_type:
        lines.append(f"{ORGANISATION_TYPE}:{escape(contact.organisation_type)}")
    if contact.expertise:
        lines.append("CATEGORIES:" + ",".join(escape(topic) for topic in contact.expertise))
    if contact.languages:
        lines.append(f"{LANGUAGES}:" + ",".join(escape(code) for code in contact.languages))
    if contact.notes:
        lines.append(f"NOTE:{escape(contact.notes)}")
    lines.append("END:VCARD")
    return "\r\n".join(fold_line(line) for line in lines)


def write_vcards(contacts: Iterable[Contact]) -> bytes:
    """One .vcf file (UTF-8, CRLF) with a vCard 3.0 for every contact."""
    return "".join(full_vcard(contact) + "\r\n" for contact in contacts).encode()


# -- reading ------------------------------------------------------------------------------


def unescape(value: str) -> str:
    """A text value with its backslash escapes undone (\\n is a line break)."""
    return _ESCAPED.sub(lambda found: "\n" if found[1] in "nN" else found[1], value)


def split(value: str, separator: str) -> list[str]:
    """The parts of a value between unescaped separators, each unescaped."""
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in value:
        if escaped:
            current += ["\\", char]
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append(unescape("".join(current)))
            current = []
        else:
            current.append(char)
    parts.append(unescape("".join(current) + ("\\" if escaped else "")))
    return parts


def _types(line: ContentLine) -> set[str]:
    """A property's types in capitals, however the version writes them (TYPE=CELL,VOICE;
    type=CELL;type=pref; or a bare CELL), with PREF for vCard 4.0's PREF=1."""
    tokens: list[str] = list(line.singletonparams)
    for key, values in line.params.items():
        if key.upper() == "TYPE":
            tokens += values
        elif key.upper() == "PREF":
            tokens.append("PREF")
    return {part.strip().strip('"').upper() for token in tokens for part in str(token).split(",")}


def _value(line: ContentLine) -> str:
    return line.value if isinstance(line.value, str) else ""


def first_usable(candidates: Sequence[str], check: Callable[[str], object]) -> str:
    """The first candidate `check` accepts; else the first one, so that its problem is
    reported; "" when there is none."""
    for candidate in candidates:
        try:
            check(candidate)
        except InvalidField:
            continue
        return candidate
    return candidates[0] if candidates else ""


def _phone_rank(line: ContentLine) -> tuple[int, int]:
    types = _types(line)
    if types & _NOT_VOICE:
        kind = 3
    elif types & _MOBILE:
        kind = 0
    elif "WORK" in types:
        kind = 1
    else:
        kind = 2
    return kind, 0 if "PREF" in types else 1


def _telegram(lines: Sequence[ContentLine]) -> str:
    """The first Telegram username of a card: a t.me link in a property other than NOTE
    (URL, X-…, IMPP), or a profile or property that says it is Telegram's."""
    for line in lines:
        name = line.name.upper()
        value = unescape(_value(line)).strip()
        link = _TELEGRAM_LINK.fullmatch(value)
        if link and name != "NOTE":
            return link[1]
        if name in {"X-SOCIALPROFILE", "IMPP"} and "TELEGRAM" in _types(line):
            user = line.params.get("X-USER", [])
            return str(user[0]) if user else re.split(r"[:/]", value)[-1]
        if name == "X-TELEGRAM":
            return value
        if name == "IMPP" and value.lower().startswith("telegram:"):
            return value.split(":", 1)[1]
    return ""


def _country(addresses: Sequence[ContentLine]) -> str:
    """The country of the first address that has one, work addresses first."""

    def rank(line: ContentLine) -> tuple[bool, bool]:
        return "WORK" not in _types(line), "PREF" not in _types(line)

    for line in sorted(addresses, key=rank):
        parts = split(_value(line), ";")
        if len(parts) > 6 and parts[6].strip():
            return parts[6].strip()
    return ""


def card_values(lines: Sequence[ContentLine]) -> dict[str, str]:
    """A card's properties as the raw field values `parse_draft` reads."""
    by_name: dict[str, list[ContentLine]] = {}
    for line in lines:
        by_name.setdefault(line.name.upper(), []).append(line)

    def texts(name: str) -> list[str]:
        found = (unescape(_value(line)).strip() for line in by_name.get(name, []))
        return [text for text in found if text]

    def parts(name: str) -> list[list[str]]:
        found = by_name.get(name, [])
        return [[part.strip() for part in split(_value(line), ";")] for line in found]

    name = next(iter(texts("FN")), "")
    if not name:
        for family, given, additional, *_rest in (p + [""] * 3 for p in parts("N")):
            name = " ".join(part for part in (given, additional, family) if part)
            if name:
                break
    organisation, departments = "", []
    for org in parts("ORG"):
        if org[0]:
            organisation, departments = org[0], [part for part in org[1:] if part]
            break
    title = next(iter(texts("TITLE") + texts("ROLE")), "")
    role = ", ".join(part for part in (title, *departments) if part)
    country = _country(by_name.get("ADR", []))
    phones = [
        re.sub(r"^tel:", "", _value(line).strip(), flags=re.IGNORECASE).split(";")[0]
        for line in sorted(by_name.get("TEL", []), key=_phone_rank)
    ]
    emails = [
        unescape(_value(line)).strip()
        for line in sorted(by_name.get("EMAIL", []), key=lambda line: "PREF" not in _types(line))
    ]
    topics = [topic for line in by_name.get("CATEGORIES", []) for topic in split(_value(line), ",")]
    codes = [code for line in by_name.get(LANGUAGES, []) for code in split(_value(line), ",")]
    return {
        Field.NAME: name,
        Field.ORGANISATION: organisation,
        Field.ORGANISATION_TYPE: next(iter(texts(ORGANISATION_TYPE)), ""),
        Field.COUNTRY: country,
        Field.ROLE: role,
        Field.EXPERTISE: "; ".join(topics),
        Field.LANGUAGES: ", ".join(codes),
        Field.PHONE: first_usable([p for p in phones if p.strip()], lambda v: phone(v, country)),
        Field.EMAIL: first_usable([e for e in emails if e], email),
        Field.TELEGRAM: _telegram(lines),
        Field.NOTES: "\n".join(texts("NOTE")),
    }


def cards(text: str, *, max_cards: int = MAX_ROWS) -> Iterator[tuple[int, list[ContentLine]]]:
    """The content lines of each card of a vCard text, with the card's number (from 1).

    Cards inside a card (vCard 2.1's AGENT) are left out. CsvRefused(NOT_VCARD) names the
    card that cannot be read; CsvRefused(TOO_MANY_ROWS) stops a file of too many cards.
    """
    from vobject.base import VObjectError, getLogicalLines, textLineToContentLine

    if not text.strip():
        raise CsvRefused(FileProblem.EMPTY)
    number, depth = 0, 0
    lines: list[ContentLine] = []
    # vobject joins a line ending in "=" to the next one when the line mentions
    # quoted-printable anywhere, even in a value: only files that use it are read so.
    quoted_printable = bool(_DECLARES_QP.search(text))
    try:
        for logical, position in getLogicalLines(io.StringIO(text), allowQP=quoted_printable):
            line = textLineToContentLine(logical, position)
            name, value = line.name.upper(), _value(line).strip().upper()
            if name == "BEGIN" and value == "VCARD":
                if depth == 0:
                    number += 1
                    if number > max_cards:
                        raise CsvRefused(FileProblem.TOO_MANY_ROWS, str(max_cards))
                    lines = []
                depth += 1
            elif name == "END" and value == "VCARD":
                if depth == 0:
                    raise CsvRefused(FileProblem.NOT_VCARD)
                depth -= 1
                if depth == 0:
                    yield number, lines
            elif depth == 0:
                # Text between cards belongs to none of them.
                raise CsvRefused(FileProblem.NOT_VCARD)
            elif depth == 1:
                lines.append(line)
    except (VObjectError, UnicodeError, LookupError, ValueError) as error:
        # A line that is not a vCard property, or a value in an unknown character set.
        raise CsvRefused(FileProblem.NOT_VCARD, str(number) if depth else "") from error
    if depth:
        raise CsvRefused(FileProblem.NOT_VCARD, str(number))
    if not number:
        raise CsvRefused(FileProblem.NOT_VCARD)


def card_rows(text: str, *, max_cards: int = MAX_ROWS) -> Iterator[CsvRow]:
    """Parse and check every card of a vCard text."""
    for number, lines in cards(text, max_cards=max_cards):
        draft, problems = parse_draft(card_values(lines))
        yield CsvRow(number, draft, tuple(problems))


def read_cards(data: bytes, *, max_cards: int = MAX_ROWS) -> Iterator[CsvRow]:
    """Parse and check every card of a .vcf file; `CsvRow.line` is the card's number,
    counted from 1 (file problems raise CsvRefused)."""
    yield from card_rows(decode(data), max_cards=max_cards)
