"""Meetings, their participants, follow-up actions and attachments.

Every read that lists meetings takes the viewer: restricted meetings are filtered in SQL, so
no caller can forget the check. The search index `meetings_fts` is rewritten here whenever a
meeting is saved, because a meeting's words span several tables.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.meetings import (
    ActionValues,
    Attachment,
    AttachmentKind,
    FollowUp,
    Meeting,
    MeetingKind,
    MeetingValues,
    Participant,
)
from storage.db import Transaction, from_db_time, to_db_time
from storage.rows import Reader


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking: a member (None for a whole group chat) and whether their role sees
    restricted meetings."""

    member_id: int | None
    privileged: bool = False


@dataclass(frozen=True, slots=True)
class Filters:
    """What a meeting list is narrowed to."""

    match: str | None = None  # an FTS5 query over meetings_fts
    kind: MeetingKind | None = None
    since: datetime | None = None
    until: datetime | None = None


# A viewer sees a meeting of their partnership unless it is deleted, or restricted and they
# are neither privileged, nor its author, nor named in it (participant or action owner).
def _visible_to(viewer: str, privileged: str) -> str:
    """The condition on `m` for the viewer and privilege given as SQL expressions (parameters,
    or the columns of a list of viewers)."""
    return (
        f"m.deleted_at IS NULL AND (m.restricted = 0 OR {privileged} OR m.author_id = {viewer}"
        " OR EXISTS (SELECT 1 FROM meeting_participants p"
        f" WHERE p.meeting_id = m.id AND p.member_id = {viewer})"
        " OR EXISTS (SELECT 1 FROM meeting_actions a"
        f" WHERE a.meeting_id = m.id AND a.owner_id = {viewer}))"
    )


_VISIBLE = _visible_to(":viewer", ":privileged")


def _viewer_params(viewer: Viewer) -> dict[str, Any]:
    return {"viewer": viewer.member_id, "privileged": 1 if viewer.privileged else 0}


def _meeting(row: sqlite3.Row) -> Meeting:
    return Meeting(
        id=row["id"],
        partnership_id=row["partnership_id"],
        held_at=from_db_time(row["held_at"]),
        title=row["title"],
        kind=MeetingKind(row["kind"]),
        location=row["location"],
        summary=row["summary"],
        decisions=row["decisions"],
        restricted=bool(row["restricted"]),
        author_id=row["author_id"],
        created_at=from_db_time(row["created_at"]),
        updated_by=row["updated_by"],
        updated_at=from_db_time(row["updated_at"]),
        deleted_at=from_db_time(row["deleted_at"]) if row["deleted_at"] else None,
    )


def _action(row: sqlite3.Row) -> FollowUp:
    return FollowUp(
        id=row["id"],
        meeting_id=row["meeting_id"],
        position=row["position"],
        what=row["what"],
        owner_id=row["owner_id"],
        owner_name=row["owner_name"],
        due_on=date.fromisoformat(row["due_on"]) if row["due_on"] else None,
        done_at=from_db_time(row["done_at"]) if row["done_at"] else None,
        done_by=row["done_by"],
        reminded_at=from_db_time(row["reminded_at"]) if row["reminded_at"] else None,
    )


def _meeting_params(values: MeetingValues) -> dict[str, Any]:
    return {
        "held_at": to_db_time(values.held_at),
        "title": values.title,
        "kind": values.kind.value,
        "location": values.location,
        "summary": values.summary,
        "decisions": values.decisions,
        "restricted": 1 if values.restricted else 0,
    }


async def insert(
    tx: Transaction, partnership_id: int, values: MeetingValues, author_id: int, now: datetime
) -> int:
    """Store a new meeting with everything in it; returns its id."""
    stamp = to_db_time(now)
    meeting_id = await tx.insert(
        "INSERT INTO meetings (partnership_id, held_at, title, kind, location, summary,"
        " decisions, restricted, author_id, created_at, updated_at)"
        " VALUES (:partnership_id, :held_at, :title, :kind, :location, :summary, :decisions,"
        " :restricted, :author_id, :now, :now)",
        {
            **_meeting_params(values),
            "partnership_id": partnership_id,
            "author_id": author_id,
            "now": stamp,
        },
    )
    await _write_children(tx, meeting_id, values)
    return meeting_id


