"""The SQLite store: pragmas, recorded migrations, transactions."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from storage.db import Database, apply_migrations
from storage.migrations import MIGRATIONS, Migration


async def test_store_uses_wal_foreign_keys_and_a_busy_timeout(db: Database) -> None:
    assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
    assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
    assert (await db.fetchone("PRAGMA busy_timeout"))[0] >= 1000


async def test_migrations_are_recorded_and_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    for _ in range(2):
        database = Database(path)
        await database.open()
        rows = await database.fetchall("SELECT name FROM migrations ORDER BY name")
        assert [row["name"] for row in rows] == [m.name for m in MIGRATIONS]
        await database.close()


async def test_migration_names_are_unique_and_ordered() -> None:
    names = [m.name for m in MIGRATIONS]
    assert names == sorted(set(names))


async def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    broken = Migration("9999_broken", "CREATE TABLE ok_table (x);\nCREATE TABLE (oops);")
    async with aiosqlite.connect(tmp_path / "b.sqlite3", isolation_level=None) as connection:
        with pytest.raises(sqlite3.OperationalError):
            await apply_migrations(connection, [broken])
        tables = await (await connection.execute("SELECT name FROM sqlite_master")).fetchall()
        assert ("ok_table",) not in [tuple(t) for t in tables]


def test_trigger_bodies_stay_one_statement() -> None:
    migration = Migration(
        "x",
        "CREATE TABLE t (a);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
        "  UPDATE t SET a = 1;\n  UPDATE t SET a = 2;\nEND;\n",
    )
    assert len(list(migration.statements())) == 2


async def test_transactions_roll_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO kv (key, value, updated_at) VALUES ('a', '1', 'now')")
            raise RuntimeError("boom")
    assert await db.fetchone("SELECT * FROM kv") is None


async def test_a_transaction_opened_inside_another_of_the_same_task_is_refused(
    db: Database,
) -> None:
    async def nested() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO kv (key, value, updated_at) VALUES ('a', '1', 'now')")
            async with db.transaction():
                pass

    # A clear error at once, not a task waiting forever for the lock it holds itself.
    with pytest.raises(RuntimeError, match="nested transactions are not supported"):
        await asyncio.wait_for(nested(), timeout=5)
    # The outer transaction rolled back and let the lock go.
    assert await db.fetchone("SELECT * FROM kv") is None
    async with asyncio.timeout(5), db.transaction() as tx:
        await tx.execute("INSERT INTO kv (key, value, updated_at) VALUES ('b', '2', 'now')")
    assert await db.fetchvalue("SELECT value FROM kv WHERE key = 'b'") == "2"


async def test_a_transaction_of_another_task_waits_for_the_open_one(db: Database) -> None:
    order: list[str] = []

    async def second() -> None:
        async with db.transaction() as tx:
            order.append("second")
            await tx.execute("INSERT INTO kv (key, value, updated_at) VALUES ('b', '2', 'now')")

    async with asyncio.timeout(5):
        async with db.transaction() as tx:
            waiting = asyncio.create_task(second())
            await asyncio.sleep(0)  # the other task runs up to the lock and waits there
            order.append("first")
            await tx.execute("INSERT INTO kv (key, value, updated_at) VALUES ('a', '1', 'now')")
        await waiting
    assert order == ["first", "second"]
    assert await db.fetchvalue("SELECT COUNT(*) FROM kv") == 2


async def test_vouched_memberships_migration_trusts_only_what_an_admin_set(
    tmp_path: Path,
) -> None:
    names = [m.name for m in MIGRATIONS]
    before = MIGRATIONS[: names.index("0008_vouched_memberships")]
    path = tmp_path / "old.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as old:
        await apply_migrations(old, before)
        now = "2026-11-01T09:00:00+00:00"
        await old.execute(
            "INSERT INTO partnerships (id, slug, name, kind, timezone, language, created_at)"
            " VALUES (1, 'cop', 'COP', 'cop', 'UTC', 'en', ?)",
            (now,),
        )
        for member_id in (1, 2, 3):
            await old.execute(
                "INSERT INTO members (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (member_id, f"m{member_id}", now, now),
            )
        # 1 was given DPAF on the command line; 2 typed Europol in /profile; 3 was removed.
        for member_id, organisation in ((1, "DPAF"), (2, "Europol")):
            await old.execute(
                "INSERT INTO memberships (partnership_id, member_id, role, organisation,"
                " country, joined_at) VALUES (1, ?, 'member', ?, 'Mali', ?)",
                (member_id, organisation, now),
            )
        # Invites of 9 (removed) and of 2 (a member) die; the command line's lives.
        for code, created_by in (("by-removed-9", 9), ("by-member-2", 2), ("printed", None)):
            await old.execute(
                "INSERT INTO invites (code, partnership_id, role, max_uses, expires_at,"
                " created_by, created_at) VALUES (?, 1, 'member', 5, '2099-01-01', ?, ?)",
                (code, created_by, now),
            )
        entries: tuple[tuple[str, int, dict[str, object]], ...] = (
            ("member.profile", 2, {}),
            ("member.remove", 9, {"member_id": 3, "role": "member"}),
            ("invite.redeem", 3, {"code": "secret-code-123", "role": "member"}),
        )
        for action, actor, detail in entries:
            await old.execute(
                "INSERT INTO audit_log (at, partnership_id, actor_id, action, detail)"
                " VALUES (?, 1, ?, ?, ?)",
                (now, actor, action, json.dumps(detail)),
            )
    database = Database(path)
    await database.open()
    rows = await database.fetchall(
        "SELECT member_id, confirmed_organisation, confirmed_country FROM memberships"
        " ORDER BY member_id"
    )
    assert [tuple(row) for row in rows] == [(1, "DPAF", "Mali"), (2, None, None)]
    removed = await database.fetchall("SELECT member_id, removed_by FROM removed_members")
    assert [tuple(row) for row in removed] == [(3, 9)]
    details = [row["detail"] for row in await database.fetchall("SELECT detail FROM audit_log")]
    assert not [d for d in details if "secret-code-123" in d]
    live = await database.fetchall("SELECT code FROM invites WHERE revoked = 0")
    assert [row["code"] for row in live] == ["printed"]
    assert len([d for d in details if "creator removed or demoted earlier" in d]) == 2
    await database.close()


async def test_the_direct_connection_reads_what_was_committed_and_writes_in_turn(
    db: Database,
) -> None:
    direct = db.direct
    assert direct is not db  # a connection of its own, used from the event loop
    assert (await direct.fetchone("PRAGMA synchronous"))[0] == 1  # NORMAL, as the writer
    assert (await direct.fetchone("PRAGMA wal_autocheckpoint"))[0] == 0
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO kv (key, value, updated_at) VALUES ('a', '1', 'now')")
        # Not committed yet: neither the direct connection nor the reader sees it.
        assert await direct.fetchone("SELECT * FROM kv") is None
        # A statement of its own waits for the open transaction (the lock), then runs.
        alone = asyncio.create_task(
            db.execute_alone("INSERT INTO kv (key, value, updated_at) VALUES ('b', '2', 'now')")
        )
        await asyncio.sleep(0.01)
        assert not alone.done()
    assert await alone == 1
    assert [row["key"] for row in await direct.fetchall("SELECT key FROM kv ORDER BY key")] == [
        "a",
        "b",
    ]


async def test_a_statement_alone_waits_for_another_process_writing(db: Database) -> None:
    """The command line holding the database: the direct connection gives up at once (it
    must not hold the event loop) and the writer's thread waits for the lock instead."""
    other = sqlite3.connect(db.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO kv (key, value, updated_at) VALUES ('cli', '1', 'now')")
    alone = asyncio.create_task(
        db.execute_alone("INSERT INTO kv (key, value, updated_at) VALUES ('bot', '2', 'now')")
    )
    await asyncio.sleep(0.2)  # far past the direct connection's patience
    assert not alone.done()
    other.execute("COMMIT")
    other.close()
    assert await asyncio.wait_for(alone, 5) == 1
    assert await db.fetchvalue("SELECT COUNT(*) FROM kv") == 2


async def test_a_statement_alone_inside_a_transaction_of_the_same_task_is_refused(
    db: Database,
) -> None:
    with pytest.raises(RuntimeError, match="write inside it"):
        async with db.transaction():
            await db.execute_alone("DELETE FROM kv")
