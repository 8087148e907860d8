"""What a reporter types about a challenge: checks, lenient dates, the one-message form, and
the search for personal data that does not belong in a challenge."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from domain.challenges import Attachment, Category, Severity
from services.dates import Prefer, parse_moment
from services.errors import InvalidInput
from services.text import clean as clean_text
from services.text import fold

MAX_TITLE = 120
MAX_DESCRIPTION = 3000
MAX_PLACE = 200
MAX_ROUTE = 200
MAX_NOTE = 1000
MAX_ATTACHMENTS = 5
#: A moment typed with a time may lie this far ahead (clocks of phones and servers differ).
CLOCK_SLACK = timedelta(minutes=10)


class TextTooLong(InvalidInput):
    """A typed text is longer than its field allows."""

    def __init__(self, field: str, length: int, limit: int) -> None:
        super().__init__(field, f"{length} characters, at most {limit}")
        self.length = length
        self.limit = limit


def clean(value: str, field: str, limit: int, *, required: bool = False) -> str:
    """Clean (services.text) and strip a typed text and check its length;
    InvalidInput(field, "empty") if required."""
    text = clean_text(value).strip()
    if required and not text:
        raise InvalidInput(field, "empty")
    if len(text) > limit:
        raise TextTooLong(field, len(text), limit)
    return text


def clean_title(value: str) -> str:
    """A title: one line, 1 to MAX_TITLE characters."""
    return clean(" ".join(value.split()), "title", MAX_TITLE, required=True)


def clean_description(value: str) -> str:
    """A description: up to MAX_DESCRIPTION characters, line breaks kept."""
    return clean(value, "description", MAX_DESCRIPTION)


def clean_place(value: str) -> str:
    """The name of a place: one line."""
    return clean(" ".join(value.split()), "place", MAX_PLACE, required=True)


def clean_route(value: str) -> str:
    """A route, e.g. `Nouadhibou → Canary Islands`: one line."""
    return clean(" ".join(value.split()), "route", MAX_ROUTE, required=True)


def clean_note(value: str) -> str:
    """A note on a status change."""
    return clean(value, "note", MAX_NOTE)


def check_coordinates(latitude: float, longitude: float) -> tuple[float, float]:
    """A point on Earth, rounded to about a metre."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput("coordinates", "out of range")
    return round(latitude, 5), round(longitude, 5)


@dataclass(frozen=True, slots=True)
class Observed:
    """When a challenge was observed: a moment in UTC, and whether a time of day was given."""

    at: datetime
    has_time: bool


def parse_observed(text: str, *, language: str, now: datetime, timezone: str) -> Observed:
    """A lenient date (and optional time) in the past; InvalidInput("observed", ...) if it
    means nothing or lies in the future."""
    try:
        # Read twice with different default times: when both agree, a time was typed.
        morning = parse_moment(
            text, language=language, now=now, timezone=timezone, prefer=Prefer.PAST
        )
        noon = parse_moment(
            text,
            language=language,
            now=now,
            timezone=timezone,
            prefer=Prefer.PAST,
            default_time=time(12, 0),
        )
    except InvalidInput as error:
        raise InvalidInput("observed", "unreadable") from error
    has_time = morning == noon
    zone = ZoneInfo(timezone)
    if has_time and morning > now + CLOCK_SLACK:
        raise InvalidInput("observed", "future")
    if not has_time and morning.astimezone(zone).date() > now.astimezone(zone).date():
        raise InvalidInput("observed", "future")
    return Observed(morning, has_time)


def observed_on(day: date, timezone: str) -> Observed:
    """A day (Today and Yesterday buttons) without a time."""
    moment = datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(timezone))
    return Observed(moment.astimezone(ZoneInfo("UTC")), False)


class Step(StrEnum):
    """The questions of the flag flow, in order: what a ChallengeDraft is filled with."""

    CATEGORY = "category"
    SEVERITY = "severity"
    TITLE = "title"
    DESCRIPTION = "description"
    PLACE = "place"
    ROUTE = "route"
    OBSERVED = "observed"
    CONFIDENTIALITY = "confidentiality"
    ATTACHMENTS = "attachments"


