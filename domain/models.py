"""Partnerships, members and their roles, invites and linked groups: the records every
feature shares."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

#: Languages Partnerbot ships, in the order the language picker shows them.
LANGUAGES: tuple[str, ...] = ("en", "fr", "ar", "pt", "es")
#: Each language named in itself, for the language picker.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "ar": "العربية",
    "pt": "Português",
    "es": "Español",
}
RTL_LANGUAGES = frozenset({"ar"})
#: The CLDR locale of a language where Babel's default is another country's: Babel's "pt" is
#: Brazil's, Partnerbot's Portuguese is Portugal's (dates 06/12/2026, "Polónia").
CLDR_LOCALES: dict[str, str] = {"pt": "pt_PT"}


def cldr_locale(language: str) -> str:
    """The Babel locale for dates, numbers and names in `language`."""
    return CLDR_LOCALES.get(language, language)


class Role(StrEnum):
    """A member's role inside one partnership, from most to least powerful."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    MEMBER = "member"
    OBSERVER = "observer"

    @property
    def rank(self) -> int:
        """Higher rank means more rights."""
        return _ROLE_RANK[self]

    def at_least(self, other: Role) -> bool:
        """True if this role has all the rights of `other`."""
        return self.rank >= other.rank


_ROLE_RANK = {Role.OBSERVER: 0, Role.MEMBER: 1, Role.COORDINATOR: 2, Role.ADMIN: 3}


class PartnershipKind(StrEnum):
    """The kinds of operational partnership the bot serves."""

    COP = "cop"
    JIT = "jit"
    NETWORK = "network"
    BILATERAL = "bilateral"


@dataclass(frozen=True, slots=True)
class Partnership:
    """An operational partnership: the unit every record is scoped to."""

    id: int
    slug: str
    name: str
    kind: PartnershipKind
    countries: tuple[str, ...]
    timezone: str
    language: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Member:
    """A Telegram user known to the bot."""

    id: int  # the Telegram user id
    name: str
    username: str | None
    language: str | None  # chosen with /language; None means follow Telegram's language_code
    telegram_language: str | None
    active_partnership_id: int | None
    created_at: datetime
    unreachable: bool = False  # blocked the bot; messages are not sent until they write again
    seen: bool = False  # has written to the bot (chat-scoped calls work only then)


@dataclass(frozen=True, slots=True)
class Membership:
    """A member's place in one partnership."""

    partnership: Partnership
    member_id: int
    role: Role
    organisation: str | None  # as the member declared it (/profile): shown, grants nothing
    country: str | None  # as the member declared it
    joined_at: datetime
    #: Set or confirmed by a coordinator or admin, or carried by the invite: these grant
    #: rights and select broadcast audiences.
    confirmed_organisation: str | None = None
    confirmed_country: str | None = None

    @property
    def partnership_id(self) -> int:
        """Shortcut used by every scoped query."""
        return self.partnership.id

    @property
    def awaiting_confirmation(self) -> bool:
        """True if the member declared an organisation or country nobody confirmed yet."""
        return unconfirmed(self.organisation, self.confirmed_organisation) or unconfirmed(
            self.country, self.confirmed_country
        )


@dataclass(frozen=True, slots=True)
class MemberInPartnership:
    """A row of the member list: who, with which role."""

    member_id: int
    name: str
    username: str | None
    role: Role
    organisation: str | None
    country: str | None
    confirmed_organisation: str | None = None
    confirmed_country: str | None = None

    @property
    def awaiting_confirmation(self) -> bool:
        """True if the member declared an organisation or country nobody confirmed yet."""
        return unconfirmed(self.organisation, self.confirmed_organisation) or unconfirmed(
            self.country, self.confirmed_country
        )


def same_value(first: str | None, second: str | None) -> bool:
    """Organisations and countries compare ignoring case and surrounding spaces."""
    return (first or "").strip().casefold() == (second or "").strip().casefold()


def unconfirmed(declared: str | None, confirmed: str | None) -> bool:
    """True if a member declared a value that no coordinator or admin confirmed."""
    return declared is not None and not same_value(declared, confirmed)


@dataclass(frozen=True, slots=True)
class RemovedMember:
    """Someone removed from a partnership, whom no invite lets back in until readmitted."""

    member_id: int
    name: str
    username: str | None
    removed_by: int | None
    removed_at: datetime


@dataclass(frozen=True, slots=True)
class Invite:
    """A code that lets people join a partnership with a role."""

    code: str
    partnership_id: int
    role: Role
    max_uses: int
    uses: int
    expires_at: datetime
    created_by: int | None
    created_at: datetime
    revoked: bool = False
    #: Vouched for everyone who joins with it (stored as their confirmed values).
    organisation: str | None = None
    country: str | None = None

    @property
    def uses_left(self) -> int:
        """How many more people can still join with this code."""
        return max(self.max_uses - self.uses, 0)

    @property
    def ref(self) -> str:
        """Names the invite without revealing its code (audit log, buttons)."""
        return invite_ref(self.code)


def invite_ref(code: str) -> str:
    """A short reference to an invite code from which the code cannot be recovered."""
    return hashlib.sha256(code.encode()).hexdigest()[:INVITE_REF_LENGTH]


INVITE_REF_LENGTH = 12


@dataclass(frozen=True, slots=True)
class GroupLink:
    """A Telegram group chat linked to a partnership for digests and alerts."""

    chat_id: int
    partnership_id: int
    title: str
    linked_by: int
    linked_at: datetime
