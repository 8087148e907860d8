"""Telegram's flood limits kept on our side: sliding windows, so that Telegram never answers 429.

Telegram documents about 30 messages a second for one bot, about one a second into one chat
(short bursts pass) and about 20 a minute into one group, without saying how it counts them.
`SlidingWindowRateLimiter` reads them the strictest way, as the local Bot API server of the
end-to-end tests does: at most 30 messages in *any* one-second window, the first second of a
burst included.

A message occupies its place in a window from the moment it leaves until one window after its
answer came back. Telegram counts a message somewhere between those two instants (when it
receives it), so counting from the answer keeps the limit whatever the network delays are,
with no guessed safety margin; it costs one round trip per window (a few milliseconds to a
local server, 1.05 s instead of 1 s where the round trip is 50 ms).

Only requests that post a message into a chat are limited (`sends_message`): answering a
button, reading updates or `getMe` go straight through. A 429 is counted in the metrics,
pauses every message for its retry_after, and is retried up to `max_retries` times, as
python-telegram-bot's `AIORateLimiter` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

if TYPE_CHECKING:  # the echo bot of the benchmarks uses this limiter without the bot
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

Request = Callable[..., Coroutine[Any, Any, Any]]
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: Methods named send... that post nothing into the chat's history.
_SEND_NOTHING: Final = frozenset(
    {"sendChatAction", "sendMessageDraft", "sendRichMessageDraft", "sendChatJoinRequestWebApp",
     "sendGift"}
)  # fmt: skip
_POSTING: Final = frozenset({"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"})

#: Seconds added to a 429's retry_after before trying again (python-telegram-bot adds as much).
RETRY_SLACK = 0.1


def sends_message(endpoint: str) -> bool:
    """Whether a Bot API method posts a message into a chat (Telegram's limits apply)."""
    return (endpoint.startswith("send") and endpoint not in _SEND_NOTHING) or endpoint in _POSTING


class Limit:
    """One of Telegram's limits, counting messages from the moment they leave until their answer
    is back (a message in flight holds its place), then for as long as the limit says."""

    __slots__ = ("in_flight", "settled")

    def __init__(self) -> None:
        self.in_flight = 0
        self.settled: asyncio.Event | None = None  # set when an answer comes back

    def ready_at(self) -> float | None:
        """When one more message may leave; None while it must wait for an answer first."""
        raise NotImplementedError

    def idle(self, now: float) -> bool:
        """Whether the limit holds nothing any more (it may be forgotten)."""
        raise NotImplementedError

    def leave(self) -> None:
        """A message leaves."""
        self.in_flight += 1

    def answer(self, now: float) -> None:
        """A message's answer came back (or it failed) at `now`."""
        self.in_flight -= 1
        if self.settled is not None:
            self.settled.set()

    async def next_answer(self) -> None:
        """Wait until some message in flight is answered."""
        if self.settled is None:
            self.settled = asyncio.Event()
        self.settled.clear()
        await self.settled.wait()


class Window(Limit):
    """At most `limit` messages in any `period` seconds: the last `limit` answer times, and the
    messages in flight. Every operation is O(1)."""

    __slots__ = ("answered", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        super().__init__()
        self.limit = max(1, limit)
        self.period = period
        self.answered: deque[float] = deque(maxlen=self.limit)

    def ready_at(self) -> float | None:
        free = self.limit - self.in_flight
        if free <= 0:
            return None
        if len(self.answered) < free:
            return -math.inf
        # The free-th latest answer: once it is `period` old, fewer than `limit` remain.
        return self.answered[-free] + self.period

    def idle(self, now: float) -> bool:
        return not self.in_flight and (not self.answered or self.answered[-1] + self.period <= now)

    def answer(self, now: float) -> None:
        self.answered.append(now)
        super().answer(now)


class Pace(Limit):
    """Up to `burst` messages at once, then one every `interval` seconds (a token bucket), one
    message in flight at a time: any n messages span at least (n - burst) intervals.

    `next_at` is when the next message may leave: the latest, over the earlier messages i, of
    i's answer + (messages since i, i included, + 1 - burst) intervals, kept in O(1) as each
    answer comes back.
    """

    __slots__ = ("burst", "interval", "next_at")

    def __init__(self, burst: int, interval: float) -> None:
        super().__init__()
        self.burst = max(1, burst)
        self.interval = interval
        self.next_at = -math.inf

    def ready_at(self) -> float | None:
        return None if self.in_flight else self.next_at

    def idle(self, now: float) -> bool:
        return not self.in_flight and self.next_at + (self.burst - 1) * self.interval <= now

    def answer(self, now: float) -> None:
        self.next_at = max(self.next_at + self.interval, now + (2 - self.burst) * self.interval)
        super().answer(now)


class _Chat:
    """One chat's limits, and a lock that lets its messages leave one at a time."""

    __slots__ = ("lock", "windows")

    def __init__(self, windows: Sequence[Limit]) -> None:
        self.windows = tuple(windows)
        self.lock = asyncio.Lock()

    def idle(self, now: float) -> bool:
        return not self.lock.locked() and all(w.idle(now) for w in self.windows)


class SlidingWindowRateLimiter(BaseRateLimiter[int]):
    """Sends within Telegram's limits, counted as sliding windows, and retries 429s.

    Messages leave in the order they asked, as soon as every limit they fall under allows:
    `overall` messages in any second in all; into one chat, one at a time, up to `chat_burst`
    at once and then one a second (the short bursts Telegram lets pass, so that a reply of two
    or three messages is not held back); into a group or channel, also at most
    `group_per_minute` in any minute. Paid broadcasts (`allow_paid_broadcast`, which the bot
    does not use) are held to the same limits. `clock` and `sleep` are injectable for tests.
    """

    def __init__(
        self,
        metrics: Metrics | None = None,
        *,
        overall: int = 30,
        chat_burst: int = 3,
        group_per_minute: int = 20,
        max_retries: int = 0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._metrics = metrics
        self._overall = Window(overall, 1.0)
        self._chat_burst = chat_burst
        self._group_per_minute = group_per_minute
        self._max_retries = max_retries
        self._clock = clock
        self._sleep = sleep
        self._chats: dict[int | str, _Chat] = {}
        self._sweep_above = 1024
        self._lock = asyncio.Lock()  # held by the message next in line overall
        self._paused_until = -math.inf

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    @property
    def paused_until(self) -> float:
        """Until when (on `clock`) a 429 holds every message back."""
        return self._paused_until

    async def process_request(
        self,
        callback: Request,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """Send the request when the limits allow; retry it after each 429, up to the limit."""
        max_retries = rate_limit_args or self._max_retries
        limited = sends_message(endpoint)
        chat_id = data.get("chat_id")
        for attempt in range(max_retries + 1):
            try:
                if not limited:
                    return await callback(*args, **kwargs)
                return await self._send(callback, args, kwargs, chat_id)
            except RetryAfter as error:
                if self._metrics is not None:
                    self._metrics.flood_waits.inc()
                seconds = _seconds(error)
                until = self._clock() + seconds + RETRY_SLACK
                self._paused_until = max(self._paused_until, until)
                if attempt == max_retries:
                    log.warning("Flood control after %d retries: giving up", max_retries)
                    raise
                log.info("Flood control: retrying %s after %.1f s", endpoint, seconds)
                if not limited:
                    await self._sleep(seconds + RETRY_SLACK)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(
        self, callback: Request, args: Any, kwargs: dict[str, Any], chat_id: object
    ) -> Any:
        """One attempt: wait for a place in every window, send, free the place on the answer."""
        chat = self._chat(chat_id)
        windows: tuple[Limit, ...] = (
            (*chat.windows, self._overall) if chat is not None else (self._overall,)
        )
        async with chat.lock if chat is not None else contextlib.nullcontext():
            if chat is not None:
                await self._wait(chat.windows)
            async with self._lock:
                await self._wait(windows)
                for window in windows:
                    window.leave()
        try:
            return await callback(*args, **kwargs)
        finally:
            now = self._clock()
            for window in windows:
                window.answer(now)

    async def _wait(self, windows: Sequence[Limit]) -> None:
        """Until every window allows one more message and no 429 holds messages back."""
        while True:
            ready = self._paused_until
            for window in windows:
                at = window.ready_at()
                if at is None:
                    await window.next_answer()
                    break
                ready = max(ready, at)
            else:
                wait = ready - self._clock()
                if wait <= 0:
                    return
                await self._sleep(wait)

    def _chat(self, chat_id: object) -> _Chat | None:
        """The windows of the chat a message goes to (None when it names no chat)."""
        if chat_id is None:
            return None
        key: int | str = chat_id if isinstance(chat_id, int | str) else str(chat_id)
        with contextlib.suppress(ValueError):
            key = int(key)
        chat = self._chats.get(key)
        if chat is None:
            if len(self._chats) >= self._sweep_above:
                self._sweep()
            # Groups and channels have negative ids, or an @username.
            group = isinstance(key, str) or key < 0
            windows: list[Limit] = [Pace(self._chat_burst, 1.0)]
            if group:
                windows.append(Window(self._group_per_minute, 60.0))
            chat = self._chats[key] = _Chat(windows)
        return chat

    def _sweep(self) -> None:
        """Forget the chats whose windows hold nothing any more; sweeping only when the count
        has doubled keeps the cost per message constant."""
        now = self._clock()
        self._chats = {key: chat for key, chat in self._chats.items() if not chat.idle(now)}
        self._sweep_above = max(1024, 2 * len(self._chats))

    def chats(self) -> Iterator[int | str]:
        """The chats whose windows are remembered."""
        return iter(self._chats)


def _seconds(error: RetryAfter) -> float:
    """Telegram's retry_after in seconds, whichever type this PTB version gives."""
    with warnings.catch_warnings():
        # PTB 22 warns that the attribute will become a timedelta; both are handled here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: int | timedelta = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
