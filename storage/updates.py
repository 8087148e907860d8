"""Update ids already handled, so an update Telegram delivers twice is handled once."""

from __future__ import annotations

from datetime import datetime

from storage.db import Database, Transaction, from_db_time, to_db_time
from storage.rows import Reader


async def claim(db: Database, update_id: int, now: datetime) -> bool:
    """Record the update as handled; False if it was handled before (one statement, committed
    at once: it runs for every update)."""
    inserted = await db.execute_alone(
        "INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?)"
        " ON CONFLICT (update_id) DO NOTHING",
        (update_id, to_db_time(now)),
    )
    return inserted > 0


async def forget_before(tx: Transaction, cutoff: datetime) -> int:
    """Drop records older than `cutoff`; Telegram keeps updates for at most a day."""
    return await tx.execute(
        "DELETE FROM processed_updates WHERE processed_at < ?", (to_db_time(cutoff),)
    )


async def latest(conn: Reader) -> tuple[int, datetime] | None:
    """The newest handled update id and when it was handled; None before the first."""
    row = await conn.fetchone(
        "SELECT update_id, processed_at FROM processed_updates ORDER BY update_id DESC LIMIT 1"
    )
    return None if row is None else (int(row["update_id"]), from_db_time(row["processed_at"]))
