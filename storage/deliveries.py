"""The outbox: broadcasts and one delivery row per recipient message."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.outbox import Broadcast, Delivery, DeliveryCounts, DeliveryStatus, NewDelivery
from storage.db import Transaction, from_db_time, to_db_time
from storage.rows import Reader


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=row["id"],
        broadcast_id=row["broadcast_id"],
        chat_id=row["chat_id"],
        member_id=row["member_id"],
        language=row["language"],
        text=row["text"],
        media_kind=row["media_kind"],
        media_file_id=row["media_file_id"],
        acknowledge=bool(row["acknowledge"]),
        ack_for=row["ack_for"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=from_db_time(row["next_attempt_at"]),
        last_error=row["last_error"],
        telegram_message_id=row["telegram_message_id"],
        acknowledged_at=from_db_time(row["acknowledged_at"]) if row["acknowledged_at"] else None,
        buttons=tuple((str(label), str(data)) for label, data in json.loads(row["buttons"])),
        protect_content=bool(row["protect_content"]),
    )


def _broadcast(row: sqlite3.Row) -> Broadcast:
    return Broadcast(
        id=row["id"],
        partnership_id=row["partnership_id"],
        kind=row["kind"],
        reference=row["reference"],
        author_id=row["author_id"],
        urgent=bool(row["urgent"]),
        audience=json.loads(row["audience"]),
        body=row["body"],
        status_chat_id=row["status_chat_id"],
        status_message_id=row["status_message_id"],
        remind_at=from_db_time(row["remind_at"]) if row["remind_at"] else None,
        reminded_at=from_db_time(row["reminded_at"]) if row["reminded_at"] else None,
        created_at=from_db_time(row["created_at"]),
    )


async def insert_broadcast(
    tx: Transaction,
    *,
    partnership_id: int | None,
    kind: str,
    reference: str | None,
    author_id: int | None,
    urgent: bool,
    audience: dict[str, Any],
    body: str,
    idempotency_key: str | None,
    remind_at: datetime | None,
    now: datetime,
) -> int:
    """Create the broadcast a set of deliveries belongs to."""
    return await tx.insert(
        "INSERT INTO broadcasts (partnership_id, kind, reference, author_id, urgent, audience,"
        " body, idempotency_key, remind_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            partnership_id,
            kind,
            reference,
            author_id,
            int(urgent),
            json.dumps(audience),
            body,
            idempotency_key,
            to_db_time(remind_at) if remind_at else None,
            to_db_time(now),
        ),
    )


async def insert_deliveries(
    tx: Transaction, broadcast_id: int, deliveries: Sequence[NewDelivery], now: datetime
) -> None:
    """Queue one row per recipient message, due now."""
    await insert_deliveries_of(tx, [(broadcast_id, d) for d in deliveries], now)


async def insert_deliveries_of(
    tx: Transaction, deliveries: Sequence[tuple[int, NewDelivery]], now: datetime
) -> None:
    """Queue (broadcast id, message) rows of several broadcasts, due now, in this order."""
    stamp = to_db_time(now)
    await tx.executemany(
        "INSERT INTO deliveries (broadcast_id, chat_id, member_id, language, text, media_kind,"
        " media_file_id, acknowledge, ack_for, buttons, protect_content, next_attempt_at,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                broadcast_id,
                d.chat_id,
                d.member_id,
                d.language,
                d.text,
                d.media_kind,
                d.media_file_id,
                int(d.acknowledge),
                d.ack_for,
                json.dumps([list(b) for b in d.buttons]),
                int(d.protect_content),
                stamp,
                stamp,
            )
            for broadcast_id, d in deliveries
        ],
    )


async def insert_keyed_broadcasts(
    tx: Transaction,
    broadcasts: Sequence[tuple[str, int | None, str | None]],
    *,
    kind: str,
    now: datetime,
) -> dict[str, int]:
    """Create plain broadcasts of one kind (not urgent, no author, audience or body), one per
    (idempotency key, partnership, reference); returns each key's broadcast id."""
    stamp = to_db_time(now)
    await tx.executemany(
        "INSERT INTO broadcasts (partnership_id, kind, reference, author_id, urgent, audience,"
        " body, idempotency_key, remind_at, created_at)"
        " VALUES (?, ?, ?, NULL, 0, '{}', '', ?, NULL, ?)",
        [
            (partnership_id, kind, reference, key, stamp)
            for key, partnership_id, reference in broadcasts
        ],
    )
    return await broadcast_ids(tx, [key for key, _, _ in broadcasts])


