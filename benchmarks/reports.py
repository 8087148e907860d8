"""Period reports of a busy year: producing each file, and what it costs the other members.

    python -m benchmarks.reports [--meetings 2000] [--challenges 500] [--runs 5] [--rounds 4]
    python -m benchmarks.reports --quick     # a tenth of the sizes, one run and one round

A temporary SQLite file holds one partnership's year (2026): the default action plan (its
milestones moved on, with a history of updates), 2,000 meetings (10 % restricted, with
participants, decisions of a few lines and one to three follow-up actions each) and 500
challenges pinned along West African and Mediterranean routes (every severity; statuses with
their history). The partnership and its people go through the services; the rest is written
with plain SQL, which is much quicker at these sizes.

1. Producing the year's report in each format (PDF, Word, Excel), in English and in Arabic,
   as the command line does (`ReportService.for_operator`, then `render_report`): the gather
   and the render timed apart, `--runs` times, each format and language in a fresh process so
   that its memory is its own (the peak Python allocations of a render, tracemalloc, in one
   more run; and how much the process's maximum resident size grew, from `getrusage`).
2. Partnerbot for real (`python -m bot run` on that file, against the local Bot API server of
   the end-to-end tests): a member sends `/help` back to back, in turn with nobody else busy
   ("quiet") and while a coordinator asks for the year's report ("busy": `/report`, the days
   typed, PDF, English, restricted items left out), quiet and busy alternating `--rounds`
   times. Latency is measured at the server, from the member's message to the bot's answer.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import resource
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from benchmarks.common import (
    COORDINATOR_ID,
    FIRST_MEMBER,
    BotProcess,
    machine,
    partnerbot_command,
    seed_partnership,
    spread,
    table,
)
from benchmarks.roundtrip import _more_than
from bot.app import make_services
from bot.cli_reports import render_report
from bot.handlers.reports import FORMAT_LABELS, LEAVE_OUT
from bot.i18n import translator
from domain.models import LANGUAGE_NAMES, Role
from services.reports import Period, ReportFormat
from storage import partnerships as partnership_store
from storage.db import Database, to_db_time
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.partnerbot import until
from tests.e2e.users import BotMessage, TestUser

#: The year of the report, and the moment the in-process reports are made.
YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
#: What a coordinator types at /report's first question.
TYPED_PERIOD = "1/1/2026 - 31/12/2026"
LANGUAGES = ("en", "ar")
#: Coordinators beyond the first, who take turns asking for reports (one report each per
#: minute at most, well inside the limit of four a minute a person).
EXTRA_COORDINATORS = 3
MEMBERS = 60
#: Longest wait for a report's file before the run is declared broken.
REPORT_TIMEOUT = 600.0

#: Places along the routes towards Europe (latitude, longitude, name, route).
WAYPOINTS = (
    (14.69, -17.44, "Dakar", "Atlantic"),
    (16.03, -16.49, "Saint-Louis", "Atlantic"),
    (20.94, -17.04, "Nouadhibou", "Atlantic"),
    (23.70, -15.93, "Dakhla", "Atlantic"),
    (27.15, -13.20, "Laâyoune", "Atlantic"),
    (28.10, -15.41, "Las Palmas", "Atlantic"),
    (12.64, -8.00, "Bamako", "Central Mediterranean"),
    (13.51, 2.11, "Niamey", "Central Mediterranean"),
    (16.97, 7.99, "Agadez", "Central Mediterranean"),
    (21.37, 13.03, "Séguédine", "Central Mediterranean"),
    (25.91, 13.92, "Sebha", "Central Mediterranean"),
    (32.89, 13.19, "Tripoli", "Central Mediterranean"),
    (34.74, 10.76, "Sfax", "Central Mediterranean"),
    (35.50, 12.60, "Lampedusa", "Central Mediterranean"),
    (16.27, -0.04, "Gao", "Western Mediterranean"),
    (22.79, 5.53, "Tamanrasset", "Western Mediterranean"),
    (34.68, -1.91, "Oujda", "Western Mediterranean"),
    (35.17, -2.93, "Nador", "Western Mediterranean"),
    (35.89, -5.32, "Ceuta", "Western Mediterranean"),
    (36.13, -5.45, "Algeciras", "Western Mediterranean"),
)
SEVERITIES = ("low", "medium", "high", "critical")
CATEGORIES = ("route", "digital", "documents", "maritime", "finance", "corruption", "violence")
#: Where a challenge's history can lead, step by step.
PATHS = (
    ("reported",),
    ("reported", "acknowledged"),
    ("reported", "acknowledged", "corroborated"),
    ("reported", "acknowledged", "corroborated", "confirmed"),
    ("reported", "acknowledged", "confirmed", "resolved"),
    ("reported", "acknowledged", "dismissed"),
)
KINDS = ("steering", "bilateral", "operational", "training", "other")
DECISIONS = (
    "Share the list of seized boats with the maritime gendarmerie every week.",
    "Open a joint investigation team on the Agadez network.",
    "Ask the prosecutor's office for a focal point on document fraud.",
    "Train twenty border officers in detecting forged visas before March.",
    "Send the financial intelligence unit the transfers flagged in the north.",
    "Hold the next steering committee in Nouakchott.",
)
ORGANISATIONS = ("DPAF", "Gendarmerie", "Police judiciaire", "Europol", "Frontex", "Parquet")


@dataclass(frozen=True, slots=True)
class Sizes:
    """How much the year holds."""

    meetings: int
    challenges: int
    members: int


@dataclass(frozen=True, slots=True)
class Cell:
    """One format in one language, `runs` times, in its own process."""

    file_format: ReportFormat
    language: str
    gather: list[float]
    render: list[float]
    size: int
    traced_peak: int  # bytes: tracemalloc's peak during one more render
    rss_growth: int  # bytes: how much the process's maximum resident size grew
    meetings: int
    challenges: int


@dataclass(frozen=True, slots=True)
class Round:
    """The /help latencies of one quiet and one busy phase, and the report's own times."""

    quiet: list[float]
    busy: list[float]
    report: float  # seconds from the last button to the file
    flow: float  # seconds from /report to the file


