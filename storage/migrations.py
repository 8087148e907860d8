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
    Migration(
        "0005_meetings",
        """
        CREATE TABLE meetings (
            id INTEGER PRIMARY KEY,
            partnership_id INTEGER NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
            held_at TEXT NOT NULL,
            title TEXT NOT NULL,
            kind TEXT NOT NULL
                CHECK (kind IN ('steering', 'bilateral', 'operational', 'training', 'other')),
            location TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '',
            decisions TEXT NOT NULL DEFAULT '',
            -- 1: only coordinators, admins, the author and the members named in it see it.
            restricted INTEGER NOT NULL DEFAULT 0,
            author_id INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_by INTEGER,
            updated_at TEXT NOT NULL,
            deleted_at TEXT,
            deleted_by INTEGER
        );
        CREATE INDEX meetings_by_partnership ON meetings(partnership_id, held_at)
            WHERE deleted_at IS NULL;

        CREATE TABLE meeting_participants (
            meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            organisation TEXT NOT NULL DEFAULT '',
            member_id INTEGER,
            PRIMARY KEY (meeting_id, position)
        );
        CREATE INDEX meeting_participants_by_member ON meeting_participants(member_id)
            WHERE member_id IS NOT NULL;

        CREATE TABLE meeting_actions (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            what TEXT NOT NULL,
            owner_id INTEGER,
            owner_name TEXT NOT NULL DEFAULT '',
            -- A day in the partnership's timezone (YYYY-MM-DD); NULL: no due date.
            due_on TEXT,
            done_at TEXT,
            done_by INTEGER,
            -- Set when the owner's reminder was queued: never reminded twice.
            reminded_at TEXT
        );
        CREATE INDEX meeting_actions_by_meeting ON meeting_actions(meeting_id, position);
        CREATE INDEX meeting_actions_open ON meeting_actions(due_on)
            WHERE done_at IS NULL AND reminded_at IS NULL;
        CREATE INDEX meeting_actions_by_owner ON meeting_actions(owner_id)
            WHERE owner_id IS NOT NULL;

        CREATE TABLE meeting_attachments (
            meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('photo', 'document', 'voice', 'audio', 'video')),
            file_id TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (meeting_id, position)
        );

        -- A meeting's words (its own fields, participants and actions), written by
        -- storage/meetings.py whenever the meeting is saved; rowid is the meeting's id.
        CREATE VIRTUAL TABLE meetings_fts USING fts5(
            title, location, people, summary, decisions, actions,
            tokenize = 'unicode61 remove_diacritics 2',
            prefix = '2 3 4'
        );

        CREATE TRIGGER meetings_unindexed AFTER DELETE ON meetings BEGIN
            DELETE FROM meetings_fts WHERE rowid = old.id;
        END;
        """,
    ),
    Migration(
        "0006_challenges",
        """
        -- Emerging challenges flagged by members (services/challenges.py).
        CREATE TABLE challenges (
            id INTEGER PRIMARY KEY,
            partnership_id INTEGER NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
            reporter_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
            category TEXT NOT NULL,
            severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
            status TEXT NOT NULL DEFAULT 'reported' CHECK (status IN
                ('reported', 'acknowledged', 'corroborated', 'confirmed', 'resolved', 'dismissed')),
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            place TEXT,
            latitude REAL CHECK (latitude BETWEEN -90 AND 90),
            longitude REAL CHECK (longitude BETWEEN -180 AND 180),
            route TEXT,
            observed_at TEXT,
            -- 0: only the day of observed_at is known.
            observed_has_time INTEGER NOT NULL DEFAULT 0,
            -- 1: only coordinators, admins and the reporter see it; no alert beyond coordinators.
            restricted INTEGER NOT NULL DEFAULT 0,
            idempotency_key TEXT UNIQUE,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            -- The first acknowledgement by a coordinator or admin: escalation stops there.
            acknowledged_at TEXT
        );
        CREATE INDEX challenges_by_partnership ON challenges(partnership_id, status, created_at);

        CREATE TABLE challenge_attachments (
            challenge_id INTEGER NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('photo', 'document')),
            file_id TEXT NOT NULL,
            file_name TEXT,
            PRIMARY KEY (challenge_id, position)
        );

        -- The status history; names are kept so it still reads after people leave.
        CREATE TABLE challenge_events (
            id INTEGER PRIMARY KEY,
            challenge_id INTEGER NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
            status TEXT NOT NULL,
            actor_id INTEGER,
            actor_name TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        );
        CREATE INDEX challenge_events_by_challenge ON challenge_events(challenge_id, id);

        -- Who acknowledged a challenge, through which alert (a delivery of the outbox).
        CREATE TABLE challenge_acknowledgements (
            challenge_id INTEGER NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
            member_id INTEGER NOT NULL,
            role TEXT NOT NULL,
            delivery_id INTEGER REFERENCES deliveries(id) ON DELETE SET NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (challenge_id, member_id)
        );

        -- Escalation steps planned at submission; done_at is set once, so none fires twice,
        -- and the job rebuilds its schedule from here after a restart.
        CREATE TABLE challenge_escalations (
            challenge_id INTEGER NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            due_at TEXT NOT NULL,
            done_at TEXT,
            outcome TEXT CHECK (outcome IN ('sent', 'not_needed', 'superseded')),
            recipients INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (challenge_id, step)
        );
        CREATE INDEX challenge_escalations_due ON challenge_escalations(due_at)
            WHERE done_at IS NULL;

        -- A partnership's escalation rule; without a row: critical only, after 30 minutes.
        CREATE TABLE challenge_settings (
            partnership_id INTEGER PRIMARY KEY REFERENCES partnerships(id) ON DELETE CASCADE,
            minutes INTEGER NOT NULL CHECK (minutes BETWEEN 5 AND 1440),
            include_high INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );

        -- Members who do not want the partnership-wide alerts of high and critical challenges.
        CREATE TABLE challenge_alert_optouts (
            partnership_id INTEGER NOT NULL,
            member_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (partnership_id, member_id),
            FOREIGN KEY (partnership_id, member_id)
                REFERENCES memberships(partnership_id, member_id) ON DELETE CASCADE
        );

        -- Buttons a message carries besides Acknowledge, per language: [[label, data], ...].
        ALTER TABLE deliveries ADD COLUMN buttons TEXT NOT NULL DEFAULT '[]';
        """,
    ),
    Migration(
        "0007_action_plan",
        """
        -- A partnership's action plan: pillars in order, each with dated milestones.
        CREATE TABLE action_plans (
            partnership_id INTEGER PRIMARY KEY REFERENCES partnerships(id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            reference TEXT,
            source TEXT NOT NULL,
            imported_at TEXT NOT NULL
        );

        CREATE TABLE pillars (
            id INTEGER PRIMARY KEY,
            partnership_id INTEGER NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
            code TEXT NOT NULL COLLATE NOCASE,
            position INTEGER NOT NULL,
            -- The title per language, as JSON: {"en": "...", "fr": "..."}.
            titles TEXT NOT NULL,
            UNIQUE (partnership_id, code)
        );

        CREATE TABLE milestones (
            id INTEGER PRIMARY KEY,
            partnership_id INTEGER NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
            pillar_id INTEGER NOT NULL REFERENCES pillars(id) ON DELETE CASCADE,
            code TEXT NOT NULL COLLATE NOCASE,
            position INTEGER NOT NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            owner TEXT,
            -- Telegram user ids and @usernames who may update it, as JSON.
            assignees TEXT NOT NULL DEFAULT '[]',
            due_on TEXT,
            date_inferred INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'planned'
                CHECK (status IN ('planned', 'in_progress', 'done', 'cancelled')),
            progress INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
            completed_at TEXT,
            updated_at TEXT NOT NULL,
            UNIQUE (partnership_id, code)
        );
        CREATE INDEX milestones_by_pillar ON milestones(pillar_id, position);
        CREATE INDEX milestones_open_by_due ON milestones(partnership_id, due_on)
            WHERE status IN ('planned', 'in_progress');
        CREATE INDEX milestones_completed ON milestones(partnership_id, completed_at)
            WHERE completed_at IS NOT NULL;

        -- Every change of status, progress or note; authors are kept by name too, so the
        -- history still reads after they leave.
        CREATE TABLE milestone_updates (
            id INTEGER PRIMARY KEY,
            milestone_id INTEGER NOT NULL REFERENCES milestones(id) ON DELETE CASCADE,
            author_id INTEGER,
            author_name TEXT NOT NULL,
            at TEXT NOT NULL,
            status TEXT NOT NULL,
            progress INTEGER NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX milestone_updates_by_milestone ON milestone_updates(milestone_id, at);

        -- A partnership's own digest schedule; without a row: weekly, Monday 08:00.
        CREATE TABLE digest_schedules (
            partnership_id INTEGER PRIMARY KEY REFERENCES partnerships(id) ON DELETE CASCADE,
            frequency TEXT NOT NULL CHECK (frequency IN ('weekly', 'daily', 'off')),
            weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
            hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
            changed_at TEXT NOT NULL
        );

        -- Per recipient of a partnership's digest (a member's private chat, whose id is the
        -- member's, or a linked group): their own schedule (NULL: the partnership's; groups
        -- get none until an admin chooses one) and when it was chosen, the last scheduled
        -- slot sent, and when their last digest was made (scheduled or asked for). Only
        -- slots after the last one sent, the joining or linking, and the latest change of
        -- schedule are due: a new schedule never sends a digest for a time already past.
        CREATE TABLE digest_recipients (
            partnership_id INTEGER NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
            chat_id INTEGER NOT NULL,
            frequency TEXT CHECK (frequency IN ('weekly', 'daily', 'off')),
            weekday INTEGER CHECK (weekday BETWEEN 0 AND 6),
            hour INTEGER CHECK (hour BETWEEN 0 AND 23),
            chosen_at TEXT,
            last_slot TEXT,
            last_digest_at TEXT,
            PRIMARY KEY (partnership_id, chat_id)
        );

        CREATE TRIGGER digest_member_left AFTER DELETE ON memberships BEGIN
            DELETE FROM digest_recipients
            WHERE partnership_id = old.partnership_id AND chat_id = old.member_id;
        END;

        -- Digests count the challenges reported since the reader's last digest; without
        -- this, each count reads every challenge the partnership ever had.
        CREATE INDEX challenges_by_created ON challenges(partnership_id, created_at);

        CREATE TRIGGER digest_group_unlinked AFTER DELETE ON group_links BEGIN
            DELETE FROM digest_recipients
            WHERE partnership_id = old.partnership_id AND chat_id = old.chat_id;
        END;
        """,
    ),
    Migration(
        "0008_vouched_memberships",
        """
        -- The organisation and country a coordinator or admin set or confirmed, or that the
        -- invite a member joined with carried. Only these grant rights (milestones) and select
        -- broadcast audiences; `organisation` and `country` stay what the member declared.
        ALTER TABLE memberships ADD COLUMN confirmed_organisation TEXT;
        ALTER TABLE memberships ADD COLUMN confirmed_country TEXT;
        -- Values never edited with /profile came from the command line or the demo data, which
        -- only an admin runs: they count as confirmed. Anything a member typed does not.
        UPDATE memberships
        SET confirmed_organisation = organisation, confirmed_country = country
        WHERE NOT EXISTS (
            SELECT 1 FROM audit_log a
            WHERE a.action = 'member.profile'
            AND a.partnership_id = memberships.partnership_id
            AND a.actor_id = memberships.member_id
        );

        -- An invite may vouch for the organisation and country of the people who join with it.
        ALTER TABLE invites ADD COLUMN organisation TEXT;
        ALTER TABLE invites ADD COLUMN country TEXT;
        CREATE INDEX invites_by_creator ON invites(partnership_id, created_by) WHERE revoked = 0;
        -- An invite lives only while its creator may grant its role: those whose creator was
        -- removed or demoted before this rule existed die now, as they would have then.
        CREATE TEMP VIEW orphaned_invites AS
        SELECT i.* FROM invites i
        WHERE i.revoked = 0 AND i.created_by IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM memberships m
            WHERE m.partnership_id = i.partnership_id AND m.member_id = i.created_by
            AND (m.role = 'admin'
                 OR (m.role = 'coordinator' AND i.role IN ('member', 'observer')))
        );
        INSERT INTO audit_log (at, partnership_id, actor_id, action, detail)
        SELECT strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), partnership_id, NULL, 'invite.revoke',
            json_object('role', role, 'created_by', created_by,
                        'reason', 'creator removed or demoted earlier')
        FROM orphaned_invites;
        UPDATE invites SET revoked = 1 WHERE code IN (SELECT code FROM orphaned_invites);
        DROP VIEW orphaned_invites;

        -- People removed from a partnership: no invite lets them back in until an admin
        -- readmits them. Those removed before this table existed are read from the audit log.
        CREATE TABLE removed_members (
            partnership_id INTEGER NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            removed_by INTEGER,
            removed_at TEXT NOT NULL,
            PRIMARY KEY (partnership_id, member_id)
        );
        INSERT OR IGNORE INTO removed_members (partnership_id, member_id, removed_by, removed_at)
        SELECT a.partnership_id, json_extract(a.detail, '$.member_id'), a.actor_id, MAX(a.at)
        FROM audit_log a
        WHERE a.action = 'member.remove'
        AND EXISTS (SELECT 1 FROM partnerships p WHERE p.id = a.partnership_id)
        AND EXISTS (SELECT 1 FROM members u WHERE u.id = json_extract(a.detail, '$.member_id'))
        AND NOT EXISTS (
            SELECT 1 FROM memberships m
            WHERE m.partnership_id = a.partnership_id
            AND m.member_id = json_extract(a.detail, '$.member_id')
        )
        GROUP BY a.partnership_id, json_extract(a.detail, '$.member_id');

        -- Invite codes are secrets: the audit log keeps a reference to them, never the code.
        UPDATE audit_log SET detail = json_remove(detail, '$.code')
        WHERE action LIKE 'invite.%' AND json_extract(detail, '$.code') IS NOT NULL;
        """,
    ),
    Migration(
        "0009_protected_deliveries",
        """
        -- Restricted material is sent with Telegram's protect_content: no forwarding, no saving.
        ALTER TABLE deliveries ADD COLUMN protect_content INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    Migration(
        "0010_challenge_search",
        """
        -- A challenge's words for /challenges WORDS: its own fields and the notes of its
        -- status changes; rowid is the challenge's id. Accents are ignored; a word may be
        -- the beginning of a word.
        CREATE VIRTUAL TABLE challenges_fts USING fts5(
            title, description, place, route, notes,
            tokenize = 'unicode61 remove_diacritics 2',
            prefix = '2 3 4'
        );
        INSERT INTO challenges_fts (rowid, title, description, place, route, notes)
        SELECT c.id, c.title, c.description, coalesce(c.place, ''), coalesce(c.route, ''),
            coalesce((SELECT group_concat(e.note, ' ') FROM challenge_events e
                      WHERE e.challenge_id = c.id), '')
        FROM challenges c;

        CREATE TRIGGER challenges_indexed AFTER INSERT ON challenges BEGIN
            INSERT INTO challenges_fts (rowid, title, description, place, route, notes)
            VALUES (new.id, new.title, new.description, coalesce(new.place, ''),
                    coalesce(new.route, ''), '');
        END;

        CREATE TRIGGER challenges_reindexed AFTER UPDATE OF title, description, place, route
        ON challenges BEGIN
            UPDATE challenges_fts SET title = new.title, description = new.description,
                place = coalesce(new.place, ''), route = coalesce(new.route, '')
            WHERE rowid = new.id;
        END;

        CREATE TRIGGER challenge_notes_indexed AFTER INSERT ON challenge_events BEGIN
            UPDATE challenges_fts SET notes = coalesce(
                (SELECT group_concat(note, ' ') FROM challenge_events
                 WHERE challenge_id = new.challenge_id), '')
            WHERE rowid = new.challenge_id;
        END;

        CREATE TRIGGER challenges_unindexed AFTER DELETE ON challenges BEGIN
            DELETE FROM challenges_fts WHERE rowid = old.id;
        END;
        """,
    ),
    Migration(
        "0011_plan_titles",
        """
        -- The plan's name per language, like its pillars' ({"en": ..., "fr": ...}); the
        -- title column keeps the English (or only) name.
        ALTER TABLE action_plans ADD COLUMN titles TEXT NOT NULL DEFAULT '{}';
        UPDATE action_plans SET titles = json_object('en', title);
        """,
    ),
    Migration(
        "0012_challenge_edits",
        """
        -- A challenge's history records its edits and reopenings besides its status changes;
        -- an edit keeps which fields changed, from what to what ({"severity": ["medium",
        -- "high"], ...}).
        ALTER TABLE challenge_events ADD COLUMN kind TEXT NOT NULL DEFAULT 'status'
            CHECK (kind IN ('status', 'edit', 'reopen'));
        ALTER TABLE challenge_events ADD COLUMN changes TEXT NOT NULL DEFAULT '{}';
        """,
    ),
    Migration(
        "0013_retention",
        """
        -- How long a partnership keeps what it no longer needs (services/retention.py): one
        -- row per rule an admin set; without a row the rule's default applies. value is in
        -- the rule's unit (days, or months for challenge files); NULL: the rule is off. The
        -- rule names are checked by the service, so a new rule needs no new table.
        CREATE TABLE retention_rules (
            partnership_id INTEGER NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
            rule TEXT NOT NULL,
            value INTEGER CHECK (value IS NULL OR value > 0),
            changed_by INTEGER,
            changed_at TEXT NOT NULL,
            PRIMARY KEY (partnership_id, rule)
        );

        -- When a departed member's name, username and phone were replaced.
        ALTER TABLE members ADD COLUMN anonymised_at TEXT;

        -- Finished deliveries by age, for the daily blanking of their texts.
        CREATE INDEX deliveries_finished ON deliveries(sent_at) WHERE status = 'sent';
        """,
    ),
    Migration(
        "0014_contact_search",
        """
        -- What a contact search needs of each match besides its rank: its partnership (which
        -- directories may see it) and its name (the order of equally relevant matches). Read
        -- from this small index, ranking a few thousand matches takes about half the time it
        -- takes reading each match's row from the table.
        CREATE INDEX contacts_ranked ON contacts(id, partnership_id, name COLLATE NOCASE);
        """,
    ),
)
