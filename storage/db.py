"""The SQLite store: one writer connection behind a lock, one reader, WAL mode."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from storage.backup import DamagedDatabase
from storage.migrations import MIGRATIONS, Migration

Params = Sequence[Any] | dict[str, Any]

BUSY_TIMEOUT_MS = 5_000


def to_db_time(moment: datetime) -> str:
    """Store times as UTC ISO-8601 text, which sorts correctly."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the store; pass an aware UTC time")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_db_time(value: str) -> datetime:
    """Read a time written by `to_db_time`."""
    return datetime.fromisoformat(value).astimezone(UTC)


class Database:
    """Async access to the SQLite file.

    Writes go through `transaction()`, which serialises writers with a lock because
    several asyncio tasks (handlers, the outbox worker, jobs) share one connection and
    a statement from one task must never land inside another task's transaction.
    A task that opens a transaction inside its own is refused at once (it would wait for
    the lock it holds). Reads use a second connection so they never wait for a writer (WAL).

    Each statement through aiosqlite is a trip to the connection's thread and back, and the
    way back waits for the event loop's turn: under load a trip costs milliseconds of
    waiting, not of work (benchmarks/README.md). So the few statements every update runs
    (claiming its id, identifying the caller: each well under a millisecond) go through a
    third connection used directly from the event loop, `direct` and `execute_alone`.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._direct: Direct | None = None
        self._write_lock = asyncio.Lock()
        self._writing_task: asyncio.Task[Any] | None = None  # holds the lock, if any

    async def open(self) -> None:
        """Open both connections, configure them and apply pending migrations (idempotent).

        Raises DamagedDatabase, before writing anything, if SQLite's quick check finds the
        file damaged."""
        if self._writer is not None:
            return
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = await self._connect()
        try:
            await _check_health(writer, self.path)
        except BaseException:
            await writer.close()
            raise
        self._writer = writer
        await self._writer.execute("PRAGMA journal_mode = WAL")
        await self._writer.execute("PRAGMA synchronous = NORMAL")
        await apply_migrations(self._writer, MIGRATIONS)
        self._reader = await self._connect()
        if str(self.path) != ":memory:":  # another connection would open another database
            self._direct = Direct(_connect_direct(self.path))

    async def _connect(self) -> aiosqlite.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so nothing is implicit.
        connection = await aiosqlite.connect(self.path, isolation_level=None)
        connection.row_factory = sqlite3.Row
        await connection.execute("PRAGMA foreign_keys = ON")
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return connection

    async def close(self) -> None:
        """Close both connections; safe to call twice."""
        if self._direct is not None:
            self._direct.close()
            self._direct = None
        for connection in (self._reader, self._writer):
            if connection is not None:
                await connection.close()
        self._reader = self._writer = None

    @property
    def direct(self) -> Direct | Database:
        """Reads run at once on the event loop's thread: for lookups by key, which take a few
        microseconds, never for a query that scans (it would hold up every other task)."""
        return self._direct if self._direct is not None else self

    @property
    def reader(self) -> aiosqlite.Connection:
        """The read-only connection."""
        if self._reader is None:
            raise RuntimeError("database is not open")
        return self._reader

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """First row of a query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows of a query."""
        # One trip to the connection's thread (execute and fetch together) rather than three
        # (execute, fetch, close the cursor): each trip costs the event loop a wake-up.
        return list(await self.reader.execute_fetchall(sql, params))

    async def fetchvalue(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def execute_alone(self, sql: str, params: Params = ()) -> int:
        """Run one writing statement as a transaction of its own; returns the rows changed.

        The same guarantees as a `transaction()` holding one statement, without a trip to a
        thread: the lock keeps it out of every other task's transaction, and it runs on the
        direct connection in autocommit mode. Only if another process holds the database
        (the command line writing) does it wait, on the writer's thread, as long as a
        transaction would.
        """
        writer = self._writer_outside_a_transaction(
            "a transaction is open in this task: write inside it instead"
        )
        async with self._write_lock:
            if self._direct is not None:
                try:
                    return self._direct.write(sql, params)
                except sqlite3.OperationalError as error:
                    if not _is_busy(error):
                        raise
            cursor = await writer.execute(sql, params)
            return cursor.rowcount

    def _writer_outside_a_transaction(self, refusal: str) -> aiosqlite.Connection:
        """The writer connection; RuntimeError(`refusal`) if the calling task holds a
        transaction open already (it would wait for the lock it holds itself)."""
        writer = self._writer
        if writer is None:
            raise RuntimeError("database is not open")
        task = asyncio.current_task()
        if task is not None and task is self._writing_task:
            raise RuntimeError(refusal)
        return writer

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run writes atomically: commit on success, roll back on any exception.

        Raises RuntimeError if the calling task has a transaction open already: SQLite has
        one transaction per connection, so the inner one could neither wait nor nest.
        """
        writer = self._writer_outside_a_transaction(
            "transaction already open in this task: nested transactions are not supported"
        )
        async with self._write_lock:
            self._writing_task = asyncio.current_task()
            # Statements run in order on the connection's thread. If this task is cancelled
            # while BEGIN waits there, BEGIN still runs later; so wait for it, then roll back:
            # the shared connection must never be left inside a transaction.
            begin = asyncio.ensure_future(writer.execute("BEGIN IMMEDIATE"))
            try:
                await asyncio.shield(begin)
                yield Transaction(writer)
                await writer.commit()
            except BaseException:
                await asyncio.shield(_roll_back(writer, begin))
                raise
            finally:
                self._writing_task = None


