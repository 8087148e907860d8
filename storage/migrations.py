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
    Migration(
        "0002_outbox",
        """
        ALTER TABLE members ADD COLUMN unreachable_at TEXT;

        CREATE TABLE broadcasts (
            id INTEGER PRIMARY KEY,
            partnership_id INTEGER REFERENCES partnerships(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            reference TEXT,
            author_id INTEGER,
            urgent INTEGER NOT NULL DEFAULT 0,
            audience TEXT NOT NULL DEFAULT '{}',
            body TEXT NOT NULL DEFAULT '',
            idempotency_key TEXT UNIQUE,
            status_chat_id INTEGER,
            status_message_id INTEGER,
            remind_at TEXT,
            reminded_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX broadcasts_by_partnership ON broadcasts(partnership_id, created_at);
        CREATE INDEX broadcasts_to_remind ON broadcasts(remind_at) WHERE reminded_at IS NULL;

        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
            chat_id INTEGER NOT NULL,
            member_id INTEGER,
            language TEXT NOT NULL,
            text TEXT NOT NULL,
            media_kind TEXT CHECK (media_kind IN ('photo', 'document')),
            media_file_id TEXT,
            -- 1: the message carries an Acknowledge button, for this delivery or for ack_for
            -- (a reminder acknowledges the delivery it reminds of).
            acknowledge INTEGER NOT NULL DEFAULT 0,
            ack_for INTEGER REFERENCES deliveries(id) ON DELETE CASCADE,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            telegram_message_id INTEGER,
            sent_at TEXT,
            acknowledged_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX deliveries_due ON deliveries(next_attempt_at)
            WHERE status IN ('pending', 'failed');
        CREATE INDEX deliveries_by_broadcast ON deliveries(broadcast_id, status);
        CREATE INDEX deliveries_in_flight ON deliveries(status) WHERE status = 'sending';
        """,
    ),
    Migration(
        "0003_contacts",
        """
        CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            partnership_id INTEGER NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
            member_id INTEGER REFERENCES members(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            organisation TEXT NOT NULL,
            organisation_type TEXT,
            country TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL DEFAULT '',
            expertise TEXT NOT NULL DEFAULT '',
            languages TEXT NOT NULL DEFAULT '',
            language_names TEXT NOT NULL DEFAULT '',
            phone TEXT,
            email TEXT,
            telegram TEXT,
            notes TEXT NOT NULL DEFAULT '',
            identity_key TEXT NOT NULL,
            created_by INTEGER,
            created_at TEXT NOT NULL,
            updated_by INTEGER,
            updated_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX contacts_identity ON contacts(partnership_id, identity_key);
        CREATE UNIQUE INDEX contacts_phone ON contacts(partnership_id, phone)
            WHERE phone IS NOT NULL;
        CREATE UNIQUE INDEX contacts_member ON contacts(partnership_id, member_id)
            WHERE member_id IS NOT NULL;
        CREATE INDEX contacts_by_name ON contacts(partnership_id, name COLLATE NOCASE);
        CREATE INDEX contacts_by_country ON contacts(partnership_id, country);
        CREATE INDEX contacts_by_organisation ON contacts(partnership_id, organisation);

        -- What the search index holds for a contact. Words written with an apostrophe or a
        -- hyphen are indexed both split and joined (Côte d’Ivoire: "d ivoire" and "divoire"),
        -- so people find them however they type them.
        CREATE VIEW contact_documents AS
        SELECT
            id,
            name || CASE WHEN name GLOB '*[''’-]*'
                THEN ' ' || replace(replace(replace(name, '''', ''), '’', ''), '-', '')
                ELSE '' END AS name,
            organisation || CASE WHEN organisation GLOB '*[''’-]*'
                THEN ' ' || replace(replace(replace(organisation, '''', ''), '’', ''), '-', '')
                ELSE '' END AS organisation,
            replace(coalesce(organisation_type, ''), '_', ' ') AS kind,
            country || CASE WHEN country GLOB '*[''’-]*'
                THEN ' ' || replace(replace(replace(country, '''', ''), '’', ''), '-', '')
                ELSE '' END AS country,
            role || CASE WHEN role GLOB '*[''’-]*'
                THEN ' ' || replace(replace(replace(role, '''', ''), '’', ''), '-', '')
                ELSE '' END AS role,
            expertise || CASE WHEN expertise GLOB '*[''’-]*'
                THEN ' ' || replace(replace(replace(expertise, '''', ''), '’', ''), '-', '')
                ELSE '' END AS expertise,
            languages || ' ' || language_names AS languages
        FROM contacts;

        -- unicode61 with remove_diacritics 2 ignores case and accents; the prefix indexes
        -- make word beginnings ("gend" for gendarmerie) quick to find.
        CREATE VIRTUAL TABLE contacts_fts USING fts5(
            name, organisation, kind, country, role, expertise, languages,
            tokenize = 'unicode61 remove_diacritics 2',
            prefix = '2 3 4'
        );

        CREATE TRIGGER contacts_indexed AFTER INSERT ON contacts BEGIN
            INSERT INTO contacts_fts (rowid, name, organisation, kind, country, role, expertise,
                                      languages)
            SELECT id, name, organisation, kind, country, role, expertise, languages
            FROM contact_documents WHERE id = new.id;
        END;

        CREATE TRIGGER contacts_reindexed AFTER UPDATE OF name, organisation, organisation_type,
            country, role, expertise, languages, language_names ON contacts BEGIN
            DELETE FROM contacts_fts WHERE rowid = old.id;
            INSERT INTO contacts_fts (rowid, name, organisation, kind, country, role, expertise,
                                      languages)
            SELECT id, name, organisation, kind, country, role, expertise, languages
            FROM contact_documents WHERE id = new.id;
        END;

        CREATE TRIGGER contacts_unindexed AFTER DELETE ON contacts BEGIN
            DELETE FROM contacts_fts WHERE rowid = old.id;
        END;

        -- A member's own card leaves the directory with them.
        CREATE TRIGGER contacts_member_left AFTER DELETE ON memberships BEGIN
            DELETE FROM contacts
            WHERE partnership_id = old.partnership_id AND member_id = old.member_id;
        END;
        """,
    ),
    Migration(
        "0004_members_seen",
        """
        -- When the bot last heard from a member: Telegram refuses chat-scoped calls
        -- (menus) for people who never opened the bot.
        ALTER TABLE members ADD COLUMN seen_at TEXT;
        """,
    ),
)
