"""Handling each Telegram update once, even when Telegram delivers it twice."""

from __future__ import annotations

from datetime import timedelta

from services.clock import Clock
from storage import updates as update_store
from storage.db import Database

#: Telegram keeps unconfirmed updates for 24 hours; remember ids a little longer.
REMEMBER_FOR = timedelta(hours=48)


class UpdateLog:
    """Remembers which update ids were handled."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def claim(self, update_id: int) -> bool:
        """True the first time an update id is seen, False on a repeat."""
        return await update_store.claim(self._db, update_id, self._clock())

    async def prune(self) -> int:
        """Forget ids older than Telegram could redeliver."""
        async with self._db.transaction() as tx:
            return await update_store.forget_before(tx, self._clock() - REMEMBER_FOR)
