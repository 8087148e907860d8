"""Members (Telegram users) and their memberships of partnerships."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from datetime import datetime

from domain.models import Member, MemberInPartnership, Membership, RemovedMember, Role
from storage.db import Transaction, from_db_time, to_db_time
from storage.partnerships import partnership_from_row
from storage.rows import Reader


def _member_from_row(row: sqlite3.Row) -> Member:
    return Member(
        id=row["id"],
        name=row["name"],
        username=row["username"],
        language=row["language"],
        telegram_language=row["telegram_language"],
        active_partnership_id=row["active_partnership_id"],
        created_at=from_db_time(row["created_at"]),
        unreachable=row["unreachable_at"] is not None,
        seen=row["seen_at"] is not None,
    )


async def upsert(
    tx: Transaction,
    *,
    member_id: int,
    name: str,
    username: str | None,
    telegram_language: str | None,
    now: datetime,
) -> None:
    """Record or refresh what Telegram tells us about a user; keeps their own choices."""
    stamp = to_db_time(now)
    await tx.execute(
        "INSERT INTO members (id, name, username, telegram_language, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
        " username = excluded.username, telegram_language = excluded.telegram_language,"
        " updated_at = excluded.updated_at",
        (member_id, name, username, telegram_language, stamp, stamp),
    )


async def get(conn: Reader, member_id: int) -> Member | None:
    """One member by Telegram user id."""
    row = await conn.fetchone("SELECT * FROM members WHERE id = ?", (member_id,))
    return None if row is None else _member_from_row(row)


async def find_by_name(conn: Reader, name: str) -> list[Member]:
    """Members whose name or username matches, ignoring case."""
    rows = await conn.fetchall(
        "SELECT * FROM members WHERE name = ? COLLATE NOCASE OR username = ? COLLATE NOCASE"
        " ORDER BY id",
        (name, name.lstrip("@")),
    )
    return [_member_from_row(row) for row in rows]


async def set_language(tx: Transaction, member_id: int, language: str | None) -> None:
    """Store the member's language choice."""
    await tx.execute("UPDATE members SET language = ? WHERE id = ?", (language, member_id))


async def set_active_partnership(tx: Transaction, member_id: int, partnership_id: int) -> None:
    """Remember which partnership the member works in now."""
    await tx.execute(
        "UPDATE members SET active_partnership_id = ? WHERE id = ?", (partnership_id, member_id)
    )


_MEMBERSHIP_SELECT = (
    "SELECT m.member_id, m.role, m.organisation, m.country, m.joined_at,"
    " m.confirmed_organisation, m.confirmed_country,"
    " p.id AS p_id, p.slug AS p_slug, p.name AS p_name, p.kind AS p_kind,"
    " p.countries AS p_countries, p.timezone AS p_timezone, p.language AS p_language,"
    " p.created_at AS p_created_at"
    " FROM memberships m JOIN partnerships p ON p.id = m.partnership_id"
)


def _membership_from_row(row: sqlite3.Row) -> Membership:
    return Membership(
        partnership=partnership_from_row(row, prefix="p_"),
        member_id=row["member_id"],
        role=Role(row["role"]),
        organisation=row["organisation"],
        country=row["country"],
        joined_at=from_db_time(row["joined_at"]),
        confirmed_organisation=row["confirmed_organisation"],
        confirmed_country=row["confirmed_country"],
    )


async def membership(conn: Reader, member_id: int, partnership_id: int) -> Membership | None:
    """The member's membership of one partnership, if any."""
    row = await conn.fetchone(
        _MEMBERSHIP_SELECT + " WHERE m.member_id = ? AND m.partnership_id = ?",
        (member_id, partnership_id),
    )
    return None if row is None else _membership_from_row(row)


async def memberships_of(conn: Reader, member_id: int) -> list[Membership]:
    """Every partnership the member belongs to, by partnership name."""
    rows = await conn.fetchall(
        _MEMBERSHIP_SELECT + " WHERE m.member_id = ? ORDER BY p.name", (member_id,)
    )
    return [_membership_from_row(row) for row in rows]


async def add_membership(
    tx: Transaction,
    *,
    partnership_id: int,
    member_id: int,
    role: Role,
    now: datetime,
    organisation: str | None = None,
    country: str | None = None,
) -> None:
    """Add a member to a partnership, or change their role if already in it.

    `organisation` and `country` come from whoever vouches for them (an invite, an admin on
    the command line): they are stored as declared and as confirmed; None keeps what was."""
    await tx.execute(
        "INSERT INTO memberships (partnership_id, member_id, role, organisation, country,"
        " confirmed_organisation, confirmed_country, joined_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (partnership_id, member_id) DO UPDATE SET"
        " role = excluded.role,"
        " organisation = COALESCE(excluded.organisation, memberships.organisation),"
        " country = COALESCE(excluded.country, memberships.country),"
        " confirmed_organisation ="
        " COALESCE(excluded.confirmed_organisation, memberships.confirmed_organisation),"
        " confirmed_country = COALESCE(excluded.confirmed_country, memberships.confirmed_country)",
        (
            partnership_id,
            member_id,
            role.value,
            organisation,
            country,
            organisation,
            country,
            to_db_time(now),
        ),
    )


