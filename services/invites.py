"""Invite codes: creating them and joining a partnership with one."""

from __future__ import annotations

import secrets
from datetime import timedelta

from services.access import Caller, Capability, TelegramIdentity
from services.clock import Clock
from services.errors import InvalidInput, InviteRefusal, InviteRefused, NotAllowed
from storage import audit
from storage import invites as invite_store
from storage import members as member_store
from storage.db import Database
from storage.models import Invite, Membership, Partnership, Role

MAX_USES = 500
MAX_VALID_DAYS = 90
#: Deep-link payloads allow at most 64 characters of A-Z a-z 0-9 _ -; ours are 16.
CODE_BYTES = 12


def new_code() -> str:
    """A random, deep-link-safe code."""
    return secrets.token_urlsafe(CODE_BYTES)


def looks_like_code(text: str) -> bool:
    """True if the text could be an invite code (guards the lookup against junk)."""
    return 8 <= len(text) <= 64 and all(c.isascii() and (c.isalnum() or c in "_-") for c in text)


def roles_grantable_by(role: Role | None) -> tuple[Role, ...]:
    """Roles someone may hand out in invites: admins any, coordinators up to member."""
    if role is None:
        return ()
    if role is Role.ADMIN:
        return (Role.ADMIN, Role.COORDINATOR, Role.MEMBER, Role.OBSERVER)
    if role is Role.COORDINATOR:
        return (Role.MEMBER, Role.OBSERVER)
    return ()


class InviteService:
    """Creates and redeems invites."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def create(
        self,
        partnership: Partnership,
        *,
        role: Role,
        max_uses: int = 1,
        valid_days: int = 7,
        created_by: Caller | None = None,
    ) -> Invite:
        """Create a code; `created_by` None means the command line (any role allowed)."""
        if created_by is not None:
            membership = created_by.require(Capability.INVITE)
            if membership.partnership_id != partnership.id:
                raise NotAllowed(Role.COORDINATOR)
            if role not in roles_grantable_by(membership.role):
                raise NotAllowed(Role.ADMIN)
        if not 1 <= max_uses <= MAX_USES:
            raise InvalidInput("uses", f"must be between 1 and {MAX_USES}")
        if not 1 <= valid_days <= MAX_VALID_DAYS:
            raise InvalidInput("days", f"must be between 1 and {MAX_VALID_DAYS}")
        now = self._clock()
        code = new_code()
        actor = None if created_by is None else created_by.identity.user_id
        async with self._db.transaction() as tx:
            await invite_store.insert(
                tx,
                code=code,
                partnership_id=partnership.id,
                role=role,
                max_uses=max_uses,
                expires_at=now + timedelta(days=valid_days),
                created_by=actor,
                now=now,
            )
            await audit.record(
                tx,
                action="invite.create",
                now=now,
                partnership_id=partnership.id,
                actor_id=actor,
                role=role.value,
                max_uses=max_uses,
                valid_days=valid_days,
            )
        invite = await invite_store.get(self._db, code)
        assert invite is not None
        return invite

    async def redeem(self, code: str, identity: TelegramIdentity) -> Membership:
        """Join the code's partnership with its role; refuses unusable codes and grants nothing."""
        if not looks_like_code(code):
            raise InviteRefused(InviteRefusal.UNKNOWN)
        now = self._clock()
        # Checked and counted inside one write transaction, so two people racing for the
        # last use of a code cannot both get in.
        async with self._db.transaction() as tx:
            invite = await invite_store.get(tx, code)
            if invite is None:
                raise InviteRefused(InviteRefusal.UNKNOWN)
            if invite.revoked:
                raise InviteRefused(InviteRefusal.REVOKED)
            if invite.expires_at <= now:
                raise InviteRefused(InviteRefusal.EXPIRED)
            if await invite_store.was_used_by(tx, code, identity.user_id):
                raise InviteRefused(InviteRefusal.ALREADY_USED)
            if invite.uses >= invite.max_uses:
                raise InviteRefused(InviteRefusal.USED_UP)
            existing = await member_store.membership(tx, identity.user_id, invite.partnership_id)
            await member_store.upsert(
                tx,
                member_id=identity.user_id,
                name=identity.name,
                username=identity.username,
                telegram_language=identity.language_code,
                now=now,
            )
            # An invite never lowers the role of someone already in the partnership.
            role = invite.role
            if existing is not None and existing.role.at_least(role):
                role = existing.role
            await member_store.add_membership(
                tx,
                partnership_id=invite.partnership_id,
                member_id=identity.user_id,
                role=role,
                now=now,
            )
            await member_store.set_active_partnership(tx, identity.user_id, invite.partnership_id)
            await member_store.mark_seen(tx, identity.user_id, now)
            await invite_store.record_use(tx, code, identity.user_id, now)
            await audit.record(
                tx,
                action="invite.redeem",
                now=now,
                partnership_id=invite.partnership_id,
                actor_id=identity.user_id,
                code=code,
                role=role.value,
            )
        membership = await member_store.membership(
            self._db, identity.user_id, invite.partnership_id
        )
        assert membership is not None
        return membership

    async def revoke(self, code: str) -> bool:
        """Make a code unusable (command line)."""
        async with self._db.transaction() as tx:
            return await invite_store.revoke(tx, code)

    async def active(self, partnership: Partnership) -> list[Invite]:
        """Codes that can still be used."""
        return await invite_store.active_for(self._db, partnership.id, self._clock())
