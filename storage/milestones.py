"""Action plans: pillars, milestones and each milestone's update history."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime

from domain.milestones import (
    Milestone,
    MilestoneStatus,
    MilestoneUpdate,
    NewMilestone,
    Pillar,
    PlanInfo,
)
from storage.db import Transaction, from_db_time, to_db_time
from storage.rows import Reader

OPEN_STATUSES = ("planned", "in_progress")


def _pillar(row: sqlite3.Row) -> Pillar:
    return Pillar(
        id=row["id"],
        partnership_id=row["partnership_id"],
        code=row["code"],
        position=row["position"],
        titles=json.loads(row["titles"]),
    )


def _milestone(row: sqlite3.Row) -> Milestone:
    return Milestone(
        id=row["id"],
        partnership_id=row["partnership_id"],
        pillar_id=row["pillar_id"],
        code=row["code"],
        position=row["position"],
        title=row["title"],
        description=row["description"],
        owner=row["owner"],
        assignees=tuple(json.loads(row["assignees"])),
        due_on=date.fromisoformat(row["due_on"]) if row["due_on"] else None,
        date_inferred=bool(row["date_inferred"]),
        status=MilestoneStatus(row["status"]),
        progress=row["progress"],
        completed_at=from_db_time(row["completed_at"]) if row["completed_at"] else None,
        updated_at=from_db_time(row["updated_at"]),
    )


def _update(row: sqlite3.Row) -> MilestoneUpdate:
    return MilestoneUpdate(
        id=row["id"],
        milestone_id=row["milestone_id"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        at=from_db_time(row["at"]),
        status=MilestoneStatus(row["status"]),
        progress=row["progress"],
        note=row["note"],
    )


# -- the plan ----------------------------------------------------------------------------------


async def put_plan(
    tx: Transaction,
    partnership_id: int,
    *,
    titles: dict[str, str],
    reference: str | None,
    source: str,
    now: datetime,
) -> None:
    """Record the plan's name (per language) and source (one plan per partnership)."""
    title = titles.get("en") or next(iter(titles.values()))
    await tx.execute(
        "INSERT INTO action_plans (partnership_id, title, titles, reference, source, imported_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (partnership_id) DO UPDATE SET"
        " title = excluded.title, titles = excluded.titles, reference = excluded.reference,"
        " source = excluded.source, imported_at = excluded.imported_at",
        (
            partnership_id,
            title,
            json.dumps(titles, ensure_ascii=False),
            reference,
            source,
            to_db_time(now),
        ),
    )


async def plan_info(conn: Reader, partnership_id: int) -> PlanInfo | None:
    """The partnership's plan, if it has one."""
    row = await conn.fetchone(
        "SELECT * FROM action_plans WHERE partnership_id = ?", (partnership_id,)
    )
    if row is None:
        return None
    return PlanInfo(
        partnership_id=row["partnership_id"],
        titles=json.loads(row["titles"]),
        reference=row["reference"],
        source=row["source"],
        imported_at=from_db_time(row["imported_at"]),
    )


async def upsert_pillar(
    tx: Transaction, partnership_id: int, *, code: str, position: int, titles: dict[str, str]
) -> int:
    """Create or rewrite a pillar (matched by code); returns its id."""
    await tx.execute(
        "INSERT INTO pillars (partnership_id, code, position, titles) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (partnership_id, code) DO UPDATE SET code = excluded.code,"
        " position = excluded.position, titles = excluded.titles",
        (partnership_id, code, position, json.dumps(titles, ensure_ascii=False)),
    )
    row = await tx.fetchone(
        "SELECT id FROM pillars WHERE partnership_id = ? AND code = ?", (partnership_id, code)
    )
    assert row is not None
    return int(row["id"])