async def update(
    tx: Transaction, meeting_id: int, values: MeetingValues, by: int, now: datetime
) -> None:
    """Replace a meeting's contents; actions keep their id, whether they are done, and their
    reminder unless their owner or due date changed."""
    await tx.execute(
        "UPDATE meetings SET held_at = :held_at, title = :title, kind = :kind,"
        " location = :location, summary = :summary, decisions = :decisions,"
        " restricted = :restricted, updated_by = :by, updated_at = :now WHERE id = :id",
        {**_meeting_params(values), "by": by, "now": to_db_time(now), "id": meeting_id},
    )
    await _write_children(tx, meeting_id, values)


async def _write_children(tx: Transaction, meeting_id: int, values: MeetingValues) -> None:
    await tx.execute("DELETE FROM meeting_participants WHERE meeting_id = ?", (meeting_id,))
    await tx.executemany(
        "INSERT INTO meeting_participants (meeting_id, position, name, organisation, member_id)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (meeting_id, position, p.name, p.organisation, p.member_id)
            for position, p in enumerate(values.participants)
        ],
    )
    await tx.execute("DELETE FROM meeting_attachments WHERE meeting_id = ?", (meeting_id,))
    await tx.executemany(
        "INSERT INTO meeting_attachments (meeting_id, position, kind, file_id, name)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (meeting_id, position, a.kind.value, a.file_id, a.name)
            for position, a in enumerate(values.attachments)
        ],
    )
    await _write_actions(tx, meeting_id, values.actions)
    await _index(tx, meeting_id, values)


async def _write_actions(tx: Transaction, meeting_id: int, actions: Sequence[ActionValues]) -> None:
    kept = [a.id for a in actions if a.id is not None]
    marks = ", ".join("?" for _ in kept)
    await tx.execute(
        "DELETE FROM meeting_actions WHERE meeting_id = ?"
        + (f" AND id NOT IN ({marks})" if kept else ""),
        (meeting_id, *kept),
    )
    for position, action in enumerate(actions):
        due = action.due_on.isoformat() if action.due_on else None
        if action.id is None:
            await tx.insert(
                "INSERT INTO meeting_actions (meeting_id, position, what, owner_id, owner_name,"
                " due_on) VALUES (?, ?, ?, ?, ?, ?)",
                (meeting_id, position, action.what, action.owner_id, action.owner_name, due),
            )
            continue
        # A new owner or due date deserves its own reminder.
        await tx.execute(
            "UPDATE meeting_actions SET position = :position, what = :what,"
            " reminded_at = CASE WHEN owner_id IS :owner AND due_on IS :due"
            " THEN reminded_at END,"
            " owner_id = :owner, owner_name = :owner_name, due_on = :due"
            " WHERE id = :id AND meeting_id = :meeting",
            {
                "position": position,
                "what": action.what,
                "owner": action.owner_id,
                "owner_name": action.owner_name,
                "due": due,
                "id": action.id,
                "meeting": meeting_id,
            },
        )


async def _index(tx: Transaction, meeting_id: int, values: MeetingValues) -> None:
    people = " ".join(f"{p.name} {p.organisation}" for p in values.participants)
    actions = " ".join(f"{a.what} {a.owner_name}" for a in values.actions)
    await tx.execute("DELETE FROM meetings_fts WHERE rowid = ?", (meeting_id,))
    await tx.execute(
        "INSERT INTO meetings_fts (rowid, title, location, people, summary, decisions, actions)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            meeting_id,
            values.title,
            values.location,
            people,
            values.summary,
            values.decisions,
            actions,
        ),
    )


