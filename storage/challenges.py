"""Emerging challenges: the reports, their status history, acknowledgements and escalations.

Every read takes the partnership it looks in, or reads one challenge by id for a service that
checks the caller may see it. Tables come from migration 0006_challenges.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.challenges import (
    Acknowledgement,
    Attachment,
    Category,
    Challenge,
    ChallengeEvent,
    EditedField,
    EscalationOutcome,
    EscalationSettings,
    EscalationStep,
    EventKind,
    NewChallenge,
    Severity,
    Status,
)
from domain.models import Role
from storage.db import Transaction, from_db_time, to_db_time
from storage.rows import Reader


def _challenge(row: sqlite3.Row) -> Challenge:
    return Challenge(
        id=row["id"],
        partnership_id=row["partnership_id"],
        reporter_id=row["reporter_id"],
        category=Category(row["category"]),
        severity=Severity(row["severity"]),
        status=Status(row["status"]),
        title=row["title"],
        description=row["description"],
        place=row["place"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        route=row["route"],
        observed_at=from_db_time(row["observed_at"]) if row["observed_at"] else None,
        observed_has_time=bool(row["observed_has_time"]),
        restricted=bool(row["restricted"]),
        attachment_count=row["attachment_count"],
        created_at=from_db_time(row["created_at"]),
        updated_at=from_db_time(row["updated_at"]),
        acknowledged_at=from_db_time(row["acknowledged_at"]) if row["acknowledged_at"] else None,
    )


_SELECT = (
    "SELECT c.*, (SELECT COUNT(*) FROM challenge_attachments a WHERE a.challenge_id = c.id)"
    " AS attachment_count FROM challenges c"
)


async def insert(tx: Transaction, new: NewChallenge, *, key: str, now: datetime) -> int:
    """Store a new challenge (status reported) with its attachments; returns its id."""
    stamp = to_db_time(now)
    challenge_id = await tx.insert(
        "INSERT INTO challenges (partnership_id, reporter_id, category, severity, title,"
        " description, place, latitude, longitude, route, observed_at, observed_has_time,"
        " restricted, idempotency_key, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            new.partnership_id,
            new.reporter_id,
            new.category.value,
            new.severity.value,
            new.title,
            new.description,
            new.place,
            new.latitude,
            new.longitude,
            new.route,
            to_db_time(new.observed_at) if new.observed_at else None,
            int(new.observed_has_time),
            int(new.restricted),
            key,
            stamp,
            stamp,
        ),
    )
    await tx.executemany(
        "INSERT INTO challenge_attachments (challenge_id, position, kind, file_id, file_name)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (challenge_id, position, a.kind, a.file_id, a.file_name)
            for position, a in enumerate(new.attachments)
        ],
    )
    return challenge_id


async def by_key(conn: Reader, key: str) -> Challenge | None:
    """The challenge submitted with this key (a submit pressed twice, or retried)."""
    row = await conn.fetchone(_SELECT + " WHERE c.idempotency_key = ?", (key,))
    return None if row is None else _challenge(row)


async def get(conn: Reader, challenge_id: int) -> Challenge | None:
    """One challenge, of whichever partnership: the caller's service checks access."""
    row = await conn.fetchone(_SELECT + " WHERE c.id = ?", (challenge_id,))
    return None if row is None else _challenge(row)


async def attachments(conn: Reader, challenge_id: int) -> list[Attachment]:
    """A challenge's attachments in the order they were sent."""
    rows = await conn.fetchall(
        "SELECT kind, file_id, file_name FROM challenge_attachments WHERE challenge_id = ?"
        " ORDER BY position",
        (challenge_id,),
    )
    return [Attachment(row["kind"], row["file_id"], row["file_name"]) for row in rows]


async def set_status(
    tx: Transaction, challenge_id: int, expected: Status, status: Status, now: datetime
) -> bool:
    """Move a challenge on, if it still has the status the mover saw; False otherwise."""
    changed = await tx.execute(
        "UPDATE challenges SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
        (status.value, to_db_time(now), challenge_id, expected.value),
    )
    return changed > 0


#: The columns an edit may write (services/challenges.py `edit`).
EDITABLE_COLUMNS = frozenset(
    {
        "category",
        "severity",
        "title",
        "description",
        "place",
        "latitude",
        "longitude",
        "route",
        "observed_at",
        "observed_has_time",
        "restricted",
    }
)


async def update_fields(
    tx: Transaction, challenge_id: int, values: Mapping[str, object], now: datetime
) -> None:
    """Write some of a challenge's columns (names from EDITABLE_COLUMNS; moments as
    datetimes)."""
    unknown = set(values) - EDITABLE_COLUMNS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    # The names are checked against EDITABLE_COLUMNS above: none comes from outside.
    assignments = "".join(f"{name} = ?, " for name in values)
    await tx.execute(
        f"UPDATE challenges SET {assignments}updated_at = ? WHERE id = ?",
        (
            *(to_db_time(v) if isinstance(v, datetime) else v for v in values.values()),
            to_db_time(now),
            challenge_id,
        ),
    )


