"""The outbox worker: sends what the outbox holds, within Telegram's limits, surviving faults.

Telegram's limits: about 30 messages a second in all (the bot's rate limiter, bot/ratelimit.py,
keeps that, and 20 a minute into a group), and about one a second into one chat, which this
worker keeps by sending a chat's messages one at a time, at least a second apart. At most
`concurrency` messages are in flight; after a crash exactly those may be sent twice
(README: "Delivery").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from datetime import timedelta
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.callbacks import Acknowledge, AlertOpen
from bot.i18n import N_, translator
from bot.views.broadcasts import broadcast_status
from bot.views.keyboards import button
from domain.outbox import Delivery
from services.outbox import Outcome, Rejected, RetryLater, Sent, Unreachable

if TYPE_CHECKING:
    from bot.context import PartnerbotApplication

log = logging.getLogger(__name__)
#: Broadcasts whose status text is remembered (the most recent ones).
PROGRESS_REMEMBERED = 256

ACKNOWLEDGE = N_("✅ Acknowledge")
#: Seconds between two messages into the same chat.
CHAT_INTERVAL = 1.0
#: The longest the worker sleeps without looking at the outbox again.
IDLE_CHECK = 60.0
#: A worker that has not looked at the outbox for this long is stuck (it looks every IDLE_CHECK).
HEARTBEAT_LIMIT = 2 * IDLE_CHECK + 30.0
#: How long the author's progress message waits to gather several changes into one edit.
PROGRESS_DELAY = 1.5


class DeliveryWorker:
    """One per application; started after the store opens, stopped before it closes."""

    def __init__(self, application: PartnerbotApplication, concurrency: int) -> None:
        self._app = application
        self._outbox = application.services.outbox
        self._concurrency = concurrency
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._last_sent: dict[int, float] = {}
        self._paused_until = 0.0
        self._loop_task: asyncio.Task[None] | None = None
        self._progress_pending: dict[int, asyncio.TimerHandle] = {}
        self._progress_tasks: set[asyncio.Task[None]] = set()
        #: The status each author's message shows now, per broadcast: an identical edit is
        #: not sent (Telegram refuses it as "message is not modified").
        self._progress_shown: dict[int, str] = {}
        #: Set whenever the outbox has nothing in flight and nothing due (for tests, shutdown).
        self.idle = asyncio.Event()
        #: The event loop's time of the worker's latest pass over the outbox.
        self.heartbeat: float | None = None
        self._outbox.listeners.append(self.poke)

    def poke(self) -> None:
        """Look at the outbox now (new rows, or a test moved the clock)."""
        self.idle.clear()
        self._wake.set()

    def start(self) -> None:
        """Begin delivering in the background."""
        self._loop_task = asyncio.create_task(self._run(), name="outbox worker")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking new work; let messages in flight finish for up to `grace` seconds.

        What is still in flight after that stays marked as being sent and is sent again
        at the next start."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=grace)
        for task in list(self._in_flight) + list(self._progress_tasks):
            task.cancel()
        await asyncio.gather(*self._in_flight, *self._progress_tasks, return_exceptions=True)
        for handle in self._progress_pending.values():
            handle.cancel()

    async def settle(self, within: float = 10.0) -> None:
        """Wait until nothing is in flight or due now, then bring every author's progress
        message up to date (used by shutdown paths and tests)."""
        await asyncio.wait_for(self.idle.wait(), within)
        for broadcast_id, handle in list(self._progress_pending.items()):
            handle.cancel()
            self._progress_pending.pop(broadcast_id, None)
            await self._edit_progress(broadcast_id)
        if self._progress_tasks:
            await asyncio.gather(*self._progress_tasks, return_exceptions=True)

    async def _run(self) -> None:
        recovered = await self._outbox.recover()
        if recovered:
            log.warning(
                "%s deliveries were in flight at the last stop; sending them again", recovered
            )
        loop = asyncio.get_running_loop()
        while True:
            self.heartbeat = loop.time()
            self._wake.clear()
            pause = self._paused_until - loop.time()
            if pause > 0:
                # Telegram asked us to slow down: nothing is sent until retry_after passes.
                await asyncio.sleep(pause)
                continue
            try:
                claimed = await self._outbox.claim(self._concurrency - len(self._in_flight))
            except Exception:
                log.exception("could not read the outbox; trying again shortly")
                await asyncio.sleep(1)
                continue
            if claimed:
                self.idle.clear()
            for delivery in claimed:
                task = asyncio.create_task(self._deliver(delivery))
                self._in_flight.add(task)
            # Idle only if nobody poked during this pass: a poke means "look again".
            if not self._in_flight and not self._wake.is_set():
                self.idle.set()
            await self._wait_for_work()

    def alive(self) -> bool:
        """True if the worker runs and looked at the outbox lately (or waits out a 429)."""
        if self._loop_task is None or self._loop_task.done() or self.heartbeat is None:
            return False
        now = asyncio.get_running_loop().time()
        return now - self.heartbeat < HEARTBEAT_LIMIT or now < self._paused_until

    async def _wait_for_work(self) -> None:
        """Sleep until poked, a message finishes, or the next retry is due."""
        next_due = await self._outbox.next_due()
        timeout = IDLE_CHECK
        if next_due is not None:
            timeout = min(
                max((next_due - self._app.services.clock()).total_seconds(), 0.05), IDLE_CHECK
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            await self._pace(delivery.chat_id)
            outcome = await self._attempt(delivery)
            await self._outbox.record(delivery, outcome)
            self.progress(delivery.broadcast_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A bug must not leave the row "sending" forever: retry it later.
            log.exception("delivery %s failed unexpectedly", delivery.id)
            await self._outbox.record(delivery, RetryLater("internal error"))
        finally:
            task = asyncio.current_task()
            if task is not None:
                self._in_flight.discard(task)
            self._wake.set()

    async def _pace(self, chat_id: int) -> None:
        loop = asyncio.get_running_loop()
        wait = self._last_sent.get(chat_id, 0.0) + CHAT_INTERVAL - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_sent[chat_id] = loop.time()

    async def _attempt(self, delivery: Delivery) -> Outcome:
        """Send once; classify what Telegram answered."""
        try:
            message = await self._send(delivery)
        except RetryAfter as error:
            seconds = _retry_after(error)
            if self._app.bot.rate_limiter is None:
                # With a rate limiter, it counted this 429 (and those it retried) already.
                self._app.metrics.flood_waits.inc()
            self._paused_until = asyncio.get_running_loop().time() + seconds
            return RetryLater(f"flood control: retry after {seconds:g} s", after=seconds)
        except Forbidden as error:
            return Unreachable(error.message)
        except BadRequest as error:
            return Rejected(error.message)
        except TelegramError as error:  # network errors, time-outs, 5xx
            return RetryLater(f"{type(error).__name__}: {error.message}")
        return Sent(message.message_id)

    async def _send(self, delivery: Delivery) -> Message:
        bot = self._app.bot
        row = [InlineKeyboardButton(label, callback_data=data) for label, data in delivery.buttons]
        if delivery.acknowledge:
            label = translator(delivery.language).text(ACKNOWLEDGE)
            row.insert(0, button(label, Acknowledge(delivery.acknowledges)))
        keyboard = InlineKeyboardMarkup([row]) if row else None
        protect = delivery.protect_content
        if delivery.media_kind == "photo" and delivery.media_file_id:
            return await bot.send_photo(
                delivery.chat_id,
                delivery.media_file_id,
                caption=delivery.text or None,
                reply_markup=keyboard,
                protect_content=protect,
            )
        if delivery.media_kind == "document" and delivery.media_file_id:
            return await bot.send_document(
                delivery.chat_id,
                delivery.media_file_id,
                caption=delivery.text or None,
                reply_markup=keyboard,
                protect_content=protect,
            )
        return await bot.send_message(
            delivery.chat_id, delivery.text, reply_markup=keyboard, protect_content=protect
        )

    def progress(self, broadcast_id: int) -> None:
        """A broadcast's figures changed: update its author's message soon (gathered)."""
        if broadcast_id in self._progress_pending:
            return
        loop = asyncio.get_running_loop()
        self._progress_pending[broadcast_id] = loop.call_later(
            PROGRESS_DELAY, self._start_progress_edit, broadcast_id
        )

    def _start_progress_edit(self, broadcast_id: int) -> None:
        self._progress_pending.pop(broadcast_id, None)
        task = asyncio.create_task(self._edit_progress(broadcast_id))
        self._progress_tasks.add(task)
        task.add_done_callback(self._progress_tasks.discard)

    async def _edit_progress(self, broadcast_id: int) -> None:
        services = self._app.services
        try:
            summary = await services.broadcasts.summary(broadcast_id)
            broadcast = summary.broadcast
            if broadcast.status_chat_id is None or broadcast.status_message_id is None:
                return
            author = await services.access.identify_known(broadcast.author_id or 0)
            if author is None or author.membership is None:
                return
            _ = translator(author.language(self._app.settings.default_language))
            status = broadcast_status(_, summary, author.membership.partnership.timezone)
            if self._progress_shown.get(broadcast_id) == status:
                return
            await self._app.bot.edit_message_text(
                status,
                chat_id=broadcast.status_chat_id,
                message_id=broadcast.status_message_id,
                reply_markup=InlineKeyboardMarkup([[button("👥", AlertOpen(broadcast_id))]]),
            )
            self._progress_shown[broadcast_id] = status
            while len(self._progress_shown) > PROGRESS_REMEMBERED:
                self._progress_shown.pop(next(iter(self._progress_shown)))
        except BadRequest as error:
            if "not modified" not in error.message.lower():
                log.info("could not update the progress of broadcast %s: %s", broadcast_id, error)
        except TelegramError as error:
            log.info("could not update the progress of broadcast %s: %s", broadcast_id, error)


def _retry_after(error: RetryAfter) -> float:
    """Telegram's retry_after in seconds, whichever type this PTB version gives."""
    with warnings.catch_warnings():
        # PTB 22 warns that the attribute will become a timedelta; both are handled here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: int | timedelta = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
