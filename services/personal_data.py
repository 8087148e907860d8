"""A person's right of access: everything Partnerbot stores about them, as one file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from services.access import Caller
from services.clock import Clock
from storage import audit
from storage import personal_data as store
from storage.db import Database


@dataclass(frozen=True, slots=True)
class PersonalData:
    """What is stored about a person: rows by table, and how many in each."""

    member_id: int
    rows: dict[str, list[dict[str, Any]]]

    @property
    def counts(self) -> dict[str, int]:
        """How many rows each table holds about them (tables with none left out)."""
        return {table: len(rows) for table, rows in self.rows.items() if rows}

    def as_json(self, made_at: str) -> bytes:
        """The file they receive: UTF-8 JSON, readable by people and programs."""
        document = {"member_id": self.member_id, "made_at": made_at, "tables": self.rows}
        return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")


class PersonalDataService:
    """The right of access, for every member about themselves."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def of_caller(self, caller: Caller) -> PersonalData:
        """Everything stored about the caller, in every partnership; the request is logged."""
        member_id = caller.require_membership().member_id
        data = PersonalData(member_id, await store.rows_of(self._db, member_id))
        async with self._db.transaction() as tx:
            await audit.record(tx, action="privacy.access", now=self._clock(), actor_id=member_id)
        return data
