"""What an operator asks of a running Partnerbot: is its database there, is its outbox moving,
when did it last handle an update. Read from the database, so that the command line can ask
as well as the running bot."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from services.clock import Clock
from storage import deliveries as delivery_store
from storage import updates as update_store
from storage.db import Database

#: How long the database may take to answer `SELECT 1` before it counts as unreachable.
DATABASE_TIMEOUT = 2.0
#: A waiting delivery due longer ago than this means nothing is sending the outbox.
OUTBOX_STALL = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class OutboxFacts:
    """The outbox as a whole: deliveries per status, and the latest and oldest moments."""

    totals: dict[str, int]
    last_sent_at: datetime | None
    #: When the earliest waiting delivery was due (None: nothing waits).
    oldest_due: datetime | None

    @property
    def waiting(self) -> int:
        """Deliveries not sent yet and not given up: pending, being sent, or to be retried."""
        return self.totals["pending"] + self.totals["sending"] + self.totals["failed"]

    @property
    def dead(self) -> int:
        """Deliveries given up for good."""
        return self.totals["dead"]


@dataclass(frozen=True, slots=True)
class HealthFacts:
    """One look at the bot's health; `problems` empty means healthy."""

    checked_at: datetime
    database: bool
    outbox: OutboxFacts | None = None
    last_update_id: int | None = None
    last_update_at: datetime | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def healthy(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    def with_problems(self, *more: str) -> HealthFacts:
        """The same facts with further problems found outside the database."""
        return HealthFacts(
            self.checked_at,
            self.database,
            self.outbox,
            self.last_update_id,
            self.last_update_at,
            self.problems + more,
        )

    def as_json(self) -> dict[str, Any]:
        """The facts as JSON values (times in ISO 8601, UTC)."""
        outbox = self.outbox
        return {
            "healthy": self.healthy,
            "checked_at": _iso(self.checked_at),
            "database": self.database,
            "deliveries_waiting": outbox.waiting if outbox else None,
            "deliveries_dead": outbox.dead if outbox else None,
            "deliveries": dict(outbox.totals) if outbox else None,
            "last_delivery_sent_at": _iso(outbox.last_sent_at) if outbox else None,
            "oldest_delivery_due_at": _iso(outbox.oldest_due) if outbox else None,
            "last_update_id": self.last_update_id,
            "last_update_at": _iso(self.last_update_at),
            "problems": list(self.problems),
        }


class HealthService:
    """Reads the health facts from the database."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def outbox(self) -> OutboxFacts:
        """The outbox's figures."""
        return OutboxFacts(
            totals=await delivery_store.status_totals(self._db),
            last_sent_at=await delivery_store.last_sent_at(self._db),
            oldest_due=await delivery_store.next_due(self._db),
        )

    async def check(self, within: float = DATABASE_TIMEOUT) -> HealthFacts:
        """Ask the database, within `within` seconds per question; never raises."""
        now = self._clock()
        try:
            await asyncio.wait_for(self._db.fetchvalue("SELECT 1"), within)
            outbox = await asyncio.wait_for(self.outbox(), within)
            latest = await asyncio.wait_for(update_store.latest(self._db), within)
        except Exception as error:  # any failure to read is what this reports
            return HealthFacts(
                now, database=False, problems=(f"database unreachable: {type(error).__name__}",)
            )
        problems = []
        if outbox.oldest_due is not None and outbox.oldest_due < now - OUTBOX_STALL:
            minutes = int((now - outbox.oldest_due).total_seconds() // 60)
            problems.append(f"outbox stalled: a delivery has waited {minutes} minutes")
        return HealthFacts(
            now,
            database=True,
            outbox=outbox,
            last_update_id=latest[0] if latest else None,
            last_update_at=latest[1] if latest else None,
            problems=tuple(problems),
        )


async def check_file(path: Path, clock: Clock) -> HealthFacts:
    """The health facts of the database file at `path`, opened for this look only (for
    the command line; unhealthy if it cannot be opened)."""
    if not await asyncio.to_thread(path.exists):
        return HealthFacts(clock(), database=False, problems=(f"no database at {path}",))
    db = Database(path)
    try:
        await db.open()
        return await HealthService(db, clock).check()
    except Exception as error:  # whatever stops it opening is the answer
        return HealthFacts(
            clock(), database=False, problems=(f"database unreachable: {type(error).__name__}",)
        )
    finally:
        await db.close()


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
