"""Partner contacts of a partnership and their full-text index (SQLite FTS5).

Every function takes the partnership (or partnerships) it may look in: a contact of one
partnership is never read through another. The index `contacts_fts` is kept in step with the
table by triggers (migration 0003_contacts), so writers only touch `contacts`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.contacts import Contact, ContactFields
from storage.db import Transaction, from_db_time, to_db_time
from storage.rows import Reader

#: The indexed columns, in the order of the FTS table (bm25 takes weights in that order).
INDEXED_COLUMNS = ("name", "organisation", "kind", "country", "role", "expertise", "languages")
#: A word in the name counts most, then role and organisation; languages least.
_WEIGHTS = (10.0, 5.0, 3.0, 3.0, 6.0, 2.0, 1.0)
#: The ranking of FTS5's `rank` column for one query (`rank MATCH ?`): bm25 with those weights.
RANKING = f"bm25({', '.join(str(w) for w in _WEIGHTS)})"
#: Expertise topics are stored in one column, joined by this separator.
EXPERTISE_SEPARATOR = "; "


@dataclass(frozen=True, slots=True)
class Search:
    """A search: an FTS5 expression and/or exact values, in some partnerships."""

    partnership_ids: tuple[int, ...]
    match: str | None = None  # an FTS5 query over contacts_fts, or None for no word
    country: str | None = None  # exact value (browsing by country)
    organisation: str | None = None  # exact value (browsing by organisation)


def _phrase(words: str, *, prefix: bool) -> str:
    """An FTS5 string (the tokenizer splits it into words); `*` makes its last word a prefix."""
    return '"' + words.replace('"', '""') + '"' + ("*" if prefix else "")


def _has_token(text: str) -> bool:
    return any(char.isalnum() for char in text)


def match_expression(
    words: Sequence[str], filters: Sequence[tuple[str, str, bool]] = ()
) -> str | None:
    """The FTS5 query for free words and column filters; None if there is nothing to match.

    Every free word must match the beginning of a word in some column; a word matching a
    whole word counts twice, so exact matches rank above mere beginnings. A filter is
    (column, value, prefix): the value's words must follow each other in that column, the
    last one possibly as a beginning.
    """
    parts = []
    for word in words:
        if not _has_token(word):
            continue
        # One-letter beginnings would match a large part of the index for nothing.
        if sum(char.isalnum() for char in word) < 2:
            parts.append(_phrase(word, prefix=False))
        else:
            parts.append(f"({_phrase(word, prefix=False)} OR {_phrase(word, prefix=True)})")
    for column, value, prefix in filters:
        if column not in INDEXED_COLUMNS:
            raise ValueError(f"contacts are not indexed by {column!r}")
        if _has_token(value):
            parts.append(f"{column} : {_phrase(value, prefix=prefix)}")
    return " AND ".join(parts) if parts else None


def _from_row(row: sqlite3.Row) -> Contact:
    return Contact(
        id=row["id"],
        partnership_id=row["partnership_id"],
        member_id=row["member_id"],
        name=row["name"],
        organisation=row["organisation"],
        organisation_type=row["organisation_type"],
        country=row["country"],
        role=row["role"],
        expertise=tuple(t for t in row["expertise"].split(EXPERTISE_SEPARATOR) if t),
        languages=tuple(code for code in row["languages"].split(",") if code),
        phone=row["phone"],
        email=row["email"],
        telegram=row["telegram"],
        notes=row["notes"],
        created_at=from_db_time(row["created_at"]),
        updated_at=from_db_time(row["updated_at"]),
    )


def _values(fields: ContactFields) -> tuple[object, ...]:
    return (
        fields.name,
        fields.organisation,
        fields.organisation_type,
        fields.country,
        fields.role,
        EXPERTISE_SEPARATOR.join(fields.expertise),
        ",".join(fields.languages),
        fields.language_names,
        fields.phone,
        fields.email,
        fields.telegram,
        fields.notes,
        fields.identity_key,
    )


_COLUMNS = (
    "name, organisation, organisation_type, country, role, expertise, languages, language_names,"
    " phone, email, telegram, notes, identity_key"
)


async def insert(
    tx: Transaction,
    *,
    partnership_id: int,
    fields: ContactFields,
    now: datetime,
    by: int | None,
    member_id: int | None = None,
) -> int:
    """Add a contact; returns its id."""
    stamp = to_db_time(now)
    return await tx.insert(
        f"INSERT INTO contacts (partnership_id, member_id, {_COLUMNS}, created_by, created_at,"
        " updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (partnership_id, member_id, *_values(fields), by, stamp, by, stamp),
    )


async def insert_many(
    tx: Transaction,
    *,
    partnership_id: int,
    rows: Sequence[ContactFields],
    now: datetime,
    by: int | None,
) -> None:
    """Add many contacts at once (imports, benchmarks)."""
    stamp = to_db_time(now)
    await tx.executemany(
        f"INSERT INTO contacts (partnership_id, member_id, {_COLUMNS}, created_by, created_at,"
        " updated_by, updated_at) VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?)",
        [(partnership_id, *_values(fields), by, stamp, by, stamp) for fields in rows],
    )


async def update(
    tx: Transaction,
    *,
    partnership_id: int,
    contact_id: int,
    fields: ContactFields,
    now: datetime,
    by: int | None,
) -> bool:
    """Replace a contact's fields; False if it is not in that partnership."""
    assignments = ", ".join(f"{column.strip()} = ?" for column in _COLUMNS.split(","))
    changed = await tx.execute(
        f"UPDATE contacts SET {assignments}, updated_by = ?, updated_at = ?"
        " WHERE id = ? AND partnership_id = ?",
        (*_values(fields), by, to_db_time(now), contact_id, partnership_id),
    )
    return changed > 0


