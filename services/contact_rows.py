"""What every contacts file gives when it is read: numbered rows of checked values, or the
reason the whole file was refused; and the text of such a file.

Files are UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order mark, as
Outlook and Excel write "Unicode" files; other encodings are refused.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from enum import StrEnum

from services.contact_fields import ContactDraft, InvalidField
from services.errors import ServiceError

#: The most rows (CSV) or cards (vCard) one file may hold.
MAX_ROWS = 10_000


class FileProblem(StrEnum):
    """Why a whole file was refused; `CsvRefused.detail` says where or what."""

    EMPTY = "empty"
    ENCODING = "encoding"  # detail: the first line that is not UTF-8, when known
    DELIMITER = "delimiter"  # detail: the separator found instead of commas
    NOT_CSV = "not_csv"  # detail: "line: reason", when known
    MISSING_COLUMNS = "missing_columns"  # detail: the missing columns, comma separated
    UNKNOWN_COLUMNS = "unknown_columns"  # detail: the unknown columns, comma separated
    TOO_MANY_ROWS = "too_many_rows"  # detail: the most rows (or cards) a file may hold
    NOT_VCARD = "not_vcard"  # detail: the number of the card that cannot be read, if inside one


class CsvRefused(ServiceError):
    """The file cannot be read as contacts (CSV or vCard); `detail` says where or what."""

    def __init__(self, problem: FileProblem, detail: str = "") -> None:
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One contact of a file: where it is (a CSV line, or a card's number counted from 1),
    its values, and what is wrong with them."""

    line: int
    draft: ContactDraft
    problems: tuple[InvalidField, ...]


def decode(data: bytes) -> str:
    """The text of a UTF-8 file, or of a UTF-16 file that starts with its byte-order mark.

    CsvRefused(ENCODING) names the first line that is not UTF-8 (nothing for UTF-16).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            # The "utf-16" codec reads the byte-order mark and drops it.
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise CsvRefused(FileProblem.ENCODING) from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CsvRefused(FileProblem.ENCODING, str(line)) from error
