"""Forgetting a person: their own rows removed, the copies of their name replaced, the
partnership's record kept.

What is theirs alone goes (memberships, card, drafts, digest settings, alert choices, the texts
of messages sent to them). What the partnership's record needs stays, with their name replaced
by `FORMER_MEMBER` (shown as "former member" in each reader's language): meetings they wrote or
attended, actions they owned, steps of challenges and milestones. Their id stays as a number,
so nobody else takes their place. Finally every text column of every table (the search
indexes included) is searched for their name, @username and phone numbers as whole words, and
each one found is replaced: a meeting's summary that names them no longer does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from storage.db import Transaction, to_db_time
from storage.retention import FORMER_MEMBER, anonymise

#: Words shorter than this are not searched for in free texts: "Ali" would match "Mali".
MIN_SCRUBBED = 4
_SHADOW = re.compile(r"_(data|idx|docsize|config|content)$")
_FULL_TEXT = ("contacts_fts", "meetings_fts", "challenges_fts")


async def erase(tx: Transaction, member_id: int, words: Sequence[str], now: datetime) -> int:
    """Forget a person (see the module); returns how many free-text values were rewritten."""
    await tx.execute("DELETE FROM memberships WHERE member_id = ?", (member_id,))
    await tx.execute("DELETE FROM contacts WHERE member_id = ?", (member_id,))
    await anonymise(tx, [member_id], now)
    await tx.execute(
        "UPDATE members SET language = NULL, telegram_language = NULL,"
        " active_partnership_id = NULL, updated_at = ? WHERE id = ?",
        (to_db_time(now), member_id),
    )
    for sql in (
        "UPDATE meeting_participants SET name = :former, organisation = '' WHERE member_id = :id",
        "UPDATE meeting_actions SET owner_name = :former WHERE owner_id = :id",
        "UPDATE challenge_events SET actor_name = :former WHERE actor_id = :id",
        "UPDATE milestone_updates SET author_name = :former WHERE author_id = :id",
        "UPDATE deliveries SET text = '', buttons = '[]', media_file_id = NULL"
        " WHERE chat_id = :id OR member_id = :id",
        "DELETE FROM user_data WHERE user_id = :id",
        "DELETE FROM conversations WHERE json_extract(key, '$[1]') = :id",
        "DELETE FROM digest_recipients WHERE chat_id = :id",
        "DELETE FROM challenge_alert_optouts WHERE member_id = :id",
    ):
        await tx.execute(sql, {"former": FORMER_MEMBER, "id": member_id})
    rewritten = await _scrub(tx, [w for w in words if len(w.strip()) >= MIN_SCRUBBED])
    for table in _FULL_TEXT:
        # Merging the index's segments drops the words of the rows just rewritten.
        await tx.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
    return rewritten


async def _scrub(tx: Transaction, words: Sequence[str]) -> int:
    """Replace each word, as a whole word, in every text column of every table."""
    if not words:
        return 0
    pattern = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(w.strip()) for w in words) + r")(?!\w)", re.IGNORECASE
    )
    tables = [
        row[0]
        for row in await tx.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name != 'migrations'"
        )
        if not _SHADOW.search(row[0])
    ]
    rewritten = 0
    for table in tables:
        columns = [
            row[1]
            for row in await tx.fetchall(f"PRAGMA table_info({table})")
            if row[2].upper() in ("TEXT", "")
        ]
        for column in columns:
            # Names come from the schema itself; the words are parameters.
            found = await tx.fetchall(
                f"SELECT rowid, {column} FROM {table} WHERE "
                + " OR ".join(f"{column} LIKE ?" for _ in words),
                [f"%{w.strip()}%" for w in words],
            )
            for rowid, value in found:
                if not isinstance(value, str):
                    continue
                replaced = pattern.sub(FORMER_MEMBER, value)
                if replaced != value:
                    await tx.execute(
                        f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (replaced, rowid)
                    )
                    rewritten += 1
    return rewritten
