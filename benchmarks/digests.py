"""The scheduled digest job at scale, outbox included, and what it costs a member meanwhile.

    python -m benchmarks.digests            # 5,000 members (20 partnerships of 250), 2,000
                                            # milestones, 100,000 meetings, 20,000 challenges
    python -m benchmarks.digests --quick    # a twentieth of the data, one round each

A temporary SQLite file is filled: partnerships and plans go through the services; members,
meetings (10 % restricted, with participants and follow-up actions) and challenges are written
with plain SQL, which is much quicker at these sizes. Every member's weekly digest is due.

1. The job itself (`bot.jobs.digests.queue_due_digests`, as PTB runs it), in this process on
   a fresh copy of the file, timed end to end: finding who is due, building each digest with
   the reader's visibility, rendering it in their language, writing the outbox rows and
   marking the slots. In turn with the same work done one member at a time
   (`queue_one_by_one`: a digest queued and its slot marked per recipient, as the job did
   before it worked in batches), `--job-rounds`
   times each, each on a fresh copy; both must queue exactly the same messages, and a second
   run of the job must queue nothing.
2. Partnerbot for real (`python -m bot run` on a copy of the file, against the local Bot API
   server of the end-to-end tests): a member sends `/help` back to back, in turn with nothing
   else going on ("quiet") and while the job queues every digest ("busy": from the first
   outbox row written until every slot is marked), `--rounds` times each. The job runs at
   start-up and then every minute; before each busy phase the file is made due again
   (digest rows, broadcasts and marks deleted). So that the phase measures the job, a trigger
   in the copy holds the queued deliveries back (sending 5,000 messages is the outbox
   worker's load, measured by the broadcast benchmark).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import BotProcess, machine, partnerbot_command, spread, table
from benchmarks.roundtrip import _more_than
from bot.app import build_application, make_services
from bot.config import Settings
from bot.context import PartnerbotApplication
from bot.jobs.digests import queue_due_digests, queue_one_by_one
from bot.local_api import LocalBotApi
from domain.milestones import MilestoneStatus
from domain.models import LANGUAGES, Partnership, PartnershipKind
from services.container import Services
from services.milestones import store_plan
from services.plan_file import MilestoneEntry, PillarEntry, PlanFile
from storage.db import Database, to_db_time
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.users import TestUser

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SEVERITIES = ("low", "medium", "high", "critical")
CATEGORIES = ("route", "digital", "documents", "maritime", "finance", "instrumentalisation")


def plan_of(rng: random.Random, milestones: int) -> PlanFile:
    """Five pillars; due dates from two years back to one year ahead, status as time says."""
    pillars = []
    per_pillar = milestones // 5
    for p in range(5):
        entries = []
        for m in range(per_pillar):
            due = NOW.date() + timedelta(days=rng.randint(-730, 365))
            past = due < NOW.date()
            status = rng.choice(
                [MilestoneStatus.DONE] * 3 + [MilestoneStatus.IN_PROGRESS]
                if past
                else [MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS]
            )
            entries.append(
                MilestoneEntry(
                    code=f"M{p}{m:03}",
                    title=f"Milestone {m} of pillar {p}: joint operation and training",
                    due=due,
                    owner=rng.choice(["Europol", "Frontex", "CIVIPOL", "FIIAPP", None]),
                    status=status,
                    progress=None if status is MilestoneStatus.DONE else rng.randint(0, 90),
                )
            )
        pillars.append(
            PillarEntry(code=f"P{p + 1}", title={"en": f"Pillar {p + 1}"}, milestones=entries)
        )
    return PlanFile(title={"en": "Benchmark plan"}, pillars=pillars)


async def seed(
    services: Services,
    rng: random.Random,
    *,
    partnerships: int,
    members: int,
    milestones: int,
    meetings: int,
    challenges: int,
) -> list[Partnership]:
    """Everything the digests read."""
    db = services.db
    created = []
    for number in range(partnerships):
        partnership = await services.partnerships.create(
            name=f"Partnership {number:02}", kind=PartnershipKind.COP, countries=("Senegal",),
            timezone=rng.choice(["Africa/Dakar", "Europe/Madrid", "Africa/Niamey"]),
            language=rng.choice(LANGUAGES), plan=None,
        )  # fmt: skip
        async with db.transaction() as tx:
            await store_plan(
                tx, partnership.id, plan_of(rng, milestones // partnerships), source="bench",
                now=NOW - timedelta(days=800),
            )  # fmt: skip
        created.append(partnership)
    # Recently completed milestones, for the "completed since" section.
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE milestones SET completed_at = ? WHERE status = 'done' AND id % 25 = 0",
            (to_db_time(NOW - timedelta(days=2)),),
        )
    stamp = to_db_time(NOW - timedelta(days=900))
    member_rows, membership_rows = [], []
    per_partnership = members // partnerships
    for index in range(members):
        member_id = 1_000_000 + index
        partnership = created[index // per_partnership % partnerships]
        role = "coordinator" if index % per_partnership < 3 else "member"
        member_rows.append((member_id, f"Member {index}", rng.choice(LANGUAGES), stamp, stamp))
        membership_rows.append((partnership.id, member_id, role, stamp))
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO members (id, name, language, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            member_rows,
        )
        await tx.executemany(
            "INSERT INTO memberships (partnership_id, member_id, role, joined_at)"
            " VALUES (?, ?, ?, ?)",
            membership_rows,
        )
    await _meetings(db, rng, created, meetings, per_partnership)
    await _challenges(db, rng, created, challenges, per_partnership)
    return created


async def _meetings(
    db: Database, rng: random.Random, partnerships: list[Partnership], count: int, size: int
) -> None:
    meeting_rows, participants, actions = [], [], []
    for number in range(count):
        meeting_id = number + 1
        p_index = number % len(partnerships)
        held = NOW - timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
        restricted = number % 10 == 0
        author = 1_000_000 + p_index * size + rng.randrange(size)
        meeting_rows.append(
            (meeting_id, partnerships[p_index].id, to_db_time(held), f"Meeting {number}",
             "operational", int(restricted), author, to_db_time(held), to_db_time(held))
        )  # fmt: skip
        if restricted:
            named = 1_000_000 + p_index * size + rng.randrange(size)
            participants.append((meeting_id, 0, f"Member {named}", named))
        if number % 5 == 0:
            owner = 1_000_000 + p_index * size + rng.randrange(size)
            due = (held + timedelta(days=30)).date().isoformat()
            done = to_db_time(held + timedelta(days=20)) if rng.random() < 0.7 else None
            actions.append((meeting_id, 0, "Send the minutes", owner, due, done))
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO meetings (id, partnership_id, held_at, title, kind, restricted,"
            " author_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            meeting_rows,
        )
        await tx.executemany(
            "INSERT INTO meeting_participants (meeting_id, position, name, member_id)"
            " VALUES (?, ?, ?, ?)",
            participants,
        )
        await tx.executemany(
            "INSERT INTO meeting_actions (meeting_id, position, what, owner_id, due_on, done_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            actions,
        )


async def _challenges(
    db: Database, rng: random.Random, partnerships: list[Partnership], count: int, size: int
) -> None:
    rows = []
    for number in range(count):
        p_index = number % len(partnerships)
        created = to_db_time(NOW - timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60)))
        reporter = 1_000_000 + p_index * size + rng.randrange(size)
        rows.append(
            (partnerships[p_index].id, reporter, rng.choice(CATEGORIES), rng.choice(SEVERITIES),
             f"Challenge {number}", int(number % 8 == 0), created, created)
        )  # fmt: skip
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO challenges (partnership_id, reporter_id, category, severity, title,"
            " restricted, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


#: The first seeded member: the person who sends /help while the job runs.
FIRST_SEEDED = 1_000_000
#: Longest wait for an answer to /help, or for the job to start or to finish.
TIMEOUT = 300.0
#: What the benchmark's copy adds so that queued digests wait instead of being sent.
HOLD_DELIVERIES = (
    "CREATE TRIGGER IF NOT EXISTS benchmark_hold AFTER INSERT ON deliveries BEGIN"
    " UPDATE deliveries SET next_attempt_at = '9999-12-31T00:00:00+00:00' WHERE id = NEW.id;"
    " END"
)
#: What makes every digest due again (the file as seeded, but for the trigger).
DUE_AGAIN = (
    "DELETE FROM deliveries WHERE broadcast_id IN"
    " (SELECT id FROM broadcasts WHERE kind = 'digest')",
    "DELETE FROM broadcasts WHERE kind = 'digest'",
    "DELETE FROM audit_log WHERE action = 'digest.enqueue'",
    "DELETE FROM digest_recipients",
)


@dataclass(frozen=True, slots=True)
class JobRun:
    """One run of the job (or of the same work one member at a time) on a fresh copy."""

    batched: bool
    seconds: float
    cpu: float  # seconds of CPU this process used, the database's thread included
    digests: int
    messages: list[tuple[object, ...]] = field(repr=False)
    rerun: int  # digests the batched job queued when run again at once

    def ms_each(self, value: float) -> float:
        return value * 1000 / self.digests


@dataclass(frozen=True, slots=True)
class Round:
    """The /help latencies of one quiet and one busy phase."""

    quiet: list[float]
    busy: list[float]
    job: float  # seconds from the first outbox row to the last slot marked
    bot_cpu: float  # seconds of CPU the bot used meanwhile


def application(path: Path) -> PartnerbotApplication:
    """The bot wired on `path` with the benchmark's clock; nothing is sent anywhere."""
    settings = Settings(_env_file=None, database_path=path)  # type: ignore[call-arg]
    return build_application(
        settings, request=LocalBotApi(bot_username="partnerbot_bench_bot"), clock=lambda: NOW
    )


