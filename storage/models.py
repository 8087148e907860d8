"""Records the store reads and writes; services and the bot share them."""

from __future__ import annotations

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
    organisation: str | None
    country: str | None
    joined_at: datetime

    @property
    def partnership_id(self) -> int:
        """Shortcut used by every scoped query."""
        return self.partnership.id


@dataclass(frozen=True, slots=True)
class MemberInPartnership:
    """A row of the member list: who, with which role."""

    member_id: int
    name: str
    username: str | None
    role: Role
    organisation: str | None
    country: str | None


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

    @property
    def uses_left(self) -> int:
        """How many more people can still join with this code."""
        return max(self.max_uses - self.uses, 0)


@dataclass(frozen=True, slots=True)
class GroupLink:
    """A Telegram group chat linked to a partnership for digests and alerts."""

    chat_id: int
    partnership_id: int
    title: str
    linked_by: int
    linked_at: datetime
