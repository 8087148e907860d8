"""Backups of the SQLite file: a consistent copy while the bot runs, checked, written
atomically, rotated; restoring one into a stopped deployment; the start-up health check.

Everything here is synchronous (the standard `sqlite3` module): the command line calls it
directly, the bot's daily job in a worker thread.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from storage.migrations import MIGRATIONS

#: The name of every backup; rotation removes only files with such a name.
BACKUP_NAME = re.compile(r"partnerbot-\d{8}-\d{6}\.sqlite3")
#: What a copy is called while being written; the final name is given only once it is checked.
PARTIAL_NAME = re.compile(r"\.partnerbot-\d{8}-\d{6}\.sqlite3\.partial-[0-9a-f]{8}")
#: A partial copy untouched this long was left by an interrupted backup (a running copy
#: writes to it continuously).
STALE_PARTIAL_SECONDS = 3600
#: Pages copied per step: small enough to report progress, large enough to be fast.
STEP_PAGES = 1024
#: How long `restore` waits for another connection to let go of the database.
LOCK_TIMEOUT_SECONDS = 0.5

Progress = Callable[[int, int], None]


class BackupError(Exception):
    """A backup could not be taken, or a file cannot be restored; the message says why."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    """What `take_backup` did: the file written, its size, the old files it removed."""

    path: Path
    size: int
    removed: list[Path] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """What `restore` did: the file now in place and where the previous one was kept."""

    database: Path
    kept: Path | None


def known_migrations() -> list[str]:
    """The names of the migrations this version of Partnerbot knows, in order."""
    return [migration.name for migration in MIGRATIONS]


def backup_name(moment: datetime) -> str:
    """`partnerbot-YYYYMMDD-HHMMSS.sqlite3`, in UTC."""
    return f"partnerbot-{moment.astimezone(UTC):%Y%m%d-%H%M%S}.sqlite3"


def stamp(moment: datetime) -> str:
    """A moment as `YYYYMMDD-HHMMSS` (UTC), for file names."""
    return f"{moment.astimezone(UTC):%Y%m%d-%H%M%S}"


# -- checks ------------------------------------------------------------------------------------


def _open_read_only(path: Path) -> sqlite3.Connection:
    # immutable: the file is a copy nobody writes to; nothing (-wal, -shm) is created beside it.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def integrity_problems(connection: sqlite3.Connection, *, quick: bool = False) -> list[str]:
    """What `PRAGMA integrity_check` (or `quick_check`) finds wrong; empty when all is well."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        rows = connection.execute(f"PRAGMA {pragma}(20)").fetchall()
    except sqlite3.DatabaseError as error:
        return [str(error)]
    messages = [str(row[0]) for row in rows]
    return [] if messages == ["ok"] else messages


def migration_problems(
    connection: sqlite3.Connection, known: Sequence[str], *, complete: bool
) -> list[str]:
    """Whether the file's `migrations` table fits this version of the code: its migrations
    must be the first ones the code knows (all of them when `complete`)."""
    try:
        has_table = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
        ).fetchone()
        if has_table is None:
            return ["it is not a Partnerbot database (it has no migrations table)"]
        applied = {str(row[0]) for row in connection.execute("SELECT name FROM migrations")}
    except sqlite3.DatabaseError as error:
        return [str(error)]
    unknown = sorted(applied - set(known))
    if unknown:
        return [
            "it comes from a newer version of Partnerbot (migrations this version does not"
            f" know: {', '.join(unknown)}); upgrade Partnerbot first"
        ]
    expected = list(known) if complete else list(known[: len(applied)])
    missing = [name for name in expected if name not in applied]
    if missing:
        return [f"its migrations are incomplete (missing: {', '.join(missing)})"]
    return []


def check_file(path: Path, known: Sequence[str], *, complete: bool) -> list[str]:
    """Every reason why the SQLite file at `path` is not a sound Partnerbot database."""
    try:
        connection = _open_read_only(path)
    except sqlite3.Error as error:
        return [f"cannot open it: {error}"]
    try:
        problems = integrity_problems(connection)
        if problems:
            return ["the integrity check failed: " + "; ".join(problems)]
        return migration_problems(connection, known, complete=complete)
    finally:
        connection.close()


