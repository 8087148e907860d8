"""Partnerbot against a bare echo bot, interleaved: updates per second, CPU and memory.

Every bot runs as its own process (Partnerbot as `python -m bot run` on a pre-seeded SQLite
file, the echo bot as `python -m benchmarks.echo_bot`), each long polling its own local Bot
API server; the servers and the simulated people run in this process. All the bots are
started together and measured in turn, in short rounds (A B C, then B C A, then C A B, ...), so
that whatever else the machine does falls on all of them alike: each round gives one ratio of
Partnerbot to each echo bot, and the report gives the median and the range of those ratios.

Two scenarios, each on its own database and processes:

- help: members send `/help` (a partnership of 200 members);
- contacts: members send `/contacts <query>`, cycling through the twelve queries of
  `contacts_search.py`, over a directory of 50,000 contacts.

Two loads in each round: one member alone, and 20 members at once, each sending again as
soon as the answer arrived (back to back: the most updates a second the bot sustains).
"bot CPU" is the user + system time of the bot process (from /proc) per answered update.
Without the rate limiter, so that Telegram's limits do not cap both (`--rate-limiter` puts it
on, in every bot).

The echo bot runs twice: with python-telegram-bot's own HTTP client (httpx), as a bare bot
is, and with Partnerbot's (aiohttp, bot/transport.py), so that the ratios show what the
transport gives and what the rest of Partnerbot costs.

    python -m benchmarks.roundtrip [--scenario help contacts] [--rounds 8] [--seconds 3]
    python -m benchmarks.roundtrip --quick     # a smoke run of a few seconds
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from benchmarks.common import (
    FIRST_MEMBER,
    BotProcess,
    echo_command,
    machine,
    partnerbot_command,
    percentile,
    rss_mib,
    seed_partnership,
    spread,
    table,
)
from benchmarks.contacts_search import QUERIES, seed_contacts
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.users import TestChat, TestUser

#: Longest wait for one answer before the run is declared broken.
ANSWER_TIMEOUT = 20.0
PARTNERBOT = "Partnerbot"
ECHO_HTTPX = "echo bot (httpx)"
ECHO_AIOHTTP = "echo bot (aiohttp)"
BOTS = (ECHO_HTTPX, ECHO_AIOHTTP, PARTNERBOT)


@dataclass(frozen=True, slots=True)
class Plan:
    """What to run."""

    scenarios: tuple[str, ...]
    rounds: int
    seconds: float  # per bot, load and round
    users: tuple[int, ...]  # the loads: members sending at once
    contacts: int
    members: int  # of the help scenario's partnership
    rate_limiter: bool = False


@dataclass(slots=True)
class Tally:
    """One bot under one load, summed over one round."""

    updates: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu * 1000 / self.updates


@dataclass(slots=True)
class Bot:
    """A running bot under test, its server and its people."""

    name: str
    server: BotApiServer
    process: BotProcess
    users: list[TestUser]
    rounds: dict[int, list[Tally]] = field(default_factory=dict)  # by load
    idle_mib: float = 0.0
    loaded_mib: float = 0.0
    peak_mib: float = 0.0

    @property
    def pid(self) -> int:
        """The bot's process id."""
        assert self.process.process is not None
        return self.process.process.pid


def texts(scenario: str, number: int) -> Iterator[str]:
    """What the `number`-th member sends, message after message."""
    if scenario == "help":
        return itertools.repeat("/help")
    start = number % len(QUERIES)
    return itertools.cycle(f"/contacts {q}" for q in QUERIES[start:] + QUERIES[:start])


def _more_than(chat: TestChat, count: int) -> Callable[[], bool]:
    return lambda: len(chat.bot_messages) > count


async def converse(
    bot: Bot, user: TestUser, said: Iterator[str], into: list[float], until: float
) -> None:
    """Send the next text as soon as the previous one was answered, until `until`."""
    chat = user.chat
    while time.perf_counter() < until:
        answered = len(chat.bot_messages)
        sent = time.perf_counter()
        await user.send(next(said))
        if not await bot.server.wait_until(_more_than(chat, answered), ANSWER_TIMEOUT):
            raise RuntimeError(f"{bot.name}: no answer to user {user.id}\n{bot.process.errors()}")
        into.append(time.perf_counter() - sent)


async def load(bot: Bot, scenario: str, users: int, seconds: float) -> Tally:
    """`users` members of `bot` sending back to back for `seconds`."""
    latencies: list[float] = []
    cpu = bot.process.cpu_seconds()
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(
        *(
            converse(bot, user, texts(scenario, n), latencies, until)
            for n, user in enumerate(bot.users[:users])
        )
    )
    return Tally(
        len(latencies), time.perf_counter() - started, bot.process.cpu_seconds() - cpu, latencies
    )


async def seed(scenario: str, database: Path, plan: Plan) -> None:
    """The partnership (and, for contacts, its directory) the Partnerbot process starts on."""
    members = plan.members if scenario == "help" else max(plan.users)
    await seed_partnership(database, members)
    if scenario == "contacts":
        await seed_contacts(database, plan.contacts, 1)


def check_answers(bot: Bot, scenario: str) -> None:
    """Fail unless every answer is what that bot answers (no error replies)."""
    for user in bot.users:
        for message in user.chat.bot_messages:
            content = message.content
            if bot.name != PARTNERBOT:
                good = content in ("/help",) or content.startswith("/contacts ")
            elif scenario == "help":
                good = "/contacts" in content and "Sorry" not in content
            else:
                good = ("match" in content or "contact" in content) and "Sorry" not in content
            if not good:
                raise RuntimeError(f"{bot.name} answered user {user.id} with {content[:200]!r}")