async def delete_pillars_except(tx: Transaction, partnership_id: int, keep: Sequence[int]) -> int:
    """Remove the pillars not in `keep` (their milestones must have moved or gone)."""
    marks = ",".join("?" * len(keep)) or "NULL"
    return await tx.execute(
        f"DELETE FROM pillars WHERE partnership_id = ? AND id NOT IN ({marks})",
        (partnership_id, *keep),
    )


async def pillars(conn: Reader, partnership_id: int) -> list[Pillar]:
    """The plan's pillars in order."""
    rows = await conn.fetchall(
        "SELECT * FROM pillars WHERE partnership_id = ? ORDER BY position, id", (partnership_id,)
    )
    return [_pillar(row) for row in rows]


async def pillar(conn: Reader, partnership_id: int, pillar_id: int) -> Pillar | None:
    """One pillar of the partnership's plan."""
    row = await conn.fetchone(
        "SELECT * FROM pillars WHERE partnership_id = ? AND id = ?", (partnership_id, pillar_id)
    )
    return None if row is None else _pillar(row)


# -- milestones --------------------------------------------------------------------------------


#: Columns an import writes, in the order of `_imported_values`.
_IMPORTED_COLUMNS = (
    "pillar_id", "code", "position", "title", "description", "owner", "assignees", "due_on",
    "date_inferred", "status", "progress", "completed_at", "updated_at",
)  # fmt: skip


def _imported_values(pillar_id: int, new: NewMilestone, now: datetime) -> tuple[object, ...]:
    return (
        pillar_id,
        new.code,
        new.position,
        new.title,
        new.description,
        new.owner,
        json.dumps(list(new.assignees)),
        new.due_on.isoformat() if new.due_on else None,
        int(new.date_inferred),
        new.status.value,
        new.progress,
        to_db_time(new.completed_at) if new.completed_at else None,
        to_db_time(now),
    )


async def insert_milestone(
    tx: Transaction, partnership_id: int, pillar_id: int, new: NewMilestone, now: datetime
) -> int:
    """Add a milestone; returns its id."""
    columns = ", ".join(("partnership_id", *_IMPORTED_COLUMNS))
    marks = ", ".join("?" * (len(_IMPORTED_COLUMNS) + 1))
    return await tx.insert(
        f"INSERT INTO milestones ({columns}) VALUES ({marks})",
        (partnership_id, *_imported_values(pillar_id, new, now)),
    )


async def rewrite_milestone(
    tx: Transaction, milestone_id: int, pillar_id: int, new: NewMilestone, now: datetime
) -> None:
    """Replace a milestone's fields from an import, keeping its id (and so its history)."""
    assignments = ", ".join(f"{column} = ?" for column in _IMPORTED_COLUMNS)
    await tx.execute(
        f"UPDATE milestones SET {assignments} WHERE id = ?",
        (*_imported_values(pillar_id, new, now), milestone_id),
    )


async def delete_milestones(tx: Transaction, milestone_ids: Sequence[int]) -> int:
    """Remove milestones and, with them, their history."""
    if not milestone_ids:
        return 0
    marks = ",".join("?" * len(milestone_ids))
    return await tx.execute(f"DELETE FROM milestones WHERE id IN ({marks})", tuple(milestone_ids))


async def set_state(
    tx: Transaction,
    milestone_id: int,
    *,
    status: MilestoneStatus,
    progress: int,
    completed_at: datetime | None,
    now: datetime,
) -> None:
    """Store a milestone's new status and progress."""
    await tx.execute(
        "UPDATE milestones SET status = ?, progress = ?, completed_at = ?, updated_at = ?"
        " WHERE id = ?",
        (
            status.value,
            progress,
            to_db_time(completed_at) if completed_at else None,
            to_db_time(now),
            milestone_id,
        ),
    )


async def all_of(conn: Reader, partnership_id: int) -> list[Milestone]:
    """Every milestone of the plan, pillar by pillar, in order."""
    rows = await conn.fetchall(
        "SELECT m.* FROM milestones m JOIN pillars p ON p.id = m.pillar_id"
        " WHERE m.partnership_id = ? ORDER BY p.position, m.position, m.id",
        (partnership_id,),
    )
    return [_milestone(row) for row in rows]