# -- the year ---------------------------------------------------------------------------------


async def seed(path: Path, rng: random.Random, sizes: Sizes) -> None:
    """The partnership with the default plan and its people (through the services), then a
    year of meetings, challenges and milestone updates (plain SQL)."""
    await seed_partnership(path, sizes.members)
    db = Database(path)
    await db.open()
    try:
        services = make_services(db, clock=lambda: NOW)
        (partnership,) = await partnership_store.list_all(db)
        for number in range(EXTRA_COORDINATORS):
            await services.partnerships.add_member(
                partnership,
                user_id=COORDINATOR_ID + 1 + number,
                name=f"Coordinator {number + 2}",
                role=Role.COORDINATOR,
            )
        people = [FIRST_MEMBER + n for n in range(sizes.members)]
        await _meetings(db, rng, partnership.id, sizes.meetings, people)
        await _challenges(db, rng, partnership.id, sizes.challenges, people)
        await _milestones(db, rng, partnership.id)
    finally:
        await db.close()
    with sqlite3.connect(path) as connection:
        connection.execute("ANALYZE")


def _moment(rng: random.Random) -> datetime:
    """A working hour of a day of the year up to NOW."""
    days = (NOW.date() - YEAR.start).days
    day = YEAR.start + timedelta(days=rng.randrange(days))
    return datetime(day.year, day.month, day.day, rng.randint(8, 17), 0, tzinfo=UTC)


async def _meetings(
    db: Database, rng: random.Random, partnership_id: int, count: int, people: list[int]
) -> None:
    meetings, participants, actions = [], [], []
    # Every owner was reminded in its time: the bot under test sends no reminders to people
    # the local server does not know.
    for number in range(count):
        meeting_id = number + 1
        held = _moment(rng)
        stamp = to_db_time(held)
        author = rng.choice(people)
        decisions = "\n".join(rng.sample(DECISIONS, rng.randint(2, 4)))
        meetings.append(
            (meeting_id, partnership_id, stamp, f"Meeting {number + 1}: {rng.choice(KINDS)}",
             rng.choice(KINDS), rng.choice(WAYPOINTS)[2], "Review of the month's cases.",
             decisions, int(number % 10 == 0), author, stamp, stamp)
        )  # fmt: skip
        for position, member in enumerate(rng.sample(people, min(len(people), rng.randint(3, 8)))):
            participants.append(
                (meeting_id, position, f"Member {member - FIRST_MEMBER:04}",
                 rng.choice(ORGANISATIONS), member)
            )  # fmt: skip
        for position in range(rng.randint(1, 3)):
            owner = rng.choice(people)
            due = (held + timedelta(days=rng.randint(14, 60))).date()
            done = held + timedelta(days=rng.randint(3, 50))
            actions.append(
                (meeting_id, position, rng.choice(DECISIONS), owner,
                 f"Member {owner - FIRST_MEMBER:04}", due.isoformat(),
                 to_db_time(done) if done < NOW and rng.random() < 0.6 else None,
                 to_db_time(held + timedelta(days=7)))
            )  # fmt: skip
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO meetings (id, partnership_id, held_at, title, kind, location, summary,"
            " decisions, restricted, author_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            meetings,
        )
        await tx.executemany(
            "INSERT INTO meeting_participants (meeting_id, position, name, organisation,"
            " member_id) VALUES (?, ?, ?, ?, ?)",
            participants,
        )
        await tx.executemany(
            "INSERT INTO meeting_actions (meeting_id, position, what, owner_id, owner_name,"
            " due_on, done_at, reminded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            actions,
        )


