"""A small key-value table for settings and markers that need no schema of their own."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from storage.db import Transaction, to_db_time
from storage.rows import Reader


async def put(tx: Transaction, key: str, value: Any, now: datetime) -> None:
    """Store a JSON-serialisable value under a key."""
    await tx.execute(
        "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key)"
        " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (key, json.dumps(value), to_db_time(now)),
    )


async def get(conn: Reader, key: str, default: Any = None) -> Any:
    """The value under a key, or `default`."""
    row = await conn.fetchone("SELECT value FROM kv WHERE key = ?", (key,))
    return default if row is None else json.loads(row["value"])


async def delete(tx: Transaction, key: str) -> None:
    """Forget a key."""
    await tx.execute("DELETE FROM kv WHERE key = ?", (key,))