async def get(conn: Reader, meeting_id: int) -> Meeting | None:
    """One meeting with everything in it (also a deleted one: the caller decides)."""
    row = await conn.fetchone("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
    if row is None:
        return None
    return await _with_children(conn, _meeting(row))


async def _with_children(conn: Reader, meeting: Meeting) -> Meeting:
    participants = await conn.fetchall(
        "SELECT * FROM meeting_participants WHERE meeting_id = ? ORDER BY position",
        (meeting.id,),
    )
    actions = await conn.fetchall(
        "SELECT * FROM meeting_actions WHERE meeting_id = ? ORDER BY position, id", (meeting.id,)
    )
    attachments = await conn.fetchall(
        "SELECT * FROM meeting_attachments WHERE meeting_id = ? ORDER BY position", (meeting.id,)
    )
    return Meeting(
        **{
            name: getattr(meeting, name)
            for name in Meeting.__dataclass_fields__
            if name not in ("participants", "actions", "attachments")
        },
        participants=tuple(
            Participant(r["name"], r["organisation"], r["member_id"]) for r in participants
        ),
        actions=tuple(_action(r) for r in actions),
        attachments=tuple(
            Attachment(AttachmentKind(r["kind"]), r["file_id"], r["name"]) for r in attachments
        ),
    )


def may_see(meeting: Meeting, viewer: Viewer) -> bool:
    """The same rule as the SQL filter, for a meeting already read with its children."""
    if meeting.deleted_at is not None:
        return False
    if not meeting.restricted or viewer.privileged:
        return True
    if viewer.member_id is None:
        return False
    named = {p.member_id for p in meeting.participants} | {a.owner_id for a in meeting.actions}
    return viewer.member_id == meeting.author_id or viewer.member_id in named


def _filtered(partnership_id: int, viewer: Viewer, filters: Filters) -> tuple[str, dict[str, Any]]:
    clauses = ["m.partnership_id = :partnership", _VISIBLE]
    params: dict[str, Any] = {"partnership": partnership_id, **_viewer_params(viewer)}
    if filters.match:
        clauses.append("m.id IN (SELECT rowid FROM meetings_fts WHERE meetings_fts MATCH :match)")
        params["match"] = filters.match
    if filters.kind is not None:
        clauses.append("m.kind = :kind")
        params["kind"] = filters.kind.value
    if filters.since is not None:
        clauses.append("m.held_at >= :since")
        params["since"] = to_db_time(filters.since)
    if filters.until is not None:
        clauses.append("m.held_at < :until")
        params["until"] = to_db_time(filters.until)
    return " AND ".join(clauses), params


async def search(
    conn: Reader,
    partnership_id: int,
    viewer: Viewer,
    filters: Filters,
    *,
    limit: int,
    offset: int = 0,
) -> list[Meeting]:
    """A page of the meetings the viewer may see, newest first (without their children)."""
    where, params = _filtered(partnership_id, viewer, filters)
    rows = await conn.fetchall(
        f"SELECT m.* FROM meetings m WHERE {where} ORDER BY m.held_at DESC, m.id DESC"
        " LIMIT :limit OFFSET :offset",
        {**params, "limit": limit, "offset": offset},
    )
    return [_meeting(row) for row in rows]


async def count(conn: Reader, partnership_id: int, viewer: Viewer, filters: Filters) -> int:
    """How many meetings the viewer may see with these filters."""
    where, params = _filtered(partnership_id, viewer, filters)
    row = await conn.fetchone(f"SELECT COUNT(*) FROM meetings m WHERE {where}", params)
    return int(row[0]) if row else 0


async def counts_held(
    conn: Reader,
    partnership_id: int,
    viewers: Sequence[tuple[Viewer, datetime]],
    until: datetime,
) -> list[int]:
    """For each (viewer, since): how many meetings the viewer may see held from `since` to
    `until`, as `count` with those filters gives, in one query for many viewers."""
    if not viewers:
        return []
    listed = json.dumps(
        [[v.member_id, 1 if v.privileged else 0, to_db_time(since)] for v, since in viewers]
    )
    rows = await conn.fetchall(
        "SELECT v.key AS position, (SELECT COUNT(*) FROM meetings m"
        f" WHERE m.partnership_id = :partnership AND {_visible_to('v.viewer', 'v.privileged')}"
        " AND m.held_at >= v.since AND m.held_at < :until) AS n"
        " FROM (SELECT key, value ->> 0 AS viewer, value ->> 1 AS privileged,"
        " value ->> 2 AS since FROM json_each(:viewers)) v ORDER BY v.key",
        {"partnership": partnership_id, "until": to_db_time(until), "viewers": listed},
    )
    return [int(row["n"]) for row in rows]


async def visible(
    conn: Reader, partnership_id: int, viewer: Viewer, filters: Filters
) -> list[Meeting]:
    """Every meeting the viewer may see, oldest first, with everything in it."""
    where, params = _filtered(partnership_id, viewer, filters)
    rows = await conn.fetchall(
        f"SELECT m.* FROM meetings m WHERE {where} ORDER BY m.held_at, m.id", params
    )
    return [await _with_children(conn, _meeting(row)) for row in rows]


async def soft_delete(tx: Transaction, meeting_id: int, by: int, now: datetime) -> bool:
    """Hide a meeting from every list; True if it was not deleted already."""
    changed = await tx.execute(
        "UPDATE meetings SET deleted_at = ?, deleted_by = ? WHERE id = ? AND deleted_at IS NULL",
        (to_db_time(now), by, meeting_id),
    )
    return changed > 0


async def open_actions(
    conn: Reader, partnership_id: int, viewer: Viewer
) -> list[tuple[FollowUp, Meeting]]:
    """Actions not done yet of the meetings the viewer may see: the viewer's own first,
    then by due date (none last), then in the order they were written."""
    rows = await conn.fetchall(
        "SELECT a.*, m.id AS m_id, m.partnership_id AS m_partnership_id, m.held_at AS m_held_at,"
        " m.title AS m_title, m.kind AS m_kind, m.restricted AS m_restricted,"
        " m.author_id AS m_author_id"
        " FROM meeting_actions a JOIN meetings m ON m.id = a.meeting_id"
        f" WHERE a.done_at IS NULL AND m.partnership_id = :partnership AND {_VISIBLE}"
        " ORDER BY (a.owner_id IS :viewer) DESC, a.due_on IS NULL, a.due_on,"
        " m.held_at, a.position, a.id",
        {"partnership": partnership_id, **_viewer_params(viewer)},
    )
    return [(_action(row), _brief(row)) for row in rows]


def _brief(row: sqlite3.Row) -> Meeting:
    """The meeting columns of a joined action row (enough to name and check it)."""
    held = from_db_time(row["m_held_at"])
    return Meeting(
        id=row["m_id"],
        partnership_id=row["m_partnership_id"],
        held_at=held,
        title=row["m_title"],
        kind=MeetingKind(row["m_kind"]),
        location="",
        summary="",
        decisions="",
        restricted=bool(row["m_restricted"]),
        author_id=row["m_author_id"],
        created_at=held,
        updated_by=None,
        updated_at=held,
        deleted_at=None,
    )


async def action_meeting(conn: Reader, action_id: int) -> Meeting | None:
    """The meeting (with everything in it) an action belongs to."""
    row = await conn.fetchone("SELECT meeting_id FROM meeting_actions WHERE id = ?", (action_id,))
    return None if row is None else await get(conn, row["meeting_id"])


async def mark_done(tx: Transaction, action_id: int, by: int, now: datetime) -> bool:
    """Close an action; False if it was done already."""
    changed = await tx.execute(
        "UPDATE meeting_actions SET done_at = ?, done_by = ? WHERE id = ? AND done_at IS NULL",
        (to_db_time(now), by, action_id),
    )
    return changed > 0


async def actions_to_remind(
    conn: Reader, due_from: date, due_by: date
) -> list[tuple[FollowUp, Meeting]]:
    """Open actions with a member as owner, due between the two days, not reminded yet,
    of meetings not deleted whose partnership the owner still belongs to."""
    rows = await conn.fetchall(
        "SELECT a.*, m.id AS m_id, m.partnership_id AS m_partnership_id, m.held_at AS m_held_at,"
        " m.title AS m_title, m.kind AS m_kind, m.restricted AS m_restricted,"
        " m.author_id AS m_author_id"
        " FROM meeting_actions a JOIN meetings m ON m.id = a.meeting_id"
        " JOIN memberships ms ON ms.partnership_id = m.partnership_id"
        " AND ms.member_id = a.owner_id"
        " WHERE a.done_at IS NULL AND a.reminded_at IS NULL AND a.due_on IS NOT NULL"
        " AND a.due_on BETWEEN ? AND ? AND m.deleted_at IS NULL ORDER BY a.due_on, a.id",
        (due_from.isoformat(), due_by.isoformat()),
    )
    return [(_action(row), _brief(row)) for row in rows]


async def mark_reminded(tx: Transaction, action_id: int, now: datetime) -> bool:
    """Record an action's reminder; False if it was recorded already."""
    changed = await tx.execute(
        "UPDATE meeting_actions SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL",
        (to_db_time(now), action_id),
    )
    return changed > 0
