"""A broadcast to 1,000 members through the outbox, within Telegram's limits and without them.

Partnerbot runs as its own process (`python -m bot run`) on a SQLite file seeded with a
partnership of a coordinator and `--recipients` members; the local Bot API server runs in this
process and knows every member as a person who started the bot. The coordinator sends the
broadcast through the real /broadcast flow (text → everyone → normal → Send); the clock runs
from the press of Send until every recipient has the message. Three runs:

1. limits: the server enforces Telegram's flood limits (30 messages a second overall, one a
   second per chat, answering 429 with retry_after beyond them) and the bot runs as deployed
   (rate limiter on). Reported against the floor of recipients / 30 seconds, with the 429s
   the server sent, recipients who never got the message, and messages that arrived twice.
2. outbox, no limits: neither the server nor the bot limits anything (RATE_LIMITER=false):
   how fast the outbox worker itself goes.
3. bare loop, no limits: `benchmarks/bare_sender.py`, python-telegram-bot's `send_message` to
   the same chats, 16 at a time (OUTBOX_CONCURRENCY's default), through the same kind of server.

    python -m benchmarks.broadcast [--recipients 1000] [--only limits outbox bare]
    python -m benchmarks.broadcast --quick      # 100 recipients, a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import (
    COORDINATOR_ID,
    FIRST_MEMBER,
    BotProcess,
    base_environment,
    cpu_seconds,
    importable,
    machine,
    partnerbot_command,
    seed_partnership,
    table,
)
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.users import TestChat, TestUser

#: Telegram's overall limit, messages a second; the floor of a broadcast is recipients / this.
TELEGRAM_RATE = 30
BODY = "Benchmark broadcast: the northern route is closed from 06:00"
#: Longest wait for one step of the coordinator's flow (429 retries included).
STEP_TIMEOUT = 15.0
#: After the last recipient has the message, how long to watch for late duplicates.
GRACE = 1.0


@dataclass
class Run:
    """One broadcast: how long it took, what it cost and what arrived."""

    label: str
    sender: str
    recipients: int
    seconds: float
    rate_limited: int  # 429s the server sent while the broadcast went out
    lost: int  # recipients without the message at the end
    duplicated: int  # messages beyond the first per recipient
    sender_cpu: float  # seconds of CPU the sending process used
    server_cpu: float  # seconds of CPU this process (the server) used
    timeline: list[tuple[int, int]]  # messages accepted and 429s answered, second by second
    statuses: dict[str, int] = field(default_factory=dict)  # outbox rows by status at the end

    @property
    def per_second(self) -> float:
        return (self.recipients - self.lost) / self.seconds

    @property
    def floor(self) -> float:
        return self.recipients / TELEGRAM_RATE


class Watch:
    """Times a broadcast at the server: wall clock, the CPU of both sides, and what the server
    accepted and refused in each second."""

    def __init__(self, server: BotApiServer, sender_pid: int) -> None:
        self.server = server
        self.pid = sender_pid
        self.timeline: list[tuple[int, int]] = []
        self.posted = self.limited = 0
        self.started = self.seconds = self.sender_cpu = self.server_cpu = 0.0
        self._sampler: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Note the counters and clocks now, and start sampling every second."""
        stats = self.server.stats
        self.posted, self.limited = stats.messages_sent, stats.rate_limited
        self.sender_cpu, self.server_cpu = cpu_seconds(self.pid), time.process_time()
        self.started = time.perf_counter()
        self._sampler = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        stats = self.server.stats
        before = (stats.messages_sent, stats.rate_limited)
        while True:
            await asyncio.sleep(1)
            now = (stats.messages_sent, stats.rate_limited)
            self.timeline.append((now[0] - before[0], now[1] - before[1]))
            before = now

    async def stop(self) -> None:
        """The figures since `start`."""
        self.seconds = time.perf_counter() - self.started
        self.sender_cpu = cpu_seconds(self.pid) - self.sender_cpu
        self.server_cpu = time.process_time() - self.server_cpu
        self.limited = self.server.stats.rate_limited - self.limited
        if self._sampler is not None:
            self._sampler.cancel()
            await asyncio.gather(self._sampler, return_exceptions=True)

    def run(self, label: str, sender: str, chats: list[TestChat], **extra: Any) -> Run:
        """The figures, with what each chat received counted now."""
        counts = [copies(chat) for chat in chats]
        return Run(
            label=label,
            sender=sender,
            recipients=len(chats),
            seconds=self.seconds,
            rate_limited=self.limited,
            lost=sum(1 for c in counts if c == 0),
            duplicated=sum(max(c - 1, 0) for c in counts),
            sender_cpu=self.sender_cpu,
            server_cpu=self.server_cpu,
            timeline=self.timeline,
            **extra,
        )


