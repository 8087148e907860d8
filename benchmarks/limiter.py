"""Rate limiters against Telegram's 30 messages a second: Partnerbot's and python-telegram-bot's.

The same loop of `send_message` to `--messages` private chats, 16 at a time (as the outbox
sends), against the local Bot API server enforcing Telegram's limits (30 messages in any one
second, one a second per chat, 429 with retry_after beyond them), paced by:

- `AIORateLimiter(max_retries=3)`, python-telegram-bot's defaults: 30 requests per 1 s period,
  a bucket that lets 30 requests out at once whenever it is empty;
- `AIORateLimiter(overall_max_rate=1, overall_time_period=1 / 30, max_retries=3)`: the same
  30 a second on average, but a bucket of one, so requests leave evenly spaced;
- `SlidingWindowRateLimiter(max_retries=3)` (`bot/ratelimit.py`), what `bot/app.py` builds:
  at most 30 messages in any one-second window, counted from their answers.

Each round runs the three in turn (the order rotating from round to round), each on a fresh
server. Reported: for each, the median and range over the rounds of the seconds against the
floor of messages / 30, and of the 429s the server answered.

    python -m benchmarks.limiter [--messages 600] [--rounds 3]
    python -m benchmarks.limiter --quick       # 90 messages, one round: a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from telegram.ext import AIORateLimiter, BaseRateLimiter, ExtBot

from benchmarks.common import FIRST_MEMBER, machine, spread, table
from bot.ratelimit import SlidingWindowRateLimiter
from tests.e2e.botapi_server import BotApiServer

TELEGRAM_RATE = 30
CONCURRENCY = 16


@dataclass(frozen=True, slots=True)
class Trial:
    """One limiter setting: how long the messages took, and what the server refused."""

    limiter: str
    messages: int
    seconds: float
    rate_limited: int
    timeline: list[tuple[int, int]]  # messages accepted and 429s answered, second by second

    @property
    def floor(self) -> float:
        """Seconds the messages need at exactly 30 a second."""
        return self.messages / TELEGRAM_RATE


async def trial(name: str, limiter: BaseRateLimiter[Any], messages: int) -> Trial:
    """Send `messages` messages through `limiter` to a server enforcing Telegram's limits."""
    server = BotApiServer(keep_calls=False)
    server.enforce_rate_limits(overall_per_second=TELEGRAM_RATE, per_chat_per_second=1)
    await server.start()
    try:
        chats = [server.user(id=FIRST_MEMBER + n, started=True).id for n in range(messages)]
        bot: ExtBot[int] = ExtBot(server.token, base_url=server.base_url, rate_limiter=limiter)
        timeline: list[tuple[int, int]] = []

        async def sample() -> None:
            stats = server.stats
            before = (stats.messages_sent, stats.rate_limited)
            while True:
                await asyncio.sleep(1)
                now = (stats.messages_sent, stats.rate_limited)
                timeline.append((now[0] - before[0], now[1] - before[1]))
                before = now

        gate = asyncio.Semaphore(CONCURRENCY)

        async def send(chat_id: int) -> None:
            async with gate:
                await bot.send_message(chat_id, "Benchmark broadcast")

        async with bot:
            sampler = asyncio.create_task(sample())
            started = time.perf_counter()
            await asyncio.gather(*(send(chat_id) for chat_id in chats))
            seconds = time.perf_counter() - started
            sampler.cancel()
            await asyncio.gather(sampler, return_exceptions=True)
        return Trial(name, messages, seconds, server.stats.rate_limited, timeline)
    finally:
        await server.stop()


#: The limiters compared, each built fresh for every trial.
LIMITERS: dict[str, Callable[[], BaseRateLimiter[Any]]] = {
    "PTB, 30 per 1 s (defaults)": lambda: AIORateLimiter(max_retries=3),
    "PTB, 1 per 1/30 s": lambda: AIORateLimiter(
        overall_max_rate=1, overall_time_period=1 / TELEGRAM_RATE, max_retries=3
    ),
    "sliding window (bot/app.py)": lambda: SlidingWindowRateLimiter(max_retries=3),
}


async def run(messages: int, rounds: int) -> list[Trial]:
    """Every limiter once a round, the order rotating so that none always goes first."""
    names = list(LIMITERS)
    trials = []
    for round_ in range(rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            trials.append(await trial(name, LIMITERS[name](), messages))
    return trials


def spread_or_value(values: Sequence[float], digits: int) -> str:
    """Median and range, or the value alone when all are the same."""
    if min(values) == max(values):
        return f"{values[0]:.{digits}f}"
    return spread(values, digits=digits)


def report(trials: Sequence[Trial]) -> str:
    """The table (median and range over the rounds), then each limiter's first second by
    second."""
    rows = []
    for name in LIMITERS:
        mine = [t for t in trials if t.limiter == name]
        if not mine:
            continue
        rows.append(
            (
                name,
                len(mine),
                mine[0].messages,
                spread_or_value([t.seconds for t in mine], 2),
                f"{mine[0].floor:.1f}",
                spread_or_value([t.seconds / t.floor for t in mine], 3),
                spread_or_value([t.rate_limited for t in mine], 0),
            )
        )
    headers = ("rate limiter", "rounds", "messages", "seconds", "floor s", "× floor", "429s")
    lines = [table(headers, rows), ""]
    for name in LIMITERS:
        first = next((t for t in trials if t.limiter == name), None)
        if first is None:
            continue
        lines.append(
            f"{name}, second by second: accepted "
            + " ".join(str(sent) for sent, _ in first.timeline[:15])
            + "…; 429s "
            + " ".join(str(refused) for _, refused in first.timeline[:15])
            + "…"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.limiter", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--messages", type=int, default=600, help="messages per trial (600)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of all three (3)")
    parser.add_argument("--quick", action="store_true", help="90 messages, one round")
    arguments = parser.parse_args(argv)
    messages = 90 if arguments.quick else arguments.messages
    rounds = 1 if arguments.quick else arguments.rounds
    print(f"## Rate limiter pacing\n\n{machine().line()}\n", flush=True)
    print(report(asyncio.run(run(messages, rounds))))


if __name__ == "__main__":
    main()
