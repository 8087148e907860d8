"""The member list of a partnership: listing, changing roles, removing and readmitting
people, and the organisation and country coordinators vouch for.

A member's own organisation and country (/profile) are what they say: shown, marked as
unconfirmed, and granting nothing. Coordinators and admins confirm them or set them; only
confirmed values grant rights (milestones) and select broadcast audiences.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from domain.models import MemberInPartnership, Membership, Partnership, RemovedMember, Role
from services.access import Caller, Capability
from services.clock import Clock
from services.errors import InvalidInput, LastAdmin, NotAllowed, NotFound
from services.invites import revoke_invites_beyond
from services.validation import MAX_COUNTRY, MAX_ORGANISATION, clean_text
from storage import audit
from storage import members as member_store
from storage.db import Database, Transaction

PAGE_SIZE = 10
#: Removed people listed at once (newest first); more would not fit one message's buttons.
REMOVED_SHOWN = 30


class Attribute(StrEnum):
    """What a coordinator vouches for; the values name the columns."""

    ORGANISATION = "organisation"
    COUNTRY = "country"

    @property
    def limit(self) -> int:
        """The longest value accepted."""
        return MAX_ORGANISATION if self is Attribute.ORGANISATION else MAX_COUNTRY


def value_digest(value: str) -> str:
    """A short fingerprint of a declared value: a Confirm button confirms the value it
    showed, not one the member typed after the button was drawn."""
    return hashlib.sha256(value.encode()).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class MemberPage:
    """One page of the member list."""

    members: list[MemberInPartnership]
    page: int
    pages: int
    total: int
    removed: int  # people kept out until readmitted; counted for admins only


def may_manage(actor: Role, target: Role, new_role: Role | None = None) -> bool:
    """Admins manage anyone; coordinators manage members and observers, up to member."""
    if actor is Role.ADMIN:
        return True
    if actor is Role.COORDINATOR:
        allowed = {Role.MEMBER, Role.OBSERVER}
        return target in allowed and (new_role is None or new_role in allowed)
    return False


class MemberService:
    """Lists and manages the members of the caller's active partnership."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def page(self, caller: Caller, page: int) -> MemberPage:
        """A page of the member list (pages count from 0; out-of-range pages are clamped)."""
        membership = caller.require(Capability.MANAGE_MEMBERS)
        total = await member_store.count_members(self._db, membership.partnership_id)
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        page = min(max(page, 0), pages - 1)
        members = await member_store.list_members(
            self._db, membership.partnership_id, limit=PAGE_SIZE, offset=page * PAGE_SIZE
        )
        removed = (
            await member_store.count_removed(self._db, membership.partnership_id)
            if caller.can(Capability.READMIT_MEMBERS)
            else 0
        )
        return MemberPage(members, page, pages, total, removed)

    async def get(self, caller: Caller, member_id: int) -> Membership:
        """One member of the caller's active partnership."""
        membership = caller.require(Capability.MANAGE_MEMBERS)
        target = await member_store.membership(self._db, member_id, membership.partnership_id)
        if target is None:
            raise NotFound("member")
        return target

    async def name_of(self, member_id: int) -> str:
        """A member's display name."""
        member = await member_store.get(self._db, member_id)
        return member.name if member else str(member_id)

    async def change_role(self, caller: Caller, member_id: int, role: Role) -> Membership:
        """Give a member another role in the caller's active partnership."""
        membership = caller.require(Capability.MANAGE_MEMBERS)
        partnership_id = membership.partnership_id
        now = self._clock()
        async with self._db.transaction() as tx:
            target = await member_store.membership(tx, member_id, partnership_id)
            if target is None:
                raise NotFound("member")
            if not may_manage(membership.role, target.role, role):
                raise NotAllowed(Role.ADMIN)
            if target.role is Role.ADMIN and role is not Role.ADMIN:
                await self._keep_an_admin(tx, partnership_id)
            await member_store.set_role(tx, partnership_id, member_id, role)
            await audit.record(
                tx,
                action="member.role",
                now=now,
                partnership_id=partnership_id,
                actor_id=caller.identity.user_id,
                member_id=member_id,
                old=target.role.value,
                new=role.value,
            )
            # Invites live only while their creator may still grant their role.
            await revoke_invites_beyond(
                tx,
                partnership_id,
                member_id,
                role,
                now=now,
                actor_id=caller.identity.user_id,
                reason="creator's role changed",
            )
        changed = await member_store.membership(self._db, member_id, partnership_id)
        assert changed is not None
        return changed

    async def remove(self, caller: Caller, member_id: int) -> None:
        """Take a member out of the caller's active partnership."""
        membership = caller.require(Capability.MANAGE_MEMBERS)
        partnership_id = membership.partnership_id
        now = self._clock()
        async with self._db.transaction() as tx:
            target = await member_store.membership(tx, member_id, partnership_id)
            if target is None:
                raise NotFound("member")
            if not may_manage(membership.role, target.role):
                raise NotAllowed(Role.ADMIN)
            if target.role is Role.ADMIN:
                await self._keep_an_admin(tx, partnership_id)
            await member_store.remove_membership(
                tx, partnership_id, member_id, by=caller.identity.user_id, now=now
            )
            await audit.record(
                tx,
                action="member.remove",
                now=now,
                partnership_id=partnership_id,
                actor_id=caller.identity.user_id,
                member_id=member_id,
                role=target.role.value,
            )
            await revoke_invites_beyond(
                tx,
                partnership_id,
                member_id,
                None,
                now=now,
                actor_id=caller.identity.user_id,
                reason="creator removed",
            )

    async def removed(self, caller: Caller) -> list[RemovedMember]:
        """People removed from the caller's partnership whom no invite lets back in (admins)."""
        membership = caller.require(Capability.READMIT_MEMBERS)
        return await member_store.removed(self._db, membership.partnership_id, limit=REMOVED_SHOWN)

    async def readmit(
        self, partnership: Partnership, member_id: int, *, by: Caller | None = None
    ) -> None:
        """Let a removed person join `partnership` again with an invite; `by` None means the
        command line. NotFound if they were not kept out."""
        if by is not None:
            membership = by.require(Capability.READMIT_MEMBERS)
            if membership.partnership_id != partnership.id:
                raise NotAllowed(Role.ADMIN)
        now = self._clock()
        async with self._db.transaction() as tx:
            if not await member_store.readmit(tx, partnership.id, member_id):
                raise NotFound("removed member")
            await audit.record(
                tx,
                action="member.readmit",
                now=now,
                partnership_id=partnership.id,
                actor_id=None if by is None else by.identity.user_id,
                member_id=member_id,
            )

    async def confirm(
        self, caller: Caller, member_id: int, attribute: Attribute, seen: str
    ) -> Membership:
        """Confirm the organisation or country a member declared, as the caller saw it
        (`seen` is its `value_digest`): from now on it grants what it names."""
        membership, target = await self._vouch_target(caller, member_id)
        declared = getattr(target, attribute.value)
        if declared is None or value_digest(declared) != seen:
            raise NotFound("declared value")  # changed since the button was drawn
        return await self._vouch(caller, membership, member_id, attribute, declared, "confirm")

    async def set_confirmed(
        self, caller: Caller, member_id: int, attribute: Attribute, value: str | None
    ) -> Membership:
        """Set a member's organisation or country as confirmed by the caller; None withdraws
        the confirmation (the member's own value stays, granting nothing)."""
        membership, _target = await self._vouch_target(caller, member_id)
        cleaned = clean_text(value, f"vouched_{attribute.value}", attribute.limit)
        if value is not None and cleaned is None:
            raise InvalidInput(f"vouched_{attribute.value}", "empty")
        action = "set" if cleaned is not None else "withdraw"
        return await self._vouch(caller, membership, member_id, attribute, cleaned, action)

    async def vouchable(self, caller: Caller, member_id: int) -> Membership:
        """A member whose organisation and country the caller may confirm or set: admins
        anyone's, coordinators those of members and observers."""
        return (await self._vouch_target(caller, member_id))[1]

    async def _vouch_target(self, caller: Caller, member_id: int) -> tuple[Membership, Membership]:
        membership = caller.require(Capability.MANAGE_MEMBERS)
        target = await member_store.membership(self._db, member_id, membership.partnership_id)
        if target is None:
            raise NotFound("member")
        if not may_manage(membership.role, target.role):
            raise NotAllowed(Role.ADMIN)
        return membership, target

    async def _vouch(
        self,
        caller: Caller,
        membership: Membership,
        member_id: int,
        attribute: Attribute,
        value: str | None,
        how: str,
    ) -> Membership:
        partnership_id = membership.partnership_id
        async with self._db.transaction() as tx:
            if not await member_store.set_confirmed(
                tx, partnership_id, member_id, attribute.value, value
            ):
                raise NotFound("member")
            await audit.record(
                tx,
                action=f"member.{how}",
                now=self._clock(),
                partnership_id=partnership_id,
                actor_id=caller.identity.user_id,
                member_id=member_id,
                field=attribute.value,
                value=value,
            )
        changed = await member_store.membership(self._db, member_id, partnership_id)
        assert changed is not None
        return changed

    @staticmethod
    async def _keep_an_admin(tx: Transaction, partnership_id: int) -> None:
        if await member_store.count_with_role(tx, partnership_id, Role.ADMIN) <= 1:
            raise LastAdmin()

    async def update_profile(
        self, caller: Caller, *, organisation: str | None, country: str | None
    ) -> Membership:
        """Set the organisation and country the caller says they work for: display values,
        which grant nothing until a coordinator or admin confirms them."""
        membership = caller.require(Capability.READ)
        organisation = clean_text(organisation, "organisation", MAX_ORGANISATION)
        country = clean_text(country, "country", MAX_COUNTRY)
        now = self._clock()
        async with self._db.transaction() as tx:
            await member_store.set_profile(
                tx,
                membership.partnership_id,
                caller.identity.user_id,
                organisation=organisation,
                country=country,
            )
            await audit.record(
                tx,
                action="member.profile",
                now=now,
                partnership_id=membership.partnership_id,
                actor_id=caller.identity.user_id,
            )
        updated = await member_store.membership(
            self._db, caller.identity.user_id, membership.partnership_id
        )
        assert updated is not None
        return updated