async def per_member(app: PartnerbotApplication) -> int:
    """The job's work one recipient at a time: a digest built, rendered and queued (a
    transaction), then its slot marked (another)."""
    services = app.services
    now = services.clock()
    dues = await services.digests.due(now)
    return await queue_one_by_one(services, services.digests.builder(now), dues, now)


async def queued_messages(db: Database) -> list[tuple[object, ...]]:
    """What the outbox holds, as the worker would send it."""
    rows = await db.fetchall(
        "SELECT b.idempotency_key, b.kind, b.reference, b.partnership_id, d.chat_id,"
        " d.member_id, d.language, d.text, d.buttons, d.acknowledge, d.protect_content"
        " FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id ORDER BY d.id"
    )
    return [tuple(row) for row in rows]


async def time_job(
    template: Path, work: Path, *, batched: bool, statements: list[str] | None = None
) -> JobRun:
    """One timed run on a fresh copy of the seeded file."""
    path = work / f"job-{batched}.sqlite3"
    shutil.copyfile(template, path)
    app = application(path)
    db = app.services.db
    await db.open()
    try:
        if statements is not None:
            await db.reader.set_trace_callback(
                lambda sql: statements.append(sql) if len(statements) < 40 else None
            )
        cpu, began = time.process_time(), time.perf_counter()
        digests = await (queue_due_digests(app) if batched else per_member(app))
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        await db.reader.set_trace_callback(None)  # type: ignore[arg-type]  # None stops it
        messages = await queued_messages(db)
        rerun = await queue_due_digests(app)
        if await queued_messages(db) != messages:
            raise RuntimeError("a second run of the job queued messages again")
        return JobRun(batched, seconds, cpu, digests, messages, rerun)
    finally:
        await db.close()
        path.unlink()


