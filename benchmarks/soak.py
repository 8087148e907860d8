"""Memory under a sustained load: Partnerbot and a bare echo bot, 50 members for 10 minutes.

Partnerbot runs as its own process (`python -m bot run`, rate limiter on, as deployed) on a
SQLite file seeded with a partnership of `--members` members, the default action plan and a
directory of `--contacts` fictional contacts (a large database). The echo bot
(`benchmarks/echo_bot.py`) runs at the same time against a server of its own. Both servers
(tests/e2e/botapi_server) enforce Telegram's flood limits and run in this process.

Every member acts every `members / rate` seconds (25 actions a second for 50 members, at
most one message a second per chat, within Telegram's limits): a realistic mix of `/help`,
`/contacts <query>`, `/milestones`, `/meetings` and `/digest`, now and then a `/flag` of a
challenge (submitted with its button), and, after one answer in three, the press of one of
the answer's buttons (a contact's card, a pillar, the progress chart...). The echo bot gets
the very same messages; it has no buttons to press.

The resident memory (VmRSS from /proc) of both bots is read every `--sample` seconds, with
that of Partnerbot's document process when it runs; the table shows the curve, then the
idle and plateau (median of the last third of the load) ratios to the echo bot. Nothing may
be lost: every message and press must be answered, and the 429s are counted.

    python -m benchmarks.soak [--minutes 10] [--members 50] [--rate 25] [--contacts 20000]
    python -m benchmarks.soak --quick    # 1 minute, 2,000 contacts
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from benchmarks.common import (
    COORDINATOR_ID,
    FIRST_MEMBER,
    BotProcess,
    children_rss_mib,
    echo_command,
    machine,
    partnerbot_command,
    rss_mib,
    seed_partnership,
    table,
)
from benchmarks.contacts_search import QUERIES, seed_contacts
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.users import TestUser

BOTS = ("echo bot", "Partnerbot")
#: Longest wait for one answer before it counts as lost.
ANSWER_TIMEOUT = 30.0
#: The mix of commands, by weight (a /flag is followed by the press of its Submit button).
MIX = {
    "/help": 3,
    "/contacts": 4,
    "/milestones": 2,
    "/meetings": 2,
    "/digest": 2,
    "/flag": 0.2,
}
#: The share of answers of which a button is pressed.
PRESS_SHARE = 1 / 3
FLAG_TEXTS = (
    "/flag low route Trucks leaving Agadez at night",
    "/flag medium document Forged visas sold near the bus station",
    "/flag low recruitment Recruiters promising jobs in Europe at the market",
)


@dataclass(frozen=True, slots=True)
class Load:
    """The members, what they do, for how long, and how often memory is read."""

    members: int
    rate: float  # actions a second, all members together
    minutes: float
    contacts: int
    sample: float  # seconds between readings of memory
    idle: float  # seconds between the start and the idle reading
    seed: int


@dataclass(slots=True)
class Tally:
    """What one bot's members sent and got."""

    sent: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)
    lost: Counter[str] = field(default_factory=Counter)
    presses: int = 0
    presses_answered: int = 0
    error_replies: int = 0


@dataclass(slots=True)
class Sample:
    """One reading of memory, in MiB, `at` seconds after the load began."""

    at: float
    rss: dict[str, float]
    worker: float
    actions: int


async def seed(database: Path, load: Load) -> None:
    """The partnership (with the default action plan) and its members, then the contacts."""
    await seed_partnership(database, load.members)
    await seed_contacts(database, load.contacts, load.seed)


def next_text(rng: random.Random) -> str:
    """The next command of a member, drawn from the mix."""
    command = rng.choices(list(MIX), weights=list(MIX.values()))[0]
    if command == "/contacts":
        return f"/contacts {rng.choice(QUERIES)}"
    if command == "/flag":
        return rng.choice(FLAG_TEXTS)
    return command


def _kind(text: str) -> str:
    return text.split()[0]


async def _answered(server: BotApiServer, user: TestUser, before: int) -> bool:
    """Whether the bot posts a new message in the member's chat within the timeout."""
    chat = user.chat
    return await server.wait_until(lambda: len(chat.bot_messages) > before, ANSWER_TIMEOUT)


async def _press(user: TestUser, rng: random.Random, before: int, tally: Tally) -> None:
    """Press one button of the answers that arrived after message number `before`."""
    buttons = [
        (message, str(raw["callback_data"]))
        for message in user.chat.bot_messages[before:]
        for row in message.json.get("reply_markup", {}).get("inline_keyboard", [])
        for raw in row
        if "callback_data" in raw
    ]
    if not buttons:
        return
    message, data = rng.choice(buttons)
    tally.presses += 1
    try:
        await user.press(data, message, timeout=ANSWER_TIMEOUT)
    except AssertionError:
        tally.lost["press"] += 1
        return
    tally.presses_answered += 1


