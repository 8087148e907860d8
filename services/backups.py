"""Backups of the database for the command line and the bot's daily job: a consistent copy
while the bot runs, restoring one, the start-up check. The work is done in storage/backup.py;
this is the way the bot reaches it."""

from __future__ import annotations

from storage.backup import (
    BackupError,
    BackupResult,
    DamagedDatabase,
    RestoreResult,
    check_health,
    restore,
    take_backup,
)

__all__ = [
    "BackupError",
    "BackupResult",
    "DamagedDatabase",
    "RestoreResult",
    "check_health",
    "restore",
    "take_backup",
]
