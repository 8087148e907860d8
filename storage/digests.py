"""Digest schedules: a partnership's default, each recipient's own choice and last digest."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime

from domain.digests import PartnershipSchedule, RecipientState, StoredSchedule
from storage.db import Transaction, from_db_time, to_db_time
from storage.rows import Reader


def _time(value: str | None) -> datetime | None:
    return from_db_time(value) if value else None


def _state(row: sqlite3.Row) -> RecipientState:
    own = (
        StoredSchedule(row["frequency"], row["weekday"], row["hour"])
        if row["frequency"] is not None
        else None
    )
    return RecipientState(
        partnership_id=row["partnership_id"],
        chat_id=row["chat_id"],
        member_id=row["member_id"],
        language=row["language"],
        telegram_language=row["telegram_language"],
        unreachable=row["unreachable_at"] is not None,
        own=own,
        chosen_at=_time(row["chosen_at"]),
        last_slot=_time(row["last_slot"]),
        last_digest_at=_time(row["last_digest_at"]),
        since=from_db_time(row["since"]),
    )


_MEMBERS = (
    "SELECT m.partnership_id, m.member_id AS chat_id, m.member_id, u.language,"
    " u.telegram_language, u.unreachable_at, r.frequency, r.weekday, r.hour, r.chosen_at,"
    " r.last_slot, r.last_digest_at, m.joined_at AS since"
    " FROM memberships m JOIN members u ON u.id = m.member_id"
    " LEFT JOIN digest_recipients r"
    " ON r.partnership_id = m.partnership_id AND r.chat_id = m.member_id"
)
_GROUPS = (
    "SELECT g.partnership_id, g.chat_id, NULL AS member_id, NULL AS language,"
    " NULL AS telegram_language, NULL AS unreachable_at, r.frequency, r.weekday, r.hour,"
    " r.chosen_at, r.last_slot, r.last_digest_at, g.linked_at AS since"
    " FROM group_links g LEFT JOIN digest_recipients r"
    " ON r.partnership_id = g.partnership_id AND r.chat_id = g.chat_id"
)


async def every_recipient(conn: Reader) -> list[RecipientState]:
    """Every member of every partnership, and every linked group that chose a schedule."""
    rows = await conn.fetchall(
        f"{_MEMBERS} UNION ALL {_GROUPS} WHERE r.frequency IS NOT NULL"
        " ORDER BY 1, 2"  # partnership, chat
    )
    return [_state(row) for row in rows]


async def member_state(conn: Reader, partnership_id: int, member_id: int) -> RecipientState | None:
    """One member's digest state in one partnership."""
    row = await conn.fetchone(
        f"{_MEMBERS} WHERE m.partnership_id = ? AND m.member_id = ?", (partnership_id, member_id)
    )
    return None if row is None else _state(row)


async def group_state(conn: Reader, chat_id: int) -> RecipientState | None:
    """A linked group's digest state."""
    row = await conn.fetchone(f"{_GROUPS} WHERE g.chat_id = ?", (chat_id,))
    return None if row is None else _state(row)


async def partnership_schedules(conn: Reader) -> dict[int, PartnershipSchedule]:
    """The partnerships that set a schedule of their own."""
    rows = await conn.fetchall("SELECT * FROM digest_schedules")
    return {row["partnership_id"]: _partnership_schedule(row) for row in rows}


async def partnership_schedule(conn: Reader, partnership_id: int) -> PartnershipSchedule | None:
    """One partnership's own schedule, if it set one."""
    row = await conn.fetchone(
        "SELECT * FROM digest_schedules WHERE partnership_id = ?", (partnership_id,)
    )
    return None if row is None else _partnership_schedule(row)


def _partnership_schedule(row: sqlite3.Row) -> PartnershipSchedule:
    return PartnershipSchedule(
        partnership_id=row["partnership_id"],
        schedule=StoredSchedule(row["frequency"], row["weekday"], row["hour"]),
        changed_at=from_db_time(row["changed_at"]),
    )