async def _submit_flag(user: TestUser, before: int, tally: Tally) -> None:
    """Press ✓ Submit under the preview of a flagged challenge."""
    for message in user.chat.bot_messages[before:]:
        for row in message.json.get("reply_markup", {}).get("inline_keyboard", []):
            for raw in row:
                if "Submit" in raw["text"] and "callback_data" in raw:
                    tally.presses += 1
                    try:
                        await user.press(str(raw["callback_data"]), message, timeout=ANSWER_TIMEOUT)
                    except AssertionError:
                        tally.lost["press"] += 1
                        return
                    tally.presses_answered += 1
                    return


async def member(
    bot: str,
    server: BotApiServer,
    user: TestUser,
    number: int,
    load: Load,
    began: float,
    until: float,
    tally: Tally,
) -> None:
    """One member acting every `members / rate` seconds until `until` (perf_counter)."""
    rng = random.Random(load.seed * 1000 + number)  # the same actions for both bots
    period = load.members / load.rate
    moment = began + period * number / load.members
    while moment < until:
        await asyncio.sleep(max(0.0, moment - time.perf_counter()))
        moment += period
        text = next_text(rng)
        press = rng.random() < PRESS_SHARE
        kind = _kind(text)
        before = len(user.chat.bot_messages)
        tally.sent[kind] += 1
        await user.send(text)
        if not await _answered(server, user, before):
            tally.lost[kind] += 1
            continue
        tally.answered[kind] += 1
        if any("Sorry, something went wrong" in m.content for m in user.chat.bot_messages[before:]):
            tally.error_replies += 1
        if bot != "Partnerbot":
            continue
        if kind == "/flag":
            await _submit_flag(user, before, tally)
        elif press:
            await _press(user, rng, before, tally)


async def _sampler(
    processes: dict[str, BotProcess],
    tallies: dict[str, Tally],
    began: float,
    until: float,
    every: float,
    into: list[Sample],
) -> None:
    """Read both bots' memory every `every` seconds from `began` until `until`."""
    moment = began
    while moment <= until + 0.01:
        await asyncio.sleep(max(0.0, moment - time.perf_counter()))
        into.append(_reading(processes, tallies, moment - began))
        moment += every


def _reading(processes: dict[str, BotProcess], tallies: dict[str, Tally], at: float) -> Sample:
    pids = {name: p.process.pid for name, p in processes.items() if p.process is not None}
    return Sample(
        at=at,
        rss={name: rss_mib(pid) for name, pid in pids.items()},
        worker=children_rss_mib(pids["Partnerbot"]),
        actions=sum(tallies["Partnerbot"].sent.values()) + tallies["Partnerbot"].presses,
    )


@dataclass(frozen=True, slots=True)
class Soak:
    """What the run measured."""

    idle: Sample
    samples: list[Sample]
    after: Sample
    tallies: dict[str, Tally]
    rate_limited: dict[str, int]
    seconds: float


async def run(load: Load) -> Soak:
    """Seed, start both bots, read their idle memory, then the load and the curve."""
    with tempfile.TemporaryDirectory(prefix="partnerbot-soak-") as folder:
        work = Path(folder)
        template = work / "template.sqlite3"
        await seed(template, load)
        servers = {bot: BotApiServer(keep_calls=False) for bot in BOTS}
        for server in servers.values():
            await server.start()
            server.enforce_rate_limits()
        try:
            database = work / "soak.sqlite3"
            shutil.copyfile(template, database)
            echo_server, partnerbot_server = servers["echo bot"], servers["Partnerbot"]
            commands = {
                "echo bot": echo_command(echo_server, rate_limiter=True),
                "Partnerbot": partnerbot_command(partnerbot_server, database, rate_limiter=True),
            }
            users = {
                bot: [
                    server.user(id=FIRST_MEMBER + n, first_name=f"Member{n}", started=True)
                    for n in range(load.members)
                ]
                for bot, server in servers.items()
            }
            # The coordinator receives the alerts of flagged challenges.
            servers["Partnerbot"].user(id=COORDINATOR_ID, first_name="Coordinator", started=True)
            tallies = {bot: Tally() for bot in BOTS}
            async with (
                BotProcess("echo bot", *commands["echo bot"], work) as echo,
                BotProcess("Partnerbot", *commands["Partnerbot"], work) as partnerbot,
            ):
                processes = {"echo bot": echo, "Partnerbot": partnerbot}
                for bot, process in processes.items():
                    await process.start(servers[bot])
                await asyncio.sleep(load.idle)
                idle = _reading(processes, tallies, 0.0)
                began = time.perf_counter()
                until = began + load.minutes * 60
                samples: list[Sample] = []
                try:
                    await asyncio.gather(
                        _sampler(processes, tallies, began, until, load.sample, samples),
                        *(
                            member(bot, servers[bot], user, n, load, began, until, tallies[bot])
                            for bot in BOTS
                            for n, user in enumerate(users[bot])
                        ),
                    )
                except RuntimeError as error:
                    raise RuntimeError(f"{error}\n{partnerbot.errors()}") from error
                seconds = time.perf_counter() - began
                await asyncio.sleep(load.sample)
                after = _reading(processes, tallies, time.perf_counter() - began)
            problems = [f"{bot}: {v}" for bot, s in servers.items() for v in s.violations[:3]] + [
                f"{bot}: {e}" for bot, s in servers.items() for e in s.internal_errors[:3]
            ]
            if problems:
                raise RuntimeError(f"the servers refused requests: {problems}")
            return Soak(
                idle,
                samples,
                after,
                tallies,
                {bot: s.stats.rate_limited for bot, s in servers.items()},
                seconds,
            )
        finally:
            for server in servers.values():
                await server.stop()


