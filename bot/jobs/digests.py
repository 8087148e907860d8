"""Scheduled digests: every minute and at start-up, queue the digests that are due.

Each recipient's digest is built for them (their language, what they may see, what
happened since their last digest) and written to the outbox, split below Telegram's
message limit, with idempotency keys `digest:<chat>:<partnership>:<slot>` (then `:2`, `:3`
for the further parts). The slot is marked as sent only after the outbox has the rows; a
crash in between queues nothing twice on the next run, because the keys already exist.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.callbacks import DigestSettingsMenu, MilestonesOverview
from bot.i18n import translator
from bot.views.digests import MILESTONES_BUTTON, SETTINGS_BUTTON, digest_text
from bot.views.render import split_html
from services.digests import Digest, DueDigest
from services.outbox import Recipient, Rendered

if TYPE_CHECKING:
    from bot.context import BotContext, PartnerbotApplication
    from services.container import Services

log = logging.getLogger(__name__)


async def send_due_digests(context: BotContext) -> None:
    """The job PTB runs every minute."""
    queued = await queue_due_digests(context.partnerbot)
    if queued:
        log.info("queued %s scheduled digests", queued)


async def queue_due_digests(application: PartnerbotApplication) -> int:
    """Queue every digest due now; returns how many were queued."""
    services = application.services
    now = services.clock()
    builder = services.digests.builder(now)
    queued = 0
    for due in await services.digests.due(now):
        try:
            if not due.unreachable:
                digest = await builder.build(
                    due.partnership, member_id=due.member_id, since=due.since
                )
                await _enqueue(services, due, digest)
                queued += 1
            await services.digests.mark_sent(due, now)
        except Exception:
            # One recipient's problem must not hold up everyone else's digest; the slot
            # stays due and is tried again at the next run.
            log.exception("could not queue the digest of chat %s", due.chat_id)
    application.metrics.digests.inc(queued)
    return queued


def render_parts(due: DueDigest, digest: Digest) -> list[Rendered]:
    """The digest in the recipient's language, in parts that each fit one message."""
    _ = translator(due.language)
    parts = split_html(str(digest_text(_, digest)))
    buttons: tuple[tuple[str, str], ...] = ()
    if due.member_id is not None:
        buttons = (
            (_.text(MILESTONES_BUTTON), MilestonesOverview().pack()),
            (_.text(SETTINGS_BUTTON), DigestSettingsMenu().pack()),
        )
    return [
        Rendered(part, buttons=buttons if index == len(parts) - 1 else ())
        for index, part in enumerate(parts)
    ]


async def _enqueue(services: Services, due: DueDigest, digest: Digest) -> None:
    recipient = Recipient(due.chat_id, due.member_id, due.language)
    for index, rendered in enumerate(render_parts(due, digest)):
        await services.outbox.enqueue(
            kind="digest",
            reference=due.key,
            partnership_id=due.partnership.id,
            recipients=[recipient],
            render={due.language: rendered},
            idempotency_key=due.key if index == 0 else f"{due.key}:{index + 1}",
        )