async def set_partnership_schedule(
    tx: Transaction, partnership_id: int, schedule: StoredSchedule, now: datetime
) -> None:
    """Set a partnership's default schedule."""
    await tx.execute(
        "INSERT INTO digest_schedules (partnership_id, frequency, weekday, hour, changed_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (partnership_id) DO UPDATE SET"
        " frequency = excluded.frequency, weekday = excluded.weekday, hour = excluded.hour,"
        " changed_at = excluded.changed_at",
        (
            partnership_id,
            schedule.frequency,
            schedule.weekday,
            schedule.hour,
            to_db_time(now),
        ),
    )


async def choose(
    tx: Transaction,
    partnership_id: int,
    chat_id: int,
    schedule: StoredSchedule | None,
    now: datetime,
) -> None:
    """Store a recipient's own schedule (None: follow the partnership's again)."""
    await tx.execute(
        "INSERT INTO digest_recipients (partnership_id, chat_id, frequency, weekday, hour,"
        " chosen_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (partnership_id, chat_id)"
        " DO UPDATE SET frequency = excluded.frequency, weekday = excluded.weekday,"
        " hour = excluded.hour, chosen_at = excluded.chosen_at",
        (
            partnership_id,
            chat_id,
            schedule.frequency if schedule else None,
            schedule.weekday if schedule else None,
            schedule.hour if schedule else None,
            to_db_time(now),
        ),
    )


async def mark_digest(
    tx: Transaction,
    partnership_id: int,
    chat_id: int,
    *,
    now: datetime,
    slot: datetime | None = None,
) -> None:
    """Record a digest made at `now` (and, for a scheduled one, the slot it was for)."""
    await tx.execute(
        _MARK, (partnership_id, chat_id, to_db_time(slot) if slot else None, to_db_time(now))
    )


_MARK = (
    "INSERT INTO digest_recipients (partnership_id, chat_id, last_slot, last_digest_at)"
    " VALUES (?, ?, ?, ?) ON CONFLICT (partnership_id, chat_id) DO UPDATE SET"
    " last_slot = COALESCE(excluded.last_slot, digest_recipients.last_slot),"
    " last_digest_at = excluded.last_digest_at"
)


async def mark_digests(
    tx: Transaction, marks: Sequence[tuple[int, int, datetime, datetime | None]]
) -> None:
    """`mark_digest` for many (partnership, chat, made at, slot) at once."""
    await tx.executemany(
        _MARK,
        [
            (partnership_id, chat_id, to_db_time(slot) if slot else None, to_db_time(now))
            for partnership_id, chat_id, now, slot in marks
        ],
    )


async def roles(conn: Reader, partnership_id: int, member_ids: Sequence[int]) -> dict[int, str]:
    """The roles of these members in a partnership (those not in it are left out)."""
    rows = await conn.fetchall(
        "SELECT member_id, role FROM memberships WHERE partnership_id = ?"
        " AND member_id IN (SELECT value FROM json_each(?))",
        (partnership_id, json.dumps(list(member_ids))),
    )
    return {int(row["member_id"]): str(row["role"]) for row in rows}


async def open_actions_by_owner(
    conn: Reader, partnership_id: int, owner_ids: Sequence[int], today: date
) -> dict[int, tuple[int, int]]:
    """These owners' follow-up actions not done yet in a partnership, and how many of them
    are past due (owners without any open action are left out: theirs is (0, 0)).

    Owners always see their actions' meetings (they are named in them), so only deleted
    meetings are left out here."""
    # CROSS JOIN starts from the owners: each one's actions through their index, however
    # many meetings the partnership holds.
    rows = await conn.fetchall(
        "SELECT a.owner_id, COUNT(*) AS open, COALESCE(SUM(a.due_on < ?), 0) AS overdue"
        " FROM (SELECT DISTINCT value FROM json_each(?)) o"
        " CROSS JOIN meeting_actions a ON a.owner_id = o.value"
        " JOIN meetings m ON m.id = a.meeting_id"
        " WHERE a.done_at IS NULL AND m.partnership_id = ? AND m.deleted_at IS NULL"
        " GROUP BY a.owner_id",
        (today.isoformat(), json.dumps(list(owner_ids)), partnership_id),
    )
    return {int(row["owner_id"]): (int(row["open"]), int(row["overdue"])) for row in rows}
