"""Conversation states and per-user drafts, stored for the bot's persistence class."""

from __future__ import annotations

import json
from typing import Any

from storage.db import Database
from storage.rows import Reader


async def load_conversations(conn: Reader, name: str) -> dict[str, Any]:
    """Every stored state of one conversation handler, keyed by the JSON of its key."""
    rows = await conn.fetchall("SELECT key, state FROM conversations WHERE name = ?", (name,))
    return {row["key"]: json.loads(row["state"]) for row in rows}


async def save_conversation(db: Database, name: str, key: str, state: Any) -> None:
    """Store one conversation's state; None ends it (one statement, committed at once)."""
    if state is None:
        await db.execute_alone("DELETE FROM conversations WHERE name = ? AND key = ?", (name, key))
        return
    await db.execute_alone(
        "INSERT INTO conversations (name, key, state) VALUES (?, ?, ?)"
        " ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
        (name, key, json.dumps(state)),
    )


async def load_user_data(conn: Reader) -> dict[int, dict[Any, Any]]:
    """Every user's stored drafts."""
    rows = await conn.fetchall("SELECT user_id, data FROM user_data")
    return {row["user_id"]: json.loads(row["data"]) for row in rows}


async def save_user_data(db: Database, user_id: int, data: dict[Any, Any]) -> None:
    """Store one user's drafts; an empty dict deletes the row (one statement, committed at
    once)."""
    if not data:
        await db.execute_alone("DELETE FROM user_data WHERE user_id = ?", (user_id,))
        return
    await db.execute_alone(
        "INSERT INTO user_data (user_id, data) VALUES (?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET data = excluded.data",
        (user_id, json.dumps(data)),
    )


async def open_names(conn: Reader, key: str) -> list[str]:
    """Names of the conversations open under one key, as `save_conversation` stored it."""
    rows = await conn.fetchall("SELECT name FROM conversations WHERE key = ?", (key,))
    return [row["name"] for row in rows]
