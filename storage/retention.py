"""Retention: the rules partnerships set, and the rows each rule finds and clears.

Every rule has a `find_*` (which rows are due, read-only: the dry run uses it alone) and a
clearing function that changes exactly the rows found, so a dry run reports what the real
run then does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Transaction, from_db_time, to_db_time
from storage.rows import Reader

#: What a departed member's name becomes.
FORMER_MEMBER = "Former member"


@dataclass(frozen=True, slots=True)
class StoredRule:
    """A rule a partnership set: its value in the rule's unit, None when it is off."""

    partnership_id: int
    rule: str
    value: int | None


async def rules(conn: Reader, partnership_id: int | None = None) -> list[StoredRule]:
    """The rules set for one partnership, or (None) for every partnership."""
    rows = await conn.fetchall(
        "SELECT partnership_id, rule, value FROM retention_rules"
        " WHERE ? IS NULL OR partnership_id = ? ORDER BY partnership_id, rule",
        (partnership_id, partnership_id),
    )
    return [StoredRule(row["partnership_id"], row["rule"], row["value"]) for row in rows]


async def set_rule(
    tx: Transaction,
    partnership_id: int,
    rule: str,
    value: int | None,
    *,
    by: int | None,
    now: datetime,
) -> None:
    """Store a partnership's rule (None: off)."""
    await tx.execute(
        "INSERT INTO retention_rules (partnership_id, rule, value, changed_by, changed_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (partnership_id, rule) DO UPDATE SET"
        " value = excluded.value, changed_by = excluded.changed_by,"
        " changed_at = excluded.changed_at",
        (partnership_id, rule, value, by, to_db_time(now)),
    )


# -- texts of the outbox --------------------------------------------------------------------


async def find_sent_texts(
    conn: Reader, partnership_id: int | None, before: datetime
) -> tuple[list[int], list[int]]:
    """Deliveries of a partnership's outbox (None: of no partnership) finished before
    `before` whose text, buttons or file are still kept, and its broadcasts made before it
    whose body is still kept and which have nothing left to send or remind."""
    cutoff = to_db_time(before)
    deliveries = await conn.fetchall(
        "SELECT d.id FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id"
        " WHERE b.partnership_id IS ?"
        " AND ((d.status = 'sent' AND d.sent_at <= ?)"
        "      OR (d.status = 'dead' AND d.created_at <= ?))"
        " AND (d.text <> '' OR d.buttons <> '[]' OR d.media_file_id IS NOT NULL)"
        " ORDER BY d.id",
        (partnership_id, cutoff, cutoff),
    )
    broadcasts = await conn.fetchall(
        "SELECT b.id FROM broadcasts b WHERE b.partnership_id IS ? AND b.created_at <= ?"
        " AND b.body <> ''"
        " AND (b.remind_at IS NULL OR b.reminded_at IS NOT NULL)"
        " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.broadcast_id = b.id"
        "                 AND d.status IN ('pending', 'sending', 'failed'))"
        " ORDER BY b.id",
        (partnership_id, cutoff),
    )
    return [row["id"] for row in deliveries], [row["id"] for row in broadcasts]


async def blank_texts(
    tx: Transaction, delivery_ids: Sequence[int], broadcast_ids: Sequence[int]
) -> None:
    """Empty the texts, buttons and files of deliveries, and the bodies of broadcasts; the
    rows stay, with their statuses and acknowledgements."""
    await tx.executemany(
        "UPDATE deliveries SET text = '', buttons = '[]', media_file_id = NULL WHERE id = ?",
        [(i,) for i in delivery_ids],
    )
    await tx.executemany(
        "UPDATE broadcasts SET body = '' WHERE id = ?", [(i,) for i in broadcast_ids]
    )


# -- drafts ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredDraft:
    """A flow's draft kept in a person's data: the flow, when it was last touched, and the
    partnership it was started in (None if unknown)."""

    user_id: int
    flow: str
    touched: datetime
    partnership_id: int | None


def drafts_in(user_id: int, data: dict[str, Any]) -> list[StoredDraft]:
    """The drafts of flows in one person's data (entries with a `touched` time)."""
    found = []
    for name, state in data.items():
        if not isinstance(state, dict) or not isinstance(state.get("touched"), str):
            continue
        try:
            touched = datetime.fromisoformat(state["touched"])
        except ValueError:
            continue
        if touched.tzinfo is None:
            continue  # never written so by the flows; left alone rather than guessed
        extra = state.get("extra")
        partnership = state.get("partnership")
        if partnership is None and isinstance(extra, dict):
            partnership = extra.get("partnership")
        partnership_id = int(str(partnership)) if str(partnership).isdigit() else None
        found.append(StoredDraft(user_id, name, from_db_time(touched.isoformat()), partnership_id))
    return found


async def all_drafts(conn: Reader) -> list[StoredDraft]:
    """Every flow draft kept in people's data."""
    rows = await conn.fetchall("SELECT user_id, data FROM user_data ORDER BY user_id")
    found = []
    for row in rows:
        data = json.loads(row["data"])
        if isinstance(data, dict):
            found += drafts_in(row["user_id"], data)
    return found


