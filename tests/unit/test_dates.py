"""Lenient dates per language, always resolved in the partnership's timezone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.dates import Prefer, parse_moment
from services.errors import InvalidInput

# Sunday 29 November 2026, 09:00 in Dakar (UTC+0) and 10:00 in Madrid (UTC+1).
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def parsed(
    text: str, language: str = "en", prefer: Prefer = Prefer.NEAREST, tz: str = "UTC"
) -> str:
    moment = parse_moment(text, language=language, now=NOW, timezone=tz, prefer=prefer)
    return moment.strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("2026-11-30 10:00", "en", "2026-11-30 10:00"),
        ("30/11", "fr", "2026-11-30 00:00"),
        ("30/11/2026 15h", "fr", "2026-11-30 15:00"),
        ("30.11.26 15h30", "pt", "2026-11-30 15:30"),
        ("yesterday 15h", "en", "2026-11-28 15:00"),
        ("hier", "fr", "2026-11-28 00:00"),
        ("hier à 9h", "fr", "2026-11-28 09:00"),
        ("ayer", "es", "2026-11-28 00:00"),
        ("mañana a las 10:30", "es", "2026-11-30 10:30"),
        ("ontem", "pt", "2026-11-28 00:00"),
        ("amanhã 8h", "pt", "2026-11-30 08:00"),
        ("أمس", "ar", "2026-11-28 00:00"),
        ("غدًا ١٠:٠٠", "ar", "2026-11-30 10:00"),
        ("aujourd'hui 14h", "fr", "2026-11-29 14:00"),
        ("today 3pm", "fr", "2026-11-29 15:00"),  # English words are understood in every language
        ("28 novembre 2026", "fr", "2026-11-28 00:00"),
        ("nov 30", "en", "2026-11-30 00:00"),
        ("2 de diciembre", "es", "2026-12-02 00:00"),
        ("16:45", "en", "2026-11-29 16:45"),
    ],
)
def test_understood(text: str, language: str, expected: str) -> None:
    assert parsed(text, language) == expected


def test_weekdays_lean_as_asked() -> None:
    assert parsed("lundi", "fr", Prefer.PAST) == "2026-11-23 00:00"
    assert parsed("lundi", "fr", Prefer.FUTURE) == "2026-11-30 00:00"
    assert parsed("viernes 10h", "es", Prefer.PAST) == "2026-11-27 10:00"
    assert parsed("sunday", "en", Prefer.PAST) == "2026-11-29 00:00"


def test_next_and_last_weekdays() -> None:
    assert parsed("next friday", "en") == "2026-12-04 00:00"
    assert parsed("vendredi prochain", "fr") == "2026-12-04 00:00"
    assert parsed("el viernes pasado", "es") == "2026-11-27 00:00"
    assert parsed("last sunday", "en") == "2026-11-22 00:00"  # today is a Sunday
    assert parsed("next sunday 9h", "en") == "2026-12-06 09:00"


def test_day_and_month_without_year_take_the_nearest_fitting_year() -> None:
    assert parsed("30/11", "fr", Prefer.PAST) == "2025-11-30 00:00"
    assert parsed("2/1", "fr", Prefer.FUTURE) == "2027-01-02 00:00"
    assert parsed("2/1", "fr", Prefer.NEAREST) == "2027-01-02 00:00"


def test_local_time_becomes_utc() -> None:
    assert parsed("2026-11-30 10:00", tz="Europe/Madrid") == "2026-11-30 09:00"
    assert parsed("2026-07-01 10:00", tz="Europe/Madrid") == "2026-07-01 08:00"  # summer time


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "garbage",
        "31/02",
        "2026-13-01",
        "25:00",
        "13pm",
        "30/11 tomorrow",
        "x" * 100,
        "<b>",
    ],
)
def test_nonsense_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parsed(text)
