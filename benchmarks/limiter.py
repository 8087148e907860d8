"""python-telegram-bot's AIORateLimiter against Telegram's 30 messages a second, two ways.

The same loop of `send_message` to `--messages` private chats, 16 at a time (as the outbox
sends), against the local Bot API server enforcing Telegram's limits (30 messages in any one
second, one a second per chat, 429 with retry_after beyond them), paced by:

- `AIORateLimiter(max_retries=3)`, python-telegram-bot's defaults (what `bot/app.py` built
  before): 30 requests per 1 s period, a bucket that lets 30 requests out at once whenever it
  is empty;
- `AIORateLimiter(overall_max_rate=1, overall_time_period=1 / 30, max_retries=3)`, as
  `bot/app.py` builds it now: the same 30 a second on average, but a bucket of one, so
  requests leave evenly spaced.

Reported: seconds against the floor of messages / 30, and the 429s the server answered.

    python -m benchmarks.limiter [--messages 600]
    python -m benchmarks.limiter --quick       # 90 messages, a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from telegram.ext import AIORateLimiter, ExtBot

from benchmarks.common import FIRST_MEMBER, machine, table
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


async def trial(name: str, limiter: AIORateLimiter, messages: int) -> Trial:
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


async def run(messages: int) -> list[Trial]:
    """Both limiter settings, one after the other."""
    return [
        await trial("30 per 1 s (PTB default)", AIORateLimiter(max_retries=3), messages),
        await trial(
            "1 per 1/30 s (bot/app.py)",
            AIORateLimiter(
                overall_max_rate=1, overall_time_period=1 / TELEGRAM_RATE, max_retries=3
            ),
            messages,
        ),
    ]


def report(trials: Sequence[Trial]) -> str:
    """The table, then each trial second by second."""
    rows = [
        (
            t.limiter,
            t.messages,
            f"{t.seconds:.2f}",
            f"{t.floor:.1f}",
            f"{t.seconds / t.floor:.2f}",
            t.rate_limited,
        )
        for t in trials
    ]
    headers = ("AIORateLimiter", "messages", "seconds", "floor s", "× floor", "429s")
    lines = [table(headers, rows), ""]
    for t in trials:
        lines.append(
            f"{t.limiter}, second by second: accepted "
            + " ".join(str(sent) for sent, _ in t.timeline[:15])
            + "…; 429s "
            + " ".join(str(refused) for _, refused in t.timeline[:15])
            + "…"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.limiter", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--messages", type=int, default=600, help="messages per trial (600)")
    parser.add_argument("--quick", action="store_true", help="90 messages: a smoke run")
    arguments = parser.parse_args(argv)
    messages = 90 if arguments.quick else arguments.messages
    print(f"## Rate limiter pacing\n\n{machine().line()}\n", flush=True)
    print(report(asyncio.run(run(messages))))


if __name__ == "__main__":
    main()