async def replace_attachments(
    tx: Transaction, challenge_id: int, attachments: Sequence[Attachment]
) -> None:
    """A challenge's attachments become these, in this order."""
    await tx.execute("DELETE FROM challenge_attachments WHERE challenge_id = ?", (challenge_id,))
    await tx.executemany(
        "INSERT INTO challenge_attachments (challenge_id, position, kind, file_id, file_name)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (challenge_id, position, a.kind, a.file_id, a.file_name)
            for position, a in enumerate(attachments)
        ],
    )


async def add_event(
    tx: Transaction,
    challenge_id: int,
    status: Status,
    *,
    actor_id: int | None,
    actor_name: str,
    note: str,
    now: datetime,
    kind: EventKind = EventKind.STATUS,
    changes: Mapping[EditedField, tuple[str | None, str | None]] | None = None,
) -> int:
    """Append a step to a challenge's history; returns its id."""
    return await tx.insert(
        "INSERT INTO challenge_events"
        " (challenge_id, status, actor_id, actor_name, note, at, kind, changes)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            challenge_id,
            status.value,
            actor_id,
            actor_name,
            note,
            to_db_time(now),
            kind.value,
            json.dumps({f.value: list(values) for f, values in (changes or {}).items()}),
        ),
    )


_EDITED_FIELDS = frozenset(f.value for f in EditedField)


def _event(row: sqlite3.Row) -> ChallengeEvent:
    changes = json.loads(row["changes"])
    return ChallengeEvent(
        id=row["id"],
        challenge_id=row["challenge_id"],
        status=Status(row["status"]),
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        note=row["note"],
        at=from_db_time(row["at"]),
        kind=EventKind(row["kind"]),
        changes={
            EditedField(name): (before, after)
            for name, (before, after) in changes.items()
            if name in _EDITED_FIELDS
        },
    )


async def events(conn: Reader, challenge_id: int) -> list[ChallengeEvent]:
    """A challenge's history, oldest first."""
    rows = await conn.fetchall(
        "SELECT * FROM challenge_events WHERE challenge_id = ? ORDER BY id", (challenge_id,)
    )
    return [_event(row) for row in rows]


async def event(conn: Reader, event_id: int) -> ChallengeEvent | None:
    """One step of a history."""
    row = await conn.fetchone("SELECT * FROM challenge_events WHERE id = ?", (event_id,))
    return None if row is None else _event(row)


async def add_acknowledgement(
    tx: Transaction,
    challenge_id: int,
    member_id: int,
    role: Role,
    *,
    delivery_id: int | None,
    now: datetime,
) -> bool:
    """Record that a member acknowledged a challenge; False if they already had."""
    changed = await tx.execute(
        "INSERT INTO challenge_acknowledgements (challenge_id, member_id, role, delivery_id, at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (challenge_id, member_id, role.value, delivery_id, to_db_time(now)),
    )
    return changed > 0


async def mark_acknowledged(tx: Transaction, challenge_id: int, now: datetime) -> bool:
    """Record the first acknowledgement by a coordinator or admin; False if there was one."""
    changed = await tx.execute(
        "UPDATE challenges SET acknowledged_at = ?, updated_at = ?"
        " WHERE id = ? AND acknowledged_at IS NULL",
        (to_db_time(now), to_db_time(now), challenge_id),
    )
    return changed > 0


async def acknowledgements(conn: Reader, challenge_id: int) -> list[Acknowledgement]:
    """Who acknowledged a challenge, in order."""
    rows = await conn.fetchall(
        "SELECT a.member_id, COALESCE(m.name, CAST(a.member_id AS TEXT)) AS name, a.role, a.at"
        " FROM challenge_acknowledgements a LEFT JOIN members m ON m.id = a.member_id"
        " WHERE a.challenge_id = ? ORDER BY a.at, a.member_id",
        (challenge_id,),
    )
    return [
        Acknowledgement(row["member_id"], row["name"], Role(row["role"]), from_db_time(row["at"]))
        for row in rows
    ]


async def challenge_of_delivery(conn: Reader, delivery_id: int) -> int | None:
    """The challenge a delivered alert was about, if it was a challenge alert."""
    row = await conn.fetchone(
        "SELECT b.reference FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id"
        " WHERE d.id = ? AND b.kind = 'challenge'",
        (delivery_id,),
    )
    if row is None or not str(row["reference"] or "").isdigit():
        return None
    return int(row["reference"])


