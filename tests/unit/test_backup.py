"""Backups and restores on real SQLite files: copies taken while the bot writes, rotation,
damaged and foreign files refused, interrupted backups, the daily job, the start-up check."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.app import build_application, running
from bot.cli import main
from bot.config import Settings
from bot.jobs.backups import back_up, take_daily_backup
from bot.local_api import LocalBotApi
from services.container import Services
from services.outbox import Recipient, Rendered
from storage.backup import (
    BACKUP_NAME,
    BackupError,
    check_file,
    known_migrations,
    restore,
    take_backup,
)
from storage.db import Database, apply_migrations
from storage.migrations import MIGRATIONS
from tests.fakes import FakeClock

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def count(path: Path, table: str = "deliveries") -> int:
    with sqlite3.connect(path) as connection:
        value: int = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return value


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def backups_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if BACKUP_NAME.fullmatch(p.name))


async def broadcast(services: Services, size: int, text: str = "Border post closed") -> int:
    """One message to `size` chats, committed in one transaction."""
    recipients = [Recipient(10_000 + i, None, "en") for i in range(size)]
    return await services.outbox.enqueue(
        kind="broadcast",
        reference=None,
        partnership_id=None,
        recipients=recipients,
        render={"en": Rendered(text)},
        body=text,
    )


def damage(path: Path) -> None:
    """Overwrite a page in the middle of the file with garbage."""
    size = path.stat().st_size
    page = 4096
    with path.open("r+b") as handle:
        handle.seek((size // page // 2) * page)
        handle.write(b"\xa5" * page)


async def test_a_backup_taken_while_a_broadcast_is_written_restores_what_was_committed(
    services: Services, db: Database, tmp_path: Path
) -> None:
    # Long texts: the copy takes many steps, so the second broadcast lands between them.
    text = "Border post closed at Rosso; use the Diama crossing. " * 160
    await broadcast(services, 500, text)
    committed = count(db.path)
    assert committed == 500
    started, written = threading.Event(), threading.Event()
    steps: list[int] = []

    def progress(left: int, total: int) -> None:
        steps.append(left)
        if len(steps) == 1:
            started.set()
            written.wait(30)  # the copy goes on only once the second broadcast is committed

    directory = tmp_path / "backups"
    copy = asyncio.create_task(
        asyncio.to_thread(take_backup, db.path, directory, keep=7, progress=progress)
    )
    assert await asyncio.to_thread(started.wait, 30)
    await broadcast(services, 500, text)  # the bot keeps writing meanwhile
    assert count(db.path) == 1000
    written.set()
    result = await copy
    assert steps[0] > 0, "the second broadcast was written before the copy was done"
    assert backups_in(directory) == [result.path.name]

    restored = tmp_path / "restored" / "partnerbot.sqlite3"
    assert restore(result.path, restored).kept is None
    assert integrity(restored) == "ok"
    assert count(restored) == committed  # every delivery committed before, none half-written
    assert count(restored, "broadcasts") == 1
    reopened = Database(restored)
    await reopened.open()  # the bot starts on it
    await reopened.close()
    assert count(db.path) == 1000  # the live file is untouched


async def test_rotation_keeps_the_newest_and_leaves_other_files_alone(
    db: Database, tmp_path: Path
) -> None:
    directory = tmp_path / "backups"
    directory.mkdir()
    others = [
        "notes.txt",
        "partnerbot.sqlite3",
        "partnerbot-20200101-000000.sqlite3.keep",
        "partnerbot-2020.sqlite3",
        "PARTNERBOT-20200101-000000.sqlite3",
    ]
    for name in others:
        (directory / name).write_text("mine")
    stale = directory / ".partnerbot-20200101-000000.sqlite3.partial-0badc0de"
    fresh = directory / ".partnerbot-20200102-000000.sqlite3.partial-00c0ffee"
    for partial in (stale, fresh):
        partial.write_bytes(b"half")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    written = [
        take_backup(db.path, directory, keep=3, now=T0 + timedelta(days=day)).path.name
        for day in range(5)
    ]
    assert backups_in(directory) == written[-3:]
    assert all((directory / name).read_text() == "mine" for name in others)
    assert not stale.exists() and fresh.exists()  # only a long-abandoned copy is cleared
    assert written == [f"partnerbot-202612{6 + day:02}-030000.sqlite3" for day in range(5)]
    result = take_backup(db.path, directory, keep=1, now=T0 + timedelta(days=9))
    assert [p.name for p in result.removed] == written[-3:]
    assert backups_in(directory) == ["partnerbot-20261215-030000.sqlite3"]
    assert check_file(result.path, known_migrations(), complete=True) == []


async def test_a_damaged_file_is_refused_by_restore_and_at_start(
    services: Services, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    await broadcast(services, 500, "x" * 2000)
    backup = take_backup(db.path, tmp_path / "backups", keep=7, now=T0).path
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(backup.read_bytes())
    damage(damaged)
    before = db.path.read_bytes()
    with pytest.raises(BackupError, match="integrity check failed"):
        restore(damaged, db.path)
    assert db.path.read_bytes() == before

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_PATH", str(damaged))
    monkeypatch.setenv("BOT_TOKEN", "123456:SECRET-value")
    assert main(["run"]) == 3
    message = capsys.readouterr().err
    assert f"The database {damaged} is damaged" in message
    assert "python -m bot restore" in message
    script = tmp_path / "script.txt"
    script.write_text("::quit\n")
    console = ["console", "--database", str(damaged), "--script", str(script)]
    assert await asyncio.to_thread(main, console) == 3  # the console runs its own event loop
    assert "is damaged" in capsys.readouterr().err
    opened = Database(damaged)
    with pytest.raises(Exception, match="damaged"):
        await opened.open()


async def test_files_of_a_newer_version_or_of_another_program_are_refused(
    db: Database, tmp_path: Path
) -> None:
    backup = take_backup(db.path, tmp_path / "backups", keep=7, now=T0).path
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(backup.read_bytes())
    with sqlite3.connect(newer) as connection:
        connection.execute("INSERT INTO migrations VALUES ('0099_from_the_future', '2027')")
    await db.close()
    before = db.path.read_bytes()
    with pytest.raises(BackupError, match=r"newer version of Partnerbot.*0099_from_the_future"):
        restore(newer, db.path)
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(BackupError, match="not a Partnerbot database"):
        restore(foreign, db.path)
    text = tmp_path / "notes.sqlite3"
    text.write_text("not a database at all " * 300)
    with pytest.raises(BackupError, match="cannot be restored"):
        restore(text, db.path)
    assert db.path.read_bytes() == before
    assert sorted(p.name for p in db.path.parent.iterdir() if "before-restore" in p.name) == []


async def test_an_older_backup_is_restored_and_migrated_forward(
    db: Database, tmp_path: Path
) -> None:
    backup = tmp_path / "older.sqlite3"  # as the previous version of Partnerbot left it
    async with aiosqlite.connect(backup, isolation_level=None) as connection:
        await apply_migrations(connection, MIGRATIONS[:-1])
    assert check_file(backup, known_migrations(), complete=False) == []
    await db.close()
    result = restore(backup, db.path, now=T0)
    assert result.kept == db.path.with_name("partnerbot.sqlite3.before-restore-20261206-030000")
    assert integrity(result.kept) == "ok"
    await db.open()
    assert await db.fetchvalue("SELECT count(*) FROM migrations") == len(known_migrations())


async def test_restore_is_refused_while_the_bot_holds_the_database(
    services: Services, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    backup = take_backup(db.path, tmp_path / "backups", keep=7, now=T0).path
    await broadcast(services, 3)
    with pytest.raises(BackupError, match="in use: the bot seems to be running"):
        restore(backup, db.path)
    with pytest.raises(BackupError, match="-wal holds changes not in"):
        restore(db.path, tmp_path / "copy.sqlite3")  # the live file is no backup
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_PATH", str(db.path))
    assert main(["restore", str(backup)]) == 1
    assert "the bot seems to be running" in capsys.readouterr().err
    assert await db.fetchvalue("SELECT count(*) FROM deliveries") == 3  # still the live data
    await db.close()
    assert main(["restore", str(backup)]) == 0
    out = capsys.readouterr().out
    assert "Kept the previous database as" in out and f"Restored {backup}" in out
    assert count(db.path) == 0
    kept = [p for p in db.path.parent.iterdir() if ".before-restore-" in p.name]
    assert len(kept) == 1 and count(kept[0]) == 3  # the -wal was folded in before it was kept


async def test_a_failing_copy_leaves_the_live_file_and_earlier_backups_intact(
    services: Services, db: Database, tmp_path: Path
) -> None:
    await broadcast(services, 500, "y" * 9000)
    directory = tmp_path / "backups"
    earlier = take_backup(db.path, directory, keep=7, now=T0).path
    earlier_bytes = earlier.read_bytes()

    def power_cut(left: int, total: int) -> None:
        raise OSError("disk unplugged")

    with pytest.raises(BackupError, match=r"cannot write to .*: disk unplugged"):
        take_backup(db.path, directory, keep=1, now=T0 + timedelta(days=1), progress=power_cut)
    assert sorted(p.name for p in directory.iterdir()) == [earlier.name]  # nothing half-written
    assert earlier.read_bytes() == earlier_bytes
    assert integrity(db.path) == "ok" and count(db.path) == 500


def test_a_backup_killed_midway_leaves_no_file_under_a_backups_name(tmp_path: Path) -> None:
    database = tmp_path / "partnerbot.sqlite3"
    directory = tmp_path / "backups"

    async def create() -> None:
        created = Database(database)
        await created.open()
        await created.close()

    asyncio.run(create())
    earlier = take_backup(database, directory, keep=7, now=T0).path
    earlier_bytes = earlier.read_bytes()
    with sqlite3.connect(database) as connection:  # a large database: the copy takes a while
        connection.execute("CREATE TABLE ballast (data BLOB)")
        connection.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)"
            " INSERT INTO ballast SELECT randomblob(8000) FROM n"
        )
    environment = {**os.environ, "DATABASE_PATH": str(database), "LOG_LEVEL": "ERROR"}
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "backup", "--to", str(directory)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    partial: list[Path] = []
    while not partial and time.monotonic() < deadline and child.poll() is None:
        partial = [p for p in directory.iterdir() if ".partial-" in p.name and p.stat().st_size]
        time.sleep(0.002)
    child.send_signal(signal.SIGKILL)
    assert child.wait(30) == -signal.SIGKILL, "the backup ended before it could be killed"
    assert partial, "the copy never started"
    assert backups_in(directory) == [earlier.name]
    assert earlier.read_bytes() == earlier_bytes
    assert check_file(earlier, known_migrations(), complete=True) == []
    assert integrity(database) == "ok" and count(database, "ballast") == 40000
    # The next backup succeeds and leaves the fresh leftover to its own expiry.
    take_backup(database, directory, keep=7, now=T0 + timedelta(days=1))
    assert len(backups_in(directory)) == 2


async def test_the_daily_job_backs_up_and_logs_failures(
    settings: Settings, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "backups"
    configured = settings.model_copy(update={"backup_dir": directory, "backup_keep": 2})
    clock.now = T0
    app = build_application(configured, request=LocalBotApi(), clock=clock, rate_limiter=False)
    async with running(app):
        assert take_daily_backup in [job.callback for job in app.job_queue.jobs()]
        for day in range(3):
            clock.now = T0 + timedelta(days=day)
            result = await back_up(app)
            assert result is not None
        assert backups_in(directory) == [
            "partnerbot-20261207-030000.sqlite3",
            "partnerbot-20261208-030000.sqlite3",
        ]
        assert check_file(result.path, known_migrations(), complete=True) == []
        app.settings = configured.model_copy(update={"backup_dir": tmp_path / "a-file"})
        (tmp_path / "a-file").write_text("not a directory")
        with caplog.at_level(logging.ERROR):
            assert await back_up(app) is None  # logged, not raised: the bot goes on
        assert any(
            r.levelno == logging.ERROR and "daily backup" in r.getMessage() for r in caplog.records
        )
    plain = build_application(settings, request=LocalBotApi(), clock=clock, rate_limiter=False)
    async with running(plain):
        assert take_daily_backup not in [job.callback for job in plain.job_queue.jobs()]
        assert await back_up(plain) is None


async def test_the_backup_command_says_what_it_wrote_and_removed(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_PATH", str(db.path))
    monkeypatch.delenv("BACKUP_DIR", raising=False)
    assert main(["backup"]) == 2
    assert "no backup directory: give one with --to DIR, or set BACKUP_DIR" in (
        capsys.readouterr().err
    )
    directory = tmp_path / "backups"
    directory.mkdir()
    old = directory / "partnerbot-20200101-000000.sqlite3"
    old.write_bytes(b"an old backup")
    monkeypatch.setenv("BACKUP_DIR", str(directory))
    monkeypatch.setenv("BACKUP_KEEP", "1")
    assert main(["backup"]) == 0
    out = capsys.readouterr().out
    (written,) = backups_in(directory)
    assert f"Wrote {directory / written}" in out and f"Removed {old}." in out
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "missing.sqlite3"))
    assert main(["backup", "--to", str(tmp_path / "elsewhere")]) == 1
    assert "no backup was made: there is no database at" in capsys.readouterr().err
