"""Shared typing for repository functions: anything that can read rows."""

from __future__ import annotations

import sqlite3
from typing import Protocol

from storage.db import Params


class Reader(Protocol):
    """The `Database` (outside transactions) or a `Transaction` (inside one)."""

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None: ...

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]: ...
