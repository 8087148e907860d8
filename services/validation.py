"""Checks shared by settings, data files and services: the checks of settings and data files
raise ValueError with a reason; `clean_text`, for what people type, raises InvalidInput."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.models import LANGUAGES
from services.errors import InvalidInput
from services.text import one_line

MAX_ORGANISATION = 100
MAX_COUNTRY = 60


def clean_text(value: str | None, field: str, limit: int) -> str | None:
    """Fold whitespace; None for empty; InvalidInput if longer than `limit`."""
    if value is None:
        return None
    folded = one_line(value)
    if len(folded) > limit:
        raise InvalidInput(field, f"at most {limit} characters")
    return folded or None


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