async def _challenges(
    db: Database, rng: random.Random, partnership_id: int, count: int, people: list[int]
) -> None:
    challenges, events = [], []
    for number in range(count):
        challenge_id = number + 1
        latitude, longitude, place, route = rng.choice(WAYPOINTS)
        created = _moment(rng)
        path = rng.choice(PATHS)
        challenges.append(
            (challenge_id, partnership_id, rng.choice(people), rng.choice(CATEGORIES),
             rng.choice(SEVERITIES), path[-1], f"Challenge {number + 1} near {place}",
             "Seen by a patrol; details in the note.", place,
             round(latitude + rng.uniform(-0.4, 0.4), 4),
             round(longitude + rng.uniform(-0.4, 0.4), 4), route,
             to_db_time(created - timedelta(days=1)), int(number % 10 == 0),
             to_db_time(created), to_db_time(created))
        )  # fmt: skip
        at = created
        for status in path:
            events.append(
                (challenge_id, status, COORDINATOR_ID, "Coordinator", f"Now {status}.",
                 to_db_time(at))
            )  # fmt: skip
            at += timedelta(hours=rng.randint(2, 72))
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO challenges (id, partnership_id, reporter_id, category, severity, status,"
            " title, description, place, latitude, longitude, route, observed_at, restricted,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            challenges,
        )
        await tx.executemany(
            "INSERT INTO challenge_events (challenge_id, status, actor_id, actor_name, note, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            events,
        )


async def _milestones(db: Database, rng: random.Random, partnership_id: int) -> None:
    """Each milestone of the plan moved on during the year, with two to four updates."""
    rows = await db.fetchall(
        "SELECT id FROM milestones WHERE partnership_id = ?", (partnership_id,)
    )
    changes, updates = [], []
    for row in rows:
        progress, at = 0, _moment(rng) - timedelta(days=150)
        at = max(at, datetime(2026, 1, 2, 9, tzinfo=UTC))
        for _ in range(rng.randint(2, 4)):
            progress = min(100, progress + rng.randint(10, 40))
            status = "done" if progress == 100 else "in_progress"
            updates.append(
                (row["id"], COORDINATOR_ID, "Coordinator", to_db_time(at), status, progress,
                 "Progress reviewed at the steering committee.")
            )  # fmt: skip
            at = min(at + timedelta(days=rng.randint(10, 60)), NOW - timedelta(days=1))
        done = to_db_time(at) if progress == 100 else None
        changes.append((status, progress, done, to_db_time(at), row["id"]))
    async with db.transaction() as tx:
        await tx.executemany(
            "UPDATE milestones SET status = ?, progress = ?, completed_at = ?, updated_at = ?"
            " WHERE id = ?",
            changes,
        )
        await tx.executemany(
            "INSERT INTO milestone_updates (milestone_id, author_id, author_name, at, status,"
            " progress, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
            updates,
        )


async def counts(path: Path) -> dict[str, int]:
    """How many rows of each kind the year holds."""
    db = Database(path)
    await db.open()
    try:
        found = {}
        for name in ("meetings", "meeting_actions", "challenges", "challenge_events",
                     "milestones", "milestone_updates"):  # fmt: skip
            row = await db.fetchone(f"SELECT COUNT(*) AS n FROM {name}")
            found[name] = int(row["n"]) if row is not None else 0
        return found
    finally:
        await db.close()


# -- producing the files ----------------------------------------------------------------------


def produce(path: Path, file_format: ReportFormat, language: str, runs: int) -> Cell:
    """Gather and render the year's report `runs` times, then once more under tracemalloc."""
    return asyncio.run(_produce(path, file_format, language, runs))