async def broadcast_ids(conn: Reader, keys: Sequence[str]) -> dict[str, int]:
    """The broadcasts created with these idempotency keys: key to id (absent: none yet)."""
    if not keys:
        return {}
    rows = await conn.fetchall(
        "SELECT id, idempotency_key FROM broadcasts"
        " WHERE idempotency_key IN (SELECT value FROM json_each(?))",
        (json.dumps(list(keys)),),
    )
    return {str(row["idempotency_key"]): int(row["id"]) for row in rows}


async def broadcast_by_key(conn: Reader, idempotency_key: str) -> Broadcast | None:
    """The broadcast created with this key, if any (a confirm pressed twice)."""
    row = await conn.fetchone(
        "SELECT * FROM broadcasts WHERE idempotency_key = ?", (idempotency_key,)
    )
    return None if row is None else _broadcast(row)


async def get_broadcast(conn: Reader, broadcast_id: int) -> Broadcast | None:
    """One broadcast."""
    row = await conn.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
    return None if row is None else _broadcast(row)


async def recent_broadcasts(
    conn: Reader, partnership_id: int, kinds: Sequence[str], limit: int
) -> list[Broadcast]:
    """Newest broadcasts of some kinds in a partnership."""
    marks = ",".join("?" * len(kinds))
    rows = await conn.fetchall(
        f"SELECT * FROM broadcasts WHERE partnership_id = ? AND kind IN ({marks})"
        " ORDER BY created_at DESC, id DESC LIMIT ?",
        (partnership_id, *kinds, limit),
    )
    return [_broadcast(row) for row in rows]