async def of_pillar(conn: Reader, pillar_id: int) -> list[Milestone]:
    """The milestones of one pillar, in order."""
    rows = await conn.fetchall(
        "SELECT * FROM milestones WHERE pillar_id = ? ORDER BY position, id", (pillar_id,)
    )
    return [_milestone(row) for row in rows]


async def get(conn: Reader, partnership_id: int, milestone_id: int) -> Milestone | None:
    """One milestone of the partnership's plan."""
    row = await conn.fetchone(
        "SELECT * FROM milestones WHERE partnership_id = ? AND id = ?",
        (partnership_id, milestone_id),
    )
    return None if row is None else _milestone(row)


async def by_code(conn: Reader, partnership_id: int, code: str) -> Milestone | None:
    """One milestone by its code (ignoring case)."""
    row = await conn.fetchone(
        "SELECT * FROM milestones WHERE partnership_id = ? AND code = ?", (partnership_id, code)
    )
    return None if row is None else _milestone(row)


async def open_due_before(conn: Reader, partnership_id: int, until: date) -> list[Milestone]:
    """Open milestones due on or before `until`, soonest first (overdue and upcoming)."""
    rows = await conn.fetchall(
        "SELECT * FROM milestones WHERE partnership_id = ?"
        " AND status IN ('planned', 'in_progress') AND due_on <= ? ORDER BY due_on, code",
        (partnership_id, until.isoformat()),
    )
    return [_milestone(row) for row in rows]


async def completed_since(conn: Reader, partnership_id: int, since: datetime) -> list[Milestone]:
    """Milestones that became done after `since`, most recent first."""
    rows = await conn.fetchall(
        "SELECT * FROM milestones WHERE partnership_id = ? AND completed_at > ?"
        " AND status = 'done' ORDER BY completed_at DESC, code",
        (partnership_id, to_db_time(since)),
    )
    return [_milestone(row) for row in rows]


# -- history -----------------------------------------------------------------------------------


async def add_update(
    tx: Transaction,
    milestone_id: int,
    *,
    author_id: int | None,
    author_name: str,
    status: MilestoneStatus,
    progress: int,
    note: str,
    now: datetime,
) -> int:
    """Append an entry to a milestone's history."""
    return await tx.insert(
        "INSERT INTO milestone_updates"
        " (milestone_id, author_id, author_name, at, status, progress, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (milestone_id, author_id, author_name, to_db_time(now), status.value, progress, note),
    )


async def history(conn: Reader, milestone_id: int, limit: int) -> list[MilestoneUpdate]:
    """A milestone's latest updates, newest first."""
    rows = await conn.fetchall(
        "SELECT * FROM milestone_updates WHERE milestone_id = ? ORDER BY at DESC, id DESC LIMIT ?",
        (milestone_id, limit),
    )
    return [_update(row) for row in rows]


async def updates_between(
    conn: Reader, partnership_id: int, start: datetime, end: datetime
) -> list[MilestoneUpdate]:
    """Every update of a partnership's milestones made in [start, end), oldest first."""
    rows = await conn.fetchall(
        "SELECT u.* FROM milestone_updates u JOIN milestones m ON m.id = u.milestone_id"
        " WHERE m.partnership_id = ? AND u.at >= ? AND u.at < ? ORDER BY u.at, u.id",
        (partnership_id, to_db_time(start), to_db_time(end)),
    )
    return [_update(row) for row in rows]


async def count_updates(conn: Reader, milestone_ids: Sequence[int]) -> int:
    """How many history entries some milestones have."""
    if not milestone_ids:
        return 0
    marks = ",".join("?" * len(milestone_ids))
    row = await conn.fetchone(
        f"SELECT COUNT(*) FROM milestone_updates WHERE milestone_id IN ({marks})",
        tuple(milestone_ids),
    )
    return int(row[0]) if row else 0
