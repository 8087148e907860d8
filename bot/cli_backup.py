"""`python -m bot backup` and `python -m bot restore`: copies of the database an operator can
trust, and putting one back."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import Settings
from services.backups import BackupError, restore, take_backup


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`backup` and `restore`."""
    backup = commands.add_parser(
        "backup",
        help="copy the database to a backup file, also while the bot runs",
        description="Write a consistent copy of the database (the bot may be running) as"
        " partnerbot-YYYYMMDD-HHMMSS.sqlite3 (UTC) in DIR (default: the BACKUP_DIR setting)."
        " The copy is checked (SQLite's integrity check, and every migration of this version"
        " present) before it gets its name. Then only the newest BACKUP_KEEP backups are kept"
        " in DIR; files with other names are never removed.",
    )
    backup.add_argument("--to", type=Path, metavar="DIR", help="default: BACKUP_DIR")
    backup.set_defaults(handler=_backup)
    restore_parser = commands.add_parser(
        "restore",
        help="replace the database with a backup file (the bot stopped)",
        description="Check FILE (SQLite's integrity check; a Partnerbot database of this"
        " version or an older one), then put it in place of the database (DATABASE_PATH),"
        " keeping the current file as <name>.before-restore-YYYYMMDD-HHMMSS. Refused while"
        " the bot runs. The bot brings an older file up to date at its next start.",
    )
    restore_parser.add_argument("file", type=Path, metavar="FILE", help="the backup file")
    restore_parser.set_defaults(handler=_restore)


def _backup(arguments: argparse.Namespace, settings: Settings) -> int:
    directory: Path | None = arguments.to or settings.backup_dir
    if directory is None:
        print(
            "error: no backup directory: give one with --to DIR, or set BACKUP_DIR.",
            file=sys.stderr,
        )
        return 2
    try:
        result = take_backup(settings.database_path, directory, keep=settings.backup_keep)
    except BackupError as error:
        print(f"error: no backup was made: {error}.", file=sys.stderr)
        return 1
    print(f"Wrote {result.path} ({result.size:,} bytes, checked).")
    for removed in result.removed:
        print(f"Removed {removed}.")
    return 0


def _restore(arguments: argparse.Namespace, settings: Settings) -> int:
    try:
        result = restore(arguments.file, settings.database_path)
    except BackupError as error:
        print(f"error: nothing was restored: {error}.", file=sys.stderr)
        return 1
    if result.kept is not None:
        print(f"Kept the previous database as {result.kept}.")
    print(
        f"Restored {arguments.file} to {result.database}. Start the bot: it brings the"
        " database up to date with this version."
    )
    return 0
