"""The sliding-window rate limiter, on a virtual clock: no test sleeps for real."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.metrics import Metrics
from bot.ratelimit import RETRY_SLACK, Pace, SlidingWindowRateLimiter, Window, sends_message

PRIVATE, OTHER, GROUP = 1001, 1002, -100500


def retry_afters(metrics: Metrics) -> float:
    """The 429s counted in the bot's own registry."""
    return metrics.registry.get_sample_value("partnerbot_telegram_retry_after_total") or 0.0


class VirtualTime:
    """A clock that jumps to the next sleeper's wake-up once every task is waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    async def run(self, *work: Awaitable[Any]) -> list[Any]:
        """Run `work` to the end, moving the clock forward whenever nothing else can run."""
        tasks = [asyncio.ensure_future(w) for w in work]
        while not all(task.done() for task in tasks):
            for _ in range(50):  # let every runnable task reach its next wait
                await asyncio.sleep(0)
            if all(task.done() for task in tasks):
                break
            assert self._sleepers, "every task waits, and none on the clock"
            wake, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, wake)
            future.set_result(None)
        return [task.result() for task in tasks]


def limiter(time: VirtualTime, **kwargs: Any) -> SlidingWindowRateLimiter:
    return SlidingWindowRateLimiter(clock=time.clock, sleep=time.sleep, **kwargs)


class Server:
    """Records when each message arrives; answers at once, or 429s when told to."""

    def __init__(self, time: VirtualTime) -> None:
        self.time = time
        self.arrivals: list[tuple[float, object]] = []
        self.refusals: list[float] = []  # retry_after of the next answers, when given

    def send(
        self, bot: SlidingWindowRateLimiter, chat_id: object, endpoint: str = "sendMessage"
    ) -> Awaitable[Any]:
        async def call() -> bool:
            self.arrivals.append((self.time.now, chat_id))
            if self.refusals:
                raise RetryAfter(timedelta(seconds=self.refusals.pop(0)))
            return True

        return bot.process_request(call, (), {}, endpoint, {"chat_id": chat_id}, None)

    def times(self, chat_id: object = None) -> list[float]:
        return [t for t, chat in self.arrivals if chat_id is None or chat == chat_id]


def most_in_any(times: Sequence[float], period: float) -> int:
    """The most messages that arrived within any window of `period` seconds."""
    ordered = sorted(times)
    return max(
        (sum(1 for u in ordered[i:] if u < t + period) for i, t in enumerate(ordered)), default=0
    )


def test_which_methods_post_messages() -> None:
    for posting in ("sendMessage", "sendDocument", "sendMediaGroup", "copyMessage"):
        assert sends_message(posting)
    for silent in ("getUpdates", "getMe", "answerCallbackQuery", "sendChatAction"):
        assert not sends_message(silent)
    assert not sends_message("editMessageText")


def test_a_window_counts_messages_in_flight_and_answered() -> None:
    window = Window(2, 1.0)
    assert window.ready_at() == float("-inf")
    window.leave()
    window.leave()
    assert window.ready_at() is None  # both in flight: wait for an answer
    window.answer(5.0)
    assert window.ready_at() == 6.0  # one in flight, one answered at 5.0
    window.answer(5.5)
    assert window.ready_at() == 6.0  # the older of the two answers frees its place first
    assert not window.idle(6.4) and window.idle(6.5)


def test_a_pace_lets_a_short_burst_through_then_one_a_second() -> None:
    pace = Pace(3, 1.0)
    answers = [10.0, 10.1, 10.2, 11.0, 20.0, 20.0, 20.0]
    allowed = []
    for answered in answers:
        allowed.append(pace.ready_at())
        pace.leave()
        assert pace.ready_at() is None  # one message in flight at a time
        pace.answer(answered)
    inf = float("-inf")
    # Three at once, then a second after the first's answer; refilled by 20.0, three again.
    assert allowed == [inf, 9.0, 10.0, 11.0, 12.0, 19.0, 20.0]
    assert pace.ready_at() == 21.0
    assert not pace.idle(22.9) and pace.idle(23.0)


async def test_a_burst_keeps_30_in_any_second_from_its_first_second() -> None:
    time = VirtualTime()
    server = Server(time)
    bot = limiter(time)
    await time.run(*(server.send(bot, 10_000 + n) for n in range(100)))
    arrivals = server.times()
    assert len(arrivals) == 100
    assert most_in_any(arrivals, 1.0) == 30
    assert arrivals[:30] == [0.0] * 30  # no waiting while the window has room
    assert max(arrivals) == 3.0  # then exactly one window later, no more


async def test_messages_in_flight_hold_their_place_until_answered() -> None:
    time = VirtualTime()
    bot = limiter(time, overall=2)
    answered = asyncio.Event()
    started: list[float] = []

    async def slow() -> bool:
        started.append(time.now)
        if len(started) <= 2:
            await answered.wait()
        return True

    async def answer_later() -> None:
        await time.sleep(5)
        answered.set()

    await time.run(
        *(bot.process_request(slow, (), {}, "sendMessage", {}, None) for _ in range(3)),
        answer_later(),
    )
    # The third leaves one second after the first two were answered, not after they left.
    assert started == [0.0, 0.0, 6.0]


async def test_a_private_chat_gets_short_bursts_and_one_a_second() -> None:
    time = VirtualTime()
    server = Server(time)
    bot = limiter(time)
    await time.run(*(server.send(bot, PRIVATE) for _ in range(7)), server.send(bot, OTHER))
    assert server.times(PRIVATE) == [0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0]
    assert server.times(OTHER) == [0.0]  # another chat is not held back


async def test_a_group_gets_20_a_minute() -> None:
    time = VirtualTime()
    server = Server(time)
    bot = limiter(time)
    await time.run(*(server.send(bot, GROUP) for _ in range(22)))
    arrivals = server.times(GROUP)
    assert most_in_any(arrivals, 60.0) == 20
    assert arrivals[:5] == [0.0, 0.0, 0.0, 1.0, 2.0] and arrivals[20] == 60.0
    channel = Server(time)
    await time.run(*(channel.send(bot, "@announcements") for _ in range(4)))
    assert channel.times() == [60.0, 60.0, 60.0, 61.0]  # @username: a channel, limited alike


async def test_requests_that_post_nothing_are_not_held_back() -> None:
    time = VirtualTime()
    server = Server(time)
    bot = limiter(time, overall=1)
    await time.run(
        *(server.send(bot, PRIVATE + n) for n in range(3)),
        *(server.send(bot, None, "answerCallbackQuery") for _ in range(5)),
        server.send(bot, None, "getUpdates"),
    )
    assert server.times(None).count(0.0) == 7  # six that post nothing, and the first message
    assert server.times() == [0.0] * 7 + [1.0, 2.0]


async def test_a_429_pauses_every_message_retries_and_is_counted() -> None:
    time = VirtualTime()
    server = Server(time)
    metrics = Metrics()
    bot = limiter(time, metrics=metrics, max_retries=2)
    server.refusals = [3]
    results = await time.run(*(server.send(bot, PRIVATE + n) for n in range(5)))
    assert results == [True] * 5
    first, *rest = server.arrivals
    assert first == (0.0, PRIVATE)
    # The refused message and every message after it wait for retry_after.
    assert [t for t, _ in rest] == [3 + RETRY_SLACK] * 5
    assert retry_afters(metrics) == 1
    assert bot.paused_until == 3 + RETRY_SLACK


async def test_a_429_beyond_the_retries_reaches_the_caller() -> None:
    time = VirtualTime()
    server = Server(time)
    metrics = Metrics()
    bot = limiter(time, metrics=metrics, max_retries=1)
    server.refusals = [1, 1]
    with pytest.raises(RetryAfter):
        await time.run(server.send(bot, PRIVATE))
    assert len(server.arrivals) == 2
    assert retry_afters(metrics) == 2


async def test_a_429_on_a_request_that_posts_nothing_is_retried_too() -> None:
    time = VirtualTime()
    server = Server(time)
    bot = limiter(time, max_retries=1)
    server.refusals = [2]
    assert await time.run(server.send(bot, None, "answerCallbackQuery")) == [True]
    assert server.times() == [0.0, 2 + RETRY_SLACK]


async def test_failed_requests_free_their_place() -> None:
    time = VirtualTime()
    bot = limiter(time, overall=1)
    started: list[float] = []

    async def broken() -> bool:
        started.append(time.now)
        raise OSError("network down")

    for _ in range(2):
        with pytest.raises(OSError, match="network down"):
            await time.run(bot.process_request(broken, (), {}, "sendMessage", {}, None))
    assert started == [0.0, 1.0]


async def test_chats_with_nothing_left_in_their_windows_are_forgotten() -> None:
    time = VirtualTime()
    server = Server(time)
    bot = limiter(time)
    await time.run(*(server.send(bot, 10_000 + n) for n in range(1024)))
    assert len(list(bot.chats())) == 1024
    time.now += 10
    await time.run(server.send(bot, PRIVATE))
    assert list(bot.chats()) == [PRIVATE]
