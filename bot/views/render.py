"""Turning replies into Telegram-safe HTML: splitting long texts, showing dates."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_interval, format_time
from markupsafe import Markup, escape

from domain.models import cldr_locale
from services.contact_fields import region_of

#: Telegram's limit is 4096 characters after entity parsing; raw HTML is never shorter
#: than its parsed text, so keeping raw chunks under the limit is always safe.
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)([^>]*)>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
#: Babel's date widths: lists use "medium" (in Arabic all digits: 20‏/11‏/2026); reports
#: and cards use "long" or "full", which name the month (20 نوفمبر 2026).
DateWidth = Literal["medium", "long", "full"]


def shorten(value: str, limit: int) -> str:
    """Cut a user-supplied value to `limit` characters, marking the cut."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def split_html(html: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split HTML into chunks of at most `limit` characters, preferring line breaks.

    A tag left open at a cut is closed at the end of its chunk and opened again at the
    start of the next, so every chunk is well-formed on its own. Entities are never cut.
    """
    if len(html) <= limit:
        return [html]
    # Plain text from here on: adding a str token to a Markup chunk would escape it again.
    html = str(html)
    chunks: list[str] = []
    open_tags: list[tuple[str, str]] = []  # (name, full opening tag), outermost first
    current = ""
    # Where the last line break fell in `current`, and which tags were open there.
    last_break: tuple[int, list[tuple[str, str]]] | None = None
    position = 0
    while position < len(html):
        match = _TAG.match(html, position) or _ENTITY.match(html, position)
        token = match.group(0) if match else html[position]
        position += len(token)
        if len(current) + len(token) + _closing_length(open_tags) + _SLACK > limit:
            if last_break is not None:
                index, tags_then = last_break
                chunks.append(current[:index] + _closing(tags_then))
                current = _opening(tags_then) + current[index + 1 :]
            else:
                chunks.append(current + _closing(open_tags))
                current = _opening(open_tags)
            last_break = None
        if token == "\n":
            last_break = (len(current), list(open_tags))
        current += token
        tag = _TAG.fullmatch(token)
        if tag is None:
            continue
        name = tag.group(2).lower()
        if not tag.group(1):
            open_tags.append((name, token))
            continue
        for index in range(len(open_tags) - 1, -1, -1):
            if open_tags[index][0] == name:
                del open_tags[index]
                break
    chunks.append(current)
    return [chunk for chunk in chunks if _TAG.sub("", chunk).strip()]


#: Room kept for the longest tag or entity token that may follow.
_SLACK = 64


def _closing(tags: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(tags))


def _closing_length(tags: list[tuple[str, str]]) -> int:
    return sum(len(name) + 3 for name, _ in tags)


def _opening(tags: list[tuple[str, str]]) -> str:
    return "".join(tag for _, tag in tags)


def format_moment(
    moment: datetime, timezone: str, language: str, width: DateWidth = "medium"
) -> str:
    """A date and time as people of that language write it, in the given timezone."""
    # The language's own way of joining a date and a time, without the seconds.
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    date = format_date(local, width, locale=cldr_locale(language))
    time = format_time(local, "short", tzinfo=zone, locale=cldr_locale(language))
    pattern: str = Locale.parse(cldr_locale(language)).datetime_formats["medium"]
    return pattern.replace("{1}", date).replace("{0}", time)


def period_text(start: date, end: date, language: str) -> str:
    """From one day to another as people of that language write it ("Nov 1 – 30, 2026",
    "1–30 nov. 2026")."""
    return str(format_interval(start, end, "yMMMd", locale=cldr_locale(language)))


def bold(value: object) -> Markup:
    """An escaped value in bold."""
    return Markup("<b>{}</b>").format(escape(str(value)))


def code(value: object) -> Markup:
    """An escaped value in monospace (codes people copy)."""
    return Markup("<code>{}</code>").format(escape(str(value)))


def lines(*parts: Markup | str) -> Markup:
    """Join escaped parts with line breaks; plain str parts are escaped too."""
    return Markup("\n").join(parts)


def country_name(country: str, language: str) -> str:
    """A country as the reader's language names it (CLDR, through Babel): 'Senegal' reads
    'Sénégal' in French and 'السنغال' in Arabic; a name no country has stays as stored."""
    region = region_of(country)
    if region is None:
        return country
    names = Locale.parse(cldr_locale(language)).territories
    return str(names.get(region, country))
