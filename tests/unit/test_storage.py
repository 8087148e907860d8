"""The SQLite store: pragmas, recorded migrations, transactions."""

from __future__ import annotations

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
