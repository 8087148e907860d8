"""Escalation of critical challenges nobody acknowledged in time.

The schedule lives in the database (one row per planned step, marked when handled), so this
job holds no state: it runs every minute and at start-up, sends what is due by the services'
clock, and a restart neither loses a step nor sends one twice.
"""

from __future__ import annotations

import logging

from bot.context import BotContext
from services.container import Services

log = logging.getLogger(__name__)


async def send_due_escalations(services: Services) -> int:
    """Queue the escalation steps that are due; returns how many went out."""
    sent = await services.challenges.escalate_due()
    if sent:
        log.info("escalated %s challenges", sent)
    return sent


async def escalate(context: BotContext) -> None:
    """The periodic job (scheduled in bot/jobs/__init__.py)."""
    sent = await send_due_escalations(context.services)
    context.partnerbot.metrics.escalations.inc(sent)
