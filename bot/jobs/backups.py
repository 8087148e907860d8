"""The daily backup, when BACKUP_DIR is set: the copy runs in a worker thread, so the bot
keeps answering meanwhile; a failure is logged, never raised."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from services.backups import BackupResult, take_backup

if TYPE_CHECKING:
    from bot.context import BotContext, PartnerbotApplication

log = logging.getLogger(__name__)


async def take_daily_backup(context: BotContext) -> None:
    """The job PTB runs once a day at BACKUP_HOUR (UTC)."""
    await back_up(context.partnerbot)


async def back_up(application: PartnerbotApplication) -> BackupResult | None:
    """Back the database up into BACKUP_DIR; None when there is none, or when it failed."""
    settings = application.settings
    if settings.backup_dir is None:
        return None
    try:
        result = await asyncio.to_thread(
            take_backup,
            settings.database_path,
            settings.backup_dir,
            keep=settings.backup_keep,
            now=application.services.clock(),
        )
    except Exception:
        # A full disk or a missing directory must not take the bot down; the operator
        # learns of it from the log, and the next day's backup tries again.
        log.exception("the daily backup into %s failed", settings.backup_dir)
        return None
    log.info("backed the database up to %s (%s bytes)", result.path, result.size)
    for removed in result.removed:
        log.info("removed the old backup %s", removed)
    return result
