"""Digest rendering at scale: every member's digest built and rendered, with query plans.

    python -m benchmarks.digests            # 5,000 members, 20 partnerships, 2,000
                                            # milestones, 100,000 meetings, 20,000 challenges
    python -m benchmarks.digests --quick    # a twentieth of that, for a smoke run

The database is a temporary SQLite file. Partnerships and plans go through the services;
members, meetings (10 % restricted, with participants and follow-up actions) and challenges
are written with plain SQL, which is much quicker at these sizes. Then, as the scheduled job
does at one `now`, each member's digest is built (`DigestBuilder`: milestones, meetings,
challenges and their own actions, with their visibility) and rendered in their language,
split for Telegram. The queries a digest runs are captured and shown with EXPLAIN QUERY PLAN.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import machine
from bot.app import make_services
from bot.jobs.digests import render_parts
from domain.milestones import MilestoneStatus
from domain.models import LANGUAGES, Partnership, PartnershipKind
from services.container import Services
from services.milestones import store_plan
from services.plan_file import MilestoneEntry, PillarEntry, PlanFile
from storage.db import Database, to_db_time

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


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


async def run(arguments: argparse.Namespace) -> None:
    scale = 20 if arguments.quick else 1
    sizes = {
        "partnerships": 20,
        "members": 5000 // scale,
        "milestones": 2000 // scale if scale == 1 else 200,
        "meetings": 100_000 // scale,
        "challenges": 20_000 // scale,
    }
    rng = random.Random(arguments.seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        db = Database(path)
        await db.open()
        services = make_services(db, clock=lambda: NOW)
        began = time.perf_counter()
        await seed(services, rng, **sizes)
        seeded = time.perf_counter() - began
        megabytes = _analyse(path)
        began = time.perf_counter()
        due = await services.digests.due(NOW)
        due_seconds = time.perf_counter() - began
        builder = services.digests.builder(NOW)
        timings: list[float] = []
        renderings: list[float] = []
        longest = parts_total = 0
        statements: list[str] = []
        # The queries of partnership 1's first digests: the plan (read once per partnership),
        # then each reader's own counts, for coordinators and for a member.
        await db.reader.set_trace_callback(statements.append)
        began = time.perf_counter()
        for item in due:
            start = time.perf_counter()
            digest = await builder.build(
                item.partnership, member_id=item.member_id, since=item.since
            )
            built = time.perf_counter()
            parts = render_parts(item, digest)
            timings.append(time.perf_counter() - start)
            renderings.append(time.perf_counter() - built)
            parts_total += len(parts)
            longest = max(longest, *(len(part.text) for part in parts))
            if len(timings) == 4:
                await db.reader.set_trace_callback(None)  # type: ignore[arg-type]  # None stops it
        total = time.perf_counter() - began
        await _report(db, sizes, seeded, due_seconds, len(due), total, timings, longest,
                      parts_total, statements, megabytes, renderings)  # fmt: skip
        await db.close()


def _analyse(path: Path) -> float:
    """Statistics for the query planner, as a long-running database would have them; returns
    the size of the database in MB."""
    with sqlite3.connect(path) as connection:
        connection.execute("ANALYZE")
    return path.stat().st_size / 1e6


async def _report(
    db: Database,
    sizes: dict[str, int],
    seeded: float,
    due_seconds: float,
    digests: int,
    total: float,
    timings: list[float],
    longest: int,
    parts: int,
    statements: list[str],
    megabytes: float,
    renderings: list[float],
) -> None:
    print(f"## Digests\n\n{machine().line()}, SQLite {sqlite3.sqlite_version}\n")
    print(", ".join(f"{value:,} {name}" for name, value in sizes.items()))
    print(f"seeded in {seeded:.1f} s; database {megabytes:.0f} MB\n")
    print("| measure | value |\n|---|---|")
    print(f"| due digests found (`DigestService.due`, all members) | {digests:,} in"
          f" {due_seconds * 1000:.0f} ms |")  # fmt: skip
    print(f"| build + render, all digests | {total:.2f} s |")
    print(f"| per digest, p50 | {statistics.median(timings) * 1000:.2f} ms |")
    print(f"| per digest, p95 | {percentile(timings, 0.95) * 1000:.2f} ms |")
    print(f"| per digest, max | {max(timings) * 1000:.2f} ms |")
    print(
        f"| of which rendering (translate, format dates, split), p50 |"
        f" {statistics.median(renderings) * 1000:.2f} ms |"
    )
    print(f"| messages (parts) / longest part | {parts:,} / {longest:,} characters |\n")
    print("Query plans of one digest (EXPLAIN QUERY PLAN):\n")
    seen: set[str] = set()
    for statement in statements:
        shape = _LITERALS.sub("?", statement)
        if not statement.lstrip().upper().startswith("SELECT") or shape in seen:
            continue
        seen.add(shape)
        rows = await db.fetchall(f"EXPLAIN QUERY PLAN {statement}")
        print("```sql\n" + _shorten(statement) + "\n```")
        for row in rows:
            print(f"    {row['detail']}")
        print()


#: Numbers and quoted texts: two statements that differ only there are one query.
_LITERALS = re.compile(r"'[^']*'|\b\d+\b")


def _shorten(statement: str) -> str:
    return statement if len(statement) <= 400 else statement[:400] + " …"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.digests", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a twentieth of the sizes")
    parser.add_argument("--seed", type=int, default=1)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
