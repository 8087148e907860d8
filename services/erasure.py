"""The right to erasure: a member leaves and is forgotten (`/leave`), an admin erases someone
removed from their partnership, an operator erases anyone (the command line).

Erasure (storage/erasure.py) keeps the partnership's record whole — meetings, challenges,
milestones keep their authors as "former member" — and the audit log keeps that an erasure
happened, by whom, never the data erased.
"""

from __future__ import annotations

from domain.models import Role
from services.access import Caller, Capability
from services.clock import Clock
from services.errors import InvalidInput, NotFound
from storage import audit
from storage import erasure as store
from storage import members as member_store
from storage.db import Database, Transaction


class ErasureService:
    """Forgetting people."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def leave(self, caller: Caller) -> list[str]:
        """The caller leaves every partnership and is forgotten; the names of the partnerships
        they left. The last admin of a partnership cannot leave it (InvalidInput)."""
        member_id = caller.require_membership().member_id
        memberships = await member_store.memberships_of(self._db, member_id)
        for membership in memberships:
            if membership.role is Role.ADMIN and not await self._other_admin(
                membership.partnership_id, member_id
            ):
                raise InvalidInput("leave", membership.partnership.name)
        async with self._db.transaction() as tx:
            for membership in memberships:
                await audit.record(
                    tx,
                    action="member.leave",
                    now=self._clock(),
                    partnership_id=membership.partnership_id,
                    actor_id=member_id,
                )
            await self._erase(tx, member_id, actor_id=member_id)
        return [m.partnership.name for m in memberships]

    async def erase_removed(self, caller: Caller, member_id: int) -> None:
        """An admin erases someone removed from their partnership who belongs to no other
        (NotFound otherwise: they are another partnership's to keep)."""
        membership = caller.require(Capability.READMIT_MEMBERS)
        if not await member_store.is_removed(self._db, membership.partnership_id, member_id):
            raise NotFound("removed member")
        if await member_store.memberships_of(self._db, member_id):
            raise InvalidInput("erase", "still a member elsewhere")
        async with self._db.transaction() as tx:
            await self._erase(
                tx,
                member_id,
                actor_id=caller.identity.user_id,
                partnership_id=membership.partnership_id,
            )

    async def erase_by_operator(self, member_id: int) -> None:
        """The command line erases anyone, taking them out of every partnership."""
        if await member_store.get(self._db, member_id) is None:
            raise NotFound("member")
        async with self._db.transaction() as tx:
            await self._erase(tx, member_id, actor_id=None)

    async def _other_admin(self, partnership_id: int, member_id: int) -> bool:
        return await member_store.count_with_role(self._db, partnership_id, Role.ADMIN) > 1

    async def _erase(
        self,
        tx: Transaction,
        member_id: int,
        *,
        actor_id: int | None,
        partnership_id: int | None = None,
    ) -> None:
        member = await member_store.get(tx, member_id)
        if member is None:
            raise NotFound("member")
        words = [member.name]
        if member.username:
            words += [f"@{member.username}", member.username]
        words += await member_store.card_phones(tx, member_id)
        rewritten = await store.erase(tx, member_id, words, self._clock())
        await audit.record(
            tx,
            action="member.erase",
            now=self._clock(),
            partnership_id=partnership_id,
            actor_id=actor_id,
            member_id=member_id,
            texts_rewritten=rewritten,
        )
