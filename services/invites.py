"""Invite codes: creating, listing and revoking them, and joining a partnership with one.

An invite lives only while its creator may still grant its role: removing its creator, or
giving them a role that may not grant it, revokes it in the same transaction. Nobody who was
removed from a partnership gets back in with an invite until an admin readmits them. The
audit log names invites by `Invite.ref`, never by their code.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.models import Invite, Membership, Partnership, Role, invite_ref
from services.access import Caller, Capability, TelegramIdentity, roles_grantable_by
from services.clock import Clock
from services.errors import InvalidInput, InviteRefusal, InviteRefused, NotAllowed, NotFound
from services.validation import MAX_COUNTRY, MAX_ORGANISATION, clean_text
from storage import audit
from storage import invites as invite_store
from storage import members as member_store
from storage.db import Database, Transaction

MAX_USES = 500
MAX_VALID_DAYS = 90
#: Deep-link payloads allow at most 64 characters of A-Z a-z 0-9 _ -; ours are 16.
CODE_BYTES = 12


def new_code() -> str:
    """A random, deep-link-safe code that never begins with "-" (a command line would read
    it as an option: `invite revoke -abc...`)."""
    while (code := secrets.token_urlsafe(CODE_BYTES)).startswith("-"):
        pass
    return code


def looks_like_code(text: str) -> bool:
    """True if the text could be an invite code (guards the lookup against junk)."""
    return 8 <= len(text) <= 64 and all(c.isascii() and (c.isalnum() or c in "_-") for c in text)


@dataclass(frozen=True, slots=True)
class LiveInvite:
    """An invite that can still be used, with the name of the person who made it."""

    invite: Invite
    creator: str | None  # None: made on the command line


async def revoke_invites_beyond(
    tx: Transaction,
    partnership_id: int,
    creator_id: int,
    role: Role | None,
    *,
    now: datetime,
    actor_id: int | None,
    reason: str,
) -> int:
    """Revoke the live invites `creator_id` made that `role` may not grant (None: they were
    removed, so all of them), each recorded in the audit log; returns how many."""
    keep = roles_grantable_by(role)
    revoked = 0
    for invite in await invite_store.live_created_by(tx, partnership_id, creator_id, now):
        if invite.role not in keep:
            await _revoke(tx, invite, now=now, actor_id=actor_id, reason=reason)
            revoked += 1
    return revoked


async def _revoke(
    tx: Transaction, invite: Invite, *, now: datetime, actor_id: int | None, reason: str
) -> None:
    await invite_store.revoke(tx, invite.code)
    await audit.record(
        tx,
        action="invite.revoke",
        now=now,
        partnership_id=invite.partnership_id,
        actor_id=actor_id,
        invite=invite.ref,
        role=invite.role.value,
        created_by=invite.created_by,
        reason=reason,
    )


class InviteService:
    """Creates, lists, revokes and redeems invites."""

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
        organisation: str | None = None,
        country: str | None = None,
    ) -> Invite:
        """Create a code; `created_by` None means the command line (any role allowed).

        An organisation or country given here is vouched for by the creator: everyone who
        joins with the code has it as their confirmed organisation or country."""
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
        organisation = clean_text(organisation, "vouched_organisation", MAX_ORGANISATION)
        country = clean_text(country, "vouched_country", MAX_COUNTRY)
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
                organisation=organisation,
                country=country,
            )
            await audit.record(
                tx,
                action="invite.create",
                now=now,
                partnership_id=partnership.id,
                actor_id=actor,
                invite=invite_ref(code),
                role=role.value,
                max_uses=max_uses,
                valid_days=valid_days,
                organisation=organisation,
                country=country,
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
        role: Role | None = None
        async with self._db.transaction() as tx:
            invite = await invite_store.get(tx, code)
            if invite is None:
                raise InviteRefused(InviteRefusal.UNKNOWN)
            if invite.revoked:
                raise InviteRefused(InviteRefusal.REVOKED)
            if invite.expires_at <= now:
                raise InviteRefused(InviteRefusal.EXPIRED)
            kept_out = await member_store.is_removed(tx, invite.partnership_id, identity.user_id)
            inside = await member_store.membership(tx, identity.user_id, invite.partnership_id)
            # Someone readmitted after a removal may use a code they used before.
            if inside and await invite_store.was_used_by(tx, code, identity.user_id):
                raise InviteRefused(InviteRefusal.ALREADY_USED)
            if invite.uses >= invite.max_uses:
                raise InviteRefused(InviteRefusal.USED_UP)
            if not kept_out:
                role = await self._admit(tx, invite, identity, inside, now)
        if role is None:
            # Recorded on its own: the refusal is worth knowing, and it uses nothing up.
            async with self._db.transaction() as tx:
                await audit.record(
                    tx,
                    action="invite.refused",
                    now=now,
                    partnership_id=invite.partnership_id,
                    actor_id=identity.user_id,
                    invite=invite.ref,
                    reason="removed",
                )
            raise InviteRefused(InviteRefusal.REMOVED)
        membership = await member_store.membership(
            self._db, identity.user_id, invite.partnership_id
        )
        assert membership is not None and membership.role is role
        return membership

    async def _admit(
        self,
        tx: Transaction,
        invite: Invite,
        identity: TelegramIdentity,
        existing: Membership | None,
        now: datetime,
    ) -> Role:
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
            organisation=invite.organisation,
            country=invite.country,
        )
        await member_store.set_active_partnership(tx, identity.user_id, invite.partnership_id)
        await member_store.mark_seen(tx, identity.user_id, now)
        await invite_store.record_use(tx, invite.code, identity.user_id, now)
        await audit.record(
            tx,
            action="invite.redeem",
            now=now,
            partnership_id=invite.partnership_id,
            actor_id=identity.user_id,
            invite=invite.ref,
            role=role.value,
            organisation=invite.organisation,
            country=invite.country,
        )
        return role

    async def revoke(self, code: str) -> bool:
        """Make a code unusable (command line); False if there is no such code."""
        now = self._clock()
        async with self._db.transaction() as tx:
            invite = await invite_store.get(tx, code)
            if invite is None:
                return False
            await _revoke(tx, invite, now=now, actor_id=None, reason="command line")
        return True

    async def live(self, caller: Caller) -> list[LiveInvite]:
        """The invites of the caller's partnership that can still be used and that the caller
        may manage: admins all of them, coordinators those of the roles they may grant."""
        membership = caller.require(Capability.INVITE)
        grantable = roles_grantable_by(membership.role)
        invites = await invite_store.active_for(self._db, membership.partnership_id, self._clock())
        live = []
        for invite in invites:
            if invite.role not in grantable:
                continue
            creator = (
                await member_store.get(self._db, invite.created_by) if invite.created_by else None
            )
            live.append(LiveInvite(invite, creator.name if creator else None))
        return live

    async def revoke_by_ref(self, caller: Caller, ref: str) -> Invite:
        """Revoke one of the caller's partnership's live invites, named by its reference."""
        membership = caller.require(Capability.INVITE)
        now = self._clock()
        async with self._db.transaction() as tx:
            live = await invite_store.active_for(tx, membership.partnership_id, now)
            matching = [invite for invite in live if invite.ref == ref]
            if len(matching) != 1:
                raise NotFound("invite")
            (invite,) = matching
            if invite.role not in roles_grantable_by(membership.role):
                raise NotAllowed(Role.ADMIN)
            await _revoke(tx, invite, now=now, actor_id=caller.identity.user_id, reason="revoked")
        return invite

    async def active(self, partnership: Partnership) -> list[Invite]:
        """Codes that can still be used."""
        return await invite_store.active_for(self._db, partnership.id, self._clock())