async def schedule_escalations(tx: Transaction, challenge_id: int, due: Sequence[datetime]) -> None:
    """Plan the escalation steps of a challenge (step 1, 2, ... at these times)."""
    await tx.executemany(
        "INSERT INTO challenge_escalations (challenge_id, step, due_at) VALUES (?, ?, ?)",
        [(challenge_id, step, to_db_time(at)) for step, at in enumerate(due, start=1)],
    )


def _step(row: sqlite3.Row) -> EscalationStep:
    return EscalationStep(
        challenge_id=row["challenge_id"],
        step=row["step"],
        due_at=from_db_time(row["due_at"]),
        done_at=from_db_time(row["done_at"]) if row["done_at"] else None,
        outcome=EscalationOutcome(row["outcome"]) if row["outcome"] else None,
        recipients=row["recipients"],
    )


async def escalations(conn: Reader, challenge_id: int) -> list[EscalationStep]:
    """A challenge's escalation steps, in order."""
    rows = await conn.fetchall(
        "SELECT * FROM challenge_escalations WHERE challenge_id = ? ORDER BY step",
        (challenge_id,),
    )
    return [_step(row) for row in rows]


async def due_escalations(conn: Reader, now: datetime) -> list[EscalationStep]:
    """Steps whose time has come and that were not handled yet, by challenge and step."""
    rows = await conn.fetchall(
        "SELECT * FROM challenge_escalations WHERE done_at IS NULL AND due_at <= ?"
        " ORDER BY challenge_id, step",
        (to_db_time(now),),
    )
    return [_step(row) for row in rows]


async def finish_escalation(
    tx: Transaction,
    challenge_id: int,
    step: int,
    outcome: EscalationOutcome,
    *,
    recipients: int,
    now: datetime,
) -> bool:
    """Record what became of a step; False if it was handled already (never twice)."""
    changed = await tx.execute(
        "UPDATE challenge_escalations SET done_at = ?, outcome = ?, recipients = ?"
        " WHERE challenge_id = ? AND step = ? AND done_at IS NULL",
        (to_db_time(now), outcome.value, recipients, challenge_id, step),
    )
    return changed > 0


async def settings(conn: Reader, partnership_id: int) -> EscalationSettings:
    """A partnership's escalation rule."""
    row = await conn.fetchone(
        "SELECT minutes, include_high FROM challenge_settings WHERE partnership_id = ?",
        (partnership_id,),
    )
    if row is None:
        return EscalationSettings()
    return EscalationSettings(minutes=row["minutes"], include_high=bool(row["include_high"]))


async def save_settings(
    tx: Transaction, partnership_id: int, rule: EscalationSettings, now: datetime
) -> None:
    """Store a partnership's escalation rule."""
    await tx.execute(
        "INSERT INTO challenge_settings (partnership_id, minutes, include_high, updated_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (partnership_id) DO UPDATE SET"
        " minutes = excluded.minutes, include_high = excluded.include_high,"
        " updated_at = excluded.updated_at",
        (partnership_id, rule.minutes, int(rule.include_high), to_db_time(now)),
    )


async def set_alerts_muted(
    tx: Transaction, partnership_id: int, member_id: int, muted: bool, now: datetime
) -> None:
    """Opt a member out of (or back into) the partnership-wide challenge alerts."""
    if muted:
        await tx.execute(
            "INSERT INTO challenge_alert_optouts (partnership_id, member_id, at)"
            " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (partnership_id, member_id, to_db_time(now)),
        )
    else:
        await tx.execute(
            "DELETE FROM challenge_alert_optouts WHERE partnership_id = ? AND member_id = ?",
            (partnership_id, member_id),
        )


async def muted_members(conn: Reader, partnership_id: int) -> set[int]:
    """Members of a partnership who opted out of the partnership-wide alerts."""
    rows = await conn.fetchall(
        "SELECT member_id FROM challenge_alert_optouts WHERE partnership_id = ?",
        (partnership_id,),
    )
    return {row["member_id"] for row in rows}


@dataclass(frozen=True, slots=True)
class Visibility:
    """Whose eyes a query reads with: restricted challenges show only to coordinators and
    admins, and to their reporter."""

    partnership_id: int
    member_id: int
    sees_restricted: bool

    def condition(self) -> tuple[str, list[object]]:
        """SQL condition on `c` with its parameters."""
        if self.sees_restricted:
            return "c.partnership_id = ?", [self.partnership_id]
        return (
            f"c.partnership_id = ? AND {_shown_to('?')}",
            [self.partnership_id, self.member_id],
        )


def _shown_to(member: str) -> str:
    """A restricted challenge shows to its reporter (`member`: an SQL expression)."""
    return f"(c.restricted = 0 OR c.reporter_id = {member})"


