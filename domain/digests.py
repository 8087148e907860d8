"""Digest schedules: a partnership's default, each recipient's own choice and last digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StoredSchedule:
    """Frequency ('weekly', 'daily', 'off'), weekday (0 = Monday) and hour, as stored."""

    frequency: str
    weekday: int
    hour: int


@dataclass(frozen=True, slots=True)
class PartnershipSchedule:
    """A partnership's own default schedule and when it was set."""

    partnership_id: int
    schedule: StoredSchedule
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class RecipientState:
    """One recipient of a partnership's digest (a member's private chat or a linked group)."""

    partnership_id: int
    chat_id: int
    member_id: int | None  # None for a group
    #: The member's chosen language, Telegram's language, or (groups) None.
    language: str | None
    telegram_language: str | None
    unreachable: bool
    own: StoredSchedule | None  # None: the partnership's schedule
    chosen_at: datetime | None
    last_slot: datetime | None
    last_digest_at: datetime | None
    #: When they joined the partnership, or the group was linked.
    since: datetime