def people(server: BotApiServer, recipients: int) -> tuple[TestUser, list[TestChat]]:
    """The coordinator, and the private chats of the members, who all started the bot."""
    coordinator = server.user(id=COORDINATOR_ID, first_name="Coordinator")
    chats = [
        server.user(id=FIRST_MEMBER + n, first_name=f"Member {n:04}", started=True).chat
        for n in range(recipients)
    ]
    return coordinator, chats


def copies(chat: TestChat) -> int:
    """How many times the broadcast reached this chat."""
    return sum(1 for message in chat.bot_messages if BODY in (message.text or ""))


async def wait_for_everyone(
    server: BotApiServer, chats: list[TestChat], posted_before: int, within: float
) -> None:
    """Return once every chat got a message, or after `within` seconds (those without one
    are then counted as lost)."""

    def everyone() -> bool:
        # The server's message counter first: walking 1,000 chats on every request would
        # cost this process (and so the server) CPU that the bot under test then lacks.
        if server.stats.messages_sent - posted_before < len(chats):
            return False
        return all(chat.bot_messages for chat in chats)

    await server.wait_until(everyone, within)


async def compose(coordinator: TestUser) -> None:
    """The /broadcast flow up to the confirmation with its Send button."""
    await coordinator.send("/broadcast")
    await coordinator.next_message(STEP_TIMEOUT)
    await coordinator.send(BODY)
    await coordinator.next_message(STEP_TIMEOUT)
    await coordinator.press("Everyone in the partnership", timeout=STEP_TIMEOUT)
    await coordinator.next_message(STEP_TIMEOUT)  # each step is a message of its own
    await coordinator.press("Normal", timeout=STEP_TIMEOUT)
    await coordinator.next_message(STEP_TIMEOUT)  # the preview
    await coordinator.next_message(STEP_TIMEOUT)  # "This goes to N recipients" with Send


def delivery_statuses(database: Path) -> dict[str, int]:
    """The outbox rows by status, read as another process would."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        rows = connection.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
        return {status: count for status, count in rows}


async def settled(database: Path, within: float = 15.0) -> dict[str, int]:
    """The outbox rows by status once nothing is waiting or in flight (or after `within`)."""
    deadline = time.monotonic() + within
    while True:
        statuses = await asyncio.to_thread(delivery_statuses, database)
        busy = sum(statuses.get(s, 0) for s in ("pending", "sending", "failed"))
        if not busy or time.monotonic() > deadline:
            return statuses
        await asyncio.sleep(0.2)


async def partnerbot_run(
    label: str,
    template: Path,
    work: Path,
    recipients: int,
    *,
    limits: bool,
) -> Run:
    """Partnerbot broadcasting to every member; with `limits`, as deployed against Telegram's."""
    server = BotApiServer(keep_calls=False)
    if limits:
        server.enforce_rate_limits(overall_per_second=TELEGRAM_RATE, per_chat_per_second=1)
    await server.start()
    database = work / f"broadcast-{label.replace(' ', '-').replace(',', '')}.sqlite3"
    shutil.copyfile(template, database)
    try:
        coordinator, chats = people(server, recipients)
        command, env = partnerbot_command(server, database, rate_limiter=limits)
        async with BotProcess("Partnerbot", command, env, work) as bot:
            await bot.start(server)
            try:
                await compose(coordinator)
            except AssertionError as error:
                raise RuntimeError(
                    f"the /broadcast flow failed: {error}\n{bot.errors()}"
                ) from error
            assert bot.process is not None
            watch = Watch(server, bot.process.pid)
            watch.start()
            await coordinator.press("✓ Send", timeout=STEP_TIMEOUT)
            await wait_for_everyone(
                server, chats, watch.posted, max(60.0, 3 * recipients / TELEGRAM_RATE)
            )
            await watch.stop()
            await settled(database)
            await asyncio.sleep(GRACE)
        statuses = await asyncio.to_thread(delivery_statuses, database)
        return watch.run(label, "Partnerbot outbox", chats, statuses=statuses)
    finally:
        await server.stop()


