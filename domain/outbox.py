"""The outbox: broadcasts and one delivery per recipient message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class DeliveryStatus(StrEnum):
    """Where a delivery is in its life."""

    PENDING = "pending"  # waiting for its first attempt
    SENDING = "sending"  # handed to Telegram, outcome not yet recorded
    SENT = "sent"
    FAILED = "failed"  # an attempt failed; retried at next_attempt_at
    DEAD = "dead"  # given up: rejected, recipient unreachable, or too many attempts


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A message for one chat, rendered in the recipient's language."""

    chat_id: int
    member_id: int | None
    language: str
    text: str
    media_kind: str | None = None
    media_file_id: str | None = None
    acknowledge: bool = False
    ack_for: int | None = None
    #: Buttons besides Acknowledge: (label, callback data) pairs, in the recipient's language.
    buttons: tuple[tuple[str, str], ...] = ()
    #: Restricted material: Telegram forbids forwarding and saving it.
    protect_content: bool = False


@dataclass(frozen=True, slots=True)
class Delivery:
    """A row of the outbox."""

    id: int
    broadcast_id: int
    chat_id: int
    member_id: int | None
    language: str
    text: str
    media_kind: str | None
    media_file_id: str | None
    acknowledge: bool
    ack_for: int | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    telegram_message_id: int | None
    acknowledged_at: datetime | None
    buttons: tuple[tuple[str, str], ...] = ()
    protect_content: bool = False

    @property
    def acknowledges(self) -> int:
        """The delivery whose acknowledgement this message's button records."""
        return self.ack_for or self.id


@dataclass(frozen=True, slots=True)
class Broadcast:
    """One message sent to many: a broadcast, an alert, a digest or a reminder."""

    id: int
    partnership_id: int | None
    kind: str
    reference: str | None
    author_id: int | None
    urgent: bool
    audience: dict[str, Any]
    body: str
    status_chat_id: int | None
    status_message_id: int | None
    remind_at: datetime | None
    reminded_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    """How a broadcast's deliveries stand."""

    total: int = 0
    delivered: int = 0
    pending: int = 0
    failed: int = 0
    acknowledged: int = 0