async def delete(tx: Transaction, *, partnership_id: int, contact_id: int) -> bool:
    """Remove a contact; False if it is not in that partnership."""
    removed = await tx.execute(
        "DELETE FROM contacts WHERE id = ? AND partnership_id = ?", (contact_id, partnership_id)
    )
    return removed > 0


async def get(conn: Reader, partnership_id: int, contact_id: int) -> Contact | None:
    """One contact of a partnership."""
    row = await conn.fetchone(
        "SELECT * FROM contacts WHERE id = ? AND partnership_id = ?", (contact_id, partnership_id)
    )
    return None if row is None else _from_row(row)


async def of_member(conn: Reader, partnership_id: int, member_id: int) -> Contact | None:
    """A member's own card in a partnership."""
    row = await conn.fetchone(
        "SELECT * FROM contacts WHERE partnership_id = ? AND member_id = ?",
        (partnership_id, member_id),
    )
    return None if row is None else _from_row(row)


async def same_as(
    conn: Reader, partnership_id: int, *, identity_key: str, phone: str | None
) -> list[Contact]:
    """Contacts that would duplicate one with this name and organisation, or this phone."""
    rows = await conn.fetchall(
        "SELECT * FROM contacts WHERE partnership_id = ? AND (identity_key = ? OR phone = ?)"
        " ORDER BY id",
        (partnership_id, identity_key, phone),
    )
    return [_from_row(row) for row in rows]


async def with_phone(conn: Reader, partnership_id: int, phone: str) -> list[Contact]:
    """The partnership's contacts with this phone number (E.164)."""
    rows = await conn.fetchall(
        "SELECT * FROM contacts WHERE partnership_id = ? AND phone = ? ORDER BY id",
        (partnership_id, phone),
    )
    return [_from_row(row) for row in rows]


async def all_of(conn: Reader, partnership_id: int) -> list[Contact]:
    """Every contact of a partnership, by name."""
    rows = await conn.fetchall(
        "SELECT * FROM contacts WHERE partnership_id = ? ORDER BY name COLLATE NOCASE, id",
        (partnership_id,),
    )
    return [_from_row(row) for row in rows]


async def count(conn: Reader, partnership_id: int) -> int:
    """How many contacts a partnership has."""
    row = await conn.fetchone(
        "SELECT count(*) FROM contacts WHERE partnership_id = ?", (partnership_id,)
    )
    return int(row[0]) if row else 0


async def tally(conn: Reader, partnership_id: int, column: str) -> list[tuple[str, int]]:
    """(value, number of contacts) of `country` or `organisation`, most frequent first."""
    if column not in {"country", "organisation"}:
        raise ValueError(f"cannot tally contacts by {column!r}")
    rows = await conn.fetchall(
        f"SELECT {column} AS value, count(*) AS n FROM contacts"
        f" WHERE partnership_id = ? AND {column} <> ''"
        f" GROUP BY {column} ORDER BY n DESC, {column} COLLATE NOCASE",
        (partnership_id,),
    )
    return [(row["value"], row["n"]) for row in rows]


