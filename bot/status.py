"""`python -m bot status`: the health facts read from the database, as text."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.config import Settings
from services.clock import utc_now
from services.health import HealthFacts, check_file


def status_lines(facts: HealthFacts) -> list[str]:
    """The facts as lines of text, the verdict last."""
    lines = [f"database: {'reachable' if facts.database else 'unreachable'}"]
    if facts.outbox is not None:
        outbox = facts.outbox
        lines += [
            f"deliveries waiting: {outbox.waiting}",
            f"deliveries given up (dead): {outbox.dead}",
            f"deliveries sent: {outbox.totals['sent']}",
            f"last delivery sent: {_when(outbox.last_sent_at)}",
            f"oldest waiting delivery due: {_when(outbox.oldest_due)}",
        ]
    if facts.database:
        update = "never" if facts.last_update_id is None else f"#{facts.last_update_id}"
        lines.append(f"last update handled: {update} at {_when(facts.last_update_at)}")
    lines += [f"problem: {problem}" for problem in facts.problems]
    lines.append("healthy" if facts.healthy else "NOT healthy")
    return lines


def print_status(settings: Settings) -> int:
    """Print the status; 0 when healthy, 1 when not."""
    facts = asyncio.run(check_file(settings.database_path, utc_now))
    print("\n".join(status_lines(facts)))
    return 0 if facts.healthy else 1


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")