async def _produce(path: Path, file_format: ReportFormat, language: str, runs: int) -> Cell:
    db = Database(path)
    await db.open()
    try:
        services = make_services(db, clock=lambda: NOW)
        (partnership,) = await partnership_store.list_all(db)
        gathers, renders, size = [], [], 0
        rss_before = _max_rss()
        for _ in range(runs):
            began = time.perf_counter()
            data = await services.reports.for_operator(partnership, YEAR, include_restricted=False)
            gathered = time.perf_counter()
            size = len(render_report(data, file_format, language))
            renders.append(time.perf_counter() - gathered)
            gathers.append(gathered - began)
        rss_growth = _max_rss() - rss_before
        tracemalloc.start()
        render_report(data, file_format, language)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        await db.close()
    return Cell(file_format, language, gathers, renders, size, peak, rss_growth,
                len(data.meetings), len(data.challenges))  # fmt: skip


def _max_rss() -> int:
    """The process's maximum resident size so far, in bytes (Linux counts in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def produce_all(
    path: Path,
    runs: int,
    *,
    isolated: bool = True,
    formats: Sequence[ReportFormat] = tuple(ReportFormat),
) -> list[Cell]:
    """Every format in every language, each in a fresh process unless `isolated` is False."""
    cells = []
    for file_format in formats:
        for language in LANGUAGES:
            if not isolated:
                cells.append(produce(path, file_format, language, runs))
                continue
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                cells.append(pool.apply(produce, (path, file_format, language, runs)))
    return cells


# -- the bot at work --------------------------------------------------------------------------


async def _help_loop(
    server: BotApiServer, user: TestUser, into: list[float], *, done: Callable[[], bool]
) -> None:
    """`/help` back to back until `done()` says so (at least once)."""
    chat = user.chat
    while True:
        answered = len(chat.bot_messages)
        sent = time.perf_counter()
        await user.send("/help")
        # A bot held up by a report answers late: that wait is the measure, up to a point.
        if not await server.wait_until(_more_than(chat, answered), REPORT_TIMEOUT):
            raise RuntimeError(f"no answer to /help within {REPORT_TIMEOUT:g} s")
        into.append(time.perf_counter() - sent)
        if done():
            return


async def ask_for_report(coordinator: TestUser) -> tuple[float, float]:
    """/report for the year in English PDF, restricted items left out; returns the seconds
    from the last button to the file, and from /report to the file."""
    _ = translator("en")
    started = time.perf_counter()
    await coordinator.send("/report")
    await until(coordinator, "Which period?")
    await coordinator.send(TYPED_PERIOD)
    await until(coordinator, "Which file?")
    await coordinator.press(_.text(FORMAT_LABELS[ReportFormat.PDF]))
    await until(coordinator, "In which language")
    await coordinator.press(LANGUAGE_NAMES["en"])
    await until(coordinator, "Include restricted")
    asked = time.perf_counter()
    await coordinator.press(_.text(LEAVE_OUT), timeout=REPORT_TIMEOUT)
    while True:
        message: BotMessage = await coordinator.next_message(timeout=REPORT_TIMEOUT)
        if message.document is not None:
            break
    done = time.perf_counter()
    return done - asked, done - started


async def _pause(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return seconds


async def converse(path: Path, rounds: int, work: Path) -> list[Round]:
    """Partnerbot on the seeded file: quiet and busy phases in turn, `rounds` times each."""
    server = BotApiServer(keep_calls=False)
    await server.start()
    try:
        member = server.user(id=FIRST_MEMBER, started=True)
        coordinators = [
            server.user(id=COORDINATOR_ID + n, started=True) for n in range(EXTRA_COORDINATORS + 1)
        ]
        command, env = partnerbot_command(server, path, rate_limiter=False)
        results = []
        async with BotProcess("Partnerbot", command, env, work) as process:
            await process.start(server)
            try:
                warmup = asyncio.create_task(_pause(0))
                await _help_loop(server, member, [], done=warmup.done)
                await _help_loop(server, member, [], done=warmup.done)
                quiet_for = 3.0
                for number in range(rounds):
                    quiet: list[float] = []
                    await _help_loop(
                        server, member, quiet, done=asyncio.create_task(_pause(quiet_for)).done
                    )
                    busy: list[float] = []
                    coordinator = coordinators[number % len(coordinators)]
                    report = asyncio.create_task(ask_for_report(coordinator))
                    await _help_loop(server, member, busy, done=report.done)
                    seconds, flow = await report
                    results.append(Round(quiet, busy, seconds, flow))
                    # The next quiet phase lasts as long as a report, for as many samples.
                    quiet_for = flow
            except (RuntimeError, AssertionError, LookupError) as error:
                raise RuntimeError(f"{error}\n{process.errors()}") from error
        if server.violations or server.internal_errors:
            problems = [str(v) for v in server.violations[:3]] + server.internal_errors[:3]
            raise RuntimeError(f"the server refused requests: {problems}")
        return results
    finally:
        await server.stop()


# -- the record -------------------------------------------------------------------------------


def report_cells(cells: Sequence[Cell], runs: int) -> str:
    """The table of formats and languages."""
    rows = [
        (
            cell.file_format.value.upper(),
            cell.language,
            spread(cell.gather),
            spread(cell.render),
            f"{cell.size / 1e3:,.0f}",
            f"{cell.traced_peak / 1e6:.0f}",
            f"{cell.rss_growth / 1e6:.0f}",
        )
        for cell in cells
    ]
    first = cells[0]
    return "\n".join(
        [
            f"The year's report ({first.meetings:,} meetings and {first.challenges:,} challenges"
            f" once restricted items are left out), {runs} runs each, median (range):",
            "",
            table(
                (
                    "format",
                    "language",
                    "gather s",
                    "render s",
                    "file kB",
                    "render peak MB (tracemalloc)",
                    "max RSS growth MB",
                ),
                rows,
            ),
        ]
    )


def report_rounds(rounds: Sequence[Round]) -> str:
    """The /help latencies, quiet against busy, and the report's own times."""
    quiet = [v for r in rounds for v in r.quiet]
    busy = [v for r in rounds for v in r.busy]
    rows = [
        ("quiet", len(quiet), spread(quiet, 1000, 1)),
        ("busy (a /report being made)", len(busy), spread(busy, 1000, 1)),
    ]
    ratio = statistics.median(busy) / statistics.median(quiet)
    per_round = [statistics.median(r.busy) / statistics.median(r.quiet) for r in rounds]
    return "\n".join(
        [
            f"A member's /help round trips, {len(rounds)} quiet and {len(rounds)} busy phases in"
            " turn, median (range):",
            "",
            table(("phase", "round trips", "ms"), rows),
            "",
            f"Busy / quiet, medians: {ratio:.2f}× (per round: "
            + ", ".join(f"{r:.2f}×" for r in per_round)
            + ").",
            f"The report, last button to file: {spread([r.report for r in rounds])} s;"
            f" /report to file: {spread([r.flow for r in rounds])} s.",
        ]
    )


