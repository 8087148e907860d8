"""Round trips of `/help` through the local Bot API server: Partnerbot against a bare echo bot.

Each bot runs as its own process (Partnerbot as `python -m bot run` on a pre-seeded SQLite
file), long polling a local Bot API server that runs in this process. Latency is measured at
the server, from the moment a person's message is queued for the bot to the moment the bot's
answer is posted. Two loads, one after the other, on the same bot process after a warm-up:

- back to back: every person sends `/help` again as soon as the answer arrived (a closed
  loop: it finds the most round trips per second the bot sustains);
- paced: the people together send `--paced-rate` messages a second, evenly spread (below
  Telegram's 30 a second, so the rate limiter should not delay anything).

Each bot runs with and without python-telegram-bot's rate limiter, each time on a fresh
server and a fresh copy of the seeded database.

    python -m benchmarks.roundtrip [--users 20] [--messages 25] [--paced-messages 10]
    python -m benchmarks.roundtrip --quick     # a smoke run of a few seconds
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks.common import (
    FIRST_MEMBER,
    BotProcess,
    echo_command,
    machine,
    partnerbot_command,
    percentile,
    seed_partnership,
    table,
)
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.users import TestChat, TestUser

#: Longest wait for one answer before the run is declared broken.
ANSWER_TIMEOUT = 20.0
BOTS = ("echo bot", "Partnerbot")
HEADERS = (
    "bot", "rate limiter", "load", "round trips", "per s", "p50 ms", "p95 ms", "bot CPU ms each",
    "server busy",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Load:
    """The simulated people and what each of them sends."""

    users: int
    messages: int  # back to back, measured
    paced_messages: int  # paced, measured
    paced_rate: float  # messages a second, all people together
    warmup: int  # unmeasured, before anything else
    members: int  # of the seeded partnership (the senders are among them)


@dataclass(frozen=True, slots=True)
class Result:
    """One load on one bot with one rate limiter setting."""

    load: str
    seconds: float
    latencies: list[float]
    bot_cpu: float  # seconds of CPU the bot process used during the measured load
    server_cpu: float  # seconds of CPU this process (the server and the people) used
    bot: str = ""
    rate_limiter: bool = False

    @property
    def round_trips(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.round_trips / self.seconds

    def ms(self, fraction: float) -> float:
        """A latency percentile in milliseconds."""
        return percentile(self.latencies, fraction) * 1000

    @property
    def cpu_ms(self) -> float:
        """Milliseconds of the bot's CPU per round trip."""
        return self.bot_cpu * 1000 / self.round_trips


async def _converse(
    server: BotApiServer,
    user: TestUser,
    count: int,
    into: list[float],
    *,
    interval: float = 0.0,
    offset: float = 0.0,
) -> None:
    """Send `/help` `count` times, never before the previous answer arrived; with an
    `interval`, also not before `offset + i * interval` seconds from now."""
    chat = user.chat
    start = time.perf_counter() + offset
    for number in range(count):
        if interval:
            await asyncio.sleep(max(0.0, start + number * interval - time.perf_counter()))
        answered = len(chat.bot_messages)
        sent = time.perf_counter()
        await user.send("/help")
        if not await server.wait_until(_more_than(chat, answered), ANSWER_TIMEOUT):
            raise RuntimeError(f"no answer to user {user.id} within {ANSWER_TIMEOUT:g} s")
        into.append(time.perf_counter() - sent)


def _more_than(chat: TestChat, count: int) -> Callable[[], bool]:
    """Whether the bot has posted more than `count` messages into `chat`."""
    return lambda: len(chat.bot_messages) > count


async def _timed(
    name: str, process: BotProcess, loops: Sequence[Coroutine[Any, Any, None]], into: list[float]
) -> Result:
    """Run the people's `loops` together, timing them and the CPU of both sides."""
    cpu, server_cpu = process.cpu_seconds(), time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*loops)
    return Result(
        name,
        time.perf_counter() - started,
        into,
        process.cpu_seconds() - cpu,
        time.process_time() - server_cpu,
    )


async def drive(
    server: BotApiServer, process: BotProcess, users: list[TestUser], load: Load
) -> list[Result]:
    """Warm up, then the back-to-back load, then the paced one."""
    await asyncio.gather(*(_converse(server, u, load.warmup, []) for u in users))
    closed: list[float] = []
    back_to_back = await _timed(
        "back to back",
        process,
        [_converse(server, u, load.messages, closed) for u in users],
        closed,
    )
    # Each person sends every `interval` seconds, the people evenly staggered across it.
    interval = len(users) / load.paced_rate
    paced: list[float] = []
    loops = [
        _converse(
            server,
            u,
            load.paced_messages,
            paced,
            interval=interval,
            offset=interval * n / len(users),
        )
        for n, u in enumerate(users)
    ]
    return [back_to_back, await _timed(f"paced {load.paced_rate:g}/s", process, loops, paced)]