class DamagedDatabase(Exception):
    """The database file fails SQLite's quick check: the bot must not run on it."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__(
            f"The database {path} is damaged: {'; '.join(self.problems)}. Partnerbot will not"
            " run on it. Restore the latest backup with `python -m bot restore FILE`"
            " (the bot stopped), or move the file away to start from an empty database."
        )


def check_health(path: Path) -> None:
    """Raise DamagedDatabase if `PRAGMA quick_check` finds the SQLite file at `path` damaged
    (a file not there yet is fine: it will be created)."""
    if not path.is_file():
        return
    try:
        connection = sqlite3.connect(path, timeout=5)
    except sqlite3.Error as error:
        raise DamagedDatabase(path, [str(error)]) from error
    try:
        problems = integrity_problems(connection, quick=True)
    finally:
        connection.close()
    if problems:
        raise DamagedDatabase(path, problems)


# -- backup ------------------------------------------------------------------------------------


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory itself is on disk (POSIX).
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _copy(database: Path, target: Path, progress: Progress | None) -> None:
    """A consistent copy of `database` into the new file `target`, in rollback-journal mode
    (one self-contained file)."""
    source = sqlite3.connect(database, isolation_level=None, timeout=30)
    try:
        # One read transaction for the whole copy: every step reads the same snapshot (WAL),
        # so the bot's writes meanwhile neither restart the copy nor get half into it.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        copy = sqlite3.connect(target, isolation_level=None)
        try:
            source.backup(
                copy,
                pages=STEP_PAGES,
                progress=None if progress is None else lambda _, left, total: progress(left, total),
            )
            copy.execute("PRAGMA journal_mode = DELETE").fetchone()
        finally:
            copy.close()
        source.execute("COMMIT")
    finally:
        source.close()


def take_backup(
    database: Path,
    directory: Path,
    *,
    keep: int,
    now: datetime | None = None,
    known: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> BackupResult:
    """Copy the live `database` (the bot may be running) to `directory` as
    `partnerbot-YYYYMMDD-HHMMSS.sqlite3`, check the copy, then keep only the newest `keep`
    backups there. The copy gets its final name only once written, synced and checked, so an
    interrupted backup never leaves a partial file under a backup's name.
    `progress(pages_left, pages_total)` is called after each step of the copy."""
    if keep < 1:
        raise BackupError("at least one backup must be kept")
    if not database.is_file():
        raise BackupError(f"there is no database at {database}")
    moment = now or datetime.now(UTC)
    name = backup_name(moment)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"cannot create the directory {directory}: {error.strerror}") from error
    if not directory.is_dir():
        raise BackupError(f"{directory} is not a directory")
    partial = directory / f".{name}.partial-{secrets.token_hex(4)}"
    try:
        try:
            _copy(database, partial, progress)
            _fsync_file(partial)
        except sqlite3.Error as error:
            raise BackupError(f"the copy of {database} failed: {error}") from error
        except OSError as error:
            raise BackupError(f"cannot write to {directory}: {error.strerror or error}") from error
        problems = check_file(partial, known or known_migrations(), complete=True)
        if problems:
            raise BackupError(f"the copy of {database} is not sound: {'; '.join(problems)}")
        final = directory / name
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _fsync_directory(directory)
    removed = rotate(directory, keep=keep)
    return BackupResult(final, final.stat().st_size, removed)


def rotate(directory: Path, *, keep: int) -> list[Path]:
    """Remove all but the newest `keep` backups in `directory`, and copies left by backups
    interrupted long ago; files with other names are never touched. Returns the removed."""
    backups = sorted(p for p in directory.iterdir() if BACKUP_NAME.fullmatch(p.name))
    removed = backups[: max(0, len(backups) - keep)]
    stale_before = time.time() - STALE_PARTIAL_SECONDS
    for path in directory.iterdir():
        if PARTIAL_NAME.fullmatch(path.name) and path.stat().st_mtime < stale_before:
            removed.append(path)
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


# -- restore -----------------------------------------------------------------------------------


def _ensure_unused(database: Path) -> None:
    """Raise BackupError if another connection has `database` open (the bot running).

    In WAL mode a running but idle bot holds no lock a transaction would meet; leaving WAL
    mode, though, needs every other connection closed, and it also folds the -wal file into
    the database, so the file kept aside is complete on its own.
    """
    busy = BackupError(
        f"the database {database} is in use: the bot seems to be running. Stop it, then"
        " restore again."
    )
    try:
        connection = sqlite3.connect(database, isolation_level=None, timeout=LOCK_TIMEOUT_SECONDS)
    except sqlite3.Error as error:
        raise BackupError(f"cannot open {database}: {error}") from error
    try:
        try:
            mode = connection.execute("PRAGMA journal_mode = DELETE").fetchone()
            if mode is None or str(mode[0]).lower() != "delete":
                raise busy
            connection.execute("BEGIN EXCLUSIVE")
            connection.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise busy from error
            raise BackupError(f"cannot use {database}: {error}") from error
        except sqlite3.DatabaseError:
            pass  # a damaged live file: replacing it is the point of restoring
    finally:
        connection.close()


def restore(
    backup: Path,
    database: Path,
    *,
    now: datetime | None = None,
    known: Sequence[str] | None = None,
) -> RestoreResult:
    """Put the backup file `backup` in place of `database`, the bot stopped.

    The file must pass SQLite's integrity check and hold a Partnerbot database whose
    migrations this version knows (older ones are applied at the next start). The current
    file is kept as `<name>.before-restore-<stamp>`; the replacement is atomic."""
    if not backup.is_file():
        raise BackupError(f"there is no file {backup}")
    beside = Path(f"{backup}-wal")
    if beside.exists() and beside.stat().st_size > 0:
        # The file is a live database, not a backup: part of its content is in the -wal.
        raise BackupError(
            f"{beside} holds changes not in {backup}: make a backup of it with"
            " `python -m bot backup` and restore that"
        )
    known = known or known_migrations()
    problems = check_file(backup, known, complete=False)
    if problems:
        raise BackupError(f"{backup} cannot be restored: {'; '.join(problems)}")
    if database.exists():
        _ensure_unused(database)
    wal = Path(f"{database}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise BackupError(
            f"{wal} holds changes not yet in {database}: start and stop the bot once, then"
            " restore again"
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    incoming = database.parent / f".{database.name}.restoring-{secrets.token_hex(4)}"
    try:
        shutil.copyfile(backup, incoming)
        _fsync_file(incoming)
        problems = check_file(incoming, known, complete=False)
        if problems:
            raise BackupError(f"the copy of {backup} is not sound: {'; '.join(problems)}")
        kept = None
        if database.exists():
            kept = database.with_name(
                f"{database.name}.before-restore-{stamp(now or datetime.now(UTC))}"
            )
            try:
                os.link(database, kept)  # the live name never stops pointing at a whole file
            except OSError:
                shutil.copy2(database, kept)
        for leftover in (wal, Path(f"{database}-shm"), Path(f"{database}-journal")):
            leftover.unlink(missing_ok=True)
        os.replace(incoming, database)
    except BaseException:
        incoming.unlink(missing_ok=True)
        raise
    _fsync_directory(database.parent)
    return RestoreResult(database, kept)
