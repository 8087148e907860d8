"""The member list of a partnership: listing, changing roles, removing people."""

from __future__ import annotations

from dataclasses import dataclass

from services.access import Caller, Capability
from services.clock import Clock
from services.errors import InvalidInput, LastAdmin, NotAllowed, NotFound
from services.text import one_line
from storage import audit
from storage import members as member_store
from storage.db import Database, Transaction
from storage.models import MemberInPartnership, Membership, Role

PAGE_SIZE = 10
MAX_ORGANISATION = 100
MAX_COUNTRY = 60


def clean_text(value: str | None, field: str, limit: int) -> str | None:
    """Fold whitespace; None for empty; InvalidInput if longer than `limit`."""
    if value is None:
        return None
    folded = one_line(value)
    if len(folded) > limit:
        raise InvalidInput(field, f"at most {limit} characters")
    return folded or None


@dataclass(frozen=True, slots=True)
class MemberPage:
    """One page of the member list."""

    members: list[MemberInPartnership]
    page: int
    pages: int
    total: int


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
        return MemberPage(members, page, pages, total)

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
            await member_store.remove_membership(tx, partnership_id, member_id)
            await audit.record(
                tx,
                action="member.remove",
                now=now,
                partnership_id=partnership_id,
                actor_id=caller.identity.user_id,
                member_id=member_id,
                role=target.role.value,
            )

    @staticmethod
    async def _keep_an_admin(tx: Transaction, partnership_id: int) -> None:
        if await member_store.count_with_role(tx, partnership_id, Role.ADMIN) <= 1:
            raise LastAdmin()

    async def update_profile(
        self, caller: Caller, *, organisation: str | None, country: str | None
    ) -> Membership:
        """Set the caller's own organisation and country in the active partnership."""
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