def _where(search: Search) -> tuple[str, list[object]]:
    if not search.partnership_ids:
        raise ValueError("a contact search needs the partnerships it may look in")
    marks = ", ".join("?" for _ in search.partnership_ids)
    clauses = [f"c.partnership_id IN ({marks})"]
    params: list[object] = list(search.partnership_ids)
    if search.match is not None:
        clauses.append("contacts_fts MATCH ?")
        params.append(search.match)
    if search.country is not None:
        clauses.append("c.country = ?")
        params.append(search.country)
    if search.organisation is not None:
        clauses.append("c.organisation = ?")
        params.append(search.organisation)
    return " AND ".join(clauses), params


def _source(search: Search) -> str:
    if search.match is None:
        return "contacts c"
    # CROSS JOIN keeps the index first: left to choose, SQLite starts from the partnership's
    # contacts and runs the full-text query once per contact (seconds). Each match needs only
    # its partnership and name, which contacts_ranked holds: reading the table's rows instead
    # took about as long as ranking. Exact values (browsing) are only in the table.
    narrow = search.country is None and search.organisation is None
    table = "contacts c INDEXED BY contacts_ranked" if narrow else "contacts c"
    return f"contacts_fts CROSS JOIN {table} ON c.id = contacts_fts.rowid"


async def _page(conn: Reader, query: Search, *, limit: int, offset: int) -> list[Contact]:
    where, params = _where(query)
    source = _source(query)
    if query.match is None:
        rows = await conn.fetchall(
            f"SELECT c.* FROM {source} WHERE {where} ORDER BY c.name COLLATE NOCASE, c.id"
            " LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_from_row(row) for row in rows]
    # The matches are ranked on their ids alone (FTS5's rank column, bm25 with the weights
    # above, then name and id for equal ranks); only the page's rows are then read whole.
    rows = await conn.fetchall(
        "SELECT shown.* FROM"
        " (SELECT c.id AS id, contacts_fts.rank AS score, c.name AS name"
        f" FROM {source} WHERE {where} AND contacts_fts.rank MATCH ?"
        " ORDER BY contacts_fts.rank, c.name COLLATE NOCASE, c.id LIMIT ? OFFSET ?) AS page"
        " CROSS JOIN contacts shown ON shown.id = page.id"
        " ORDER BY page.score, page.name COLLATE NOCASE, page.id",
        [*params, RANKING, limit, offset],
    )
    return [_from_row(row) for row in rows]


async def _count(conn: Reader, query: Search, up_to: int | None) -> int:
    where, params = _where(query)
    source = _source(query)
    if up_to is None:
        row = await conn.fetchone(f"SELECT count(*) FROM {source} WHERE {where}", params)
    else:
        # Stops at `up_to` matches: a broad query need not be counted through.
        row = await conn.fetchone(
            f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where} LIMIT ?)",
            [*params, up_to],
        )
    return int(row[0]) if row else 0


async def search(
    conn: Reader,
    query: Search,
    *,
    limit: int,
    offset: int = 0,
    count_up_to: int | None = None,
) -> tuple[list[Contact], int]:
    """A page of matching contacts, best first, and how many match in all, counted up to
    `count_up_to` if given (the figure is then at most `count_up_to`: as many or more match).

    With words, contacts are ranked by bm25 (weighted per column), then by name; without, by
    name. Where the page tells how many match (no match past it), or that `count_up_to` is
    reached, nothing more is counted.
    """
    # One row past the page tells whether any match follows it.
    found = await _page(conn, query, limit=limit + 1, offset=offset)
    following = len(found) > limit
    found = found[:limit]
    if not following and (found or offset == 0):
        total = offset + len(found)
    elif following and count_up_to is not None and count_up_to <= offset + limit + 1:
        total = count_up_to
    else:
        total = await _count(conn, query, count_up_to)
    return found, total if count_up_to is None else min(total, count_up_to)


async def adopt(tx: Transaction, partnership_id: int, contact_id: int, member_id: int) -> None:
    """Make a contact a member's own card."""
    await tx.execute(
        "UPDATE contacts SET member_id = ? WHERE id = ? AND partnership_id = ?",
        (member_id, contact_id, partnership_id),
    )
