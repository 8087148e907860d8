"""Invite codes and who used them."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from domain.models import Invite, Role
from storage.db import Transaction, from_db_time, to_db_time
from storage.rows import Reader


def _invite_from_row(row: sqlite3.Row) -> Invite:
    return Invite(
        code=row["code"],
        partnership_id=row["partnership_id"],
        role=Role(row["role"]),
        max_uses=row["max_uses"],
        uses=row["uses"],
        expires_at=from_db_time(row["expires_at"]),
        created_by=row["created_by"],
        created_at=from_db_time(row["created_at"]),
        revoked=bool(row["revoked"]),
        organisation=row["organisation"],
        country=row["country"],
    )


async def insert(
    tx: Transaction,
    *,
    code: str,
    partnership_id: int,
    role: Role,
    max_uses: int,
    expires_at: datetime,
    created_by: int | None,
    now: datetime,
    organisation: str | None = None,
    country: str | None = None,
) -> None:
    """Store a new invite code."""
    await tx.execute(
        "INSERT INTO invites (code, partnership_id, role, max_uses, expires_at, created_by,"
        " created_at, organisation, country) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            code,
            partnership_id,
            role.value,
            max_uses,
            to_db_time(expires_at),
            created_by,
            to_db_time(now),
            organisation,
            country,
        ),
    )


async def get(conn: Reader, code: str) -> Invite | None:
    """One invite by code."""
    row = await conn.fetchone("SELECT * FROM invites WHERE code = ?", (code,))
    return None if row is None else _invite_from_row(row)


async def was_used_by(conn: Reader, code: str, member_id: int) -> bool:
    """True if this member already joined with this code."""
    row = await conn.fetchone(
        "SELECT 1 FROM invite_uses WHERE code = ? AND member_id = ?", (code, member_id)
    )
    return row is not None


async def record_use(tx: Transaction, code: str, member_id: int, now: datetime) -> None:
    """Count one use of the code by this member."""
    await tx.execute(
        "INSERT INTO invite_uses (code, member_id, used_at) VALUES (?, ?, ?)"
        " ON CONFLICT (code, member_id) DO UPDATE SET used_at = excluded.used_at",
        (code, member_id, to_db_time(now)),
    )
    await tx.execute("UPDATE invites SET uses = uses + 1 WHERE code = ?", (code,))


async def revoke(tx: Transaction, code: str) -> bool:
    """Make a code unusable; False if there is no such code."""
    return await tx.execute("UPDATE invites SET revoked = 1 WHERE code = ?", (code,)) > 0


_LIVE = "revoked = 0 AND uses < max_uses AND expires_at > ?"


async def active_for(conn: Reader, partnership_id: int, now: datetime) -> list[Invite]:
    """Codes of a partnership that can still be used, newest first."""
    rows = await conn.fetchall(
        f"SELECT * FROM invites WHERE partnership_id = ? AND {_LIVE}"
        " ORDER BY created_at DESC, rowid DESC",
        (partnership_id, to_db_time(now)),
    )
    return [_invite_from_row(row) for row in rows]


async def live_created_by(
    conn: Reader, partnership_id: int, member_id: int, now: datetime
) -> list[Invite]:
    """Codes one person created in a partnership that can still be used."""
    rows = await conn.fetchall(
        f"SELECT * FROM invites WHERE partnership_id = ? AND created_by = ? AND {_LIVE}"
        " ORDER BY created_at",
        (partnership_id, member_id, to_db_time(now)),
    )
    return [_invite_from_row(row) for row in rows]
