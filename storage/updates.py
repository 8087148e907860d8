"""Update ids already handled, so an update Telegram delivers twice is handled once."""

from __future__ import annotations

from datetime import datetime

from storage.db import Transaction, to_db_time


async def claim(tx: Transaction, update_id: int, now: datetime) -> bool:
    """Record the update as handled; False if it was handled before."""
    inserted = await tx.execute(
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