def _plateau(samples: Sequence[Sample], bot: str) -> float:
    """The median of the last third of the readings under load."""
    last = samples[len(samples) - max(len(samples) // 3, 1) :]
    return statistics.median(s.rss[bot] for s in last)


def report(soak: Soak, load: Load) -> str:
    """The curve, what was sent and answered, and the ratios to the echo bot."""
    rows = [
        (
            f"{sample.at:.0f}",
            sample.actions,
            f"{sample.rss['echo bot']:.0f}",
            f"{sample.rss['Partnerbot']:.0f}",
            f"{sample.worker:.0f}",
            f"{sample.rss['Partnerbot'] / sample.rss['echo bot']:.2f}",
        )
        for sample in [soak.idle, *soak.samples, soak.after]
    ]
    rows[0] = ("idle", *rows[0][1:])
    rows[-1] = (f"{soak.after.at:.0f} (after)", *rows[-1][1:])
    headers = (
        "s", "Partnerbot actions", "echo MiB", "Partnerbot MiB", "document process MiB", "ratio",
    )  # fmt: skip
    lines = [
        f"{load.members} members, {load.rate:g} actions a second together for"
        f" {soak.seconds / 60:.1f} min; {load.contacts:,} contacts; resident memory (VmRSS)"
        f" every {load.sample:g} s, the first {load.idle:g} s after start (idle):",
        "",
        table(headers, rows),
        "",
    ]
    tally_rows = []
    for bot in BOTS:
        tally = soak.tallies[bot]
        sent, answered = sum(tally.sent.values()), sum(tally.answered.values())
        tally_rows.append(
            (
                bot,
                sent,
                answered,
                f"{sent / soak.seconds:.1f}",
                f"{tally.presses_answered}/{tally.presses}",
                sum(tally.lost.values()),
                tally.error_replies,
                soak.rate_limited[bot],
            )
        )
    lines += [
        table(
            ("bot", "messages", "answered", "per s", "presses answered", "lost", "errors", "429s"),
            tally_rows,
        ),
        "",
        "Partnerbot's messages by command: "
        + ", ".join(
            f"{kind} {count}" for kind, count in soak.tallies["Partnerbot"].sent.most_common()
        ),
        "",
    ]
    echo_idle, partnerbot_idle = soak.idle.rss["echo bot"], soak.idle.rss["Partnerbot"]
    echo_plateau = _plateau(soak.samples, "echo bot")
    partnerbot_plateau = _plateau(soak.samples, "Partnerbot")
    peak = max(s.rss["Partnerbot"] for s in soak.samples)
    lines += [
        f"- idle: Partnerbot {partnerbot_idle:.0f} MiB, echo bot {echo_idle:.0f} MiB:"
        f" {partnerbot_idle / echo_idle:.2f}×",
        f"- plateau under load: Partnerbot {partnerbot_plateau:.0f} MiB (peak {peak:.0f}),"
        f" echo bot {echo_plateau:.0f} MiB: {partnerbot_plateau / echo_plateau:.2f}×",
        f"- Partnerbot's document process at the end: {soak.after.worker:.0f} MiB",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.soak", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--minutes", type=float, default=10, help="length of the load (10)")
    parser.add_argument("--members", type=int, default=50, help="simulated members (50)")
    parser.add_argument("--rate", type=float, default=25, help="actions a second, all (25)")
    parser.add_argument("--contacts", type=int, default=20_000, help="directory size (20000)")
    parser.add_argument("--sample", type=float, default=10, help="seconds between readings")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--quick", action="store_true", help="1 minute, 2,000 contacts")
    arguments = parser.parse_args(argv)
    load = Load(
        members=arguments.members,
        rate=arguments.rate,
        minutes=arguments.minutes,
        contacts=arguments.contacts,
        sample=arguments.sample,
        idle=10,
        seed=arguments.seed,
    )
    if arguments.quick:
        load = replace(load, minutes=min(load.minutes, 1), contacts=2_000, idle=5)
    print(f"## Memory under a sustained load\n\n{machine().line()}\n", flush=True)
    print(report(asyncio.run(run(load)), load))


if __name__ == "__main__":
    main()