@dataclass
class ChallengeDraft:
    """A challenge being written, kept as JSON in the reporter's conversation state."""

    category: Category | None = None
    severity: Severity | None = None
    title: str = ""
    description: str = ""
    place: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    route: str | None = None
    observed: Observed | None = None
    restricted: bool = False
    attachments: list[Attachment] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The draft as JSON-compatible values."""
        return {
            "category": self.category.value if self.category else None,
            "severity": self.severity.value if self.severity else None,
            "title": self.title,
            "description": self.description,
            "place": self.place,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "route": self.route,
            "observed_at": self.observed.at.isoformat() if self.observed else None,
            "observed_has_time": self.observed.has_time if self.observed else False,
            "restricted": self.restricted,
            "attachments": [[a.kind, a.file_id, a.file_name] for a in self.attachments],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChallengeDraft:
        """Read a draft written by `as_json` (unknown or missing values are left empty)."""
        observed = data.get("observed_at")
        return cls(
            category=_enum(Category, data.get("category")),
            severity=_enum(Severity, data.get("severity")),
            title=str(data.get("title") or ""),
            description=str(data.get("description") or ""),
            place=data.get("place"),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            route=data.get("route"),
            observed=(
                Observed(datetime.fromisoformat(observed), bool(data.get("observed_has_time")))
                if observed
                else None
            ),
            restricted=bool(data.get("restricted")),
            attachments=[
                Attachment(str(kind), str(file_id), name)
                for kind, file_id, name in data.get("attachments") or []
            ],
        )

    @property
    def coordinates(self) -> tuple[float, float] | None:
        """The location pin, if one was sent."""
        if self.latitude is None or self.longitude is None:
            return None
        return self.latitude, self.longitude

    def texts(self) -> list[str]:
        """Everything typed, for the personal-data check."""
        return [t for t in (self.title, self.description, self.place, self.route) if t]


E = TypeVar("E", bound=StrEnum)


def _enum(kind: type[E], value: object) -> E | None:
    try:
        return kind(str(value)) if value else None
    except ValueError:
        return None


# -- personal data -------------------------------------------------------------------------


class PersonalData(StrEnum):
    """Kinds of personal data the check looks for."""

    PHONE = "phone"
    PASSPORT = "passport"
    ID_NUMBER = "id_number"


@dataclass(frozen=True, slots=True)
class Finding:
    """Something in a text that looks like personal data."""

    kind: PersonalData
    excerpt: str


_PASSPORT_WORDS = r"passports?|passeports?|pasaportes?|passaportes?|جواز"
_ID_WORDS = (
    r"id|ids|identity|identit[eé]|cni|nin|nni|dni|c[eé]dula|bilhete|identidade|documento"
    r"|هوية|بطاقة"
)
#: A keyword, then (after "n°", "no.", ":", "number"...) a number of at least six digits.
_KEYWORD_NUMBER = re.compile(
    rf"(?<!\w)({_PASSPORT_WORDS}|{_ID_WORDS})(?!\w)[^\w\n]{{0,4}}"
    r"(?:(?:n[°º]|no\.?|nr\.?|num(?:ber|[eé]ro)?|n[uú]mero|رقم)[^\w\n]{0,3})?"
    r"([A-Z]{0,3}\d[\d \-]{4,22}\d[A-Z]?)(?!\w)",
    re.IGNORECASE,
)
#: Letters followed by digits, as most passports and many identity cards are numbered.
_DOCUMENT_NUMBER = re.compile(r"(?<!\w)[A-Z]{1,2}\d{6,9}(?!\w)", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d .\-()]{6,}\d(?!\w)")
#: Dates, times and decimal numbers (coordinates) look like digit runs: taken out first.
_NOT_PHONES = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}|(?<![\d.])\d{1,2}[/.]\d{1,2}[/.]\d{2,4}(?![.\d])"
    r"|\d{1,2}[:h]\d{2}|-?\d{1,3}\.\d{3,}"
)


def personal_data(texts: Iterable[str]) -> list[Finding]:
    """What looks like a phone number, a passport or an identity number in the texts.

    A heuristic that errs towards asking: the reporter confirms, or removes it."""
    findings: list[Finding] = []
    for text in texts:
        text = unicodedata.normalize("NFKC", text)
        taken: list[tuple[int, int]] = []
        for match in _KEYWORD_NUMBER.finditer(text):
            word = match.group(1).casefold()
            kind = (
                PersonalData.PASSPORT
                if re.fullmatch(_PASSPORT_WORDS, word, re.IGNORECASE)
                else PersonalData.ID_NUMBER
            )
            if sum(c.isdigit() for c in match.group(2)) >= 6:
                findings.append(Finding(kind, match.group(2).strip()))
                taken.append(match.span(2))
        for match in _DOCUMENT_NUMBER.finditer(text):
            if not _inside(match.span(), taken):
                findings.append(Finding(PersonalData.PASSPORT, match.group(0)))
                taken.append(match.span())
        blanked = _NOT_PHONES.sub(lambda m: " " * len(m.group(0)), text)
        for match in _PHONE.finditer(blanked):
            if _inside(match.span(), taken) or not _looks_like_phone(match.group(0)):
                continue
            findings.append(Finding(PersonalData.PHONE, text[match.start() : match.end()]))
    return findings


def _inside(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in taken)


def _looks_like_phone(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    international = candidate.startswith(("+", "00"))
    if not 8 <= digits <= 15 or (digits < 9 and not international):
        return False
    groups = re.findall(r"\d+", candidate)
    # "8 000 000" or "210 000 000" are amounts, not numbers to call.
    return international or not (len(groups) > 1 and all(len(g) == 3 for g in groups[1:]))


# -- the one-message form -------------------------------------------------------------------

#: English words the one-message form understands besides each category's code and name.
CATEGORY_WORDS: dict[Category, tuple[str, ...]] = {
    Category.INSTRUMENTALISATION: ("instrumentalisation", "instrumentalization"),
    Category.ROUTE: ("route", "routes"),
    Category.DIGITAL: ("digital", "online", "ads", "advertising", "social"),
    Category.DOCUMENTS: ("documents", "document", "fraud", "visa", "visas"),
    Category.CORRUPTION: ("corruption", "bribery"),
    Category.VIOLENCE: ("violence", "exploitation", "abuse"),
    Category.MARITIME: ("maritime", "sea", "boat", "boats", "sar", "rescue", "shipwreck"),
    Category.FINANCE: ("finance", "financial", "money", "hawala"),
    Category.DISRUPTION: ("disruption", "coup", "suspension"),
    Category.HUMANITARIAN: ("humanitarian", "criminalisation", "criminalization", "ngo"),
    Category.OTHER: ("other",),
}
SEVERITY_WORDS: dict[Severity, tuple[str, ...]] = {
    Severity.LOW: ("low",),
    Severity.MEDIUM: ("medium", "moderate"),
    Severity.HIGH: ("high",),
    Severity.CRITICAL: ("critical", "urgent"),
}


@dataclass(frozen=True, slots=True)
class QuickFlag:
    """`/flag high instrumentalisation Buses bringing groups to the border near X`."""

    severity: Severity
    category: Category
    text: str


def vocabulary(names: Mapping[E, Iterable[str]]) -> dict[str, set[E]]:
    """Folded words → the values they name (a value's names are split into words)."""
    words: dict[str, set[E]] = {}
    for value in names:
        for label in (value.value, *names[value]):
            for word in re.findall(r"\w+", fold(label)):
                if len(word) >= 3:
                    words.setdefault(word, set()).add(value)
    return words


def match_word(word: str, words: Mapping[str, set[E]]) -> E | None:
    """The one value a typed word names (whole word, else a start of 3+ letters), or None."""
    folded = fold(word).strip(".,;:!?")
    exact = words.get(folded, set())
    if len(exact) == 1:
        return next(iter(exact))
    if exact or len(folded) < 3:
        return None
    starting = {v for w, values in words.items() if w.startswith(folded) for v in values}
    return next(iter(starting)) if len(starting) == 1 else None


def parse_quick(
    text: str,
    *,
    categories: Mapping[Category, Iterable[str]],
    severities: Mapping[Severity, Iterable[str]],
) -> QuickFlag | None:
    """A severity and a category as the first two words (either order), then the text;
    None when the two words are not both understood."""
    parts = text.strip().split(maxsplit=2)
    if len(parts) < 2:
        return None
    category_words = vocabulary(categories)
    severity_words = vocabulary(severities)
    first, second = parts[0], parts[1]
    rest = parts[2].strip() if len(parts) > 2 else ""
    for severity_word, category_word in ((first, second), (second, first)):
        severity = match_word(severity_word, severity_words)
        category = match_word(category_word, category_words)
        if severity is not None and category is not None:
            return QuickFlag(severity, category, rest)
    return None


def split_quick_text(text: str) -> tuple[str, str]:
    """The title and description of a one-message flag: a short first line is the title and
    the other lines the description; a long one is cut at a word for the title, and the
    whole text is the description."""
    text = text.strip()
    first, _, rest = text.partition("\n")
    first = " ".join(first.split())
    if len(first) <= MAX_TITLE:
        return first, rest.strip()
    cut = first[: MAX_TITLE - 1]
    if " " in cut[MAX_TITLE // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…", text