async def delete_drafts(tx: Transaction, drafts: Iterable[StoredDraft]) -> None:
    """Remove drafts from people's data; a person left without data loses the row."""
    by_user: dict[int, set[str]] = {}
    for draft in drafts:
        by_user.setdefault(draft.user_id, set()).add(draft.flow)
    for user_id, flows in by_user.items():
        row = await tx.fetchone("SELECT data FROM user_data WHERE user_id = ?", (user_id,))
        if row is None:
            continue
        data = json.loads(row["data"])
        for flow in flows:
            data.pop(flow, None)
        if data:
            await tx.execute(
                "UPDATE user_data SET data = ? WHERE user_id = ?", (json.dumps(data), user_id)
            )
        else:
            await tx.execute("DELETE FROM user_data WHERE user_id = ?", (user_id,))


# -- files and pins of closed challenges ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClosedChallengeFiles:
    """A resolved or dismissed challenge that still has attachments or a pin."""

    challenge_id: int
    attachments: int
    pinned: bool


async def find_challenge_files(
    conn: Reader, partnership_id: int, before: datetime
) -> list[ClosedChallengeFiles]:
    """A partnership's challenges resolved or dismissed before `before` (their latest move to
    the status they have) that still keep attachments or a location pin."""
    rows = await conn.fetchall(
        "SELECT c.id,"
        " (SELECT COUNT(*) FROM challenge_attachments a WHERE a.challenge_id = c.id) AS files,"
        " (c.latitude IS NOT NULL OR c.longitude IS NOT NULL) AS pinned"
        " FROM challenges c"
        " WHERE c.partnership_id = ? AND c.status IN ('resolved', 'dismissed')"
        " AND coalesce((SELECT MAX(e.at) FROM challenge_events e WHERE e.challenge_id = c.id"
        "               AND e.kind = 'status' AND e.status = c.status), c.updated_at) <= ?"
        " AND (c.latitude IS NOT NULL OR c.longitude IS NOT NULL"
        "      OR EXISTS (SELECT 1 FROM challenge_attachments a WHERE a.challenge_id = c.id))"
        " ORDER BY c.id",
        (partnership_id, to_db_time(before)),
    )
    return [ClosedChallengeFiles(row["id"], row["files"], bool(row["pinned"])) for row in rows]


async def clear_challenge_files(tx: Transaction, challenge_ids: Sequence[int]) -> None:
    """Delete the attachments and the pins of challenges; the challenges stay."""
    params = [(i,) for i in challenge_ids]
    await tx.executemany("DELETE FROM challenge_attachments WHERE challenge_id = ?", params)
    await tx.executemany(
        "UPDATE challenges SET latitude = NULL, longitude = NULL WHERE id = ?", params
    )


# -- departed members -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Departure:
    """A person in no partnership any more who still has a name on record: the partnership
    they last left (or were removed from), and when."""

    member_id: int
    partnership_id: int
    at: datetime


async def find_departed(conn: Reader) -> list[Departure]:
    """People who are member of no partnership, whose latest departure is known (a removal,
    or a leaving in the audit log), and whose name, username or phone is still kept."""
    rows = await conn.fetchall(
        "WITH departures AS ("
        "  SELECT member_id, partnership_id, removed_at AS at FROM removed_members"
        "  UNION ALL"
        "  SELECT coalesce(json_extract(detail, '$.member_id'), actor_id), partnership_id, at"
        "  FROM audit_log WHERE action IN ('member.remove', 'member.leave')"
        "  AND partnership_id IS NOT NULL"
        "), latest AS ("
        "  SELECT member_id, partnership_id, MAX(at) AS at FROM departures"
        "  WHERE member_id IS NOT NULL GROUP BY member_id"
        ")"
        " SELECT l.member_id, l.partnership_id, l.at FROM latest l"
        " JOIN members m ON m.id = l.member_id"
        " WHERE NOT EXISTS (SELECT 1 FROM memberships s WHERE s.member_id = m.id)"
        " AND (m.name <> ? OR m.username IS NOT NULL"
        "      OR EXISTS (SELECT 1 FROM contacts c WHERE c.member_id = m.id"
        "                 AND (c.phone IS NOT NULL OR c.name <> ?)))"
        " ORDER BY l.member_id",
        (FORMER_MEMBER, FORMER_MEMBER),
    )
    return [Departure(row[0], row[1], from_db_time(row[2])) for row in rows]


async def anonymise(tx: Transaction, member_ids: Sequence[int], now: datetime) -> None:
    """Replace departed people's name, username and phone; their id stays, so what they
    wrote or were named in still points to the same (now nameless) person."""
    stamp = to_db_time(now)
    await tx.executemany(
        "UPDATE members SET name = ?, username = NULL, anonymised_at = ?, updated_at = ?"
        " WHERE id = ?",
        [(FORMER_MEMBER, stamp, stamp, i) for i in member_ids],
    )
    await tx.executemany(
        "UPDATE contacts SET name = ?, phone = NULL, email = NULL, telegram = NULL"
        " WHERE member_id = ?",
        [(FORMER_MEMBER, i) for i in member_ids],
    )
