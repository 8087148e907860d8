"""Coordinator broadcasts: choosing an audience, sending through the outbox, following up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from domain.models import Role
from domain.outbox import Broadcast, DeliveryCounts
from services.access import Caller, Capability, language_of
from services.clock import Clock
from services.errors import InvalidInput, NotFound
from services.outbox import OutboxService, Recipient, Rendered
from services.text import clean
from storage import deliveries as delivery_store
from storage import members as member_store
from storage import partnerships as partnership_store
from storage.db import Database

#: Room left in a 4096-character message for the header the bot adds.
MAX_TEXT = 3500
#: Room left in a 1024-character caption.
MAX_CAPTION = 850
BROADCAST_KINDS = ("broadcast", "alert")


class AudienceKind(StrEnum):
    """Who a broadcast goes to."""

    EVERYONE = "all"
    ROLE = "role"
    COUNTRY = "country"
    ORGANISATION = "org"
    GROUPS = "groups"


@dataclass(frozen=True, slots=True)
class Audience:
    """An audience choice; `value` is the role, country or organisation chosen."""

    kind: AudienceKind
    value: str | None = None


@dataclass(frozen=True, slots=True)
class Reach:
    """Who an audience reaches, before sending."""

    recipients: list[Recipient]
    unreachable: int  # members left out because they blocked the bot


@dataclass(frozen=True, slots=True)
class BroadcastSummary:
    """A broadcast with its delivery figures."""

    broadcast: Broadcast
    counts: DeliveryCounts
    author: str


def check_body(text: str, *, with_media: bool) -> str:
    """The text of a broadcast, cleaned (services.text) and stripped; InvalidInput if empty
    or too long."""
    text = clean(text).strip()
    limit = MAX_CAPTION if with_media else MAX_TEXT
    if not text and not with_media:
        raise InvalidInput("broadcast_text", "empty")
    if len(text) > limit:
        raise InvalidInput(
            "broadcast_text" if not with_media else "broadcast_caption", str(len(text))
        )
    return text


class BroadcastService:
    """Broadcasts of the caller's active partnership."""

    def __init__(
        self, db: Database, clock: Clock, outbox: OutboxService, default_language: str
    ) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._default_language = default_language

    async def choices(self, caller: Caller, kind: AudienceKind) -> list[str]:
        """The values an audience kind offers: roles, and the countries and organisations a
        coordinator or admin confirmed (what members typed themselves selects nobody)."""
        membership = caller.require(Capability.BROADCAST)
        if kind is AudienceKind.ROLE:
            return [role.value for role in Role]
        if kind is AudienceKind.COUNTRY:
            given = await member_store.distinct_values(
                self._db, membership.partnership_id, "confirmed_country"
            )
            known = {c.casefold() for c in given}
            return given + [
                c for c in membership.partnership.countries if c.casefold() not in known
            ]
        if kind is AudienceKind.ORGANISATION:
            return await member_store.distinct_values(
                self._db, membership.partnership_id, "confirmed_organisation"
            )
        return []

    async def reach(self, caller: Caller, audience: Audience) -> Reach:
        """The recipients of an audience, each with their language; the author is left out."""
        membership = caller.require(Capability.BROADCAST)
        partnership = membership.partnership
        if audience.kind is AudienceKind.GROUPS:
            groups = await partnership_store.groups_of(self._db, partnership.id)
            return Reach([Recipient(g.chat_id, None, partnership.language) for g in groups], 0)
        members = await member_store.audience(
            self._db,
            partnership.id,
            role=audience.value if audience.kind is AudienceKind.ROLE else None,
            country=audience.value if audience.kind is AudienceKind.COUNTRY else None,
            organisation=audience.value if audience.kind is AudienceKind.ORGANISATION else None,
        )
        others = [(m, r) for m, r in members if m.id != caller.identity.user_id]
        reachable = [m for m, _ in others if not m.unreachable]
        return Reach(
            [
                Recipient(
                    m.id,
                    m.id,
                    language_of(m, partnership.language or self._default_language),
                )
                for m in reachable
            ],
            unreachable=len(others) - len(reachable),
        )

    async def send(
        self,
        caller: Caller,
        *,
        audience: Audience,
        body: str,
        urgent: bool,
        render: Callable[[str], Rendered],
        idempotency_key: str,
        remind_after: timedelta,
    ) -> tuple[int, int]:
        """Queue the broadcast for its audience; returns (broadcast id, recipients).

        The idempotency key (one per draft) makes a confirm pressed twice send once."""
        membership = caller.require(Capability.BROADCAST)
        reach = await self.reach(caller, audience)
        if not reach.recipients:
            raise InvalidInput("audience", "nobody")
        broadcast_id = await self._outbox.enqueue(
            kind="broadcast",
            reference=None,
            partnership_id=membership.partnership_id,
            recipients=reach.recipients,
            render=render,
            acknowledge=True,
            author_id=caller.identity.user_id,
            urgent=urgent,
            audience={"kind": audience.kind.value, "value": audience.value},
            body=body,
            idempotency_key=idempotency_key,
            remind_at=self._clock() + remind_after if urgent else None,
        )
        return broadcast_id, len(reach.recipients)

    async def set_status_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        """Remember where the author follows the delivery progress."""
        async with self._db.transaction() as tx:
            await delivery_store.set_status_message(tx, broadcast_id, chat_id, message_id)

    async def recent(self, caller: Caller, limit: int = 10) -> list[BroadcastSummary]:
        """Newest broadcasts and alerts of the partnership, with their figures."""
        membership = caller.require(Capability.BROADCAST)
        broadcasts = await delivery_store.recent_broadcasts(
            self._db, membership.partnership_id, BROADCAST_KINDS, limit
        )
        return [await self._summary(b) for b in broadcasts]

    async def summary(self, broadcast_id: int) -> BroadcastSummary:
        """One broadcast with its figures (no access check: for the worker's progress)."""
        broadcast = await delivery_store.get_broadcast(self._db, broadcast_id)
        if broadcast is None:
            raise NotFound("broadcast")
        return await self._summary(broadcast)

    async def _summary(self, broadcast: Broadcast) -> BroadcastSummary:
        author = (
            await member_store.get(self._db, broadcast.author_id) if broadcast.author_id else None
        )
        return BroadcastSummary(
            broadcast, await self._outbox.counts(broadcast.id), author.name if author else ""
        )

    async def detail(
        self, caller: Caller, broadcast_id: int
    ) -> tuple[BroadcastSummary, list[str], list[str]]:
        """A broadcast of the caller's partnership, the names of those who have not
        acknowledged it, and of those it could not reach."""
        membership = caller.require(Capability.BROADCAST)
        broadcast = await delivery_store.get_broadcast(self._db, broadcast_id)
        if broadcast is None or broadcast.partnership_id != membership.partnership_id:
            raise NotFound("broadcast")
        waiting: list[str] = []
        failed: list[str] = []
        for delivery in await delivery_store.unacknowledged(self._db, broadcast_id):
            member = await member_store.get(self._db, delivery.member_id or 0)
            name = member.name if member else str(delivery.member_id)
            (failed if delivery.status.value == "dead" else waiting).append(name)
        return await self._summary(broadcast), waiting, failed

    async def due_reminders(self) -> list[tuple[Broadcast, list[Recipient], dict[int, int]]]:
        """Urgent broadcasts due for their one reminder: who to remind (delivered, not yet
        acknowledged) and, per chat, which delivery the reminder's button acknowledges."""
        due = []
        for broadcast in await delivery_store.due_reminders(self._db, self._clock()):
            pending = [
                d
                for d in await delivery_store.unacknowledged(self._db, broadcast.id)
                if d.status.value == "sent"
            ]
            recipients = [Recipient(d.chat_id, d.member_id, d.language) for d in pending]
            due.append((broadcast, recipients, {d.chat_id: d.id for d in pending}))
        return due

    async def mark_reminded(self, broadcast_id: int) -> bool:
        """Record the reminder; False if it was already sent (never remind twice)."""
        async with self._db.transaction() as tx:
            return await delivery_store.mark_reminded(tx, broadcast_id, self._clock())
