"""Scheduled digests: every minute and at start-up, queue the digests that are due.

Each recipient's digest is built for them (their language, what they may see, what
happened since their last digest) and written to the outbox, split below Telegram's
message limit, with idempotency keys `digest:<chat>:<partnership>:<slot>` (then `:2`, `:3`
for the further parts). The slot is marked as sent only after the outbox has the rows; a
crash in between queues nothing twice on the next run, because the keys already exist.

A weekly schedule puts most of a partnership's members in the same minute, so the job works
a partnership at a time: what its readers share (the plan, the milestones due and completed,
their roles, the open actions) is read once, each reader's own counts in one query for them
all (`DigestBuilder.build_many`); digests that read the same in the same language are
rendered once a run; the outbox rows of a batch of recipients are written in one transaction
(`OutboxService.enqueue_many`) and their slots marked in another. The job gives the event
loop back whenever it has held it for `SLICE`, so members using the bot meanwhile wait a few
milliseconds at most. Should a batch fail, its recipients are queued one at a time, so one
recipient's problem holds up no one else's digest.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Hashable, Sequence
from datetime import datetime
from itertools import groupby
from typing import TYPE_CHECKING

from bot.callbacks import DigestSettingsMenu, MilestonesOverview
from bot.i18n import translator
from bot.views.digests import MILESTONES_BUTTON, SETTINGS_BUTTON, Memo, digest_text
from bot.views.render import split_html
from services.digests import Digest, DigestBuilder, DueDigest
from services.outbox import Keyed, Recipient, Rendered

if TYPE_CHECKING:
    from bot.context import BotContext, PartnerbotApplication
    from services.container import Services

log = logging.getLogger(__name__)

#: Recipients whose outbox rows are written in one transaction (and slots marked in another).
BATCH = 50
#: The longest the job keeps the event loop before giving it back (seconds).
SLICE = 0.002


async def send_due_digests(context: BotContext) -> None:
    """The job PTB runs every minute."""
    queued = await queue_due_digests(context.partnerbot)
    if queued:
        log.info("queued %s scheduled digests", queued)


async def queue_due_digests(application: PartnerbotApplication) -> int:
    """Queue every digest due now; returns how many were queued."""
    services = application.services
    now = services.clock()
    job = _Run(services, now)
    queued = 0
    for _partnership, group in groupby(await services.digests.due(now), lambda d: d.partnership):
        queued += await job.partnership(list(group))
    application.metrics.digests.inc(queued)
    return queued


class _Run:
    """One run of the job: one `now`, one builder, what was rendered so far."""

    def __init__(self, services: Services, now: datetime) -> None:
        self.services = services
        self.now = now
        self.builder = services.digests.builder(now)
        self._rendered: dict[Hashable, list[Rendered]] = {}
        self._shared: Memo = {}
        self._resumed = time.perf_counter()

    async def partnership(self, dues: Sequence[DueDigest]) -> int:
        """Queue the digests due to recipients of one partnership; returns how many."""
        reachable = [d for d in dues if not d.unreachable]
        try:
            built = await self.builder.build_many(
                dues[0].partnership, [(d.member_id, d.since) for d in reachable]
            )
        except Exception:
            log.exception("could not build the digests of a partnership; building them one by one")
            return await self._one_by_one(dues)
        digests = dict(zip((d.chat_id for d in reachable), built, strict=True))
        queued = 0
        for start in range(0, len(dues), BATCH):
            batch = dues[start : start + BATCH]
            try:
                queued += await self._queue(batch, digests)
            except Exception:
                # One recipient's problem must not hold up everyone else's digest: the batch
                # again, one recipient at a time (what is queued already is not queued twice).
                log.exception("could not queue a batch of digests; queueing them one by one")
                queued += await self._one_by_one(batch)
        return queued

    async def _queue(self, dues: Sequence[DueDigest], digests: dict[int, Digest]) -> int:
        """Render a batch, write its outbox rows in one transaction, mark its slots in another."""
        messages: list[Keyed] = []
        queued = 0
        for due in dues:
            if not due.unreachable:
                messages += keyed_parts(due, self._render(due, digests[due.chat_id]))
                queued += 1
                await self._pause()
        await self.services.outbox.enqueue_many("digest", messages)
        await self.services.digests.mark_sent_many(dues, self.now)
        return queued

    async def _pause(self) -> None:
        """Give the event loop back once this run has held it for a `SLICE`, so that updates
        arriving meanwhile wait for one slice at most, not for the whole run."""
        if time.perf_counter() - self._resumed >= SLICE:
            await asyncio.sleep(0)
            self._resumed = time.perf_counter()

    async def _one_by_one(self, dues: Sequence[DueDigest]) -> int:
        return await queue_one_by_one(self.services, self.builder, dues, self.now)

    def _render(self, due: DueDigest, digest: Digest) -> list[Rendered]:
        """`render_parts`, once per language and content in this run."""
        key = (due.language, due.member_id is not None, _content(digest))
        parts = self._rendered.get(key)
        if parts is None:
            parts = self._rendered[key] = render_parts(due, digest, self._shared)
        return parts


def _content(digest: Digest) -> Hashable:
    """Everything a digest's text depends on."""
    activity = digest.activity
    challenges = None if activity.challenges is None else tuple(sorted(activity.challenges.items()))
    return (
        digest.partnership,
        digest.now,
        digest.today,
        digest.since,
        digest.personal,
        digest.overall,
        tuple(digest.overdue),
        tuple(digest.due_soon),
        tuple(digest.completed),
        (activity.meetings, challenges, activity.actions_open, activity.actions_overdue),
    )


def render_parts(due: DueDigest, digest: Digest, memo: Memo | None = None) -> list[Rendered]:
    """The digest in the recipient's language, in parts that each fit one message (`memo`:
    what the digests of one run share, see `digest_text`)."""
    _ = translator(due.language)
    parts = split_html(str(digest_text(_, digest, memo)))
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


def keyed_parts(due: DueDigest, parts: Sequence[Rendered]) -> list[Keyed]:
    """The outbox messages of one digest: a part each, under the digest's keys."""
    recipient = Recipient(due.chat_id, due.member_id, due.language)
    return [
        Keyed(
            idempotency_key=due.key if index == 0 else f"{due.key}:{index + 1}",
            reference=due.key,
            partnership_id=due.partnership.id,
            recipient=recipient,
            rendered=rendered,
        )
        for index, rendered in enumerate(parts)
    ]


async def queue_one_by_one(
    services: Services, builder: DigestBuilder, dues: Sequence[DueDigest], now: datetime
) -> int:
    """Each digest built, queued and its slot marked on its own (two transactions); one
    that fails is logged and stays due for the next run. Returns how many were queued."""
    queued = 0
    for due in dues:
        try:
            if not due.unreachable:
                digest = await builder.build(
                    due.partnership, member_id=due.member_id, since=due.since
                )
                parts = keyed_parts(due, render_parts(due, digest))
                await services.outbox.enqueue_many("digest", parts)
                queued += 1
            await services.digests.mark_sent(due, now)
        except Exception:
            # The slot stays due and is tried again at the next run.
            log.exception("could not queue the digest of chat %s", due.chat_id)
    return queued
