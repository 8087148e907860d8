"""The bot's persistence on the SQLite store writes a person's drafts only when they change."""

from __future__ import annotations

import json

from bot.persistence import SQLitePersistence
from storage.db import Database


async def stored(db: Database, user_id: int) -> object:
    value = await db.fetchvalue("SELECT data FROM user_data WHERE user_id = ?", (user_id,))
    return None if value is None else json.loads(value)


async def test_drafts_are_written_when_they_change_and_only_then(db: Database) -> None:
    persistence = SQLitePersistence(db)
    await persistence.update_user_data(7, {"meeting": {"title": "Niamey"}})
    assert await stored(db, 7) == {"meeting": {"title": "Niamey"}}
    # Proof that an unchanged draft is not written again: a row removed behind its back stays
    # removed (PTB asks to save the drafts of every update's person).
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM user_data WHERE user_id = 7")
    await persistence.update_user_data(7, {"meeting": {"title": "Niamey"}})
    assert await stored(db, 7) is None
    await persistence.update_user_data(7, {"meeting": {"title": "Agadez"}})
    assert await stored(db, 7) == {"meeting": {"title": "Agadez"}}
    await persistence.update_user_data(7, {})
    assert await stored(db, 7) is None


async def test_drafts_loaded_at_start_are_not_written_back_unchanged(db: Database) -> None:
    await SQLitePersistence(db).update_user_data(8, {"flag": {"route": "Agadez"}})
    restarted = SQLitePersistence(db)
    loaded = await restarted.get_user_data()
    async with db.transaction() as tx:
        await tx.execute("UPDATE user_data SET data = '{\"marker\": 1}' WHERE user_id = 8")
    await restarted.update_user_data(8, loaded[8])
    assert await stored(db, 8) == {"marker": 1}  # not rewritten: it had not changed
    await restarted.drop_user_data(8)
    assert await stored(db, 8) is None
    await restarted.update_user_data(8, loaded[8])
    assert await stored(db, 8) == {"flag": {"route": "Agadez"}}
