"""Meetings, their participants, follow-up actions and attachments, as people enter them and
as they are stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class MeetingKind(StrEnum):
    """The kinds of meeting a partnership holds."""

    STEERING = "steering"
    BILATERAL = "bilateral"
    OPERATIONAL = "operational"
    TRAINING = "training"
    OTHER = "other"


class AttachmentKind(StrEnum):
    """What Telegram file an attachment is (decides how it is sent back)."""

    PHOTO = "photo"
    DOCUMENT = "document"
    VOICE = "voice"
    AUDIO = "audio"
    VIDEO = "video"


@dataclass(frozen=True, slots=True)
class Participant:
    """Someone at a meeting: a member of the partnership (member_id) or a name as typed."""

    name: str
    organisation: str = ""
    member_id: int | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file kept by its Telegram file id (the file itself stays on Telegram)."""

    kind: AttachmentKind
    file_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class ActionValues:
    """A follow-up action as written; `id` is None for a new one."""

    what: str
    owner_id: int | None = None
    owner_name: str = ""
    due_on: date | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A stored follow-up action."""

    id: int
    meeting_id: int
    position: int
    what: str
    owner_id: int | None
    owner_name: str
    due_on: date | None
    done_at: datetime | None
    done_by: int | None
    reminded_at: datetime | None

    @property
    def done(self) -> bool:
        """True once someone marked it done."""
        return self.done_at is not None


@dataclass(frozen=True, slots=True)
class MeetingValues:
    """Everything a person enters about a meeting."""

    held_at: datetime
    title: str
    kind: MeetingKind
    location: str = ""
    summary: str = ""
    decisions: str = ""
    restricted: bool = False
    participants: tuple[Participant, ...] = ()
    actions: tuple[ActionValues, ...] = ()
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Meeting:
    """A stored meeting; lists leave the participants, actions and attachments empty."""

    id: int
    partnership_id: int
    held_at: datetime
    title: str
    kind: MeetingKind
    location: str
    summary: str
    decisions: str
    restricted: bool
    author_id: int
    created_at: datetime
    updated_by: int | None
    updated_at: datetime
    deleted_at: datetime | None
    participants: tuple[Participant, ...] = field(default=())
    actions: tuple[FollowUp, ...] = field(default=())
    attachments: tuple[Attachment, ...] = field(default=())
