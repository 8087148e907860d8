"""The audit log: who did what, when, in which partnership."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from domain.audit import AuditEntry
from storage.db import Transaction, from_db_time, to_db_time
from storage.rows import Reader

_RECORD = (
    "INSERT INTO audit_log (at, partnership_id, actor_id, action, detail) VALUES (?, ?, ?, ?, ?)"
)


def _row(
    action: str, now: datetime, partnership_id: int | None, actor_id: int | None, detail: Any
) -> tuple[object, ...]:
    return (to_db_time(now), partnership_id, actor_id, action, json.dumps(detail, default=str))


async def record(
    tx: Transaction,
    *,
    action: str,
    now: datetime,
    partnership_id: int | None = None,
    actor_id: int | None = None,
    **detail: Any,
) -> None:
    """Append an entry, in the same transaction as the change it describes."""
    await tx.execute(_RECORD, _row(action, now, partnership_id, actor_id, detail))


async def record_many(
    tx: Transaction, entries: Sequence[tuple[str, datetime, int | None, int | None, dict[str, Any]]]
) -> None:
    """`record` for many (action, now, partnership, actor, detail) entries at once."""
    await tx.executemany(_RECORD, [_row(*entry) for entry in entries])


async def recent(conn: Reader, partnership_id: int | None, limit: int = 50) -> list[AuditEntry]:
    """Newest entries first, for one partnership or (None) for the entries of none."""
    rows = await conn.fetchall(
        "SELECT * FROM audit_log WHERE partnership_id IS ? ORDER BY id DESC LIMIT ?",
        (partnership_id, limit),
    )
    return [_entry(row) for row in rows]


async def latest(conn: Reader, partnership_id: int, action: str) -> AuditEntry | None:
    """A partnership's newest entry of one action, if any."""
    row = await conn.fetchone(
        "SELECT * FROM audit_log WHERE partnership_id = ? AND action = ? ORDER BY id DESC LIMIT 1",
        (partnership_id, action),
    )
    return None if row is None else _entry(row)


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        at=from_db_time(row["at"]),
        partnership_id=row["partnership_id"],
        actor_id=row["actor_id"],
        action=row["action"],
        detail=json.loads(row["detail"]),
    )


def _where(
    partnership_id: int,
    *,
    actor_id: int | None,
    kinds: Sequence[str] | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[str, list[object]]:
    """The WHERE clause of a filtered read: `kinds` are the parts of actions before their
    first dot ("member" of "member.role")."""
    clauses, values = ["partnership_id = ?"], [cast(object, partnership_id)]
    if actor_id is not None:
        clauses.append("actor_id = ?")
        values.append(actor_id)
    if kinds is not None:
        marks = ", ".join("?" for _ in kinds) or "NULL"
        clauses.append(f"substr(action, 1, instr(action || '.', '.') - 1) IN ({marks})")
        values.extend(kinds)
    if since is not None:
        clauses.append("at >= ?")
        values.append(to_db_time(since))
    if until is not None:
        clauses.append("at < ?")
        values.append(to_db_time(until))
    return " AND ".join(clauses), values


async def search(
    conn: Reader,
    partnership_id: int,
    *,
    actor_id: int | None = None,
    kinds: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[AuditEntry]:
    """A partnership's entries, newest first, filtered by actor, kind of action and time
    (`since` included, `until` excluded); all of them without a `limit`."""
    where, values = _where(partnership_id, actor_id=actor_id, kinds=kinds, since=since, until=until)
    rows = await conn.fetchall(
        f"SELECT * FROM audit_log WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
        (*values, -1 if limit is None else limit, offset),
    )
    return [_entry(row) for row in rows]


async def count(
    conn: Reader,
    partnership_id: int,
    *,
    actor_id: int | None = None,
    kinds: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """How many entries `search` would return without a limit."""
    where, values = _where(partnership_id, actor_id=actor_id, kinds=kinds, since=since, until=until)
    row = await conn.fetchone(f"SELECT COUNT(*) FROM audit_log WHERE {where}", tuple(values))
    return int(row[0]) if row else 0


async def actors(conn: Reader, partnership_id: int) -> list[tuple[int, str, str | None]]:
    """(id, stored name, username) of everyone who acted in a partnership, by name; people
    the bot no longer knows are left out."""
    rows = await conn.fetchall(
        "SELECT DISTINCT u.id, u.name, u.username FROM audit_log a"
        " JOIN members u ON u.id = a.actor_id"
        " WHERE a.partnership_id = ? ORDER BY u.name COLLATE NOCASE, u.id",
        (partnership_id,),
    )
    return [(int(row["id"]), str(row["name"]), row["username"]) for row in rows]


async def member_names(conn: Reader, partnership_id: int) -> dict[int, str]:
    """The names of a partnership's members, present and removed."""
    rows = await conn.fetchall(
        "SELECT u.id, u.name FROM members u WHERE u.id IN"
        " (SELECT member_id FROM memberships WHERE partnership_id = ?"
        "  UNION SELECT member_id FROM removed_members WHERE partnership_id = ?)",
        (partnership_id, partnership_id),
    )
    return {int(row["id"]): str(row["name"]) for row in rows}
