"""Checks shared by settings, data files and services; each raises ValueError with a reason."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.models import LANGUAGES


def known_timezone(value: str) -> str:
    """An IANA timezone name, such as Africa/Dakar."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("must be an IANA timezone such as Africa/Dakar") from exc
    return value


def shipped_language(value: str) -> str:
    """One of the languages Partnerbot ships."""
    if value not in LANGUAGES:
        raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
    return value
