"""The outbox: messages that must arrive are written first, then delivered by a worker.

Features call `enqueue` with a kind, a reference, recipients and a rendering per language.
The worker (bot/jobs/delivery.py) claims due rows, sends them and reports each outcome here;
this module decides what happens next (retry with back-off, give up, mark unreachable).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from domain.outbox import Delivery, DeliveryCounts, NewDelivery
from services.access import Caller
from services.clock import Clock
from services.errors import NotFound
from storage import audit
from storage import deliveries as store
from storage import members as member_store
from storage.db import Database, Transaction

#: Give up on a message after this many attempts (rate limits and outages included).
MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=2)
LONGEST_RETRY = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who gets a message: a chat, the member behind it (None for a group), a language."""

    chat_id: int
    member_id: int | None
    language: str


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message as one language reads it: HTML text (a caption when there is media), and
    buttons besides Acknowledge as (label, callback data) pairs."""

    text: str
    media_kind: str | None = None
    media_file_id: str | None = None
    buttons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Keyed:
    """One message for one recipient, queued once ever under its idempotency key."""

    idempotency_key: str
    reference: str | None
    partnership_id: int | None
    recipient: Recipient
    rendered: Rendered


# The outcomes the worker reports, one per attempt.
@dataclass(frozen=True, slots=True)
class Sent:
    """Telegram accepted the message."""

    message_id: int | None


@dataclass(frozen=True, slots=True)
class RetryLater:
    """A passing failure (network, time-out, 5xx, 429); `after` is Telegram's retry_after."""

    error: str
    after: float | None = None


@dataclass(frozen=True, slots=True)
class Unreachable:
    """The recipient blocked the bot or left: never retried."""

    error: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """Telegram refused the message itself (400): a dead letter, kept with its error."""

    error: str


Outcome = Sent | RetryLater | Unreachable | Rejected

#: What a hook leaves to do once its transaction is committed (telling someone), or None.
AfterCommit = Callable[[], Awaitable[None]] | None


class AcknowledgeHook(Protocol):
    """What acknowledging a message of one kind also means, written in the same transaction
    as the acknowledgement (e.g. a challenge alert acknowledges the challenge)."""

    async def __call__(self, tx: Transaction, delivery: Delivery, caller: Caller) -> AfterCommit:
        """Record what the acknowledgement means; return what to do after the commit."""
        ...


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential back-off with ±20 % jitter, so many failed messages do not retry at once."""
    seconds = min(
        FIRST_RETRY.total_seconds() * 2 ** max(attempts - 1, 0), LONGEST_RETRY.total_seconds()
    )
    jitter = (rng or random.Random()).uniform(0.8, 1.2)
    return timedelta(seconds=seconds * jitter)


def _delivery(
    recipient: Recipient,
    rendered: Rendered,
    *,
    acknowledge: bool = False,
    ack_for: int | None = None,
    protect_content: bool = False,
) -> NewDelivery:
    """The outbox row of one recipient's message."""
    return NewDelivery(
        chat_id=recipient.chat_id,
        member_id=recipient.member_id,
        language=recipient.language,
        text=rendered.text,
        media_kind=rendered.media_kind,
        media_file_id=rendered.media_file_id,
        acknowledge=acknowledge,
        ack_for=ack_for,
        buttons=rendered.buttons,
        protect_content=protect_content,
    )