async def the_job(template: Path, work: Path, rounds: int) -> tuple[list[JobRun], list[str]]:
    """Batched and one by one in turn, `rounds` times each; both must queue the same."""
    runs: list[JobRun] = []
    statements: list[str] = []
    for number in range(rounds):
        for batched in (True, False):
            trace = statements if batched and number == 0 else None
            runs.append(await time_job(template, work, batched=batched, statements=trace))
            print(f"  {'batched' if batched else 'one by one'}: {runs[-1].seconds:.2f} s",
                  flush=True)  # fmt: skip
    reference = runs[0].messages if runs else []
    if any(run.messages != reference for run in runs) or any(run.rerun for run in runs):
        raise RuntimeError("the batched job and the per-member path queued different messages")
    return runs, statements


# -- the bot at work ---------------------------------------------------------------------------


class Watcher:
    """Reads the bot's file from this process: outbox rows queued and slots marked."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, check_same_thread=False, timeout=30)

    def _counts(self) -> tuple[int, int]:
        row = self.connection.execute(
            "SELECT (SELECT COUNT(*) FROM deliveries),"
            " (SELECT COUNT(*) FROM digest_recipients WHERE last_slot IS NOT NULL)"
        ).fetchone()
        return int(row[0]), int(row[1])

    async def counts(self) -> tuple[int, int]:
        return await asyncio.to_thread(self._counts)

    async def until(self, check: Callable[[int, int], bool], within: float = TIMEOUT) -> float:
        """Poll every 20 ms until `check(rows, marked)`; returns the moment it held."""
        deadline = time.perf_counter() + within
        while time.perf_counter() < deadline:
            if check(*await self.counts()):
                return time.perf_counter()
            await asyncio.sleep(0.02)
        raise RuntimeError("the digest job did not start or finish in time")

    def _due_again(self) -> None:
        with self.connection:
            for statement in DUE_AGAIN:
                self.connection.execute(statement)

    async def due_again(self) -> None:
        await asyncio.to_thread(self._due_again)

    def close(self) -> None:
        self.connection.close()


async def help_loop(
    server: BotApiServer, user: TestUser, into: list[tuple[float, float]], done: Callable[[], bool]
) -> None:
    """`/help` back to back until `done()` says so; (sent at, seconds to the answer) each."""
    chat = user.chat
    while not done():
        answered = len(chat.bot_messages)
        sent = time.perf_counter()
        await user.send("/help")
        if not await server.wait_until(_more_than(chat, answered), TIMEOUT):
            raise RuntimeError(f"no answer to /help within {TIMEOUT:g} s")
        into.append((sent, time.perf_counter() - sent))


async def while_running(
    template: Path, work: Path, rounds: int, members: int
) -> tuple[Round, list[Round]]:
    """Partnerbot on a copy of the file: the run at start-up (busy, then as long quiet), then
    quiet and busy phases in turn, `rounds` times each."""
    path = work / "bot.sqlite3"
    shutil.copyfile(template, path)
    with sqlite3.connect(path) as connection:
        connection.execute(HOLD_DELIVERIES)
    server = BotApiServer(keep_calls=False)
    await server.start()
    watcher = Watcher(path)
    try:
        member = server.user(id=FIRST_SEEDED, started=True)
        command, env = partnerbot_command(server, path, rate_limiter=False)
        results = []
        async with BotProcess("Partnerbot", command, env, work) as process:
            await process.start(server)
            try:
                # Every digest is due: the run at start-up (4 s after it) is the first busy
                # phase, and gives the minute the job runs at.
                first_row, startup = await busy_phase(server, member, watcher, process, members)
                quiet: list[tuple[float, float]] = []
                await help_loop(server, member, quiet, _until(time.perf_counter() + startup.job))
                startup = Round([s for _, s in quiet], startup.busy, startup.job, startup.bot_cpu)
                print(f"  start-up: job {startup.job:.2f} s, {len(startup.busy)} busy /help")
                quiet_for = max(3.0, startup.job)
                for _round in range(rounds):
                    await watcher.due_again()
                    # The job's next run: a whole number of minutes after the first one.
                    tick = first_row + 60 * (1 + (time.perf_counter() - first_row + 5) // 60)
                    await asyncio.sleep(max(0.0, tick - 3 - quiet_for - time.perf_counter()))
                    quiet = []
                    await help_loop(server, member, quiet, _until(time.perf_counter() + quiet_for))
                    _, busy = await busy_phase(server, member, watcher, process, members)
                    results.append(Round([s for _, s in quiet], busy.busy, busy.job, busy.bot_cpu))
                    print(f"  round: job {busy.job:.2f} s, {len(busy.busy)} busy /help")
                    quiet_for = max(3.0, busy.job)
            except (RuntimeError, AssertionError, LookupError) as error:
                raise RuntimeError(f"{error}\n{process.errors()}") from error
        if server.violations or server.internal_errors:
            problems = [str(v) for v in server.violations[:3]] + server.internal_errors[:3]
            raise RuntimeError(f"the server refused requests: {problems}")
        return startup, results
    finally:
        watcher.close()
        await server.stop()


async def busy_phase(
    server: BotApiServer, user: TestUser, watcher: Watcher, process: BotProcess, members: int
) -> tuple[float, Round]:
    """`/help` back to back until the job has marked every slot; the round trips sent from
    its first outbox row on count. Returns that moment, and the phase (without quiet part)."""
    samples: list[tuple[float, float]] = []
    finished = asyncio.Event()
    loop = asyncio.create_task(help_loop(server, user, samples, finished.is_set))
    start = await watcher.until(lambda rows, _: rows > 0)
    cpu = process.cpu_seconds()
    end = await watcher.until(lambda _, marked: marked >= members)
    finished.set()
    bot_cpu = process.cpu_seconds() - cpu
    await loop
    return start, Round([], [s for at, s in samples if start <= at <= end], end - start, bot_cpu)


def _after(count: int) -> Callable[[], bool]:
    """Done after `count` calls."""
    calls = iter(range(count + 1))
    return lambda: next(calls, count) >= count


def _until(moment: float) -> Callable[[], bool]:
    return lambda: time.perf_counter() >= moment


# -- the record --------------------------------------------------------------------------------


def report_job(runs: Sequence[JobRun]) -> str:
    """The job against the same work one member at a time."""
    rows = []
    for batched in (True, False):
        mine = [r for r in runs if r.batched is batched]
        rows.append(
            (
                "the job (batches)" if batched else "one member at a time",
                len(mine),
                f"{mine[0].digests:,}",
                spread([r.seconds for r in mine]),
                spread([r.ms_each(r.seconds) for r in mine]),
                spread([r.ms_each(r.cpu) for r in mine]),
            )
        )
    job = [r.seconds for r in runs if r.batched]
    old = [r.seconds for r in runs if not r.batched]
    return "\n".join(
        [
            table(("path", "runs", "digests", "s", "ms a member", "CPU ms a member"), rows),
            "",
            f"One at a time / batches: {statistics.median(old) / statistics.median(job):.1f}×;"
            f" {len(runs[0].messages):,} messages queued, the same by both paths; a second run"
            " of the job queued nothing.",
        ]
    )


def report_rounds(startup: Round, rounds: Sequence[Round], members: int) -> str:
    """The /help latencies, quiet against busy, at start-up and in the rounds."""
    lines = [
        "A member's /help round trips at start-up, the job's run (busy) then as long quiet,"
        " median (range) in ms:",
        "",
        _phases([startup]),
        "",
        f"p50 busy / quiet at start-up: {_ratio(startup):.2f}×; the job {startup.job:.2f} s from"
        f" its first outbox row to its last mark, the bot's CPU meanwhile (its answers to /help"
        f" included) {startup.bot_cpu * 1000 / members:.2f} ms a member.",
    ]
    if rounds:
        per_round = [_ratio(r) for r in rounds]
        lines += [
            "",
            f"Then {len(rounds)} quiet and {len(rounds)} busy phases in turn, the job running on"
            " the minute, median (range) in ms:",
            "",
            _phases(rounds),
            "",
            f"p50 busy / quiet, per round: median {statistics.median(per_round):.2f}×"
            f" (range {min(per_round):.2f}–{max(per_round):.2f}×; rounds: "
            + ", ".join(f"{r:.2f}×" for r in per_round)
            + ").",
            f"The job in the bot, first outbox row to last slot marked: "
            f"{spread([r.job for r in rounds])} s; the bot's CPU meanwhile (its answers to /help"
            f" included) {spread([r.bot_cpu * 1000 / members for r in rounds])} ms a member.",
        ]
    return "\n".join(lines)


def _ratio(phase: Round) -> float:
    return statistics.median(phase.busy) / statistics.median(phase.quiet)


def _phases(rounds: Sequence[Round]) -> str:
    quiet = [v for r in rounds for v in r.quiet]
    busy = [v for r in rounds for v in r.busy]
    return table(
        ("phase", "round trips", "ms"),
        [
            ("quiet", len(quiet), spread(quiet, 1000, 1)),
            ("busy (the job queueing every digest)", len(busy), spread(busy, 1000, 1)),
        ],
    )


async def plans(db: Database, statements: Sequence[str]) -> str:
    """EXPLAIN QUERY PLAN of each distinct read the job ran."""
    lines: list[str] = []
    seen: set[str] = set()
    for statement in statements:
        shape = _LITERALS.sub("?", statement)
        if not statement.lstrip().upper().startswith("SELECT") or shape in seen:
            continue
        seen.add(shape)
        rows = await db.fetchall(f"EXPLAIN QUERY PLAN {statement}")
        lines.append("```sql\n" + _shorten(statement) + "\n```")
        lines += [f"    {row['detail']}" for row in rows]
        lines.append("")
    return "\n".join(lines)


#: Numbers and quoted texts: two statements that differ only there are one query.
_LITERALS = re.compile(r"'[^']*'|\b\d+\b")


def _shorten(statement: str) -> str:
    return statement if len(statement) <= 400 else statement[:400] + " …"


async def seed_file(path: Path, rng: random.Random, sizes: dict[str, int]) -> float:
    """The seeded file, analysed as a long-running database would be; returns the seconds."""
    db = Database(path)
    await db.open()
    began = time.perf_counter()
    try:
        await seed(make_services(db, clock=lambda: NOW), rng, **sizes)
    finally:
        await db.close()
    with sqlite3.connect(path) as connection:
        connection.execute("ANALYZE")
    return time.perf_counter() - began


async def explain(template: Path, statements: Sequence[str]) -> str:
    db = Database(template)
    await db.open()
    try:
        return await plans(db, statements)
    finally:
        await db.close()


def run(arguments: argparse.Namespace) -> None:
    scale = 20 if arguments.quick else 1
    sizes = {
        "partnerships": 20,
        "members": 5000 // scale,
        "milestones": 2000 // scale if scale == 1 else 200,
        "meetings": 100_000 // scale,
        "challenges": 20_000 // scale,
    }
    job_rounds = min(arguments.job_rounds, 1) if arguments.quick else arguments.job_rounds
    rounds = 0 if arguments.quick else arguments.rounds
    print(f"## Digests\n\n{machine().line()}, SQLite {sqlite3.sqlite_version}", flush=True)
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="partnerbot-digests-") as folder:
        work = Path(folder)
        template = work / "template.sqlite3"
        seeded = asyncio.run(seed_file(template, random.Random(arguments.seed), sizes))
        print(", ".join(f"{value:,} {name}" for name, value in sizes.items()))
        print(f"seeded in {seeded:.1f} s; database {template.stat().st_size / 1e6:.0f} MB\n")
        runs, statements = asyncio.run(the_job(template, work, job_rounds))
        if runs:
            print("\n" + report_job(runs) + "\n", flush=True)
        if not arguments.no_bot:
            startup, found = asyncio.run(while_running(template, work, rounds, sizes["members"]))
            print("\n" + report_rounds(startup, found, sizes["members"]) + "\n", flush=True)
        print(f"load average after: {Path('/proc/loadavg').read_text().strip()}\n")
        print("Query plans of the job's reads (EXPLAIN QUERY PLAN):\n")
        print(asyncio.run(explain(template, statements)))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.digests", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a twentieth of the sizes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--job-rounds", type=int, default=2, help="timed runs of each path")
    parser.add_argument(
        "--rounds", type=int, default=4, help="quiet and busy phases after the start-up run"
    )
    parser.add_argument("--no-bot", action="store_true", help="the job alone, not in the bot")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
