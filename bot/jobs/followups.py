"""Reminders of follow-up actions: the owner hears of an action the day before it is due."""

from __future__ import annotations

import logging
from functools import partial

from bot.context import BotContext
from bot.i18n import translator
from bot.views.meetings import reminder_text
from services.container import Services
from services.meeting_fields import local_today
from services.meetings import Reminder
from services.outbox import Recipient, Rendered

log = logging.getLogger(__name__)


async def send_action_reminders(context: BotContext) -> None:
    """The job: runs at start-up and periodically (bot/jobs/__init__.py)."""
    await queue_action_reminders(context.services, context.settings.default_language)


async def queue_action_reminders(services: Services, fallback_language: str) -> int:
    """Queue, through the outbox, the reminders that are due; returns how many.

    Everything is read from the database each time, so reminders missed while the bot was
    down go out when it is back. Each action is reminded once: `reminded_at` is set after
    queueing, and the idempotency key makes a retry after a crash between the two queue
    nothing twice."""
    queued = 0
    for reminder in await services.meetings.due_reminders():
        action = reminder.action
        assert action.due_on is not None
        await services.outbox.enqueue(
            kind="action_reminder",
            reference=str(action.id),
            partnership_id=reminder.partnership.id,
            recipients=[Recipient(reminder.owner_id, reminder.owner_id, reminder.language)],
            render=partial(_render, reminder, services),
            idempotency_key=f"action-reminder:{action.id}:{action.due_on.isoformat()}",
            protect_content=reminder.meeting.restricted,
        )
        if await services.meetings.mark_reminded(action.id):
            queued += 1
    if queued:
        log.info("queued %s follow-up action reminders", queued)
    return queued


def _render(reminder: Reminder, services: Services, language: str) -> Rendered:
    action = reminder.action
    assert action.due_on is not None
    timezone = reminder.partnership.timezone
    text = reminder_text(
        translator(language),
        what=action.what,
        due=action.due_on,
        due_today=action.due_on <= local_today(services.clock(), timezone),
        title=reminder.meeting.title,
        held_at=reminder.meeting.held_at,
        timezone=timezone,
    )
    return Rendered(str(text))
