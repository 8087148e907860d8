"""Cold start and idle memory: Partnerbot (`python -m bot run`) against a bare echo bot.

Each start is a new process against a fresh local Bot API server (tests/e2e/botapi_server) in
this process, Partnerbot on a fresh copy of a seeded SQLite file. A member's `/help` is queued
before the process starts; three moments are measured from the exec:

- first poll: the server serves the bot's first getUpdates (it is ready for updates);
- first answer: the server receives the bot's answer to that `/help`;
- idle memory: the process's resident memory (VmRSS) `--idle` seconds after that answer.

The bots start in turn, round after round: the echo bot on python-telegram-bot's HTTP client
(httpx) and on Partnerbot's (aiohttp), then Partnerbot on each, so that all see the same load
of the machine; the median and the range over the rounds are reported, and Partnerbot's
ratios against either echo bot.
The files each process reads are in the page cache after the first round: these are warm
starts of a new process, as after a restart of the service.

    python -m benchmarks.startup [--rounds 7] [--idle 5]
    python -m benchmarks.startup --quick    # 2 rounds
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import (
    FIRST_MEMBER,
    BotProcess,
    echo_command,
    machine,
    partnerbot_command,
    rss_mib,
    seed_partnership,
    spread,
    table,
)
from tests.e2e.botapi_server import BotApiServer

ECHO = "echo bot"
ECHO_AIOHTTP = "echo bot (aiohttp)"
PARTNERBOT_HTTPX = "Partnerbot (httpx)"
BOTS = (ECHO, ECHO_AIOHTTP, "Partnerbot", PARTNERBOT_HTTPX)
#: Members of the seeded partnership.
MEMBERS = 50
#: Longest wait for the first answer before the run is declared broken.
ANSWER_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Start:
    """One start of one bot: seconds from the exec, and the idle memory after."""

    bot: str
    first_poll: float
    first_answer: float
    idle_mib: float


async def start_once(bot: str, template: Path, work: Path, idle: float) -> Start:
    """Start the bot with a `/help` waiting, time it, read its memory once idle, stop it."""
    server = BotApiServer(keep_calls=False)
    await server.start()
    try:
        user = server.user(id=FIRST_MEMBER, started=True)
        await user.send("/help")
        if bot.startswith("Partnerbot"):
            database = work / "startup.sqlite3"
            shutil.copyfile(template, database)
            command, env = partnerbot_command(server, database, rate_limiter=True)
            env["HTTP_CLIENT"] = "httpx" if bot == PARTNERBOT_HTTPX else "aiohttp"
        else:
            command, env = echo_command(server, rate_limiter=True)
            env["HTTP_CLIENT"] = "aiohttp" if bot == ECHO_AIOHTTP else "httpx"
        async with BotProcess(bot, command, env, work) as process:
            began = time.perf_counter()
            await process.start(server, within=ANSWER_TIMEOUT)
            first_poll = time.perf_counter() - began
            answered = await server.wait_until(lambda: bool(user.chat.bot_messages), ANSWER_TIMEOUT)
            first_answer = time.perf_counter() - began
            if not answered:
                raise RuntimeError(f"{bot} did not answer /help:\n{process.errors()}")
            await asyncio.sleep(idle)
            assert process.process is not None
            idle_mib = rss_mib(process.process.pid)
        return Start(bot, first_poll, first_answer, idle_mib)
    finally:
        await server.stop()


async def run(rounds: int, idle: float) -> list[Start]:
    """Seed once, then `rounds` rounds of one start of each bot."""
    with tempfile.TemporaryDirectory(prefix="partnerbot-startup-") as folder:
        work = Path(folder)
        template = work / "template.sqlite3"
        await seed_partnership(template, MEMBERS)
        starts = []
        for _round in range(rounds):
            for bot in BOTS:
                starts.append(await start_once(bot, template, work, idle))
        return starts


def report(starts: Sequence[Start], idle: float) -> str:
    """Per bot the median and range of each measure, then the ratios round by round."""
    rows = []
    for bot in BOTS:
        mine = [s for s in starts if s.bot == bot]
        rows.append(
            (
                bot,
                len(mine),
                spread([s.first_poll for s in mine]),
                spread([s.first_answer for s in mine]),
                spread([s.idle_mib for s in mine], digits=0),
            )
        )
    # Each round's Partnerbot against the echo bots started just before it, on either client.
    ratios = {}
    for baseline in (ECHO, ECHO_AIOHTTP):
        echo = [s for s in starts if s.bot == baseline]
        for name in BOTS[2:]:
            partnerbot = [s for s in starts if s.bot == name]
            pairs = list(zip(echo, partnerbot, strict=True))
            against = f"{name} against the {baseline}"
            ratios[f"{against}, first poll"] = [p.first_poll / e.first_poll for e, p in pairs]
            ratios[f"{against}, first answer"] = [p.first_answer / e.first_answer for e, p in pairs]
            ratios[f"{against}, idle memory"] = [p.idle_mib / e.idle_mib for e, p in pairs]
    headers = ("bot", "starts", "first poll s", "first answer s", f"idle MiB (after {idle:g} s)")
    lines = [
        f"{len(starts) // len(BOTS)} rounds of the echo bot's start, on python-telegram-bot's"
        " HTTP client (httpx) and on Partnerbot's (aiohttp), then Partnerbot's"
        f" ({MEMBERS} members) on each; median (range):",
        "",
        table(headers, rows),
        "",
        "Partnerbot against the echo bots, round by round, median (range):",
    ]
    lines += [f"- {name}: {spread(values)}×" for name, values in ratios.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.startup", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=7, help="starts of each bot (default 7)")
    parser.add_argument(
        "--idle", type=float, default=5, help="seconds after the first answer (default 5)"
    )
    parser.add_argument("--quick", action="store_true", help="2 rounds")
    arguments = parser.parse_args(argv)
    rounds = 2 if arguments.quick else arguments.rounds
    print(f"## Cold start and idle memory\n\n{machine().line()}\n", flush=True)
    print(report(asyncio.run(run(rounds, arguments.idle)), arguments.idle))


if __name__ == "__main__":
    main()
