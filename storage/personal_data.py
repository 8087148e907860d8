"""Everything stored about one person, table by table: for their right of access (`/mydata`).

Each source is a table and the condition that makes a row theirs: written by them, about
them, or addressed to them. Meetings are those they wrote or are named in, which are exactly
the restricted ones they may see (storage/meetings.py). Secrets are left out: invite codes
(which would let someone else join) are never exported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.rows import Reader


@dataclass(frozen=True, slots=True)
class Source:
    """A table, the condition on `:member` that selects a person's rows, and the columns
    never exported."""

    table: str
    where: str
    hidden: tuple[str, ...] = ()


SOURCES: tuple[Source, ...] = (
    Source("members", "id = :member"),
    Source("memberships", "member_id = :member"),
    Source("removed_members", "member_id = :member"),
    Source("invites", "created_by = :member", hidden=("code",)),
    Source("invite_uses", "member_id = :member", hidden=("code",)),
    Source("contacts", "member_id = :member"),
    Source(
        "meetings",
        "deleted_at IS NULL AND (author_id = :member"
        " OR id IN (SELECT meeting_id FROM meeting_participants WHERE member_id = :member)"
        " OR id IN (SELECT meeting_id FROM meeting_actions WHERE owner_id = :member))",
    ),
    Source("meeting_participants", "member_id = :member"),
    Source("meeting_actions", "owner_id = :member OR done_by = :member"),
    Source("challenges", "reporter_id = :member", hidden=("idempotency_key",)),
    Source("challenge_events", "actor_id = :member"),
    Source("challenge_acknowledgements", "member_id = :member"),
    Source("challenge_alert_optouts", "member_id = :member"),
    Source("milestone_updates", "author_id = :member"),
    Source("digest_recipients", "chat_id = :member"),
    Source("broadcasts", "author_id = :member", hidden=("idempotency_key",)),
    Source("deliveries", "member_id = :member OR chat_id = :member"),
    Source("user_data", "user_id = :member"),
    Source("audit_log", "actor_id = :member"),
)


async def rows_of(conn: Reader, member_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of every source that is the person's, as plain values, by table."""
    found: dict[str, list[dict[str, Any]]] = {}
    for source in SOURCES:
        # Table names and conditions are the constants above: nothing comes from outside.
        rows = await conn.fetchall(
            f"SELECT * FROM {source.table} WHERE {source.where}", {"member": member_id}
        )
        # A sqlite3.Row iterates over its values: its column names come from keys().
        found[source.table] = [
            {key: _plain(key, row[key]) for key in row.keys() if key not in source.hidden}  # noqa: SIM118
            for row in rows
        ]
    return found


def _plain(key: str, value: Any) -> Any:
    """JSON kept in a column is given as JSON, not as a string of it."""
    if isinstance(value, str) and key in ("detail", "data", "audience", "buttons", "changes"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