#: How long the direct connection waits for another process's write before handing the
#: statement to the writer's thread: never long, as it blocks the event loop meanwhile.
DIRECT_BUSY_TIMEOUT_MS = 20


def _connect_direct(path: Path) -> sqlite3.Connection:
    """The connection used from the event loop's thread (`Database.direct`)."""
    # check_same_thread=False: the command line may open a database in one thread and use it
    # from another; every use is still one statement at a time.
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute(f"PRAGMA busy_timeout = {DIRECT_BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA synchronous = NORMAL")  # as the writer: a per-connection setting
    # Its commits must not copy the WAL back into the database file (a checkpoint can take
    # tens of milliseconds): the writer's commits do that, off the event loop.
    connection.execute("PRAGMA wal_autocheckpoint = 0")
    return connection


def _is_busy(error: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds the lock (SQLITE_BUSY or
    SQLITE_LOCKED, extended codes included)."""
    return error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class Direct:
    """The direct connection: reads with the `Reader` interface of the others, and the
    statements `Database.execute_alone` runs on it."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def write(self, sql: str, params: Params) -> int:
        """Run one statement (autocommitted); returns the rows it changed."""
        return self._connection.execute(sql, params).rowcount

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """First row of a query, or None."""
        row: sqlite3.Row | None = self._connection.execute(sql, params).fetchone()
        return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows of a query."""
        return self._connection.execute(sql, params).fetchall()


async def _check_health(connection: aiosqlite.Connection, path: Path) -> None:
    """Raise DamagedDatabase unless `PRAGMA quick_check` says ok."""
    try:
        async with connection.execute("PRAGMA quick_check(20)") as cursor:
            problems = [str(row[0]) for row in await cursor.fetchall()]
    except sqlite3.DatabaseError as error:
        problems = [str(error)]
    if problems != ["ok"]:
        raise DamagedDatabase(path, problems)


async def _roll_back(connection: aiosqlite.Connection, begin: asyncio.Future[Any]) -> None:
    with contextlib.suppress(Exception):
        await begin
    await connection.rollback()  # a no-op when no transaction is open


class Transaction:
    """The writer connection inside an open transaction."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns how many rows it changed."""
        # One trip to the connection's thread: a statement that writes is done when execute
        # returns, so its cursor need not be closed through another trip.
        cursor = await self._connection.execute(sql, params)
        return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT; returns the new row's id."""
        cursor = await self._connection.execute(sql, params)
        if cursor.lastrowid is None:
            raise RuntimeError("insert created no row")
        return cursor.lastrowid

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many parameter rows."""
        await self._connection.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Read inside the transaction (sees its own uncommitted writes)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Read all rows inside the transaction."""
        return list(await self._connection.execute_fetchall(sql, params))


async def apply_migrations(
    connection: aiosqlite.Connection, migrations: Sequence[Migration]
) -> list[str]:
    """Apply, in order, each migration not yet recorded; each in its own transaction."""
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    async with connection.execute("SELECT name FROM migrations") as cursor:
        done = {row[0] for row in await cursor.fetchall()}
    applied = []
    for migration in migrations:
        if migration.name in done:
            continue
        await connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in migration.statements():
                await connection.execute(statement)
            await connection.execute(
                "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                (migration.name, to_db_time(datetime.now(UTC))),
            )
        except BaseException:
            await connection.rollback()
            raise
        await connection.commit()
        applied.append(migration.name)
    return applied
