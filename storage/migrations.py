"""Named, append-only schema migrations, recorded in the `migrations` table.

Never edit or reorder a migration that has shipped: add a new one at the end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema change, applied once, in a transaction."""

    name: str
    sql: str

    def statements(self) -> Iterator[str]:
        """Split the script into complete statements (triggers keep their inner `;`)."""
        pending = ""
        for line in self.sql.splitlines(keepends=True):
            pending += line
            if sqlite3.complete_statement(pending):
                yield pending.strip()
                pending = ""
        if pending.strip():
            raise ValueError(f"migration {self.name} ends with an incomplete statement")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_foundation",
        """
        CREATE TABLE partnerships (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('cop', 'jit', 'network', 'bilateral')),
            countries TEXT NOT NULL DEFAULT '',
            timezone TEXT NOT NULL,
            language TEXT NOT NULL,
            created_at TEXT NOT NULL
        );

        CREATE TABLE members (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            username TEXT,
            language TEXT,
            telegram_language TEXT,
            active_partnership_id INTEGER REFERENCES partnerships(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE memberships (
            partnership_id INTEGER NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'member', 'observer')),
            organisation TEXT,
            country TEXT,
            joined_at TEXT NOT NULL,
            PRIMARY KEY (partnership_id, member_id)
        );
        CREATE INDEX memberships_by_member ON memberships(member_id);

        CREATE TABLE invites (
            code TEXT PRIMARY KEY,
            partnership_id INTEGER NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'member', 'observer')),
            max_uses INTEGER NOT NULL CHECK (max_uses > 0),
            uses INTEGER NOT NULL DEFAULT 0,
            expires_at TEXT NOT NULL,
            created_by INTEGER,
            created_at TEXT NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE invite_uses (
            code TEXT NOT NULL REFERENCES invites(code) ON DELETE CASCADE,
            member_id INTEGER NOT NULL,
            used_at TEXT NOT NULL,
            PRIMARY KEY (code, member_id)
        );

        CREATE TABLE group_links (
            chat_id INTEGER PRIMARY KEY,
            partnership_id INTEGER NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            linked_by INTEGER NOT NULL,
            linked_at TEXT NOT NULL
        );
        CREATE INDEX group_links_by_partnership ON group_links(partnership_id);

        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            partnership_id INTEGER,
            actor_id INTEGER,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX audit_by_partnership ON audit_log(partnership_id, at);

        CREATE TABLE kv (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE processed_updates (
            update_id INTEGER PRIMARY KEY,
            processed_at TEXT NOT NULL
        );

        CREATE TABLE conversations (
            name TEXT NOT NULL,
            key TEXT NOT NULL,
            state TEXT NOT NULL,
            PRIMARY KEY (name, key)
        );

        CREATE TABLE user_data (
            user_id INTEGER PRIMARY KEY,
            data TEXT NOT NULL
        );
        """,
    ),
)
