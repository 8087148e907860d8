"""Partner contacts of a partnership's directory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Contact:
    """A partner contact in one partnership's directory."""

    id: int
    partnership_id: int
    member_id: int | None  # set for a member's own card (/mycard)
    name: str
    organisation: str
    organisation_type: str | None
    country: str
    role: str
    expertise: tuple[str, ...]
    languages: tuple[str, ...]
    phone: str | None  # E.164
    email: str | None
    telegram: str | None  # username without @
    notes: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ContactFields:
    """What a writer stores for a contact (besides its partnership and owner)."""

    name: str
    organisation: str
    organisation_type: str | None
    country: str
    role: str
    expertise: tuple[str, ...]
    languages: tuple[str, ...]
    language_names: str  # words the languages are searched by, in every shipped language
    phone: str | None
    email: str | None
    telegram: str | None
    notes: str
    identity_key: str  # folded name and organisation: two contacts may not share it
