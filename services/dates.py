"""Lenient dates and times as people type them on a phone, in five languages.

Understood (day before month, as in every language we ship): `2026-11-30 10:00`, `30/11`,
`30.11.2026`, `30 novembre`, `nov 30`, `today`/`hier`/`mañana`/`أمس` (CLDR's words, in the
person's language or English), weekday names (`lundi`, `friday`), with an optional time:
`10:00`, `15h`, `15h30`, `3pm`. Arabic-Indic digits are read as digits. The result is always
echoed back to the person as a full date, so a surprise is caught at once.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale

from services.errors import InvalidInput


class Prefer(StrEnum):
    """Which way an incomplete date (`30/11`, `monday`) leans."""

    PAST = "past"  # things that happened: meetings logged afterwards, observations
    FUTURE = "future"  # due dates, deadlines
    NEAREST = "nearest"


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_TIME_PATTERNS = (
    re.compile(r"\b(\d{1,2}):(\d{2})\s*(am|pm)\b"),
    re.compile(r"\b(\d{1,2})\s*(am|pm)\b"),
    re.compile(r"\b(\d{1,2})[:h](\d{2})\b"),
    re.compile(r"\b(\d{1,2})h\b"),
)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
#: Little words around dates and times that carry no meaning here.
_FILLER = frozenset(
    {"at", "on", "the", "a", "le", "el", "las", "la", "as", "o", "de", "del", "في", "يوم", "الساعة"}
)


def _fold(text: str) -> str:
    """Lower case, without accents (Arabic letters kept), ’ as '."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _vocabulary(language: str) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Relative day words (offset), weekday names (0 = Monday), month names (1-12), folded;
    the language's own words, then English ones."""
    relative: dict[str, int] = {}
    weekdays: dict[str, int] = {}
    months: dict[str, int] = {}
    for code in dict.fromkeys((language, "en")):
        locale = Locale.parse(code)
        for offset, word in locale._data["date_fields"]["day"]["relative"].items():
            relative.setdefault(_fold(word), int(offset))
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for index, name in locale.days[context][width].items():
                    weekdays.setdefault(_fold(name).rstrip("."), int(index))
                for index, name in locale.months[context][width].items():
                    months.setdefault(_fold(name).rstrip("."), int(index))
    return relative, weekdays, months


def parse_moment(
    text: str,
    *,
    language: str,
    now: datetime,
    timezone: str,
    prefer: Prefer = Prefer.NEAREST,
    default_time: time = time(0, 0),
) -> datetime:
    """The moment `text` means, in UTC; InvalidInput("date", ...) if it means nothing."""
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    folded = _fold(text.translate(_DIGITS)).strip()
    if not folded or len(folded) > 60:
        raise InvalidInput("date", "unreadable")
    at, rest = _take_time(folded)
    words = [w for w in re.split(r"[\s,]+", rest) if w and w not in _FILLER]
    day = _day(" ".join(words), language, local_now.date(), prefer) if words else local_now.date()
    if day is None:
        raise InvalidInput("date", "unreadable")
    if at is None and not words:
        raise InvalidInput("date", "unreadable")
    moment = datetime.combine(day, at or default_time, tzinfo=zone)
    return moment.astimezone(ZoneInfo("UTC"))


def _take_time(text: str) -> tuple[time | None, str]:
    for pattern in _TIME_PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        groups = match.groups()
        hour = int(groups[0])
        minute = int(groups[1]) if len(groups) > 1 and groups[1] and groups[1].isdigit() else 0
        suffix = groups[-1] if groups[-1] in ("am", "pm") else None
        if suffix is not None:
            if not 1 <= hour <= 12:
                raise InvalidInput("date", "bad time")
            hour = hour % 12 + (12 if suffix == "pm" else 0)
        if hour > 23 or minute > 59:
            raise InvalidInput("date", "bad time")
        return time(hour, minute), (text[: match.start()] + " " + text[match.end() :]).strip()
    return None, text


#: Words that turn a weekday into the coming one or the past one, whatever the default.
_NEXT = frozenset({"next", "prochain", "prochaine", "proximo", "proxima", "القادم"})
_LAST = frozenset({"last", "dernier", "derniere", "pasado", "passado", "passada", "الماضي"})


def _day(text: str, language: str, today: date, prefer: Prefer) -> date | None:
    relative, weekdays, months = _vocabulary(language)
    words = text.split()
    if len(words) == 2 and (set(words) & (_NEXT | _LAST)):
        direction = _NEXT if set(words) & _NEXT else _LAST
        (name,) = [w for w in words if w not in direction] or [""]
        if name in weekdays:
            step = 1 if direction is _NEXT else -1
            # Never today: "next friday" on a Friday is a week away.
            return _weekday(
                today + timedelta(days=step),
                weekdays[name],
                Prefer.FUTURE if step > 0 else Prefer.PAST,
            )
    if text in relative:
        return today + timedelta(days=relative[text])
    if text in weekdays:
        return _weekday(today, weekdays[text], prefer)
    if match := _ISO.match(text):
        return _date(int(match[1]), int(match[2]), int(match[3]))
    if match := _NUMERIC.match(text):
        day, month, year = int(match[1]), int(match[2]), match[3]
        if year is None:
            return _without_year(today, month, day, prefer)
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        return _date(full_year, month, day)
    return _named_month(text.split(), months, today, prefer)


def _named_month(
    words: list[str], months: dict[str, int], today: date, prefer: Prefer
) -> date | None:
    """`30 novembre 2026`, `nov 30`, `30 nov`."""
    month = [months[w.rstrip(".")] for w in words if w.rstrip(".") in months]
    numbers = [int(w) for w in words if w.isdigit()]
    if len(month) != 1 or len(words) != 1 + len(numbers) or not 1 <= len(numbers) <= 2:
        return None
    days = [n for n in numbers if n <= 31]
    years = [n for n in numbers if n >= 1000]
    if len(days) != 1 or len(years) != len(numbers) - 1:
        return None
    if years:
        return _date(years[0], month[0], days[0])
    return _without_year(today, month[0], days[0], prefer)


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _without_year(today: date, month: int, day: int, prefer: Prefer) -> date | None:
    """The year that fits the preference: last, this or next year."""
    candidates = [
        d for year in (today.year - 1, today.year, today.year + 1) if (d := _date(year, month, day))
    ]
    if not candidates:
        return None
    if prefer is Prefer.PAST:
        past = [d for d in candidates if d <= today]
        return max(past) if past else None
    if prefer is Prefer.FUTURE:
        future = [d for d in candidates if d >= today]
        return min(future) if future else None
    return min(candidates, key=lambda d: abs((d - today).days))


def _weekday(today: date, target: int, prefer: Prefer) -> date:
    """The nearest such weekday (0 is Monday, as in Babel's tables and `date.weekday`)."""
    back = (today.weekday() - target) % 7
    forward = (target - today.weekday()) % 7
    if prefer is Prefer.PAST:
        return today - timedelta(days=back)
    if prefer is Prefer.FUTURE:
        return today + timedelta(days=forward)
    return today - timedelta(days=back) if back <= forward else today + timedelta(days=forward)