@dataclass(frozen=True, slots=True)
class Query:
    """Filters of a challenge list."""

    category: Category | None = None
    severity: Severity | None = None
    statuses: tuple[Status, ...] = ()
    since: datetime | None = None
    match: str | None = None  # an FTS5 query over challenges_fts
    pinned: bool = False  # only those with a location pin


def _where(visibility: Visibility, query: Query) -> tuple[str, list[object]]:
    condition, params = visibility.condition()
    parts = [condition]
    if query.category is not None:
        parts.append("c.category = ?")
        params.append(query.category.value)
    if query.severity is not None:
        parts.append("c.severity = ?")
        params.append(query.severity.value)
    if query.statuses:
        parts.append(f"c.status IN ({','.join('?' * len(query.statuses))})")
        params.extend(s.value for s in query.statuses)
    if query.since is not None:
        parts.append("c.created_at >= ?")
        params.append(to_db_time(query.since))
    if query.match is not None:
        parts.append("c.id IN (SELECT rowid FROM challenges_fts WHERE challenges_fts MATCH ?)")
        params.append(query.match)
    if query.pinned:
        parts.append("c.latitude IS NOT NULL AND c.longitude IS NOT NULL")
    return " AND ".join(parts), params


_SEVERITY_ORDER = (
    "CASE c.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END"
)


async def search(
    conn: Reader, visibility: Visibility, query: Query, *, limit: int, offset: int
) -> tuple[list[Challenge], int]:
    """A page of matching challenges, most serious and newest first, and how many match."""
    where, params = _where(visibility, query)
    total = await conn.fetchone(f"SELECT COUNT(*) FROM challenges c WHERE {where}", params)
    rows = await conn.fetchall(
        f"{_SELECT} WHERE {where} ORDER BY {_SEVERITY_ORDER}, c.created_at DESC, c.id DESC"
        " LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [_challenge(row) for row in rows], int(total[0]) if total else 0


async def created_between(
    conn: Reader, visibility: Visibility, start: datetime, end: datetime
) -> list[Challenge]:
    """The challenges flagged in [start, end) that `visibility` sees, oldest first."""
    condition, params = visibility.condition()
    rows = await conn.fetchall(
        f"{_SELECT} WHERE {condition} AND c.created_at >= ? AND c.created_at < ?"
        " ORDER BY c.created_at, c.id",
        [*params, to_db_time(start), to_db_time(end)],
    )
    return [_challenge(row) for row in rows]


async def events_of(conn: Reader, challenge_ids: Sequence[int]) -> dict[int, list[ChallengeEvent]]:
    """The histories of several challenges, oldest step first, by challenge."""
    histories: dict[int, list[ChallengeEvent]] = {number: [] for number in challenge_ids}
    # In slices: SQLite limits the parameters of one statement.
    for first in range(0, len(challenge_ids), 500):
        chunk = challenge_ids[first : first + 500]
        marks = ",".join("?" * len(chunk))
        rows = await conn.fetchall(
            f"SELECT * FROM challenge_events WHERE challenge_id IN ({marks})"
            " ORDER BY challenge_id, id",
            list(chunk),
        )
        for row in rows:
            histories[row["challenge_id"]].append(_event(row))
    return histories


async def severity_counts(
    conn: Reader, partnership_id: int, viewers: Sequence[tuple[int, bool, datetime]]
) -> list[dict[str, int]]:
    """For each (member, sees restricted, since): how many challenges the member may see were
    reported since then, by severity (what `counts` gives, summed by severity), in one query."""
    found: list[dict[str, int]] = [{} for _ in viewers]
    if not viewers:
        return found
    listed = json.dumps(
        [[member, 1 if sees else 0, to_db_time(since)] for member, sees, since in viewers]
    )
    rows = await conn.fetchall(
        "SELECT v.key AS position, c.severity, COUNT(*) AS n"
        " FROM (SELECT key, value ->> 0 AS member, value ->> 1 AS sees, value ->> 2 AS since"
        " FROM json_each(?)) v JOIN challenges c ON c.partnership_id = ?"
        f" AND (v.sees OR {_shown_to('v.member')}) AND c.created_at >= v.since"
        " GROUP BY v.key, c.severity",
        (listed, partnership_id),
    )
    for row in rows:
        found[row["position"]][Severity(row["severity"]).value] = int(row["n"])
    return found


async def counts(
    conn: Reader, visibility: Visibility, since: datetime
) -> list[tuple[Category, Severity, Status, int]]:
    """How many challenges were reported since a moment, by category, severity and status."""
    where, params = _where(visibility, Query(since=since))
    rows = await conn.fetchall(
        "SELECT c.category, c.severity, c.status, COUNT(*) AS n FROM challenges c"
        f" WHERE {where} GROUP BY c.category, c.severity, c.status",
        params,
    )
    return [
        (Category(row["category"]), Severity(row["severity"]), Status(row["status"]), row["n"])
        for row in rows
    ]