async def set_status_message(
    tx: Transaction, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    """Remember the author's message that shows the delivery progress."""
    await tx.execute(
        "UPDATE broadcasts SET status_chat_id = ?, status_message_id = ? WHERE id = ?",
        (chat_id, message_id, broadcast_id),
    )


async def reset_in_flight(tx: Transaction) -> int:
    """After a crash: deliveries that were being sent go back to the queue."""
    return await tx.execute("UPDATE deliveries SET status = 'pending' WHERE status = 'sending'")


async def claim_due(tx: Transaction, now: datetime, limit: int) -> list[Delivery]:
    """Take up to `limit` due deliveries, oldest first: only a chat's oldest waiting one,
    and none for a chat with a delivery in flight, so each chat gets its messages in order."""
    rows = await tx.fetchall(
        "SELECT id FROM deliveries WHERE status IN ('pending', 'failed')"
        " AND next_attempt_at <= ?"
        " AND chat_id NOT IN (SELECT chat_id FROM deliveries WHERE status = 'sending')"
        " AND id IN (SELECT MIN(id) FROM deliveries WHERE status IN ('pending', 'failed')"
        " GROUP BY chat_id)"
        " ORDER BY next_attempt_at, id LIMIT ?",
        (to_db_time(now), limit),
    )
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    await tx.execute(
        f"UPDATE deliveries SET status = 'sending', attempts = attempts + 1 WHERE id IN ({marks})",
        ids,
    )
    claimed = await tx.fetchall(f"SELECT * FROM deliveries WHERE id IN ({marks}) ORDER BY id", ids)
    return [_delivery(row) for row in claimed]


async def next_due(conn: Reader) -> datetime | None:
    """When the earliest waiting delivery is due."""
    row = await conn.fetchone(
        "SELECT MIN(next_attempt_at) FROM deliveries WHERE status IN ('pending', 'failed')"
    )
    return from_db_time(row[0]) if row and row[0] else None


async def mark_sent(
    tx: Transaction, delivery_id: int, telegram_message_id: int | None, now: datetime
) -> None:
    """Record a delivery Telegram accepted."""
    await tx.execute(
        "UPDATE deliveries SET status = 'sent', telegram_message_id = ?, sent_at = ?,"
        " last_error = NULL WHERE id = ?",
        (telegram_message_id, to_db_time(now), delivery_id),
    )


async def mark_failed(
    tx: Transaction, delivery_id: int, error: str, next_attempt_at: datetime
) -> None:
    """Record a failed attempt to be retried."""
    await tx.execute(
        "UPDATE deliveries SET status = 'failed', last_error = ?, next_attempt_at = ? WHERE id = ?",
        (error[:500], to_db_time(next_attempt_at), delivery_id),
    )


async def mark_dead(tx: Transaction, delivery_id: int, error: str) -> None:
    """Give a delivery up, keeping the reason."""
    await tx.execute(
        "UPDATE deliveries SET status = 'dead', last_error = ? WHERE id = ?",
        (error[:500], delivery_id),
    )


async def get(conn: Reader, delivery_id: int) -> Delivery | None:
    """One delivery."""
    row = await conn.fetchone("SELECT * FROM deliveries WHERE id = ?", (delivery_id,))
    return None if row is None else _delivery(row)


async def acknowledge(tx: Transaction, delivery_id: int, now: datetime) -> bool:
    """Record the acknowledgement once; False if it was already recorded."""
    changed = await tx.execute(
        "UPDATE deliveries SET acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL",
        (to_db_time(now), delivery_id),
    )
    return changed > 0


async def counts(conn: Reader, broadcast_id: int) -> DeliveryCounts:
    """Delivered, pending, failed and acknowledged counts of a broadcast."""
    row = await conn.fetchone(
        "SELECT COUNT(*) AS total,"
        " SUM(status = 'sent') AS delivered,"
        " SUM(status IN ('pending', 'sending', 'failed')) AS pending,"
        " SUM(status = 'dead') AS failed,"
        " SUM(acknowledged_at IS NOT NULL) AS acknowledged"
        " FROM deliveries WHERE broadcast_id = ?",
        (broadcast_id,),
    )
    if row is None:
        return DeliveryCounts()
    return DeliveryCounts(*(int(row[key] or 0) for key in row.keys()))  # noqa: SIM118


async def unacknowledged(conn: Reader, broadcast_id: int) -> list[Delivery]:
    """Deliveries to members that nobody acknowledged yet (delivered or not)."""
    rows = await conn.fetchall(
        "SELECT * FROM deliveries WHERE broadcast_id = ? AND member_id IS NOT NULL"
        " AND acknowledge = 1 AND acknowledged_at IS NULL ORDER BY id",
        (broadcast_id,),
    )
    return [_delivery(row) for row in rows]


async def due_reminders(conn: Reader, now: datetime) -> list[Broadcast]:
    """Urgent broadcasts whose reminder time has come and that were not reminded yet."""
    rows = await conn.fetchall(
        "SELECT * FROM broadcasts WHERE reminded_at IS NULL AND remind_at IS NOT NULL"
        " AND remind_at <= ? ORDER BY remind_at",
        (to_db_time(now),),
    )
    return [_broadcast(row) for row in rows]


async def mark_reminded(tx: Transaction, broadcast_id: int, now: datetime) -> bool:
    """Record that the reminder went out; False if another worker did it first."""
    changed = await tx.execute(
        "UPDATE broadcasts SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL",
        (to_db_time(now), broadcast_id),
    )
    return changed > 0


async def last_broadcast_id(conn: Reader) -> int:
    """The id of the newest broadcast, 0 without any: what is queued later has a higher one."""
    value = await conn.fetchone("SELECT COALESCE(MAX(id), 0) AS last FROM broadcasts")
    return int(value["last"]) if value else 0


async def mark_written_as_sent(tx: Transaction, after_broadcast_id: int, now: datetime) -> int:
    """Record the waiting deliveries of the broadcasts after `after_broadcast_id` as sent at
    `now` without sending them: messages of a past written afterwards (the demo's history),
    which nobody must receive today. Returns how many."""
    return await tx.execute(
        "UPDATE deliveries SET status = 'sent', sent_at = ?, last_error = NULL"
        " WHERE status IN ('pending', 'failed') AND broadcast_id > ?",
        (to_db_time(now), after_broadcast_id),
    )


async def status_totals(conn: Reader) -> dict[str, int]:
    """How many deliveries are in each status, over the whole outbox (every status named)."""
    rows = await conn.fetchall("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status")
    totals = dict.fromkeys(("pending", "sending", "sent", "failed", "dead"), 0)
    totals.update({row["status"]: int(row["n"]) for row in rows})
    return totals


async def last_sent_at(conn: Reader) -> datetime | None:
    """When the outbox last delivered a message."""
    row = await conn.fetchone("SELECT MAX(sent_at) FROM deliveries")
    return from_db_time(row[0]) if row and row[0] else None