async def measure(
    bot: str, rate_limiter: bool, template: Path, work: Path, load: Load
) -> list[Result]:
    """Run one bot process against a fresh server and measure both loads."""
    server = BotApiServer(keep_calls=False)
    await server.start()
    try:
        if bot == "Partnerbot":
            database = work / f"roundtrip-{rate_limiter}.sqlite3"
            shutil.copyfile(template, database)
            command, env = partnerbot_command(server, database, rate_limiter=rate_limiter)
        else:
            command, env = echo_command(server, rate_limiter=rate_limiter)
        # Partnerbot's senders are members of the seeded partnership; the echo bot knows nobody.
        users = [server.user(id=FIRST_MEMBER + n, started=True) for n in range(load.users)]
        async with BotProcess(bot, command, env, work) as process:
            await process.start(server)
            try:
                measured = await drive(server, process, users, load)
            except RuntimeError as error:
                raise RuntimeError(f"{bot}: {error}\n{process.errors()}") from error
        if server.violations or server.internal_errors:
            problems = [str(v) for v in server.violations[:3]] + server.internal_errors[:3]
            raise RuntimeError(f"{bot}: the server refused requests: {problems}")
        return [replace(m, bot=bot, rate_limiter=rate_limiter) for m in measured]
    finally:
        await server.stop()


async def run(load: Load) -> list[Result]:
    """Every bot with and without the rate limiter, echo bot first."""
    results = []
    with tempfile.TemporaryDirectory(prefix="partnerbot-roundtrip-") as folder:
        work = Path(folder)
        template = work / "template.sqlite3"
        await seed_partnership(template, load.members)
        for rate_limiter in (False, True):
            for bot in BOTS:
                results += await measure(bot, rate_limiter, template, work, load)
    return results


def report(results: Sequence[Result], load: Load) -> str:
    """The table, then Partnerbot against the echo bot as ratios."""
    ordered = sorted(results, key=lambda r: (r.rate_limiter, r.load != "back to back"))
    rows = [
        (
            r.bot,
            "on" if r.rate_limiter else "off",
            r.load,
            r.round_trips,
            f"{r.per_second:.1f}",
            f"{r.ms(0.50):.1f}",
            f"{r.ms(0.95):.1f}",
            f"{r.cpu_ms:.2f}",
            f"{r.server_cpu * 100 / r.seconds:.0f}%",
        )
        for r in ordered
    ]
    lines = [
        f"{load.users} people; each sends {load.warmup} unmeasured /help, then {load.messages}"
        f" back to back, then {load.paced_messages} paced ({load.paced_rate:g}/s in all)."
        f" Partnerbot's partnership has {load.members} members.",
        "",
        table(HEADERS, rows),
        "",
        "Partnerbot against the echo bot:",
    ]
    for r in ordered:
        if r.bot != "Partnerbot":
            continue
        echo = next(
            e
            for e in results
            if e.bot == "echo bot" and (e.rate_limiter, e.load) == (r.rate_limiter, r.load)
        )
        lines.append(
            f"- rate limiter {'on' if r.rate_limiter else 'off'}, {r.load}:"
            f" {r.per_second / echo.per_second:.2f}× the round trips per second,"
            f" {r.ms(0.5) / echo.ms(0.5):.2f}× the p50 and {r.ms(0.95) / echo.ms(0.95):.2f}×"
            f" the p95 latency, {r.cpu_ms / echo.cpu_ms:.1f}× the CPU per round trip"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.roundtrip", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--users", type=int, default=20, help="simulated people (default 20)")
    parser.add_argument(
        "--messages", type=int, default=25, help="back-to-back messages per person (default 25)"
    )
    parser.add_argument(
        "--paced-messages", type=int, default=10, help="paced messages per person (default 10)"
    )
    parser.add_argument(
        "--paced-rate", type=float, default=20, help="paced messages a second in all (default 20)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured messages per person")
    parser.add_argument(
        "--members", type=int, default=200, help="members of the seeded partnership (default 200)"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    arguments = parser.parse_args(argv)
    load = Load(
        users=arguments.users,
        messages=arguments.messages,
        paced_messages=arguments.paced_messages,
        paced_rate=arguments.paced_rate,
        warmup=arguments.warmup,
        members=arguments.members,
    )
    if arguments.quick:
        load = Load(users=5, messages=4, paced_messages=3, paced_rate=20, warmup=1, members=20)
    if load.members < load.users:
        parser.error("--members must be at least --users: the senders are members")
    print(f"## Round trips of /help\n\n{machine().line()}\n", flush=True)
    print(report(asyncio.run(run(load)), load))


if __name__ == "__main__":
    main()