async def bare_run(label: str, work: Path, recipients: int) -> Run:
    """The bare python-telegram-bot loop to the same chats, no limits anywhere."""
    server = BotApiServer(keep_calls=False)
    await server.start()
    try:
        _, chats = people(server, recipients)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.bare_sender",
            "--token", server.token, "--base-url", server.base_url,
            "--first-chat", str(FIRST_MEMBER), "--count", str(recipients),
            "--concurrency", "16", "--body", BODY,
            cwd=work, env=importable(base_environment()),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        assert process.stdin is not None and process.stdout is not None
        try:
            ready = await asyncio.wait_for(process.stdout.readline(), 30)
            if ready.strip() != b"ready":
                raise RuntimeError(f"the bare sender did not start: {ready!r}")
            watch = Watch(server, process.pid)
            watch.start()
            process.stdin.write(b"go\n")
            await process.stdin.drain()
            await wait_for_everyone(server, chats, watch.posted, 60)
            await watch.stop()
            said = json.loads(await asyncio.wait_for(process.stdout.readline(), 30))
            if said["failed"]:
                raise RuntimeError(f"the bare sender had failures: {said}")
        finally:
            if process.returncode is None:
                process.terminate()
            await process.wait()
        await asyncio.sleep(GRACE)
        return watch.run(label, "bare send_message loop", chats)
    finally:
        await server.stop()


RUNS = ("limits", "outbox", "bare")


async def run(recipients: int, only: Sequence[str] = RUNS) -> list[Run]:
    """The runs asked for, in order, each on a fresh server and a copy of one seeded database."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="partnerbot-broadcast-") as folder:
        work = Path(folder)
        template = work / "template.sqlite3"
        await seed_partnership(template, recipients)
        if "limits" in only:
            runs.append(await partnerbot_run("limits", template, work, recipients, limits=True))
        if "outbox" in only:
            runs.append(
                await partnerbot_run("outbox, no limits", template, work, recipients, limits=False)
            )
        if "bare" in only:
            runs.append(await bare_run("bare loop, no limits", work, recipients))
    return runs


def report(runs: Sequence[Run]) -> str:
    """The table, then the comparisons the benchmark is for."""
    rows = [
        (
            r.label,
            r.sender,
            r.recipients,
            f"{r.seconds:.2f}",
            f"{r.per_second:.1f}",
            r.rate_limited,
            r.lost,
            r.duplicated,
            f"{r.sender_cpu * 1000 / r.recipients:.2f}",
            f"{r.server_cpu * 100 / r.seconds:.0f}%",
        )
        for r in runs
    ]
    headers = (
        "run", "sender", "recipients", "seconds", "messages/s", "429s", "lost", "duplicates",
        "sender CPU ms each", "server busy",
    )  # fmt: skip
    lines = [table(headers, rows), ""]
    by_label = {r.label.split(",")[0]: r for r in runs}
    limited = by_label.get("limits")
    if limited is not None:
        lines += [
            f"Within Telegram's limits: {limited.seconds:.1f} s for {limited.recipients}"
            f" recipients, {limited.seconds / limited.floor:.2f}× the floor of"
            f" {limited.floor:.1f} s ({limited.recipients} / {TELEGRAM_RATE} a second);"
            f" {limited.rate_limited} answers 429; {limited.lost} lost,"
            f" {limited.duplicated} duplicated.",
            "  second by second, messages accepted: "
            + " ".join(str(sent) for sent, _ in limited.timeline),
            "  second by second, answers 429:       "
            + " ".join(str(refused) for _, refused in limited.timeline),
        ]
    outbox, bare = by_label.get("outbox"), by_label.get("bare loop")
    if outbox is not None and bare is not None:
        lines.append(
            f"Without limits: the outbox sends {outbox.per_second:.0f} messages/s, the bare loop"
            f" {bare.per_second:.0f}: the outbox at {outbox.per_second / bare.per_second:.2f}×"
            f" the bare loop's rate, with {outbox.sender_cpu / bare.sender_cpu:.1f}× its CPU"
            " per message."
        )
    for r in runs:
        if r.statuses:
            lines.append(f"Outbox rows after the {r.label!r} run: {r.statuses}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.broadcast", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--recipients", type=int, default=1000, help="members to broadcast to (default 1000)"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=RUNS,
        default=RUNS,
        help="some of the runs: limits (Telegram's limits), outbox and bare (no limits)",
    )
    parser.add_argument("--quick", action="store_true", help="100 recipients: a smoke run")
    arguments = parser.parse_args(argv)
    recipients = 100 if arguments.quick else arguments.recipients
    print(f"## Broadcast to {recipients} recipients\n\n{machine().line()}\n", flush=True)
    runs = asyncio.run(run(recipients, arguments.only))
    print(report(runs))


if __name__ == "__main__":
    main()
