"""Background jobs, and `schedule_jobs`, which puts every one of them on the JobQueue."""

from __future__ import annotations

import logging
from datetime import UTC, time, timedelta

from bot.commands import set_member_menu
from bot.context import BotContext, PartnerbotApplication
from bot.jobs.backups import take_daily_backup
from bot.jobs.digests import send_due_digests
from bot.jobs.escalation import escalate
from bot.jobs.followups import send_action_reminders
from bot.jobs.reminders import send_due_reminders
from bot.jobs.retention import apply_retention

log = logging.getLogger(__name__)


def schedule_jobs(application: PartnerbotApplication) -> None:
    """Schedule every job of the bot on the application's JobQueue (at start-up)."""
    job_queue = application.job_queue
    if job_queue is None:
        return
    # Per-person menus can be many; refresh them in the background, paced by the limiter.
    job_queue.run_once(lambda context: refresh_personal_menus(context.partnerbot), when=0)
    job_queue.run_repeating(
        send_due_reminders, interval=timedelta(minutes=1), first=timedelta(seconds=1)
    )
    # Follow-up actions due tomorrow; also at start-up, for any missed while down.
    job_queue.run_repeating(
        send_action_reminders, interval=timedelta(minutes=10), first=timedelta(seconds=2)
    )
    # Escalation steps are stored: the first run at start-up sends those due while down.
    job_queue.run_repeating(escalate, interval=timedelta(minutes=1), first=timedelta(seconds=3))
    # Digest slots are computed from the database: the run at start-up sends, once, a
    # digest whose time came while the bot was down.
    job_queue.run_repeating(
        send_due_digests, interval=timedelta(minutes=1), first=timedelta(seconds=4)
    )
    # Retention: daily, and at start-up so a bot restarted every night still applies it.
    job_queue.run_repeating(apply_retention, interval=timedelta(days=1), first=timedelta(seconds=5))
    job_queue.run_repeating(
        _forget_old_updates, interval=timedelta(hours=6), first=timedelta(minutes=1)
    )
    settings = application.settings
    if settings.backup_dir is not None:
        job_queue.run_daily(take_daily_backup, time(settings.backup_hour, tzinfo=UTC))


async def refresh_personal_menus(application: PartnerbotApplication) -> None:
    """Give coordinators, admins and people with a chosen language their own menu again,
    so that menus follow the commands of the version now running."""
    services = application.services
    for chat_id, role, language in await services.access.menu_owners(
        application.settings.default_language
    ):
        await set_member_menu(application.bot, chat_id, role, language)


async def _forget_old_updates(context: BotContext) -> None:
    removed = await context.services.updates.prune()
    log.debug("forgot %s old update ids", removed)