async def set_role(tx: Transaction, partnership_id: int, member_id: int, role: Role) -> bool:
    """Change a member's role; False if they are not in the partnership."""
    changed = await tx.execute(
        "UPDATE memberships SET role = ? WHERE partnership_id = ? AND member_id = ?",
        (role.value, partnership_id, member_id),
    )
    return changed > 0


async def remove_membership(
    tx: Transaction, partnership_id: int, member_id: int, *, by: int | None, now: datetime
) -> bool:
    """Take a member out of a partnership and keep them out of it (no invite lets them back
    in until `readmit`); False if they were not in it."""
    removed = await tx.execute(
        "DELETE FROM memberships WHERE partnership_id = ? AND member_id = ?",
        (partnership_id, member_id),
    )
    if removed:
        await tx.execute(
            "INSERT INTO removed_members (partnership_id, member_id, removed_by, removed_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (partnership_id, member_id) DO UPDATE SET"
            " removed_by = excluded.removed_by, removed_at = excluded.removed_at",
            (partnership_id, member_id, by, to_db_time(now)),
        )
    await tx.execute(
        "UPDATE members SET active_partnership_id = NULL"
        " WHERE id = ? AND active_partnership_id = ?",
        (member_id, partnership_id),
    )
    return removed > 0


async def count_with_role(conn: Reader, partnership_id: int, role: Role) -> int:
    """How many members hold a role in a partnership."""
    row = await conn.fetchone(
        "SELECT COUNT(*) FROM memberships WHERE partnership_id = ? AND role = ?",
        (partnership_id, role.value),
    )
    return int(row[0]) if row else 0


async def list_members(
    conn: Reader, partnership_id: int, *, limit: int, offset: int = 0
) -> list[MemberInPartnership]:
    """A page of a partnership's members, most powerful roles first, then by name."""
    rows = await conn.fetchall(
        "SELECT m.member_id, u.name, u.username, m.role, m.organisation, m.country,"
        " m.confirmed_organisation, m.confirmed_country"
        " FROM memberships m JOIN members u ON u.id = m.member_id"
        " WHERE m.partnership_id = ?"
        " ORDER BY CASE m.role WHEN 'admin' THEN 0 WHEN 'coordinator' THEN 1"
        " WHEN 'member' THEN 2 ELSE 3 END, u.name COLLATE NOCASE, u.id"
        " LIMIT ? OFFSET ?",
        (partnership_id, limit, offset),
    )
    return [
        MemberInPartnership(
            member_id=row["member_id"],
            name=row["name"],
            username=row["username"],
            role=Role(row["role"]),
            organisation=row["organisation"],
            country=row["country"],
            confirmed_organisation=row["confirmed_organisation"],
            confirmed_country=row["confirmed_country"],
        )
        for row in rows
    ]


async def count_members(conn: Reader, partnership_id: int) -> int:
    """How many members a partnership has."""
    row = await conn.fetchone(
        "SELECT COUNT(*) FROM memberships WHERE partnership_id = ?", (partnership_id,)
    )
    return int(row[0]) if row else 0


async def set_profile(
    tx: Transaction,
    partnership_id: int,
    member_id: int,
    *,
    organisation: str | None,
    country: str | None,
) -> None:
    """Store the organisation and country a member says they work for (display values)."""
    await tx.execute(
        "UPDATE memberships SET organisation = ?, country = ?"
        " WHERE partnership_id = ? AND member_id = ?",
        (organisation, country, partnership_id, member_id),
    )


async def with_own_menu(conn: Reader) -> list[tuple[Member, Role | None]]:
    """Members whose chat needs a menu of its own: coordinators and admins of their active
    partnership, and anyone who chose a language; with that role (None: in no partnership)."""
    rows = await conn.fetchall(
        "SELECT u.*, m.role AS active_role FROM members u"
        " LEFT JOIN memberships m"
        " ON m.member_id = u.id AND m.partnership_id = u.active_partnership_id"
        " WHERE u.seen_at IS NOT NULL"
        " AND (u.language IS NOT NULL OR m.role IN ('admin', 'coordinator'))"
        " ORDER BY u.id"
    )
    return [
        (_member_from_row(row), Role(row["active_role"]) if row["active_role"] else None)
        for row in rows
    ]


async def set_unreachable(tx: Transaction, member_id: int, now: datetime | None) -> None:
    """Mark a member who blocked the bot (or, with None, who is reachable again)."""
    await tx.execute(
        "UPDATE members SET unreachable_at = ? WHERE id = ?",
        (to_db_time(now) if now else None, member_id),
    )


