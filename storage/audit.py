"""The audit log: who did what, when, in which partnership."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from domain.audit import AuditEntry
from storage.db import Transaction, from_db_time, to_db_time
from storage.rows import Reader


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
    await tx.execute(
        "INSERT INTO audit_log (at, partnership_id, actor_id, action, detail)"
        " VALUES (?, ?, ?, ?, ?)",
        (to_db_time(now), partnership_id, actor_id, action, json.dumps(detail, default=str)),
    )


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