async def _prepare(path: Path, sizes: Sizes, rng: random.Random) -> str:
    began = time.perf_counter()
    await seed(path, rng, sizes)
    seeded = time.perf_counter() - began
    found = await counts(path)
    megabytes = path.stat().st_size / 1e6  # noqa: ASYNC240  # once, after the seeding
    return (
        ", ".join(f"{value:,} {name.replace('_', ' ')}" for name, value in found.items())
        + f"; seeded in {seeded:.1f} s, database {megabytes:.1f} MB."
    )


def run(
    sizes: Sizes,
    runs: int,
    rounds: int,
    seed_value: int,
    *,
    isolated: bool = True,
    formats: Sequence[ReportFormat] = tuple(ReportFormat),
) -> None:
    """Seed, produce the files, then (with `rounds`) the bot at work; prints the tables."""
    with tempfile.TemporaryDirectory(prefix="partnerbot-reports-") as folder:
        work = Path(folder)
        path = work / "reports.sqlite3"
        print(asyncio.run(_prepare(path, sizes, random.Random(seed_value))) + "\n", flush=True)
        print(
            report_cells(produce_all(path, runs, isolated=isolated, formats=formats), runs) + "\n",
            flush=True,
        )
        if rounds:
            print(report_rounds(asyncio.run(converse(path, rounds, work))), flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.reports", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--meetings", type=int, default=2000, help="meetings of the year")
    parser.add_argument("--challenges", type=int, default=500, help="challenges of the year")
    parser.add_argument("--runs", type=int, default=5, help="runs per format and language")
    parser.add_argument("--rounds", type=int, default=4, help="quiet and busy phases, each")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the year")
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes, one round")
    arguments = parser.parse_args(argv)
    sizes = Sizes(meetings=arguments.meetings, challenges=arguments.challenges, members=MEMBERS)
    runs, rounds = arguments.runs, arguments.rounds
    if arguments.quick:
        sizes, runs, rounds = Sizes(meetings=200, challenges=50, members=MEMBERS // 10), 1, 1
    print(f"## Reports\n\n{machine().line()}, SQLite {sqlite3.sqlite_version}\n", flush=True)
    run(sizes, runs, rounds, arguments.seed)


if __name__ == "__main__":
    main()
