"""The one reminder of urgent broadcasts that members have not acknowledged."""

from __future__ import annotations

import logging

from markupsafe import Markup, escape

from bot.context import BotContext
from bot.i18n import translator
from bot.views.broadcasts import reminder_message
from services.outbox import Rendered

log = logging.getLogger(__name__)


async def send_due_reminders(context: BotContext) -> None:
    """Queue reminders that are due. Runs every minute and at start-up, so reminders due
    while the bot was down go out when it is back; each broadcast is reminded once."""
    services = context.services
    for broadcast, recipients, ack_for in await services.broadcasts.due_reminders():
        if recipients:
            author = await services.access.identify_known(broadcast.author_id or 0)
            author_name = author.identity.name if author else ""
            body = escape(broadcast.body)

            def render(
                language: str, author_name: str = author_name, body: Markup = body
            ) -> Rendered:
                text = reminder_message(translator(language), author=author_name, body=body)
                return Rendered(str(text))

            await services.outbox.enqueue(
                kind="reminder",
                reference=str(broadcast.id),
                partnership_id=broadcast.partnership_id,
                recipients=recipients,
                render=render,
                acknowledge=True,
                ack_for=ack_for,
                # Queued and marked in two steps: the key makes a retry after a crash
                # between them queue nothing twice.
                idempotency_key=f"reminder:{broadcast.id}",
            )
        await services.broadcasts.mark_reminded(broadcast.id)
        log.info("reminded %s people of broadcast %s", len(recipients), broadcast.id)
