"""Partnerships and the group chats linked to them."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from domain.models import GroupLink, Partnership, PartnershipKind
from storage.db import Transaction, from_db_time, to_db_time
from storage.rows import Reader


def partnership_from_row(row: sqlite3.Row, prefix: str = "") -> Partnership:
    """Build a Partnership from columns named `<prefix>id`, `<prefix>slug`, ..."""
    countries = row[f"{prefix}countries"]
    return Partnership(
        id=row[f"{prefix}id"],
        slug=row[f"{prefix}slug"],
        name=row[f"{prefix}name"],
        kind=PartnershipKind(row[f"{prefix}kind"]),
        countries=tuple(c for c in countries.split(",") if c),
        timezone=row[f"{prefix}timezone"],
        language=row[f"{prefix}language"],
        created_at=from_db_time(row[f"{prefix}created_at"]),
    )


async def insert(
    tx: Transaction,
    *,
    slug: str,
    name: str,
    kind: PartnershipKind,
    countries: tuple[str, ...],
    timezone: str,
    language: str,
    now: datetime,
) -> int:
    """Create a partnership; returns its id."""
    return await tx.insert(
        "INSERT INTO partnerships (slug, name, kind, countries, timezone, language, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (slug, name, kind.value, ",".join(countries), timezone, language, to_db_time(now)),
    )


async def get(conn: Reader, partnership_id: int) -> Partnership | None:
    """One partnership by id."""
    row = await conn.fetchone("SELECT * FROM partnerships WHERE id = ?", (partnership_id,))
    return None if row is None else partnership_from_row(row)


async def get_by_slug(conn: Reader, slug: str) -> Partnership | None:
    """One partnership by its short name."""
    row = await conn.fetchone("SELECT * FROM partnerships WHERE slug = ?", (slug,))
    return None if row is None else partnership_from_row(row)


async def list_all(conn: Reader) -> list[Partnership]:
    """Every partnership, by name."""
    rows = await conn.fetchall("SELECT * FROM partnerships ORDER BY name")
    return [partnership_from_row(row) for row in rows]


def _group_from_row(row: sqlite3.Row) -> GroupLink:
    return GroupLink(
        chat_id=row["chat_id"],
        partnership_id=row["partnership_id"],
        title=row["title"],
        linked_by=row["linked_by"],
        linked_at=from_db_time(row["linked_at"]),
    )


async def link_group(
    tx: Transaction, *, chat_id: int, partnership_id: int, title: str, by: int, now: datetime
) -> bool:
    """Link a group chat to a partnership (again: the title and who linked it are renewed).
    False, changing nothing, if the chat is linked to another partnership."""
    changed = await tx.execute(
        "INSERT INTO group_links (chat_id, partnership_id, title, linked_by, linked_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET"
        " title = excluded.title, linked_by = excluded.linked_by,"
        " linked_at = excluded.linked_at"
        " WHERE group_links.partnership_id = excluded.partnership_id",
        (chat_id, partnership_id, title, by, to_db_time(now)),
    )
    return changed > 0


async def unlink_group(tx: Transaction, chat_id: int) -> bool:
    """Remove a group link; True if there was one."""
    return await tx.execute("DELETE FROM group_links WHERE chat_id = ?", (chat_id,)) > 0


async def group_link(conn: Reader, chat_id: int) -> GroupLink | None:
    """The link of one group chat, if any."""
    row = await conn.fetchone("SELECT * FROM group_links WHERE chat_id = ?", (chat_id,))
    return None if row is None else _group_from_row(row)


async def groups_of(conn: Reader, partnership_id: int) -> list[GroupLink]:
    """Group chats linked to a partnership."""
    rows = await conn.fetchall(
        "SELECT * FROM group_links WHERE partnership_id = ? ORDER BY title", (partnership_id,)
    )
    return [_group_from_row(row) for row in rows]
