"""`/contacts <query>` end to end over a directory of 50,000 contacts, against a bare echo bot.

Partnerbot runs as its own process (`python -m bot run`) on a SQLite file seeded with a
partnership of `--users` members and `--contacts` fictional contacts (the directory of
`benchmarks/contacts_search.py`); the local Bot API server runs in this process. Simulated
members send `/contacts <query>` again as soon as the answer (the first page of results) has
arrived, cycling through the queries of the search benchmark: a closed loop. After a warm-up,
two loads of `--seconds` seconds each on the same bot process:

- one member alone: the latency of an idle bot, query by query;
- every member at once: the updates per second the bot sustains (updates are handled one
  after the other, so the latency then is mostly the wait behind the others' searches).

Latency is measured at the server, from the moment the message is queued for the bot to the
moment the bot's answer is posted.

The bare python-telegram-bot echo bot (`benchmarks/echo_bot.py`) then gets the very same
messages under the same loads, and answers each with its own text. Both bots run without
python-telegram-bot's rate limiter by default: with it, both would be held to Telegram's
30 messages a second and the comparison would measure the limiter (`--rate-limiter` to see).

    python -m benchmarks.contacts_e2e [--contacts 50000] [--users 20] [--seconds 15]
    python -m benchmarks.contacts_e2e --quick     # a smoke run of a few seconds
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

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
from benchmarks.contacts_search import QUERIES, fictional_contacts
from benchmarks.roundtrip import ANSWER_TIMEOUT, Result, _more_than, _timed
from storage import contacts as store
from storage import partnerships as partnership_store
from storage.db import Database
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.users import TestUser

BOTS = ("echo bot", "Partnerbot")
#: A simulated member and the messages they send, in order.
Person = tuple[TestUser, Iterator[str]]
HEADERS = (
    "bot", "load", "updates", "per s", "p50 ms", "p95 ms", "max ms", "bot CPU ms each",
    "server busy",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Load:
    """The directory, the simulated members and how long they send."""

    contacts: int
    users: int
    seconds: float  # measured, per bot and load
    warmup: int  # unmeasured messages per member, before the measure
    rate_limiter: bool
    seed: int


@dataclass(frozen=True, slots=True)
class Measured:
    """One bot under one load: the overall result and the latencies of each query."""

    result: Result
    by_query: dict[str, list[float]]


async def seed(database: Path, load: Load) -> float:
    """The partnership and its members (through the services), then the contacts (in one
    transaction, as the search benchmark does); returns the seconds it took."""
    started = time.perf_counter()
    await seed_partnership(database, load.users)
    db = Database(database)
    await db.open()
    try:
        (partnership,) = await partnership_store.list_all(db)
        async with db.transaction() as tx:
            await store.insert_many(
                tx,
                partnership_id=partnership.id,
                rows=fictional_contacts(load.contacts, load.seed),
                now=datetime.now(UTC),
                by=None,
            )
    finally:
        await db.close()
    return time.perf_counter() - started


def texts_for(number: int) -> Iterator[str]:
    """The messages of the `number`-th member: every query in turn, each member starting at
    another one so that all queries run at any moment."""
    start = number % len(QUERIES)
    ordered = QUERIES[start:] + QUERIES[:start]
    return itertools.cycle(f"/contacts {query}" for query in ordered)


async def _converse(
    server: BotApiServer,
    user: TestUser,
    texts: Iterator[str],
    into: list[float],
    by_query: dict[str, list[float]],
    *,
    count: int | None = None,
    until: float | None = None,
) -> None:
    """Send the next text as soon as the previous one was answered: `count` times, or until
    the `until` moment (perf_counter) has passed."""
    chat = user.chat
    for number in itertools.count():
        if (count is not None and number >= count) or (
            until is not None and time.perf_counter() >= until
        ):
            return
        text = next(texts)
        answered = len(chat.bot_messages)
        sent = time.perf_counter()
        await user.send(text)
        if not await server.wait_until(_more_than(chat, answered), ANSWER_TIMEOUT):
            raise RuntimeError(f"no answer to {text!r} of user {user.id} in {ANSWER_TIMEOUT:g} s")
        elapsed = time.perf_counter() - sent
        into.append(elapsed)
        by_query.setdefault(text.removeprefix("/contacts "), []).append(elapsed)


def check_answers(bot: str, users: Sequence[TestUser]) -> None:
    """Fail unless every answer is what that bot answers to a search (no error replies)."""
    for user in users:
        for message in user.chat.bot_messages:
            content = message.content
            if bot == "Partnerbot":
                good = "match" in content and "Sorry" not in content
            else:
                good = content.startswith("/contacts ")
            if not good:
                raise RuntimeError(f"{bot} answered user {user.id} with {content[:200]!r}")


async def _load(
    name: str, server: BotApiServer, process: BotProcess, people: Sequence[Person], seconds: float
) -> Measured:
    """`people` searching back to back for `seconds`."""
    latencies: list[float] = []
    by_query: dict[str, list[float]] = {}
    until = time.perf_counter() + seconds
    loops = [_converse(server, u, s, latencies, by_query, until=until) for u, s in people]
    return Measured(await _timed(name, process, loops, latencies), by_query)


async def measure(bot: str, template: Path, work: Path, load: Load) -> list[Measured]:
    """One bot process against a fresh server: warm-up, then one member alone, then all."""
    server = BotApiServer(keep_calls=False)
    await server.start()
    try:
        if bot == "Partnerbot":
            database = work / "contacts-e2e.sqlite3"
            shutil.copyfile(template, database)
            command, env = partnerbot_command(server, database, rate_limiter=load.rate_limiter)
        else:
            command, env = echo_command(server, rate_limiter=load.rate_limiter)
        users = [server.user(id=FIRST_MEMBER + n, started=True) for n in range(load.users)]
        people = [(user, texts_for(n)) for n, user in enumerate(users)]
        async with BotProcess(bot, command, env, work) as process:
            await process.start(server)
            try:
                await asyncio.gather(
                    *(_converse(server, u, s, [], {}, count=load.warmup) for u, s in people)
                )
                measured = [
                    await _load("1 member", server, process, people[:1], load.seconds),
                    await _load(f"{load.users} members", server, process, people, load.seconds),
                ]
            except RuntimeError as error:
                raise RuntimeError(f"{bot}: {error}\n{process.errors()}") from error
        check_answers(bot, users)
        if server.violations or server.internal_errors:
            problems = [str(v) for v in server.violations[:3]] + server.internal_errors[:3]
            raise RuntimeError(f"{bot}: the server refused requests: {problems}")
        return [
            replace(m, result=replace(m.result, bot=bot, rate_limiter=load.rate_limiter))
            for m in measured
        ]
    finally:
        await server.stop()


async def run(load: Load) -> tuple[list[Measured], float]:
    """Seed once, then the echo bot and Partnerbot one after the other."""
    with tempfile.TemporaryDirectory(prefix="partnerbot-contacts-e2e-") as folder:
        work = Path(folder)
        template = work / "template.sqlite3"
        seeded = await seed(template, load)
        measured = []
        for bot in BOTS:
            measured += await measure(bot, template, work, load)
        return measured, seeded


def report(measured: Sequence[Measured], load: Load, seeded: float) -> str:
    """The table, Partnerbot against the echo bot as ratios, and Partnerbot per query."""
    ordered = sorted(measured, key=lambda m: m.result.load != "1 member")
    rows = [
        (
            m.result.bot,
            m.result.load,
            m.result.round_trips,
            f"{m.result.per_second:.1f}",
            f"{m.result.ms(0.50):.1f}",
            f"{m.result.ms(0.95):.1f}",
            f"{max(m.result.latencies) * 1000:.1f}",
            f"{m.result.cpu_ms:.2f}",
            f"{m.result.server_cpu * 100 / m.result.seconds:.0f}%",
        )
        for m in ordered
    ]
    limiter = "on" if load.rate_limiter else "off"
    lines = [
        f"{load.contacts:,} contacts (seeded in {seeded:.1f} s); {load.users} members; after a"
        f" warm-up of {load.warmup} searches per member, one member alone then all of them send"
        f" /contacts <query> back to back for {load.seconds:g} s; {len(QUERIES)} queries in"
        f" turn; rate limiter {limiter}.",
        "",
        table(HEADERS, rows),
        "",
        "Partnerbot against the echo bot:",
    ]
    for partnerbot in (m.result for m in ordered if m.result.bot == "Partnerbot"):
        echo = next(
            m.result
            for m in measured
            if (m.result.bot, m.result.load) == ("echo bot", partnerbot.load)
        )
        lines.append(
            f"- {partnerbot.load}: {partnerbot.per_second / echo.per_second:.2f}× the updates"
            f" per second, {partnerbot.ms(0.5) / echo.ms(0.5):.2f}× the p50 and"
            f" {partnerbot.ms(0.95) / echo.ms(0.95):.2f}× the p95 latency,"
            f" {partnerbot.cpu_ms / echo.cpu_ms:.1f}× the CPU per update"
        )
    alone = next(
        m.by_query for m in measured if (m.result.bot, m.result.load) == ("Partnerbot", "1 member")
    )
    query_rows = [
        (
            query,
            len(alone.get(query, [])),
            f"{statistics.median(alone[query]) * 1000:.1f}" if alone.get(query) else "-",
            f"{percentile(alone[query], 0.95) * 1000:.1f}" if alone.get(query) else "-",
        )
        for query in QUERIES
    ]
    lines += ["", "Partnerbot, one member alone, by query:", ""]
    lines.append(table(("query", "updates", "p50 ms", "p95 ms"), query_rows))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.contacts_e2e", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--contacts", type=int, default=50_000, help="directory size")
    parser.add_argument("--users", type=int, default=20, help="simulated members (default 20)")
    parser.add_argument(
        "--seconds", type=float, default=15, help="seconds of each load, per bot (default 15)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured messages per member")
    parser.add_argument(
        "--rate-limiter", action="store_true", help="both bots with the rate limiter on"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the directory")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    arguments = parser.parse_args(argv)
    load = Load(
        contacts=arguments.contacts,
        users=arguments.users,
        seconds=arguments.seconds,
        warmup=arguments.warmup,
        rate_limiter=arguments.rate_limiter,
        seed=arguments.seed,
    )
    if arguments.quick:
        load = replace(load, contacts=2_000, users=4, seconds=2, warmup=1)
    print(f"## /contacts end to end\n\n{machine().line()}\n", flush=True)
    measured, seeded = asyncio.run(run(load))
    print(report(measured, load, seeded))


if __name__ == "__main__":
    main()