@dataclass
class OutboxService:
    """Writes messages to the outbox and keeps each delivery's state."""

    db: Database
    clock: Clock
    #: Called after rows are written, so the worker wakes at once instead of polling.
    listeners: list[Callable[[], None]] = field(default_factory=list)
    #: What acknowledging each kind of message also means (`on_acknowledge`).
    acknowledge_hooks: dict[str, AcknowledgeHook] = field(default_factory=dict)

    def on_acknowledge(self, kind: str, hook: AcknowledgeHook) -> None:
        """Have `hook` run whenever a message of `kind` is acknowledged."""
        self.acknowledge_hooks[kind] = hook

    def _wake(self) -> None:
        for listener in self.listeners:
            listener()

    async def enqueue(
        self,
        *,
        kind: str,
        reference: str | None,
        partnership_id: int | None,
        recipients: Sequence[Recipient],
        render: Callable[[str], Rendered] | Mapping[str, Rendered],
        acknowledge: bool = False,
        author_id: int | None = None,
        urgent: bool = False,
        audience: dict[str, Any] | None = None,
        body: str = "",
        idempotency_key: str | None = None,
        remind_at: datetime | None = None,
        ack_for: Mapping[int, int] | None = None,
        protect_content: bool = False,
    ) -> int:
        """Queue one message per recipient, rendered once per language; returns the
        broadcast id. The same `idempotency_key` twice queues nothing the second time.
        `protect_content` (restricted material): Telegram forbids forwarding and saving."""
        if idempotency_key is not None:
            existing = await store.broadcast_by_key(self.db, idempotency_key)
            if existing is not None:
                return existing.id
        renderings: dict[str, Rendered] = {}
        for language in {r.language for r in recipients}:
            renderings[language] = (
                render[language] if isinstance(render, Mapping) else render(language)
            )
        rows = [
            _delivery(
                r,
                renderings[r.language],
                acknowledge=acknowledge and r.member_id is not None,
                ack_for=(ack_for or {}).get(r.chat_id),
                protect_content=protect_content,
            )
            for r in recipients
        ]
        now = self.clock()
        async with self.db.transaction() as tx:
            broadcast_id = await store.insert_broadcast(
                tx,
                partnership_id=partnership_id,
                kind=kind,
                reference=reference,
                author_id=author_id,
                urgent=urgent,
                audience=audience or {},
                body=body,
                idempotency_key=idempotency_key,
                remind_at=remind_at,
                now=now,
            )
            await store.insert_deliveries(tx, broadcast_id, rows, now)
            await audit.record(
                tx,
                action=f"{kind}.enqueue",
                now=now,
                partnership_id=partnership_id,
                actor_id=author_id,
                broadcast_id=broadcast_id,
                reference=reference,
                recipients=len(rows),
                urgent=urgent,
            )
        self._wake()
        return broadcast_id

    async def enqueue_many(self, kind: str, messages: Sequence[Keyed]) -> int:
        """Queue many messages of one kind, each to one recipient, in one transaction: what
        `enqueue` with the same key, reference, partnership, recipient and rendering would
        write for each, in order (a broadcast, its delivery, the audit entry). A key already
        queued (or repeated in `messages`) queues nothing again. Returns how many were queued."""
        if not messages:
            return 0
        now = self.clock()
        async with self.db.transaction() as tx:
            taken = set(await store.broadcast_ids(tx, [m.idempotency_key for m in messages]))
            fresh: list[Keyed] = []
            for message in messages:
                if message.idempotency_key not in taken:
                    taken.add(message.idempotency_key)
                    fresh.append(message)
            if not fresh:
                return 0
            ids = await store.insert_keyed_broadcasts(
                tx,
                [(m.idempotency_key, m.partnership_id, m.reference) for m in fresh],
                kind=kind,
                now=now,
            )
            rows = [(ids[m.idempotency_key], _delivery(m.recipient, m.rendered)) for m in fresh]
            await store.insert_deliveries_of(tx, rows, now)
            await audit.record_many(
                tx,
                [
                    (
                        f"{kind}.enqueue",
                        now,
                        m.partnership_id,
                        None,
                        {
                            "broadcast_id": ids[m.idempotency_key],
                            "reference": m.reference,
                            "recipients": 1,
                            "urgent": False,
                        },
                    )
                    for m in fresh
                ],
            )
        self._wake()
        return len(fresh)

    async def recover(self) -> int:
        """At start-up: deliveries in flight when the process died are sent again."""
        async with self.db.transaction() as tx:
            return await store.reset_in_flight(tx)

    async def claim(self, limit: int) -> list[Delivery]:
        """Due deliveries for the worker, marked as being sent."""
        if limit <= 0:
            return []
        async with self.db.transaction() as tx:
            return await store.claim_due(tx, self.clock(), limit)

    async def next_due(self) -> datetime | None:
        """When the worker next has something to do."""
        return await store.next_due(self.db)

    async def record(self, delivery: Delivery, outcome: Outcome) -> None:
        """Store an attempt's outcome and decide the delivery's next step."""
        now = self.clock()
        async with self.db.transaction() as tx:
            match outcome:
                case Sent(message_id=message_id):
                    await store.mark_sent(tx, delivery.id, message_id, now)
                case RetryLater(error=error) if delivery.attempts >= MAX_ATTEMPTS:
                    await store.mark_dead(
                        tx, delivery.id, f"gave up after {delivery.attempts} attempts: {error}"
                    )
                case RetryLater(error=error, after=after):
                    wait = (
                        timedelta(seconds=after)
                        if after is not None
                        else backoff(delivery.attempts)
                    )
                    await store.mark_failed(tx, delivery.id, error, now + wait)
                case Unreachable(error=error):
                    await store.mark_dead(tx, delivery.id, error)
                    if delivery.member_id is not None:
                        await member_store.set_unreachable(tx, delivery.member_id, now)
                case Rejected(error=error):
                    await store.mark_dead(tx, delivery.id, error)

    async def acknowledge(self, delivery_id: int, caller: Caller) -> tuple[Delivery, bool]:
        """Record that the caller acknowledged a message addressed to them, and what that
        means for its kind (`on_acknowledge`), in one transaction; True the first time only.
        Pressing again records nothing twice."""
        member_id = caller.identity.user_id
        delivery = await store.get(self.db, delivery_id)
        if delivery is None or delivery.member_id != member_id or not delivery.acknowledge:
            raise NotFound("delivery")
        now = self.clock()
        async with self.db.transaction() as tx:
            first = await store.acknowledge(tx, delivery_id, now)
            broadcast = await store.get_broadcast(tx, delivery.broadcast_id)
            if first:
                await audit.record(
                    tx,
                    action="delivery.acknowledge",
                    now=now,
                    partnership_id=broadcast.partnership_id if broadcast else None,
                    actor_id=member_id,
                    delivery_id=delivery_id,
                )
            hook = self.acknowledge_hooks.get(broadcast.kind) if broadcast else None
            after = None if hook is None else await hook(tx, delivery, caller)
        if after is not None:
            await after()
        updated = await store.get(self.db, delivery_id)
        assert updated is not None
        return updated, first

    async def counts(self, broadcast_id: int) -> DeliveryCounts:
        """How a broadcast's deliveries stand."""
        return await store.counts(self.db, broadcast_id)

    async def delivery(self, delivery_id: int) -> Delivery | None:
        """One delivery."""
        return await store.get(self.db, delivery_id)