async def audience(
    conn: Reader,
    partnership_id: int,
    *,
    role: str | None = None,
    country: str | None = None,
    organisation: str | None = None,
) -> list[tuple[Member, Role]]:
    """Members of a partnership, optionally only one role, country or organisation."""
    conditions = ["m.partnership_id = ?"]
    params: list[object] = [partnership_id]
    # Only vouched values select people: what a member typed about themselves does not.
    for column, value in (
        ("m.role", role),
        ("m.confirmed_country", country),
        ("m.confirmed_organisation", organisation),
    ):
        if value is not None:
            conditions.append(f"{column} = ? COLLATE NOCASE")
            params.append(value)
    rows = await conn.fetchall(
        "SELECT u.*, m.role AS member_role FROM memberships m JOIN members u ON u.id = m.member_id"
        f" WHERE {' AND '.join(conditions)} ORDER BY u.id",
        params,
    )
    return [(_member_from_row(row), Role(row["member_role"])) for row in rows]


async def distinct_values(conn: Reader, partnership_id: int, column: str) -> list[str]:
    """The confirmed countries or organisations of a partnership's members, alphabetically."""
    if column not in ("confirmed_country", "confirmed_organisation"):
        raise ValueError(column)
    rows = await conn.fetchall(
        f"SELECT DISTINCT {column} AS value FROM memberships"
        f" WHERE partnership_id = ? AND {column} IS NOT NULL ORDER BY {column} COLLATE NOCASE",
        (partnership_id,),
    )
    return [row["value"] for row in rows]


async def mark_seen(tx: Transaction, member_id: int, now: datetime) -> None:
    """Record that the member wrote to the bot."""
    await tx.execute("UPDATE members SET seen_at = ? WHERE id = ?", (to_db_time(now), member_id))


async def set_confirmed(
    tx: Transaction,
    partnership_id: int,
    member_id: int,
    field: str,
    value: str | None,
) -> bool:
    """Vouch for a member's organisation or country (None withdraws it); a value also
    becomes the one shown. False if they are not in the partnership."""
    if field not in ("organisation", "country"):
        raise ValueError(field)
    if value is None:
        sql = f"UPDATE memberships SET confirmed_{field} = NULL"
        params: tuple[object, ...] = ()
    else:
        sql = f"UPDATE memberships SET confirmed_{field} = ?, {field} = ?"
        params = (value, value)
    changed = await tx.execute(
        sql + " WHERE partnership_id = ? AND member_id = ?", (*params, partnership_id, member_id)
    )
    return changed > 0


async def is_removed(conn: Reader, partnership_id: int, member_id: int) -> bool:
    """True if the person was removed from the partnership and not readmitted since."""
    row = await conn.fetchone(
        "SELECT 1 FROM removed_members WHERE partnership_id = ? AND member_id = ?",
        (partnership_id, member_id),
    )
    return row is not None


async def readmit(tx: Transaction, partnership_id: int, member_id: int) -> bool:
    """Let a removed person join the partnership again; False if they were not removed."""
    lifted = await tx.execute(
        "DELETE FROM removed_members WHERE partnership_id = ? AND member_id = ?",
        (partnership_id, member_id),
    )
    return lifted > 0


async def removed(conn: Reader, partnership_id: int, *, limit: int) -> list[RemovedMember]:
    """People removed from a partnership and not readmitted, most recently removed first."""
    rows = await conn.fetchall(
        "SELECT r.member_id, u.name, u.username, r.removed_by, r.removed_at"
        " FROM removed_members r JOIN members u ON u.id = r.member_id"
        " WHERE r.partnership_id = ? ORDER BY r.removed_at DESC, r.member_id LIMIT ?",
        (partnership_id, limit),
    )
    return [
        RemovedMember(
            member_id=row["member_id"],
            name=row["name"],
            username=row["username"],
            removed_by=row["removed_by"],
            removed_at=from_db_time(row["removed_at"]),
        )
        for row in rows
    ]


async def count_removed(conn: Reader, partnership_id: int) -> int:
    """How many people are kept out of a partnership."""
    row = await conn.fetchone(
        "SELECT COUNT(*) FROM removed_members WHERE partnership_id = ?", (partnership_id,)
    )
    return int(row[0]) if row else 0


async def holders_of_username(conn: Reader, partnership_id: int, username: str) -> list[int]:
    """Members of a partnership whose Telegram username (as last seen) is `username`."""
    rows = await conn.fetchall(
        "SELECT u.id FROM members u JOIN memberships m ON m.member_id = u.id"
        " WHERE m.partnership_id = ? AND u.username = ? COLLATE NOCASE ORDER BY u.id",
        (partnership_id, username.lstrip("@")),
    )
    return [int(row["id"]) for row in rows]


async def card_phones(conn: Reader, member_id: int) -> list[str]:
    """The phone numbers on a person's own contact cards."""
    rows = await conn.fetchall(
        "SELECT phone FROM contacts WHERE member_id = ? AND phone IS NOT NULL", (member_id,)
    )
    return [str(row[0]) for row in rows]


async def names(conn: Reader, member_ids: Collection[int]) -> dict[int, str]:
    """The stored names of some members, by id (ids of nobody left out)."""
    if not member_ids:
        return {}
    ids = list(member_ids)
    marks = ",".join("?" * len(ids))
    rows = await conn.fetchall(f"SELECT id, name FROM members WHERE id IN ({marks})", ids)
    return {row["id"]: row["name"] for row in rows}
