"""Emerging challenges: the reports, their status history, acknowledgements and escalations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.models import Role


class Category(StrEnum):
    """The kinds of emerging challenge (docs: DOMAIN.md)."""

    INSTRUMENTALISATION = "instrumentalisation"
    ROUTE = "route"
    DIGITAL = "digital"
    DOCUMENTS = "documents"
    CORRUPTION = "corruption"
    VIOLENCE = "violence"
    MARITIME = "maritime"
    FINANCE = "finance"
    DISRUPTION = "disruption"
    HUMANITARIAN = "humanitarian"
    OTHER = "other"


class Severity(StrEnum):
    """How serious a challenge is, from least to most."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Higher is more serious."""
        return tuple(Severity).index(self)


class Status(StrEnum):
    """Where a challenge is in its life: the lifecycle in order, or dismissed."""

    REPORTED = "reported"
    ACKNOWLEDGED = "acknowledged"
    CORROBORATED = "corroborated"
    CONFIRMED = "confirmed"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class EventKind(StrEnum):
    """What a step of a challenge's history records."""

    STATUS = "status"  # it moved on (or was reported: the first step)
    EDIT = "edit"  # its fields were changed; `changes` says which, from what to what
    REOPEN = "reopen"  # a resolved or dismissed challenge was opened again


class EditedField(StrEnum):
    """The fields an edit may change, as its history names them."""

    CATEGORY = "category"
    SEVERITY = "severity"
    TITLE = "title"
    DESCRIPTION = "description"
    PLACE = "place"
    LOCATION = "location"
    ROUTE = "route"
    OBSERVED = "observed"
    RESTRICTED = "restricted"
    ATTACHMENTS = "attachments"


class EscalationOutcome(StrEnum):
    """What became of an escalation step once it was due."""

    SENT = "sent"
    NOT_NEEDED = "not_needed"  # acknowledged or moved on before it was due
    SUPERSEDED = "superseded"  # a later step was due as well (the bot was down): only it went


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo or document attached to a challenge (Telegram keeps the file)."""

    kind: str  # "photo" or "document"
    file_id: str
    file_name: str | None = None


@dataclass(frozen=True, slots=True)
class NewChallenge:
    """What a reporter submits."""

    partnership_id: int
    reporter_id: int
    category: Category
    severity: Severity
    title: str
    description: str
    place: str | None
    latitude: float | None
    longitude: float | None
    route: str | None
    observed_at: datetime | None
    observed_has_time: bool
    restricted: bool
    attachments: Sequence[Attachment] = ()


@dataclass(frozen=True, slots=True)
class Challenge:
    """A challenge as stored."""

    id: int
    partnership_id: int
    reporter_id: int | None
    category: Category
    severity: Severity
    status: Status
    title: str
    description: str
    place: str | None
    latitude: float | None
    longitude: float | None
    route: str | None
    observed_at: datetime | None
    observed_has_time: bool
    restricted: bool
    attachment_count: int
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None  # the first acknowledgement by a coordinator or admin

    @property
    def is_open(self) -> bool:
        """Neither resolved nor dismissed."""
        return self.status not in (Status.RESOLVED, Status.DISMISSED)


@dataclass(frozen=True, slots=True)
class ChallengeEvent:
    """One step of a challenge's history: a status it reached (or an edit, or a reopening),
    who did it, their note."""

    id: int
    challenge_id: int
    status: Status
    actor_id: int | None
    actor_name: str
    note: str
    at: datetime
    kind: EventKind = EventKind.STATUS
    #: An edit's changed fields: each with its value before and after, as text (a severity's
    #: name, a pin's "lat,lon", a count of attachments...; None for empty).
    changes: Mapping[EditedField, tuple[str | None, str | None]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """Someone acknowledged a challenge (through an alert's button)."""

    member_id: int
    name: str
    role: Role
    at: datetime


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """A planned escalation of a challenge, and what became of it."""

    challenge_id: int
    step: int
    due_at: datetime
    done_at: datetime | None
    outcome: EscalationOutcome | None
    recipients: int


@dataclass(frozen=True, slots=True)
class EscalationSettings:
    """A partnership's escalation rule (defaults without a stored row)."""

    minutes: int = 30
    include_high: bool = False
