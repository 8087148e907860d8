"""Creating partnerships, bootstrapping their admins, linking group chats."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from domain.models import GroupLink, Membership, Partnership, PartnershipKind, Role
from services.access import Caller, Capability
from services.clock import Clock
from services.errors import GroupLinkedElsewhere, InvalidInput, NotFound
from services.milestones import store_plan
from services.plan_file import DEFAULT_PLAN, PlanFile, default_plan
from services.text import one_line
from services.validation import known_timezone, shipped_language
from storage import audit
from storage import members as member_store
from storage import partnerships as partnership_store
from storage.db import Database

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
MAX_NAME_LENGTH = 120


def slugify(name: str) -> str:
    """A short, URL-safe name derived from a partnership's name."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:40].rstrip("-") or "partnership"


class PartnershipService:
    """Partnerships and their group chats."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def create(
        self,
        *,
        name: str,
        kind: PartnershipKind,
        countries: tuple[str, ...],
        timezone: str,
        language: str,
        slug: str | None = None,
        plan: PlanFile | Literal["default"] | None = "default",
        plan_source: str = DEFAULT_PLAN.name,
    ) -> Partnership:
        """Create a partnership after checking every field, with an action plan: the
        default one (EU action plan 2021-2025), `plan`, or none."""
        name = one_line(name)
        if not name or len(name) > MAX_NAME_LENGTH:
            raise InvalidInput("name", f"must be 1 to {MAX_NAME_LENGTH} characters")
        slug = slug or slugify(name)
        if not SLUG_PATTERN.match(slug):
            raise InvalidInput("slug", "use 2-40 lowercase letters, digits and dashes")
        for field, check, value in (
            ("timezone", known_timezone, timezone),
            ("language", shipped_language, language),
        ):
            try:
                check(value)
            except ValueError as exc:
                raise InvalidInput(field, str(exc)) from exc
        countries = tuple(one_line(c) for c in countries if one_line(c))
        if any("," in country for country in countries):
            raise InvalidInput("countries", "country names cannot contain commas")
        if await partnership_store.get_by_slug(self._db, slug) is not None:
            free = await self._free_slug(slug)
            raise InvalidInput(
                "slug", f"'{slug}' is taken: give another with --slug, e.g. --slug {free}"
            )
        now = self._clock()
        async with self._db.transaction() as tx:
            partnership_id = await partnership_store.insert(
                tx,
                slug=slug,
                name=name,
                kind=kind,
                countries=countries,
                timezone=timezone,
                language=language,
                now=now,
            )
            chosen = default_plan() if isinstance(plan, str) else plan
            if chosen is not None:
                await store_plan(tx, partnership_id, chosen, source=plan_source, now=now)
            await audit.record(
                tx,
                action="partnership.create",
                now=now,
                partnership_id=partnership_id,
                slug=slug,
            )
        created = await partnership_store.get(self._db, partnership_id)
        assert created is not None
        return created

    async def _free_slug(self, taken: str) -> str:
        """A slug like `taken` that no partnership has yet: taken-2, taken-3, ..."""
        number = 2
        while await partnership_store.get_by_slug(self._db, f"{taken}-{number}") is not None:
            number += 1
        return f"{taken}-{number}"

    async def by_slug(self, slug: str) -> Partnership:
        """A partnership by slug, or NotFound."""
        found = await partnership_store.get_by_slug(self._db, slug)
        if found is None:
            raise NotFound(slug)
        return found

    async def get(self, partnership_id: int) -> Partnership:
        """A partnership by id (NotFound if it is gone)."""
        found = await partnership_store.get(self._db, partnership_id)
        if found is None:
            raise NotFound("partnership")
        return found

    async def list_all(self) -> list[Partnership]:
        """Every partnership."""
        return await partnership_store.list_all(self._db)

    async def add_member(
        self,
        partnership: Partnership,
        *,
        user_id: int,
        name: str,
        role: Role,
        username: str | None = None,
        organisation: str | None = None,
        country: str | None = None,
    ) -> Membership:
        """Put a Telegram user into a partnership directly (command line, demo data).

        An admin runs this: the organisation and country given are confirmed, and someone
        removed earlier is readmitted."""
        if user_id <= 0:
            raise InvalidInput("user_id", "a Telegram user id is a positive number")
        now = self._clock()
        async with self._db.transaction() as tx:
            existing = await member_store.get(tx, user_id)
            await member_store.upsert(
                tx,
                member_id=user_id,
                name=name if name else (existing.name if existing else str(user_id)),
                username=username if username else (existing.username if existing else None),
                telegram_language=existing.telegram_language if existing else None,
                now=now,
            )
            await member_store.add_membership(
                tx,
                partnership_id=partnership.id,
                member_id=user_id,
                role=role,
                organisation=organisation,
                country=country,
                now=now,
            )
            await member_store.readmit(tx, partnership.id, user_id)
            if existing is None or existing.active_partnership_id is None:
                await member_store.set_active_partnership(tx, user_id, partnership.id)
            await audit.record(
                tx,
                action="member.add",
                now=now,
                partnership_id=partnership.id,
                member_id=user_id,
                role=role.value,
            )
        membership = await member_store.membership(self._db, user_id, partnership.id)
        assert membership is not None
        return membership

    async def link_group(self, caller: Caller, *, chat_id: int, title: str) -> GroupLink:
        """Link a group chat to the caller's active partnership (admins only).

        A group linked to another partnership stays linked to it: only an admin of that one
        may unlink it first. The attempt is refused, and recorded in the audit log of both."""
        membership = caller.require(Capability.LINK_GROUP)
        now = self._clock()
        async with self._db.transaction() as tx:
            linked = await partnership_store.link_group(
                tx,
                chat_id=chat_id,
                partnership_id=membership.partnership_id,
                title=title[:255],
                by=caller.identity.user_id,
                now=now,
            )
            if linked:
                await audit.record(
                    tx,
                    action="group.link",
                    now=now,
                    partnership_id=membership.partnership_id,
                    actor_id=caller.identity.user_id,
                    chat_id=chat_id,
                )
            else:
                holder = await partnership_store.group_link(tx, chat_id)
                assert holder is not None
                # The holder's admins learn of the attempt; the caller learns nothing of them.
                for partnership_id in (membership.partnership_id, holder.partnership_id):
                    await audit.record(
                        tx,
                        action="group.link_refused",
                        now=now,
                        partnership_id=partnership_id,
                        actor_id=caller.identity.user_id,
                        chat_id=chat_id,
                        reason="linked to another partnership",
                    )
        if not linked:
            raise GroupLinkedElsewhere()
        link = await partnership_store.group_link(self._db, chat_id)
        assert link is not None
        return link

    async def unlink_group(self, caller: Caller, *, chat_id: int) -> bool:
        """Unlink a group chat; only an admin of the partnership it is linked to may."""
        link = await partnership_store.group_link(self._db, chat_id)
        if link is None:
            return False
        membership = await member_store.membership(
            self._db, caller.identity.user_id, link.partnership_id
        )
        if membership is None or not membership.role.at_least(Capability.LINK_GROUP.least_role):
            raise NotFound("group link")
        now = self._clock()
        async with self._db.transaction() as tx:
            removed = await partnership_store.unlink_group(tx, chat_id)
            await audit.record(
                tx,
                action="group.unlink",
                now=now,
                partnership_id=link.partnership_id,
                actor_id=caller.identity.user_id,
                chat_id=chat_id,
            )
        return removed

    async def group_link(self, chat_id: int) -> GroupLink | None:
        """Which partnership a group chat is linked to."""
        return await partnership_store.group_link(self._db, chat_id)

    async def groups_of(self, partnership_id: int) -> list[GroupLink]:
        """Group chats linked to a partnership."""
        return await partnership_store.groups_of(self._db, partnership_id)
