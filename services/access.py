"""Who is calling, what their role lets them do, and their personal choices."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from domain.models import LANGUAGES, Member, Membership, Role
from services.clock import Clock
from services.errors import InvalidInput, NotAllowed, NotAMember
from services.text import one_line
from storage import conversations as conversation_store
from storage import members as member_store
from storage.db import Database


class Capability(StrEnum):
    """Things a role may do; each names the least role that may do it."""

    READ = "read"
    INVITE = "invite"
    MANAGE_MEMBERS = "manage_members"
    LINK_GROUP = "link_group"
    BROADCAST = "broadcast"
    MANAGE_CONTACTS = "manage_contacts"
    FLAG_CHALLENGES = "flag_challenges"
    MANAGE_CHALLENGES = "manage_challenges"
    CONFIGURE_ESCALATION = "configure_escalation"
    READMIT_MEMBERS = "readmit_members"
    UPDATE_MILESTONES = "update_milestones"
    LOG_MEETINGS = "log_meetings"
    MANAGE_MEETINGS = "manage_meetings"
    REPORT_RESTRICTED = "report_restricted"
    READ_AUDIT = "read_audit"
    MANAGE_RETENTION = "manage_retention"

    @property
    def least_role(self) -> Role:
        """The lowest role holding this capability."""
        return _LEAST_ROLE[self]


_LEAST_ROLE = {
    Capability.READ: Role.OBSERVER,
    Capability.INVITE: Role.COORDINATOR,
    Capability.MANAGE_MEMBERS: Role.COORDINATOR,
    # Letting someone who was removed join again.
    Capability.READMIT_MEMBERS: Role.ADMIN,
    Capability.LINK_GROUP: Role.ADMIN,
    Capability.BROADCAST: Role.COORDINATOR,
    Capability.MANAGE_CONTACTS: Role.COORDINATOR,
    Capability.FLAG_CHALLENGES: Role.MEMBER,
    # Moving challenges through their lifecycle; their alerts go to coordinators.
    Capability.MANAGE_CHALLENGES: Role.COORDINATOR,
    Capability.CONFIGURE_ESCALATION: Role.ADMIN,
    # Members may update the milestones they own (services/milestones.py).
    Capability.UPDATE_MILESTONES: Role.COORDINATOR,
    Capability.LOG_MEETINGS: Role.MEMBER,
    # Editing and deleting the meetings of others; anyone may edit their own.
    Capability.MANAGE_MEETINGS: Role.COORDINATOR,
    # Reports that include restricted meetings and challenges (then marked restricted).
    Capability.REPORT_RESTRICTED: Role.COORDINATOR,
    # The audit log: who did what in the partnership.
    Capability.READ_AUDIT: Role.ADMIN,
    # How long the partnership keeps sent texts, drafts, challenge files, departed names.
    Capability.MANAGE_RETENTION: Role.ADMIN,
}


def roles_grantable_by(role: Role | None) -> tuple[Role, ...]:
    """Roles someone may hand out in invites: admins any, coordinators up to member."""
    if role is None:
        return ()
    if role is Role.ADMIN:
        return (Role.ADMIN, Role.COORDINATOR, Role.MEMBER, Role.OBSERVER)
    if role is Role.COORDINATOR:
        return (Role.MEMBER, Role.OBSERVER)
    return ()


@dataclass(frozen=True, slots=True)
class TelegramIdentity:
    """What Telegram says about the person behind an update."""

    user_id: int
    name: str
    username: str | None
    language_code: str | None


@dataclass(frozen=True, slots=True)
class Caller:
    """The person behind an update, as the bot knows them."""

    identity: TelegramIdentity
    member: Member | None
    membership: Membership | None  # in the active partnership

    @property
    def is_member(self) -> bool:
        """True once they joined at least one partnership."""
        return self.membership is not None

    @property
    def role(self) -> Role | None:
        """Their role in the active partnership."""
        return None if self.membership is None else self.membership.role

    def can(self, capability: Capability) -> bool:
        """True if their role in the active partnership allows the capability."""
        return self.role is not None and self.role.at_least(capability.least_role)

    def require_membership(self) -> Membership:
        """Their active membership, or NotAMember."""
        if self.membership is None:
            raise NotAMember()
        return self.membership

    def require(self, capability: Capability) -> Membership:
        """Their membership, or an error saying why they may not."""
        if self.membership is None:
            raise NotAMember()
        if not self.can(capability):
            raise NotAllowed(capability.least_role)
        return self.membership

    def language(self, fallback: str) -> str:
        """Their chosen language, else Telegram's, else the partnership's, else `fallback`."""
        if self.member is not None and self.member.language in LANGUAGES:
            return self.member.language
        telegram = normalise_language(self.identity.language_code)
        if telegram is not None:
            return telegram
        if self.membership is not None:
            return self.membership.partnership.language
        return fallback


def language_of(member: Member, fallback: str) -> str:
    """The language a member reads: chosen, else Telegram's, else `fallback`."""
    return member.language or normalise_language(member.telegram_language) or fallback