async def start(name: str, template: Path, work: Path, users: int, rate_limiter: bool) -> Bot:
    """A fresh server and the bot's process, long polling it."""
    server = BotApiServer(keep_calls=False)
    await server.start()
    if name == PARTNERBOT:
        database = work / "partnerbot.sqlite3"
        shutil.copyfile(template, database)
        command, env = partnerbot_command(server, database, rate_limiter=rate_limiter)
    else:
        command, env = echo_command(server, rate_limiter=rate_limiter)
        env["HTTP_CLIENT"] = "aiohttp" if name == ECHO_AIOHTTP else "httpx"
    process = BotProcess(name, command, env, work)
    await process.start(server)
    people = [server.user(id=FIRST_MEMBER + n, started=True) for n in range(users)]
    return Bot(name, server, process, people)


async def run_scenario(scenario: str, plan: Plan, work: Path) -> list[Bot]:
    """Seed, start every bot, warm up, then the rounds."""
    template = work / f"{scenario}.sqlite3"
    await seed(scenario, template, plan)
    bots = [await start(name, template, work, max(plan.users), plan.rate_limiter) for name in BOTS]
    try:
        for bot in bots:  # imports, caches, the members' first-seen writes
            await load(bot, scenario, max(plan.users), 1.0)
            bot.idle_mib = rss_mib(bot.pid)
        for number in range(plan.rounds):
            # A rotation per round: each bot goes first, second and last in turn.
            order = bots[number % len(bots) :] + bots[: number % len(bots)]
            for users in plan.users:
                for bot in order:
                    tally = await load(bot, scenario, users, plan.seconds)
                    bot.rounds.setdefault(users, []).append(tally)
        for bot in bots:
            bot.loaded_mib = rss_mib(bot.pid)
            bot.peak_mib = rss_mib(bot.pid, "VmHWM")
            check_answers(bot, scenario)
            if bot.server.violations or bot.server.internal_errors:
                raise RuntimeError(f"{bot.name}: the server refused requests")
    finally:
        for bot in bots:
            await bot.process.__aexit__()
            await bot.server.stop()
    return bots


def report(scenario: str, bots: Sequence[Bot], plan: Plan) -> str:
    """The tables of one scenario."""
    rows = []
    for users in plan.users:
        for bot in bots:
            tallies = bot.rounds[users]
            latencies = [x for t in tallies for x in t.latencies]
            rows.append(
                (
                    bot.name,
                    f"{users} member{'s' if users > 1 else ''}",
                    sum(t.updates for t in tallies),
                    spread([t.per_second for t in tallies], digits=0),
                    spread([t.cpu_ms for t in tallies]),
                    f"{percentile(latencies, 0.5) * 1000:.1f}",
                    f"{percentile(latencies, 0.95) * 1000:.1f}",
                )
            )
    partnerbot = next(b for b in bots if b.name == PARTNERBOT)
    ratios = []
    for users in plan.users:
        for echo in bots:
            if echo is partnerbot:
                continue
            pairs = list(zip(partnerbot.rounds[users], echo.rounds[users], strict=True))
            ratios.append(
                (
                    f"{users} member{'s' if users > 1 else ''}",
                    echo.name,
                    spread([p.per_second / e.per_second for p, e in pairs]) + "×",
                    spread([p.cpu_ms / e.cpu_ms for p, e in pairs]) + "×",
                )
            )
    memory = [
        (
            bot.name,
            f"{bot.idle_mib:.0f}",
            f"{bot.loaded_mib:.0f}",
            f"{bot.peak_mib:.0f}",
        )
        for bot in bots
    ]
    what = "/help" if scenario == "help" else f"/contacts <query> over {plan.contacts:,} contacts"
    return "\n".join(
        [
            f"### {what}",
            "",
            f"{plan.rounds} rounds of {plan.seconds:g} s per bot and load, the bots in turn;"
            f" rate limiter {'on' if plan.rate_limiter else 'off'}.",
            "",
            table(("bot", "load", "updates", "per s", "bot CPU ms each", "p50 ms", "p95 ms"), rows),
            "",
            "Partnerbot against each echo bot, round by round, median (range):",
            "",
            table(("load", "against", "updates per second", "CPU per update"), ratios),
            "",
            table(("bot", "RSS after warm-up MiB", "RSS after the rounds MiB", "peak MiB"), memory),
        ]
    )


async def run(plan: Plan) -> None:
    """Every scenario in turn, printing its tables as it ends."""
    with tempfile.TemporaryDirectory(prefix="partnerbot-roundtrip-") as folder:
        for scenario in plan.scenarios:
            bots = await run_scenario(scenario, plan, Path(folder))
            print(report(scenario, bots, plan) + "\n", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.roundtrip", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--scenario", nargs="+", choices=("help", "contacts"), default=["help", "contacts"]
    )
    parser.add_argument("--rounds", type=int, default=8, help="rounds (default 8)")
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="seconds per bot, load and round (3)"
    )
    parser.add_argument(
        "--contacts", type=int, default=50_000, help="directory size (default 50,000)"
    )
    parser.add_argument(
        "--rate-limiter", action="store_true", help="every bot paced by bot/ratelimit.py"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    arguments = parser.parse_args(argv)
    plan = Plan(
        scenarios=tuple(arguments.scenario),
        rounds=arguments.rounds,
        seconds=arguments.seconds,
        users=(1, 20),
        contacts=arguments.contacts,
        members=200,
        rate_limiter=arguments.rate_limiter,
    )
    if arguments.quick:
        plan = replace(plan, rounds=2, seconds=0.5, users=(1, 4), contacts=2000, members=20)
    print(f"## Partnerbot against the echo bot\n\n{machine().line()}\n", flush=True)
    asyncio.run(run(plan))


if __name__ == "__main__":
    main()