def normalise_language(code: str | None) -> str | None:
    """Map Telegram's IETF tag ('pt-br', 'fr') onto a shipped language, or None."""
    if not code:
        return None
    base = code.lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None


class AccessService:
    """Identifies callers and keeps their personal choices."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def identify(self, identity: TelegramIdentity) -> Caller:
        """Look the person up; refresh their name and language if Telegram changed them."""
        identity = replace(
            identity,
            name=one_line(identity.name),
            username=one_line(identity.username) if identity.username else identity.username,
        )
        # Every update starts here: lookups by key, run at once on the direct connection.
        member = await member_store.get(self._db.direct, identity.user_id)
        if member is None:
            return Caller(identity, None, None)
        if member.unreachable or not member.seen:
            # They wrote to us: they no longer block the bot, and their chat exists.
            async with self._db.transaction() as tx:
                await member_store.set_unreachable(tx, member.id, None)
                await member_store.mark_seen(tx, member.id, self._clock())
        if (member.name, member.username, member.telegram_language) != (
            identity.name,
            identity.username,
            identity.language_code,
        ):
            async with self._db.transaction() as tx:
                await member_store.upsert(
                    tx,
                    member_id=identity.user_id,
                    name=identity.name,
                    username=identity.username,
                    telegram_language=identity.language_code,
                    now=self._clock(),
                )
            member = await member_store.get(self._db.direct, identity.user_id)
            assert member is not None
        membership = await self._active_membership(member)
        return Caller(identity, member, membership)

    async def identify_known(self, member_id: int) -> Caller | None:
        """A member as the bot knows them, without a fresh update from Telegram."""
        member = await member_store.get(self._db, member_id)
        if member is None:
            return None
        identity = TelegramIdentity(
            member_id, member.name, member.username, member.telegram_language
        )
        return Caller(identity, member, await self._active_membership(member))

    async def _active_membership(self, member: Member) -> Membership | None:
        direct = self._db.direct
        if member.active_partnership_id is not None:
            found = await member_store.membership(direct, member.id, member.active_partnership_id)
            if found is not None:
                return found
        # No valid active choice (never made, or removed since): fall back to the first one.
        memberships = await member_store.memberships_of(direct, member.id)
        return memberships[0] if memberships else None

    async def menu_owners(self, fallback_language: str) -> list[tuple[int, Role | None, str]]:
        """(chat id, role, language) of every member whose chat has a menu of its own."""
        owners = await member_store.with_own_menu(self._db)
        return [
            (
                member.id,
                role,
                member.language
                or normalise_language(member.telegram_language)
                or fallback_language,
            )
            for member, role in owners
        ]

    async def open_flows(self, key: str) -> list[str]:
        """Flows (conversations) open under one stored conversation key (the bot's persistence
        makes it from the chat and the person), as last saved."""
        return await conversation_store.open_names(self._db, key)

    async def memberships(self, caller: Caller) -> list[Membership]:
        """Every partnership the caller belongs to."""
        return await member_store.memberships_of(self._db, caller.identity.user_id)

    async def switch_partnership(self, caller: Caller, partnership_id: int) -> Membership:
        """Make another of the caller's partnerships the active one."""
        found = await member_store.membership(self._db, caller.identity.user_id, partnership_id)
        if found is None:
            raise NotAMember()
        async with self._db.transaction() as tx:
            await member_store.set_active_partnership(tx, caller.identity.user_id, partnership_id)
        return found

    async def set_language(self, caller: Caller, language: str) -> None:
        """Store the caller's language choice."""
        if language not in LANGUAGES:
            raise InvalidInput("language", "unknown")
        if caller.member is None:
            raise NotAMember()
        async with self._db.transaction() as tx:
            await member_store.set_language(tx, caller.identity.user_id, language)
